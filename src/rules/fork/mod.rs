//! Fork hazards (FL2xx): forking a process that may have other threads, and the start method
//! that decides whether a `multiprocessing` start forks at all.
//!
//! The flow analysis (which threads may be running at each fork sink, on which cells) is
//! `program::ForkFlow`; this module turns its sinks into chains a reader can follow.

// The `## Fix safety` section of FL201 and FL202, which share the start-method fix
// ([`start_method_fix`]); a macro because `concat!` takes literals only.
macro_rules! start_method_fix_safety {
    () => {
        r#"## Fix safety
Unsafe. For a `multiprocessing` start, the fix creates the process from an explicit
`forkserver` context (`spawn` when no target platform is Linux):
`multiprocessing.Process(...)`/`Pool(...)`/`Manager(...)` becomes
`multiprocessing.get_context("forkserver").Process(...)` (adding `import multiprocessing` if
the module has no import to reuse), and `ProcessPoolExecutor(...)` gets
`mp_context=multiprocessing.get_context("forkserver")`. For `p.start()` or `ex.submit(...)`
the constructor edited is the `p = …` or `with … as ex:` before it in the same function.
It changes behaviour:
- the target, its arguments and the pool's tasks are pickled, so they must be picklable
  (no lambdas or local functions);
- the child starts a fresh interpreter and re-imports the `__main__` module, so a script needs
  its `if __name__ == "__main__":` guard (FL107 then reports one that lacks it);
- the child inherits nothing from the parent's memory: module state set up at run time,
  loggers, open connections must be set up again in the child;
- starting a child is slower.
`os.fork()` and other direct forks get the suggestion only.

"#
    };
}

pub mod fl201_fork_after_threads;
pub mod fl202_fork_after_library_threads;
pub mod fl203_preexec_fn_with_threads;
pub mod fl204_explicit_fork_start_method;
pub mod fl205_implicit_start_method_portability;
pub mod fl206_lock_held_across_fork;
pub mod fl207_fork_child_without_exit;
pub mod fl208_forkserver_preload_threads;
pub mod servers;

use rustc_hash::FxHashSet as HashSet;

use crate::diagnostic::{Diagnostic, FileId, Location, Severity, Step};
use crate::program::{
    Body, Cells, Effect, EffectId, FnRef, Program, SinkReport, ThreadSource, Via,
};
use crate::rules::Rule;
use crate::rules::import_time::{call_steps_from, function_name, loc, module_name, snippet};
use crate::settings::PythonVersion;

/// The name a body goes by in a chain: a function's qualified name, or `<module m>`.
fn body_name(program: &Program, body: Body) -> String {
    match body {
        Body::Function(f) => format!("`{}`", function_name(program, f)),
        Body::Module(file) => format!("the top level of module `{}`", module_name(program, file)),
    }
}

/// The call as written at an effect's site, on one line.
pub fn site_snippet(program: &Program, effect: EffectId) -> String {
    let site = program.effect(effect);
    snippet(program, site.body.file(), site.range)
}

pub fn site_location(program: &Program, effect: EffectId) -> Location {
    let site = program.effect(effect);
    Location {
        file: site.body.file(),
        range: site.range,
    }
}

/// Where a thread was started, for a message: `util.py:4`.
pub fn thread_loc(program: &Program, src: &ThreadSource) -> String {
    let site = program.effect(src.effect);
    loc(program, site.body.file(), site.range)
}

/// The API that started the thread (`threading.Thread.start`).
pub fn thread_api(program: &Program, src: &ThreadSource) -> String {
    match &program.effect(src.effect).effect {
        Effect::ThreadStart { api, .. } => api.clone(),
        _ => String::new(),
    }
}

