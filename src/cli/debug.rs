//! Hidden developer commands. `parse-only` is the benchmark's floor: the same discovery and the
//! same parser, in parallel, and nothing else. `generate-docs` writes `docs/rules/` from the rule
//! metadata.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use rayon::prelude::*;

use crate::discover::SettingsSource;
use crate::settings::Settings;

#[derive(Args)]
pub struct DebugArgs {
    #[command(subcommand)]
    command: DebugCommand,
}

#[derive(Subcommand)]
enum DebugCommand {
    /// Read and parse every file, in parallel; print the counts.
    ParseOnly { paths: Vec<PathBuf> },
    /// Print each module's summary and its resolved effects (for debugging the engine).
    /// Function events appear resolved only: linking moves them out of the summaries.
    Summary { paths: Vec<PathBuf> },
    /// Write `docs/rules/` (one page per rule and the index) from the rule metadata.
    GenerateDocs {
        /// Compare instead of writing; exit 1 when a page is stale.
        #[arg(long)]
        check: bool,
        /// The directory of the rule pages.
        #[arg(default_value = "docs/rules")]
        dir: PathBuf,
    },
}

pub fn run(args: DebugArgs) -> u8 {
    match args.command {
        DebugCommand::GenerateDocs { check, dir } => generate_docs(check, &dir),
        DebugCommand::Summary { paths } => {
            let settings = Settings::default();
            let outcome = match crate::check(&paths, SettingsSource::Fixed(&settings)) {
                Ok(o) => o,
                Err(e) => {
                    eprintln!("error: {e}");
                    return super::EXIT_ERROR;
                }
            };
            for p in outcome.projects.iter().map(|c| &c.program) {
                for f in p.file_ids() {
                    println!(
                        "== {} ({:?})\n{:#?}",
                        p.file(f).path.display(),
                        p.file(f).role,
                        p.summary(f)
                    );
                    println!("body resolved: {:?}", p.body_events[f.0 as usize]);
                    println!("functions resolved: {:?}", p.fn_events[f.0 as usize]);
                }
                for (i, e) in p.effects.iter().enumerate() {
                    println!("effect {i}: {e:?}");
                }
            }
            super::EXIT_CLEAN
        }
        DebugCommand::ParseOnly { paths } => {
            let paths = if paths.is_empty() {
                vec![PathBuf::from(".")]
            } else {
                paths
            };
            let found = match crate::discover::discover(&paths, &Settings::default()) {
                Ok(f) => f,
                Err(e) => {
                    eprintln!("error: {e}");
                    return super::EXIT_ERROR;
                }
            };
            // Same pool, same parallelism as `check`.
            let parse_all = || {
                found
                    .files
                    .par_iter()
                    .map(|f| match std::fs::read_to_string(&f.path) {
                        Ok(text) => {
                            let p = ruff_python_parser::parse_unchecked_source(
                                &text,
                                ruff_python_ast::PySourceType::Python,
                            );
                            (1, usize::from(!p.errors().is_empty()))
                        }
                        Err(_) => (0, 0),
                    })
                    .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
            };
            let (parsed, errors): (usize, usize) = crate::analysis_pool().install(parse_all);
            println!("parsed {parsed} files ({errors} with syntax errors)");
            super::EXIT_CLEAN
        }
    }
}

fn generate_docs(check: bool, dir: &Path) -> u8 {
    use crate::rules::docs;
    let result = if check {
        docs::check(dir)
    } else {
        docs::write(dir)
    };
    let changed = match result {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {}: {e}", dir.display());
            return super::EXIT_ERROR;
        }
    };
    for s in &changed {
        let path = dir.join(s.name());
        match s {
            _ if check => eprintln!("stale: {}/{s}", dir.display()),
            docs::Stale::Extra(_) => eprintln!("removed {}", path.display()),
            _ => eprintln!("wrote {}", path.display()),
        }
    }
    if check && !changed.is_empty() {
        eprintln!("run `{}` to regenerate", docs::GENERATE_COMMAND);
        return super::EXIT_FINDINGS;
    }
    super::EXIT_CLEAN
}
