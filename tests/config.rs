//! Configuration files end to end (docs/configuration.md): discovery and precedence,
//! `--config` and `--isolated`, rule selection, per-file ignores, target version and platforms,
//! and errors with file, line and suggestion. Each test builds a project in a temporary
//! directory and runs the real binary with a deadline.

mod support;

use support::*;

/// A module that starts a subprocess when imported: one FL103.
const SUBPROCESS_AT_IMPORT: &str = "import subprocess\nsubprocess.run(['true'])\n";

/// An entry script (it has a main guard) that starts a process outside the guard: FL103, and
/// FL107 only where the default start method re-imports the main module (spawn/forkserver).
const MP_OUTSIDE_GUARD: &str = "import multiprocessing\n\ndef work():\n    pass\n\nmultiprocessing.Process(target=work).start()\n\nif __name__ == \"__main__\":\n    pass\n";

/// The codes reported in concise output, in order, duplicates kept.
/// The codes of the concise findings in output order, with those each carries (`(also
/// FL103)` at the end of its line: one statement, one finding) beside it, in code order.
fn codes(run: &Run) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in run.stdout.lines() {
        let Some(code) = line
            .split(": ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .filter(|c| c.starts_with("FL"))
        else {
            continue;
        };
        let mut statement = vec![code.to_string()];
        if let Some(also) = line
            .rsplit_once(" (also ")
            .and_then(|(_, tail)| tail.strip_suffix(')'))
        {
            statement.extend(also.split(", ").map(str::to_string));
        }
        statement.sort();
        out.extend(statement);
    }
    out
}

/// A project with one FL101 file and one FL103 file, plus `files`.
fn two_hazards(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = project(&[
        ("thread.py", THREAD_AT_IMPORT),
        ("spawn.py", SUBPROCESS_AT_IMPORT),
    ]);
    for (name, text) in files {
        write(dir.path(), name, text);
    }
    dir
}

/// Checks a project holding a clean `app.py` and the configuration file `name`; returns the
/// line the error names (after asserting exit 2 and `name:N:` on stderr) and the run.
fn config_error(name: &str, toml: &str) -> (usize, Run) {
    let dir = project(&[("app.py", "x = 1\n"), (name, toml)]);
    let run = concise(dir.path(), &[]);
    (run.error_line(name), run)
}

// ---------------------------------------------------------------------------------------------
// Discovery and precedence
// ---------------------------------------------------------------------------------------------

#[test]
fn the_closest_config_file_wins() {
    let dir = two_hazards(&[
        ("forklint.toml", "ignore = [\"FL101\"]\n"),
        ("sub/forklint.toml", "ignore = [\"FL103\"]\n"),
        // A package: a plain directory's files that nothing imports are scripts.
        ("sub/__init__.py", ""),
        ("sub/thread.py", THREAD_AT_IMPORT),
        ("sub/spawn.py", SUBPROCESS_AT_IMPORT),
    ]);
    // From the top, each file gets its closest file's settings: the top file drops FL101 in
    // thread.py, sub's file drops FL103 in sub/spawn.py.
    let top = concise(dir.path(), &["."]);
    assert_eq!(codes(&top), ["FL103", "FL101"], "{}", top.describe());
    assert!(
        top.stdout.contains("sub/thread.py") && top.stdout.contains("./spawn.py"),
        "{}",
        top.describe()
    );

    // Checking `sub` (from the top, or from inside it) uses sub/forklint.toml only.
    let sub = concise(dir.path(), &["sub"]);
    assert_eq!(codes(&sub), ["FL101"], "{}", sub.describe());
    let inside = concise(&dir.path().join("sub"), &[]);
    assert_eq!(codes(&inside), ["FL101"], "{}", inside.describe());

    // A file argument: its directory's closest file.
    let file = concise(dir.path(), &["sub/spawn.py", "sub/thread.py"]);
    assert_eq!(codes(&file), ["FL101"], "{}", file.describe());
}

