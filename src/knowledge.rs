//! The knowledge base: what known APIs do, loaded from `rules/*.toml` (compiled in) and from
//! user files. Rule code speaks in effects; only this table knows API names.

use rustc_hash::FxHashMap as HashMap;
use std::path::Path;

use serde::Deserialize;

const BUILTIN: &[(&str, &str)] = &[
    ("rules/stdlib.toml", include_str!("../rules/stdlib.toml")),
    (
        "rules/libraries.toml",
        include_str!("../rules/libraries.toml"),
    ),
    (
        "rules/frameworks.toml",
        include_str!("../rules/frameworks.toml"),
    ),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EffectKind {
    ThreadStart,
    ThreadWait,
    ProcessSpawn,
    Import,
    Partial,
    SetDaemon,
    GetContext,
    SetStartMethod,
    SubinterpRun,
    SubinterpDestroy,
    SubinterpIsRunning,
    SubinterpCreate,
    AtexitRegister,
    AtForkRegister,
    SignalInstall,
    LockAcquire,
    LockRelease,
    ProcessExit,
    /// Registers `target` to run in `threading._shutdown`, before non-daemon threads are
    /// joined (unlike `atexit-register`, whose handlers run after).
    ShutdownRegister,
    /// Tells whether the code runs in the main thread (or the main interpreter): an `if` on
    /// it guards main-thread-only code (FL304).
    MainThreadCheck,
    /// Constructs a cancel scope that shields its body from cancellation (only when
    /// `requires` holds: `shield=True`) (FL305).
    CancelShield,
    /// Constructs a cancel scope with a deadline: it bounds what it encloses (FL305).
    CancelDeadline,
    /// Sets an event other threads wait on: a stop signal (FL403).
    EventSet,
    /// Tests an event without waiting (`is_set()`): a loop on it runs until it is set (FL403).
    EventCheck,
    /// Module entry: importing it starts native threads that call back into Python (FL402).
    NativeThreadAtImport,
    /// Module entry: an extension with single-phase init, which refuses to load in a
    /// subinterpreter (FL306).
    NoSubinterpreters,
    /// Returns its string argument dedented (`textwrap.dedent`): a literal code string
    /// wrapped in it is still read (FL304, FL306).
    Dedent,
    /// Module entry: a private, version-specific module whose API changes between releases
    /// (FL307).
    PrivateModule,
    /// Calls `target` in the calling thread (`trio.run(main)`): a call of it, for the call
    /// graph.
    CallsTarget,
    /// Monkey-patches `threading` and `_thread` so that threads started after it are green
    /// threads (greenlets) in the calling OS thread: `gevent.monkey.patch_all()`,
    /// `eventlet.monkey_patch()` (see `src/program/green.rs`).
    GreenThreads,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SpawnKind {
    /// The child execs at once; no Python runs in it (subprocess without preexec_fn).
    Exec,
    /// A fork after which Python code runs in the child.
    Fork,
    /// A multiprocessing start, whose start method decides what happens.
    Multiprocessing,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ApiKind {
    #[default]
    Function,
    Class,
    Method,
    /// A module: its effects are those of importing it.
    Module,
}

/// Where an argument is passed: by position (0-based, not counting `self`), by keyword, or both.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct ArgSpec {
    pub position: Option<usize>,
    pub keyword: Option<String>,
}

/// A keyword argument passed with a literal boolean (`connect=False`, `shield=True`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Unless {
    pub keyword: String,
    pub value: bool,
}

#[derive(Clone, Debug, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Api {
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub kind: ApiKind,
    #[serde(default)]
    pub effects: Vec<EffectKind>,
    pub spawn: Option<SpawnKind>,
    pub target: Option<ArgSpec>,
    /// Where a tuple of the arguments `target` is called with is passed (`Thread(args=...)`).
    pub target_args: Option<ArgSpec>,
    /// Where a dict of the keyword arguments `target` is called with is passed.
    pub target_kwargs: Option<ArgSpec>,
    /// `target` is called with this call's own arguments after it (`atexit.register(f,
    /// *args, **kwargs)`, `submit(fn, /, *args, **kwargs)`).
    #[serde(default)]
    pub target_rest: bool,
    pub daemon: Option<ArgSpec>,
    pub daemon_default: Option<bool>,
    #[serde(default)]
    pub pooled: bool,
    #[serde(default)]
    pub library: bool,
    /// The library starts its threads on first use, not during this call: the import-time
    /// rules do not report the call, the fork rules still count the threads as maybe running.
    #[serde(default)]
    pub lazy: bool,
    /// The library makes its threads safe across `fork` itself: an `os.register_at_fork`
    /// hook stops (or joins) them before the fork and restarts them after it, in parent and
    /// child. The fork rules do not count them as running at a fork; the import-time and
    /// shutdown rules still see them.
    #[serde(default)]
    pub fork_safe: bool,
    pub returns: Option<String>,
    pub exit_effect: Option<EffectKind>,
    pub unless: Option<Unless>,
    /// With `unless`: when the call passes some keyword a literal `True`, only the keywords
    /// passed `True` take effect, so the effects need `unless`'s keyword among them
    /// (`eventlet.monkey_patch(socket=True)` patches sockets, not threads).
    #[serde(default)]
    pub selective: bool,
    /// The effects happen only when this keyword is passed with this literal boolean
    /// (`trio.CancelScope(shield=True)`).
    pub requires: Option<Unless>,
    /// Where a timeout is passed: a wait given one is bounded (FL305).
    pub timeout: Option<ArgSpec>,
    /// The target runs inside a subinterpreter (SUBINTERP code, RULES.md §0.1): code strings
    /// and callables given to `exec`/`call`/`call_in_thread`, `InterpreterPoolExecutor` tasks.
    #[serde(default)]
    pub subinterp_target: bool,
    /// The target is pickled to reach the interpreter that runs it (FL308).
    #[serde(default)]
    pub pickles_target: bool,
    /// `subinterp-create`: the argument that names the interpreter config; the string
    /// `"legacy"` there makes a legacy (shared-GIL) interpreter (FL309, FL306).
    pub config_arg: Option<ArgSpec>,
    /// `subinterp-create`: the argument whose literal `False` makes a legacy interpreter.
    pub isolated_arg: Option<ArgSpec>,
    pub module_arg: Option<ArgSpec>,
    pub package_arg: Option<ArgSpec>,
    pub method_arg: Option<ArgSpec>,
    pub run_method: Option<String>,
    /// The same object is an attribute of every `multiprocessing` context (`ctx.Process`):
    /// FL201/FL202's fix calls it on an explicit context instead.
    pub context_attr: Option<String>,
    /// Where a `multiprocessing` context is passed (`mp_context=`): FL201/FL202's fix passes
    /// an explicit one when none is.
    pub context_arg: Option<ArgSpec>,
    /// `preexec_fn=<this>` has a task-specific `subprocess` parameter doing the same without
    /// running Python in the child (FL203's fix).
    pub preexec_equivalent: Option<PreexecEquivalent>,
    pub note: Option<String>,
    /// The knowledge file the entry comes from (`rules/stdlib.toml`, or a user's file).
    #[serde(skip_deserializing, rename = "source-file")]
    pub file: String,
}

