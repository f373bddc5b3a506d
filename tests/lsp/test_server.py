"""End-to-end tests of `forklint server` driven by a real LSP client (pytest-lsp / pygls).

Run by `cargo test` (tests/lsp.rs) with FORKLINT_BIN set to the binary under test. Each test
gets its own copy of tests/lsp/project/:

- util.py: `start_worker()` starts a thread;
- app.py: calls `start_worker()` at import time -> FL101 on line 4 (a cross-module finding);
- launch.py: `preexec_fn=os.setsid` -> FL203, with a safe fix (`start_new_session=True`);
- jobs.py: `get_context("fork")` -> FL204, with an unsafe fix (`"forkserver"`).
"""

import asyncio
import os
import pathlib
import shutil
import sys
import tempfile

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

PROJECT = pathlib.Path(__file__).parent / "project"
BINARY = os.environ.get("FORKLINT_BIN", "forklint")
TIMEOUT = 20.0
# A marker that makes a debug build's summariser panic on a file containing it.
PANIC_MARKER = "FORKLINT-TEST-PANIC-MARKER"


@pytest_lsp.fixture(
    config=ClientServerConfig(
        server_command=[BINARY, "server"],
        server_env={**os.environ, "FORKLINT_DEBUG_PANIC_ON": PANIC_MARKER},
    ),
)
async def client(lsp_client: LanguageClient):
    yield
    # Teardown: a clean shutdown, then `exit`; the server must end by itself.
    await lsp_client.shutdown_session()


# The cache directory of `cached_client` (`FORKLINT_CACHE_DIR`, as `check` reads it).
CACHE_DIR = pathlib.Path(tempfile.mkdtemp(prefix="forklint-lsp-cache-"))


@pytest_lsp.fixture(
    config=ClientServerConfig(
        server_command=[BINARY, "server"],
        server_env={**os.environ, "FORKLINT_CACHE_DIR": str(CACHE_DIR)},
    ),
)
async def cached_client(lsp_client: LanguageClient):
    yield
    await lsp_client.shutdown_session()


def cache_entries(directory: pathlib.Path):
    """The summary entries under a cache directory (32 hex digits each)."""
    return [p for p in directory.rglob("*") if p.is_file() and len(p.name) == 32]


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "project"
    shutil.copytree(PROJECT, root)
    return root


def uri(path: pathlib.Path) -> str:
    return path.resolve().as_uri()


async def start(client: LanguageClient, root, spec="visual-studio-code", options=None):
    registrations = []

    # pygls does not implement dynamic registration; the server asks for its file watchers.
    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(params: types.RegistrationParams):
        registrations.extend(params.registrations)

    await client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities(spec),
            workspace_folders=[types.WorkspaceFolder(uri=uri(root), name="project")],
            initialization_options=options,
        )
    )


async def wait_until(predicate, what):
    """Polls `predicate` (diagnostics arrive as notifications) until true or the timeout."""
    deadline = asyncio.get_running_loop().time() + TIMEOUT
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def codes(client, path):
    return sorted(str(d.code) for d in client.diagnostics.get(uri(path), []))


def find(client, path, code):
    return [d for d in client.diagnostics.get(uri(path), []) if d.code == code]


def open_doc(client, path, version=1):
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri(path), language_id="python", version=version, text=path.read_text()
            )
        )
    )


def replace_line(client, path, line, old, new, version):
    """An incremental change: `old` on 0-based `line` becomes `new`."""
    text = path.read_text().splitlines()[line]
    start = text.index(old)
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri(path), version=version),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(
                        start=types.Position(line=line, character=start),
                        end=types.Position(line=line, character=start + len(old)),
                    ),
                    text=new,
                )
            ],
        )
    )


def apply_edits(text: str, edits) -> str:
    """Applies LSP text edits (UTF-16 positions; the fixtures are ASCII) to a text."""
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(p):
        return min(starts[min(p.line, len(lines))] + p.character, len(text))

    for e in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        text = text[: offset(e.range.start)] + e.new_text + text[offset(e.range.end) :]
    return text


def full_change(client, path, text, version):
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri(path), version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


async def code_actions(client, path, diagnostic, only=None):
    return await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri(path)),
            range=diagnostic.range,
            context=types.CodeActionContext(diagnostics=[diagnostic], only=only),
        )
    )


