//! A stable, time-bounded fuzzer over the whole pipeline (`forklint::fuzz::pipeline`: parse,
//! summarise, the summaries' round trip through their stored form, link, every rule on every version and platform, every output format, every
//! fix). The nightly libFuzzer target in `fuzz/` runs the same function with coverage
//! guidance; this one runs on the stable toolchain in every `cargo test`.
//!
//! Inputs are the fixture projects (each project's files joined into one input) mutated by a
//! seeded generator: byte changes, deletions, splices between projects, and insertions of
//! Python fragments that trigger the rules. Every input that ever crashed is kept in
//! `tests/fuzz-regressions/` and replayed first.
//!
//! - `FORKLINT_FUZZ_SECONDS` (default 20): how long to mutate; run longer by hand.
//! - `FORKLINT_FUZZ_SEED`: the generator's seed (default: from the clock; printed, so a failing
//!   run can be repeated).
//! - A crashing input is written to `target/fuzz-failures/`; copy it into
//!   `tests/fuzz-regressions/` with the fix.

mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use forklint::fuzz::{FILE_NAMES, FILE_SEPARATOR, pipeline};

/// Fragments that make inputs reach the rules: thread, fork, process, subinterpreter and exit
/// APIs, imports between the input's own modules, and the syntax around them.
const FRAGMENTS: &[&str] = &[
    "import threading\n",
    "threading.Thread(target=work, daemon=True).start()\n",
    "t = threading.Thread(target=work)\nt.start()\nt.join()\n",
    "import os\nos.fork()\n",
    "pid = os.fork()\nif pid == 0:\n    work()\n",
    "import multiprocessing\nmultiprocessing.set_start_method('fork')\n",
    "multiprocessing.Process(target=work).start()\n",
    "import subprocess\nsubprocess.Popen(cmd, preexec_fn=os.setsid)\n",
    "import atexit\natexit.register(stop)\n",
    "from concurrent.futures import ThreadPoolExecutor, InterpreterPoolExecutor\n",
    "import _interpreters\ninterp = _interpreters.create()\n_interpreters.exec(interp, 'import os; os.fork()')\n",
    "import app\n",
    "from util import start\nstart()\n",
    "from . import worker\n",
    "if __name__ == '__main__':\n    main()\n",
    "def work():\n    while True:\n        pass\n",
    "def start():\n    threading.Thread(target=work).start()\n",
    "class Worker(threading.Thread):\n    def run(self):\n        import json\n",
    "with lock:\n    os.fork()\n",
    "import sys\nif sys.platform == 'darwin':\n",
    "    ",
    "\t",
    "(",
    ")",
    "[",
    ":",
    "\n",
    "\r\n",
    "\\\n",
    "'''",
    "# noqa: FL101\n",
    "# forklint: noqa\n",
    "lambda: ",
    "async def f():\n    await g()\n",
    "try:\n    pass\nexcept ImportError:\n    pass\n",
    "\u{feff}",
    "\x1e",
];

fn corpus() -> Vec<Vec<u8>> {
    let mut inputs = Vec::new();
    for dir in support::fixture_dirs() {
        let mut files: Vec<PathBuf> = walkdir::WalkDir::new(&dir)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.path().extension().is_some_and(|x| x == "py"))
            .map(|e| e.into_path())
            .collect();
        files.sort();
        let joined: Vec<Vec<u8>> = files
            .iter()
            .take(FILE_NAMES.len())
            .filter_map(|f| std::fs::read(f).ok())
            .collect();
        inputs.push(joined.join(&FILE_SEPARATOR));
    }
    inputs
}

fn regressions() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    files
}

fn mutate(rng: &mut fastrand::Rng, input: &[u8], corpus: &[Vec<u8>]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..rng.usize(1..=4) {
        let at = rng.usize(..=out.len());
        match rng.u8(..6) {
            // Replace a byte (often with something Python cares about).
            0 if !out.is_empty() => {
                let i = rng.usize(..out.len());
                out[i] = *rng.choice(b"\n\t ():[]{}'\"#\\=.,0aZ\x00\xff\x1e").unwrap();
            }
            // Delete a range.
            1 if !out.is_empty() => {
                let end = (at + rng.usize(..64)).min(out.len());
                out.drain(at.min(end)..end);
            }
            // Splice in a piece of another project.
            2 => {
                let other = rng.choice(corpus).unwrap();
                if !other.is_empty() {
                    let start = rng.usize(..other.len());
                    let end = (start + rng.usize(1..256)).min(other.len());
                    out.splice(at..at, other[start..end].iter().copied());
                }
            }
            // Repeat a line (deep blocks, long chains).
            3 => {
                let line_start = out[..at]
                    .iter()
                    .rposition(|b| *b == b'\n')
                    .map_or(0, |p| p + 1);
                let line_end = out[at..]
                    .iter()
                    .position(|b| *b == b'\n')
                    .map_or(out.len(), |p| at + p + 1);
                let line = out[line_start..line_end].to_vec();
                for _ in 0..rng.usize(1..16) {
                    out.splice(line_end..line_end, line.iter().copied());
                }
            }
            // Insert a fragment, at the start of a line when there is one.
            _ => {
                let at = out[..at]
                    .iter()
                    .rposition(|b| *b == b'\n')
                    .map_or(0, |p| p + 1);
                let fragment = rng.choice(FRAGMENTS).unwrap().as_bytes();
                out.splice(at..at, fragment.iter().copied());
            }
        }
    }
    out
}

/// Runs one input; on a panic, saves it and fails with how to reproduce it.
fn check(input: &[u8], what: &str) {
    let result = std::panic::catch_unwind(|| pipeline(input));
    if let Err(panic) = result {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-failures");
        std::fs::create_dir_all(&dir).unwrap();
        let name = format!("crash-{:016x}.bin", fnv1a(input));
        std::fs::write(dir.join(&name), input).unwrap();
        panic!(
            "{what} panicked: {}\ninput saved as target/fuzz-failures/{name}",
            forklint::panic_message(panic.as_ref())
        );
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[test]
fn pipeline_survives_the_corpus_and_its_regressions() {
    for path in regressions() {
        let input = std::fs::read(&path).unwrap();
        check(&input, &format!("regression {}", path.display()));
    }
    let corpus = corpus();
    assert!(corpus.len() > 100, "expected the fixture projects");
    for (i, input) in corpus.iter().enumerate() {
        check(input, &format!("fixture input {i}"));
    }
}

#[test]
fn pipeline_survives_mutated_inputs() {
    let seconds: u64 = std::env::var("FORKLINT_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let seed: u64 = std::env::var("FORKLINT_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64)
        });
    eprintln!("fuzz: seed {seed} for {seconds} s (FORKLINT_FUZZ_SEED={seed} repeats this run)");
    let mut rng = fastrand::Rng::with_seed(seed);
    let corpus = corpus();
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut runs = 0u64;
    while Instant::now() < deadline {
        let base = rng.choice(&corpus).unwrap();
        let input = mutate(&mut rng, base, &corpus);
        check(&input, &format!("mutated input {runs} (seed {seed})"));
        runs += 1;
    }
    eprintln!("fuzz: {runs} inputs, no crash");
    assert!(runs > 0);
}
