use crate::diagnostic::{Applicability, Diagnostic, Fix, Severity};
use crate::knowledge::SpawnKind;
use crate::program::{Effect, EffectId, Program};
use crate::rules::{Family, FixAvailability, Rule};

use super::{flow_trace, on_cells, site_location, site_snippet, thread_loc, thread_trace};

pub static RULE: Rule = Rule {
    code: "FL203",
    name: "preexec-fn-with-threads",
    family: Family::Fork,
    severity: Severity::Warning,
    default_enabled: true,
    fix: FixAvailability::Safe,
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

## Fix safety
Safe, when the callable has an exact equivalent: `preexec_fn=os.setsid` becomes
`start_new_session=True`; `os.setpgrp` and `lambda: os.setpgid(0, 0)` become `process_group=0`
when every target version is 3.11 or later; `lambda: os.umask(0o077)` becomes `umask=0o077`
when every target version is 3.9 or later. `subprocess` then makes the same system call in C
between fork and exec, so behaviour is kept. Any other callable gets the suggestion only.

## When it does not apply
`preexec_fn=None` or no `preexec_fn` at all: then the child runs no Python code, and launching
processes from a threaded program is safe. Windows (no `preexec_fn` there).

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
            fix: fix(program, report.effect),
            also: Vec::new(),
        });
    }
}

/// The safe fix: `preexec_fn=<callable>` → the keyword the knowledge base gives as its
/// equivalent (`preexec-equivalent`), when the callable is one and every target version has
/// the keyword. A display-only fix says why when only the version is missing.
fn fix(program: &Program, effect: EffectId) -> Option<Fix> {
    use ruff_python_ast::Expr;
    use ruff_text_size::Ranged;

    let location = site_location(program, effect);
    let source = program.fix_source(location.file)?;
    let call = source.call_at(location.range)?;
    let keyword = call
        .arguments
        .keywords
        .iter()
        .find(|k| k.arg.as_ref().is_some_and(|a| a.as_str() == "preexec_fn"))?;
    // `os.setsid` (passed uncalled) or `lambda: os.setpgid(0, 0)`.
    let (callee, args): (&Expr, &[Expr]) = match &keyword.value {
        Expr::Lambda(lambda) if lambda.parameters.is_none() => match lambda.body.as_ref() {
            Expr::Call(inner) if inner.arguments.keywords.is_empty() => {
                (inner.func.as_ref(), &inner.arguments.args)
            }
            _ => return None,
        },
        value @ (Expr::Name(_) | Expr::Attribute(_)) => (value, &[]),
        _ => return None,
    };
    let qualified = source.qualified(callee)?;
    let equivalent = program
        .knowledge
        .get(&qualified)?
        .preexec_equivalent
        .as_ref()?;
    if equivalent.args.len() != args.len() {
        return None;
    }
    let mut argument = None;
    for (want, arg) in equivalent.args.iter().zip(args) {
        let Expr::NumberLiteral(number) = arg else {
            return None;
        };
        if !number.value.is_int() {
            return None;
        }
        let text = source.slice(arg.range());
        if want == "{0}" {
            argument = Some(text);
        } else if want != text {
            return None;
        }
    }
    let replacement = equivalent
        .keyword
        .replace("{0}", argument.unwrap_or_default());
    let name = replacement.split('=').next().unwrap_or_default();
    if call
        .arguments
        .keywords
        .iter()
        .any(|k| k.arg.as_ref().is_some_and(|a| a.as_str() == name))
    {
        return None;
    }
    let old = source.slice(keyword.range());
    let since = equivalent
        .since
        .as_ref()
        .and_then(|v| v.parse::<crate::settings::PythonVersion>().ok());
    if let Some(since) = since
        && let Some(old_version) = program
            .settings
            .target_versions
            .iter()
            .find(|v| **v < since)
    {
        return Some(Fix {
            message: format!(
                "replace `{old}` with `{replacement}` once Python {old_version} is no longer a \
                 target (`{name}` is new in {since})"
            ),
            applicability: Applicability::Display,
            edits: Vec::new(),
        });
    }
    Some(crate::fix::replacement(
        format!("replace `{old}` with `{replacement}`"),
        Applicability::Safe,
        location.file,
        keyword.range(),
        replacement,
    ))
}
