//! `forklint knowledge`: what the knowledge base says, from the knowledge files themselves
//! (text, JSON, and the generated `docs/knowledge.md`), and the errors of a broken
//! `--knowledge` file.

mod support;

use std::path::Path;

use support::{forklint, write};

#[test]
fn docs_knowledge_md_is_generated_from_the_knowledge_files() {
    let dir = tempfile::tempdir().unwrap();
    let run = forklint(dir.path(), &["knowledge", "--output-format", "markdown"]);
    assert_eq!(run.code(), Some(0), "{}", run.describe());
    let committed =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/knowledge.md"))
            .unwrap();
    assert!(
        committed == run.stdout,
        "docs/knowledge.md is stale: run `forklint knowledge --output-format markdown > \
         docs/knowledge.md` (scripts/docs.sh does) and commit the result"
    );
}

#[test]
fn every_entry_is_listed_and_every_third_party_entry_cites_a_source() {
    let dir = tempfile::tempdir().unwrap();
    let run = forklint(dir.path(), &["knowledge", "--output-format", "json"]);
    assert_eq!(run.code(), Some(0), "{}", run.describe());
    let entries: Vec<serde_json::Value> = serde_json::from_str(&run.stdout).unwrap();
    let knowledge = forklint::knowledge::Knowledge::builtin().unwrap();
    assert_eq!(entries.len(), knowledge.len());
    for e in &entries {
        let file = e["source-file"].as_str().unwrap();
        assert!(file.starts_with("rules/") && file.ends_with(".toml"), "{e}");
        if file != "rules/stdlib.toml" {
            let note = e["note"].as_str().unwrap_or("");
            assert!(!note.trim().is_empty(), "no source cited: {e}");
        }
    }
    let text = forklint(dir.path(), &["knowledge"]);
    assert!(
        text.stdout
            .contains(&format!("{} entries.", knowledge.len())),
        "{}",
        text.describe()
    );
}

#[test]
fn a_name_shows_its_entries_in_full_and_an_unknown_one_is_an_error_with_a_suggestion() {
    let dir = tempfile::tempdir().unwrap();
    let run = forklint(dir.path(), &["knowledge", "grpc"]);
    assert_eq!(run.code(), Some(0), "{}", run.describe());
    assert!(
        run.stdout
            .contains("grpc.insecure_channel (function, rules/libraries.toml)"),
        "{}",
        run.describe()
    );
    assert!(run.stdout.contains("aliases: grpc.secure_channel"));
    assert!(run.stdout.contains("source:  C-core threads"));
    assert!(!run.stdout.contains("threading.Thread"));
    let run = forklint(dir.path(), &["knowledge", "grcp"]);
    assert_eq!(run.code(), Some(2), "{}", run.describe());
    assert!(
        run.stderr.contains("`grcp`") && run.stderr.contains("did you mean `grpc`?"),
        "{}",
        run.describe()
    );
}

#[test]
fn a_users_file_is_listed_and_its_errors_are_located_with_a_suggestion() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "app.py", "import acme\n");
    write(
        dir.path(),
        "mine.toml",
        "[[api]]\nname = \"acme.start_agent\"\neffects = [\"thread-start\"]\nlibrary = true\n\
         note = \"acme/agent.py: starts the reporter thread\"\n",
    );
    let run = forklint(
        dir.path(),
        &["knowledge", "acme", "--knowledge", "mine.toml"],
    );
    assert_eq!(run.code(), Some(0), "{}", run.describe());
    assert!(
        run.stdout
            .contains("acme.start_agent (function, mine.toml)"),
        "{}",
        run.describe()
    );
    write(
        dir.path(),
        "bad.toml",
        "[[api]]\nname = \"acme.start_agent\"\neffects = [\"thread-strat\"]\n",
    );
    for command in [
        &["knowledge", "--knowledge", "bad.toml"][..],
        &["check", "--knowledge", "bad.toml", "."][..],
    ] {
        let run = forklint(dir.path(), command);
        assert_eq!(run.code(), Some(2), "{}", run.describe());
        assert!(
            run.stderr
                .contains("bad.toml:3:12: unknown variant `thread-strat`")
                && run.stderr.contains("did you mean `thread-start`?"),
            "{}",
            run.describe()
        );
    }
}