/// A monorepo (a `.git` at the top, no configuration there) holding two projects with their
/// own `[tool.forklint]`: `p1` drops FL101, `p2` drops FL103 and targets Windows. Each has
/// an `app` package of the same name whose `worker` module starts a thread and a process
/// when imported, and a `main.py` script that imports it.
fn monorepo() -> tempfile::TempDir {
    let app = "import subprocess\nimport threading\nsubprocess.run(['true'])\nthreading.Thread(target=print).start()\n";
    let main = "import app.worker\n\nif __name__ == '__main__':\n    pass\n";
    project(&[
        (".git/HEAD", "ref: refs/heads/main\n"),
        (
            "p1/pyproject.toml",
            "[project]\nname = \"p1\"\n\n[tool.forklint]\nignore = [\"FL101\"]\n",
        ),
        ("p1/app/__init__.py", ""),
        ("p1/app/worker.py", app),
        ("p1/main.py", main),
        (
            "p2/pyproject.toml",
            "[project]\nname = \"p2\"\n\n[tool.forklint]\nignore = [\"FL103\"]\nplatforms = [\"windows\"]\n",
        ),
        ("p2/app/__init__.py", ""),
        ("p2/app/worker.py", app),
        ("p2/main.py", main),
    ])
}

/// `path:CODE` of each finding, sorted (concise output).
fn placed_codes(run: &Run) -> Vec<String> {
    let mut out: Vec<String> = run
        .stdout
        .lines()
        .filter_map(|l| {
            let mut it = l.split(':');
            let path = it.next()?.trim_start_matches("./");
            let code = l.split(": ").nth(1)?.split_whitespace().next()?;
            code.starts_with("FL").then(|| format!("{path}:{code}"))
        })
        .collect();
    out.sort();
    out
}

#[test]
fn each_project_of_a_monorepo_gets_its_own_settings_from_any_starting_point() {
    let dir = monorepo();
    let expected = [
        // p1 drops FL101; its import of the worker is FL105 (the module it imports starts a
        // process).
        "p1/app/worker.py:FL103",
        "p1/main.py:FL105",
        // p2 drops FL103 and runs on Windows (spawn: no fork rules); the thread is FL101.
        "p2/app/worker.py:FL101",
        "p2/main.py:FL105",
    ];
    let top = concise(dir.path(), &["."]);
    assert_eq!(placed_codes(&top), expected, "{}", top.describe());
    for args in [["p1", "p2"], ["p2", "p1"]] {
        let both = concise(dir.path(), &args);
        assert_eq!(
            placed_codes(&both),
            expected,
            "{args:?}: {}",
            both.describe()
        );
    }
    // From inside each project, and naming one project from the top.
    let p1 = concise(&dir.path().join("p1"), &[]);
    assert_eq!(
        placed_codes(&p1),
        ["app/worker.py:FL103", "main.py:FL105"],
        "{}",
        p1.describe()
    );
    let p2 = concise(dir.path(), &["p2"]);
    assert_eq!(
        placed_codes(&p2),
        ["p2/app/worker.py:FL101", "p2/main.py:FL105"],
        "{}",
        p2.describe()
    );
    // Files of both projects given by name: each with its own project's settings.
    let files = concise(dir.path(), &["p2/app/worker.py", "p1/app/worker.py"]);
    assert_eq!(
        placed_codes(&files),
        ["p1/app/worker.py:FL103", "p2/app/worker.py:FL101"],
        "{}",
        files.describe()
    );
    // `--config` still overrides every project's configuration.
    write(dir.path(), "only-fl101.toml", "select = [\"FL101\"]\n");
    let forced = concise(dir.path(), &[".", "--config", "only-fl101.toml"]);
    assert_eq!(
        placed_codes(&forced),
        ["p1/app/worker.py:FL101", "p2/app/worker.py:FL101"],
        "{}",
        forced.describe()
    );
}

#[test]
fn an_import_that_names_no_module_is_tried_below_the_directory_checked() {
    // `services/api` is run from its own directory (`cd services/api && python -m
    // handlers.h`): there `import models` is services/api/models.py, whose import starts a
    // thread. Checking that directory resolves the import (FL105, and FL101 in the module it
    // imports); from the top, `models` names no module of the project, the import stays
    // unresolved, and models.py, which nothing imports in a plain directory, reads as a
    // script: nothing is reported.
    let dir = project(&[
        (".git/HEAD", "ref: refs/heads/main\n"),
        (
            "services/api/models.py",
            "import threading\nthreading.Thread(target=print).start()\n",
        ),
        ("services/api/handlers/__init__.py", ""),
        ("services/api/handlers/h.py", "import models\n"),
    ]);
    let below = concise(dir.path(), &["services/api"]);
    assert_eq!(
        placed_codes(&below),
        [
            "services/api/handlers/h.py:FL105",
            "services/api/models.py:FL101"
        ],
        "{}",
        below.describe()
    );
    let top = concise(dir.path(), &["."]);
    assert!(placed_codes(&top).is_empty(), "{}", top.describe());
}

