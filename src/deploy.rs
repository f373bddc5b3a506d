//! How a project deploys gunicorn and Celery workers, learnt statically from its deployment
//! files: which app it loads, whether the app is imported in a process that then forks
//! (gunicorn's `preload_app`, Celery's prefork pool), and which worker class or pool runs it.
//! [`deployments`] finds both, [`gunicorn_deployments`] gunicorn's only.
//!
//! Why: with `preload_app` (`--preload`) gunicorn imports the app module in the master, in
//! `Arbiter.setup()`, and then forks every worker from the master, again on every worker
//! restart (`arbiter.py:163-164`, `:727-754`, rules/research/gevent-eventlet-gunicorn.md
//! §5.1). A thread started when the app is imported then runs in the master at every fork: it
//! is absent from every worker and any lock it holds is orphaned there (FL201/FL202). Without
//! preload each worker imports the app after its fork, and there is no hazard.
//!
//! What is read (nothing is run): gunicorn command lines in `Procfile`s, Dockerfiles, compose
//! files, shell scripts, Makefiles, systemd units, supervisord configuration and App Engine's
//! `app.yaml`; `GUNICORN_CMD_ARGS` set in the same file; and the gunicorn configuration file
//! that applies, parsed (top-level literal assignments only). Settings combine as gunicorn
//! combines them (`app/base.py:154-199`, research note §5.5), lowest to highest:
//! the configuration file (named by `-c`, else `./gunicorn.conf.py`), then
//! `GUNICORN_CMD_ARGS` (split with `shlex`, `config.py:85-87`), then the command line.
//!
//! Celery workers ([`Server::CeleryWorker`]) have the same shape. `celery -A proj worker`
//! imports the app module in the worker's main process: the `celery` group resolves `-A` with
//! `find_app` before it runs the subcommand (`celery/bin/celery.py`, Celery 5.6). With the
//! default `prefork` pool (`-P/--pool`, `default='prefork'`, `celery/bin/worker.py`) that
//! process then forks the pool's children through billiard, and forks a replacement whenever a
//! child exits, for instance after `--max-tasks-per-child` tasks (docs.celeryq.dev, User Guide
//! "Workers", "Max tasks per child setting"). A thread started when `proj` is imported is
//! running in the parent at every such fork, so a prefork worker is `Preload::On` at its
//! command line, always. `solo` runs tasks in the main process, `threads` in a thread pool,
//! `gevent`/`eventlet` in greenlets (User Guide "Concurrency"): no fork, `Preload::Off`.
//!
//! What is read for Celery: `celery` command lines in the same files, through the same
//! launchers (`python -m celery`, `poetry run celery`, `.../bin/celery`); only the `worker`
//! subcommand, and `multi start|restart` (and Celery 4's `stagedrestart`), which run
//! `python -m celery worker --detach` for each node (`celery/apps/multi.py`), are
//! deployments (`beat`, `flower`, `inspect`, ... are not). The app comes from `-A/--app`
//! (before the subcommand as Celery 5 wants it, or after it as Celery 4 accepted), else from
//! `CELERY_APP` set in the same file (the CLI reference: "`APP` becomes `CELERY_APP`");
//! `--workdir` is reported as `chdir`. Celery's option table (which options take a value) is
//! Celery 5.6's (`CELERY_VALUE_OPTIONS`).
//!
//! Not read for Celery: the app's own `worker_pool` setting, which replaces the default
//! `prefork` when the command line gives none or `prefork` (`WorkersPool.convert`), so a
//! worker configured for another pool in code is still reported as prefork; `multi`'s
//! node-specific options (`-P:w1 gevent`); a custom pool's class (`CELERY_CUSTOM_WORKER_POOL`);
//! the pool of Windows, which spawns rather than forks; an `EnvironmentFile=` or
//! `/etc/default/celeryd` holding `CELERY_APP`; and `app.worker_main()` started from Python.
//!
//! Everything here is a best-effort hint: a file that cannot be read or decoded, or a line that
//! cannot be understood, contributes nothing; nothing is an error.

use std::path::{Component, Path, PathBuf};

use ruff_python_ast::{Expr, Stmt};
use ruff_source_file::LineIndex;
use ruff_text_size::Ranged;

/// A place in a deployment file: path relative to the project root, 1-based line.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Origin {
    pub path: PathBuf,
    pub line: u32,
}

/// The WSGI app gunicorn loads: `module:attr`, or `module:attr(...)` for a factory.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AppSpec {
    /// The dotted module name (`svc.app`).
    pub module: String,
    /// The attribute or factory name (`app`, `create_app`); `application` when not given.
    pub attr: String,
    /// `svc.app:create_app()`: gunicorn calls the factory when it loads the app, so the
    /// factory's body is load-time code too (`util.py:412+`).
    pub factory: bool,
}

/// Whether gunicorn imports the app in the master before forking the workers.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Preload {
    /// Off, or unknown (a non-literal `preload_app = ...`): gunicorn's default is off.
    Off,
    /// On: where it was switched on (the command line, the `GUNICORN_CMD_ARGS` line, or the
    /// configuration file's `preload_app` line), the source that wins by gunicorn's precedence.
    On(Origin),
}

/// The program a deployment runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Server {
    /// `gunicorn`: the master forks the workers.
    Gunicorn,
    /// `celery worker`: the worker's main process forks the prefork pool's children.
    CeleryWorker,
}

/// One way the project runs gunicorn or a Celery worker.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Deployment {
    /// The command line (or configuration file) that defines it.
    pub origin: Origin,
    pub server: Server,
    /// `None`: not given, or dynamic (`--paste`, `$APP_MODULE`, a non-literal `wsgi_app`).
    pub app: Option<AppSpec>,
    /// Celery: `On(the command line)` with the prefork pool, which always imports the app in
    /// the parent before it forks; `Off` with any other pool.
    pub preload: Preload,
    /// Normalised: "sync", "gthread", "gevent", "eventlet", "tornado", or the raw value
    /// (`uvicorn.workers.UvicornWorker`). `None`: not given, gunicorn's default `sync`.
    /// Celery: the pool, always given: "prefork" (also when not given, Celery's default),
    /// "solo", "threads", "gevent", "eventlet", or the raw value (`custom`, `$POOL`).
    pub worker_class: Option<String>,
    /// The gunicorn configuration file that applies, root-relative, when it is in the project.
    pub config_file: Option<PathBuf>,
    /// `--chdir`/`chdir` as written: gunicorn changes to it, and puts it first on `sys.path`,
    /// before it imports the app (`app/base.py:83-90`). Often a path of the deployed machine
    /// (`/app/src`), so it is not resolved here. Celery: `--workdir`, which `celery` changes
    /// to (an eager option, before the app is found).
    pub chdir: Option<String>,
}

/// Directory levels walked below the root: `a/b/Dockerfile` is found, `a/b/c/Dockerfile` not.
const MAX_DEPTH: usize = 3;
/// Deployment files are small; anything larger is not one.
const MAX_FILE_SIZE: u64 = 1 << 20;
/// Directories that hold other people's code or tooling, never the project's deployment.
const SKIPPED_DIRS: &[&str] = &["node_modules", "site-packages", "venv", "__pycache__"];
/// gunicorn reads extra command-line arguments from this environment variable.
const ENV_VAR: &str = "GUNICORN_CMD_ARGS";
/// The `celery` command reads its `--app` from this environment variable when the option is
/// not given: the option has `envvar='APP'` and `main()` runs the group with
/// `auto_envvar_prefix="CELERY"` (`celery/bin/celery.py`; the CLI reference,
/// docs.celeryq.dev/en/stable/reference/cli.html: "`APP` becomes `CELERY_APP`").
const CELERY_APP_VAR: &str = "CELERY_APP";
/// The environment variables a deployment file may set that matter here.
const ENV_VARS: &[&str] = &[ENV_VAR, CELERY_APP_VAR];
/// The configuration file gunicorn reads from its working directory when no `-c` is given
/// (`config.py:616-621`).
const DEFAULT_CONFIG: &str = "gunicorn.conf.py";
/// How deep `sh -c "..."` may nest before the scan stops looking inside.
const MAX_NESTING: usize = 3;

/// Every gunicorn and Celery worker deployment the files under `root` describe, ordered by
/// origin, without duplicates.
pub fn deployments(root: &Path) -> Vec<Deployment> {
    let mut out = Vec::new();
    for (rel, kind) in deployment_files(root) {
        let Some(text) = read_small_text(&root.join(&rel)) else {
            continue;
        };
        let scan = scan_file(kind, &text);
        out.extend(scan.invocations.iter().filter_map(|inv| match inv.server {
            Server::Gunicorn => Some(resolve_invocation(root, &rel, inv, &scan.env)),
            Server::CeleryWorker => resolve_celery(&rel, inv, &scan.celery_app),
        }));
    }
    // (A Celery deployment has no configuration file: it never claims `gunicorn.conf.py`.)
    out.extend(root_config_deployment(root, &out));
    out.sort();
    out.dedup();
    out
}

/// Every gunicorn deployment the files under `root` describe, ordered by origin, without
/// duplicates.
pub fn gunicorn_deployments(root: &Path) -> Vec<Deployment> {
    let mut out = deployments(root);
    out.retain(|d| d.server == Server::Gunicorn);
    out
}

// ---------------------------------------------------------------------------------------------
// Finding the files

/// The kinds of file that hold gunicorn and celery command lines, each with its own syntax.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileKind {
    Procfile,
    Dockerfile,
    /// docker compose files and App Engine's `app.yaml`: `command:`/`entrypoint:` keys.
    Yaml,
    Shell,
    Makefile,
    Systemd,
    Supervisord,
}

fn file_kind(name: &str) -> Option<FileKind> {
    let yaml = name.ends_with(".yml") || name.ends_with(".yaml");
    Some(match name {
        "Procfile" => FileKind::Procfile,
        _ if name.starts_with("Procfile.") => FileKind::Procfile,
        "Dockerfile" | "Containerfile" => FileKind::Dockerfile,
        _ if name.starts_with("Dockerfile.")
            || name.starts_with("Containerfile.")
            || name.ends_with(".Dockerfile") =>
        {
            FileKind::Dockerfile
        }
        "app.yaml" | "app.yml" => FileKind::Yaml,
        _ if yaml && (name.starts_with("docker-compose") || name.starts_with("compose")) => {
            FileKind::Yaml
        }
        "Makefile" | "makefile" | "GNUmakefile" => FileKind::Makefile,
        _ if name.ends_with(".sh") => FileKind::Shell,
        _ if name.ends_with(".service") => FileKind::Systemd,
        _ if name.ends_with(".conf") => FileKind::Supervisord,
        _ => return None,
    })
}

/// Root-relative paths of the deployment files, in name order. Symbolic links are not
/// followed (a link could lead out of the project), and neither vendored nor hidden
/// directories are entered.
fn deployment_files(root: &Path) -> Vec<(PathBuf, FileKind)> {
    walkdir::WalkDir::new(root)
        .max_depth(MAX_DEPTH)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !is_skipped_dir(e))
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| {
            let kind = file_kind(e.file_name().to_str()?)?;
            let rel = e.path().strip_prefix(root).ok()?.to_path_buf();
            Some((rel, kind))
        })
        .collect()
}

fn is_skipped_dir(entry: &walkdir::DirEntry) -> bool {
    let name = entry.file_name().to_str().unwrap_or("");
    entry.file_type().is_dir() && (name.starts_with('.') || SKIPPED_DIRS.contains(&name))
}

/// The text of a regular file of at most [`MAX_FILE_SIZE`] bytes, if it is UTF-8.
fn read_small_text(path: &Path) -> Option<String> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    if !meta.is_file() || meta.len() > MAX_FILE_SIZE {
        return None;
    }
    String::from_utf8(std::fs::read(path).ok()?).ok()
}

// ---------------------------------------------------------------------------------------------
// Scanning a file for gunicorn invocations and GUNICORN_CMD_ARGS

/// A gunicorn or celery command: the words after `gunicorn`/`celery` (or `python -m ...`).
#[derive(Debug, Clone)]
struct Invocation {
    line: u32,
    server: Server,
    args: Vec<String>,
}

/// A value given to `GUNICORN_CMD_ARGS` or `CELERY_APP`.
#[derive(Debug, Clone)]
struct EnvArgs {
    line: u32,
    value: String,
}

