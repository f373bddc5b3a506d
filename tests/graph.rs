//! `forklint graph` on a small project: the nodes, the import edges (none for an import under
//! the `__main__` guard, dashed for a dynamic import), the marked modules with the chain to
//! each effect, and output that DOT and Mermaid can read (escaping, balanced braces, ids).

mod support;

use std::path::Path;

use support::{Run, copy_tree, forklint, write};

/// `main` imports `app` (and, under its guard only, `guarded`); `app` imports `util`, `procs`
/// and, dynamically, `plugin`, then calls `util.start()`, which starts a thread; `procs` runs a
/// subprocess and forks at top level; `lonely` is imported by nobody and does nothing.
fn project(dir: &Path) {
    write(
        dir,
        "main.py",
        "import app\n\nif __name__ == \"__main__\":\n    import guarded\n    print(app.READY)\n",
    );
    write(
        dir,
        "app.py",
        "import importlib\nimport util\nimport procs\n\nplugin = importlib.import_module(\"plugin\")\nutil.start()\nREADY = True\n",
    );
    write(
        dir,
        "util.py",
        "import threading\n\n\ndef work():\n    pass\n\n\ndef start():\n    threading.Thread(target=work).start()\n",
    );
    write(dir, "guarded.py", "X = 1\n");
    write(dir, "plugin.py", "Y = 2\n");
    write(dir, "lonely.py", "Z = 3\n");
    write(
        dir,
        "procs.py",
        "import os\nimport subprocess\n\nsubprocess.run([\"true\"])\nif os.fork() == 0:\n    os._exit(0)\n",
    );
}

fn graph(dir: &Path, format: &str) -> Run {
    let run = forklint(dir, &["graph", ".", "--format", format]);
    assert_eq!(run.code(), Some(0), "{}", run.describe());
    run
}

/// Splits DOT text outside double-quoted strings into a check of balanced braces and quotes.
fn assert_dot_is_plausible(dot: &str) {
    let body = dot
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(body.trim_start().starts_with("digraph "), "{dot}");
    assert!(body.trim_end().ends_with('}'), "{dot}");
    let (mut depth, mut in_string, mut escaped) = (0i32, false, false);
    let mut brackets = 0i32;
    for c in body.chars() {
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                '\n' => panic!("raw line break inside a DOT string: {dot}"),
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '{' => depth += 1,
            '}' => depth -= 1,
            '[' => brackets += 1,
            ']' => brackets -= 1,
            _ => {}
        }
        assert!(depth >= 0 && brackets >= 0, "unbalanced: {dot}");
    }
    assert!(!in_string, "unterminated string: {dot}");
    assert_eq!((depth, brackets), (0, 0), "unbalanced: {dot}");
}

/// DOT statement lines (no attributes) of the form `a -> b`.
fn dot_edges(dot: &str) -> Vec<(String, String, String)> {
    dot.lines()
        .filter_map(|l| {
            let l = l.trim().strip_suffix(';')?;
            let (from, rest) = l.split_once(" -> ")?;
            let (to, attrs) = rest.split_once(' ').unwrap_or((rest, ""));
            Some((from.to_string(), to.to_string(), attrs.to_string()))
        })
        .collect()
}

/// DOT node declarations: id → the rest of the line.
fn dot_nodes(dot: &str) -> Vec<(String, String)> {
    dot.lines()
        .filter_map(|l| {
            let l = l.trim();
            let (id, attrs) = l.split_once(" [label=")?;
            (!id.contains(' ')).then(|| (id.to_string(), attrs.to_string()))
        })
        .collect()
}

