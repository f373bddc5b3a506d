//! `forklint server`: the language server, for editors.

use clap::Args;

#[derive(Args)]
pub struct ServerArgs {
    /// Accepted and ignored: standard input and output are the only transport, and some
    /// clients (vscode-languageclient, for one) add this flag.
    #[arg(long)]
    stdio: bool,
}

pub fn run(_args: ServerArgs) -> u8 {
    match crate::server::run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: forklint server: {e:#}");
            super::EXIT_ERROR
        }
    }
}