#[derive(Debug, Default)]
struct FileScan {
    invocations: Vec<Invocation>,
    /// `GUNICORN_CMD_ARGS` values.
    env: Vec<EnvArgs>,
    /// `CELERY_APP` values.
    celery_app: Vec<EnvArgs>,
}

impl FileScan {
    /// Records a value of one of [`ENV_VARS`]; other variables are ignored.
    fn record_var(&mut self, line: u32, name: &str, value: &str) {
        let values = match name {
            ENV_VAR => &mut self.env,
            CELERY_APP_VAR => &mut self.celery_app,
            _ => return,
        };
        values.push(EnvArgs {
            line,
            value: value.to_string(),
        });
    }
}

fn scan_file(kind: FileKind, text: &str) -> FileScan {
    let mut scan = FileScan::default();
    match kind {
        FileKind::Procfile => scan_procfile(text, &mut scan),
        FileKind::Dockerfile => scan_dockerfile(text, &mut scan),
        FileKind::Yaml => scan_yaml(text, &mut scan),
        FileKind::Shell => {
            for (line, command) in logical_lines(text) {
                scan_shell_line(line, &command, &mut scan);
            }
        }
        FileKind::Makefile => scan_makefile(text, &mut scan),
        FileKind::Systemd => scan_systemd(text, &mut scan),
        FileKind::Supervisord => scan_supervisord(text, &mut scan),
    }
    scan
}

fn line_number(index: usize) -> u32 {
    u32::try_from(index + 1).unwrap_or(u32::MAX)
}

/// Lines joined across `\` continuations, with the number of their first line. Comment-only
/// lines are dropped (inside a continuation too, as Docker drops them).
fn logical_lines(text: &str) -> Vec<(u32, String)> {
    let mut out = Vec::new();
    let mut pending: Option<(u32, String)> = None;
    for (i, raw) in text.lines().enumerate() {
        let trimmed = raw.trim_start();
        if trimmed.starts_with('#') || (pending.is_some() && trimmed.is_empty()) {
            continue;
        }
        let (body, continues) = match raw.trim_end().strip_suffix('\\') {
            Some(body) => (body, true),
            None => (raw, false),
        };
        let (start, mut joined) = pending.take().unwrap_or((line_number(i), String::new()));
        joined.push_str(body);
        joined.push(' ');
        if continues {
            pending = Some((start, joined));
        } else {
            out.push((start, joined));
        }
    }
    out.extend(pending);
    out
}

/// Shell words of a command line. Unbalanced quotes end the words where the error is (the
/// words before it are kept: a best-effort hint). `cmd;` and `a&&` are split so that the
/// operator is a word of its own.
fn shell_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    for word in shlex::Shlex::new(text) {
        match ["&&", "||", ";"]
            .iter()
            .find(|op| word.len() > op.len() && word.ends_with(*op))
        {
            Some(op) => {
                words.push(word[..word.len() - op.len()].to_string());
                words.push((*op).to_string());
            }
            None => words.push(word),
        }
    }
    words
}

fn scan_shell_line(line: u32, text: &str, scan: &mut FileScan) {
    scan_words(line, &shell_words(text), scan, 0);
}

/// Scans each simple command of a list of words (`a && b; c | d`).
fn scan_words(line: u32, words: &[String], scan: &mut FileScan, nesting: usize) {
    for command in words.split(|w| is_operator(w)) {
        scan_simple_command(line, command, scan, nesting);
    }
}

/// Words that end a simple command. Redirections end the gunicorn arguments too: they are
/// the shell's, and gunicorn's arguments come before them in practice.
fn is_operator(word: &str) -> bool {
    matches!(
        word,
        "&&" | "||" | ";" | "|" | "&" | "|&" | ";;" | "(" | ")" | "{" | "}"
    ) || word.starts_with('>')
        || word.starts_with('<')
        || word.starts_with("2>")
        || word.starts_with("1>")
        || word.starts_with("&>")
}

/// One simple command: leading `VAR=value` assignments, launchers (`exec`, `poetry run`, ...),
/// then the command. Only `gunicorn` or `celery` in command position counts, so that `pip
/// install gunicorn` or `echo celery` do not.
fn scan_simple_command(line: u32, words: &[String], scan: &mut FileScan, nesting: usize) {
    let mut i = 0;
    while let Some(word) = words.get(i) {
        if let Some((name, value)) = assignment(word) {
            scan.record_var(line, name, value);
            i += 1;
            continue;
        }
        if matches!(
            word.as_str(),
            "export" | "declare" | "typeset" | "readonly" | "local"
        ) {
            record_assignments(line, &words[i + 1..], scan);
            return;
        }
        if let Some((server, args_at)) = program_args_start(words, i) {
            let args = words.get(args_at..).unwrap_or_default().to_vec();
            scan.invocations.push(Invocation { line, server, args });
            return;
        }
        if is_shell(word) {
            if let Some(script) = shell_c_script(words, i)
                && nesting < MAX_NESTING
            {
                scan_words(line, &shell_words(script), scan, nesting + 1);
            }
            return;
        }
        match launcher_len(words, i) {
            Some(n) => i = skip_launcher_options(words, i + n),
            None => return,
        }
    }
}

fn record_assignments(line: u32, words: &[String], scan: &mut FileScan) {
    for (name, value) in words.iter().filter_map(|w| assignment(w)) {
        scan.record_var(line, name, value);
    }
}

/// `NAME=value` (a shell variable assignment) as its name and value.
fn assignment(word: &str) -> Option<(&str, &str)> {
    let (name, value) = word.split_once('=')?;
    let mut chars = name.chars();
    let first = chars.next()?;
    ((first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_'))
    .then_some((name, value))
}

fn basename(word: &str) -> &str {
    word.rsplit('/').next().unwrap_or(word)
}

/// `name` or a path ending in `/name` (`./venv/bin/gunicorn`).
fn is_program(word: &str, name: &str) -> bool {
    basename(word) == name
}

/// `python`, `python3`, `python3.12`, `/srv/venv/bin/python3`.
fn is_python(word: &str) -> bool {
    basename(word)
        .strip_prefix("python")
        .is_some_and(|v| v.chars().all(|c| c.is_ascii_digit() || c == '.'))
}

fn is_shell(word: &str) -> bool {
    matches!(basename(word), "sh" | "bash" | "dash" | "ash" | "zsh")
}

/// The program names that start a deployment's command, with the server each runs.
const PROGRAMS: &[(&str, Server)] = &[
    ("gunicorn", Server::Gunicorn),
    ("celery", Server::CeleryWorker),
];

/// Which server `words[i]` starts, and where the program's own arguments start: `gunicorn ...`,
/// `.../bin/celery ...`, `python [-u ...] -m gunicorn ...`. (A celery command is only a
/// candidate here: its subcommand decides, [`resolve_celery`].)
fn program_args_start(words: &[String], i: usize) -> Option<(Server, usize)> {
    let word = words.get(i)?;
    let server_named = |name: &str| PROGRAMS.iter().find(|(n, _)| *n == name).map(|p| p.1);
    if let Some(&(_, server)) = PROGRAMS.iter().find(|(name, _)| is_program(word, name)) {
        return Some((server, i + 1));
    }
    if !is_python(word) {
        return None;
    }
    let mut j = i + 1;
    loop {
        let option = words.get(j)?;
        match option.as_str() {
            "-m" => return Some((server_named(words.get(j + 1)?)?, j + 2)),
            // The interpreter's options that take a value.
            "-X" | "-W" => j += 2,
            _ if option.starts_with("-m") => return Some((server_named(&option[2..])?, j + 1)),
            _ if option.starts_with('-') => j += 1,
            _ => return None,
        }
    }
}

/// The script of `sh -c 'script'` (also `bash -lc`, `sh -ec`).
fn shell_c_script(words: &[String], i: usize) -> Option<&str> {
    let mut j = i + 1;
    while let Some(option) = words.get(j) {
        if !option.starts_with('-') {
            return None;
        }
        if !option.starts_with("--") && option.contains('c') {
            return words.get(j + 1).map(String::as_str);
        }
        j += 1;
    }
    None
}

/// How many words a program that runs another command takes before that command's
/// options: `exec`, `env`, `tini`, `ddtrace-run`, ... one; `poetry run`, `uv run`, ... two.
fn launcher_len(words: &[String], i: usize) -> Option<usize> {
    let word = basename(words.get(i)?);
    let next = words.get(i + 1).map(String::as_str);
    match word {
        "exec"
        | "nohup"
        | "env"
        | "time"
        | "sudo"
        | "tini"
        | "dumb-init"
        | "ddtrace-run"
        | "opentelemetry-instrument"
        | "then"
        | "do"
        | "else"
        | "!" => Some(1),
        "poetry" | "uv" | "pipenv" | "pdm" | "hatch" | "rye" if next == Some("run") => Some(2),
        "newrelic-admin" if next == Some("run-program") => Some(2),
        _ => None,
    }
}

/// Skips a launcher's options. An option is taken to have a value when the word after it is
/// not recognisably the command (`sudo -u www gunicorn`, `uv run --with x gunicorn`): the
/// launchers' own option tables are not modelled, except for the user and group options of
/// `sudo`/`runuser`/`env -u`, which always take one: the user is often named after the
/// program (`sudo -u celery celery -A proj worker`).
fn skip_launcher_options(words: &[String], mut j: usize) -> usize {
    while let Some(option) = words.get(j) {
        if option == "--" {
            return j + 1;
        }
        if !option.starts_with('-') {
            break;
        }
        j += 1;
        let user_or_group = matches!(option.as_str(), "-u" | "-g" | "--user" | "--group");
        let takes_value = !option.contains('=')
            && words.get(j).is_some_and(|next| {
                !next.starts_with('-') && (user_or_group || !is_recognised_command(words, j))
            });
        if takes_value {
            j += 1;
        }
    }
    j
}

fn is_recognised_command(words: &[String], j: usize) -> bool {
    words.get(j).is_some_and(|w| {
        program_args_start(words, j).is_some()
            || is_python(w)
            || is_shell(w)
            || assignment(w).is_some()
            || launcher_len(words, j).is_some()
    })
}

// --- Procfile

/// `web: gunicorn ...`: a process type, a colon, then the command.
fn scan_procfile(text: &str, scan: &mut FileScan) {
    for (i, raw) in text.lines().enumerate() {
        if let Some((name, command)) = raw.split_once(':')
            && is_process_type(name.trim())
        {
            scan_shell_line(line_number(i), command, scan);
        }
    }
}

fn is_process_type(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

// --- Dockerfile

/// A Dockerfile `CMD`/`ENTRYPOINT`/`RUN` in exec form (a JSON array) or shell form.
#[derive(Debug, Clone)]
enum DockerForm {
    Exec(Vec<String>),
    Shell(String),
}

impl DockerForm {
    /// Docker takes an argument that is not a valid JSON array of strings as shell form.
    fn parse(rest: &str) -> DockerForm {
        let rest = rest.trim();
        if rest.starts_with('[')
            && let Ok(words) = serde_json::from_str::<Vec<String>>(rest)
        {
            return DockerForm::Exec(words);
        }
        DockerForm::Shell(rest.to_string())
    }

    fn scan(&self, line: u32, scan: &mut FileScan) {
        match self {
            DockerForm::Exec(words) => scan_words(line, words, scan, 0),
            DockerForm::Shell(text) => scan_shell_line(line, text, scan),
        }
    }
}

/// What one build stage's `ENTRYPOINT` and `CMD` are: an exec-form `CMD` is the default
/// arguments of an exec-form `ENTRYPOINT` (`ENTRYPOINT ["gunicorn"]` + `CMD ["svc.app:app"]`).
#[derive(Default)]
struct DockerStage {
    /// The invocation an exec-form `ENTRYPOINT` started, if it is gunicorn.
    entrypoint: Option<usize>,
    /// The last exec-form `CMD` that was not itself a gunicorn command.
    cmd_args: Option<Vec<String>>,
}

impl DockerStage {
    fn finish(self, scan: &mut FileScan) {
        if let Some(index) = self.entrypoint
            && let Some(args) = self.cmd_args
            && let Some(invocation) = scan.invocations.get_mut(index)
        {
            invocation.args.extend(args);
        }
    }
}

fn scan_dockerfile(text: &str, scan: &mut FileScan) {
    let mut stage = DockerStage::default();
    for (line, instruction) in logical_lines(text) {
        let instruction = instruction.trim();
        let (keyword, rest) = instruction
            .split_once(char::is_whitespace)
            .unwrap_or((instruction, ""));
        let before = scan.invocations.len();
        match keyword.to_ascii_uppercase().as_str() {
            "FROM" => std::mem::take(&mut stage).finish(scan),
            "ENV" => scan_docker_env(line, rest, scan),
            "RUN" => DockerForm::parse(skip_run_flags(rest)).scan(line, scan),
            "CMD" => {
                let form = DockerForm::parse(rest);
                form.scan(line, scan);
                match form {
                    DockerForm::Exec(words) if scan.invocations.len() == before => {
                        stage.cmd_args = Some(words);
                    }
                    _ => stage.cmd_args = None,
                }
            }
            "ENTRYPOINT" => {
                let form = DockerForm::parse(rest);
                form.scan(line, scan);
                let started = scan.invocations.len() > before;
                stage.entrypoint = (started && matches!(form, DockerForm::Exec(_)))
                    .then(|| scan.invocations.len() - 1);
            }
            _ => {}
        }
    }
    stage.finish(scan);
}

/// `RUN --mount=... --network=... command`: the flags are Docker's, not the command's.
fn skip_run_flags(mut rest: &str) -> &str {
    loop {
        rest = rest.trim_start();
        if !rest.starts_with("--") {
            return rest;
        }
        rest = rest.split_once(char::is_whitespace).map_or("", |(_, r)| r);
    }
}

/// `ENV GUNICORN_CMD_ARGS="..." OTHER=x` and the older `ENV GUNICORN_CMD_ARGS value words`
/// (`CELERY_APP` likewise).
fn scan_docker_env(line: u32, rest: &str, scan: &mut FileScan) {
    let rest = rest.trim();
    let first = rest.split_whitespace().next().unwrap_or("");
    if first.contains('=') {
        record_assignments(line, &shell_words(rest), scan);
    } else if let Some(value) = rest.strip_prefix(first)
        && value.starts_with(char::is_whitespace)
    {
        // Docker processes the value's quotes like a shell word's.
        scan.record_var(line, first, &shell_words(value).join(" "));
    }
}

// --- YAML: docker compose, App Engine

/// `command:`/`entrypoint:` (a string, a flow sequence, or a block sequence of words) and
/// `GUNICORN_CMD_ARGS` in `environment:` (`- GUNICORN_CMD_ARGS=...` or
/// `GUNICORN_CMD_ARGS: "..."`). Line-based, without a YAML parser: a block scalar
/// (`command: >` or `|`) is out of scope, and the variable applies to every command of the
/// file, not only its service's.
fn scan_yaml(text: &str, scan: &mut FileScan) {
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while let Some(raw) = lines.get(i) {
        let line = line_number(i);
        i += 1;
        if let Some(value) = yaml_command_value(raw) {
            match value.chars().next() {
                None => {
                    let (words, next) = yaml_block_sequence(&lines, i, indent(raw));
                    scan_words(line, &words, scan, 0);
                    i = next;
                }
                Some('[') => {
                    let (flow, next) = yaml_flow_text(&lines, i, value);
                    scan_words(line, &yaml_flow_items(&flow), scan, 0);
                    i = next;
                }
                Some('>' | '|') => {}
                Some(_) => scan_shell_line(line, &yaml_scalar(value), scan),
            }
        } else {
            scan_yaml_env(line, raw, scan);
        }
    }
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// The value of a `command:` or `entrypoint:` key, comment removed.
fn yaml_command_value(line: &str) -> Option<&str> {
    let key_and_value = line.trim_start();
    ["command", "entrypoint"].iter().find_map(|key| {
        let value = key_and_value.strip_prefix(key)?.trim_start();
        let value = value.strip_prefix(':')?;
        (value.is_empty() || value.starts_with(char::is_whitespace))
            .then(|| strip_yaml_comment(value).trim())
    })
}

/// A line without its ` # comment`, quotes respected.
fn strip_yaml_comment(text: &str) -> &str {
    let mut quote = None;
    let mut previous = ' ';
    for (at, c) in text.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), _) if q == c => quote = None,
            (None, '#') if previous.is_whitespace() => return &text[..at],
            _ => {}
        }
        previous = c;
    }
    text
}

