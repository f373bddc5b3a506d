use rustc_hash::FxHashSet as HashSet;

use crate::diagnostic::{Diagnostic, Severity};
use crate::knowledge::{ApiKind, EffectKind, SpawnKind};
use crate::program::{Effect, EffectId, Program};
use crate::rules::import_time::snippet;
use crate::rules::{Family, FixAvailability, Rule};

use super::{SubiRoot, diagnostic, root_steps, site, subinterp_roots};

pub static RULE: Rule = Rule {
    code: "FL306",
    name: "subinterp-forbidden-operation",
    family: Family::Subinterp,
    severity: Severity::Error,
    default_enabled: true,
    fix: FixAvailability::Display,
    summary: "Subinterpreter code forks, runs a subprocess, starts a daemon thread or imports a module that subinterpreters refuse.",
    doc: r#"## What it does
Reports, in code that runs in a subinterpreter (literal code strings, also
`textwrap.dedent("""...""")`; functions given to `interp.call`/`call_in_thread`,
`_interpreters.call` or `InterpreterPoolExecutor`, and what they call, across modules):
- `os.fork()`, `os.forkpty()`, `pty.fork()`, and `subprocess.*(preexec_fn=...)`;
- in an isolated interpreter (the default of `_interpreters.create()`,
  `concurrent.interpreters.create()` and `InterpreterPoolExecutor`): `subprocess.run`/`Popen`/...,
  `os.exec*`, daemon thread starts and `multiprocessing.Pool()`;
- imports of single-phase-init extensions: `readline` (3.12, gh-104621), `msgspec`, `lz4`. Add
  more in a knowledge file: `kind = "module"`, `effects = ["no-subinterpreters"]`.

## Why is this bad?
These fail at run time inside the worker (`RuntimeError`, or `ExecutionFailed` around it). Fork
is refused in subinterpreters since 3.8 ("fork not supported for isolated subinterpreters";
bpo-34651 "Only allow the main interpreter to fork"), and so is `preexec_fn` (subprocess docs).
The isolated config disables exec and daemon threads (3.12+, gh-98610; `multiprocessing.Pool`:
gh-140057). Single-phase-init modules raise `ImportError: module X does not support loading in
subinterpreters` (gh-112677).

## Example
```python
import textwrap
from concurrent import interpreters

def archive():
    interp = interpreters.create()
    interp.exec(textwrap.dedent("""
        import subprocess
        subprocess.run(["tar", "czf", "out.tgz", "data/"], check=True)
    """))
    interp.close()
```

## Use instead
```python
def archive():
    subprocess.run(["tar", "czf", "out.tgz", "data/"], check=True)  # main interpreter
```
Do process and daemon-thread work in the main interpreter; use non-daemon threads; choose
extensions that support subinterpreters.

## When it does not apply
The same calls in main-interpreter code; pure computation such as `os.getpid()`; code strings
built at run time or imported from another module (a module constant bound to a literal is
read as that literal). For an interpreter created legacy in the same function
(`_interpreters.create('legacy')`, `_xxsubinterpreters.create(isolated=False)`), subprocess and
daemon threads are not reported; fork still is.

## Python versions and platforms
Fork and `preexec_fn`: 3.8+, POSIX. Subprocess, exec and daemon threads in isolated
interpreters: 3.12+, all platforms. `InterpreterPoolExecutor` (3.14) always uses isolated ones.
"#,
    check,
};

/// Why an effect fails in a subinterpreter, if it does there.
fn refusal(program: &Program, root: &SubiRoot, id: EffectId) -> Option<String> {
    let isolated = !root.legacy;
    match &program.effect(id).effect {
        Effect::ProcessSpawn {
            kind: SpawnKind::Fork,
            api,
            ..
        } => Some(format!(
            "`{api}` is refused in every subinterpreter, legacy ones included (3.8+: `RuntimeError`)"
        )),
        Effect::ProcessSpawn {
            preexec_fn: true,
            api,
            ..
        } => Some(format!(
            "`{api}` with `preexec_fn` is refused in subinterpreters (3.8+: `RuntimeError`)"
        )),
        Effect::ProcessSpawn {
            kind: SpawnKind::Exec,
            api,
            ..
        } if isolated => Some(format!(
            "`{api}` starts a process, which isolated interpreters refuse (3.12+, `allow_exec=0`); create the interpreter as legacy or launch it from the main interpreter"
        )),
        Effect::ThreadStart {
            daemon: Some(true),
            api,
            ..
        } if isolated => Some(format!(
            "`{api}` starts daemon threads, which isolated interpreters refuse (3.12+: `RuntimeError: daemon threads are disabled`)"
        )),
        Effect::Import { name, also, .. } if isolated => {
            std::iter::once(name.as_str()).chain(also.iter().map(String::as_str)).find_map(|full| {
                // `import lz4.frame` imports `lz4` too: every prefix counts.
                let mut prefix_end = 0;
                loop {
                    let end = full[prefix_end..].find('.').map_or(full.len(), |i| prefix_end + i);
                    let module = &full[..end];
                    if program.knowledge.get(module).is_some_and(|a| {
                        a.kind == ApiKind::Module && a.has(EffectKind::NoSubinterpreters)
                    }) {
                        return Some(format!(
                            "`{module}` is an extension with single-phase init: `ImportError: module {module} does not support loading in subinterpreters` (3.12+ isolated interpreters)"
                        ));
                    }
                    if end == full.len() {
                        return None;
                    }
                    prefix_end = end + 1;
                }
            })
        }
        _ => None,
    }
}

fn check(program: &Program, out: &mut Vec<Diagnostic>) {
    let mut reported = HashSet::default();
    for root in subinterp_roots(program) {
        for &id in program.reach(root.func) {
            let Some(why) = refusal(program, &root, id) else {
                continue;
            };
            if !reported.insert(id) {
                continue;
            }
            let s = program.effect(id);
            let mut d = diagnostic(
                &RULE,
                site(program, id),
                format!(
                    "`{}` runs in a subinterpreter, where it fails: {why}",
                    snippet(program, s.body.file(), s.range)
                ),
                "not allowed in a subinterpreter",
            );
            d.trace = root_steps(program, &root, id);
            d.help = Some("do process and daemon-thread work in the main interpreter, use non-daemon threads, and pick extensions that support subinterpreters".into());
            out.push(d);
        }
    }
}
