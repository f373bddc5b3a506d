//! Command-line interface: clap definitions and one file per subcommand.

mod adopt;
pub(crate) mod analysis;
mod check;
mod clean;
mod debug;
mod graph;
mod knowledge;
mod rule;
mod server;
mod summarize;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Exit codes CI can rely on.
pub const EXIT_CLEAN: u8 = 0;
pub const EXIT_FINDINGS: u8 = 1;
pub const EXIT_ERROR: u8 = 2;

#[derive(Parser)]
#[command(
    name = "forklint",
    version,
    about = "Find the Python thread, fork and import-time hazards that hang programs at random."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check Python files and directories for hazards.
    Check(Box<check::CheckArgs>),
    /// Explain a rule: what it finds, why, and what to do instead.
    Rule(rule::RuleArgs),
    /// List every rule.
    Rules,
    /// Show what the knowledge base says of known APIs and modules, with its sources
    /// (docs/knowledge.md).
    Knowledge(knowledge::KnowledgeArgs),
    /// Draw what runs at import time, as Graphviz DOT or Mermaid.
    ///
    /// Imports between project modules at import time, and the modules whose import starts
    /// threads, spawns processes or forks, with the chain of calls to each (docs/graph.md).
    Graph(graph::GraphArgs),
    /// Run the language server (LSP over stdio) for editors (docs/editors.md).
    Server(server::ServerArgs),
    /// Summarise files into a bundle for `check --summaries` (build systems:
    /// docs/build-systems.md).
    Summarize(summarize::SummarizeArgs),
    /// Remove the summary caches under the paths (default: the current directory).
    Clean(clean::CleanArgs),
    #[command(hide = true)]
    Debug(debug::DebugArgs),
}

pub fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                EXIT_ERROR
            } else {
                EXIT_CLEAN
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let code = match cli.command {
        Command::Check(args) => check::run(*args),
        Command::Rule(args) => rule::run(args),
        Command::Rules => rule::list(),
        Command::Knowledge(args) => knowledge::run(args),
        Command::Graph(args) => graph::run(args),
        Command::Server(args) => server::run(args),
        Command::Summarize(args) => summarize::run(args),
        Command::Clean(args) => clean::run(args),
        Command::Debug(args) => debug::run(args),
    };
    ExitCode::from(code)
}
