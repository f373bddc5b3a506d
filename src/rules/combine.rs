//! One cause, one finding: how the findings of overlapping rules on one statement combine.
//!
//! Several rules describe the same start from different sides. A daemon thread started while
//! a module is imported is an import-time thread start (FL101), a daemon thread started at
//! import (FL106) and, when its target loops doing Python work, a daemon thread that shutdown
//! will cut off (FL401); a `multiprocessing.Pool()` at a module's top level starts a process
//! (FL103), the pool's handler threads (FL101) and daemon threads (FL106). Reported one by one,
//! the reader gets three or four findings for one line of code, one fix, and one decision.
//!
//! So the findings of the rules in [`CARRIERS`] that are reported at the same statement (the
//! same primary range) become one: the first of them in [`CARRIERS`] order is shown, and it
//! carries the others ([`Diagnostic::also`]): as notes in the text output ("also FL106
//! import-time-daemon-thread: …"), `(also FL106, FL401)` in concise output, `also` in JSON and
//! JSON Lines, and `forklint/also` plus message lines in SARIF. The one-line CI formats
//! (github, gitlab, junit, rdjson, pylint, azure) show the carrier's message only. The order puts errors before warnings (a
//! fork while a thread runs first: `os.fork()` at the top level of a threaded module is one
//! FL201 that also starts a process at import), and within one severity the rule for what
//! the statement starts (a process, then a thread) before the rules that qualify that start
//! (it imports, it is a daemon, it outlives the interpreter). Findings of rules outside the
//! list (FL102 at the wait, FL105 at the importer, the other fork and subinterpreter rules)
//! are never folded: they are about another statement or another cause.
//!
//! This runs on the findings the selection kept: a rule that is not selected, or is ignored
//! for the file, carries nothing and is carried by nothing (with FL101 not selected, a daemon
//! thread at import is reported as FL106). A `# noqa` naming the shown code suppresses the
//! whole finding; one naming only a carried code drops that note (`suppression::apply`).

use crate::diagnostic::{Carried, Diagnostic};

/// The rules whose findings at one statement combine, in the order that picks the one shown.
pub const CARRIERS: &[&str] = &[
    // Errors: a fork while a thread runs (a statement that both starts at import and forks,
    // or a thread started in a gunicorn master that forks its workers)...
    "FL201", // the thread is the project's
    "FL202", // the thread is a library's
    // ...and the other errors of a start.
    "FL107", // a script starts `multiprocessing` children outside its `__main__` guard
    "FL403", // a non-daemon thread stopped only from `atexit`: the process hangs at exit
    // Warnings: what the statement starts...
    "FL103", // a process, at import time
    "FL101", // a thread, at import time
    // ...and what qualifies it.
    "FL104", // the thread imports modules while the importer holds the import lock
    "FL106", // the thread is a daemon
    "FL404", // the non-daemon thread is never joined
    "FL401", // the daemon thread's Python work is cut off at shutdown
];

fn rank(code: &str) -> Option<usize> {
    CARRIERS.iter().position(|c| *c == code)
}

/// Folds the findings of [`CARRIERS`] rules that share a statement into one, in place.
/// `diagnostics` is sorted by file, position and code (`rules::sort_diagnostics`), and stays so.
pub fn combine(diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let mut out: Vec<Diagnostic> = Vec::with_capacity(diagnostics.len());
    // Where, in `out`, the shown finding of the current statement is.
    let mut group_start = 0;
    for d in diagnostics {
        let same_statement = out
            .get(group_start)
            .is_some_and(|first| first.primary == d.primary);
        if !same_statement {
            group_start = out.len();
            out.push(d);
            continue;
        }
        let Some(rank_new) = rank(d.code) else {
            out.push(d);
            continue;
        };
        // The group's carrier, if it has one yet.
        let carrier = (group_start..out.len()).find(|&i| rank(out[i].code).is_some());
        match carrier {
            None => out.push(d),
            Some(i) => {
                let mut d = d;
                if rank_new < rank(out[i].code).unwrap_or(usize::MAX) {
                    std::mem::swap(&mut out[i], &mut d);
                    // The new carrier takes over what the old one carried.
                    let carried = std::mem::take(&mut d.also);
                    out[i].also.extend(carried);
                }
                out[i].also.push(Carried {
                    code: d.code,
                    name: d.name,
                    message: d.message,
                });
                out[i]
                    .also
                    .sort_by_key(|c| rank(c.code).unwrap_or(usize::MAX));
            }
        }
    }
    // Keep the sort by (file, position, code): a carrier that replaced an earlier code may
    // now be out of order within its statement.
    super::sort_diagnostics(&mut out);
    out
}