#[test]
fn whole_project_with_files_of_two_projects_analyses_both() {
    let dir = monorepo();
    // The changed files are the workers; the findings that involve them are their own and
    // the imports of them in each main.py, with each project's settings.
    let run = concise(
        dir.path(),
        &["--whole-project", "p1/app/worker.py", "p2/app/worker.py"],
    );
    assert_eq!(
        placed_codes(&run),
        [
            "p1/app/worker.py:FL103",
            "p1/main.py:FL105",
            "p2/app/worker.py:FL101",
            "p2/main.py:FL105",
        ],
        "{}",
        run.describe()
    );
}

#[test]
fn show_settings_names_the_configuration_roots_and_module_of_a_file() {
    let dir = monorepo();
    let run = forklint(
        dir.path(),
        &["check", "--show-settings", "p2/app/worker.py"],
    );
    assert_eq!(run.code(), Some(0), "{}", run.describe());
    let root = dir
        .path()
        .canonicalize()
        .unwrap_or(dir.path().to_path_buf());
    let out = &run.stdout;
    assert!(
        out.contains("Resolved settings for: p2/app/worker.py"),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "Configuration file: {}",
            dir.path().join("p2/pyproject.toml").display()
        )) || out.contains(&format!(
            "Configuration file: {}",
            root.join("p2/pyproject.toml").display()
        )),
        "{out}"
    );
    assert!(out.contains("Module: app.worker\n"), "{out}");
    assert!(out.contains("platforms = [\"windows\"]"), "{out}");
    assert!(!out.contains("\"FL103\""), "FL103 is ignored in p2: {out}");
    // And a file of p1, from inside p1.
    let run = forklint(
        &dir.path().join("p1"),
        &["check", "--show-settings", "app/__init__.py"],
    );
    assert!(
        run.stdout.contains("Module: app (package)"),
        "{}",
        run.describe()
    );
    assert!(
        run.stdout.contains("\"FL103\"") && !run.stdout.contains("\"FL101\""),
        "{}",
        run.describe()
    );
}

#[test]
fn show_files_lists_what_would_be_checked_with_each_projects_excludes() {
    let dir = monorepo();
    write(
        dir.path(),
        "p2/pyproject.toml",
        "[tool.forklint]\nextend-exclude = [\"main.py\"]\n",
    );
    let run = forklint(dir.path(), &["check", "--show-files", "."]);
    assert_eq!(run.code(), Some(0), "{}", run.describe());
    let listed: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        listed,
        [
            "./p1/app/__init__.py",
            "./p1/app/worker.py",
            "./p1/main.py",
            "./p2/app/__init__.py",
            "./p2/app/worker.py",
        ],
        "{}",
        run.describe()
    );
}

#[test]
fn in_one_directory_dot_forklint_beats_forklint_beats_pyproject() {
    let dir = two_hazards(&[
        ("pyproject.toml", "[tool.forklint]\nselect = [\"FL103\"]\n"),
        ("forklint.toml", "select = [\"FL101\"]\n"),
        (".forklint.toml", "select = [\"ALL\"]\nignore = [\"FL1\"]\n"),
    ]);
    let run = concise(dir.path(), &[]);
    assert_eq!(run.code(), Some(0), ".forklint.toml: {}", run.describe());
    std::fs::remove_file(dir.path().join(".forklint.toml")).unwrap();
    assert_eq!(codes(&concise(dir.path(), &[])), ["FL101"]);
    std::fs::remove_file(dir.path().join("forklint.toml")).unwrap();
    assert_eq!(codes(&concise(dir.path(), &[])), ["FL103"]);
}

