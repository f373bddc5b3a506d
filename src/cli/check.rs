use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Args, ValueEnum};

use super::analysis::AnalysisArgs;
use crate::config::{ConfigError, ConfigFile};
use crate::diagnostic::Severity;
use crate::discover::SettingsSource;
use crate::report::{self, OutputFormat, json};
use crate::rules::selection::{PerFileIgnore, RuleSelector, SelectionLayer};
use crate::rules::{RULES, Rule};
use crate::settings::Settings;

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Args)]
pub struct CheckArgs {
    /// Files or directories to check (default: the current directory); `-` with
    /// `--stdin-filename`.
    paths: Vec<PathBuf>,
    /// Read the text of PATH from stdin, and check it in place of PATH within PATH's project
    /// (the way ALE, nvim-lint, flycheck and none-ls call linters). Only PATH's findings are
    /// reported; with `--fix`, the fixed text goes to stdout and the report to stderr.
    #[arg(long, value_name = "PATH")]
    stdin_filename: Option<PathBuf>,
    /// Exit 0 even when hazards are found.
    #[arg(long, short = 'e')]
    exit_zero: bool,
    /// Print only the findings, not the summary line or warnings about skipped files.
    #[arg(long, short)]
    quiet: bool,
    /// Print nothing at all, on stdout or stderr: only the exit code tells (a report is still
    /// written to `--output-file`).
    #[arg(long, short, conflicts_with = "verbose")]
    silent: bool,
    /// Also say on stderr which configuration files, project and source roots, Python
    /// environment and cache were used, and how many files were checked.
    #[arg(long, short)]
    verbose: bool,
    /// Check again whenever a file under the paths changes (Ctrl-C ends it).
    #[arg(long, short, conflicts_with_all = ["fix", "fix_only", "diff", "show_settings", "show_files"])]
    watch: bool,
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
    /// Drop these rules' findings in the files a glob matches: `GLOB:CODE[,CODE…]`, several
    /// as `A:CODE,B:CODE`; repeatable; replaces the configuration's `per-file-ignores`.
    /// Globs are relative to the current directory.
    #[arg(long, value_name = "GLOB:CODES", value_parser = parse_per_file_ignores)]
    per_file_ignores: Option<Vec<PerFileIgnores>>,
    /// Like `--per-file-ignores`, added to the configuration's `per-file-ignores`.
    #[arg(long, value_name = "GLOB:CODES", value_parser = parse_per_file_ignores)]
    extend_per_file_ignores: Vec<PerFileIgnores>,
    /// Report findings even where a `# noqa` (or `# forklint: noqa`) would suppress them;
    /// FL002 then reports nothing.
    #[arg(long)]
    ignore_noqa: bool,
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
    /// Only the fixes of these rules are applied (`--fix`, `--diff`) and offered [default:
    /// ALL]; comma-separated, repeatable.
    #[arg(long, value_name = "CODE", value_delimiter = ',', value_parser = parse_selector)]
    fixable: Option<Vec<RuleSelector>>,
    /// Like `--fixable`, added to it.
    #[arg(long, value_name = "CODE", value_delimiter = ',', value_parser = parse_selector)]
    extend_fixable: Vec<RuleSelector>,
    /// The fixes of these rules are never applied nor offered; comma-separated, repeatable.
    #[arg(long, value_name = "CODE", value_delimiter = ',', value_parser = parse_selector)]
    unfixable: Vec<RuleSelector>,
    /// Apply the fixes and report nothing else; exit 0 unless something failed.
    #[arg(long)]
    fix_only: bool,
    /// Print a unified diff of what `--fix` would change, and change nothing (also with
    /// `--fix` or `--fix-only`); exit 1 if there is a diff.
    #[arg(long)]
    diff: bool,
    /// List the fixes applied, per file and rule.
    #[arg(long)]
    show_fixes: bool,
    /// With `--fix` or `--fix-only`: exit 1 when a fix was applied, even if nothing remains.
    #[arg(long)]
    exit_non_zero_on_fix: bool,
    /// Analyse the whole projects the paths belong to (each path's closest configuration
    /// file's directory, else its project root, as `forklint check ROOT` would find it), and
    /// report and fix only the findings that involve the paths: located in them or with a step
    /// of their chain in them. For pre-commit, which passes the changed files.
    #[arg(long)]
    whole_project: bool,
    /// Print the settings that apply to a file or directory (the first path): which
    /// configuration file, project root, source roots and module name, and the resolved
    /// options; check nothing.
    #[arg(long, conflicts_with_all = ["show_files", "fix", "fix_only", "diff"])]
    show_settings: bool,
    /// Print the files that would be checked, one per line, and check nothing.
    #[arg(long, conflicts_with_all = ["fix", "fix_only", "diff"])]
    show_files: bool,
    /// Link the summaries `forklint summarize` wrote (bundle files, or directories searched
    /// for `*.flsum`) instead of parsing the files they hold; repeatable
    /// (docs/build-systems.md).
    #[arg(long, value_name = "PATH", conflicts_with_all = ["fix", "fix_only", "diff"])]
    summaries: Vec<PathBuf>,
    /// Add `# noqa: CODE` to every line with a finding (merged into a `# noqa` already there),
    /// write the files, and report nothing else (docs/adoption.md).
    #[arg(long, conflicts_with_all = ["fix", "fix_only", "diff", "show_settings", "show_files", "summaries", "write_baseline"])]
    add_noqa: bool,
    /// Report only the findings that are not in this baseline file (docs/adoption.md)
    /// [default: the configuration's `baseline`].
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Ignore the configuration's `baseline`: report every finding.
    #[arg(long, conflicts_with = "baseline")]
    no_baseline: bool,
    /// Write every finding to this baseline file (atomically), and report nothing else.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["fix", "fix_only", "diff", "show_settings", "show_files"])]
    write_baseline: Option<PathBuf>,
    #[command(flatten)]
    analysis: AnalysisArgs,
}

