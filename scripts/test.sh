#!/usr/bin/env bash
# The project's test command (README: "Testing"). Installs what the tests need, then runs
# every test: unit tests, the fixture harness, the CLI tests.
set -euo pipefail
cd "$(dirname "$0")/.."

# The toolchain is the machine's Rust 1.95 (rust-version in Cargo.toml); nothing else is
# needed yet. Later test stages (SARIF validators, LSP clients) install themselves here.
command -v cargo >/dev/null || { echo "error: cargo (Rust 1.95) is required" >&2; exit 2; }

cargo build --locked --all-targets
cargo test --locked