#[test]
fn dot_has_the_modules_edges_and_marks() {
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    let run = graph(dir.path(), "dot");
    let dot = &run.stdout;
    assert_dot_is_plausible(dot);

    let nodes = dot_nodes(dot);
    let ids: Vec<&str> = nodes.iter().map(|(id, _)| id.as_str()).collect();
    // Modules sorted by name, then effect sites by place; `guarded` (imported only under the
    // main guard) and `lonely` (no edge, no effect) are left out.
    assert_eq!(
        ids,
        [
            "m_app", "m_main", "m_plugin", "m_procs", "m_util", "fx_1", "fx_2", "fx_3"
        ],
        "{dot}"
    );
    assert!(!dot.contains("guarded") && !dot.contains("lonely"), "{dot}");

    let edges = dot_edges(dot);
    let plain: Vec<(&str, &str)> = edges
        .iter()
        .filter(|(_, to, _)| to.starts_with("m_"))
        .map(|(a, b, _)| (a.as_str(), b.as_str()))
        .collect();
    assert_eq!(
        plain,
        [
            ("m_app", "m_plugin"),
            ("m_app", "m_procs"),
            ("m_app", "m_util"),
            ("m_main", "m_app"),
        ],
        "{dot}"
    );
    let style = |from: &str, to: &str| {
        edges
            .iter()
            .find(|(a, b, _)| a == from && b == to)
            .map(|(_, _, attrs)| attrs.clone())
            .unwrap()
    };
    assert!(style("m_app", "m_plugin").contains("style=dashed"), "{dot}");
    assert!(!style("m_app", "m_util").contains("dashed"), "{dot}");

    // Marked modules: app (through util.start) and procs (its own top level).
    let attrs = |id: &str| nodes.iter().find(|(n, _)| n == id).unwrap().1.clone();
    assert!(attrs("m_app").contains("fillcolor"), "{dot}");
    assert!(
        attrs("m_app").contains("starts thread: threading.Thread.start at util.py:9"),
        "{dot}"
    );
    assert!(attrs("m_procs").contains("spawns process: subprocess.run at procs.py:4"));
    assert!(attrs("m_procs").contains("forks: os.fork at procs.py:5"));
    for plain in ["m_main", "m_util", "m_plugin"] {
        assert!(!attrs(plain).contains("fillcolor"), "{plain}: {dot}");
    }

    // The chain to the thread start: app's call, then the start in util.
    let chain = style("m_app", "fx_3");
    assert!(
        chain.contains("label=\"app.py:6 start() → util.py:9\""),
        "{chain}"
    );
    assert!(attrs("fx_3").contains("threading.Thread.start"), "{dot}");
    assert!(style("m_procs", "fx_1").contains("procs.py:4"), "{dot}");
    assert!(style("m_procs", "fx_2").contains("procs.py:5"), "{dot}");

    // Deterministic.
    assert_eq!(graph(dir.path(), "dot").stdout, *dot);

    // Graphviz itself, when it is installed (not required).
    if let Ok(mut child) = std::process::Command::new("dot")
        .arg("-Tsvg")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
    {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(dot.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "dot rejected the graph: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn mermaid_has_sanitised_ids_and_the_same_graph() {
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    write(dir.path(), "pkg/__init__.py", "");
    write(dir.path(), "pkg/end.py", "import util\n");
    write(dir.path(), "main.py", "import app\nimport pkg.end\n");
    let run = graph(dir.path(), "mermaid");
    let text = &run.stdout;
    assert!(text.starts_with("flowchart LR\n"), "{text}");
    for line in text.lines().skip(1) {
        let line = line.trim();
        if line.starts_with("%%") || line.starts_with("classDef") || line.starts_with("class ") {
            continue;
        }
        // Every statement starts with an id of letters, digits and `_`.
        let id: String = line
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        assert!(!id.is_empty(), "line without an id: {line}");
        // Inside a label, quotes are entity codes: each line has 0 or 2 raw quotes.
        let quotes = line.matches('"').count();
        assert!(quotes == 0 || quotes == 2, "{line}");
    }
    // A module named `end` (a Mermaid keyword) gets a prefixed, dotless id.
    for needle in [
        "m_pkg_end[\"pkg.end\"]",
        "m_main --> m_app",
        "m_main --> m_pkg",
        "m_main --> m_pkg_end",
        "m_pkg_end --> m_util",
        "m_app -.->|\"dynamic\"| m_plugin",
        "m_app ==>|\"app.py:6 start() → util.py:9\"| fx_3",
        "class m_app,m_procs marked",
    ] {
        assert!(text.contains(needle), "{needle}: {text}");
    }
    assert!(
        !text.contains("guarded") && !text.contains("lonely"),
        "{text}"
    );
}

#[test]
fn labels_are_escaped() {
    // A directory whose name holds a quote and a `#`: paths in labels carry them.
    let dir = tempfile::tempdir().unwrap();
    let project_dir = dir.path().join("we\"ird #dir");
    project(&project_dir);
    let arg = project_dir.file_name().unwrap().to_str().unwrap();
    let dot = forklint(dir.path(), &["graph", arg]);
    assert_eq!(dot.code(), Some(0), "{}", dot.describe());
    assert_dot_is_plausible(&dot.stdout);
    assert!(
        dot.stdout.contains("we\\\"ird #dir/util.py:9"),
        "{}",
        dot.stdout
    );

    let mermaid = forklint(dir.path(), &["graph", arg, "--format", "mermaid"]);
    assert_eq!(mermaid.code(), Some(0), "{}", mermaid.describe());
    assert!(
        mermaid.stdout.contains("we#34;ird #35;dir/util.py:9"),
        "{}",
        mermaid.stdout
    );
}

#[test]
fn empty_project_and_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "alone.py", "x = 1\n");
    let run = graph(dir.path(), "dot");
    assert_dot_is_plausible(&run.stdout);
    assert!(dot_nodes(&run.stdout).is_empty(), "{}", run.stdout);
    let run = graph(dir.path(), "mermaid");
    assert_eq!(run.stdout.lines().count(), 2, "{}", run.stdout);

    for args in [
        &["graph", "--format", "svg"][..],
        &["graph", "missing-dir"],
        &["graph", "--bogus"],
    ] {
        let run = forklint(dir.path(), args);
        assert_eq!(run.code(), Some(2), "{args:?}: {}", run.describe());
        assert!(run.stdout.is_empty(), "{args:?}: {}", run.describe());
    }
}

