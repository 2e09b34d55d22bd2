//! The `jcform` binary: parse the command line, run the command, map the outcome to an exit code
//! (0 ok / no changes, 1 error, 2 changes, 3 blocked by findings).

fn main() -> std::process::ExitCode {
    jcform::cli::main()
}
