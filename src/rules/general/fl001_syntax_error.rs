use crate::diagnostic::{Diagnostic, FileId, Location, Severity};
use crate::program::Program;
use crate::rules::{Family, FixAvailability, Rule};

pub static RULE: Rule = Rule {
    code: "FL001",
    name: "syntax-error",
    family: Family::General,
    severity: Severity::Error,
    default_enabled: true,
    fix: FixAvailability::None,
    summary: "A file that Python cannot parse; it is not analysed.",
    doc: r#"## What it does
Reports a file that does not parse as Python (or that Python itself would refuse, such as more
than 200 nested brackets), and a file whose bytes are not valid in its encoding (UTF-8, or the
one a PEP 263 `# -*- coding: NAME -*-` comment declares) or that declares an encoding Python
does not know: Python raises `SyntaxError` for these too. The finding is at the first byte that
does not decode (or at the encoding's name). The rest of the project is still analysed.

## Why is this bad?
A module that cannot be compiled never runs, so forklint cannot tell what it does at import
time. Importing it raises `SyntaxError`.

## Example
```python
def broken(:
    pass
```

## Use instead
```python
def fixed():
    pass
```

## When it does not apply
Never: a file that does not parse is always reported.

## Python versions and platforms
All. forklint parses with Ruff's parser, which accepts the syntax of every supported version.
"#,
    check,
};

fn check(program: &Program, out: &mut Vec<Diagnostic>) {
    for file in program.file_ids() {
        let Some(problem) = program.summary(file).syntax_errors.first() else {
            continue;
        };
        out.push(syntax_diagnostic(file, problem));
    }
}

fn syntax_diagnostic(file: FileId, problem: &crate::summary::SyntaxProblem) -> Diagnostic {
    Diagnostic {
        code: RULE.code,
        name: RULE.name,
        severity: RULE.severity,
        message: format!("syntax error: {}", problem.message),
        primary: Location {
            file,
            range: problem.range,
        },
        label: problem.message.clone(),
        trace: Vec::new(),
        help: None,
        notes: vec!["the rest of this file is not analysed".into()],
        fix: None,
        also: Vec::new(),
    }
}
