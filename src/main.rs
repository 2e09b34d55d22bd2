//! The `jcform` binary: parse the command line, run the command, map the outcome to an exit code
//! (0 ok / no changes, 1 error, 2 changes, 3 blocked by findings).

/// mimalloc instead of the system allocator: an org of 100,000 users is millions of small
/// strings and maps built and dropped per stage, and glibc's malloc spent about 30% of all CPU
/// on them (issue 13; the figures are in the README's Performance section).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    jcform::cli::main()
}