/// A scalar without its quotes: JSON-like `"..."` escapes, `'...'` with `''` for `'`.
fn yaml_scalar(value: &str) -> String {
    let value = value.trim();
    if value.starts_with('"')
        && let Ok(s) = serde_json::from_str::<String>(value)
    {
        return s;
    }
    if let Some(inner) = value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')) {
        return inner.replace("''", "'");
    }
    value.trim_matches('"').to_string()
}

/// The `- word` items under a key at `key_indent`, and the index of the line after them.
fn yaml_block_sequence(lines: &[&str], mut i: usize, key_indent: usize) -> (Vec<String>, usize) {
    let mut words = Vec::new();
    while let Some(raw) = lines.get(i) {
        let item = raw.trim_start();
        if item.is_empty() || item.starts_with('#') {
            i += 1;
            continue;
        }
        let Some(value) = item.strip_prefix('-') else {
            break;
        };
        if indent(raw) < key_indent || !(value.is_empty() || value.starts_with(' ')) {
            break;
        }
        words.push(yaml_scalar(strip_yaml_comment(value)));
        i += 1;
    }
    (words, i)
}

/// A flow sequence, joined across lines until its `]`, and the index of the line after it.
fn yaml_flow_text(lines: &[&str], mut i: usize, first: &str) -> (String, usize) {
    let mut text = first.to_string();
    while !text.trim_end().ends_with(']')
        && let Some(raw) = lines.get(i)
    {
        text.push(' ');
        text.push_str(strip_yaml_comment(raw).trim());
        i += 1;
    }
    (text, i)
}

/// `["gunicorn", "--preload", app:app]`: as JSON when it is, else split at commas.
fn yaml_flow_items(flow: &str) -> Vec<String> {
    if let Ok(items) = serde_json::from_str::<Vec<String>>(flow) {
        return items;
    }
    let inner = flow.trim().trim_start_matches('[').trim_end_matches(']');
    inner
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(yaml_scalar)
        .collect()
}

fn scan_yaml_env(line: u32, raw: &str, scan: &mut FileScan) {
    let item = raw.trim_start();
    let item = item.strip_prefix('-').map_or(item, str::trim_start);
    let item = yaml_scalar(strip_yaml_comment(item));
    for name in ENV_VARS {
        let Some(rest) = item.strip_prefix(name) else {
            continue;
        };
        if let Some(value) = rest.strip_prefix('=') {
            scan.record_var(line, name, value);
        } else if let Some(value) = rest.trim_start().strip_prefix(':') {
            scan.record_var(line, name, &yaml_scalar(value));
        }
    }
}

// --- Makefile, systemd, supervisord

/// Recipe lines are shell lines (after make's `@`, `-`, `+` prefixes); outside recipes,
/// `[export] GUNICORN_CMD_ARGS = ...` (or `CELERY_APP`) is a make variable, passed on to
/// recipes when exported.
fn scan_makefile(text: &str, scan: &mut FileScan) {
    for (line, logical) in logical_lines(text) {
        if let Some(recipe) = logical.strip_prefix('\t') {
            let command = recipe.trim_start_matches(['@', '-', '+', ' ', '\t']);
            scan_shell_line(line, command, scan);
        } else if let Some((name, value)) = make_variable_value(&logical) {
            scan.record_var(line, name, value);
        } else {
            scan_shell_line(line, &logical, scan);
        }
    }
}

fn make_variable_value(line: &str) -> Option<(&'static str, &str)> {
    let line = line.trim();
    let line = line.strip_prefix("export ").unwrap_or(line).trim_start();
    let line = line.strip_prefix("override ").unwrap_or(line).trim_start();
    ENV_VARS.iter().find_map(|name| {
        let rest = line.strip_prefix(name)?.trim_start();
        ["::=", ":=", "?=", "+=", "="]
            .iter()
            .find_map(|op| rest.strip_prefix(op))
            .map(|value| (*name, value.trim()))
    })
}

/// `ExecStart=` (after systemd's `-@:+!` prefixes) and `Environment=`.
fn scan_systemd(text: &str, scan: &mut FileScan) {
    for (line, logical) in logical_lines(text) {
        let (key, value) = logical.split_once('=').unwrap_or(("", ""));
        match key.trim() {
            "ExecStart" => {
                let command = value.trim_start_matches(['-', '@', ':', '+', '!', ' ']);
                scan_shell_line(line, command, scan);
            }
            "Environment" => record_assignments(line, &shell_words(value), scan),
            _ => {}
        }
    }
}

/// `command=` and `environment=KEY="value",KEY2=value` of supervisord program sections.
fn scan_supervisord(text: &str, scan: &mut FileScan) {
    for (i, raw) in text.lines().enumerate() {
        let line = line_number(i);
        let (key, value) = raw.split_once('=').unwrap_or(("", ""));
        match key.trim() {
            "command" => scan_shell_line(line, value, scan),
            "environment" => {
                for name in ENV_VARS {
                    if let Some(value) = supervisord_env_value(value, name) {
                        scan.record_var(line, name, value);
                    }
                }
            }
            _ => {}
        }
    }
}

fn supervisord_env_value<'a>(list: &'a str, name: &str) -> Option<&'a str> {
    let at = list.find(&format!("{name}="))?;
    let value = &list[at + name.len() + 1..];
    match value.chars().next() {
        Some(q @ ('"' | '\'')) => {
            let inner = &value[1..];
            Some(inner.split(q).next().unwrap_or(inner))
        }
        _ => Some(value.split(',').next().unwrap_or(value).trim()),
    }
}

// ---------------------------------------------------------------------------------------------
// gunicorn's command line

/// The settings of one gunicorn argument list (a command line or `GUNICORN_CMD_ARGS`) that
/// matter here.
#[derive(Debug, Clone, Default)]
struct Args {
    preload: bool,
    config: Option<String>,
    worker_class: Option<String>,
    /// `Some(None)`: given, but not a number (`--threads $THREADS`).
    threads: Option<Option<u32>>,
    chdir: Option<String>,
    paste: bool,
    /// The first positional argument: gunicorn takes `args[0]` as the app
    /// (`app/wsgiapp.py:33-35`).
    app: Option<String>,
}

/// gunicorn's options that take a value (gunicorn 26's `config.py`, settings with a `cli` and
/// no `store_true`/`store_const` action), and those from earlier releases.
const VALUE_OPTIONS: &[&str] = &[
    "-c",
    "--config",
    "-b",
    "--bind",
    "--backlog",
    "-w",
    "--workers",
    "-k",
    "--worker-class",
    "--threads",
    "--worker-connections",
    "--max-requests",
    "--max-requests-jitter",
    "-t",
    "--timeout",
    "--graceful-timeout",
    "--keep-alive",
    "--limit-request-line",
    "--limit-request-fields",
    "--limit-request-field_size",
    "--reload-engine",
    "--reload-extra-file",
    "--chdir",
    "-e",
    "--env",
    "-p",
    "--pid",
    "--worker-tmp-dir",
    "-u",
    "--user",
    "-g",
    "--group",
    "-m",
    "--umask",
    "--forwarded-allow-ips",
    "--access-logfile",
    "--access-logformat",
    "--error-logfile",
    "--log-file",
    "--log-level",
    "--logger-class",
    "--log-config",
    "--log-config-dict",
    "--log-config-json",
    "--log-syslog-to",
    "--log-syslog-prefix",
    "--log-syslog-facility",
    "--statsd-host",
    "--dogstatsd-tags",
    "--statsd-prefix",
    "-n",
    "--name",
    "--pythonpath",
    "--paste",
    "--paster",
    "--proxy-allow-from",
    "--protocol",
    "--uwsgi-allow-from",
    "--keyfile",
    "--certfile",
    "--ssl-version",
    "--cert-reqs",
    "--ca-certs",
    "--ciphers",
    "--http-protocols",
    "--http2-cleartext",
    "--http2-max-concurrent-streams",
    "--http2-initial-window-size",
    "--http2-max-frame-size",
    "--http2-max-header-list-size",
    "--paste-global",
    "--forwarder-headers",
    "--header-map",
    "--asgi-loop",
    "--asgi-lifespan",
    "--asgi-disconnect-grace-period",
    "--http-parser",
    "--root-path",
    "--dirty-app",
    "--dirty-workers",
    "--dirty-timeout",
    "--dirty-threads",
    "--dirty-graceful-timeout",
    "--control-socket",
    "--control-socket-mode",
];

