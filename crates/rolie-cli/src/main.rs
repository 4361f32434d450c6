//! The `rolie` binary: a thin shim over the library so tests and tools reuse all of it.

// glibc malloc was a fifth of the server's user time on the cached read path (perf, wrk on a
// 304): small per-request allocations from many threads contend on its arenas. mimalloc's
// thread-local free lists make those allocations cheap and return memory to the OS.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    rolie_cli::main()
}