#[test]
fn a_pyproject_without_tool_forklint_is_skipped() {
    let dir = two_hazards(&[
        ("forklint.toml", "ignore = [\"FL103\"]\n"),
        (
            "pkg/pyproject.toml",
            "[project]\nname = \"pkg\"\n[tool.other]\nselect = [\"X\"]\n",
        ),
        ("pkg/spawn.py", SUBPROCESS_AT_IMPORT),
        ("pkg/thread.py", THREAD_AT_IMPORT),
    ]);
    let run = concise(dir.path(), &["pkg"]);
    assert_eq!(codes(&run), ["FL101"], "{}", run.describe());
}

#[test]
fn config_flag_overrides_discovery_and_isolated_ignores_files() {
    let dir = two_hazards(&[
        ("forklint.toml", "ignore = [\"FL101\"]\n"),
        ("other/strict.toml", "ignore = [\"FL103\"]\n"),
    ]);
    assert_eq!(codes(&concise(dir.path(), &[])), ["FL103"]);
    let run = concise(dir.path(), &["--config", "other/strict.toml"]);
    assert_eq!(codes(&run), ["FL101"], "{}", run.describe());
    // A pyproject.toml given with --config is read from its [tool.forklint] table.
    write(
        dir.path(),
        "other/pyproject.toml",
        "[tool.forklint]\nselect = [\"FL103\"]\n",
    );
    let run = concise(dir.path(), &["--config", "other/pyproject.toml"]);
    assert_eq!(codes(&run), ["FL103"], "{}", run.describe());

    let run = concise(dir.path(), &["--isolated"]);
    assert_eq!(codes(&run), ["FL103", "FL101"], "{}", run.describe());
    // Even a broken file is not read with --isolated.
    write(dir.path(), "forklint.toml", "select = [\n");
    assert_eq!(concise(dir.path(), &["--isolated"]).code(), Some(1));

    let run = concise(dir.path(), &["--config", "missing.toml"]);
    assert_eq!(run.code(), Some(2), "{}", run.describe());
    assert!(run.stderr.contains("missing.toml"), "{}", run.describe());
}

// ---------------------------------------------------------------------------------------------
// Selection
// ---------------------------------------------------------------------------------------------

#[test]
fn select_ignore_prefixes_and_all_choose_the_findings() {
    let dir = two_hazards(&[("bad.py", "def f(:\n")]);
    let with = |config: &str| {
        write(dir.path(), "forklint.toml", config);
        let run = concise(dir.path(), &[]);
        let mut found = codes(&run);
        found.sort();
        found
    };
    assert_eq!(with(""), ["FL001", "FL101", "FL103"]);
    assert_eq!(with("select = [\"FL1\"]\n"), ["FL101", "FL103"]);
    assert_eq!(
        with("select = [\"FL101\", \"FL001\"]\n"),
        ["FL001", "FL101"]
    );
    assert_eq!(with("ignore = [\"FL10\"]\n"), ["FL001"]);
    assert_eq!(
        with("select = [\"ALL\"]\nignore = [\"FL0\"]\n"),
        ["FL101", "FL103"]
    );
    // The more specific selector wins, whichever list it is in.
    assert_eq!(
        with("select = [\"FL1\"]\nignore = [\"FL10\"]\nextend-select = [\"FL103\"]\n"),
        ["FL103"]
    );
    assert_eq!(
        with("select = [\"fl103\"]\n"),
        ["FL103"],
        "case-insensitive"
    );
    assert_eq!(with("select = []\n"), Vec::<String>::new());
}

#[test]
fn command_line_selection_overrides_or_extends_the_config() {
    let dir = two_hazards(&[("forklint.toml", "select = [\"FL101\"]\n")]);
    assert_eq!(codes(&concise(dir.path(), &[])), ["FL101"]);
    // --extend-select adds to the config's selection; --select replaces it.
    let run = concise(dir.path(), &["--extend-select", "FL103"]);
    assert_eq!(codes(&run), ["FL103", "FL101"], "{}", run.describe());
    let run = concise(dir.path(), &["--select", "FL103"]);
    assert_eq!(codes(&run), ["FL103"], "{}", run.describe());
    // Comma-separated and repeatable.
    let run = concise(
        dir.path(),
        &["--select", "FL101,FL103", "--ignore", "FL101"],
    );
    assert_eq!(codes(&run), ["FL103"], "{}", run.describe());
    let run = concise(
        dir.path(),
        &["--select", "ALL", "--ignore", "FL103", "--ignore", "FL101"],
    );
    assert_eq!(run.code(), Some(0), "{}", run.describe());

    let run = concise(dir.path(), &["--select", "FL9"]);
    assert_eq!(run.code(), Some(2), "{}", run.describe());
    assert!(run.stderr.contains("FL9"), "{}", run.describe());
}

