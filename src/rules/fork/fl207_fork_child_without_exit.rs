use crate::diagnostic::{Diagnostic, FileId, Location, Severity, Step};
use crate::program::{FnRef, Program, Resolved};
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
- A branch that ends in `os._exit`, `os.exec*` or `os.abort` on every path.
- The daemonizing pattern where the *parent* exits and the child is meant to continue:
  `if os.fork() > 0: os._exit(0)`, or a child branch whose `else:` (the parent's branch) ends
  the process (`if pid == 0: … else: os._exit(0)`, the double-fork `createDaemon()` recipe).
- A pre-fork server, where the children return to serve and the parent only supervises
  (tornado's `fork_processes`): a child branch that ends in `return` in a function whose own
  last statement ends the process (`sys.exit`, `raise SystemExit`, `os._exit`), or in a helper
  whose every caller ends that way (tornado's nested `start_child()`).
- A double-fork wrapper, which daemonizes and hands the grandchild to its caller as
  `os.fork()` itself does (ansible's `fork_process()`): the child branch forks again with that
  parent exiting in its own branch, then ends in `return pid` or falls out of the `if` straight
  into `return pid`, where `pid` holds a fork's result. The caller's own `if pid == 0:` is not
  checked: the rule follows only `os.fork()` and the forks the knowledge base lists. A child
  that does its work and then returns `pid`, as in the example above, is reported.
- A `pid` that is not tested against zero in an `if`.

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
            // The same through a helper (tornado's real `start_child()`): the child returns
            // from the helper, and every caller of it ends the process for the parent.
            let parent_exits = child.returns
                && child.func.is_some_and(|func| {
                    let f = FnRef { file, func };
                    ends_process(program, f) || every_caller_ends_process(program, f)
                });
            // A double-fork wrapper returns the grandchild to its caller as `os.fork()` does.
            if tail_exits || parent_exits || child.hands_off_pid {
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
                also: Vec::new(),
            });
        }
    }
}

fn ends_process(program: &Program, f: FnRef) -> bool {
    program.summary(f.file).functions[f.func as usize].ends_process
}

/// Whether `f` is called, only from functions that end the process: no module top level
/// calls it (that caller would go on after the call), and no caller returns normally.
fn every_caller_ends_process(program: &Program, f: FnRef) -> bool {
    let call = Resolved::Call(f);
    if program.body_events.iter().any(|e| e.all().contains(&call)) {
        return false;
    }
    let mut called = false;
    for (i, per_fn) in program.fn_events.iter().enumerate() {
        let file = FileId(i as u32);
        for func in 0..per_fn.len() as u32 {
            if per_fn.all(func).contains(&call) {
                if !ends_process(program, FnRef { file, func }) {
                    return false;
                }
                called = true;
            }
        }
    }
    called
}
