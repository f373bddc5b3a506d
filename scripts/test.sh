#!/usr/bin/env bash
# The project's test command (README: "Testing"). Installs what the tests need, then runs
# every test: unit tests, the fixture harness, the CLI tests, the SARIF validation.
set -euo pipefail
cd "$(dirname "$0")/.."

# The toolchain is the machine's Rust 1.95 (rust-version in Cargo.toml).
command -v cargo >/dev/null || { echo "error: cargo (Rust 1.95) is required" >&2; exit 2; }

# SARIF validators (tests/outputs.rs), installed idempotently into target/test-tools/, never
# globally: Microsoft's Sarif.Multitool (npm; it ships the official SARIF 2.1.0 schema) and a
# Python venv with jsonschema.
TOOLS=target/test-tools
MULTITOOL_VERSION=5.7.0
LINUX_PKG="$TOOLS/node_modules/@microsoft/sarif-multitool-linux"
installed=$(node -p "require('./$LINUX_PKG/package.json').version" 2>/dev/null || true)
if [ "$installed" != "$MULTITOOL_VERSION" ]; then
    command -v npm >/dev/null || { echo "error: npm is required for the SARIF tests" >&2; exit 2; }
    mkdir -p "$TOOLS"
    npm install --prefix "$TOOLS" --no-audit --no-fund --loglevel=error \
        "@microsoft/sarif-multitool@$MULTITOOL_VERSION"
fi
# Its postinstall step (chmod) may be blocked by npm's install-script policy.
chmod u+x "$LINUX_PKG/Sarif.Multitool"
if ! "$TOOLS/venv/bin/python" -c 'import jsonschema' 2>/dev/null; then
    python3 -m venv "$TOOLS/venv"
    "$TOOLS/venv/bin/pip" install --quiet --disable-pip-version-check "jsonschema==4.26.0"
fi

cargo build --locked --all-targets
cargo test --locked