#[test]
fn per_file_ignores_drop_findings_in_matching_files() {
    let dir = two_hazards(&[
        ("tests/test_a.py", THREAD_AT_IMPORT),
        ("tests/deep/test_b.py", SUBPROCESS_AT_IMPORT),
        ("conftest.py", THREAD_AT_IMPORT),
        ("pkg/conftest.py", THREAD_AT_IMPORT),
        (
            "pyproject.toml",
            "[tool.forklint.per-file-ignores]\n\"tests/**\" = [\"FL1\"]\n\"conftest.py\" = [\"FL101\"]\n",
        ),
    ]);
    let run = concise(dir.path(), &[]);
    assert!(!run.stdout.contains("tests/"), "{}", run.describe());
    assert!(!run.stdout.contains("conftest.py"), "{}", run.describe());
    assert_eq!(findings(&run.stdout, "thread.py", "FL101").len(), 1);
    assert_eq!(findings(&run.stdout, "spawn.py", "FL103").len(), 1);
    assert_eq!(run.last_stdout_line(), "Found 2 hazards in 2 files.");

    // The globs are relative to the config file's directory, not to the checked path.
    let run = concise(&dir.path().join("tests"), &[]);
    assert_eq!(run.code(), Some(0), "{}", run.describe());
}

// ---------------------------------------------------------------------------------------------
// Environment: target version and platforms
// ---------------------------------------------------------------------------------------------

#[test]
fn requires_python_sets_the_target_version() {
    // Linux: fork up to 3.13 (no FL107), forkserver from 3.14 (FL107).
    let dir = project(&[("app.py", MP_OUTSIDE_GUARD)]);
    assert_eq!(codes(&concise(dir.path(), &[])), ["FL103"]);
    write(
        dir.path(),
        "pyproject.toml",
        "[project]\nrequires-python = \">=3.14\"\n[tool.forklint]\n",
    );
    let run = concise(dir.path(), &[]);
    assert_eq!(codes(&run), ["FL103", "FL107"], "{}", run.describe());
    assert!(run.stdout.contains("Python 3.14"), "{}", run.describe());
    // `target-version` beats requires-python, and the flag beats both.
    write(
        dir.path(),
        "pyproject.toml",
        "[project]\nrequires-python = \">=3.14\"\n[tool.forklint]\ntarget-version = \"py313\"\n",
    );
    assert_eq!(codes(&concise(dir.path(), &[])), ["FL103"]);
    let run = concise(dir.path(), &["--target-version", "py314"]);
    assert_eq!(codes(&run), ["FL103", "FL107"], "{}", run.describe());

    // requires-python = ">=3.9": the 3.9 cell, where macOS already spawns and Linux forks.
    write(
        dir.path(),
        "pyproject.toml",
        "[project]\nrequires-python = \">=3.9,<4\"\n[tool.forklint]\nplatforms = [\"macos\"]\n",
    );
    let run = concise(dir.path(), &[]);
    assert!(
        run.stdout.contains("macOS with Python 3.9"),
        "{}",
        run.describe()
    );

    // A forklint.toml takes requires-python from the pyproject.toml beside it.
    write(
        dir.path(),
        "pyproject.toml",
        "[project]\nrequires-python = \"~=3.14\"\n",
    );
    write(dir.path(), "forklint.toml", "");
    let run = concise(dir.path(), &[]);
    assert_eq!(codes(&run), ["FL103", "FL107"], "{}", run.describe());
}

