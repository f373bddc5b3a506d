use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use super::analysis::AnalysisArgs;
use crate::config::ConfigError;
use crate::diagnostic::{Diagnostic, Severity};
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
    /// Apply the safe fixes, then report what remains.
    #[arg(long)]
    fix: bool,
    /// With `--fix`, `--fix-only` or `--diff`: also apply the unsafe fixes (they may change
    /// behaviour; each rule's docs say how). Without them, only count them.
    #[arg(long)]
    unsafe_fixes: bool,
    /// Apply the fixes and report nothing else; exit 0 unless something failed.
    #[arg(long)]
    fix_only: bool,
    /// Print a unified diff of what `--fix` would change, and change nothing; exit 1 if there
    /// is a diff.
    #[arg(long, conflicts_with_all = ["fix", "fix_only"])]
    diff: bool,
    /// List the fixes applied, per file and rule.
    #[arg(long)]
    show_fixes: bool,
    /// With `--fix` or `--fix-only`: exit 1 when a fix was applied, even if nothing remains.
    #[arg(long)]
    exit_non_zero_on_fix: bool,
    /// Analyse the whole project the paths belong to (the project root of the first path, as
    /// `forklint check ROOT` would find it), and report and fix only the findings that involve
    /// the paths: located in them or with a step of their chain in them. For pre-commit, which
    /// passes the changed files.
    #[arg(long)]
    whole_project: bool,
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
    let (mut settings, output_format) = match args.settings(&paths[0]) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return super::EXIT_ERROR;
        }
    };
    let paths = if args.whole_project {
        match whole_project(&paths, &mut settings) {
            Ok(root) => vec![root],
            Err(e) => {
                eprintln!("error: {e}");
                return super::EXIT_ERROR;
            }
        }
    } else {
        paths
    };
    let fixing = args.fix || args.fix_only || args.diff;
    let unsafe_fixes = args.unsafe_fixes;
    let mut failed = false;
    let mut fixed: Vec<crate::FixedFile> = Vec::new();
    let outcome = if fixing {
        let run = match crate::check_and_fix(&paths, settings.clone(), unsafe_fixes) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("error: {e}");
                return super::EXIT_ERROR;
            }
        };
        for r in &run.rejected {
            failed = true;
            eprintln!(
                "error: internal error: the {} fix at {}:{} would leave a syntax error ({}); \
                 it was not applied. Please report this.",
                r.rejected.code,
                r.path.display(),
                r.line,
                r.rejected.syntax_error
            );
        }
        if !run.settled {
            eprintln!(
                "warning: fixes were still applying after {} passes; some fixes undo others, \
                 and the last pass is what is reported",
                crate::fix::MAX_PASSES
            );
        }
        if args.diff {
            return print_diffs(&run.files, failed);
        }
        let (written, outcome) = match write_fixes(&paths, settings, run) {
            Ok(w) => w,
            Err(e) => {
                eprintln!("error: {e}");
                return super::EXIT_ERROR;
            }
        };
        failed |= written.len() < outcome.1;
        fixed = written;
        outcome.0
    } else {
        match crate::check(&paths, settings) {
            Ok(o) => o,
            Err(e) => {
                eprintln!("error: {e}");
                return super::EXIT_ERROR;
            }
        }
    };
    let fixed_count: usize = fixed.iter().map(|f| f.codes.len()).sum();
    if args.fix_only {
        if !args.quiet {
            eprintln!("{}", fixed_line(fixed_count));
        }
        if args.show_fixes {
            eprint!("{}", show_fixes(&fixed));
        }
        std::mem::forget(outcome);
        return if failed {
            super::EXIT_ERROR
        } else if args.exit_non_zero_on_fix && fixed_count > 0 {
            super::EXIT_FINDINGS
        } else {
            super::EXIT_CLEAN
        };
    }
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
    let mut summary = report::summary_line(&outcome.diagnostics, outcome.program.files.len());
    if fixing {
        summary = format!("{summary}\n{}", fixed_line(fixed_count));
    }
    if let Some(line) =
        fixable_line(&outcome.diagnostics, fixing, unsafe_fixes).filter(|_| !args.statistics)
    {
        summary = format!("{summary}\n{line}");
    }
    if args.show_fixes && !args.quiet {
        let listing = show_fixes(&fixed);
        if !listing.is_empty() {
            summary = format!("{}\n{summary}", listing.trim_end());
        }
    }
    let mut stdout = std::io::stdout().lock();
    if let Some(path) = &args.output_file {
        if let Err(e) = crate::fix::write::atomic_write(path, report.as_bytes(), None) {
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
    if failed {
        super::EXIT_ERROR
    } else if (found || (args.exit_non_zero_on_fix && fixed_count > 0)) && !args.exit_zero {
        super::EXIT_FINDINGS
    } else {
        super::EXIT_CLEAN
    }
}

/// `--whole-project`: scopes the report to `paths` and returns the project root to analyse,
/// relative to the current directory when it is at or under it (so paths print as
/// `./app.py`, as with `forklint check .`).
fn whole_project(paths: &[PathBuf], settings: &mut Settings) -> Result<PathBuf, String> {
    if let Some(missing) = paths.iter().find(|p| std::fs::symlink_metadata(p).is_err()) {
        return Err(format!("path `{}` does not exist", missing.display()));
    }
    let root = crate::discover::find_project_root(&paths[0]);
    settings.report_only = Some(paths.iter().map(|p| crate::discover::absolute(p)).collect());
    let cwd = crate::discover::absolute(Path::new("."));
    Ok(match root.strip_prefix(&cwd) {
        Ok(rel) if rel.as_os_str().is_empty() => PathBuf::from("."),
        Ok(rel) => rel.to_path_buf(),
        Err(_) => root,
    })
}

/// "Fixed 3 hazards." — or that nothing was.
fn fixed_line(count: usize) -> String {
    match count {
        0 => "No hazards fixed.".to_string(),
        1 => "Fixed 1 hazard.".to_string(),
        n => format!("Fixed {n} hazards."),
    }
}

/// "[*] 2 fixable with `--fix` (1 more with `--unsafe-fixes`)." — when there are any.
fn fixable_line(diagnostics: &[Diagnostic], fixing: bool, unsafe_fixes: bool) -> Option<String> {
    let shown = || diagnostics.iter().filter(|d| d.severity > Severity::Info);
    let applicable = shown()
        .filter(|d| crate::fix::is_fixable(d, unsafe_fixes))
        .count();
    let hidden = shown()
        .filter(|d| crate::fix::is_fixable(d, true) && !crate::fix::is_fixable(d, unsafe_fixes))
        .count();
    let flag = if unsafe_fixes {
        "`--fix --unsafe-fixes`"
    } else {
        "`--fix`"
    };
    match (applicable, hidden) {
        (0, 0) => None,
        // After `--fix`, what still applies is a fix that conflicted in every pass.
        (0, h) => Some(format!(
            "No fixes available ({h} hidden {} can be enabled with `--unsafe-fixes`).",
            if h == 1 { "fix" } else { "fixes" }
        )),
        (a, 0) if !fixing => Some(format!("[*] {a} fixable with {flag}.")),
        (a, 0) => Some(format!("[*] {a} still fixable with {flag}.")),
        (a, h) => Some(format!(
            "[*] {a} fixable with {flag} ({h} hidden {} can be enabled with `--unsafe-fixes`).",
            if h == 1 { "fix" } else { "fixes" }
        )),
    }
}

/// The fixes applied, per file and rule, as `--show-fixes` prints them.
fn show_fixes(files: &[crate::FixedFile]) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let total: usize = files.iter().map(|f| f.codes.len()).sum();
    if total == 0 {
        return out;
    }
    let _ = writeln!(
        out,
        "Fixed {total} {}:",
        if total == 1 { "hazard" } else { "hazards" }
    );
    for file in files {
        let _ = writeln!(out, "- {}:", file.path.display());
        let mut counts: std::collections::BTreeMap<&str, usize> = Default::default();
        for code in &file.codes {
            *counts.entry(code).or_default() += 1;
        }
        for (code, n) in counts {
            let name = crate::rules::by_code(code).map_or("", |r| r.name);
            let _ = writeln!(out, "    {n} × {code} ({name})");
        }
    }
    out
}