fn parse_selector(s: &str) -> Result<RuleSelector, String> {
    s.parse()
}

/// The per-file ignores of one `--per-file-ignores` value.
#[derive(Clone, Debug)]
struct PerFileIgnores(Vec<PerFileIgnore>);

/// `GLOB:CODE,CODE` and Ruff's `GLOB:CODE,GLOB:CODE`: an item with a `:` starts a glob's
/// codes, an item without one adds a code to the glob before it.
fn parse_per_file_ignores(s: &str) -> Result<PerFileIgnores, String> {
    let cwd = crate::discover::absolute(Path::new("."));
    let mut pairs: Vec<(String, Vec<RuleSelector>)> = Vec::new();
    for item in s.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let code = match item.rsplit_once(':') {
            Some((glob, code)) if !glob.trim().is_empty() => {
                pairs.push((glob.trim().to_string(), Vec::new()));
                code
            }
            Some(_) => return Err(format!("`{item}` has no glob before its `:`")),
            None => item,
        };
        let Some((_, codes)) = pairs.last_mut() else {
            return Err("expected `GLOB:CODE[,CODE…]`, such as `tests/*:FL101,FL2`".to_string());
        };
        codes.push(code.trim().parse()?);
    }
    if pairs.is_empty() {
        return Err("expected `GLOB:CODE[,CODE…]`, such as `tests/*:FL101,FL2`".to_string());
    }
    pairs
        .into_iter()
        .map(|(glob, codes)| PerFileIgnore::new(&glob, &cwd, codes))
        .collect::<Result<_, _>>()
        .map(PerFileIgnores)
}

// `--silent` prints nothing: every message of this command goes through these.
static SILENT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fn silent() -> bool {
    SILENT.load(std::sync::atomic::Ordering::Relaxed)
}

/// `eprintln!`, which `--silent` mutes (it shadows the standard macro in this file).
macro_rules! eprintln {
    ($($arg:tt)*) => {
        if !silent() {
            std::eprintln!($($arg)*);
        }
    };
}