#[test]
fn requires_python_is_a_matrix_of_every_allowed_version() {
    // `>=3.12` starts at 3.12 (fork on Linux) but allows 3.14 (forkserver): FL107, for 3.14.
    let dir = project(&[("app.py", MP_OUTSIDE_GUARD)]);
    write(
        dir.path(),
        "pyproject.toml",
        "[project]\nrequires-python = \">=3.12\"\n[tool.forklint]\n",
    );
    let run = concise(dir.path(), &[]);
    assert_eq!(codes(&run), ["FL103", "FL107"], "{}", run.describe());
    assert!(
        run.stdout.contains("on Linux with Python 3.14"),
        "{}",
        run.describe()
    );
    // An upper bound below 3.14 keeps every cell on fork.
    write(
        dir.path(),
        "pyproject.toml",
        "[project]\nrequires-python = \">=3.12,<3.14\"\n[tool.forklint]\n",
    );
    assert_eq!(codes(&concise(dir.path(), &[])), ["FL103"]);
    // A named version is the only cell.
    write(
        dir.path(),
        "pyproject.toml",
        "[project]\nrequires-python = \">=3.12\"\n[tool.forklint]\ntarget-version = \"py312\"\n",
    );
    assert_eq!(codes(&concise(dir.path(), &[])), ["FL103"]);
}

#[test]
fn platforms_feed_the_start_method_and_the_flag_overrides_them() {
    let dir = project(&[("app.py", MP_OUTSIDE_GUARD)]);
    write(
        dir.path(),
        "forklint.toml",
        "platforms = [\"linux\", \"windows\"]\n",
    );
    let run = concise(dir.path(), &[]);
    assert_eq!(codes(&run), ["FL103", "FL107"], "{}", run.describe());
    assert!(run.stdout.contains("on Windows"), "{}", run.describe());
    let run = concise(dir.path(), &["--platform", "linux"]);
    assert_eq!(codes(&run), ["FL103"], "{}", run.describe());
    let run = concise(dir.path(), &["--isolated", "--platform", "linux,macos"]);
    assert_eq!(codes(&run), ["FL103", "FL107"], "{}", run.describe());
}

// ---------------------------------------------------------------------------------------------
// Paths relative to the config file
// ---------------------------------------------------------------------------------------------

#[test]
fn knowledge_and_exclude_are_relative_to_the_config_file() {
    let dir = project(&[
        ("proj/app.py", "import mylib\nmylib.start_background()\n"),
        (
            "proj/kb/mylib.toml",
            "[[api]]\nname = \"mylib.start_background\"\neffects = [\"thread-start\"]\n",
        ),
        ("proj/gen/out.py", THREAD_AT_IMPORT),
        // Packages: a plain directory's files that nothing imports are scripts.
        ("proj/__init__.py", ""),
        ("proj/sub/__init__.py", ""),
        ("proj/sub/gen/__init__.py", ""),
        ("proj/sub/gen/kept.py", THREAD_AT_IMPORT),
        (
            "proj/forklint.toml",
            "knowledge = [\"kb/mylib.toml\"]\nextend-exclude = [\"gen/*.py\"]\n",
        ),
    ]);
    // Run from elsewhere: relative paths must not be taken against the working directory.
    let run = concise(dir.path(), &["proj"]);
    assert_eq!(
        findings(&run.stdout, "proj/app.py", "FL101").len(),
        1,
        "{}",
        run.describe()
    );
    assert!(!run.stdout.contains("gen/out.py"), "{}", run.describe());
    assert_eq!(
        findings(&run.stdout, "sub/gen/kept.py", "FL101").len(),
        1,
        "{}",
        run.describe()
    );
    let run = concise(&dir.path().join("proj/sub"), &["."]);
    assert_eq!(codes(&run), ["FL101"], "{}", run.describe());
}

