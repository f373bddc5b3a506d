use crate::diagnostic::{Diagnostic, Location, Severity};
use crate::program::Program;
use crate::rules::import_time::{function_name, snippet};
use crate::rules::{Family, FixAvailability, Rule};

use super::{Waits, diagnostic, function, project_threads, site};

pub static RULE: Rule = Rule {
    code: "FL404",
    name: "thread-never-joined",
    family: Family::Shutdown,
    severity: Severity::Warning,
    default_enabled: true,
    fix: FixAvailability::Display,
    summary: "A non-daemon thread that loops forever is never joined or stopped, so the program cannot exit.",
    doc: r#"## What it does
Reports the start of a non-daemon thread started by project code whose handle is discarded
(`threading.Thread(target=f).start()`) or never joined (`t = Thread(...)`, `t.start()`, no
`t.join()` anywhere), when its target loops forever: a `while True:` with no `break` and no
`return` inside it.

## Why is this bad?
"The entire Python program exits when no alive non-daemon threads are left" (threading docs).
At exit the interpreter joins every non-daemon thread; this one never ends, so the program
does not exit after `main()` returns.

## Example
```python
def poll_config():
    while True:
        reload_config()
        time.sleep(30)

def main():
    threading.Thread(target=poll_config).start()
    serve_until_done()
```

## Use instead
```python
STOP = threading.Event()

def poll_config():
    while not STOP.is_set():
        reload_config()
        STOP.wait(30)

def main():
    t = threading.Thread(target=poll_config)
    t.start()
    try:
        serve_until_done()
    finally:
        STOP.set()
        t.join()
```
Or make it a deliberate daemon thread (then FL401 applies).

## When it does not apply
Joined threads (`t.join()` in `finally:` of `main()`, `self._t.join()` in a `stop()` method);
daemon threads; executor threads (`with ThreadPoolExecutor() as ex:`); `threading.Timer`. A
never-joined thread whose target ends on its own is not reported: the program still exits.

## Python versions and platforms
All versions and platforms.
"#,
    check,
};

fn check(program: &Program, out: &mut Vec<Diagnostic>) {
    let mut waited = None;
    for thread in project_threads(program).filter(|t| !t.daemon) {
        let Some((target, lp)) = thread.targets.iter().find_map(|t| {
            function(program, *t)
                .long_loop
                .filter(|l| l.forever)
                .map(|l| (*t, l))
        }) else {
            continue;
        };
        let waited = waited.get_or_insert_with(|| Waits::of(program));
        if waited.covers(program, thread.start, thread.handle) {
            continue;
        }
        let s = program.effect(thread.start);
        let mut d = diagnostic(
            &RULE,
            site(program, thread.start),
            format!(
                "`{}` starts a non-daemon thread that is never joined and whose target `{}` \
                 loops forever: the interpreter waits for it at exit, so the program never ends (every version)",
                snippet(program, s.body.file(), s.range),
                function_name(program, target)
            ),
            "thread that keeps the process alive",
        );
        d.trace.push(crate::diagnostic::Step {
            location: Location {
                file: target.file,
                range: lp.range,
            },
            message: "`while True:` with no `break` or `return`".into(),
        });
        d.help = Some("give the loop a stop `Event` checked each turn, set it from the main flow and `join()` the thread; or make it a deliberate daemon thread (then see FL401)".into());
        out.push(d);
    }
}
