use crate::diagnostic::{Diagnostic, Severity};
use crate::knowledge::SpawnKind;
use crate::program::{Effect, Program};
use crate::rules::{Family, FixAvailability, Rule};

use super::{flow_trace, on_cells, site_location, site_snippet, thread_loc, thread_trace};

pub static RULE: Rule = Rule {
    code: "FL203",
    name: "preexec-fn-with-threads",
    family: Family::Fork,
    severity: Severity::Warning,
    default_enabled: true,
    fix: FixAvailability::Display,
    summary: "`subprocess` runs a `preexec_fn` in the child, which can deadlock when threads exist.",
    doc: r#"## What it does
Reports `subprocess.Popen`/`run`/`call`/`check_call`/`check_output` (and
`asyncio.create_subprocess_*`) called with a `preexec_fn=` that is not `None`. It is an error
when a thread may be running at the call (found as for FL201: earlier in the flow, in a function
called earlier, at import time of an imported module, or on a thread target), a warning
otherwise. This overlaps Ruff's `PLW1509`; forklint adds the threaded-program escalation.

## Why is this bad?
Without `preexec_fn`, `subprocess` runs only async-signal-safe C code between `fork` and `exec`.
With it, Python code runs in the forked child, which needs the interpreter's locks: the
subprocess docs warn that it "is NOT SAFE to use in the presence of threads … the child process
could deadlock before exec is called". It also disables the `vfork()` fast path (3.10+), is
refused in subinterpreters (3.8+) and during finalization (3.12+).

## Example
```python
import os, subprocess

def launch(cmd):
    return subprocess.Popen(cmd, preexec_fn=os.setsid)
```

## Use instead
```python
def launch(cmd):
    return subprocess.Popen(cmd, start_new_session=True)
```
The subprocess docs' task-specific parameters: `start_new_session=True` instead of `os.setsid`,
`process_group=0` (3.11+) instead of `os.setpgid(0, 0)`, `user=`/`group=`/`extra_groups=`/
`umask=` (3.9+), `env=` for the environment, `pass_fds=` for file descriptors.

## When it does not apply
`preexec_fn=None` or no `preexec_fn` at all: then the child runs no Python code, and launching
processes from a threaded program is safe (RULES.md §0.4). Windows (no `preexec_fn` there).

## Python versions and platforms
POSIX, every version.
"#,
    check,
};

fn check(program: &Program, out: &mut Vec<Diagnostic>) {
    let flow = program.fork_flow();
    for report in &flow.sinks {
        let Effect::ProcessSpawn {
            kind: SpawnKind::Exec,
            api,
            ..
        } = &program.effect(report.effect).effect
        else {
            continue;
        };
        if report.fork == 0 {
            continue;
        }
        let call = site_snippet(program, report.effect);
        let threaded = report.fork & (report.project | report.library);
        let src = report.project_src.or(report.library_src);
        let (severity, message, mut trace) = match src.filter(|_| threaded != 0) {
            Some(src) => (
                Severity::Error,
                format!(
                    "`{call}` runs `preexec_fn` in the forked child while a thread {} running \
                     (started at {}): the child can deadlock before exec{}",
                    if report.definite { "is" } else { "may be" },
                    thread_loc(program, &src),
                    on_cells(program, threaded)
                ),
                thread_trace(program, &src),
            ),
            None => (
                RULE.severity,
                format!(
                    "`{call}` runs `preexec_fn` in the forked child before exec (`{api}`): not \
                     safe once the program has threads{}",
                    on_cells(program, report.fork)
                ),
                Vec::new(),
            ),
        };
        trace.extend(flow_trace(program, report));
        out.push(Diagnostic {
            code: RULE.code,
            name: RULE.name,
            severity,
            message,
            primary: site_location(program, report.effect),
            label: "Python runs between fork and exec".into(),
            trace,
            help: Some(
                "use `start_new_session=True` instead of `os.setsid`, `process_group=0` (3.11+) \
                 instead of `os.setpgid(0, 0)`, `umask=`/`user=`/`group=` (3.9+), `env=`, or \
                 `pass_fds=`"
                    .into(),
            ),
            notes: Vec::new(),
            fix: None,
        });
    }
}
