//! Adopting forklint on an existing codebase: `check --add-noqa` and baselines
//! (`--baseline`, `--write-baseline`, `baseline = "…"`), end to end on the built binary.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use support::*;

/// The first fixture of each rule from FL101 on that expects findings (not a `neg-` one),
/// copied side by side into one temporary directory.
fn fixture_corpus() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut seen = std::collections::HashSet::new();
    for fixture in fixture_dirs() {
        let rule = fixture
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_os_string();
        let name = fixture.file_name().unwrap().to_string_lossy().to_string();
        let code = rule.to_string_lossy().to_string();
        if !code.starts_with("fl") || code == "fl001" || code == "fl002" || name.contains("neg") {
            continue;
        }
        if seen.insert(rule) {
            copy_tree(&fixture, &dir.path().join(format!("{code}-{name}")));
        }
    }
    assert!(seen.len() > 20, "too few fixtures copied: {}", seen.len());
    dir
}

/// Every `.py` file under `dir` with its bytes.
fn python_files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "py"))
        .map(|e| (e.path().to_path_buf(), std::fs::read(e.path()).unwrap()))
        .collect()
}

/// The concise finding lines of a run.
fn finding_lines(run: &Run) -> Vec<&str> {
    run.stdout.lines().filter(|l| l.contains(": FL")).collect()
}

/// Whether `new` is `old` with only a `# noqa` added: `  # noqa: CODES` appended after the
/// line's trailing whitespace, or `, CODES` inserted into a directive already there.
fn only_noqa_added(old: &str, new: &str) -> bool {
    let is_codes = |s: &str| {
        !s.is_empty()
            && s.split(", ").all(|c| {
                c.len() == 5 && c.starts_with("FL") && c[2..].bytes().all(|b| b.is_ascii_digit())
            })
    };
    if let Some(codes) = new
        .strip_prefix(old.trim_end())
        .and_then(|rest| rest.strip_prefix("  # noqa: "))
        && is_codes(codes)
    {
        return true;
    }
    let prefix = old
        .bytes()
        .zip(new.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    let suffix = old[prefix..]
        .bytes()
        .rev()
        .zip(new.bytes().rev())
        .take_while(|(a, b)| a == b)
        .count();
    old.to_ascii_lowercase()[..prefix].contains("noqa")
        && new.len() > old.len()
        && new.is_char_boundary(prefix)
        && new[prefix..new.len() - suffix]
            .strip_prefix(", ")
            .is_some_and(is_codes)
}

#[test]
fn add_noqa_silences_a_fixture_corpus_once_and_changes_nothing_else() {
    let dir = fixture_corpus();
    let before = concise(dir.path(), &[]);
    assert_eq!(before.code(), Some(1), "{}", before.describe());
    let found = finding_lines(&before).len();
    assert!(found > 20, "{}", before.describe());
    let original = python_files(dir.path());

    let run = forklint(dir.path(), &["check", "--add-noqa", "."]);
    assert_eq!(run.code(), Some(0), "{}", run.describe());
    let added: usize = run
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("Added ")?.split(' ').next()?.parse().ok())
        .unwrap_or_else(|| panic!("no count: {}", run.describe()));
    assert!(added > 0 && added <= found, "{added} of {found}");
    assert!(run.stdout.is_empty(), "{}", run.describe());

    // Nothing is reported now, not even a syntax error: every file still parses.
    let after = concise(dir.path(), &[]);
    assert_eq!(after.code(), Some(0), "{}", after.describe());
    assert!(finding_lines(&after).is_empty(), "{}", after.describe());
    assert!(!after.stdout.contains("FL001"), "{}", after.describe());

    // Line by line, only the comments changed; the line breaks are the same.
    let changed = python_files(dir.path());
    assert_eq!(
        original.keys().collect::<Vec<_>>(),
        changed.keys().collect::<Vec<_>>()
    );
    let mut changed_lines = 0;
    for (path, old) in &original {
        let new = &changed[path];
        let old = std::str::from_utf8(old).unwrap();
        let new = std::str::from_utf8(new).unwrap();
        let old_lines: Vec<&str> = old.split('\n').collect();
        let new_lines: Vec<&str> = new.split('\n').collect();
        assert_eq!(old_lines.len(), new_lines.len(), "{}", path.display());
        for (o, n) in old_lines.iter().zip(&new_lines) {
            if o != n {
                changed_lines += 1;
                assert!(
                    only_noqa_added(o, n),
                    "{}: {o:?} became {n:?}",
                    path.display()
                );
            }
        }
    }
    assert_eq!(changed_lines, added);

    // A second run adds nothing and changes no byte.
    let again = forklint(dir.path(), &["check", "--add-noqa", "."]);
    assert_eq!(again.code(), Some(0), "{}", again.describe());
    assert!(
        again.stderr.contains("Added 0 noqa directives."),
        "{}",
        again.describe()
    );
    assert_eq!(python_files(dir.path()), changed);
}

