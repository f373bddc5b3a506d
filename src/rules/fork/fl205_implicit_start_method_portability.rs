use crate::diagnostic::{Diagnostic, Severity};
use crate::knowledge::SpawnKind;
use crate::program::{Effect, Program};
use crate::rules::{Family, FixAvailability, Rule};

use super::{flow_trace, site_location, site_snippet};

pub static RULE: Rule = Rule {
    code: "FL205",
    name: "implicit-start-method-portability",
    family: Family::Fork,
    severity: Severity::Info,
    default_enabled: false,
    fix: FixAvailability::Display,
    summary: "A `multiprocessing` start relies on a default start method that differs across the target versions and platforms.",
    doc: r#"## What it does
Advisory, not selected by default (enable it with `--extend-select FL205`; it is info-level, so
also pass `--show-info`). Reports a `multiprocessing` or `ProcessPoolExecutor` start that relies
on the **default** context — no `get_context(...)`, no `mp_context=`, no `max_tasks_per_child`,
no earlier `set_start_method(...)` on its flow — when the configured (version, platform) cells
do not agree on that default: fork on Linux up to 3.13, forkserver on Linux from 3.14, spawn on
macOS (3.8+) and Windows.

## Why is this bad?
The same code behaves differently per cell. Under spawn and forkserver the target and its
arguments must be picklable (`PicklingError` otherwise), globals changed before the start are
not inherited, the main module is re-imported (FL107), and the forkserver preloads `__main__`
(FL208). Code that works on Linux 3.13 can break on 3.14 or on a developer's Mac. Python warns
about none of this: What's New 3.12 says a run-time warning "was deemed too disruptive".

## Example
```python
# requires-python = ">=3.12", platforms linux
def main():
    with ProcessPoolExecutor() as pool:   # fork on 3.12/3.13, forkserver on 3.14
        pool.map(work, items)
```

## Use instead
```python
def main():
    ctx = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(mp_context=ctx) as pool:
        pool.map(work, items)
```
Both edits change some cell: `get_context("fork")` keeps the old Linux behaviour and its
hazards; `"forkserver"` or `"spawn"` changes it on older Linux versions.

## When it does not apply
An explicit context or start method; a configuration with one cell, or cells that share the
default. When threads may be running at the start, FL201/FL202 report it instead.

## Python versions and platforms
Every cell where the default is relied on; the finding names them.
"#,
    check,
};

fn check(program: &Program, out: &mut Vec<Diagnostic>) {
    let flow = program.fork_flow();
    let grid = &flow.grid;
    for report in &flow.sinks {
        if !matches!(
            program.effect(report.effect).effect,
            Effect::ProcessSpawn {
                kind: SpawnKind::Multiprocessing,
                ..
            }
        ) {
            continue;
        }
        // FL201/FL202 have the starts that fork a threaded process.
        if report.fork & (report.project | report.library) != 0 {
            continue;
        }
        let defaults = grid.defaults_of(report.by_default);
        if defaults.len() < 2 {
            continue;
        }
        let per_method: Vec<String> = defaults
            .iter()
            .map(|m| {
                let cells = report.by_default & grid.where_default(*m);
                format!("{} on {}", m.as_str(), grid.describe(cells))
            })
            .collect();
        let call = site_snippet(program, report.effect);
        out.push(Diagnostic {
            code: RULE.code,
            name: RULE.name,
            severity: RULE.severity,
            message: format!(
                "`{call}` relies on the default start method, which differs across the target: {}",
                per_method.join("; ")
            ),
            primary: site_location(program, report.effect),
            label: "default start method".into(),
            trace: flow_trace(program, report),
            help: Some(
                "choose explicitly: `multiprocessing.get_context(\"forkserver\")` (or \
                 `\"spawn\"`), and `mp_context=` for `ProcessPoolExecutor`"
                    .into(),
            ),
            notes: Vec::new(),
            fix: None,
            also: Vec::new(),
        });
    }
}
