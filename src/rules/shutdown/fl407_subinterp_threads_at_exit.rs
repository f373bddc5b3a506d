use rustc_hash::FxHashSet as HashSet;

use crate::diagnostic::{Diagnostic, Severity};
use crate::program::{Effect, Program};
use crate::rules::import_time::snippet;
use crate::rules::subinterp::{root_steps, subinterp_roots};
use crate::rules::{Family, FixAvailability, Rule};

use super::{diagnostic, site};

pub static RULE: Rule = Rule {
    code: "FL407",
    name: "subinterp-threads-at-exit",
    family: Family::Shutdown,
    severity: Severity::Error,
    default_enabled: true,
    fix: FixAvailability::Display,
    summary: "Code in a subinterpreter starts a thread and does not join it, which can hang or crash the program at exit.",
    doc: r#"## What it does
Reports a thread started inside subinterpreter code and not joined there: in a literal code
string given to `_interpreters.run_string`/`exec` or `interp.exec` (the finding is on the line
inside the string), or in a project function given to `interp.call` or `interp.call_in_thread`
that starts a `threading.Thread` and returns without joining it.

## Why is this bad?
The thread outlives the code that started it and keeps the subinterpreter alive. The program
can hang at exit (gh-113146, "Lingering Subinterpreter Subthread Keeps Program From Exiting")
or crash while the subinterpreter is finalized (gh-128639). See also gh-105716.

## Example
```python
from concurrent import interpreters

def main():
    interp = interpreters.create()
    interp.exec("""
import threading
from worker import drain
threading.Thread(target=drain).start()
""")
```

## Use instead
```python
def main():
    interp = interpreters.create()
    interp.exec("""
import threading
from worker import drain, fill
t = threading.Thread(target=drain)
t.start()
fill()
t.join()
""")
    interp.close()
```
Join the subinterpreter's threads inside it, then `close()` it explicitly. Each code string is
read on its own: a join in a later `exec` is not seen.

## When it does not apply
Code that joins the thread before it returns; threads started in the main interpreter;
non-literal code strings. FL401 and FL404 do not read code strings. A daemon thread started in
an isolated subinterpreter is refused outright (FL306).

## Python versions and platforms
3.12–3.14, all platforms.
"#,
    check,
};

fn check(program: &Program, out: &mut Vec<Diagnostic>) {
    let mut reported = HashSet::default();
    for root in subinterp_roots(program) {
        let reach = program.reach(root.func);
        let joined: HashSet<_> = reach
            .iter()
            .filter_map(|id| match &program.effect(*id).effect {
                Effect::ThreadWait {
                    handle: Some(h), ..
                } => Some(*h),
                _ => None,
            })
            .collect();
        for &id in reach {
            let Effect::ThreadStart {
                pooled: false,
                library: false,
                handle,
                ..
            } = &program.effect(id).effect
            else {
                continue;
            };
            if handle.is_some_and(|h| joined.contains(&h)) || !reported.insert(id) {
                continue;
            }
            let s = program.effect(id);
            let mut d = diagnostic(
                &RULE,
                site(program, id),
                format!(
                    "`{}` starts a thread inside a subinterpreter and nothing there joins it: \
                     the program can hang at exit or crash finalizing the interpreter (3.12–3.14)",
                    snippet(program, s.body.file(), s.range)
                ),
                "thread left running in a subinterpreter",
            );
            d.trace = root_steps(program, &root, id);
            d.help = Some("join the subinterpreter's threads from inside it before its code returns, then `close()` the interpreter explicitly".into());
            out.push(d);
        }
    }
}