#[test]
fn add_noqa_merges_and_places_directives_where_they_are_read() {
    let source = "\
import subprocess
import threading
threading.Thread(target=print, daemon=True).start()  # noqa: FL101 on purpose
threading.Thread(target=print).start()  # noqa: E501
subprocess.Popen([\"echo\", \"\"\"a
b\"\"\"])
p = subprocess.Popen([\"ls\"]) if True \\
    else None
";
    let dir = project(&[("app.py", source)]);
    let before = concise(dir.path(), &[]);
    let lines: Vec<&str> = finding_lines(&before);
    // The daemon thread's FL106 is carried by its FL101 (one statement, one finding), which
    // the existing `# noqa: FL101` already suppresses with it.
    assert_eq!(lines.len(), 3, "{}", before.describe());
    let run = forklint(dir.path(), &["check", "--add-noqa", "."]);
    assert_eq!(run.code(), Some(0), "{}", run.describe());
    assert!(
        run.stderr.contains("Added 3 noqa directives."),
        "{}",
        run.describe()
    );
    let expected = "\
import subprocess
import threading
threading.Thread(target=print, daemon=True).start()  # noqa: FL101 on purpose
threading.Thread(target=print).start()  # noqa: E501, FL101
subprocess.Popen([\"echo\", \"\"\"a
b\"\"\"])  # noqa: FL103
p = subprocess.Popen([\"ls\"]) if True \\
    else None  # noqa: FL103
";
    let text = std::fs::read_to_string(dir.path().join("app.py")).unwrap();
    assert_eq!(text, expected);
    let after = concise(dir.path(), &[]);
    assert_eq!(after.code(), Some(0), "{}", after.describe());
}

#[test]
fn add_noqa_keeps_crlf_bom_latin1_and_permissions() {
    let dir = project(&[]);
    write(
        dir.path(),
        "crlf.py",
        "\u{feff}import threading\r\nthreading.Thread(target=print).start()\r\n",
    );
    // Latin-1, declared: `é` is one byte, and stays one.
    write(
        dir.path(),
        "latin.py",
        b"# -*- coding: latin-1 -*-\nimport threading\nname = '\xe9'\nthreading.Thread(target=print, name=name).start()\n",
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            dir.path().join("crlf.py"),
            std::fs::Permissions::from_mode(0o751),
        )
        .unwrap();
    }
    let run = forklint(dir.path(), &["check", "--add-noqa", "."]);
    assert_eq!(run.code(), Some(0), "{}", run.describe());
    assert_eq!(
        std::fs::read(dir.path().join("crlf.py")).unwrap(),
        "\u{feff}import threading\r\nthreading.Thread(target=print).start()  # noqa: FL101\r\n"
            .as_bytes()
    );
    assert_eq!(
        std::fs::read(dir.path().join("latin.py")).unwrap(),
        b"# -*- coding: latin-1 -*-\nimport threading\nname = '\xe9'\nthreading.Thread(target=print, name=name).start()  # noqa: FL101\n"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("crlf.py"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o751);
    }
    // No temporary file is left behind.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with(".forklint_cache"))
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert_eq!(concise(dir.path(), &[]).code(), Some(0));
}

const TWO_THREADS: &str = "\
import threading
threading.Thread(target=print).start()
threading.Thread(target=print).start()
";

#[test]
fn a_baseline_hides_what_it_holds_across_line_moves_and_shows_what_is_new() {
    let dir = project(&[("app.py", TWO_THREADS)]);
    let write_run = forklint(
        dir.path(),
        &["check", "--write-baseline", "forklint-baseline.json"],
    );
    assert_eq!(write_run.code(), Some(0), "{}", write_run.describe());
    assert!(
        write_run
            .stderr
            .contains("Wrote 2 findings to the baseline forklint-baseline.json."),
        "{}",
        write_run.describe()
    );
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("forklint-baseline.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(json["version"], 1);
    assert_eq!(json["fingerprint"], "forklint/v1");
    assert_eq!(json["findings"].as_array().unwrap().len(), 2);
    assert_eq!(json["findings"][0]["path"], "app.py");
    assert_eq!(json["findings"][0]["code"], "FL101");

    // The fingerprints are SARIF's, run from the baseline's directory.
    let sarif = forklint(dir.path(), &["check", "--output-format", "sarif"]);
    let sarif: serde_json::Value = serde_json::from_str(&sarif.stdout).unwrap();
    let from_sarif: Vec<&str> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["partialFingerprints"]["forklint/v1"].as_str().unwrap())
        .collect();
    let from_baseline: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap())
        .collect();
    assert_eq!(from_sarif, from_baseline);

    let run = concise(dir.path(), &["--baseline", "forklint-baseline.json"]);
    assert_eq!(run.code(), Some(0), "{}", run.describe());
    assert!(finding_lines(&run).is_empty(), "{}", run.describe());
    assert!(
        run.stdout
            .contains("2 baselined findings not shown (forklint-baseline.json)."),
        "{}",
        run.describe()
    );

    // Lines move: still nothing new.
    write(dir.path(), "app.py", format!("\n\n\n{TWO_THREADS}"));
    let run = concise(dir.path(), &["--baseline", "forklint-baseline.json"]);
    assert_eq!(run.code(), Some(0), "{}", run.describe());
    assert!(finding_lines(&run).is_empty(), "{}", run.describe());

    // A new hazard is exactly what is reported, and counted alone.
    write(
        dir.path(),
        "app.py",
        format!("\n\n\n{TWO_THREADS}import subprocess\nsubprocess.run(['ls'])\n"),
    );
    let run = concise(dir.path(), &["--baseline", "forklint-baseline.json"]);
    assert_eq!(run.code(), Some(1), "{}", run.describe());
    let lines = finding_lines(&run);
    assert_eq!(lines.len(), 1, "{}", run.describe());
    assert!(
        lines[0].starts_with("./app.py:8:1: FL103 "),
        "{}",
        run.describe()
    );
    assert!(run.stdout.contains("Found 1 hazard in 1 file."));
    let stats = concise(
        dir.path(),
        &["--baseline", "forklint-baseline.json", "--statistics"],
    );
    assert_eq!(stats.code(), Some(1), "{}", stats.describe());
    assert!(stats.stdout.contains("FL103"), "{}", stats.describe());
    assert!(!stats.stdout.contains("FL101"), "{}", stats.describe());

    // Fixed findings leave stale entries, which the summary points out.
    write(dir.path(), "app.py", "import threading\n");
    let run = concise(dir.path(), &["--baseline", "forklint-baseline.json"]);
    assert_eq!(run.code(), Some(0), "{}", run.describe());
    assert!(
        run.stdout.contains("2 baseline entries matched nothing"),
        "{}",
        run.describe()
    );
}

#[test]
fn a_configured_baseline_is_relative_to_its_configuration_file() {
    let dir = project(&[
        ("proj/app.py", TWO_THREADS),
        ("proj/forklint.toml", "baseline = \"ci/baseline.json\"\n"),
    ]);
    std::fs::create_dir_all(dir.path().join("proj/ci")).unwrap();
    let write_run = forklint(
        &dir.path().join("proj"),
        &["check", "--write-baseline", "ci/baseline.json"],
    );
    assert_eq!(write_run.code(), Some(0), "{}", write_run.describe());
    // From the project's directory and from its parent: the same findings are baselined.
    for (cwd, args) in [("proj", vec![]), ("", vec!["proj"])] {
        let run = concise(&dir.path().join(cwd), &args);
        assert_eq!(run.code(), Some(0), "{cwd:?}: {}", run.describe());
        assert!(finding_lines(&run).is_empty(), "{}", run.describe());
        assert!(
            run.stdout.contains("2 baselined findings"),
            "{}",
            run.describe()
        );
    }
    let run = concise(&dir.path().join("proj"), &["--no-baseline"]);
    assert_eq!(run.code(), Some(1), "{}", run.describe());
    assert_eq!(finding_lines(&run).len(), 2, "{}", run.describe());
}

#[test]
fn a_missing_or_malformed_baseline_is_a_usage_error_naming_it() {
    let dir = project(&[("app.py", TWO_THREADS)]);
    write(
        dir.path(),
        "broken.json",
        "{\"version\": 1, \"findings\": [",
    );
    write(
        dir.path(),
        "future.json",
        "{\"version\": 7, \"findings\": []}",
    );
    write(dir.path(), "other.json", "[1, 2]");
    for (file, says) in [
        ("missing.json", "cannot read the baseline missing.json"),
        (
            "broken.json",
            "the baseline broken.json is not a forklint baseline",
        ),
        ("future.json", "the baseline future.json has version 7"),
        (
            "other.json",
            "the baseline other.json is not a forklint baseline",
        ),
    ] {
        let run = concise(dir.path(), &["--baseline", file]);
        assert_eq!(run.code(), Some(2), "{file}: {}", run.describe());
        assert!(run.stdout.is_empty(), "{}", run.describe());
        assert!(run.stderr.contains(says), "{file}: {}", run.describe());
    }
    // An unwritable baseline path is an error too, and nothing is left half-written.
    let run = forklint(
        dir.path(),
        &["check", "--write-baseline", "no/such/dir/baseline.json"],
    );
    assert_eq!(run.code(), Some(2), "{}", run.describe());
    assert!(
        run.stderr
            .contains("cannot write the baseline no/such/dir/baseline.json"),
        "{}",
        run.describe()
    );
}
