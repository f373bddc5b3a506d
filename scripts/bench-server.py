#!/usr/bin/env python3
"""Latency benchmark of `forklint server` (issue 7's targets; not a test).

Opens a directory (by default the standard-library corpus built by
scripts/make-corpus.sh) as the workspace, then measures:

- initial: from `initialized` to the end of the first workspace analysis (its `$/progress`
  end), to compare with `forklint check` on the same tree (timed here too);
- publish: one-line edits of one module that add or remove a top-level thread start, from the
  `didChange` to the `publishDiagnostics` of that module (the edit changes its findings);
- answer: one-line edits that change no finding (a comment line before a `def` in the middle
  of the module, so every later range moves), from the `didChange` to the answer of a
  `codeAction` request sent right after it (the server analyses before it answers).

Usage: scripts/bench-server.py [--binary target/release/forklint] [--workspace DIR]
       [--module json/encoder.py] [--edits 40] [--stderr FILE] [--initial-only]
With --initial-only, only the first analysis is timed: with an empty summary cache, then
with the one that run filled (scripts/bench.sh runs it this way).
Only the standard library is needed: the client speaks JSON-RPC over the pipes itself.
"""

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import threading
import time
import queue


class Server:
    def __init__(self, binary, stderr, env=None):
        self.proc = subprocess.Popen(
            [binary, "server"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=open(stderr, "w") if stderr else subprocess.DEVNULL, env=env,
        )
        self.messages = queue.Queue()
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        out = self.proc.stdout
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    self.messages.put(None)
                    return
                line = line.strip()
                if not line:
                    break
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
            message = json.loads(out.read(length))
            self.messages.put((time.perf_counter(), message))

    def send(self, message):
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        self.proc.stdin.flush()
        return time.perf_counter()

    def request(self, method, params):
        self.next_id += 1
        sent = self.send({"id": self.next_id, "method": method, "params": params})
        return self.next_id, sent

    def notify(self, method, params):
        return self.send({"method": method, "params": params})

    def wait(self, predicate, timeout=120):
        deadline = time.perf_counter() + timeout
        while True:
            item = self.messages.get(timeout=max(0.001, deadline - time.perf_counter()))
            if item is None:
                raise RuntimeError("the server exited")
            at, message = item
            # Answer the server's own requests (progress tokens, registrations).
            if "method" in message and "id" in message:
                self.send({"id": message["id"], "result": None})
            if predicate(message):
                return at, message


def start(server, workspace):
    """Initialises the server on `workspace`; returns when its first analysis ends, with the
    seconds from `initialized` to the end of that analysis's `$/progress`."""
    server.request("initialize", {
        "processId": os.getpid(),
        "rootUri": workspace.as_uri(),
        "workspaceFolders": [{"uri": workspace.as_uri(), "name": workspace.name}],
        "capabilities": {"window": {"workDoneProgress": True}},
    })
    server.wait(lambda m: m.get("id") == 1)
    t0 = server.notify("initialized", {})
    end, _ = server.wait(
        lambda m: m.get("method") == "$/progress" and m["params"]["value"]["kind"] == "end"
    )
    return end - t0


def peak_rss(server):
    try:
        for line in open(f"/proc/{server.proc.pid}/status"):
            if line.startswith("VmHWM:"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "?"


def stop(server):
    rid, _ = server.request("shutdown", None)
    server.wait(lambda m: m.get("id") == rid)
    server.notify("exit", None)
    return server.proc.wait(timeout=10)


def initial_only(args, workspace):
    """The first analysis with an empty summary cache, then with the cache that run filled
    (a fresh `FORKLINT_CACHE_DIR`, so the workspace is not written to)."""
    import tempfile
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "FORKLINT_CACHE_DIR": cache}
        for label in ("cold", "warm"):
            server = Server(args.binary, args.stderr, env)
            seconds = start(server, workspace)
            rss = peak_rss(server)
            stop(server)
            print(f"server first analysis, {label} cache: {seconds:.2f} s, peak RSS {rss}")


def main():
    here = pathlib.Path(__file__).resolve().parent.parent
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=str(here / "target/release/forklint"))
    parser.add_argument(
        "--workspace",
        default=os.path.expanduser("~/.cache/forklint-corpus/stdlib"),
    )
    parser.add_argument("--module", default="json/encoder.py")
    parser.add_argument("--edits", type=int, default=40)
    parser.add_argument("--stderr", help="keep the server's stderr (FORKLINT_TIMING=1 output)")
    parser.add_argument("--initial-only", action="store_true",
                        help="only time the first analysis, with a cold then a warm cache")
    args = parser.parse_args()
    workspace = pathlib.Path(args.workspace).resolve()
    if not workspace.is_dir():
        sys.exit(f"no workspace at {workspace}: build it with scripts/make-corpus.sh")
    if args.initial_only:
        initial_only(args, workspace)
        return

    # `forklint check` on the same tree, best of 3.
    check = []
    for _ in range(3):
        t = time.perf_counter()
        subprocess.run([args.binary, "check", "--quiet", "--exit-zero", str(workspace)],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        check.append(time.perf_counter() - t)

    server = Server(args.binary, args.stderr)
    initial = start(server, workspace)

    path = workspace / args.module
    uri = path.as_uri()
    text = path.read_text()
    lines = text.splitlines(keepends=True)
    server.notify("textDocument/didOpen", {"textDocument": {
        "uri": uri, "languageId": "python", "version": 1, "text": text}})
    rid, _ = server.request("textDocument/codeAction", {
        "textDocument": {"uri": uri},
        "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
        "context": {"diagnostics": []}})
    server.wait(lambda m: m.get("id") == rid)

    # Edits at the end of the module: append a top-level thread start, then remove it.
    end_line = len(lines)
    hazard = "__import__('threading').Thread(target=print).start()\n"
    version = 1
    publish = []
    for i in range(args.edits):
        version += 1
        if i % 2 == 0:
            change = {"range": {"start": {"line": end_line, "character": 0},
                                "end": {"line": end_line, "character": 0}}, "text": hazard}
        else:
            change = {"range": {"start": {"line": end_line, "character": 0},
                                "end": {"line": end_line + 1, "character": 0}}, "text": ""}
        sent = server.notify("textDocument/didChange", {
            "textDocument": {"uri": uri, "version": version}, "contentChanges": [change]})
        at, _ = server.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                            and m["params"]["uri"] == uri
                            and m["params"].get("version") == version)
        publish.append(at - sent)

    # Edits that change no finding: a comment line toggled before a top-level `def` in the
    # middle of the module (every later range moves); answered after the analysis.
    defs = [i for i, line in enumerate(lines) if line.startswith("def ")] or [end_line]
    middle = defs[len(defs) // 2]
    answer = []
    for i in range(args.edits):
        version += 1
        if i % 2 == 0:
            change = {"range": {"start": {"line": middle, "character": 0},
                                "end": {"line": middle, "character": 0}}, "text": "# edit\n"}
        else:
            change = {"range": {"start": {"line": middle, "character": 0},
                                "end": {"line": middle + 1, "character": 0}}, "text": ""}
        sent = server.notify("textDocument/didChange", {
            "textDocument": {"uri": uri, "version": version}, "contentChanges": [change]})
        rid, _ = server.request("textDocument/codeAction", {
            "textDocument": {"uri": uri},
            "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
            "context": {"diagnostics": []}})
        at, _ = server.wait(lambda m: m.get("id") == rid)
        answer.append(at - sent)

    rss = peak_rss(server)
    code = stop(server)

    ms = lambda xs: f"median {statistics.median(xs) * 1000:.1f} ms, p90 " \
                    f"{sorted(xs)[int(len(xs) * 0.9)] * 1000:.1f} ms, max {max(xs) * 1000:.1f} ms"
    files = sum(1 for _ in workspace.rglob("*.py"))
    print(f"workspace: {workspace} ({files} .py files); edited {args.module}")
    print(f"forklint check:      {min(check) * 1000:.0f} ms (best of 3)")
    print(f"initial analysis:    {initial * 1000:.0f} ms ({initial / min(check):.2f}x check)")
    print(f"edit -> publish:     {ms(publish)} ({len(publish)} edits)")
    print(f"edit -> answer:      {ms(answer)} ({len(answer)} edits)")
    print(f"server peak RSS:     {rss}; exit code {code}")


if __name__ == "__main__":
    main()
