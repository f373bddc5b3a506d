use crate::diagnostic::{Diagnostic, Severity};
use crate::program::{Context, Effect, Program};
use crate::rules::{Family, FixAvailability, Rule};

use super::{at_event, chain, first_per_statement, flow, module_name, snippet};

pub static RULE: Rule = Rule {
    code: "FL106",
    name: "import-time-daemon-thread",
    family: Family::ImportTime,
    severity: Severity::Warning,
    default_enabled: true,
    fix: FixAvailability::Display,
    summary: "A daemon thread is started while a module is being imported.",
    doc: r#"## What it does
Reports an import-time thread start (FL101) where the thread is a daemon: `daemon=True`,
`t.daemon = True` or `t.setDaemon(True)` before the start, a `Thread` subclass that makes itself a
daemon, `_thread.start_new_thread`, or an API whose threads are daemons
(`multiprocessing.Pool()`, `trio.to_thread.run_sync`, …).

## Why is this bad?
Daemon threads are "abruptly stopped at shutdown. Their resources (such as open files, database
transactions, etc.) may not be released properly" (threading docs). From Python 3.12, isolated
subinterpreters refuse daemon threads (`RuntimeError: daemon threads are disabled in this
(sub)interpreter`), so such a module cannot even be imported there.

## Example
```python
import threading
threading.Thread(target=flush_forever, daemon=True).start()
```

## Use instead
```python
import threading

_stop = threading.Event()
_worker = None

def start():
    global _worker
    _worker = threading.Thread(target=flush_until, args=(_stop,))
    _worker.start()

def stop():
    _stop.set()
    _worker.join()
```

## When it does not apply
As FL101: code under the main guard, entry scripts, functions not called at import time.

## Python versions and platforms
All. Import fails outright in isolated subinterpreters on 3.12+.
"#,
    check,
};

fn check(program: &Program, out: &mut Vec<Diagnostic>) {
    for file in program.file_ids() {
        let hits = flow(program, file, Context::Import);
        let daemon = |e: &Effect| {
            matches!(
                e,
                Effect::ThreadStart {
                    daemon: Some(true),
                    lazy: false,
                    ..
                }
            )
        };
        for hit in first_per_statement(&hits, program, daemon) {
            let Effect::ThreadStart { api, .. } = &program.effect(hit.effect).effect else {
                continue;
            };
            let call = snippet(program, file, program.event_range(file, hit.event));
            let message = format!(
                "`{call}` starts a daemon thread (`{api}`) while `{}` is being imported",
                module_name(program, file)
            );
            let mut d = at_event(
                &RULE,
                program,
                &hit,
                message,
                "daemon thread started at import time".into(),
            );
            d.trace = chain(program, &hit, "daemon thread started here");
            d.help = Some("give the thread an explicit start/stop lifecycle: a non-daemon thread with a stop `Event`, started from `main()` and joined before exit".into());
            out.push(d);
        }
    }
}