@pytest.mark.asyncio
async def test_cross_module_diagnostic_follows_edits_of_the_helper(client: LanguageClient, project):
    await start(client, project)
    app, util = project / "app.py", project / "util.py"
    # app.py is not open: its finding is published from the workspace analysis.
    await wait_until(lambda: find(client, app, "FL101"), "FL101 in app.py")
    [d] = find(client, app, "FL101")
    assert d.range.start.line == 3  # `WORKER = start_worker()`
    assert d.source == "forklint"
    assert d.severity == types.DiagnosticSeverity.Warning
    assert d.code_description.href.endswith("/docs/rules/FL101.md")
    assert "help:" in d.message
    related = {(r.location.uri, r.location.range.start.line) for r in d.related_information}
    assert (uri(util), 10) in related  # `worker.start()` in util.py
    # The analysis reported its progress.
    assert any(
        isinstance(v, types.WorkDoneProgressEnd)
        for reports in client.progress_reports.values()
        for v in reports
    )

    # Edit the helper in the editor, unsaved: start_worker() no longer starts the thread.
    open_doc(client, util)
    replace_line(client, util, 10, "worker.start()", "pass", version=2)
    await wait_until(lambda: not find(client, app, "FL101"), "app.py's FL101 to go away")
    assert util.read_text().count("worker.start()") == 1  # nothing was written

    # Start it again: the finding comes back.
    full_change(client, util, util.read_text(), version=3)
    await wait_until(lambda: find(client, app, "FL101"), "app.py's FL101 to come back")

    # Closing the unsaved buffer goes back to the file on disk (which starts the thread).
    replace_line(client, util, 10, "worker.start()", "pass", version=4)
    await wait_until(lambda: not find(client, app, "FL101"), "FL101 gone again")
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri(util)))
    )
    await wait_until(lambda: find(client, app, "FL101"), "FL101 back after closing the buffer")


@pytest.mark.asyncio
async def test_quick_fix_removes_the_finding(client: LanguageClient, project):
    await start(client, project)
    launch = project / "launch.py"
    open_doc(client, launch)
    await wait_until(lambda: find(client, launch, "FL203"), "FL203 in launch.py")
    [d] = find(client, launch, "FL203")
    actions = await code_actions(client, launch, d, only=[types.CodeActionKind.QuickFix])
    titles = [a.title for a in actions]
    [fix] = [a for a in actions if "start_new_session" in a.title]
    assert fix.kind == types.CodeActionKind.QuickFix
    assert fix.is_preferred
    assert "unsafe" not in fix.title
    assert any("noqa" in t for t in titles), titles
    edits = fix.edit.changes[uri(launch)]
    text = apply_edits(launch.read_text(), edits)
    assert "subprocess.Popen(cmd, start_new_session=True)" in text
    full_change(client, launch, text, version=2)
    await wait_until(lambda: not find(client, launch, "FL203"), "FL203 to go away")


@pytest.mark.asyncio
async def test_unsafe_fix_is_labelled_and_noqa_action_suppresses(client: LanguageClient, project):
    await start(client, project)
    jobs, app = project / "jobs.py", project / "app.py"
    open_doc(client, jobs)
    await wait_until(lambda: find(client, jobs, "FL204"), "FL204 in jobs.py")
    [d] = find(client, jobs, "FL204")
    actions = await code_actions(client, jobs, d)
    [fix] = [a for a in actions if "forkserver" in a.title]
    assert "unsafe" in fix.title and not fix.is_preferred
    # No fix-all for an unsafe fix: fix-all applies only safe fixes.
    assert not [a for a in actions if a.kind == "source.fixAll.forklint"]

    open_doc(client, app)
    await wait_until(lambda: find(client, app, "FL101"), "FL101 in app.py")
    [d] = find(client, app, "FL101")
    actions = await code_actions(client, app, d, only=[types.CodeActionKind.QuickFix])
    [noqa] = [a for a in actions if "noqa" in a.title]
    text = apply_edits(app.read_text(), noqa.edit.changes[uri(app)])
    assert "WORKER = start_worker()  # noqa: FL101\n" in text
    full_change(client, app, text, version=2)
    await wait_until(lambda: not find(client, app, "FL101"), "FL101 suppressed")


