//! `uniffi-bindgen` of this workspace: generates Kotlin, Swift and Python from the built library
//! (`cargo run -p tidings-bindings --features cli --bin uniffi-bindgen -- generate --library …`;
//! see bindings/generate.sh).

fn main() {
    uniffi::uniffi_bindgen_main();
}