/// Copies a directory tree (the fixture is small: a few files, one subdirectory).

#[test]
fn docs_graph_example_is_up_to_date() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(repo.join("docs/graph.md")).unwrap();
    // Outside the repository, as scripts/docs.sh runs it: module names are the example's own.
    let dir = tempfile::tempdir().unwrap();
    let example = dir.path().join("example");
    copy_tree(&repo.join("fixtures/fl105/graph-example"), &example);
    for (format, fence) in [("dot", "dot"), ("mermaid", "mermaid")] {
        let run = graph(&example, format);
        let block = format!(
            "<!-- generated: {format} -->\n```{fence}\n{}```\n<!-- end: {format} -->",
            run.stdout
        );
        assert!(
            doc.contains(&block),
            "docs/graph.md: the {format} example is stale; run `bash scripts/docs.sh` and commit \
             the result. Expected:\n{block}"
        );
    }
    // The example shows what the docs say it shows.
    let dot = graph(&example, "dot").stdout;
    for needle in [
        "m_main -> m_app;",
        "m_app -> m_plugins_audio [style=dashed",
        "app.py:8 start_worker() → util.py:14 _spawn() → util.py:10",
        "forks: os.fork at plugins/audio.py:4",
    ] {
        assert!(dot.contains(needle), "{needle}: {dot}");
    }
    assert!(
        !dot.contains("m_cli"),
        "cli is imported only under the guard: {dot}"
    );
}

#[test]
fn only_hazards_keeps_marked_modules_and_their_importers() {
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    // `leaf` imports nothing marked and is imported by `main`: dropped with `util`/`plugin`.
    write(dir.path(), "leaf.py", "Q = 1\n");
    write(dir.path(), "top.py", "import main\n");
    write(dir.path(), "main.py", "import app\nimport leaf\n");
    let run = forklint(dir.path(), &["graph", ".", "--only-hazards"]);
    assert_eq!(run.code(), Some(0), "{}", run.describe());
    let dot = &run.stdout;
    assert_dot_is_plausible(dot);
    let ids: Vec<String> = dot_nodes(dot).into_iter().map(|(id, _)| id).collect();
    assert_eq!(
        ids,
        [
            "m_app", "m_main", "m_procs", "m_top", "fx_1", "fx_2", "fx_3"
        ],
        "{dot}"
    );
    let edges: Vec<(String, String)> = dot_edges(dot).into_iter().map(|(a, b, _)| (a, b)).collect();
    let expected = [
        ("m_app", "m_procs"),
        ("m_main", "m_app"),
        ("m_top", "m_main"),
        ("m_app", "fx_3"),
        ("m_procs", "fx_1"),
        ("m_procs", "fx_2"),
    ]
    .map(|(a, b)| (a.to_string(), b.to_string()));
    assert_eq!(edges, expected, "{dot}");
}

#[test]
fn graph_reads_the_same_configuration_as_check() {
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    // `procs` is excluded by the configuration, so it is not part of the project at all.
    write(
        dir.path(),
        "forklint.toml",
        "extend-exclude = [\"procs.py\"]\n",
    );
    let configured = graph(dir.path(), "dot").stdout;
    assert!(!configured.contains("m_procs"), "{configured}");
    assert!(configured.contains("m_util"), "{configured}");
    // `--isolated` ignores the file; `--extend-exclude` on the command line does what it did.
    let isolated = forklint(dir.path(), &["graph", ".", "--isolated"]);
    assert!(
        isolated.stdout.contains("m_procs"),
        "{}",
        isolated.describe()
    );
    let flagged = forklint(
        dir.path(),
        &["graph", ".", "--isolated", "--extend-exclude", "procs.py"],
    );
    assert!(
        !flagged.stdout.contains("m_procs"),
        "{}",
        flagged.describe()
    );
    // A broken configuration is the same error as for `check`: exit 2, file and line.
    write(dir.path(), "forklint.toml", "extend-exclud = []\n");
    let broken = forklint(dir.path(), &["graph", "."]);
    assert_eq!(broken.code(), Some(2), "{}", broken.describe());
    assert!(
        broken.stderr.contains("forklint.toml:1"),
        "{}",
        broken.describe()
    );
}

