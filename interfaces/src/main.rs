//! The `tidings` binary: `tidings serve` (the default) runs the server.

fn main() -> std::process::ExitCode {
    tidings_interfaces::cli::main()
}
