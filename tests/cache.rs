//! The summary cache and the summarize/link split (docs/configuration.md#cache,
//! docs/build-systems.md): output identical with and without them, on every fixture; damaged
//! entries ignored and rewritten; entries that assumed another module set not reused; the
//! cache bounded; `forklint clean`.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::{THREAD_AT_IMPORT, concise, fixture_dirs, forklint, project, run_command};

#[derive(serde::Deserialize)]
struct FixtureToml {
    #[serde(default)]
    args: Vec<String>,
}

/// `forklint check` on a fixture as the fixture harness runs it, plus `extra`; the JSON
/// report (stdout) and stderr.
fn check_fixture(
    dir: &Path,
    args: &[String],
    extra: &[&str],
    env: &[(&str, &Path)],
) -> (String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_forklint"));
    cmd.arg("check")
        .arg(dir)
        .args(["--output-format", "json", "--color", "never"])
        .arg("--src")
        .arg(dir);
    if dir.join("src").is_dir() {
        cmd.arg("--src").arg(dir.join("src"));
    }
    cmd.args(args).args(extra).env_remove("FORKLINT_CACHE_DIR");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let run = run_command(cmd);
    assert!(
        matches!(run.code(), Some(0 | 1)),
        "{}: {}",
        dir.display(),
        run.describe()
    );
    (run.stdout, run.stderr)
}

fn cache_counts(stderr: &str) -> Vec<(usize, usize)> {
    stderr
        .lines()
        .filter_map(|l| l.strip_prefix("timing: cache "))
        .map(|l| {
            let n: Vec<usize> = l
                .split(|c: char| !c.is_ascii_digit())
                .filter_map(|w| w.parse().ok())
                .collect();
            (n[0], n[1])
        })
        .collect()
}

/// Every fixture gives the same report without the cache, with a cold cache, with a warm one
/// (where every summary comes from the cache), and linked from `summarize`'s bundle.
#[test]
fn cached_and_bundled_runs_report_exactly_what_a_fresh_run_does_on_every_fixture() {
    let cache = tempfile::tempdir().unwrap();
    let bundles = tempfile::tempdir().unwrap();
    let dirs = fixture_dirs();
    assert!(dirs.len() > 100, "only {} fixtures", dirs.len());
    let mut warm_hits = 0;
    for (i, dir) in dirs.iter().enumerate() {
        let toml: FixtureToml =
            toml::from_str(&std::fs::read_to_string(dir.join("fixture.toml")).unwrap()).unwrap();
        let args = &toml.args;
        let (fresh, _) = check_fixture(dir, args, &["--no-cache"], &[]);
        let cache_dir = ["--cache-dir", cache.path().to_str().unwrap()];
        let timing = [("FORKLINT_TIMING", Path::new("1"))];
        let (cold, _) = check_fixture(dir, args, &cache_dir, &timing);
        let (warm, stderr) = check_fixture(dir, args, &cache_dir, &timing);
        assert_eq!(fresh, cold, "{}: cold cache", dir.display());
        assert_eq!(fresh, warm, "{}: warm cache", dir.display());
        for (hits, misses) in cache_counts(&stderr) {
            assert_eq!(misses, 0, "{}: a warm run parsed files", dir.display());
            warm_hits += hits;
        }
        // The build-system split: summarise, then link without parsing.
        let bundle = bundles.path().join(format!("{i}.flsum"));
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_forklint"));
        cmd.arg("summarize")
            .arg(dir)
            .arg("-o")
            .arg(&bundle)
            .arg("--src")
            .arg(dir);
        if dir.join("src").is_dir() {
            cmd.arg("--src").arg(dir.join("src"));
        }
        // The options of the fixture that change summaries.
        let mut rest = args.iter();
        while let Some(a) = rest.next() {
            if matches!(
                a.as_str(),
                "--target-version" | "--platform" | "--entry" | "--knowledge" | "--config"
            ) {
                cmd.arg(a).arg(rest.next().unwrap());
            } else if a.starts_with("--target-version=")
                || a.starts_with("--platform=")
                || a == "--isolated"
            {
                cmd.arg(a);
            }
        }
        let run = run_command(cmd);
        assert_eq!(run.code(), Some(0), "{}: {}", dir.display(), run.describe());
        let summaries = ["--no-cache", "--summaries", bundle.to_str().unwrap()];
        let (linked, stderr) = check_fixture(dir, args, &summaries, &[]);
        assert_eq!(fresh, linked, "{}: linked from summaries", dir.display());
        let native_or_undecodable = walkdir::WalkDir::new(dir)
            .into_iter()
            .filter_map(Result::ok)
            .any(|e| {
                e.path().extension().is_some_and(|x| x == "rs" || x == "c")
                    || std::fs::read(e.path()).is_ok_and(|b| {
                        e.path().extension().is_some_and(|x| x == "py")
                            && std::str::from_utf8(&b).is_err()
                    })
            });
        if !native_or_undecodable {
            assert!(
                !stderr.contains("had no usable summary"),
                "{}: {stderr}",
                dir.display()
            );
        }
    }
    assert!(warm_hits > 300, "only {warm_hits} summaries read back");
}