/// `eprint!`, which `--silent` mutes.
macro_rules! eprint {
    ($($arg:tt)*) => {
        if !silent() {
            std::eprint!($($arg)*);
        }
    };
}

/// Standard output, or nothing with `--silent`.
fn stdout() -> Box<dyn Write> {
    if silent() {
        Box::new(std::io::sink())
    } else {
        Box::new(std::io::stdout().lock())
    }
}

impl CheckArgs {
    fn cli_selection(&self) -> SelectionLayer {
        SelectionLayer {
            select: self.select.clone(),
            extend_select: self.extend_select.clone(),
            ignore: self.ignore.clone(),
        }
    }

    /// What only `check` sets: per-file ignores from the command line, which rules' fixes are
    /// applied, and `--ignore-noqa`.
    fn apply_check_flags(&self, settings: &mut Settings) {
        let flags = |list: &[PerFileIgnores]| -> Vec<PerFileIgnore> {
            list.iter().flat_map(|p| p.0.clone()).collect()
        };
        let per_file = &mut settings.selection.per_file_ignores;
        if let Some(replacing) = &self.per_file_ignores {
            *per_file = flags(replacing);
        }
        per_file.extend(flags(&self.extend_per_file_ignores));
        let fixable = crate::rules::selection::resolve(
            RULES,
            &[SelectionLayer {
                select: Some(
                    self.fixable
                        .clone()
                        .unwrap_or_else(|| vec![RuleSelector::All]),
                ),
                extend_select: self.extend_fixable.clone(),
                ignore: self.unfixable.clone(),
            }],
        );
        settings.unfixable = RULES
            .iter()
            .map(|r| r.code)
            .filter(|c| !fixable.contains(c))
            .collect();
        settings.ignore_noqa = self.ignore_noqa;
    }

    /// The settings of a file whose closest configuration is `config`: command-line flags
    /// over the configuration over defaults.
    fn settings_for(
        &self,
        config: Option<&ConfigFile>,
        report_only: &Option<Vec<PathBuf>>,
    ) -> Settings {
        let options = config.map(|c| c.options.clone()).unwrap_or_default();
        let mut settings = self
            .analysis
            .resolve_with(options, self.cli_selection(), self.show_info)
            .settings;
        settings.report_only = report_only.clone();
        settings.summaries = self.summaries.clone();
        self.apply_check_flags(&mut settings);
        settings
    }

    /// Settings and output format of the first path: command-line flags over the
    /// configuration over defaults (the configuration's `output-format` applies to the run).
    fn settings(
        &self,
        first: &Path,
    ) -> Result<(Settings, OutputFormat, Option<PathBuf>), ConfigError> {
        let resolved = self
            .analysis
            .resolve(first, self.cli_selection(), self.show_info)?;
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
        // `--baseline` over the configuration's; `--no-baseline` drops both.
        let baseline = if self.no_baseline {
            None
        } else {
            self.baseline.clone().or(resolved.baseline)
        };
        let mut settings = resolved.settings;
        self.apply_check_flags(&mut settings);
        Ok((settings, output_format, baseline))
    }
}

pub fn run(args: CheckArgs) -> u8 {
    SILENT.store(args.silent, std::sync::atomic::Ordering::Relaxed);
    if args.watch {
        return watch(&args);
    }
    run_once(&args)
}

