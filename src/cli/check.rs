use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::diagnostic::Severity;
use crate::report::{self, text};
use crate::settings::{DEFAULT_EXCLUDES, Platform, PythonVersion, Settings};

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum OutputFormat {
    /// Snippets with the chain of calls and imports, and a help line.
    Text,
    /// One line per finding: `path:line:col: CODE message`.
    Concise,
}

#[derive(Args)]
pub struct CheckArgs {
    /// Files or directories to check (default: the current directory).
    paths: Vec<PathBuf>,
    /// Exit 0 even when hazards are found.
    #[arg(long)]
    exit_zero: bool,
    /// Print only the findings, not the summary line or warnings about skipped files.
    #[arg(long, short)]
    quiet: bool,
    /// Colour the output: only on a terminal by default.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    color: Color,
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    output_format: OutputFormat,
    /// The Python version the code runs on: py38 … py314.
    #[arg(long, default_value = "py312", value_parser = parse_version)]
    target_version: PythonVersion,
    /// The platform the code runs on.
    #[arg(long, value_enum, default_value_t = Platform::Linux)]
    platform: Platform,
    /// An extra knowledge-base file (TOML, see rules/README.md); repeatable.
    #[arg(long, value_name = "FILE")]
    knowledge: Vec<PathBuf>,
    /// Replace the default excludes with these globs; repeatable.
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,
    /// Add globs to the excludes; repeatable.
    #[arg(long, value_name = "GLOB")]
    extend_exclude: Vec<String>,
    /// An extra source root module names are computed against; repeatable.
    #[arg(long, value_name = "DIR")]
    src: Vec<PathBuf>,
    /// Files (globs) that are entry scripts: their whole top level is the main flow; repeatable.
    #[arg(long, value_name = "GLOB")]
    entry: Vec<String>,
    /// Also show info-level findings (they never change the exit code).
    #[arg(long)]
    show_info: bool,
}

fn parse_version(s: &str) -> Result<PythonVersion, String> {
    s.parse()
}

impl CheckArgs {
    fn settings(&self) -> Settings {
        let mut exclude: Vec<String> = if self.exclude.is_empty() {
            DEFAULT_EXCLUDES.iter().map(|s| (*s).to_string()).collect()
        } else {
            self.exclude.clone()
        };
        exclude.extend(self.extend_exclude.iter().cloned());
        Settings {
            target_version: self.target_version,
            platform: self.platform,
            knowledge_files: self.knowledge.clone(),
            src: self.src.clone(),
            entry_globs: self.entry.clone(),
            exclude,
            show_info: self.show_info,
        }
    }
}

pub fn run(args: CheckArgs) -> u8 {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let outcome = match crate::check(&paths, args.settings()) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return super::EXIT_ERROR;
        }
    };
    let color = match args.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let program = &outcome.program;
    let mut stdout = std::io::stdout().lock();
    if !args.quiet {
        for s in &outcome.skipped {
            eprintln!("warning: skipped {}: {}", s.path.display(), s.reason);
        }
        for f in program.file_ids() {
            if let Some(incomplete) = &program.summary(f).incomplete {
                let (line, col) = program.file(f).line_col(incomplete.range.start());
                eprintln!(
                    "warning: {}:{line}:{col}: {}",
                    program.file(f).path.display(),
                    incomplete.reason
                );
            }
        }
    }
    for d in &outcome.diagnostics {
        let rendered = match args.output_format {
            OutputFormat::Text => text::render(program, d, color),
            OutputFormat::Concise => {
                let (line, col) = text::position(program, d.primary.file, d.primary.range);
                format!(
                    "{}:{line}:{col}: {} {}\n",
                    program.file(d.primary.file).path.display(),
                    d.code,
                    d.message
                )
            }
        };
        // A closed pipe (`forklint check | head`) is not an error worth a panic.
        if stdout.write_all(rendered.as_bytes()).is_err() {
            break;
        }
    }
    if !args.quiet {
        // Snippets are read from disk when printed; say so if a file changed during the run.
        let mut reported: Vec<_> = outcome.diagnostics.iter().map(|d| d.primary.file).collect();
        reported.dedup();
        for f in reported {
            if program.file(f).text_changed() {
                eprintln!(
                    "warning: {} changed while it was being checked; its positions and snippets \
                     may not match the file as it is now",
                    program.file(f).path.display()
                );
            }
        }
        let _ = writeln!(
            stdout,
            "{}",
            report::summary_line(&outcome.diagnostics, program.files.len())
        );
    }
    let found = outcome
        .diagnostics
        .iter()
        .any(|d| d.severity > Severity::Info);
    drop(stdout);
    // The process is about to exit: freeing the summaries of a large project one allocation at
    // a time costs a tenth of a second and gains nothing (ripgrep and Ruff skip it too).
    std::mem::forget(outcome);
    if found && !args.exit_zero {
        super::EXIT_FINDINGS
    } else {
        super::EXIT_CLEAN
    }
}