@pytest.mark.asyncio
async def test_fix_all_action_and_command(client: LanguageClient, project):
    applied = []

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def apply_edit(params: types.ApplyWorkspaceEditParams):
        applied.append(params)
        return types.ApplyWorkspaceEditResult(applied=True)

    await start(client, project)
    launch = project / "launch.py"
    open_doc(client, launch)
    await wait_until(lambda: find(client, launch, "FL203"), "FL203 in launch.py")
    [d] = find(client, launch, "FL203")
    actions = await code_actions(client, launch, d, only=[types.CodeActionKind.SourceFixAll])
    [fix_all] = actions
    assert fix_all.kind == "source.fixAll.forklint"
    fixed = apply_edits(launch.read_text(), fix_all.edit.changes[uri(launch)])
    assert "Popen(cmd, start_new_session=True)" in fixed and "preexec_fn=" not in fixed

    await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="forklint.applyFixAll", arguments=[{"uri": uri(launch)}])
    )
    await wait_until(lambda: applied, "workspace/applyEdit")
    assert apply_edits(launch.read_text(), applied[0].edit.changes[uri(launch)]) == fixed


@pytest.mark.asyncio
async def test_client_settings_and_configuration_changes(client: LanguageClient, project):
    app, launch, jobs = project / "app.py", project / "launch.py", project / "jobs.py"
    # initializationOptions: FL203 off.
    await start(client, project, options={"ignore": ["FL203"]})
    await wait_until(lambda: find(client, app, "FL101") and find(client, jobs, "FL204"), "findings")
    assert not find(client, launch, "FL203")

    # workspace/configuration, pulled again after didChangeConfiguration: only FL2 rules.
    # Settings override key by key: `ignore` from the initialization options still holds.
    client.set_configuration({"select": ["FL2"]}, section="forklint")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    await wait_until(lambda: not find(client, app, "FL101"), "FL101 deselected")
    assert find(client, jobs, "FL204") and not find(client, launch, "FL203")
    client.set_configuration({"select": ["FL2"], "ignore": []}, section="forklint")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    await wait_until(lambda: find(client, launch, "FL203"), "FL203 back once `ignore` is emptied")

    # A configuration file appears: the watcher's event is enough, no restart.
    client.set_configuration({"ignore": []}, section="forklint")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    await wait_until(lambda: find(client, app, "FL101"), "FL101 back")
    (project / "forklint.toml").write_text('ignore = ["FL101"]\n')
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=uri(project / "forklint.toml"), type=types.FileChangeType.Created)]
        )
    )
    await wait_until(lambda: not find(client, app, "FL101"), "FL101 ignored by forklint.toml")

    # A broken configuration file is reported with its line, and the server goes on.
    (project / "forklint.toml").write_text('ignore = ["FL101"\n')
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=uri(project / "forklint.toml"), type=types.FileChangeType.Changed)]
        )
    )
    await wait_until(
        lambda: any("forklint.toml:" in m.message for m in client.messages), "config error shown"
    )
    await wait_until(lambda: find(client, app, "FL101"), "defaults used while the file is broken")


@pytest.mark.asyncio
async def test_bad_requests_and_crashes_do_not_take_the_server_down(client: LanguageClient, project):
    await start(client, project)
    app, util = project / "app.py", project / "util.py"
    await wait_until(lambda: find(client, app, "FL101"), "FL101 in app.py")

    # An unknown method: MethodNotFound.
    with pytest.raises(Exception, match="does not handle"):
        await client.protocol.send_request_async("forklint/noSuchMethod", {})

    # A file outside the workspace (and not open): InvalidParams.
    outside = project.parent / "elsewhere.py"
    outside.write_text("x = 1\n")
    with pytest.raises(Exception, match="neither in a workspace folder"):
        await client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=uri(outside)),
                range=types.Range(start=types.Position(0, 0), end=types.Position(0, 1)),
                context=types.CodeActionContext(diagnostics=[]),
            )
        )

    # Bad arguments and unknown commands: InvalidParams.
    with pytest.raises(Exception, match="takes one argument"):
        await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="forklint.applyFixAll", arguments=[42])
        )
    with pytest.raises(Exception, match="unknown command"):
        await client.workspace_execute_command_async(types.ExecuteCommandParams(command="nope"))

    # A frame that is not JSON: the server answers with a ParseError and keeps serving.
    body = b"{this is not json"
    client._server.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    await client._server.stdin.drain()

    # A panic while analysing one file: reported on that file, the rest goes on.
    open_doc(client, util)
    replace_line(client, util, 0, '"""Helpers', f'"""{PANIC_MARKER} Helpers', version=2)
    await wait_until(lambda: find(client, util, "FL001"), "the crash reported as FL001 on util.py")
    [crash] = find(client, util, "FL001")
    assert "internal error" in crash.message
    full_change(client, util, util.read_text(), version=3)
    await wait_until(lambda: not find(client, util, "FL001"), "the crash gone")
    await wait_until(lambda: find(client, app, "FL101"), "FL101 still reported")