#[test]
fn output_format_comes_from_the_config_unless_the_flag_says_otherwise() {
    let dir = project(&[
        ("app.py", THREAD_AT_IMPORT),
        ("forklint.toml", "output-format = \"concise\"\n"),
    ]);
    let run = forklint(dir.path(), &["check", "--color", "never"]);
    assert!(
        run.stdout.starts_with("app.py:2:1: FL101 ")
            || run.stdout.starts_with("./app.py:2:1: FL101 "),
        "{}",
        run.describe()
    );
    let run = forklint(
        dir.path(),
        &["check", "--color", "never", "--output-format", "text"],
    );
    assert!(run.stdout.contains("-->"), "{}", run.describe());
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

#[test]
fn unknown_key_exits_2_with_file_line_and_suggestion() {
    let (line, run) = config_error(
        "pyproject.toml",
        "[project]\nname = \"x\"\n\n[tool.forklint]\nselect = [\"FL1\"]\nextend-selct = [\"FL001\"]\n",
    );
    assert_eq!(line, 6);
    assert!(run.stderr.contains("extend-selct"), "{}", run.describe());
    assert!(
        run.stderr.contains("did you mean `extend-select`?"),
        "{}",
        run.describe()
    );

    // Far from every key: no guess, the list instead.
    let (line, run) = config_error("pyproject.toml", "[tool.forklint]\ncolour = \"red\"\n");
    assert_eq!(line, 2);
    assert!(!run.stderr.contains("did you mean"), "{}", run.describe());
    assert!(
        run.stderr.contains("per-file-ignores"),
        "{}",
        run.describe()
    );
}

#[test]
fn tool_forklint_table_in_forklint_toml_is_explained() {
    // Copied from a pyproject.toml, with a comment after the header.
    let (line, run) = config_error(
        "forklint.toml",
        "# settings\n[tool.forklint]  # ours\nselect = [\"FL1\"]\n",
    );
    assert_eq!(line, 2);
    assert!(
        run.stderr.contains("without the `[tool.forklint]` table"),
        "{}",
        run.describe()
    );
}

#[test]
fn toml_syntax_error_exits_2_with_file_and_line() {
    let toml = "ignore = [\"FL101\"]\nselect = = 1\n";
    assert_eq!(config_error("forklint.toml", toml).0, 2);
    // Also in a pyproject.toml that would be skipped if it parsed: forklint cannot tell.
    assert_eq!(config_error("pyproject.toml", "[project\n").0, 1);
}

#[test]
fn bad_values_and_unknown_codes_exit_2_at_their_line() {
    let cases: &[(&str, usize, &str)] = &[
        ("select = [\n  \"FL1\",\n  \"FL9\",\n]\n", 3, "FL9"),
        ("extend-select = [\"XYZ\"]\n", 1, "XYZ"),
        ("\nignore = [\"FL1010\"]\n", 2, "FL1010"),
        (
            "[per-file-ignores]\n\"a.py\" = [\"FL101\"]\n\"b.py\" = [\"FL7\"]\n",
            3,
            "FL7",
        ),
        ("[per-file-ignores]\n\"[bad\" = [\"FL101\"]\n", 2, "[bad"),
        ("select = \"FL101\"\n", 1, "select"),
        ("target-version = \"py27\"\n", 1, "py314"),
        ("platforms = [\"linux\", \"bsd\"]\n", 1, "bsd"),
        ("platforms = []\n", 1, "platforms"),
        ("output-format = \"fancy\"\n", 1, "fancy"),
        ("src = [1]\n", 1, "src"),
    ];
    for (toml, line, needle) in cases {
        let (found, run) = config_error("forklint.toml", toml);
        assert_eq!(found, *line, "{toml}");
        assert!(run.stderr.contains(needle), "{toml}: {}", run.describe());
    }
    let (line, run) = config_error(
        "pyproject.toml",
        "[project]\nrequires-python = \"python3\"\n[tool.forklint]\n",
    );
    assert_eq!(line, 2);
    assert!(run.stderr.contains("target-version"), "{}", run.describe());
}

#[test]
fn hostile_config_input_never_panics() {
    for toml in [
        "\u{feff}select = [\"FL1\"]\n",
        "select = [\"é\"]\n",
        "[per-file-ignores]\n\"\" = []\n",
        "ignore = [\"\"]\n",
        "platforms = \"linux\"\n",
        "per-file-ignores = 3\n",
        "[[select]]\n",
        "\u{0}",
        "select = [\"FL1\"]\nselect = [\"FL1\"]\n",
    ] {
        let dir = project(&[("app.py", THREAD_AT_IMPORT), ("forklint.toml", toml)]);
        let run = concise(dir.path(), &[]);
        assert!(
            matches!(run.code(), Some(0..=2)),
            "{toml:?}: {}",
            run.describe()
        );
    }
}