/// One check of the paths, as `forklint check` without `--watch` runs it.
fn run_once(args: &CheckArgs) -> u8 {
    let started = std::time::Instant::now();
    // `--stdin-filename PATH`: PATH's text is the buffer on stdin.
    let stdin = match &args.stdin_filename {
        None => None,
        Some(name) => match read_stdin_buffer(&args.paths, name) {
            Ok(text) => Some((name.clone(), text)),
            Err(e) => {
                eprintln!("error: {e}");
                return super::EXIT_ERROR;
            }
        },
    };
    let paths = if let Some((name, _)) = &stdin {
        vec![name.clone()]
    } else if !args.paths.is_empty() {
        args.paths.clone()
    } else if !args.summaries.is_empty() {
        // The files the bundles summarise, as `summarize` was given them.
        match crate::cache::bundled_files(&args.summaries) {
            Ok(files) if !files.is_empty() => files,
            Ok(_) => vec![PathBuf::from(".")],
            Err(e) => {
                eprintln!("error: {e}");
                return super::EXIT_ERROR;
            }
        }
    } else {
        vec![PathBuf::from(".")]
    };
    let (mut settings, output_format, baseline) = match args.settings(&paths[0]) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return super::EXIT_ERROR;
        }
    };
    let forced = args.analysis.forces_configuration();
    let mut report_only = None;
    // The buffer is analysed with its whole project, as the file would be.
    let paths = if args.whole_project || stdin.is_some() {
        match whole_project(&paths, forced) {
            Ok((roots, scope)) => {
                report_only = Some(scope);
                roots
            }
            Err(e) => {
                eprintln!("error: {e}");
                return super::EXIT_ERROR;
            }
        }
    } else {
        paths
    };
    settings.report_only = report_only.clone();
    settings.summaries = args.summaries.clone();
    // Each file gets the settings of its closest configuration, unless `--config` or
    // `--isolated` names one set for all.
    let closest = |config: Option<&ConfigFile>| args.settings_for(config, &report_only);
    let source = if forced {
        SettingsSource::Fixed(&settings)
    } else {
        SettingsSource::Closest(&closest)
    };
    if args.show_files {
        return show_files(&paths, source);
    }
    if args.show_settings {
        return show_settings(&paths[0], source);
    }
    // A baseline is read before the analysis: a bad one is a usage error (exit 2). Writing a
    // baseline records every finding, whatever an older one holds.
    let baseline = match baseline.filter(|_| args.write_baseline.is_none()) {
        Some(path) => match crate::baseline::read(&path) {
            Ok(b) => Some(b),
            Err(e) => {
                eprintln!("error: {e}");
                return super::EXIT_ERROR;
            }
        },
        None => None,
    };
    let fixing = args.fix || args.fix_only || args.diff;
    let unsafe_fixes = args.unsafe_fixes;
    let mut failed = false;
    let mut fixed: Vec<crate::FixedFile> = Vec::new();
    let texts: HashMap<PathBuf, Arc<str>> = stdin
        .iter()
        .map(|(name, text)| (crate::discover::absolute(name), text.clone()))
        .collect();
    let outcome = if fixing {
        let run = match crate::check_and_fix(&paths, source, unsafe_fixes, &texts) {
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
        if args.verbose {
            verbose(args, &run.outcome, started);
        }
        if args.diff {
            no_python_files(&paths, &run.outcome, args);
            unreadable_named(&paths, &run.outcome);
            return print_diffs(&run.files, failed);
        }
        if let Some((name, text)) = &stdin {
            // Nothing is written: the buffer, fixed, goes to stdout for the editor.
            let wanted = crate::discover::absolute(name);
            let fixed_text = run
                .files
                .iter()
                .find(|f| crate::discover::absolute(&f.path) == wanted)
                .map_or_else(|| text.clone(), |f| f.fixed.clone());
            let _ = std::io::stdout().lock().write_all(fixed_text.as_bytes());
            fixed = run.files;
            run.outcome
        } else {
            let (written, outcome) = match write_fixes(&paths, source, run) {
                Ok(w) => w,
                Err(e) => {
                    eprintln!("error: {e}");
                    return super::EXIT_ERROR;
                }
            };
            failed |= written.len() < outcome.1;
            fixed = written;
            outcome.0
        }
    } else if !texts.is_empty() {
        match crate::check_overlaid(&paths, source, &texts) {
            Ok(o) => o,
            Err(e) => {
                eprintln!("error: {e}");
                return super::EXIT_ERROR;
            }
        }
    } else {
        match crate::check(&paths, source) {
            Ok(o) => o,
            Err(e) => {
                eprintln!("error: {e}");
                return super::EXIT_ERROR;
            }
        }
    };
    if args.verbose && !fixing {
        verbose(args, &outcome, started);
    }
    no_python_files(&paths, &outcome, args);
    // Files named on the command line that could not be read: errors, not skip warnings.
    let unreadable = unreadable_named(&paths, &outcome);
    failed |= args.fix_only && !unreadable.is_empty();
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
    if args.statistics && !output_format.has_statistics() {
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
        for n in notices.iter().filter(|n| !unreadable.contains(&n.path)) {
            eprintln!("warning: {}", n.message);
        }
    }
    let mut findings = outcome.findings();
    if let Some((name, _)) = &stdin {
        // The editor shows these on the buffer: only the ones located in it (a finding in
        // another file whose chain passes through it would land on the wrong lines).
        let wanted = crate::discover::absolute(name);
        findings.retain(|(p, d)| crate::discover::absolute(&p.file(d.primary.file).path) == wanted);
    }
    let mut baselined = None;
    if let Some(b) = &baseline {
        let (kept, matched, stale) = crate::baseline::filter(findings, b);
        findings = kept;
        baselined = Some(super::adopt::baseline_summary(b, matched, stale));
    }
    if args.add_noqa {
        let code = super::adopt::add_noqa(&findings, args.quiet);
        drop(findings);
        std::mem::forget(outcome);
        return code;
    }
    if let Some(path) = &args.write_baseline {
        let code = super::adopt::write_baseline(path, &findings, args.quiet);
        drop(findings);
        std::mem::forget(outcome);
        return code;
    }
    // Every rule that ran in some project, whether or not it found something (SARIF lists them).
    let ran: Vec<&'static Rule> = RULES
        .iter()
        .copied()
        .filter(|r| {
            outcome
                .projects
                .iter()
                .any(|c| c.program.settings.selection.is_enabled(r.code))
        })
        .collect();
    let report = match render(
        args,
        output_format,
        &findings,
        &ran,
        &notices,
        color,
        unsafe_fixes,
    ) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return super::EXIT_ERROR;
        }
    };
    let mut summary = report::summary_line(&findings, outcome.files_checked());
    if let Some(line) = baselined {
        summary = format!("{summary}\n{line}");
    }
    if fixing {
        summary = format!("{summary}\n{}", fixed_line(fixed_count));
    }
    if let Some(line) = fixable_line(&findings, fixing, unsafe_fixes).filter(|_| !args.statistics) {
        summary = format!("{summary}\n{line}");
    }
    if args.show_fixes && !args.quiet {
        let listing = show_fixes(&fixed);
        if !listing.is_empty() {
            summary = format!("{}\n{summary}", listing.trim_end());
        }
    }
    let mut stdout = stdout();
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
        if stdin.is_some() && fixing {
            // stdout holds the fixed buffer.
            eprint!("{report}");
            if !args.quiet {
                eprintln!("{summary}");
            }
        } else {
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
    }
    let found = findings.iter().any(|(_, d)| d.severity > Severity::Info);
    drop(stdout);
    drop(findings);
    // The process is about to exit: freeing the summaries of a large project one allocation at
    // a time costs a tenth of a second and gains nothing (ripgrep and Ruff skip it too).
    std::mem::forget(outcome);
    if failed {
        super::EXIT_ERROR
    } else if (found || !unreadable.is_empty() || (args.exit_non_zero_on_fix && fixed_count > 0))
        && !args.exit_zero
    {
        super::EXIT_FINDINGS
    } else {
        super::EXIT_CLEAN
    }
}