/// gunicorn's options without a value. `--proxy-protocol` takes an optional one (`nargs="?"`,
/// a plain flag before 26).
const FLAG_OPTIONS: &[&str] = &[
    "-h",
    "--help",
    "-v",
    "--version",
    "--reload",
    "--spew",
    "--check-config",
    "--print-config",
    "--preload",
    "--no-sendfile",
    "--reuse-port",
    "-D",
    "--daemon",
    "--initgroups",
    "--disable-redirect-access-to-syslog",
    "--capture-output",
    "--log-syslog",
    "-R",
    "--enable-stdio-inheritance",
    "--enable-backlog-metric",
    "--suppress-ragged-eofs",
    "--do-handshake-on-connect",
    "--permit-obsolete-folding",
    "--strip-header-spaces",
    "--permit-unconventional-http-method",
    "--permit-unconventional-http-version",
    "--casefold-http-method",
    "--no-control-socket",
    "--proxy-protocol",
];

/// The values `--proxy-protocol`'s optional argument takes (`validate_proxy_protocol`).
const PROXY_PROTOCOL_VALUES: &[&str] =
    &["off", "false", "0", "none", "true", "auto", "1", "v1", "v2"];

/// An option's full name: exact, or a unique prefix of a long option (argparse accepts
/// abbreviations, `allow_abbrev` being on). `None`: not one of gunicorn's options.
fn canonical_option(name: &str) -> Option<&'static str> {
    let all = || VALUE_OPTIONS.iter().chain(FLAG_OPTIONS).copied();
    if let Some(exact) = all().find(|o| *o == name) {
        return Some(exact);
    }
    if !name.starts_with("--") {
        return None;
    }
    let mut matches = all().filter(|o| o.starts_with(name));
    let first = matches.next()?;
    matches.next().is_none().then_some(first)
}

/// `--name=value` and `-kgevent` as the option and its attached value.
fn split_option(word: &str) -> (&str, Option<&str>) {
    if word.starts_with("--") {
        return match word.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (word, None),
        };
    }
    match (word.get(..2), word.get(2..)) {
        (Some(name), Some(value)) if !value.is_empty() && VALUE_OPTIONS.contains(&name) => {
            (name, Some(value))
        }
        _ => (word, None),
    }
}

/// gunicorn's argument list, as argparse reads it. An unknown option (gunicorn would reject
/// it) is passed over as a flag.
fn parse_gunicorn_args(words: &[String]) -> Args {
    let mut args = Args::default();
    let mut i = 0;
    let mut positional_only = false;
    while let Some(word) = words.get(i) {
        i += 1;
        if positional_only || !word.starts_with('-') || word == "-" {
            args.app.get_or_insert_with(|| word.clone());
            continue;
        }
        if word == "--" {
            positional_only = true;
            continue;
        }
        let (name, attached) = split_option(word);
        let Some(option) = canonical_option(name) else {
            continue;
        };
        let value = if option == "--proxy-protocol" {
            let optional = words
                .get(i)
                .filter(|v| PROXY_PROTOCOL_VALUES.contains(&v.to_ascii_lowercase().as_str()));
            i += usize::from(attached.is_none() && optional.is_some());
            None
        } else if VALUE_OPTIONS.contains(&option) {
            attached.map(str::to_string).or_else(|| {
                i += 1;
                words.get(i - 1).cloned()
            })
        } else {
            None
        };
        apply_option(&mut args, option, value);
    }
    args
}

fn apply_option(args: &mut Args, option: &str, value: Option<String>) {
    match option {
        "--preload" => args.preload = true,
        "-c" | "--config" => args.config = value,
        "-k" | "--worker-class" => args.worker_class = value,
        "--threads" => args.threads = Some(value.and_then(|v| parse_int(&v))),
        "--chdir" => args.chdir = value,
        "--paste" | "--paster" => args.paste = true,
        _ => {}
    }
}