fn entries(cache: &Path) -> Vec<PathBuf> {
    walkdir::WalkDir::new(cache)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| {
            let name = e.file_name().to_string_lossy();
            name.len() == 32 && name.bytes().all(|b| b.is_ascii_hexdigit())
        })
        .map(|e| e.into_path())
        .collect()
}

#[test]
fn the_cache_lives_at_the_project_root_marked_and_ignored() {
    let dir = project(&[
        ("pyproject.toml", "[project]\nname = \"p\"\n"),
        ("app.py", THREAD_AT_IMPORT),
    ]);
    let run = concise(dir.path(), &["."]);
    assert_eq!(run.code(), Some(1), "{}", run.describe());
    let cache = dir.path().join(".forklint_cache");
    assert_eq!(
        std::fs::read_to_string(cache.join(".gitignore"))
            .unwrap()
            .lines()
            .last(),
        Some("*")
    );
    assert!(
        std::fs::read_to_string(cache.join("CACHEDIR.TAG"))
            .unwrap()
            .starts_with("Signature: 8a477f597d28d172789f06886806bc55")
    );
    assert_eq!(entries(&cache).len(), 1);
    // `--no-cache` neither reads nor writes it.
    let other = project(&[("pyproject.toml", ""), ("app.py", THREAD_AT_IMPORT)]);
    concise(other.path(), &[".", "--no-cache"]);
    assert!(!other.path().join(".forklint_cache").exists());
}

#[test]
fn damaged_entries_are_ignored_and_written_again() {
    let dir = project(&[
        ("app.py", "import util\nutil.start()\n"),
        (
            "util.py",
            "import threading\ndef start():\n    threading.Thread(target=print).start()\n",
        ),
        ("quiet.py", "x = 1\n"),
    ]);
    let cache = tempfile::tempdir().unwrap();
    let args = ["--cache-dir", cache.path().to_str().unwrap()];
    let fresh = concise(dir.path(), &[".", "--no-cache"]);
    assert_eq!(fresh.code(), Some(1), "{}", fresh.describe());
    concise(dir.path(), &[".", args[0], args[1]]);
    let stored = entries(cache.path());
    assert_eq!(stored.len(), 3);
    // Truncated, emptied, garbage, and a valid entry of another file under this one's name.
    let other = std::fs::read(&stored[1]).unwrap();
    std::fs::write(&stored[0], &other[..other.len() / 2]).unwrap();
    std::fs::write(&stored[1], b"").unwrap();
    std::fs::write(&stored[2], &other).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_forklint"));
    cmd.args([
        "check",
        "--output-format",
        "concise",
        "--color",
        "never",
        ".",
    ])
    .args(args)
    .env("FORKLINT_TIMING", "1")
    .current_dir(dir.path());
    let run = run_command(cmd);
    assert_eq!(run.stdout, fresh.stdout, "{}", run.describe());
    assert_eq!(cache_counts(&run.stderr), vec![(0, 3)], "{}", run.stderr);
    // Written again: the next run reads them all.
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_forklint"));
    cmd.args([
        "check",
        "--output-format",
        "concise",
        "--color",
        "never",
        ".",
    ])
    .args(args)
    .env("FORKLINT_TIMING", "1")
    .current_dir(dir.path());
    let run = run_command(cmd);
    assert_eq!(run.stdout, fresh.stdout);
    assert_eq!(cache_counts(&run.stderr), vec![(3, 0)], "{}", run.stderr);
}

/// `app.py`'s summary depends on whether `util` is a project module: adding `util.py` must
/// not reuse the summary made when it was not.
#[test]
fn a_summary_made_for_another_set_of_modules_is_made_again() {
    let dir = project(&[
        ("pyproject.toml", ""),
        ("app.py", "import util\nutil.start()\n"),
    ]);
    let first = concise(dir.path(), &["."]);
    assert_eq!(first.code(), Some(0), "{}", first.describe());
    support::write(
        dir.path(),
        "util.py",
        "import threading\ndef start():\n    threading.Thread(target=print).start()\n",
    );
    let cached = concise(dir.path(), &["."]);
    let fresh = concise(dir.path(), &[".", "--no-cache"]);
    assert_eq!(cached.stdout, fresh.stdout);
    assert_eq!(
        support::findings(&cached.stdout, "app.py", "FL101").len(),
        1,
        "{}",
        cached.stdout
    );
}