/// The buffer `--stdin-filename NAME` reads from stdin. The paths given, if any, may only
/// be `-`; NAME must be a file of the project (its settings and module name come from where
/// it is).
fn read_stdin_buffer(paths: &[PathBuf], name: &Path) -> Result<Arc<str>, String> {
    if paths.iter().any(|p| p.as_os_str() != "-") {
        return Err("with `--stdin-filename`, the only path may be `-` (stdin)".to_string());
    }
    if !name.is_file() {
        return Err(format!(
            "--stdin-filename `{}`: not a file; name the file the buffer is the text of",
            name.display()
        ));
    }
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut bytes)
        .map_err(|e| format!("cannot read stdin: {e}"))?;
    String::from_utf8(bytes)
        .map(Arc::from)
        .map_err(|_| "stdin is not UTF-8".to_string())
}

/// `--verbose`: what the run used, on stderr.
fn verbose(args: &CheckArgs, outcome: &crate::CheckOutcome, started: std::time::Instant) {
    use crate::cache::CacheLocation;
    for checked in &outcome.projects {
        let project = &checked.project;
        let settings = &project.settings;
        eprintln!("verbose: project {}", project.root.display());
        eprintln!(
            "verbose:   configuration: {}",
            match (project.config.as_deref(), args.analysis.config_file()) {
                (Some(c), _) | (None, Some(c)) => c.display().to_string(),
                (None, None) if args.analysis.isolated => "none (--isolated)".to_string(),
                (None, None) => "none (defaults)".to_string(),
            }
        );
        let roots: Vec<String> = project
            .source_roots
            .iter()
            .map(|r| r.display().to_string())
            .collect();
        eprintln!("verbose:   source roots: {}", roots.join(", "));
        let environment = crate::environment::site_packages(&settings.python, &project.root)
            .map(|dirs| {
                if dirs.is_empty() {
                    "none".to_string()
                } else {
                    dirs.iter()
                        .map(|d| d.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            })
            .unwrap_or_else(|e| e);
        eprintln!("verbose:   python environment: {environment}");
        let cache = match (&settings.cache, checked.cache) {
            (CacheLocation::Off, _) => "off".to_string(),
            (location, stats) => {
                let dir = match location {
                    CacheLocation::Dir(dir) => dir.clone(),
                    _ => project.root.join(crate::cache::CACHE_DIR_NAME),
                };
                match stats {
                    Some(s) => format!("{} ({} hits, {} misses)", dir.display(), s.hits, s.misses),
                    None => format!("{} (not used)", dir.display()),
                }
            }
        };
        eprintln!("verbose:   cache: {cache}");
        let files = &checked.program.files;
        let own = files.iter().filter(|f| !f.library).count();
        eprintln!(
            "verbose:   files: {own} checked, {} dependency modules analysed with them",
            files.len() - own
        );
    }
    eprintln!(
        "verbose: checked {} files in {} project(s) in {:.2?}",
        outcome.files_checked(),
        outcome.projects.len(),
        started.elapsed()
    );
}

/// Ruff's warning when the paths hold no Python file (the run still succeeds).
fn no_python_files(paths: &[PathBuf], outcome: &crate::CheckOutcome, args: &CheckArgs) {
    if outcome.files_checked() == 0 && outcome.skipped.is_empty() && !args.quiet {
        let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        eprintln!(
            "warning: No Python files found under the given path(s): {}",
            shown.join(", ")
        );
    }
}

/// The files named on the command line that could not be read (or were not there any more
/// when read), printed as errors; a special file (FIFO, device) stays a skip warning.
fn unreadable_named(paths: &[PathBuf], outcome: &crate::CheckOutcome) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for s in &outcome.skipped {
        if paths.contains(&s.path) && s.reason != crate::discover::NOT_A_REGULAR_FILE {
            eprintln!("error: cannot read {}: {}", s.path.display(), s.reason);
            out.push(s.path.clone());
        }
    }
    out
}

/// `--watch`: checks, then checks again after each change under the paths until Ctrl-C.
fn watch(args: &CheckArgs) -> u8 {
    use notify::{EventKind, RecursiveMode, Watcher};
    use std::time::Duration;
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let (tx, rx) = std::sync::mpsc::channel::<notify::Result<notify::Event>>();
    let mut watcher = match notify::recommended_watcher(tx) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("error: cannot watch for file changes: {e}");
            return super::EXIT_ERROR;
        }
    };
    for path in &paths {
        if let Err(e) = watcher.watch(path, RecursiveMode::Recursive) {
            eprintln!("error: cannot watch {}: {e}", path.display());
            return super::EXIT_ERROR;
        }
    }
    // A change that calls for a new check: a Python or configuration file created, written,
    // renamed or removed. Not the check's own reads (access events), nor the cache and
    // `--output-file` it writes.
    let relevant = |event: &notify::Result<notify::Event>| match event {
        Ok(e) => {
            matches!(
                e.kind,
                EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_)
            ) && e.paths.iter().any(|p| {
                let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                name.ends_with(".py")
                    || name.ends_with(".pyi")
                    || name == ".gitignore"
                    || crate::config::CONFIG_FILE_NAMES.contains(&name)
            })
        }
        Err(e) => {
            eprintln!("warning: watching for file changes: {e}");
            false
        }
    };
    let check = || {
        // Clear the screen and home the cursor, as Ruff's watch mode does.
        if std::io::stdout().is_terminal() && !silent() {
            std::print!("\x1b[2J\x1b[1;1H");
        }
        run_once(args);
        eprintln!("Watching for file changes.");
    };
    eprintln!("Starting linter in watch mode...");
    check();
    // Ctrl-C ends the process (SIGINT's default action); the loop ends only if the watcher
    // stops.
    while let Ok(event) = rx.recv() {
        if !relevant(&event) {
            continue;
        }
        // An editor's save is several events: wait for the burst to end, then check once.
        while rx.recv_timeout(Duration::from_millis(100)).is_ok() {}
        eprintln!("File change detected...");
        check();
    }
    super::EXIT_CLEAN
}