/// `graph --calls --format pycg-json`: every function of the project with what it calls,
/// resolved through the value flow, in PyCG's JSON shape, across modules.
#[test]
fn the_call_graph_is_exported_in_pycg_json_shape() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write(
        dir,
        "main.py",
        "from pkg.jobs import Runner, job\n\nr = Runner(job)\nr.go()\nprint(len([]))\n",
    );
    write(dir, "pkg/__init__.py", "");
    write(
        dir,
        "pkg/jobs.py",
        "import threading\n\n\ndef job():\n    pass\n\n\nclass Runner:\n    def __init__(self, cb):\n        self.cb = cb\n        self.t = threading.Thread(target=cb)\n\n    def go(self):\n        self.cb()\n        self.t.start()\n",
    );
    let run = forklint(dir, &["graph", ".", "--calls", "--format", "pycg-json"]);
    assert_eq!(run.code(), Some(0), "{}", run.describe());
    let got: std::collections::BTreeMap<String, Vec<String>> =
        serde_json::from_str(&run.stdout).expect("the output is a JSON object of lists");
    let callees = |k: &str| {
        got.get(k)
            .cloned()
            .unwrap_or_else(|| panic!("no key {k}: {got:?}"))
    };
    assert_eq!(
        callees("main"),
        [
            "<builtin>.len",
            "<builtin>.print",
            "pkg.jobs.Runner.__init__",
            "pkg.jobs.Runner.go"
        ]
    );
    // The callback stored on `self` in `__init__` is what `go()` calls; the thread made
    // there is what it starts.
    assert_eq!(
        callees("pkg.jobs.Runner.go"),
        ["pkg.jobs.job", "threading.Thread.start"]
    );
    assert_eq!(callees("pkg.jobs.Runner.__init__"), ["threading.Thread"]);
    // Functions nobody calls, and library names called, are nodes too.
    assert_eq!(callees("pkg.jobs.job"), Vec::<String>::new());
    assert_eq!(callees("threading.Thread.start"), Vec::<String>::new());
}

#[test]
fn calls_and_the_pycg_format_go_together() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "main.py", "print(1)\n");
    for args in [
        &["graph", ".", "--calls"][..],
        &["graph", ".", "--format", "pycg-json"][..],
    ] {
        let run = forklint(tmp.path(), args);
        assert_eq!(run.code(), Some(2), "{}", run.describe());
        assert!(run.stderr.contains("go together"), "{}", run.describe());
    }
}

/// With the project's environment (`.venv` at its root), the installed modules the imports
/// reach are nodes, marked as installed, and the chain to a thread goes through their code;
/// without it (`--no-python`) they are unknown names, as in `check`.
#[test]
fn installed_dependencies_are_in_the_graph() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("p");
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/dependencies/wrapper-client-at-import"),
        &dir,
    );
    let dot = graph(&dir, "dot").stdout;
    assert_dot_is_plausible(&dot);
    let nodes = dot_nodes(&dot);
    let label = |id: &str| {
        nodes
            .iter()
            .find(|(n, _)| n == id)
            .map(|(_, l)| l.clone())
            .unwrap_or_else(|| panic!("no node {id}:\n{dot}"))
    };
    assert!(
        label("m_telemetry_sdk_exporter").starts_with("\"telemetry_sdk.exporter (installed)\""),
        "{dot}"
    );
    assert!(
        label("m_app").starts_with("\"app\\n"),
        "app is the project's: {dot}"
    );
    assert!(
        label("m_app").contains("site-packages/telemetry_sdk/exporter.py:11"),
        "the thread app's import starts is in the library's code: {dot}"
    );
    let without = forklint(&dir, &["graph", ".", "--format", "dot", "--no-python"]);
    assert_eq!(without.code(), Some(0), "{}", without.describe());
    assert!(
        !without.stdout.contains("telemetry_sdk"),
        "{}",
        without.stdout
    );
}