@pytest.mark.asyncio
async def test_file_outside_the_workspace_is_analysed_alone(client: LanguageClient, project, tmp_path):
    await start(client, project, spec="neovim")
    lone = tmp_path / "lone.py"
    lone.write_text("import threading\n\nthreading.Thread(target=print).start()\n")
    open_doc(client, lone)
    await wait_until(lambda: find(client, lone, "FL101"), "FL101 in a file outside the workspace")
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri(lone)))
    )
    await wait_until(lambda: not client.diagnostics.get(uri(lone)), "its diagnostics cleared on close")


@pytest.mark.asyncio
async def test_shutdown_and_exit_end_the_process_cleanly(client: LanguageClient, project):
    await start(client, project)
    await wait_until(lambda: find(client, project / "app.py", "FL101"), "first analysis")
    await client.shutdown_session()
    assert client._server.returncode == 0
    client.capabilities = None  # already shut down: the fixture's teardown has nothing to do


@pytest.mark.asyncio
async def test_first_analysis_fills_the_summary_cache_at_the_project_root(client: LanguageClient, project):
    if os.environ.get("FORKLINT_CACHE_DIR"):
        pytest.skip("FORKLINT_CACHE_DIR is set: the cache is not at the project root")
    await start(client, project)
    await wait_until(lambda: find(client, project / "app.py", "FL101"), "first analysis")
    cache = project / ".forklint_cache"
    await wait_until(lambda: len(cache_entries(cache)) == 4, "one cache entry per file")
    assert (cache / "CACHEDIR.TAG").is_file()


@pytest.mark.asyncio
async def test_forklint_cache_dir_moves_the_servers_cache(cached_client: LanguageClient, project):
    await start(cached_client, project)
    await wait_until(lambda: find(cached_client, project / "app.py", "FL101"), "first analysis")
    await wait_until(lambda: len(cache_entries(CACHE_DIR)) >= 4, "entries in FORKLINT_CACHE_DIR")
    assert not (project / ".forklint_cache").exists()


@pytest.mark.asyncio
async def test_installed_dependencies_are_analysed_as_check_does(client: LanguageClient, project):
    # A `.venv` at the project root holding a pure-Python SDK whose exporter starts a thread
    # (docs/dependencies.md): found through the SDK's code, reported in the project only,
    # also when an edit imports a module of it the first analysis did not reach.
    if os.environ.get("VIRTUAL_ENV") or os.environ.get("CONDA_PREFIX"):
        pytest.skip("an active environment would be the project's environment")
    sdk = project / ".venv/lib/python3.12/site-packages/telemetry_sdk"
    sdk.mkdir(parents=True)
    starts = (
        "import threading\n\n\nclass Exporter:\n    def __init__(self):\n"
        "        threading.Thread(target=print, daemon=True).start()\n"
    )
    (sdk / "__init__.py").write_text(starts)
    (sdk / "exporter.py").write_text(starts)
    metrics = project / "metrics.py"
    metrics.write_text("from telemetry_sdk import Exporter\n\nEXPORTER = Exporter()\n")
    tracing = project / "tracing.py"
    tracing.write_text("import telemetry_sdk\n")
    await start(client, project)
    await wait_until(lambda: find(client, metrics, "FL101"), "FL101 through the SDK")
    assert not client.diagnostics.get(uri(sdk / "__init__.py"))
    # `telemetry_sdk.exporter` was not reached: an edit that imports it must read it.
    open_doc(client, tracing)
    full_change(
        client,
        tracing,
        "from telemetry_sdk.exporter import Exporter\n\nEXPORTER = Exporter()\n",
        2,
    )
    await wait_until(lambda: find(client, tracing, "FL101"), "FL101 through a newly imported module")
