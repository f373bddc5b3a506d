//! The editor server links a project again after one file changes, reusing every other
//! file's resolution when the changed file's interface stayed the same. These tests check
//! that this gives exactly the findings a fresh build of the edited project gives, on every
//! fixture project, for edits that keep the interface and edits that change it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use forklint::discover;
use forklint::knowledge::Knowledge;
use forklint::program::{Analyser, LinkInput, Program, Source};
use forklint::settings::Settings;

/// Findings in a form independent of file ids: path, code, range, message and trace.
fn findings(program: &Program) -> Vec<String> {
    forklint::diagnose(program)
        .iter()
        .map(|d| {
            let at = |l: &forklint::diagnostic::Location| {
                format!("{}@{:?}", program.file(l.file).path.display(), l.range)
            };
            let trace: Vec<String> = d
                .trace
                .iter()
                .map(|s| format!("{} {}", at(&s.location), s.message))
                .collect();
            format!(
                "{} {} {} | {}",
                at(&d.primary),
                d.code,
                d.message,
                trace.join(" ; ")
            )
        })
        .collect()
}

fn relinkable(found: &[discover::FoundFile], overlay: &HashMap<PathBuf, Arc<str>>) -> Program {
    let settings = Settings::default();
    let knowledge = Knowledge::load(&settings.knowledge_files).unwrap();
    let modules = found
        .iter()
        .filter(|f| !f.module.is_empty())
        .map(|f| f.module.clone())
        .collect();
    let files = {
        let analyser = Analyser::new(&modules, &knowledge, &settings);
        found
            .iter()
            .map(|f| match overlay.get(&f.path) {
                Some(text) => analyser.analyse(Source {
                    found: f.clone(),
                    text: text.clone(),
                    keep_text: true,
                    encoding: forklint::program::SourceEncoding::Utf8,
                }),
                None => analyser.analyse_on_disk(f.clone()).unwrap(),
            })
            .collect()
    };
    Program::link(
        LinkInput::relinkable(files, Vec::new(), modules),
        knowledge,
        settings,
    )
}

/// Edits `path` in a linked program (as the server does) and links again.
fn relink_with(
    program: Program,
    found: &[discover::FoundFile],
    path: &Path,
    text: &str,
) -> Program {
    let (mut input, knowledge, settings) = program.unlink();
    let id = found.iter().position(|f| f.path == path).unwrap();
    let file = {
        let analyser = Analyser::new(&input.modules, &knowledge, &settings);
        analyser.analyse(Source {
            found: found[id].clone(),
            text: text.into(),
            keep_text: true,
            encoding: forklint::program::SourceEncoding::Utf8,
        })
    };
    input.replace(forklint::diagnostic::FileId(id as u32), file);
    Program::link(input, knowledge, settings)
}

fn fixture_projects() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut out = Vec::new();
    for family in std::fs::read_dir(&root).unwrap() {
        for case in std::fs::read_dir(family.unwrap().path()).unwrap() {
            let case = case.unwrap().path();
            if case.join("fixture.toml").exists() {
                out.push(case);
            }
        }
    }
    out.sort();
    out
}

/// An edit of a file's text, named.
type NamedEdit = (&'static str, fn(&str) -> String);

#[test]
fn relinking_after_an_edit_matches_a_fresh_build() {
    let edits: [NamedEdit; 4] = [
        // Keeps the interface: a comment, and a new statement at the end of the module.
        ("comment at the top", |t| format!("# edited\n{t}")),
        ("thread started at the end", |t| {
            format!("{t}\nimport threading\nthreading.Thread(target=print).start()\n")
        }),
        // Changes it: a new function, and the module emptied.
        ("function added", |t| {
            format!("{t}\n\ndef added_by_test():\n    import os\n    os.fork()\n")
        }),
        ("emptied", |_| String::new()),
    ];
    use rayon::prelude::*;
    let checked: usize = fixture_projects()
        .par_iter()
        .map(|project| {
            let mut checked = 0;
            let found = discover::discover(std::slice::from_ref(project), &Settings::default())
                .unwrap()
                .files;
            let unedited = findings(&relinkable(&found, &HashMap::new()));
            // The first two files of each project, each with one edit that keeps its interface
            // and one that changes it (which ones alternate, to keep the test quick).
            for (n, file) in found.iter().take(2).enumerate() {
                // An editor buffer is text: a file that is not UTF-8 is not edited.
                let Ok(original) = String::from_utf8(std::fs::read(&file.path).unwrap()) else {
                    continue;
                };
                for (what, edit) in [&edits[n % 2], &edits[2 + n % 2]] {
                    let text = edit(&original);
                    let overlay = HashMap::from([(file.path.clone(), Arc::from(text.as_str()))]);
                    let fresh = findings(&relinkable(&found, &overlay));
                    let base = relinkable(&found, &HashMap::new());
                    let relinked = relink_with(base, &found, &file.path, &text);
                    assert_eq!(
                        findings(&relinked),
                        fresh,
                        "{} edited ({what}): relinking differs from a fresh build",
                        file.path.display()
                    );
                    // And back to the original text: the first findings again.
                    let back = relink_with(relinked, &found, &file.path, &original);
                    assert_eq!(
                        findings(&back),
                        unedited,
                        "{} edited ({what}) and restored",
                        file.path.display()
                    );
                    checked += 1;
                }
            }
            checked
        })
        .sum();
    assert!(checked > 500, "only {checked} edits checked");
}