/// The paragraph the documentation of a rule in [`CARRIERS`] ends with (`forklint rule`,
/// `docs/rules/`), generated from the list so that it cannot drift.
pub fn doc_paragraph(code: &str) -> Option<String> {
    let i = rank(code)?;
    let before = &CARRIERS[..i];
    let after = &CARRIERS[i + 1..];
    let mut text = String::from("\n## One statement, one finding\nThe findings of ");
    text.push_str(&CARRIERS.join(", "));
    text.push_str(
        " at the same statement are shown as one: the first of them in this order, carrying \
         the others as notes (`also` in JSON, `forklint/also` in SARIF). ",
    );
    let mut roles = Vec::new();
    if !after.is_empty() {
        roles.push(format!("carries {}", after.join(", ")));
    }
    if !before.is_empty() {
        roles.push(format!("is carried by {}", before.join(", ")));
    }
    text.push_str(&format!(
        "At one statement, this rule {}.\n",
        roles.join(", and ")
    ));
    text.push_str(
        "A `# noqa` naming the shown code suppresses the whole finding; one naming a carried \
         code drops that note. A rule that is not selected neither carries nor is carried.\n",
    );
    Some(text)
}

/// The note a carried finding shows as, in every format. Both messages usually open with
/// the same quoted statement (`` `Pool(4)` starts a process… ``), which the note leaves out.
pub fn note(carrier: &str, carried: &Carried) -> String {
    let quoted = |m: &str| -> Option<usize> {
        let rest = m.strip_prefix('`')?;
        Some(rest.find("` ")? + 3)
    };
    let message = match (quoted(carrier), quoted(&carried.message)) {
        (Some(a), Some(b)) if carrier[..a] == carried.message[..b] => &carried.message[b..],
        _ => carried.message.as_str(),
    };
    format!("also {} {}: {message}", carried.code, carried.name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::{FileId, Location, Severity};
    use ruff_text_size::{TextRange, TextSize};

    fn finding(code: &'static str, start: u32) -> Diagnostic {
        Diagnostic {
            code,
            name: code,
            severity: Severity::Warning,
            message: format!("{code} message"),
            primary: Location {
                file: FileId(0),
                range: TextRange::new(TextSize::new(start), TextSize::new(start + 5)),
            },
            label: String::new(),
            trace: Vec::new(),
            help: None,
            notes: Vec::new(),
            fix: None,
            also: Vec::new(),
        }
    }

    fn shown(out: &[Diagnostic]) -> Vec<(&str, Vec<&str>)> {
        out.iter()
            .map(|d| (d.code, d.also.iter().map(|c| c.code).collect()))
            .collect()
    }

    #[test]
    fn a_daemon_thread_at_import_is_one_fl101() {
        let out = combine(vec![
            finding("FL101", 0),
            finding("FL106", 0),
            finding("FL401", 0),
        ]);
        assert_eq!(shown(&out), vec![("FL101", vec!["FL106", "FL401"])]);
        assert_eq!(out[0].also[0].message, "FL106 message");
    }

    #[test]
    fn a_note_leaves_out_the_statement_both_quote() {
        let carried = Carried {
            code: "FL106",
            name: "import-time-daemon-thread",
            message: "`t.start()` starts a daemon thread".into(),
        };
        assert_eq!(
            note("`t.start()` starts a thread", &carried),
            "also FL106 import-time-daemon-thread: starts a daemon thread"
        );
        assert_eq!(
            note("`u.start()` starts a thread", &carried),
            "also FL106 import-time-daemon-thread: `t.start()` starts a daemon thread"
        );
    }

    #[test]
    fn a_pool_at_import_is_one_fl103() {
        let out = combine(vec![
            finding("FL101", 3),
            finding("FL103", 3),
            finding("FL106", 3),
        ]);
        assert_eq!(shown(&out), vec![("FL103", vec!["FL101", "FL106"])]);
    }

    #[test]
    fn a_fork_at_an_import_time_start_carries_it() {
        let out = combine(vec![finding("FL101", 0), finding("FL201", 0)]);
        assert_eq!(shown(&out), vec![("FL201", vec!["FL101"])]);
    }

    #[test]
    fn an_error_carries_the_warnings() {
        let out = combine(vec![finding("FL101", 0), finding("FL403", 0)]);
        assert_eq!(shown(&out), vec![("FL403", vec!["FL101"])]);
    }

    #[test]
    fn other_rules_and_other_statements_stay_apart() {
        let out = combine(vec![
            finding("FL101", 0),
            finding("FL203", 0),
            finding("FL106", 10),
            finding("FL105", 20),
            finding("FL101", 20),
        ]);
        assert_eq!(
            shown(&out),
            vec![
                ("FL101", vec![]),
                ("FL203", vec![]),
                ("FL106", vec![]),
                ("FL101", vec![]),
                ("FL105", vec![]),
            ]
        );
    }

    #[test]
    fn the_order_of_codes_does_not_matter() {
        // FL106 sorts before FL401 but after FL101; FL107 sorts last but carries.
        let out = combine(vec![
            finding("FL103", 0),
            finding("FL106", 0),
            finding("FL107", 0),
        ]);
        assert_eq!(shown(&out), vec![("FL107", vec!["FL103", "FL106"])]);
    }
}
