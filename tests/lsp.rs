//! End-to-end tests of `forklint server` with real, third-party LSP clients, which
//! `scripts/test.sh` installs into `target/test-tools/`:
//!
//! - pytest-lsp (pygls), running tests/lsp/test_server.py: cross-module diagnostics that
//!   follow edits of unsaved buffers, quick fixes, `# noqa`, fix-all, settings, configuration
//!   files, bad requests, a crash in one file, clean shutdown;
//! - Neovim 0.11 headless, running editors/neovim/test/e2e.lua through the shipped config.
//!
//! Without the tools these tests fail, unless `FORKLINT_SKIP_EXTERNAL=1`.

mod support;

use std::path::PathBuf;
use std::process::Command;

use support::{copy_tree, installed as tool};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(mut cmd: Command, what: &str) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{what} failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        out.status
    );
    eprintln!("{stdout}{stderr}");
}

#[test]
fn pytest_lsp_end_to_end() {
    let Some(python) = tool(repo().join("target/test-tools/venv/bin/python")) else {
        return;
    };
    let mut cmd = Command::new(&python);
    cmd.args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
        .current_dir(repo().join("tests/lsp"))
        .env("FORKLINT_BIN", env!("CARGO_BIN_EXE_forklint"));
    run(cmd, "pytest tests/lsp");
}

#[test]
fn neovim_headless_end_to_end() {
    let Some(nvim) = tool(repo().join("target/test-tools/nvim-venv/bin/nvim")) else {
        return;
    };
    let scratch = tempfile::tempdir().unwrap();
    let project = scratch.path().join("project");
    copy_tree(&repo().join("tests/lsp/project"), &project);
    let mut cmd = Command::new(nvim);
    cmd.args(["--headless", "--clean", "-l"])
        .arg(repo().join("editors/neovim/test/e2e.lua"))
        .arg(env!("CARGO_BIN_EXE_forklint"))
        .arg(&project)
        // Neovim's LSP log goes to the scratch directory, not the home directory.
        .env("XDG_STATE_HOME", scratch.path().join("state"))
        .current_dir(repo());
    run(cmd, "nvim --headless editors/neovim/test/e2e.lua");
    // Every edit stayed in a buffer: the project on disk is as it was.
    for name in ["app.py", "util.py", "launch.py"] {
        assert_eq!(
            std::fs::read(project.join(name)).unwrap(),
            std::fs::read(repo().join("tests/lsp/project").join(name)).unwrap(),
            "{name} was written"
        );
    }
}