/// The `subprocess` keyword argument that replaces a `preexec_fn`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct PreexecEquivalent {
    /// The keyword argument to pass instead; `{0}` stands for the call's one argument.
    pub keyword: String,
    /// The literal arguments the call must be given (`["0", "0"]` for `os.setpgid(0, 0)`);
    /// `"{0}"` matches any integer literal. Empty: called without arguments, or passed
    /// uncalled (`preexec_fn=os.setsid`).
    #[serde(default)]
    pub args: Vec<String>,
    /// The first Python version with the keyword (`"3.11"`); the fix is offered only when
    /// every target version has it.
    pub since: Option<String>,
}

impl Api {
    pub fn has(&self, effect: EffectKind) -> bool {
        self.effects.contains(&effect)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KnowledgeFile {
    #[serde(default)]
    api: Vec<Api>,
}

#[derive(Debug, thiserror::Error)]
pub enum KnowledgeError {
    #[error("cannot read knowledge file {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: {message}")]
    Parse {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{path}:{line}:{column}: entry `{name}`: {message}")]
    Invalid {
        path: String,
        line: usize,
        column: usize,
        name: String,
        message: String,
    },
}

/// All known APIs by qualified name (aliases included).
#[derive(Debug, Default)]
pub struct Knowledge {
    apis: Vec<Api>,
    by_name: HashMap<String, usize>,
    /// First segments of every known name (`threading`, `os`, …), to drop unknown calls early.
    roots: HashMap<String, ()>,
    /// Everything that has a known member (`threading.Thread` for `threading.Thread.start`),
    /// so that a method call on an object of an unknown class is dismissed without building
    /// its qualified name.
    owners: HashMap<String, ()>,
    /// Parents of `kind = "module"` entries (`test.support` for `test.support.interpreters`),
    /// so that `from pkg import name` is looked up only under packages that have some.
    module_parents: HashMap<String, ()>,
    /// The names of known methods that do something the rules read (start, wait, spawn,
    /// hand a callable over, return a tracked object): a call of one of these on a receiver
    /// a module cannot name is worth asking the value flow about.
    method_names: HashMap<String, ()>,
}

impl Knowledge {
    /// The built-in tables plus the user's files; a user entry replaces a built-in of the same name.
    pub fn load(user_files: &[impl AsRef<Path>]) -> Result<Self, KnowledgeError> {
        let mut k = Knowledge::default();
        for (path, text) in BUILTIN {
            k.add_text(path, text)?;
        }
        for path in user_files {
            let path = path.as_ref();
            let text = std::fs::read_to_string(path).map_err(|source| KnowledgeError::Read {
                path: path.display().to_string(),
                source,
            })?;
            k.add_text(&path.display().to_string(), &text)?;
        }
        Ok(k)
    }

    pub fn builtin() -> Result<Self, KnowledgeError> {
        Self::load(&[] as &[&Path])
    }

    fn add_text(&mut self, path: &str, text: &str) -> Result<(), KnowledgeError> {
        let file: KnowledgeFile = toml::from_str(text).map_err(|e| {
            let (line, column) = line_column(text, e.span().map_or(0, |s| s.start));
            let message = e.message().trim_end().replace('\n', "; ");
            KnowledgeError::Parse {
                path: path.to_string(),
                line,
                column,
                message: format!("{message}{}", did_you_mean(&message)),
            }
        })?;
        for mut api in file.api {
            validate(path, text, &api)?;
            api.file = path.to_string();
            let idx = self.apis.len();
            for name in std::iter::once(&api.name).chain(&api.aliases) {
                if api.kind == ApiKind::Module
                    && let Some((parent, _)) = name.rsplit_once('.')
                {
                    self.module_parents.insert(parent.to_string(), ());
                }
                self.by_name.insert(name.clone(), idx);
                let root = name.split('.').next().unwrap_or(name);
                self.roots.insert(root.to_string(), ());
                if let Some((owner, member)) = name.rsplit_once('.') {
                    self.owners.insert(owner.to_string(), ());
                    if api.kind == ApiKind::Method
                        && (!api.effects.is_empty()
                            || api.pooled
                            || api.subinterp_target
                            || api.returns.is_some())
                    {
                        self.method_names.insert(member.to_string(), ());
                    }
                }
            }
            self.apis.push(api);
        }
        Ok(())
    }

    pub fn get(&self, qualified: &str) -> Option<&Api> {
        self.by_name.get(qualified).map(|&i| &self.apis[i])
    }

    /// Every known function or method, by each of its names, with the class of what it
    /// returns (`submit` → `concurrent.futures.Future`).
    pub fn returns(&self) -> Vec<(&str, &str)> {
        let mut out = Vec::new();
        for api in &self.apis {
            if let Some(ty) = &api.returns {
                for name in std::iter::once(&api.name).chain(&api.aliases) {
                    out.push((name.as_str(), ty.as_str()));
                }
            }
        }
        out
    }

    /// Every name of every API that calls a `target` with arguments of its own call
    /// (`Thread(target=f, args=(q,))`, `atexit.register(f, q)`), with where they are.
    pub fn callbacks(&self) -> Vec<(&str, &Api)> {
        self.apis
            .iter()
            .filter(|a| {
                a.target.is_some()
                    && (a.target_args.is_some() || a.target_kwargs.is_some() || a.target_rest)
            })
            .flat_map(|a| {
                std::iter::once(&a.name)
                    .chain(&a.aliases)
                    .map(move |n| (n.as_str(), a))
            })
            .collect()
    }

    /// Every name of every known class.
    pub fn classes(&self) -> Vec<&str> {
        self.apis
            .iter()
            .filter(|a| a.kind == ApiKind::Class)
            .flat_map(|a| std::iter::once(&a.name).chain(&a.aliases))
            .map(String::as_str)
            .collect()
    }

    /// The known member `member` of `owner` (`owner.member`).
    pub fn get_member(&self, owner: &str, member: &str) -> Option<&Api> {
        if !self.owners.contains_key(owner) {
            return None;
        }
        self.get(&format!("{owner}.{member}"))
    }

    /// Whether `name` is the name of a known method that does something (see
    /// `method_names`): `start`, `submit`, `map`, `join`, `exec`, …
    pub fn is_effect_method(&self, name: &str) -> bool {
        self.method_names.contains_key(name)
    }

    /// Whether some `kind = "module"` entry is a direct child of `package`.
    pub fn has_module_under(&self, package: &str) -> bool {
        self.module_parents.contains_key(package)
    }

    /// Whether any known API lives under this top-level module name.
    pub fn knows_root(&self, root: &str) -> bool {
        self.roots.contains_key(root)
    }

    pub fn len(&self) -> usize {
        self.apis.len()
    }

    /// Every entry, in the order of the files (built-in first) and of the entries in them.
    pub fn entries(&self) -> &[Api] {
        &self.apis
    }

    pub fn is_empty(&self) -> bool {
        self.apis.is_empty()
    }
}

/// 1-based line and column (in characters) of byte `offset` of `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// `; did you mean `x`?` for a TOML reader's "unknown field `y`, expected one of `x`, ..."
/// (or "unknown variant"), when one of the expected names is close to the unknown one.
fn did_you_mean(message: &str) -> String {
    let quoted: Vec<&str> = message.split('`').skip(1).step_by(2).collect();
    let unknown = message.starts_with("unknown field") || message.starts_with("unknown variant");
    let (Some(given), true) = (quoted.first(), unknown) else {
        return String::new();
    };
    quoted[1..]
        .iter()
        .map(|k| (strsim::damerau_levenshtein(given, k), *k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 4))
        .min()
        .map(|(_, k)| format!("; did you mean `{k}`?"))
        .unwrap_or_default()
}

fn validate(path: &str, text: &str, api: &Api) -> Result<(), KnowledgeError> {
    let fail = |message: &str| {
        // The entry's `name = "..."` line (the first, if the name is written twice).
        let at = text
            .find(&format!("\"{}\"", api.name))
            .map_or(0, |i| text[..i].rfind('\n').map_or(0, |n| n + 1));
        let (line, column) = line_column(text, at);
        Err(KnowledgeError::Invalid {
            path: path.to_string(),
            line,
            column,
            name: api.name.clone(),
            message: message.to_string(),
        })
    };
    if api.has(EffectKind::ProcessSpawn) && api.spawn.is_none() {
        return fail("a process-spawn entry needs `spawn`");
    }
    if api.has(EffectKind::Import) && api.module_arg.is_none() {
        return fail("an import entry needs `module-arg`");
    }
    if (api.has(EffectKind::GetContext) || api.has(EffectKind::SetStartMethod))
        && api.method_arg.is_none()
    {
        return fail("a get-context or set-start-method entry needs `method-arg`");
    }
    if let Some(eq) = &api.preexec_equivalent
        && let Some(since) = &eq.since
        && since.parse::<crate::settings::PythonVersion>().is_err()
    {
        return fail("`preexec-equivalent.since` must be a version such as \"3.11\"");
    }
    if api.has(EffectKind::Partial) && api.target.is_none() {
        return fail("a partial entry needs `target`");
    }
    if (api.subinterp_target || api.has(EffectKind::CallsTarget)) && api.target.is_none() {
        return fail("a subinterp-target or calls-target entry needs `target`");
    }
    let module_only = [
        EffectKind::NativeThreadAtImport,
        EffectKind::NoSubinterpreters,
        EffectKind::PrivateModule,
    ];
    if (api.kind == ApiKind::Module) != api.effects.iter().any(|e| module_only.contains(e))
        && !(api.kind == ApiKind::Module && api.effects.is_empty())
    {
        return fail(
            "`native-thread-at-import`, `no-subinterpreters` and `private-module` are the effects of `kind = \"module\"` entries, and only those",
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_tables_load_and_know_the_core_apis() {
        let k = Knowledge::builtin().expect("built-in knowledge must load");
        let start = k.get("threading.Thread.start").expect("Thread.start");
        assert!(start.has(EffectKind::ThreadStart));
        assert!(k.get("os.fork").unwrap().has(EffectKind::ProcessSpawn));
        assert_eq!(
            k.get("subprocess.Popen").unwrap().spawn,
            Some(SpawnKind::Exec)
        );
        assert!(
            k.get("importlib.import_module")
                .unwrap()
                .has(EffectKind::Import)
        );
        assert!(k.knows_root("threading"));
        assert!(!k.knows_root("requests"));
    }

    /// The value flow names a library object's method by its dotted name, up to
    /// `MAX_EXTERNAL_PARTS` parts: a longer class or method name would never match its entry.
    #[test]
    fn knowledge_names_fit() {
        let k = Knowledge::builtin().unwrap();
        let max = crate::program::MAX_EXTERNAL_PARTS - 1;
        for api in k.entries() {
            for name in std::iter::once(&api.name).chain(&api.aliases) {
                // A class's methods are one part longer than it.
                let parts = name.split('.').count() + usize::from(api.kind == ApiKind::Class);
                assert!(
                    parts <= max,
                    "{name}: {parts} parts, the value flow follows {max}"
                );
            }
        }
    }

    #[test]
    fn bad_user_file_names_file_and_line() {
        let mut k = Knowledge::default();
        let err = k
            .add_text("mine.toml", "[[api]]\nname = \"x.y\"\nbogus = 1\n")
            .unwrap_err();
        let msg = err.to_string();
        let line = msg
            .strip_prefix("mine.toml:")
            .and_then(|r| r.split(':').next())
            .and_then(|n| n.parse::<usize>().ok());
        assert!(matches!(line, Some(1..=3)), "{msg}");
        assert!(msg.contains("bogus"), "{msg}");
    }

    #[test]
    fn a_misspelt_key_or_effect_gets_its_line_column_and_a_suggestion() {
        let mut k = Knowledge::default();
        let text = "[[api]]\nname = \"x.y\"\nefects = [\"thread-start\"]\n";
        let msg = k.add_text("mine.toml", text).unwrap_err().to_string();
        assert!(
            msg.starts_with("mine.toml:3:1: unknown field `efects`"),
            "{msg}"
        );
        assert!(msg.ends_with("did you mean `effects`?"), "{msg}");
        let text = "[[api]]\nname = \"x.y\"\neffects = [\"thread-strat\"]\n";
        let msg = k.add_text("mine.toml", text).unwrap_err().to_string();
        assert!(msg.starts_with("mine.toml:3:12: unknown variant"), "{msg}");
        assert!(msg.ends_with("did you mean `thread-start`?"), "{msg}");
        let text = "[[api]]\nname = \"x.y\"\nbogus = 1\n";
        let msg = k.add_text("mine.toml", text).unwrap_err().to_string();
        assert!(!msg.contains("did you mean"), "{msg}");
    }

    #[test]
    fn an_invalid_entry_is_located_at_its_name() {
        let mut k = Knowledge::default();
        let text =
            "[[api]]\nname = \"a.b\"\n\n[[api]]\nname = \"x.y\"\neffects = [\"process-spawn\"]\n";
        let msg = k.add_text("mine.toml", text).unwrap_err().to_string();
        assert!(
            msg.starts_with("mine.toml:5:1: entry `x.y`: a process-spawn entry needs `spawn`"),
            "{msg}"
        );
    }

    #[test]
    fn process_spawn_without_kind_is_rejected() {
        let mut k = Knowledge::default();
        let err = k
            .add_text(
                "mine.toml",
                "[[api]]\nname = \"x.y\"\neffects = [\"process-spawn\"]\n",
            )
            .unwrap_err();
        assert!(err.to_string().contains("needs `spawn`"));
    }
}
