//! The Tidings server, built inside this package so multi-instance tests can start real server
//! processes that are always current (`CARGO_BIN_EXE_tidings-e2e-server`). It runs exactly what
//! the `tidings` binary runs.

fn main() -> std::process::ExitCode {
    tidings_interfaces::cli::main()
}
