//! The `rolie` binary: a thin shim over the library so tests and tools reuse all of it.

fn main() -> std::process::ExitCode {
    rolie_cli::main()
}