/// An integer as Python's `int(val, 0)` reads the common cases (`4`, `0x10`).
fn parse_int(text: &str) -> Option<u32> {
    let text = text.trim().replace('_', "");
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

/// `GUNICORN_CMD_ARGS` values of a file, later ones overriding earlier ones. Its positional
/// arguments are ignored, as gunicorn ignores them (`app/base.py`: `if k == "args": continue`).
#[derive(Debug, Default)]
struct EnvSettings {
    /// The line of the first value with `--preload`.
    preload_line: Option<u32>,
    args: Args,
}

fn env_settings(env: &[EnvArgs]) -> EnvSettings {
    let mut out = EnvSettings::default();
    for value in env {
        let args = parse_gunicorn_args(&shell_words(&value.value));
        if args.preload {
            out.preload_line.get_or_insert(value.line);
        }
        let merged = &mut out.args;
        merged.config = args.config.or(merged.config.take());
        merged.worker_class = args.worker_class.or(merged.worker_class.take());
        merged.threads = args.threads.or(merged.threads.take());
        merged.chdir = args.chdir.or(merged.chdir.take());
        merged.paste |= args.paste;
    }
    out
}

/// `pkg.mod:app`, `pkg.mod:create_app()`, `pkg.mod:create_app(x=1)`, or `pkg.mod` (attribute
/// `application`), as gunicorn's `util.import_app` reads them. `None` for anything else
/// (`$APP_MODULE`, an attribute path, which gunicorn 26 rejects).
fn parse_app(spec: &str) -> Option<AppSpec> {
    let (module, object) = spec.split_once(':').unwrap_or((spec, "application"));
    if !module.split('.').all(crate::discover::is_identifier) {
        return None;
    }
    let object = object.trim();
    let (attr, factory) = match object.split_once('(') {
        Some((name, call)) if call.ends_with(')') => (name.trim(), true),
        Some(_) => return None,
        None => (object, false),
    };
    crate::discover::is_identifier(attr).then(|| AppSpec {
        module: module.to_string(),
        attr: attr.to_string(),
        factory,
    })
}

/// Worker-class names as gunicorn's `SUPPORTED_WORKERS` and `util.load_class` read them,
/// folded to the families that matter for threads; `threads > 1` turns sync into gthread
/// (`config.py:121-127`).
fn effective_worker_class(raw: Option<&str>, threads: Option<u32>) -> Option<String> {
    let normalised = raw.map(normalise_worker_class);
    let sync = normalised.as_deref().is_none_or(|w| w == "sync");
    if sync && threads.is_some_and(|t| t > 1) {
        return Some("gthread".to_string());
    }
    normalised
}

fn normalise_worker_class(raw: &str) -> String {
    let name = raw.strip_prefix("egg:gunicorn#").unwrap_or(raw);
    let name = name.trim_start_matches('#');
    let family = match name {
        "sync" => "sync",
        _ if name.ends_with("SyncWorker") => "sync",
        "gevent"
        | "gevent_wsgi"
        | "gevent_pywsgi"
        | "gunicorn.workers.ggevent.GeventWorker"
        | "gunicorn.workers.ggevent.GeventPyWSGIWorker" => "gevent",
        "eventlet" | "gunicorn.workers.geventlet.EventletWorker" => "eventlet",
        "gthread" | "gunicorn.workers.gthread.ThreadWorker" => "gthread",
        "tornado" | "gunicorn.workers.gtornado.TornadoWorker" => "tornado",
        _ => raw,
    };
    family.to_string()
}

// ---------------------------------------------------------------------------------------------
// The configuration file

/// A top-level assignment in the configuration file: its literal value (`None`: not a literal,
/// so unknown) and its line.
#[derive(Debug, Clone)]
struct Assigned<T> {
    value: Option<T>,
    line: u32,
}

/// The settings of a gunicorn configuration file that matter here; the last top-level
/// assignment of each wins, as when the file is executed. Assignments under `if`, in
/// functions or computed from other names are not followed.
#[derive(Debug, Default)]
struct ConfigValues {
    preload_app: Option<Assigned<bool>>,
    wsgi_app: Option<Assigned<String>>,
    worker_class: Option<Assigned<String>>,
    threads: Option<Assigned<u32>>,
    chdir: Option<Assigned<String>>,
}

fn read_config(root: &Path, rel: &Path) -> Option<ConfigValues> {
    let text = read_small_text(&root.join(rel))?;
    let parsed = ruff_python_parser::parse_module(&text).ok()?;
    let index = LineIndex::from_source_text(&text);
    let mut values = ConfigValues::default();
    for stmt in &parsed.syntax().body {
        let (targets, value): (Vec<&Expr>, &Expr) = match stmt {
            Stmt::Assign(a) => (a.targets.iter().collect(), &a.value),
            Stmt::AnnAssign(a) => match &a.value {
                Some(value) => (vec![&*a.target], value),
                None => continue,
            },
            _ => continue,
        };
        let line = u32::try_from(index.line_index(stmt.start()).get()).unwrap_or(u32::MAX);
        for target in targets {
            if let Expr::Name(name) = target {
                values.assign(name.id.as_str(), value, line);
            }
        }
    }
    Some(values)
}

impl ConfigValues {
    fn assign(&mut self, name: &str, value: &Expr, line: u32) {
        let string = || string_literal(value);
        match name {
            "preload_app" => {
                self.preload_app = Some(Assigned {
                    value: bool_literal(value),
                    line,
                })
            }
            "wsgi_app" => {
                self.wsgi_app = Some(Assigned {
                    value: string(),
                    line,
                })
            }
            "worker_class" => {
                self.worker_class = Some(Assigned {
                    value: string(),
                    line,
                })
            }
            "chdir" => {
                self.chdir = Some(Assigned {
                    value: string(),
                    line,
                })
            }
            "threads" => {
                self.threads = Some(Assigned {
                    value: int_literal(value),
                    line,
                })
            }
            _ => {}
        }
    }

    fn value<T: Clone>(setting: &Option<Assigned<T>>) -> Option<T> {
        setting.as_ref().and_then(|a| a.value.clone())
    }
}

fn string_literal(expr: &Expr) -> Option<String> {
    match expr {
        Expr::StringLiteral(s) => Some(s.value.to_str().to_string()),
        _ => None,
    }
}

/// `True`/`False`, and the strings `"true"`/`"false"` that `validate_bool` accepts.
fn bool_literal(expr: &Expr) -> Option<bool> {
    match expr {
        Expr::BooleanLiteral(b) => Some(b.value),
        _ => match string_literal(expr)?.trim().to_ascii_lowercase().as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
    }
}

/// An integer, or a string of one (`validate_pos_int` calls `int(val, 0)`).
fn int_literal(expr: &Expr) -> Option<u32> {
    match expr {
        Expr::NumberLiteral(n) => n
            .value
            .as_int()
            .and_then(|i| i.as_u64())
            .and_then(|i| u32::try_from(i).ok()),
        _ => parse_int(&string_literal(expr)?),
    }
}

/// The directories gunicorn may have been started in, root-relative: the deployment file's
/// own, then the root. (A Dockerfile's `WORKDIR` or a unit's `WorkingDirectory=` is a path of
/// the deployed machine, usually where the project was copied.)
fn working_dirs(file: &Path) -> Vec<PathBuf> {
    let mut dirs = vec![file.parent().map(Path::to_path_buf).unwrap_or_default()];
    if dirs[0] != Path::new("") {
        dirs.push(PathBuf::new());
    }
    dirs
}

/// The configuration file a deployment uses, root-relative, if it is in the project: the one
/// `-c` names (`PATH`, `file:PATH`, `python:MODULE`), else `gunicorn.conf.py` in the working
/// directory.
///
/// `--chdir` does not move the default file: gunicorn looks it up in `os.getcwd()` before it
/// applies the command line's `chdir` (`app/base.py` `load_config`: the first `self.chdir()`
/// uses the default, the working directory; `config.py:616-621`).
fn find_config(root: &Path, dirs: &[PathBuf], location: Option<&str>) -> Option<PathBuf> {
    let location = location.unwrap_or(DEFAULT_CONFIG);
    if let Some(module) = location.strip_prefix("python:") {
        let module_path: PathBuf = module.split('.').collect();
        let candidates = [
            module_path.with_extension("py"),
            module_path.join("__init__.py"),
        ];
        return dirs
            .iter()
            .flat_map(|d| candidates.iter().map(move |c| d.join(c)))
            .find_map(|c| in_project(root, &c));
    }
    let path = Path::new(location.strip_prefix("file:").unwrap_or(location));
    if path.is_absolute() {
        return absolute_in_project(root, path);
    }
    dirs.iter().find_map(|d| in_project(root, &d.join(path)))
}

/// An absolute path of the deployed machine (`/app/deploy/gunicorn.py`, after `COPY . /app`)
/// as a file of the project: its longest tail that names one.
fn absolute_in_project(root: &Path, path: &Path) -> Option<PathBuf> {
    let parts: Vec<Component> = path
        .components()
        .filter(|c| matches!(c, Component::Normal(_)))
        .collect();
    (0..parts.len()).find_map(|skip| in_project(root, &parts[skip..].iter().collect::<PathBuf>()))
}

/// A root-relative path, normalised, if it names a regular file inside the root: `..` may not
/// climb out, and the file and its directories may not be links that lead out.
fn in_project(root: &Path, rel: &Path) -> Option<PathBuf> {
    let mut normal = PathBuf::new();
    for component in rel.components() {
        match component {
            Component::Normal(part) => normal.push(part),
            Component::CurDir => {}
            Component::ParentDir => {
                if !normal.pop() {
                    return None;
                }
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    let full = root.join(&normal);
    let meta = std::fs::symlink_metadata(&full).ok()?;
    let real = std::fs::canonicalize(&full).ok()?;
    let real_root = std::fs::canonicalize(root).ok()?;
    (meta.is_file() && real.starts_with(real_root)).then_some(normal)
}

// ---------------------------------------------------------------------------------------------
// Putting the sources together

/// What the command line, `GUNICORN_CMD_ARGS` and the configuration file of one deployment
/// say, to be combined by gunicorn's precedence.
struct Sources<'a> {
    origin: Origin,
    cli: &'a Args,
    env: &'a EnvSettings,
    config_file: Option<PathBuf>,
    config: &'a ConfigValues,
}

fn resolve_invocation(root: &Path, file: &Path, inv: &Invocation, env: &[EnvArgs]) -> Deployment {
    let cli = parse_gunicorn_args(&inv.args);
    let env = env_settings(env);
    // The command line's `-c` wins over GUNICORN_CMD_ARGS's (`app/base.py` `load_config`).
    let location = cli.config.as_deref().or(env.args.config.as_deref());
    let config_file = find_config(root, &working_dirs(file), location);
    let config = config_file
        .as_deref()
        .and_then(|c| read_config(root, c))
        .unwrap_or_default();
    combine(Sources {
        origin: Origin {
            path: file.to_path_buf(),
            line: inv.line,
        },
        cli: &cli,
        env: &env,
        config_file,
        config: &config,
    })
}

/// Precedence, lowest to highest: configuration file, `GUNICORN_CMD_ARGS`, command line.
fn combine(s: Sources) -> Deployment {
    let config_origin = |line| s.config_file.clone().map(|path| Origin { path, line });
    let preload = if s.cli.preload {
        Preload::On(s.origin.clone())
    } else if let Some(line) = s.env.preload_line {
        Preload::On(Origin {
            path: s.origin.path.clone(),
            line,
        })
    } else if let Some(Assigned {
        value: Some(true),
        line,
    }) = s.config.preload_app
        && let Some(origin) = config_origin(line)
    {
        Preload::On(origin)
    } else {
        // `preload_app = False`, not set, or not a literal: the last is unknown, and is taken
        // as gunicorn's default, off.
        Preload::Off
    };
    // `--paste` makes the app come from a PasteDeploy file: dynamic. Otherwise the command
    // line's positional app wins over `wsgi_app` (`app/wsgiapp.py:37-43`);
    // GUNICORN_CMD_ARGS's positionals are ignored.
    let app = if s.cli.paste || s.env.args.paste {
        None
    } else {
        match &s.cli.app {
            Some(spec) => parse_app(spec),
            None => ConfigValues::value(&s.config.wsgi_app)
                .as_deref()
                .and_then(parse_app),
        }
    };
    let worker_class = s
        .cli
        .worker_class
        .clone()
        .or_else(|| s.env.args.worker_class.clone())
        .or_else(|| ConfigValues::value(&s.config.worker_class));
    let threads = s
        .cli
        .threads
        .or(s.env.args.threads)
        .or_else(|| s.config.threads.as_ref().map(|a| a.value))
        .flatten();
    let chdir = s
        .cli
        .chdir
        .clone()
        .or_else(|| s.env.args.chdir.clone())
        .or_else(|| ConfigValues::value(&s.config.chdir));
    Deployment {
        origin: s.origin,
        server: Server::Gunicorn,
        app,
        preload,
        worker_class: effective_worker_class(worker_class.as_deref(), threads),
        config_file: s.config_file,
        chdir,
    }
}

/// A `gunicorn.conf.py` at the root that no command line uses still defines a deployment when
/// it sets `wsgi_app` or `preload_app`: a bare `gunicorn` run in the root reads it, and
/// `wsgi_app` (since 20.1.0) makes the command line need no app.
fn root_config_deployment(root: &Path, found: &[Deployment]) -> Option<Deployment> {
    let rel = PathBuf::from(DEFAULT_CONFIG);
    if found.iter().any(|d| d.config_file.as_ref() == Some(&rel)) {
        return None;
    }
    let rel = in_project(root, &rel)?;
    let config = read_config(root, &rel)?;
    if config.wsgi_app.is_none() && config.preload_app.is_none() {
        return None;
    }
    let line = config.wsgi_app.as_ref().map_or(1, |a| a.line);
    Some(combine(Sources {
        origin: Origin {
            path: rel.clone(),
            line,
        },
        cli: &Args::default(),
        env: &EnvSettings::default(),
        config_file: Some(rel),
        config: &config,
    }))
}

// ---------------------------------------------------------------------------------------------
// Celery's command line

/// The parts of a `celery ...` argument list that matter here.
#[derive(Debug, Default)]
struct CeleryArgs {
    /// The first positional word: the subcommand (`worker`, `beat`, `multi`, ...).
    subcommand: Option<String>,
    /// `multi`'s action (`start`, `stop`, ...): its first positional word.
    multi_action: Option<String>,
    app: Option<String>,
    pool: Option<String>,
    workdir: Option<String>,
}

/// Celery's options that take a value; every other option is a flag. Celery 5.6's global
/// options (`celery/bin/celery.py`: `-A/--app`, `-b/--broker`, `--result-backend`,
/// `--loader`, `--config`, `--workdir`; flags `-C/--no-color`, `-q/--quiet`, `--version`,
/// `--skip-checks`), `celery worker`'s (`celery/bin/worker.py`; flags `-D/--detach`,
/// `--disable-prefetch`, `-E/--task-events/--events`, `--purge/--discard`,
/// `--without-gossip/-mingle/-heartbeat`, `-B/--beat`) and its daemon options
/// (`celery/bin/base.py` `CeleryDaemonCommand`), as the CLI reference lists them
/// (docs.celeryq.dev/en/stable/reference/cli.html, `man celery-worker`); then `celery multi`'s
/// own (`celery/bin/multi.py`) and Celery 3's `--maxtasksperchild`.
const CELERY_VALUE_OPTIONS: &[&str] = &[
    // Global.
    "-A",
    "--app",
    "-b",
    "--broker",
    "--result-backend",
    "--loader",
    "--config",
    "--workdir",
    // Worker.
    "-n",
    "--hostname",
    "-S",
    "--statedb",
    "-l",
    "--loglevel",
    "-O",
    "--optimization",
    "--prefetch-multiplier",
    "-c",
    "--concurrency",
    "-P",
    "--pool",
    "--time-limit",
    "--soft-time-limit",
    "--max-tasks-per-child",
    "--max-memory-per-child",
    "-Q",
    "--queues",
    "-X",
    "--exclude-queues",
    "-I",
    "--include",
    "--heartbeat-interval",
    "--autoscale",
    "-s",
    "--schedule-filename",
    "--schedule",
    "--scheduler",
    // Daemon.
    "-f",
    "--logfile",
    "--pidfile",
    "--uid",
    "--gid",
    "--umask",
    "--executable",
    // multi; Celery 3.
    "--range-prefix",
    "--cmd",
    "--append",
    "--prefix",
    "--suffix",
    "--maxtasksperchild",
];

/// `celery`'s argument list, as Click reads it: `-Aproj` and `--app=proj` carry their value,
/// short flags cluster (`-EB`, `-EPsolo`), and the first positional word is the subcommand.
/// An unknown option is passed over as a flag.
///
/// `-A/--app` and `--workdir` are read wherever they are. Celery 5 takes them only before the
/// subcommand (`celery -A proj worker`; after it Click rejects them, and `celery.py` prints
/// "The support for this usage was removed in Celery 5.0"), but Celery 4 found `-A` anywhere
/// in the command line, and `celery multi` moves the global options after itself
/// (`multi.py`: `args[args.index('multi'):] + args[:args.index('multi')]`).
///
/// `celery multi`'s node-specific options (`-c:1-3 10`, `-P:image gevent`) are skipped with
/// their value: they apply to some of its workers only.
fn parse_celery_args(words: &[String]) -> CeleryArgs {
    let mut args = CeleryArgs::default();
    let mut i = 0;
    while let Some(word) = words.get(i) {
        i += 1;
        if word == "--" {
            // Celery reads the rest as `name=value` configuration (`config_from_cmdline`).
            break;
        }
        if !word.starts_with('-') || word == "-" {
            if args.subcommand.is_none() {
                args.subcommand = Some(word.clone());
            } else if args.subcommand.as_deref() == Some("multi") && args.multi_action.is_none() {
                args.multi_action = Some(word.clone());
            }
            continue;
        }
        let Some((option, attached)) = celery_value_option(word) else {
            continue;
        };
        let value = match attached {
            Some(value) => Some(value.to_string()),
            None => {
                i += 1;
                words.get(i - 1).cloned()
            }
        };
        match option {
            "-A" | "--app" => args.app = value,
            "-P" | "--pool" => args.pool = value,
            "--workdir" => args.workdir = value,
            _ => {}
        }
    }
    args
}

/// The option of `word` that takes a value, with the value when it is attached: `--pool=solo`
/// and `--pool`, `-Psolo` and `-P`, `-EPsolo` (flags `-E` then `-P`). `None`: flags only. A
/// node-specific option of `celery multi` (`-P:w1`, `--pool:w1`) is returned under a name
/// that is read as nothing, so that its value is skipped.
fn celery_value_option(word: &str) -> Option<(&'static str, Option<&str>)> {
    let table = |name: &str| CELERY_VALUE_OPTIONS.iter().copied().find(|o| *o == name);
    if let Some(long) = word.strip_prefix("--") {
        let (name, attached) = match long.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (long, None),
        };
        return match name.split_once(':') {
            Some((name, _)) => table(&format!("--{name}")).map(|_| ("", None)),
            None => table(&format!("--{name}")).map(|option| (option, attached)),
        };
    }
    let letters = word.strip_prefix('-')?;
    for (at, letter) in letters.char_indices() {
        let rest = &letters[at + letter.len_utf8()..];
        let Some(option) = table(&format!("-{letter}")) else {
            continue;
        };
        if rest.starts_with(':') {
            return Some(("", None));
        }
        return Some((option, (!rest.is_empty()).then_some(rest)));
    }
    None
}

/// `proj`, `proj.celery`, `proj.celery:app`, `proj:app`: the module Celery imports, and the
/// attribute (`app` when not given). Without `:`, `find_app` looks for the module's `app`,
/// then `celery`, then any Celery instance in it, then does the same in the submodule
/// `proj.celery` (`celery/app/utils.py` `find_app`; docs.celeryq.dev "About the --app
/// argument"): `app` names the common case. `None` for anything else (`$APP`).
fn parse_celery_app(spec: &str) -> Option<AppSpec> {
    let (module, attr) = spec.trim().split_once(':').unwrap_or((spec.trim(), "app"));
    (module.split('.').all(crate::discover::is_identifier) && crate::discover::is_identifier(attr))
        .then(|| AppSpec {
            module: module.to_string(),
            attr: attr.to_string(),
            factory: false,
        })
}

/// Pool names as Celery's `concurrency.ALIASES` reads them (`processes` is a compatibility
/// alias of `prefork`), and their implementation classes.
fn normalise_pool(raw: &str) -> String {
    let family = match raw {
        "prefork" | "processes" | "celery.concurrency.prefork:TaskPool" => "prefork",
        "solo" | "celery.concurrency.solo:TaskPool" => "solo",
        "threads" | "celery.concurrency.thread:TaskPool" => "threads",
        "gevent" | "celery.concurrency.gevent:TaskPool" => "gevent",
        "eventlet" | "celery.concurrency.eventlet:TaskPool" => "eventlet",
        _ => raw,
    };
    family.to_string()
}

/// `$CELERY_APP`/`${CELERY_APP}` as an app: the variable, to be taken from the file.
fn is_celery_app_reference(value: &str) -> bool {
    let name = value.strip_prefix('$').unwrap_or("");
    let name = name
        .strip_prefix('{')
        .and_then(|n| n.strip_suffix('}'))
        .unwrap_or(name);
    name == CELERY_APP_VAR
}

/// A celery command line as a deployment, if it starts workers: `celery worker`, or `celery
/// multi start|restart` (Celery 4 also `stagedrestart`), which runs `python -m celery worker
/// --detach` for each node (`celery/apps/multi.py`). `beat`, `flower`, `inspect`, ... are
/// not deployments.
///
/// The worker's main process imports the app before anything else (the `celery` group
/// resolves `--app` with `find_app` before it invokes the subcommand, `celery/bin/celery.py`).
/// With the default `prefork` pool (`worker.py`: `-P/--pool`, `default='prefork'`) it then
/// forks the pool's child processes through billiard, and forks a replacement whenever a child
/// exits, for instance after `--max-tasks-per-child` tasks ("the maximum number of tasks a
/// pool worker process can execute before it's replaced with a new one", docs.celeryq.dev
/// userguide/workers "Max tasks per child setting"). So a thread the app's import starts is
/// running at every fork: `Preload::On`. `solo` runs tasks in the main process, `threads` in
/// threads, `gevent`/`eventlet` in greenlets (docs.celeryq.dev userguide/concurrency): no
/// fork, `Preload::Off`.
fn resolve_celery(file: &Path, inv: &Invocation, celery_app: &[EnvArgs]) -> Option<Deployment> {
    let args = parse_celery_args(&inv.args);
    let starts_workers = match args.subcommand.as_deref()? {
        "worker" => true,
        "multi" => matches!(
            args.multi_action.as_deref(),
            Some("start" | "restart" | "stagedrestart")
        ),
        _ => false,
    };
    if !starts_workers {
        return None;
    }
    let origin = Origin {
        path: file.to_path_buf(),
        line: inv.line,
    };
    // The command line's `-A` wins over `CELERY_APP` (Click reads an option's environment
    // variable only when the option is not given); of the file's values, the last.
    let app = match args.app.as_deref() {
        Some(spec) if !is_celery_app_reference(spec) => parse_celery_app(spec),
        _ => celery_app.last().and_then(|v| parse_celery_app(&v.value)),
    };
    let pool = normalise_pool(args.pool.as_deref().unwrap_or("prefork"));
    let preload = if pool == "prefork" {
        Preload::On(origin.clone())
    } else {
        Preload::Off
    };
    Some(Deployment {
        origin,
        server: Server::CeleryWorker,
        app,
        preload,
        worker_class: Some(pool),
        config_file: None,
        chdir: args.workdir,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A project made of `(path, contents)` files.
    fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::TempDir::new().expect("temporary directory");
        for (path, text) in files {
            let full = dir.path().join(path);
            if let Some(parent) = full.parent() {
                std::fs::create_dir_all(parent).expect("directories");
            }
            std::fs::write(full, text).expect("file");
        }
        dir
    }

    fn deployments(files: &[(&str, &str)]) -> Vec<Deployment> {
        let dir = project(files);
        gunicorn_deployments(dir.path())
    }

    /// The only deployment of a project.
    fn only(files: &[(&str, &str)]) -> Deployment {
        let mut found = deployments(files);
        assert_eq!(found.len(), 1, "{found:#?}");
        found.remove(0)
    }

    fn at(path: &str, line: u32) -> Origin {
        Origin {
            path: PathBuf::from(path),
            line,
        }
    }

    fn app(module: &str, attr: &str, factory: bool) -> Option<AppSpec> {
        Some(AppSpec {
            module: module.into(),
            attr: attr.into(),
            factory,
        })
    }

    #[test]
    fn procfile_with_preload() {
        let d = only(&[("Procfile", "web: gunicorn --preload svc.app:app -w 4\n")]);
        assert_eq!(d.origin, at("Procfile", 1));
        assert_eq!(d.preload, Preload::On(at("Procfile", 1)));
        assert_eq!(d.app, app("svc.app", "app", false));
        assert_eq!(d.worker_class, None);
        assert_eq!(d.config_file, None);
    }

    #[test]
    fn procfile_without_preload_and_options_with_values() {
        let d = only(&[(
            "Procfile",
            "release: python manage.py migrate\nweb: gunicorn -w 4 -b :8000 svc.app:app\n",
        )]);
        assert_eq!(d.origin, at("Procfile", 2));
        assert_eq!(d.preload, Preload::Off);
        assert_eq!(d.app, app("svc.app", "app", false));
    }

    #[test]
    fn default_config_file_supplies_preload_and_app() {
        let d = only(&[
            (
                "gunicorn.conf.py",
                "preload_app = True\nworkers = 4\nwsgi_app = \"svc.app:app\"\n",
            ),
            ("Procfile", "web: gunicorn\n"),
        ]);
        assert_eq!(d.origin, at("Procfile", 1));
        assert_eq!(d.preload, Preload::On(at("gunicorn.conf.py", 1)));
        assert_eq!(d.app, app("svc.app", "app", false));
        assert_eq!(d.config_file, Some(PathBuf::from("gunicorn.conf.py")));
    }

    #[test]
    fn dockerfile_exec_form_with_continued_run() {
        let d = only(&[(
            "Dockerfile",
            "FROM python:3.12\n\
             RUN pip install \\\n    gunicorn \\\n    gevent\n\
             CMD [\"gunicorn\", \"-k\", \"gevent\", \"--preload\", \"svc.app:create_app()\"]\n",
        )]);
        assert_eq!(d.origin, at("Dockerfile", 5));
        assert_eq!(d.worker_class.as_deref(), Some("gevent"));
        assert_eq!(d.app, app("svc.app", "create_app", true));
        assert_eq!(d.preload, Preload::On(at("Dockerfile", 5)));
    }

    #[test]
    fn dockerfile_env_gunicorn_cmd_args() {
        let d = only(&[(
            "Dockerfile",
            "FROM python:3.12\nENV GUNICORN_CMD_ARGS=\"--preload --workers 3\"\nCMD gunicorn svc.app:app\n",
        )]);
        assert_eq!(d.origin, at("Dockerfile", 3));
        assert_eq!(d.preload, Preload::On(at("Dockerfile", 2)));
        assert_eq!(d.app, app("svc.app", "app", false));
        // The older `ENV NAME value` syntax.
        let d = only(&[(
            "Dockerfile",
            "FROM python:3.12\nENV GUNICORN_CMD_ARGS --preload -k gevent\nCMD gunicorn svc.app:app\n",
        )]);
        assert_eq!(d.preload, Preload::On(at("Dockerfile", 2)));
        assert_eq!(d.worker_class.as_deref(), Some("gevent"));
    }

    #[test]
    fn python_m_gunicorn_with_named_config() {
        let d = only(&[
            (
                "scripts/start.sh",
                "#!/bin/sh\nset -e\nexec python -m gunicorn --config deploy/gunicorn.py svc.wsgi\n",
            ),
            (
                "deploy/gunicorn.py",
                "import os\n\nbind = \"0.0.0.0:8000\"\npreload_app = True\n",
            ),
        ]);
        assert_eq!(d.origin, at("scripts/start.sh", 3));
        assert_eq!(d.config_file, Some(PathBuf::from("deploy/gunicorn.py")));
        assert_eq!(d.preload, Preload::On(at("deploy/gunicorn.py", 4)));
        assert_eq!(d.app, app("svc.wsgi", "application", false));
    }

    #[test]
    fn config_preload_unknown_or_false_is_off() {
        let d = only(&[
            (
                "gunicorn.conf.py",
                "import os\nsome_flag = os.environ.get('P')\npreload_app = some_flag\n",
            ),
            ("Procfile", "web: gunicorn svc.app:app\n"),
        ]);
        assert_eq!(d.preload, Preload::Off);
        assert_eq!(d.config_file, Some(PathBuf::from("gunicorn.conf.py")));
        let d = only(&[
            ("gunicorn.conf.py", "preload_app = False\n"),
            ("Procfile", "web: gunicorn svc.app:app\n"),
        ]);
        assert_eq!(d.preload, Preload::Off);
        // The last top-level assignment wins; one under `if` is not read.
        let d = only(&[
            (
                "gunicorn.conf.py",
                "preload_app = True\nif DEBUG:\n    preload_app = False\npreload_app = False\n",
            ),
            ("Procfile", "web: gunicorn svc.app:app\n"),
        ]);
        assert_eq!(d.preload, Preload::Off);
    }

    #[test]
    fn command_line_overrides_env_and_env_overrides_config() {
        let d = only(&[
            (
                "gunicorn.conf.py",
                "worker_class = 'eventlet'\nthreads = 8\n",
            ),
            (
                "run.sh",
                "export GUNICORN_CMD_ARGS='-k gevent --preload'\ngunicorn -k sync svc.app:app\n",
            ),
        ]);
        // The command line's sync, with the config's 8 threads: gthread.
        assert_eq!(d.worker_class.as_deref(), Some("gthread"));
        assert_eq!(d.preload, Preload::On(at("run.sh", 1)));
        let d = only(&[
            ("gunicorn.conf.py", "worker_class = 'eventlet'\n"),
            (
                "run.sh",
                "GUNICORN_CMD_ARGS='-k gevent' gunicorn svc.app:app\n",
            ),
        ]);
        assert_eq!(d.worker_class.as_deref(), Some("gevent"));
    }

    #[test]
    fn compose_command_string_flow_and_block() {
        let found = deployments(&[(
            "docker-compose.yml",
            "services:\n\
             \x20 web:\n\
             \x20   command: gunicorn --preload app:app  # the site\n\
             \x20 api:\n\
             \x20   command: [\"gunicorn\", \"-k\", \"gevent\", \"api.main:app\"]\n\
             \x20 admin:\n\
             \x20   command: ['gunicorn', admin.wsgi]\n\
             \x20 jobs:\n\
             \x20   entrypoint:\n\
             \x20     - gunicorn\n\
             \x20     - \"jobs.app:app\"\n\
             \x20   environment:\n\
             \x20     - DEBUG=0\n",
        )]);
        let summary: Vec<(u32, Option<AppSpec>, bool)> = found
            .iter()
            .map(|d| {
                (
                    d.origin.line,
                    d.app.clone(),
                    matches!(d.preload, Preload::On(_)),
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                (3, app("app", "app", false), true),
                (5, app("api.main", "app", false), false),
                (7, app("admin.wsgi", "application", false), false),
                (9, app("jobs.app", "app", false), false),
            ]
        );
        assert_eq!(found[1].worker_class.as_deref(), Some("gevent"));
    }

    #[test]
    fn compose_environment_gunicorn_cmd_args() {
        for environment in [
            "      - GUNICORN_CMD_ARGS=--preload --workers 2\n",
            "      - \"GUNICORN_CMD_ARGS=--preload\"\n",
            "      GUNICORN_CMD_ARGS: \"--preload --workers 2\"\n",
        ] {
            let text = format!(
                "services:\n  web:\n    command: gunicorn app:app\n    environment:\n{environment}"
            );
            let d = only(&[("compose.yaml", &text)]);
            assert_eq!(
                d.preload,
                Preload::On(at("compose.yaml", 5)),
                "{environment}"
            );
        }
    }

    #[test]
    fn nothing_without_gunicorn_and_readme_not_scanned() {
        assert!(deployments(&[]).is_empty());
        assert!(
            deployments(&[
                ("README.md", "Run `gunicorn --preload svc.app:app`.\n"),
                (
                    "Dockerfile",
                    "FROM python\nRUN pip install gunicorn\nCMD [\"python\", \"main.py\"]\n"
                ),
                (
                    "Makefile",
                    "install:\n\tuv pip install gunicorn\n\techo gunicorn --preload a:b\n"
                ),
            ])
            .is_empty()
        );
    }

    #[test]
    fn threads_and_long_worker_class_names() {
        let d = only(&[("Procfile", "web: gunicorn --threads 4 svc.app:app\n")]);
        assert_eq!(d.worker_class.as_deref(), Some("gthread"));
        let d = only(&[(
            "Procfile",
            "web: gunicorn --worker-class=gunicorn.workers.ggevent.GeventWorker svc.app:app\n",
        )]);
        assert_eq!(d.worker_class.as_deref(), Some("gevent"));
        let d = only(&[(
            "Procfile",
            "web: gunicorn -k uvicorn.workers.UvicornWorker --threads 4 a:app\n",
        )]);
        assert_eq!(
            d.worker_class.as_deref(),
            Some("uvicorn.workers.UvicornWorker")
        );
        let d = only(&[(
            "Procfile",
            "web: gunicorn -kgevent_pywsgi --threads 1 a:app\n",
        )]);
        assert_eq!(d.worker_class.as_deref(), Some("gevent"));
    }

    #[test]
    fn systemd_exec_start() {
        let d = only(&[(
            "deploy/svc.service",
            "[Service]\nEnvironment=\"PORT=80\"\nExecStart=/srv/venv/bin/gunicorn --preload svc.app:app\n",
        )]);
        assert_eq!(d.origin, at("deploy/svc.service", 3));
        assert_eq!(d.preload, Preload::On(at("deploy/svc.service", 3)));
        assert_eq!(d.app, app("svc.app", "app", false));
    }

    #[test]
    fn supervisord_and_app_engine() {
        let found = deployments(&[
            (
                "supervisord.conf",
                "[program:web]\ncommand=/venv/bin/gunicorn svc.app:app\nenvironment=A=\"1\",GUNICORN_CMD_ARGS=\"--preload -w 2\"\n",
            ),
            (
                "app.yaml",
                "runtime: python312\nentrypoint: gunicorn -b :$PORT main:app\n",
            ),
        ]);
        assert_eq!(found.len(), 2, "{found:#?}");
        assert_eq!(found[0].origin, at("app.yaml", 2));
        assert_eq!(found[0].app, app("main", "app", false));
        assert_eq!(found[0].preload, Preload::Off);
        assert_eq!(found[1].preload, Preload::On(at("supervisord.conf", 3)));
    }

    #[test]
    fn launchers_and_shell_c() {
        for command in [
            "poetry run gunicorn --preload a.b:app",
            "uv run --with gevent gunicorn --preload a.b:app",
            "pipenv run gunicorn --preload a.b:app",
            "cd src && exec gunicorn --preload a.b:app > log 2>&1",
            "sh -c \"cd /app && gunicorn --preload a.b:app\"",
            "ddtrace-run python3 -u -m gunicorn --preload a.b:app",
            "./venv/bin/gunicorn --preload a.b:app",
        ] {
            let d = only(&[("run.sh", command)]);
            assert_eq!(d.app, app("a.b", "app", false), "{command}");
            assert_eq!(d.preload, Preload::On(at("run.sh", 1)), "{command}");
        }
    }

    #[test]
    fn entrypoint_takes_cmd_as_arguments() {
        let d = only(&[(
            "Dockerfile",
            "FROM python\nENTRYPOINT [\"gunicorn\", \"--preload\"]\nCMD [\"svc.app:app\"]\n",
        )]);
        assert_eq!(d.origin, at("Dockerfile", 2));
        assert_eq!(d.app, app("svc.app", "app", false));
        let d = only(&[(
            "Containerfile",
            "FROM python\nENTRYPOINT [\"tini\", \"--\"]\nCMD [\"gunicorn\", \"svc.app:app\"]\n",
        )]);
        assert_eq!(d.origin, at("Containerfile", 3));
        assert_eq!(d.preload, Preload::Off);
    }

    #[test]
    fn paste_and_dynamic_apps_are_none() {
        let d = only(&[(
            "Procfile",
            "web: gunicorn --paste development.ini --preload\n",
        )]);
        assert_eq!(d.app, None);
        let d = only(&[("Procfile", "web: gunicorn $APP_MODULE\n")]);
        assert_eq!(d.app, None);
        let d = only(&[(
            "Procfile",
            "web: gunicorn 'svc.app:create_app(debug=True)'\n",
        )]);
        assert_eq!(d.app, app("svc.app", "create_app", true));
    }

    #[test]
    fn chdir_is_reported_and_does_not_move_the_default_config() {
        let d = only(&[
            ("src/gunicorn.conf.py", "preload_app = True\n"),
            ("Procfile", "web: gunicorn --chdir src svc.app:app\n"),
        ]);
        assert_eq!(d.chdir.as_deref(), Some("src"));
        assert_eq!(d.config_file, None);
        assert_eq!(d.preload, Preload::Off);
        let d = only(&[
            ("gunicorn.conf.py", "chdir = '/srv/app'\n"),
            ("Procfile", "web: gunicorn a:app\n"),
        ]);
        assert_eq!(d.chdir.as_deref(), Some("/srv/app"));
    }

    #[test]
    fn config_file_forms() {
        let files = |cli: &str| {
            vec![
                (
                    "Procfile".to_string(),
                    format!("web: gunicorn {cli} svc.app:app\n"),
                ),
                (
                    "conf/gunicorn_prod.py".to_string(),
                    "preload_app = 'true'\n".to_string(),
                ),
            ]
        };
        for cli in [
            "-c conf/gunicorn_prod.py",
            "--config=conf/gunicorn_prod.py",
            "--config file:conf/gunicorn_prod.py",
            "-c python:conf.gunicorn_prod",
            "-c /app/conf/gunicorn_prod.py",
            "--conf conf/gunicorn_prod.py",
        ] {
            let owned = files(cli);
            let borrowed: Vec<(&str, &str)> = owned
                .iter()
                .map(|(p, t)| (p.as_str(), t.as_str()))
                .collect();
            let d = only(&borrowed);
            assert_eq!(
                d.config_file,
                Some(PathBuf::from("conf/gunicorn_prod.py")),
                "{cli}"
            );
            assert_eq!(
                d.preload,
                Preload::On(at("conf/gunicorn_prod.py", 1)),
                "{cli}"
            );
        }
        // A `-c` that leaves the project is not read.
        let d = only(&[("Procfile", "web: gunicorn -c ../../etc/gunicorn.py a:app\n")]);
        assert_eq!(d.config_file, None);
    }

    #[test]
    fn root_config_alone_defines_a_deployment() {
        let d = only(&[(
            "gunicorn.conf.py",
            "import multiprocessing\nworkers = 2\nwsgi_app = 'svc.app:app'\npreload_app = True\n",
        )]);
        assert_eq!(d.origin, at("gunicorn.conf.py", 3));
        assert_eq!(d.app, app("svc.app", "app", false));
        assert_eq!(d.preload, Preload::On(at("gunicorn.conf.py", 4)));
        // Without either setting it is just a file.
        assert!(deployments(&[("gunicorn.conf.py", "workers = 2\n")]).is_empty());
    }

    #[test]
    fn skipped_places() {
        let preload = "web: gunicorn --preload a:app\n";
        assert!(
            deployments(&[
                (".github/Procfile", preload),
                ("venv/Procfile", preload),
                ("node_modules/x/Procfile", preload),
                ("a/b/c/Procfile", preload),
            ])
            .is_empty()
        );
        assert_eq!(deployments(&[("a/b/Procfile", preload)]).len(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_are_not_followed() {
        let outside = project(&[
            ("Procfile", "web: gunicorn --preload a:app\n"),
            ("gunicorn.py", "preload_app = True\n"),
        ]);
        let inside = project(&[("Procfile", "web: gunicorn -c linked/gunicorn.py a:app\n")]);
        std::os::unix::fs::symlink(outside.path(), inside.path().join("linked")).expect("link");
        std::os::unix::fs::symlink(
            outside.path().join("Procfile"),
            inside.path().join("Procfile.other"),
        )
        .expect("link");
        let found = gunicorn_deployments(inside.path());
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].config_file, None);
        assert_eq!(found[0].preload, Preload::Off);
    }

    #[test]
    fn sorted_and_deduplicated() {
        let found = deployments(&[
            ("run.sh", "gunicorn b:app\ngunicorn a:app; gunicorn a:app\n"),
            ("Procfile", "web: gunicorn a:app\n"),
        ]);
        let origins: Vec<Origin> = found.iter().map(|d| d.origin.clone()).collect();
        assert_eq!(
            origins,
            vec![at("Procfile", 1), at("run.sh", 1), at("run.sh", 2)]
        );
    }

    // --- Celery workers

    /// Every deployment of a project, gunicorn's and Celery's.
    fn everything(files: &[(&str, &str)]) -> Vec<Deployment> {
        let dir = project(files);
        super::deployments(dir.path())
    }

    /// The only deployment of a project, which must be a Celery worker.
    fn only_celery(files: &[(&str, &str)]) -> Deployment {
        let mut found = everything(files);
        assert_eq!(found.len(), 1, "{found:#?}");
        let d = found.remove(0);
        assert_eq!(d.server, Server::CeleryWorker);
        d
    }

    /// The only deployment of a one-line `run.sh`.
    fn celery_line(line: &str) -> Deployment {
        only_celery(&[("run.sh", &format!("{line}\n"))])
    }

    #[test]
    fn celery_procfile_worker_is_prefork_and_preloaded() {
        let d = only_celery(&[("Procfile", "worker: celery -A proj worker -l info -c 4\n")]);
        assert_eq!(d.origin, at("Procfile", 1));
        assert_eq!(d.app, app("proj", "app", false));
        assert_eq!(d.preload, Preload::On(at("Procfile", 1)));
        assert_eq!(d.worker_class.as_deref(), Some("prefork"));
        assert_eq!(d.config_file, None);
        assert_eq!(d.chdir, None);
    }

    #[test]
    fn celery_non_prefork_pools_are_off() {
        let d = celery_line("celery -A proj worker --pool=solo");
        assert_eq!(d.preload, Preload::Off);
        assert_eq!(d.worker_class.as_deref(), Some("solo"));
        let d = celery_line("celery -A proj worker -P gevent -c 100");
        assert_eq!(d.preload, Preload::Off);
        assert_eq!(d.worker_class.as_deref(), Some("gevent"));
        for (pool, family) in [
            ("--pool threads", "threads"),
            ("-Peventlet", "eventlet"),
            ("-EPsolo", "solo"),
            ("--pool custom", "custom"),
        ] {
            let d = celery_line(&format!("celery -A proj worker {pool}"));
            assert_eq!(d.preload, Preload::Off, "{pool}");
            assert_eq!(d.worker_class.as_deref(), Some(family), "{pool}");
        }
        // Explicitly prefork, and its compatibility alias.
        for pool in ["-P prefork", "--pool=processes"] {
            let d = celery_line(&format!("celery -A proj worker {pool}"));
            assert_eq!(d.preload, Preload::On(at("run.sh", 1)), "{pool}");
            assert_eq!(d.worker_class.as_deref(), Some("prefork"), "{pool}");
        }
    }

    #[test]
    fn celery_other_subcommands_are_not_deployments() {
        for line in [
            "celery -A proj beat",
            "celery -A proj beat -l info -s /tmp/schedule",
            "celery -A proj flower --port=5555",
            "celery -A proj inspect ping",
            "celery --app=proj events",
            "celery -A proj multi stop w1",
            "celery -A proj",
            "celery worker-status",
            "pip install celery",
            "echo celery -A proj worker",
        ] {
            assert!(
                everything(&[("run.sh", &format!("{line}\n"))]).is_empty(),
                "{line}"
            );
        }
    }

    #[test]
    fn celery_dockerfile_exec_form_with_module_and_attr() {
        let d = only_celery(&[(
            "Dockerfile",
            "FROM python:3.12\nCMD [\"celery\", \"--app=proj.celery:app\", \"worker\", \"--loglevel=INFO\"]\n",
        )]);
        assert_eq!(d.origin, at("Dockerfile", 2));
        assert_eq!(d.app, app("proj.celery", "app", false));
        assert_eq!(d.preload, Preload::On(at("Dockerfile", 2)));
        // ENTRYPOINT + CMD.
        let d = only_celery(&[(
            "Dockerfile",
            "FROM python\nENTRYPOINT [\"celery\"]\nCMD [\"-A\", \"tasks:celery_app\", \"worker\"]\n",
        )]);
        assert_eq!(d.origin, at("Dockerfile", 2));
        assert_eq!(d.app, app("tasks", "celery_app", false));
    }

    #[test]
    fn celery_app_spellings() {
        for (option, module, attr) in [
            ("-A proj", "proj", "app"),
            ("-Aproj", "proj", "app"),
            ("--app proj.celery", "proj.celery", "app"),
            ("--app=proj.celery:app", "proj.celery", "app"),
            ("-A proj:celery_app", "proj", "celery_app"),
        ] {
            let d = celery_line(&format!("celery {option} worker -l info"));
            assert_eq!(d.app, app(module, attr, false), "{option}");
            // After the subcommand: Celery 4's syntax.
            let d = celery_line(&format!("celery worker {option} -l info"));
            assert_eq!(d.app, app(module, attr, false), "{option} after");
        }
        assert_eq!(celery_line("celery worker").app, None);
        assert_eq!(celery_line("celery -A $APP_MODULE worker").app, None);
        assert_eq!(celery_line("celery -A 'proj:make()' worker").app, None);
    }

    #[test]
    fn celery_app_from_environment() {
        let d = celery_line("CELERY_APP=proj celery worker");
        assert_eq!(d.app, app("proj", "app", false));
        let d = only_celery(&[(
            "run.sh",
            "export CELERY_APP=proj.tasks\nexec celery worker -l info\n",
        )]);
        assert_eq!(d.app, app("proj.tasks", "app", false));
        assert_eq!(d.preload, Preload::On(at("run.sh", 2)));
        // The command line wins; `-A $CELERY_APP` is the variable.
        let d = celery_line("CELERY_APP=proj celery -A other worker");
        assert_eq!(d.app, app("other", "app", false));
        let d = only_celery(&[(
            "Dockerfile",
            "FROM python\nENV CELERY_APP=proj.celery\nCMD celery -A ${CELERY_APP} worker\n",
        )]);
        assert_eq!(d.app, app("proj.celery", "app", false));
        let d = only_celery(&[(
            "Dockerfile",
            "FROM python\nENV CELERY_APP proj\nCMD [\"celery\", \"worker\"]\n",
        )]);
        assert_eq!(d.app, app("proj", "app", false));
        for environment in ["      - CELERY_APP=proj\n", "      CELERY_APP: \"proj\"\n"] {
            let text = format!(
                "services:\n  worker:\n    command: celery worker\n    environment:\n{environment}"
            );
            let d = only_celery(&[("compose.yaml", &text)]);
            assert_eq!(d.app, app("proj", "app", false), "{environment}");
        }
        let d = only_celery(&[(
            "w.service",
            "[Service]\nEnvironment=CELERY_APP=proj\nExecStart=/venv/bin/celery worker\n",
        )]);
        assert_eq!(d.app, app("proj", "app", false));
        let d = only_celery(&[(
            "supervisord.conf",
            "[program:w]\ncommand=celery worker -P solo\nenvironment=CELERY_APP=\"proj\",X=1\n",
        )]);
        assert_eq!(d.app, app("proj", "app", false));
        assert_eq!(d.preload, Preload::Off);
        let d = only_celery(&[(
            "Makefile",
            "export CELERY_APP := proj\nrun:\n\tcelery worker\n",
        )]);
        assert_eq!(d.app, app("proj", "app", false));
    }

    #[test]
    fn celery_compose_command() {
        let d = only_celery(&[(
            "docker-compose.yml",
            "services:\n  worker:\n    command: celery -A tasks worker -Q high,low\n",
        )]);
        assert_eq!(d.origin, at("docker-compose.yml", 3));
        assert_eq!(d.app, app("tasks", "app", false));
        assert_eq!(d.preload, Preload::On(at("docker-compose.yml", 3)));
        let d = only_celery(&[(
            "compose.yaml",
            "services:\n  worker:\n    command: [\"celery\", \"-A\", \"tasks\", \"worker\", \"-P\", \"threads\"]\n",
        )]);
        assert_eq!(d.worker_class.as_deref(), Some("threads"));
    }

    #[test]
    fn gunicorn_and_celery_in_one_procfile() {
        let found = everything(&[(
            "Procfile",
            "web: gunicorn --preload svc.app:app\nworker: celery -A svc.tasks worker\nbeat: celery -A svc.tasks beat\n",
        )]);
        let summary: Vec<(Server, u32)> = found.iter().map(|d| (d.server, d.origin.line)).collect();
        assert_eq!(
            summary,
            vec![(Server::Gunicorn, 1), (Server::CeleryWorker, 2)]
        );
        // `gunicorn_deployments` keeps only gunicorn's.
        let dir = project(&[(
            "Procfile",
            "web: gunicorn svc.app:app\nworker: celery -A svc.tasks worker\n",
        )]);
        let gunicorn = gunicorn_deployments(dir.path());
        assert_eq!(gunicorn.len(), 1);
        assert_eq!(gunicorn[0].server, Server::Gunicorn);
    }

    #[test]
    fn celery_launchers() {
        for line in [
            "python -m celery -A proj worker --max-tasks-per-child 10",
            "python3 -u -mcelery -A proj worker",
            "poetry run celery -A proj worker",
            "uv run --with redis celery -A proj worker",
            "/srv/venv/bin/celery -A proj worker",
            "cd /app && exec celery -A proj worker > log 2>&1",
            "sh -c \"celery -A proj worker\"",
            "ddtrace-run celery -A proj worker",
            "sudo -u celery celery -A proj worker",
            "exec sudo -E -u celery -g celery /venv/bin/celery -A proj worker",
        ] {
            let d = celery_line(line);
            assert_eq!(d.app, app("proj", "app", false), "{line}");
            assert_eq!(d.preload, Preload::On(at("run.sh", 1)), "{line}");
        }
    }

    #[test]
    fn celery_options_with_values_are_not_the_subcommand_or_app() {
        // Before the subcommand, a global option's value read as a word of its own would be
        // the subcommand (`rpc://`, `cfg`, ...). After it, a worker option's value would be a
        // positional word, which is not read: the worker options are here to show that the
        // whole list leaves the app and pool as they are.
        let d = celery_line(
            "celery -b redis://r:6379/0 --result-backend rpc:// --config cfg --loader default \
             -A proj worker -l info --loglevel INFO -c 4 --concurrency 4 -Q q1,q2 -n w1@%h \
             --hostname w2@%h -E -B --max-tasks-per-child 100 -O fair --without-gossip \
             --autoscale 10,3 --pidfile /run/w.pid --logfile /var/log/w.log -f w.log \
             -s /tmp/beat --time-limit 60 --soft-time-limit 50 -X dead -I extra.tasks \
             --max-memory-per-child 1000 --heartbeat-interval 5 --statedb /tmp/s -S /tmp/s \
             --prefetch-multiplier 1 --scheduler x --uid 1 --gid 1 --umask 22 --executable py",
        );
        assert_eq!(d.app, app("proj", "app", false));
        assert_eq!(d.worker_class.as_deref(), Some("prefork"));
        // Values that look like subcommands.
        let d = celery_line("celery --broker beat -A proj worker -P solo");
        assert_eq!(d.worker_class.as_deref(), Some("solo"));
        assert!(everything(&[("run.sh", "celery -b worker beat\n")]).is_empty());
        // Attached values.
        let d = celery_line("celery -Aproj worker -linfo -c4 -Ofair -Qa,b -Pgevent");
        assert_eq!(d.app, app("proj", "app", false));
        assert_eq!(d.worker_class.as_deref(), Some("gevent"));
    }

    #[test]
    fn celery_workdir_and_multi() {
        let d = celery_line("celery --workdir /app/src -A proj worker");
        assert_eq!(d.chdir.as_deref(), Some("/app/src"));
        assert_eq!(d.config_file, None);
        let d = celery_line("celery multi start w1 w2 -A proj -l info -c:1 3 -P:w2 gevent");
        assert_eq!(d.app, app("proj", "app", false));
        assert_eq!(d.preload, Preload::On(at("run.sh", 1)));
        let d = celery_line("celery -A proj multi restart 3 --pool=solo");
        assert_eq!(d.preload, Preload::Off);
        assert!(everything(&[("run.sh", "celery multi show 3 -A proj\n")]).is_empty());
    }

    #[test]
    fn odd_input_does_not_panic() {
        let odd = [
            "gunicorn \"unbalanced --preload",
            "gunicorn --config",
            "gunicorn -c",
            "gunicorn -k",
            "gunicorn --threads",
            "gunicorn --threads x99999999999999999999",
            "gunicorn --proxy-protocol",
            "gunicorn ::: :() a:( a:b)( ''",
            "gunicorn -- --preload",
            "python -m",
            "python -X",
            "sh -c",
            "sh -c 'sh -c \"sh -c \\\"sh -c gunicorn\\\"\"'",
            "exec",
            "uv run",
            "sudo -u",
            "GUNICORN_CMD_ARGS=\"--config\" gunicorn",
            "\\",
            "é gunicorn ü:ß",
            "gunicorn -c /",
            "gunicorn -c python:",
            "gunicorn -c python:..",
            "celery",
            "celery -A",
            "celery worker -A",
            "celery worker -P",
            "celery worker --pool=",
            "celery -A: worker",
            "celery -A proj: worker",
            "celery -A :app worker",
            "celery -- worker",
            "celery -é worker -Pé -Aé",
            "celery worker -P:",
            "celery worker --pool:",
            "celery multi",
            "celery multi start -c:",
            "python -mcelery",
            "CELERY_APP= celery worker",
            "CELERY_APP=$X celery -A $CELERY_APP worker",
            "celery -A ${CELERY_APP worker",
        ];
        let mut files: Vec<(String, String)> = Vec::new();
        for (i, line) in odd.iter().enumerate() {
            files.push((format!("s{i}.sh"), format!("{line}\n")));
            files.push((format!("Procfile.{i}"), format!("web:{line}")));
        }
        files.push(("Dockerfile".into(), "CMD []\nENTRYPOINT [\nCMD [\"gunicorn\"\nENV\nENV GUNICORN_CMD_ARGS\nRUN --mount\nFROM\nCMD [1, 2]\n\\".into()));
        files.push((
            "compose.yml".into(),
            "command:\ncommand: [\ncommand: \"\ncommand: '\nentrypoint: |\n  - \n- GUNICORN_CMD_ARGS\nGUNICORN_CMD_ARGS:\n".into(),
        ));
        files.push((
            "Makefile".into(),
            "GUNICORN_CMD_ARGS\nexport GUNICORN_CMD_ARGS :=\n\t@\n".into(),
        ));
        files.push((
            "x.service".into(),
            "ExecStart=\nEnvironment=\"\nExecStart=-".into(),
        ));
        files.push((
            "y.conf".into(),
            "environment=GUNICORN_CMD_ARGS=\"\ncommand=\n".into(),
        ));
        files.push((
            "gunicorn.conf.py".into(),
            "preload_app = (\nwsgi_app = 1\n".into(),
        ));
        files.push((
            "Dockerfile.celery".into(),
            "ENV CELERY_APP\nENV CELERY_APP \nENTRYPOINT [\"celery\"]\nCMD [\"-A\"]\n".into(),
        ));
        files.push((
            "compose.celery.yml".into(),
            "- CELERY_APP\nCELERY_APP:\ncommand: [celery, -A\n".into(),
        ));
        files.push((
            "celery.conf".into(),
            "environment=CELERY_APP=\"\ncommand=celery worker\n".into(),
        ));
        let borrowed: Vec<(&str, &str)> = files
            .iter()
            .map(|(p, t)| (p.as_str(), t.as_str()))
            .collect();
        let dir = project(&borrowed);
        std::fs::write(dir.path().join("Procfile.bin"), [0xff, 0xfe, b'\n']).expect("file");
        let _ = gunicorn_deployments(dir.path());
        let _ = gunicorn_deployments(&dir.path().join("missing"));
        let _ = super::deployments(dir.path());
    }

    #[test]
    fn large_files_are_skipped() {
        let mut text = "web: gunicorn --preload a:app\n".to_string();
        text.push_str(&"#".repeat(usize::try_from(MAX_FILE_SIZE).unwrap_or(0)));
        assert!(deployments(&[("Procfile", &text)]).is_empty());
    }
}