/// `--whole-project`: the project roots to analyse (each path's closest configuration
/// file's directory, else its project root; relative to the current directory when at or
/// under it, so paths print as `./app.py`, as with `forklint check .`), and the paths the
/// report is scoped to (absolute).
fn whole_project(paths: &[PathBuf], forced: bool) -> Result<(Vec<PathBuf>, Vec<PathBuf>), String> {
    if let Some(missing) = paths.iter().find(|p| std::fs::symlink_metadata(p).is_err()) {
        return Err(format!("path `{}` does not exist", missing.display()));
    }
    let cwd = crate::discover::absolute(Path::new("."));
    let mut roots: Vec<PathBuf> = Vec::new();
    for path in paths {
        let config = if forced {
            None
        } else {
            crate::config::find(path).map_err(|e| e.to_string())?
        };
        let root = match config {
            Some(c) => c.path.parent().map(Path::to_path_buf).unwrap_or_default(),
            None => crate::discover::find_project_root(path),
        };
        let root = match root.strip_prefix(&cwd) {
            Ok(rel) if rel.as_os_str().is_empty() => PathBuf::from("."),
            Ok(rel) => rel.to_path_buf(),
            Err(_) => root,
        };
        if !roots.contains(&root) {
            roots.push(root);
        }
    }
    let scope = paths.iter().map(|p| crate::discover::absolute(p)).collect();
    Ok((roots, scope))
}

