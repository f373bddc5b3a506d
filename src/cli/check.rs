use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use super::analysis::AnalysisArgs;
use crate::config::ConfigError;
use crate::diagnostic::Severity;
use crate::report::{self, github, json, sarif, text};
use crate::rules::selection::{RuleSelector, SelectionLayer};
use crate::rules::{RULES, Rule};
use crate::settings::Settings;

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
    /// A JSON array of findings (schema in docs/output-formats.md).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// GitHub Actions workflow commands: annotations on the pull request.
    Github,
}

impl OutputFormat {
    /// Formats whose stdout is a document for a program: the summary line goes to stderr.
    fn is_machine(self) -> bool {
        matches!(self, Self::Json | Self::Sarif | Self::Github)
    }
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
    /// How findings are printed [default: text, or the configuration's `output-format`].
    #[arg(long, value_enum)]
    output_format: Option<OutputFormat>,
    /// Write the report to this file (atomically: complete or not at all); stdout then has
    /// only the summary line.
    #[arg(long, short, value_name = "PATH")]
    output_file: Option<PathBuf>,
    /// Count the findings of each rule instead of listing them (text, concise and json).
    #[arg(long)]
    statistics: bool,
    /// Run exactly these rules (codes, prefixes such as `FL1`, or `ALL`); comma-separated,
    /// repeatable; replaces the configuration's selection.
    #[arg(long, value_name = "CODE", value_delimiter = ',', value_parser = parse_selector)]
    select: Option<Vec<RuleSelector>>,
    /// Run these rules too; comma-separated, repeatable.
    #[arg(long, value_name = "CODE", value_delimiter = ',', value_parser = parse_selector)]
    extend_select: Vec<RuleSelector>,
    /// Do not run these rules; comma-separated, repeatable.
    #[arg(long, value_name = "CODE", value_delimiter = ',', value_parser = parse_selector)]
    ignore: Vec<RuleSelector>,
    /// Also show info-level findings (they never change the exit code).
    #[arg(long)]
    show_info: bool,
    #[command(flatten)]
    analysis: AnalysisArgs,
}

fn parse_selector(s: &str) -> Result<RuleSelector, String> {
    s.parse()
}

impl CheckArgs {
    /// Settings and output format: command-line flags over the configuration over defaults.
    fn settings(&self, first: &Path) -> Result<(Settings, OutputFormat), ConfigError> {
        let cli_selection = SelectionLayer {
            select: self.select.clone(),
            extend_select: self.extend_select.clone(),
            ignore: self.ignore.clone(),
        };
        let resolved = self
            .analysis
            .resolve(first, cli_selection, self.show_info)?;
        // The configuration's format is checked even when the flag overrides it.
        let configured = resolved
            .output_format
            .as_ref()
            .map(|name| {
                OutputFormat::from_str(&name.value, false).map_err(|_| {
                    let known: Vec<String> = OutputFormat::value_variants()
                        .iter()
                        .filter_map(|v| v.to_possible_value().map(|p| p.get_name().to_string()))
                        .collect();
                    name.error(format!(
                        "`output-format`: unknown format `{}`; expected one of: {}",
                        name.value,
                        known.join(", ")
                    ))
                })
            })
            .transpose()?;
        let output_format = self
            .output_format
            .or(configured)
            .unwrap_or(OutputFormat::Text);
        Ok((resolved.settings, output_format))
    }
}

pub fn run(args: CheckArgs) -> u8 {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let (settings, output_format) = match args.settings(&paths[0]) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return super::EXIT_ERROR;
        }
    };
    let outcome = match crate::check(&paths, settings) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return super::EXIT_ERROR;
        }
    };
    if args.statistics && matches!(output_format, OutputFormat::Sarif | OutputFormat::Github) {
        eprintln!("error: --statistics works with the text, concise and json output formats");
        return super::EXIT_ERROR;
    }
    let color = args.output_file.is_none()
        && match args.color {
            Color::Always => true,
            Color::Never => false,
            Color::Auto => {
                std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
            }
        };
    let notices = report::notices(&outcome);
    if !args.quiet {
        for n in &notices {
            eprintln!("warning: {}", n.message);
        }
    }
    let report = match render(&args, output_format, &outcome, &notices, color) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return super::EXIT_ERROR;
        }
    };
    let summary = report::summary_line(&outcome.diagnostics, outcome.program.files.len());
    let mut stdout = std::io::stdout().lock();
    if let Some(path) = &args.output_file {
        if let Err(e) = write_atomically(path, report.as_bytes()) {
            eprintln!("error: cannot write the report to {}: {e}", path.display());
            return super::EXIT_ERROR;
        }
        if !args.quiet {
            let _ = writeln!(stdout, "{summary}");
        }
    } else {
        // A closed pipe (`forklint check | head`) is not an error worth a panic.
        let _ = stdout.write_all(report.as_bytes());
        if !args.quiet {
            // Machine formats keep stdout a clean document: the summary goes to stderr.
            if output_format.is_machine() {
                eprintln!("{summary}");
            } else {
                let _ = writeln!(stdout, "{summary}");
            }
        }
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

/// The report (findings or statistics) in the chosen format.
fn render(
    args: &CheckArgs,
    output_format: OutputFormat,
    outcome: &crate::CheckOutcome,
    notices: &[report::Notice],
    color: bool,
) -> std::io::Result<String> {
    let program = &outcome.program;
    let diagnostics = &outcome.diagnostics;
    if args.statistics {
        let stats = report::statistics(diagnostics);
        return Ok(match output_format {
            OutputFormat::Json => json::render_statistics(&stats),
            _ => report::statistics_text(&stats),
        });
    }
    Ok(match output_format {
        OutputFormat::Text => diagnostics
            .iter()
            .map(|d| text::render(program, d, color))
            .collect(),
        OutputFormat::Concise => diagnostics
            .iter()
            .map(|d| {
                let (line, col) = text::position(program, d.primary.file, d.primary.range);
                format!(
                    "{}:{line}:{col}: {} {}\n",
                    program.file(d.primary.file).path.display(),
                    d.code,
                    d.message
                )
            })
            .collect(),
        OutputFormat::Json => json::render(program, diagnostics),
        OutputFormat::Sarif => {
            // Every rule that ran, whether or not it found something.
            let selection = &program.settings.selection;
            let rules: Vec<&'static Rule> = RULES
                .iter()
                .copied()
                .filter(|r| selection.is_enabled(r.code))
                .collect();
            sarif::render(
                program,
                diagnostics,
                &rules,
                notices,
                &std::env::current_dir()?,
            )
        }
        OutputFormat::Github => github::render(program, diagnostics, &std::env::current_dir()?),
    })
}

/// Writes `bytes` to `path` through a temporary file in the same directory, renamed over
/// `path` once complete: a reader never sees a half-written report, and a failure leaves any
/// previous file as it was.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".forklint-report-");
    // A report is an ordinary file: rw for everyone the umask allows (tempfile's default is
    // owner-only).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder.tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
