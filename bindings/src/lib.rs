//! The UniFFI face of the Tidings SDK; filled in by the SDK work.
