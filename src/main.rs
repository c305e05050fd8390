use std::process::ExitCode;

fn main() -> ExitCode {
    recourse::cli::main()
}
