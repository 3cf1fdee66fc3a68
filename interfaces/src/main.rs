//! The `tidings` binary: `tidings serve` (the default) runs the server.

/// mimalloc rather than the system allocator: with glibc's malloc an idle WebSocket cost ~7 KB of
/// resident memory, most of it fragmentation left between long-lived connection state and the
/// short-lived buffers of logins and frames; mimalloc's size-segregated pages keep that near
/// 4 KB and give freed pages back to the system (docs/benchmarks.md, W1).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    tidings_interfaces::cli::main()
}
