use crate::diagnostic::{Diagnostic, Severity};
use crate::knowledge::SpawnKind;
use crate::program::{Effect, Program};
use crate::rules::{Family, FixAvailability, Rule};
use crate::settings::StartMethod;

use super::{at_event, chain, snippet, unguarded_flow};

pub static RULE: Rule = Rule {
    code: "FL107",
    name: "mp-start-without-main-guard",
    family: Family::ImportTime,
    severity: Severity::Error,
    default_enabled: true,
    fix: FixAvailability::Unsafe,
    summary: "A script starts multiprocessing children outside its `__main__` guard under spawn or forkserver.",
    doc: concat!(
        r#"## What it does
In a file that can run as the entry script (it has an `if __name__ == "__main__":` guard, a
shebang, or is given with `--entry`, or nothing in the project imports it and no package holds
it, as this page's example), reports a `multiprocessing` start (`Process.start()`,
`Pool()`, `Manager()`, `ProcessPoolExecutor.submit`/`map`) at top level outside the guard, or in
a function called from there, when the start method is spawn or forkserver: explicitly
(`get_context("spawn")`, `mp_context=`, `set_start_method(...)` earlier in the module) or by
default for the target (Windows; macOS from 3.8; Linux from 3.14).

## Why is this bad?
Spawn and forkserver children re-import the main script as `__mp_main__`, so unguarded top-level
code runs again in every child: it tries to start processes while bootstrapping and fails with
`RuntimeError: An attempt has been made to start a new process before the current process has
finished its bootstrapping phase`, or recurses. Code that worked on Linux up to 3.13 (fork)
breaks on 3.14, where the default became forkserver.

## Example
```python
from multiprocessing import Process

def work(): ...

p = Process(target=work)
p.start()
p.join()
```

## Use instead
```python
from multiprocessing import Process

def work(): ...

def main():
    p = Process(target=work)
    p.start()
    p.join()

if __name__ == "__main__":
    main()
```

"#,
        entry_fix_safety!(),
        r#"## When it does not apply
Starts inside the main guard; `__main__.py` (spawn does not re-run it: `multiprocessing.spawn`
skips main modules named `__main__`); modules that cannot be the entry script; the fork start
method (Linux up to 3.13 by default).

## Python versions and platforms
Windows always; macOS 3.8+; Linux 3.14+; any platform with an explicit spawn or forkserver
context. Evaluated for every configured Python version (`--target-version`, or every version
`requires-python` allows) on every configured platform (`--platform`, or `platforms` in the
configuration): reported when any of them re-imports.
"#
    ),
    check,
};

fn check(program: &Program, out: &mut Vec<Diagnostic>) {
    for file in program.file_ids() {
        if !program.file(file).may_run_directly {
            continue;
        }
        let mut set_in_module: Option<StartMethod> = None;
        let mut last_stmt = None;
        for hit in unguarded_flow(program, file) {
            match &program.effect(hit.effect).effect {
                Effect::SetStartMethod { method } => {
                    set_in_module = method.single().or(set_in_module)
                }
                Effect::ProcessSpawn {
                    kind: SpawnKind::Multiprocessing,
                    start_method,
                    api,
                    ..
                } => {
                    // Each configured (version, platform) is a cell; the first that re-imports
                    // the main module reports.
                    let settings = &program.settings;
                    let cell = settings.target_versions.iter().find_map(|&v| {
                        settings.platforms.iter().find_map(|&p| {
                            let method =
                                program.start_method_on(start_method.single(), set_in_module, v, p);
                            method.reimports_main().then_some((method, v, p))
                        })
                    });
                    let Some((method, version, platform)) = cell else {
                        continue;
                    };
                    if last_stmt == Some(hit.stmt) {
                        continue;
                    }
                    last_stmt = Some(hit.stmt);
                    let why = if start_method.single().is_some() || set_in_module.is_some() {
                        format!("the {} start method is chosen explicitly", method.as_str())
                    } else {
                        format!(
                            "{} is the default start method on {} with Python {}",
                            method.as_str(),
                            platform,
                            version
                        )
                    };
                    let call = snippet(program, file, program.event_range(file, hit.event));
                    let message = format!(
                        "`{call}` starts a process (`{api}`) outside the `__main__` guard; {why}, so every child re-runs this line when it re-imports the script"
                    );
                    let mut d = at_event(
                        &RULE,
                        program,
                        &hit,
                        message,
                        "outside the main guard".into(),
                    );
                    d.trace = chain(program, &hit, "process started here");
                    d.help = Some("move the entry code into `def main(): …` and call it under `if __name__ == \"__main__\":`".into());
                    d.fix = super::entry_fix(program, &d);
                    out.push(d);
                }
                _ => {}
            }
        }
    }
}