/// The steps from the event where a thread came into the flow to the thread start itself.
pub fn thread_trace(program: &Program, src: &ThreadSource) -> Vec<Step> {
    let mut steps = Vec::new();
    let at = Location {
        file: src.body.file(),
        range: src.range,
    };
    let start = program.effect(src.effect);
    let api = thread_api(program, src);
    match src.via {
        Via::Direct => {}
        Via::Target => {}
        Via::Call(f) => {
            steps.push(Step {
                location: at,
                message: format!(
                    "{} calls `{}`, which leaves a thread running",
                    body_name(program, src.body),
                    function_name(program, f)
                ),
            });
            steps.extend(call_steps_from(program, src.body, src.range, f, src.effect));
        }
        Via::Import(m) => {
            steps.push(Step {
                location: at,
                message: format!(
                    "`{}` is imported here; its import starts a thread",
                    module_name(program, m)
                ),
            });
            // Follow the modules imported on the way to the one that starts it.
            let flow = program.fork_flow();
            let mut seen = HashSet::default();
            let mut file = m;
            while seen.insert(file) {
                let Some(found) = flow.import_thread(file) else {
                    break;
                };
                let Some(next) = found.through else { break };
                if let Some(range) = import_range(program, file, next) {
                    steps.push(Step {
                        location: Location { file, range },
                        message: format!(
                            "`{}` imports `{}`",
                            module_name(program, file),
                            module_name(program, next)
                        ),
                    });
                }
                file = next;
            }
            // The start may be reached from that module's top level through calls.
            if matches!(start.body, Body::Function(_))
                && let Some((range, callee)) = first_call_reaching(program, file, src.effect)
            {
                steps.push(Step {
                    location: Location { file, range },
                    message: format!(
                        "the top level of `{}` calls `{}`",
                        module_name(program, file),
                        function_name(program, callee)
                    ),
                });
                let top = Body::Module(file);
                steps.extend(call_steps_from(program, top, range, callee, src.effect));
            }
        }
    }
    let message = if src.via == Via::Target {
        format!("this code runs on the thread started here (`{api}`)")
    } else {
        format!("thread started here (`{api}`)")
    };
    steps.push(Step {
        location: Location {
            file: start.body.file(),
            range: start.range,
        },
        message,
    });
    steps
}

/// The range of the first top-level import of `target` in `file`.
fn import_range(
    program: &Program,
    file: FileId,
    target: FileId,
) -> Option<ruff_text_size::TextRange> {
    (0..program.summary(file).body.len()).find_map(|i| {
        program
            .event_effects(file, i)
            .find_map(|(id, _)| match &program.effect(id).effect {
                Effect::Import { modules, .. } if modules.contains(&target) => {
                    Some(program.event_range(file, i))
                }
                _ => None,
            })
    })
}

/// The first top-level event of `file` that reaches `effect` through a call.
fn first_call_reaching(
    program: &Program,
    file: FileId,
    effect: EffectId,
) -> Option<(ruff_text_size::TextRange, FnRef)> {
    (0..program.summary(file).body.len()).find_map(|i| {
        program
            .event_effects(file, i)
            .find_map(|(id, via)| (id == effect).then_some(via).flatten())
            .map(|via| (program.event_range(file, i), via))
    })
}

/// The steps from the root that reaches a sink down to the sink's body.
pub fn flow_trace(program: &Program, report: &SinkReport) -> Vec<Step> {
    let mut steps = Vec::new();
    if let Some((range, f)) = report.call {
        steps.push(Step {
            location: Location {
                file: report.root.file(),
                range,
            },
            message: format!(
                "{} calls `{}`",
                body_name(program, report.root),
                function_name(program, f)
            ),
        });
        steps.extend(call_steps_from(
            program,
            report.root,
            range,
            f,
            report.effect,
        ));
    }
    steps
}

/// ` (on Linux with Python 3.8–3.13)` when `cells` are not every configured cell.
pub fn on_cells(program: &Program, cells: Cells) -> String {
    let grid = &program.fork_flow().grid;
    if cells == grid.all() {
        String::new()
    } else {
        format!(" (on {})", grid.describe(cells))
    }
}

/// Whether some of `cells` run Python 3.12 or later, where `os.fork()` warns when it sees
/// threads (gh-100228).
pub fn warns_on_312(program: &Program, cells: Cells) -> bool {
    program
        .fork_flow()
        .grid
        .cells
        .iter()
        .enumerate()
        .any(|(i, (v, _))| cells & (1 << i) != 0 && *v >= PythonVersion::PY312)
}

/// Files that register `os.register_at_fork(after_in_child=...)`: their threads and locks
/// are reinitialised in the child (the `at-fork-mitigated` recognizer of RULES.md §2).
pub fn at_fork_files(program: &Program) -> HashSet<FileId> {
    program
        .effects
        .iter()
        .filter(|site| {
            matches!(
                site.effect,
                Effect::AtFork {
                    after_in_child: true,
                    ..
                }
            )
        })
        .map(|site| site.body.file())
        .collect()
}

