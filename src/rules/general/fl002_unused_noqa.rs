use crate::diagnostic::{Diagnostic, Severity};
use crate::program::Program;
use crate::rules::{Family, FixAvailability, Rule};

/// Like Ruff's RUF100, this rule runs only when selected (`extend-select = ["FL002"]`, a
/// prefix that covers it, or `ALL`): a project adopting forklint should not be told about
/// suppressions it wrote for other reasons. Its findings are made by the suppression step
/// (`crate::suppression::apply`), after every other rule has run, because only then is it
/// known what each directive suppressed.
pub static RULE: Rule = Rule {
    code: "FL002",
    name: "unused-noqa",
    family: Family::General,
    severity: Severity::Warning,
    default_enabled: false,
    fix: FixAvailability::Safe,
    summary: "forklint codes in a `# noqa` directive that suppress nothing, are unknown or are disabled.",
    doc: r#"## What it does
Reports the codes of a `# noqa: FL101, FL201` directive that suppressed nothing on its line
(because nothing was found, because the rule is not enabled, or because no rule has that
code). Only forklint's own codes (`FL` and digits) are judged: other linters' codes (`F401`,
`E501`) and a bare `# noqa`, which speaks to every linter, are left alone.

## Why is this bad?
A stale suppression hides the next real finding on that line: once the code that triggered it
is gone, the directive silently swallows whatever appears there later. An unknown code is
usually a typo, and then the intended suppression does not happen.

## Example
```python
import threading

def start():
    threading.Thread(target=print).start()  # noqa: FL101
```

## Use instead
```python
import threading

def start():
    threading.Thread(target=print).start()
```

## Fix safety
Safe: the fix removes the unused codes from the directive (`# noqa: FL101, FL103` becomes
`# noqa: FL101`; other linters' codes stay), or the whole `# noqa` comment when none is used
(text after it in the same comment stays a comment). Nothing but a comment changes.

## When it does not apply
File-level `# forklint: noqa` directives are not checked. The rule is off by default; select
it with `--extend-select FL002` or `extend-select = ["FL002"]`.

## Python versions and platforms
All.
"#,
    check,
};

/// Nothing to do here: see the note on [`RULE`].
fn check(_program: &Program, _out: &mut Vec<Diagnostic>) {}
