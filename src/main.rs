use std::process::ExitCode;

fn main() -> ExitCode {
    forklint::cli::run()
}