/// The caveats that stay in a finding downgraded by `os.register_at_fork` (RULES.md §2).
pub const AT_FORK_CAVEATS: &str = "this module registers `os.register_at_fork(after_in_child=...)`, which \
    lowers the severity; the hooks do not run for C-level `fork()` calls that skip \
    `PyOS_*Fork*`, cannot fix native locks (malloc, OpenMP), logging inside `after_in_child` \
    can itself deadlock, and `QueueHandler`/`QueueListener` queues are not covered";

/// The sinks that fork (not the `preexec_fn` spawns, which are FL203's).
pub fn forking_sinks(program: &Program) -> impl Iterator<Item = &SinkReport> + '_ {
    program.fork_flow().sinks.iter().filter(|report| {
        !matches!(
            program.effect(report.effect).effect,
            Effect::ProcessSpawn {
                kind: crate::knowledge::SpawnKind::Exec,
                ..
            }
        )
    })
}

/// A fork-after-threads finding (FL201 and FL202 share it; they differ in where the thread
/// comes from).
pub fn fork_after_threads(
    rule: &'static Rule,
    program: &Program,
    report: &SinkReport,
    cells: Cells,
    src: &ThreadSource,
    mitigated: &HashSet<FileId>,
    library: bool,
) -> Diagnostic {
    let call = site_snippet(program, report.effect);
    let site = program.effect(report.effect);
    let (api, mp) = match &site.effect {
        Effect::ProcessSpawn { api, kind, .. } => (
            api.as_str(),
            *kind == crate::knowledge::SpawnKind::Multiprocessing,
        ),
        _ => ("", false),
    };
    // A library that starts its threads on first use (knowledge `lazy`) may not have yet.
    let lazy = matches!(
        program.effect(src.effect).effect,
        Effect::ThreadStart { lazy: true, .. }
    );
    let is_running = if report.definite && !lazy {
        "is"
    } else {
        "may be"
    };
    let whose = if library {
        format!("a library thread (`{}`)", thread_api(program, src))
    } else {
        "another thread".to_string()
    };
    let how = if mp {
        "with the fork start method "
    } else {
        ""
    };
    let message = format!(
        "`{call}` forks {how}while {whose} {is_running} running (started at {}){}",
        thread_loc(program, src),
        on_cells(program, cells)
    );
    let start_file = program.effect(src.effect).body.file();
    let low = api == "pty.spawn" || api.starts_with("os.spawn");
    let mut severity = rule.severity;
    let mut notes = Vec::new();
    if mitigated.contains(&start_file) {
        severity = Severity::Warning;
        notes.push(AT_FORK_CAVEATS.to_string());
    }
    if low {
        severity = Severity::Warning;
        notes.push(format!(
            "`{api}` execs at once, so little Python runs in the child"
        ));
    }
    if warns_on_312(program, cells) && !mp {
        notes.push(
            "Python 3.12+ warns at run time: `DeprecationWarning: This process is \
             multi-threaded, use of fork() may lead to deadlocks in the child`"
                .into(),
        );
    }
    if library {
        notes.push(
            "the library's threads hold locks (and native state) that the child copies in \
             whatever state they were; see the library's fork-safety notes"
                .into(),
        );
    }
    let mut trace = thread_trace(program, src);
    trace.extend(flow_trace(program, report));
    let fix = if mp {
        start_method_fix(program, report.effect)
    } else {
        None
    };
    let help = if mp {
        "start processes before any thread, or use `multiprocessing.get_context(\"forkserver\")` \
         (or `\"spawn\"`) and pass it as `mp_context=`"
    } else {
        "fork before starting any thread; to run a program, use `subprocess` or \
         `os.posix_spawn`; otherwise use a `multiprocessing` forkserver or spawn context"
    };
    Diagnostic {
        code: rule.code,
        name: rule.name,
        severity,
        message,
        primary: site_location(program, report.effect),
        label: "forks a multithreaded process".into(),
        trace,
        help: Some(help.into()),
        notes,
        fix,
        also: Vec::new(),
    }
}

