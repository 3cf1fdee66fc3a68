//! The Tidings client SDK; filled in by the SDK work.