/// Prints the unified diff of each file `--fix` would change; exit 1 if there is one.
fn print_diffs(files: &[crate::FixedFile], failed: bool) -> u8 {
    let mut stdout = std::io::stdout().lock();
    for file in files {
        // `a/<path>` as git writes it: relative to the current directory when the file is
        // under it, else the absolute path without its leading `/`.
        let cwd = std::env::current_dir().unwrap_or_default();
        let shown = file
            .path
            .strip_prefix(".")
            .or_else(|_| file.path.strip_prefix(&cwd))
            .unwrap_or(&file.path);
        let path = shown.display().to_string();
        let path = path.trim_start_matches('/');
        let diff = similar::TextDiff::from_lines(&*file.original, &*file.fixed);
        let text = diff
            .unified_diff()
            .context_radius(3)
            .header(&format!("a/{path}"), &format!("b/{path}"))
            .to_string();
        let _ = stdout.write_all(text.as_bytes());
    }
    let count: usize = files.iter().map(|f| f.codes.len()).sum();
    eprintln!(
        "{}",
        match count {
            0 => "No hazards would be fixed.".to_string(),
            1 => "Would fix 1 hazard.".to_string(),
            n => format!("Would fix {n} hazards."),
        }
    );
    if failed {
        super::EXIT_ERROR
    } else if files.is_empty() {
        super::EXIT_CLEAN
    } else {
        super::EXIT_FINDINGS
    }
}

/// Writes the fixed files. Returns those written, and the outcome to report with the number
/// of files there were to write: a file that could not be written (changed on disk since it
/// was read, read-only, …) is reported, and the project checked again as it is on disk.
fn write_fixes(
    paths: &[PathBuf],
    settings: Settings,
    run: crate::FixOutcome,
) -> Result<(Vec<crate::FixedFile>, (crate::CheckOutcome, usize)), crate::Error> {
    let total = run.files.len();
    let mut written = Vec::new();
    let mut failed = false;
    for file in run.files {
        match crate::fix::write::write_fixed(&file.path, &file.original, &file.fixed) {
            Ok(()) => written.push(file),
            Err(e) => {
                failed = true;
                eprintln!("error: cannot fix {}: {e}", file.path.display());
            }
        }
    }
    if !failed {
        return Ok((written, (run.outcome, total)));
    }
    let overlay = written
        .iter()
        .map(|f| (f.path.clone(), f.fixed.clone()))
        .collect();
    let outcome = crate::check_overlaid(paths, settings, &overlay)?;
    Ok((written, (outcome, total)))
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