/// The thread-safe start method a fix picks: `forkserver`, or `spawn` when no target platform
/// has `forkserver` (macOS and Windows only; `forkserver` is POSIX, and `spawn` is already
/// the default on both).
pub fn safe_start_method(program: &Program) -> &'static str {
    use crate::settings::Platform;
    if program.settings.platforms.contains(&Platform::Linux) {
        "forkserver"
    } else {
        "spawn"
    }
}

/// FL201/FL202's unsafe fix for a `multiprocessing` process start: create the process (pool,
/// manager, executor) from an explicit thread-safe context. `multiprocessing.Process(...)`
/// becomes `multiprocessing.get_context("forkserver").Process(...)` (objects marked
/// `context-attr` in the knowledge base) and `ProcessPoolExecutor(...)` gets
/// `mp_context=multiprocessing.get_context("forkserver")` (`context-arg`). The constructor is
/// the call itself, or for `p.start()` / `ex.submit(...)` the `p = …` / `with … as ex` before
/// it in the same function.
pub fn start_method_fix(program: &Program, effect: EffectId) -> Option<crate::diagnostic::Fix> {
    use ruff_python_ast::Expr;
    use ruff_text_size::{Ranged, TextRange};

    use crate::diagnostic::{Applicability, Edit, Fix};

    let location = site_location(program, effect);
    let source = program.fix_source(location.file)?;
    let call = source.call_at(location.range)?;
    let knowledge = &program.knowledge;
    // The API a constructor calls, when it is its canonical name (not an alias such as
    // `torch.multiprocessing.Process`, whose module has no `get_context` to call).
    let api_of = |call: &ruff_python_ast::ExprCall| {
        let name = source.qualified(&call.func)?;
        knowledge.get(&name).filter(|api| {
            api.name == name && (api.context_attr.is_some() || api.context_arg.is_some())
        })
    };
    let constructor = match api_of(call) {
        Some(_) => call,
        None => {
            let Expr::Attribute(method) = call.func.as_ref() else {
                return None;
            };
            match method.value.as_ref() {
                Expr::Call(inner) => inner,
                Expr::Name(name) => source.constructor_of(name.id.as_str(), call.start())?,
                _ => return None,
            }
        }
    };
    let api = api_of(constructor)?;
    let method = safe_start_method(program);
    let (get_context, import) = source.reference("multiprocessing", "get_context")?;
    let context = format!("{get_context}(\"{method}\")");
    let mut edits: Vec<Edit> = import.into_iter().collect();
    let message;
    if let Some(attr) = &api.context_attr {
        // Keep how the module is referred to (`mp.Process` → `mp.get_context(...).Process`).
        let callee = match constructor.func.as_ref() {
            Expr::Attribute(a)
                if source.qualified(&a.value).as_deref() == Some("multiprocessing") =>
            {
                edits.clear();
                format!(
                    "{}.get_context(\"{method}\").{attr}",
                    source.slice(a.value.range())
                )
            }
            _ => format!("{context}.{attr}"),
        };
        message = format!("create it with `{callee}(...)`");
        edits.push(Edit {
            file: location.file,
            range: constructor.func.range(),
            content: callee,
        });
    } else {
        let spec = api.context_arg.as_ref()?;
        let arguments = &constructor.arguments;
        let keyword = spec.keyword.as_deref()?;
        let given_positionally = spec.position.is_some_and(|p| arguments.args.len() > p);
        let given = arguments
            .keywords
            .iter()
            .any(|k| k.arg.is_none() || k.arg.as_ref().is_some_and(|a| a.as_str() == keyword));
        if given_positionally || given || arguments.args.iter().any(|a| a.is_starred_expr()) {
            return None;
        }
        let last_end = arguments
            .args
            .iter()
            .map(Ranged::end)
            .chain(arguments.keywords.iter().map(Ranged::end))
            .max();
        let (at, content) = match last_end {
            Some(end) => (end, format!(", {keyword}={context}")),
            None => (
                arguments.start() + ruff_text_size::TextSize::new(1),
                format!("{keyword}={context}"),
            ),
        };
        message = format!("pass `{keyword}={context}`");
        edits.push(Edit {
            file: location.file,
            range: TextRange::empty(at),
            content,
        });
    }
    Some(crate::fix::sorted(Fix {
        message,
        applicability: Applicability::Unsafe,
        edits,
    }))
}