#[test]
fn entries_of_deleted_and_changed_files_are_pruned() {
    let dir = project(&[
        ("pyproject.toml", ""),
        ("a.py", "x = 1\n"),
        ("b.py", "y = 2\n"),
    ]);
    let cache = dir.path().join(".forklint_cache");
    concise(dir.path(), &["."]);
    assert_eq!(entries(&cache).len(), 2);
    support::write(dir.path(), "a.py", "x = 3\n");
    concise(dir.path(), &["."]);
    assert_eq!(entries(&cache).len(), 2, "the old entry of a.py stays");
    std::fs::remove_file(dir.path().join("b.py")).unwrap();
    concise(dir.path(), &["."]);
    assert_eq!(entries(&cache).len(), 1, "b.py's entry stays");
}

#[test]
fn concurrent_runs_share_a_cache_safely() {
    let files: Vec<(String, String)> = (0..40)
        .map(|i| {
            (
                format!("m{i}.py"),
                format!(
                    "import threading\nimport m{}\nthreading.Thread(target=print).start()\n",
                    (i + 1) % 40
                ),
            )
        })
        .collect();
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let dir = project(&refs);
    let fresh = concise(dir.path(), &[".", "--no-cache"]);
    let children: Vec<_> = (0..4)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_forklint"))
                .args([
                    "check",
                    "--output-format",
                    "concise",
                    "--color",
                    "never",
                    ".",
                ])
                .current_dir(dir.path())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), fresh.stdout);
    }
    assert_eq!(concise(dir.path(), &["."]).stdout, fresh.stdout);
}

#[test]
fn clean_removes_caches_and_nothing_else() {
    let dir = project(&[
        ("pyproject.toml", ""),
        ("app.py", THREAD_AT_IMPORT),
        ("sub/pyproject.toml", "[tool.forklint]\n"),
        ("sub/m.py", "x = 1\n"),
    ]);
    concise(dir.path(), &["."]);
    assert!(dir.path().join(".forklint_cache").is_dir());
    assert!(dir.path().join("sub/.forklint_cache").is_dir());
    let run = forklint(dir.path(), &["clean"]);
    assert_eq!(run.code(), Some(0), "{}", run.describe());
    assert!(!dir.path().join(".forklint_cache").exists());
    assert!(!dir.path().join("sub/.forklint_cache").exists());
    assert!(dir.path().join("app.py").exists());
    // A `--cache-dir` that is not a forklint cache is refused.
    let run = forklint(dir.path(), &["clean", "--cache-dir", "sub"]);
    assert_eq!(run.code(), Some(2), "{}", run.describe());
    assert!(dir.path().join("sub/m.py").exists());
}

#[test]
fn a_bundle_that_is_not_one_is_an_error_naming_it() {
    let dir = project(&[("app.py", THREAD_AT_IMPORT), ("bad.flsum", "not a bundle")]);
    let run = concise(dir.path(), &["--summaries", "bad.flsum", "app.py"]);
    assert_eq!(run.code(), Some(2), "{}", run.describe());
    assert!(run.stderr.contains("bad.flsum"), "{}", run.stderr);
}

/// The Bazel and Pants files of docs/build-systems.md are Starlark (and a Pants macro file):
/// no Bazel or Pants runs here, but each must at least parse (Starlark's syntax is a subset of
/// Python's).
#[test]
fn the_build_system_examples_parse() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/integrations");
    let mut files = Vec::new();
    for dir in ["bazel", "pants"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            files.push(entry.unwrap().path());
        }
    }
    assert!(files.len() >= 5, "{files:?}");
    let mut cmd = Command::new("python3");
    cmd.args([
        "-c",
        "import ast, sys\nfor f in sys.argv[1:]:\n    ast.parse(open(f).read(), f)",
    ])
    .args(&files);
    let run = run_command(cmd);
    assert_eq!(run.code(), Some(0), "{}", run.describe());
}

/// A file whose name is not UTF-8 cannot be named in the cache's index; the run is the same
/// as without a cache (it once panicked writing the index).
#[cfg(unix)]
#[test]
fn a_file_name_that_is_not_utf8_does_not_break_the_cache() {
    use std::os::unix::ffi::OsStrExt;
    let dir = project(&[("pyproject.toml", ""), ("app.py", THREAD_AT_IMPORT)]);
    let odd = dir.path().join(std::ffi::OsStr::from_bytes(b"odd\xff.py"));
    std::fs::write(&odd, THREAD_AT_IMPORT).unwrap();
    let fresh = concise(dir.path(), &[".", "--no-cache"]);
    for _ in 0..2 {
        let cached = concise(dir.path(), &["."]);
        assert_eq!(cached.code(), fresh.code(), "{}", cached.describe());
        assert_eq!(cached.stdout, fresh.stdout);
    }
}
