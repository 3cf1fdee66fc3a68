//! `tidings-faults`: starts a Tidings cluster, drives traffic through faults and checks the
//! invariants; see `tidings_tests::faults` and `--help`.

use clap::Parser as _;

fn main() -> std::process::ExitCode {
    tidings_tests::faults::main(tidings_tests::faults::Options::parse())
}