/// `--show-files`: the files that would be checked, sorted, one per line.
fn show_files(paths: &[PathBuf], source: SettingsSource<'_>) -> u8 {
    let found = match crate::discover::discover_with(paths, source) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return super::EXIT_ERROR;
        }
    };
    let mut stdout = std::io::stdout().lock();
    for f in &found.files {
        let _ = writeln!(stdout, "{}", f.path.display());
    }
    for s in &found.skipped {
        eprintln!("warning: skipped {}: {}", s.path.display(), s.reason);
    }
    super::EXIT_CLEAN
}

/// `--show-settings PATH`: what applies to `path`, as Ruff prints it.
fn show_settings(path: &Path, source: SettingsSource<'_>) -> u8 {
    use std::fmt::Write as _;
    let found =
        match crate::discover::discover_with(std::slice::from_ref(&path.to_path_buf()), source) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("error: {e}");
                return super::EXIT_ERROR;
            }
        };
    let file = found.files.iter().find(|f| f.path == path);
    // A directory's own project: the first one found for it (its closest configuration).
    let Some(project) = file
        .map(|f| &found.projects[f.project])
        .or_else(|| found.projects.first())
    else {
        eprintln!("error: no project found for {}", path.display());
        return super::EXIT_ERROR;
    };
    let s = &project.settings;
    let list = |items: Vec<String>| format!("[{}]", items.join(", "));
    let quoted = |items: &[String]| list(items.iter().map(|i| format!("{i:?}")).collect());
    let mut out = String::new();
    let _ = writeln!(out, "Resolved settings for: {}", path.display());
    let _ = writeln!(
        out,
        "Configuration file: {}",
        match (&project.config, source) {
            (Some(c), _) => c.display().to_string(),
            (None, SettingsSource::Fixed(_)) =>
                "given on the command line (--config or --isolated)".to_string(),
            (None, SettingsSource::Closest(_)) => "none (defaults)".to_string(),
        }
    );
    let _ = writeln!(out, "Project root: {}", project.root.display());
    let _ = writeln!(out, "Source roots (most specific first):");
    for r in &project.source_roots {
        let _ = writeln!(out, "  {}", r.display());
    }
    if let Some(f) = file {
        let _ = writeln!(
            out,
            "Module: {}{}",
            f.module,
            if f.is_package { " (package)" } else { "" }
        );
    }
    let _ = writeln!(
        out,
        "target-versions = {}",
        list(
            s.target_versions
                .iter()
                .map(|v| format!("\"{v}\""))
                .collect()
        )
    );
    let _ = writeln!(
        out,
        "platforms = {}",
        // As the configuration spells them.
        list(
            s.platforms
                .iter()
                .map(|p| format!("\"{}\"", format!("{p:?}").to_lowercase()))
                .collect()
        )
    );
    let _ = writeln!(
        out,
        "enabled-rules = {}",
        list(
            s.selection
                .enabled()
                .iter()
                .map(|c| format!("\"{c}\""))
                .collect()
        )
    );
    let _ = writeln!(out, "per-file-ignores = {{");
    for p in &s.selection.per_file_ignores {
        let codes: Vec<String> = p.codes().iter().map(|c| format!("\"{c}\"")).collect();
        let _ = writeln!(out, "  {:?} = {},", p.pattern, list(codes));
    }
    let _ = writeln!(out, "}}");
    let _ = writeln!(out, "exclude = {}", quoted(&s.exclude));
    let _ = writeln!(out, "entry = {}", quoted(&s.entry_globs));
    let paths = |ps: &[PathBuf]| {
        list(
            ps.iter()
                .map(|p| format!("{:?}", p.display().to_string()))
                .collect(),
        )
    };
    let _ = writeln!(out, "src = {}", paths(&s.src));
    let _ = writeln!(out, "knowledge = {}", paths(&s.knowledge_files));
    let _ = writeln!(out, "show-info = {}", s.show_info);
    let _ = writeln!(
        out,
        "follow-external-symlinks = {}",
        s.follow_external_symlinks
    );
    let _ = std::io::stdout().lock().write_all(out.as_bytes());
    super::EXIT_CLEAN
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
fn fixable_line(findings: &[report::Finding], fixing: bool, unsafe_fixes: bool) -> Option<String> {
    let shown = || {
        findings
            .iter()
            .map(|(_, d)| *d)
            .filter(|d| d.severity > Severity::Info)
    };
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
    let mut stdout = stdout();
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
    source: SettingsSource<'_>,
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
    let outcome = crate::check_overlaid(paths, source, &overlay)?;
    Ok((written, (outcome, total)))
}

/// The report (findings or statistics) in the chosen format.
fn render(
    args: &CheckArgs,
    output_format: OutputFormat,
    findings: &[report::Finding],
    ran: &[&'static Rule],
    notices: &[report::Notice],
    color: bool,
    unsafe_fixes: bool,
) -> std::io::Result<String> {
    if args.statistics {
        let stats = report::statistics(findings.iter().map(|(_, d)| *d));
        return Ok(match output_format {
            OutputFormat::Json => json::render_statistics(&stats),
            _ => report::statistics_text(&stats),
        });
    }
    output_format.render(&report::Report {
        findings,
        rules: ran,
        notices,
        root: &std::env::current_dir()?,
        color,
        unsafe_fixes,
    })
}
