#!/usr/bin/env python3
"""Latency of the editing features on a large `.stella.yaml`, ours against the peer.

    python3 bench/editing.py [--kit ../shared/bench] [--runs 3] [-n 10000]

The shared kit (`../shared/bench`, or `--kit`) measures diagnostics; this script measures
what a user waits for while editing: completion while typing a new key, completion of a
value, hover, the outline, folding, selection ranges, go to definition, document links,
quick fixes on a diagnostic, and inlay hints. It reuses the kit's LSP connection and file
generator, so both servers see the same file and the same client, and it runs them in
turns (peer, ours, peer, ours, ...) so both see the same machine load.

Each request is sent `--repeat` times after the file's diagnostics are in; a cell is the
median over all runs. A request the server does not offer (no capability, or an error
answer) reads `n/a`. "typing → completion" sends a one-line edit (a new, indented empty
line inside a component in the middle of the file) and at once a completion request at
its end: the time to the answer includes taking the edit in, as an editor sees it.

Prints a Markdown table with the ratio peer/ours (how many times faster ours answers)
and writes it, with the raw figures as JSON, to `--out` (default target/bench).
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time


def load_kit(kit):
    sys.path.insert(0, os.path.abspath(kit))
    import lsp_bench  # noqa: E402  (found through the kit's folder)

    return lsp_bench


def generate(kit, n, out_dir):
    path = os.path.join(out_dir, f"n{n}", ".stella.yaml")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    subprocess.run([sys.executable, os.path.join(kit, "gen_stella.py"), "-n", str(n), "-k", "5",
                    "--seed", "1", "-o", path], check=True, stderr=subprocess.DEVNULL)
    return path


def peer_command(kit):
    line = subprocess.run(["bash", os.path.join(kit, "peer.sh")], check=True, capture_output=True,
                          text=True).stdout.strip()
    return subprocess.run(["bash", "-c", f"printf '%s\\n' {line}"], check=True, capture_output=True,
                          text=True).stdout.splitlines()


def find_line(lines, predicate, start=0):
    for index in range(start, len(lines)):
        if predicate(lines[index]):
            return index
    raise ValueError("the generated file lacks a line the benchmark needs")


def positions(lines):
    """The places each request is aimed at, found in the generated file."""
    middle = len(lines) // 2
    component = find_line(lines, lambda line: line.startswith("  - name: comp-"), middle)
    image = find_line(lines, lambda line: line.startswith("    image: "), component)
    typo = find_line(lines, lambda line: line.startswith("    dockerfle: "))
    approve = find_line(lines, lambda line: line.startswith("      auto_approve: "))
    branches = find_line(lines, lambda line: line == "branches:")
    environment = find_line(lines, lambda line: line.startswith("    environment: "), branches)
    return {
        "component": component,
        "image": image,
        "typo": typo,
        "approve": approve,
        "branches": branches,
        "environment": environment,
        "last": len(lines) - 1,
    }


def requests(uri, at, diagnostics):
    """(name, method, params) for every timed request but the typing one."""
    doc = {"uri": uri}

    def pos(line, character):
        return {"line": line, "character": character}

    approve_value = len("      auto_approve: ")
    env_value = len("    environment: ") + 1
    typo_range = {"start": pos(at["typo"], 4), "end": pos(at["typo"], 13)}
    on_typo = [d for d in diagnostics if d["range"]["start"]["line"] == at["typo"]]
    window = {"start": pos(max(0, at["branches"] - 60), 0), "end": pos(at["last"], 0)}
    top = {"start": pos(0, 0), "end": pos(60, 0)}
    return [
        ("completion of a value", "textDocument/completion",
         {"textDocument": doc, "position": pos(at["approve"], approve_value)}),
        ("hover on a key", "textDocument/hover",
         {"textDocument": doc, "position": pos(at["image"], 6)}),
        ("document symbols", "textDocument/documentSymbol", {"textDocument": doc}),
        ("folding ranges", "textDocument/foldingRange", {"textDocument": doc}),
        ("selection range", "textDocument/selectionRange",
         {"textDocument": doc, "positions": [pos(at["image"], 12)]}),
        ("go to definition", "textDocument/definition",
         {"textDocument": doc, "position": pos(at["environment"], env_value)}),
        ("document links", "textDocument/documentLink", {"textDocument": doc}),
        ("quick fixes", "textDocument/codeAction",
         {"textDocument": doc, "range": typo_range, "context": {"diagnostics": on_typo, "only": ["quickfix"]}}),
        ("inlay hints (top)", "textDocument/inlayHint", {"textDocument": doc, "range": top}),
        ("inlay hints (branches)", "textDocument/inlayHint", {"textDocument": doc, "range": window}),
    ]


def timed(conn, method, params, timeout):
    """Milliseconds to the answer, or None when the server answered with an error."""
    started = time.perf_counter()
    rid = conn.request(method, params)
    _, message = conn.wait_response(rid, timeout)
    elapsed = (time.perf_counter() - started) * 1e3
    if "error" in message:
        return None, message["error"].get("message", "")
    return elapsed, message.get("result")


def one_run(kit, label, command, path, settings, args):
    text = open(path, encoding="utf-8").read()
    lines = text.split("\n")
    uri = kit.path_to_uri(path)
    folder = os.path.dirname(path)
    folders = [{"uri": kit.path_to_uri(folder), "name": "bench"}]
    stderr = os.path.join(args.out, f"{label}.stderr")
    conn = kit.Conn(command, stderr, settings, folders)
    figures = {}
    try:
        rid = conn.request("initialize", {
            "processId": os.getpid(),
            "rootUri": folders[0]["uri"],
            "workspaceFolders": folders,
            "capabilities": {
                "general": {"positionEncodings": ["utf-16"]},
                "workspace": {"configuration": True, "workspaceFolders": True},
                "textDocument": {
                    "publishDiagnostics": {"relatedInformation": True},
                    "hover": {"contentFormat": ["markdown", "plaintext"]},
                    "completion": {"completionItem": {"snippetSupport": True}},
                    "codeAction": {"codeActionLiteralSupport": {"codeActionKind": {"valueSet": ["quickfix"]}}},
                    "documentSymbol": {"hierarchicalDocumentSymbolSupport": True},
                    "inlayHint": {},
                },
            },
        })
        _, answer = conn.wait_response(rid, 60)
        capabilities = answer["result"]["capabilities"]
        conn.notify("initialized", {})
        if settings:
            conn.notify("workspace/didChangeConfiguration", {"settings": settings})
        kit.drain_quiet(conn, uri, 0.3, 10)
        conn.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "yaml", "version": 1, "text": text}})
        _, diagnostics = kit.wait_diag(conn, uri, 300)
        _, last, _ = kit.drain_quiet(conn, uri, 0.75, 300)
        diagnostics = diagnostics if last is None else last

        at = positions(lines)
        for name, method, params in requests(uri, at, diagnostics):
            samples = []
            for _ in range(args.repeat):
                elapsed, answer = timed(conn, method, params, 120)
                if elapsed is None:
                    figures.setdefault("errors", {})[name] = answer
                    break
                samples.append(elapsed)
            figures[name] = samples or None

        version = 1
        samples = []
        line = at["image"] + 1
        for _ in range(args.repeat):
            version += 1
            insert = {"range": {"start": {"line": line, "character": 0}, "end": {"line": line, "character": 0}},
                      "text": "    \n"}
            started = time.perf_counter()
            conn.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                                    "contentChanges": [insert]})
            rid = conn.request("textDocument/completion", {"textDocument": {"uri": uri},
                                                           "position": {"line": line, "character": 4}})
            _, message = conn.wait_response(rid, 120)
            samples.append((time.perf_counter() - started) * 1e3)
            items = message.get("result") or []
            if isinstance(items, dict):
                items = items.get("items", [])
            figures.setdefault("typing items", []).append(len(items))
            version += 1
            remove = {"range": {"start": {"line": line, "character": 0}, "end": {"line": line + 1, "character": 0}},
                      "text": ""}
            conn.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                                    "contentChanges": [remove]})
            kit.drain_quiet(conn, uri, 0.3, 300)
        figures["typing → completion"] = samples
        figures["capabilities"] = sorted(capabilities)
    finally:
        conn.close()
    return figures


def median(values):
    return statistics.median(values) if values else None


def table(names, peer, ours, note):
    rows = [note, "", "| request | peer ms | ours ms | peer/ours |", "| --- | ---: | ---: | ---: |"]
    for name in names:
        p = median([v for run in peer for v in (run.get(name) or [])])
        o = median([v for run in ours for v in (run.get(name) or [])])
        cell = lambda v: "n/a" if v is None else f"{v:.2f}"
        ratio = "n/a" if p is None or o is None else f"{p / o:.0f}x" if p / o >= 10 else f"{p / o:.1f}x"
        rows.append(f"| {name} | {cell(p)} | {cell(o)} | {ratio} |")
    return "\n".join(rows) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kit", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "bench"))
    parser.add_argument("--server", default="target/release/stella-lsp")
    parser.add_argument("-n", type=int, default=10000, help="components in the generated file")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=7, help="requests of each kind per run")
    parser.add_argument("--out", default="target/bench")
    args = parser.parse_args()

    kit_dir = os.path.abspath(args.kit)
    kit = load_kit(kit_dir)
    os.makedirs(args.out, exist_ok=True)
    path = os.path.abspath(generate(kit_dir, args.n, os.path.join(args.out, "editing-data")))
    schema = os.path.abspath("schemas/stella.schema.json")
    peer_settings = kit.yaml_ls_settings(schema, ["**/.stella.yaml"])
    ours_command = [os.path.abspath(args.server), "serve"]
    peer = peer_command(kit_dir)

    peer_runs, our_runs = [], []
    for run in range(1, args.runs + 1):
        peer_runs.append(one_run(kit, "peer", peer, path, peer_settings, args))
        our_runs.append(one_run(kit, "ours", ours_command, path, {}, args))
        print(f"run {run}/{args.runs} done", file=sys.stderr)

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    lines = open(path, encoding="utf-8").read().count("\n")
    note = (f"N = {args.n} components ({lines} lines), {args.runs} runs x {args.repeat} requests, "
            f"commit {commit}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, "
            f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    at = positions(open(path, encoding="utf-8").read().split("\n"))
    names = ["typing → completion"] + [name for name, _, _ in requests("", at, [])]
    result = table(names, peer_runs, our_runs, note)
    sys.stdout.write(result)
    with open(os.path.join(args.out, "editing.md"), "w", encoding="utf-8") as out:
        out.write(result)
    with open(os.path.join(args.out, "editing.json"), "w", encoding="utf-8") as out:
        json.dump({"peer": peer_runs, "ours": our_runs, "note": note}, out, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
