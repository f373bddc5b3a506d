use crate::diagnostic::{Diagnostic, Location, Severity, Step};
use crate::program::Program;
use crate::rules::{Family, FixAvailability, Rule};

pub static RULE: Rule = Rule {
    code: "FL207",
    name: "fork-child-without-exit",
    family: Family::Fork,
    severity: Severity::Warning,
    default_enabled: true,
    fix: FixAvailability::Display,
    summary: "The child branch after `os.fork()` can leave without `os._exit()`.",
    doc: r#"## What it does
After `pid = os.fork()` (or `pid, fd = pty.fork()` / `os.forkpty()`), finds the child branch —
`if pid == 0:`, `if not pid:`, or the `else:` of `if pid:` / `if pid != 0:` / `if pid > 0:` — and
reports the fork when some path through that branch can reach its end, `return`, `raise`,
`break` out, or call `sys.exit()` without first ending the process with `os._exit(...)`,
`os.abort()` or an `os.exec*(...)` call.

The branch ends the process when one of its top-level statements does, with nothing before it
that can leave early; an `if`/`else` whose every branch ends it; `try:` … `finally: os._exit(...)`;
`try`/`except` where the body and every handler end it; `while True:` without `break`; or, as
its last statement, a call of a project function whose own last statement is `os._exit(...)`.

## Why is this bad?
A child that falls out of its branch goes on running the parent's code: it returns into the
caller, runs the rest of the program a second time, flushes the parent's buffered output again,
and at exit runs the parent's `atexit` handlers and finalizers (`sys.exit()` raises
`SystemExit`, which does all of that too). With threads in the parent it may also re-enter
code whose locks were copied locked (FL201).

## Example
```python
import os

def spawn(task):
    pid = os.fork()
    if pid == 0:
        task()          # then returns into the parent's code
    return pid
```

## Use instead
```python
def spawn(task):
    pid = os.fork()
    if pid == 0:
        try:
            task()
        finally:
            os._exit(0)
    return pid
```

## When it does not apply
A branch that ends in `os._exit`, `os.exec*` or `os.abort` on every path; the daemonizing
pattern where the *parent* exits (`if os.fork() > 0: os._exit(0)`) and the child is meant to
continue, which this rule does not look at; a child branch that ends in `return` in a function
whose own last statement ends the process (`sys.exit`, `os._exit`): the pre-fork server, where
the children return to serve and the parent only supervises (tornado's `fork_processes`); a
`pid` that is not tested against zero in an `if`.

## Python versions and platforms
POSIX, every version.
"#,
    check,
};

fn check(program: &Program, out: &mut Vec<Diagnostic>) {
    if program.fork_flow().grid.posix() == 0 {
        return;
    }
    for file in program.file_ids() {
        for child in &program.summary(file).fork_children {
            if child.exits {
                continue;
            }
            // `if pid == 0: child_main()` where `child_main` ends in `os._exit`.
            let tail_exits = child.tail_call.as_ref().is_some_and(|callee| {
                let targets = program.callable_targets(file, callee);
                !targets.is_empty()
                    && targets
                        .iter()
                        .all(|f| program.summary(f.file).functions[f.func as usize].ends_in_exit)
            });
            // Pre-fork servers (tornado's `fork_processes`): the child returns to become the
            // program while the parent, which ends the function in `sys.exit`/`os._exit`,
            // only supervises. The child's return is the hand-off, not a fall-through.
            let parent_exits = child.returns
                && child
                    .func
                    .is_some_and(|f| program.summary(file).functions[f as usize].ends_process);
            if tail_exits || parent_exits {
                continue;
            }
            let call = crate::rules::import_time::snippet(program, file, child.fork);
            out.push(Diagnostic {
                code: RULE.code,
                name: RULE.name,
                severity: RULE.severity,
                message: format!(
                    "the child of `{call}` can leave its branch without `os._exit()`: it would \
                     go on running the parent's code and exit handlers"
                ),
                primary: Location {
                    file,
                    range: child.fork,
                },
                label: "forks here".into(),
                trace: vec![Step {
                    location: Location {
                        file,
                        range: child.body,
                    },
                    message: "the child branch, which has a path that does not end the process"
                        .into(),
                }],
                help: Some("end the child with `os._exit(code)` in `try`/`finally`".into()),
                notes: Vec::new(),
                fix: None,
            });
        }
    }
}
