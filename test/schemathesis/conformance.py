"""One bounded schemathesis run against a real `entrenar server` on fresh storage.

Starts `node bin/entrenar.js server` on 127.0.0.1 (a free port, API-key authentication on, a fresh
data directory and, on PostgreSQL, a fresh database), runs `st run` against its /docs-json with the
settings of schemathesis.toml, prints what was sent and what failed, and always stops the server
and drops its storage. Exits non-zero on any schemathesis failure, on any 5xx in the server's own
request log, and on a run too thin to prove anything (see MIN_* below).

    python test/schemathesis/conformance.py sqlite|postgres [-- extra `st run` arguments]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
# The storage helper shared with the MLflow client suite.
sys.path.insert(0, str(REPO_ROOT / "test" / "support"))
from entrenar_storage import create_storage, free_port  # noqa: E402

CONFIG = HERE / "schemathesis.toml"
STARTUP_TIMEOUT_SECS = 60
STOP_TIMEOUT_SECS = 15

# A run that sent few requests, or in which most documented operations never succeeded (a key that
# is not sent, inputs that miss every route), would pass without testing much: fail it. Random
# inputs rarely satisfy every precondition (completing a run needs a pending or running one), so
# a few operations without a 2xx are expected; they are listed.
MIN_REQUESTS = 1000
MIN_SUCCEEDED_SHARE = 0.75


class RunFailed(Exception):
    pass


@contextmanager
def storage(kind: str) -> Iterator[list[str]]:
    """A fresh data directory (and PostgreSQL database); yields the server's storage arguments."""
    try:
        fresh = create_storage(kind, "entrenar_schemathesis")
    except RuntimeError as error:
        raise RunFailed(str(error)) from error
    try:
        yield fresh.server_args()
    finally:
        fresh.dispose()


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT_SECS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def responses(self) -> list[tuple[str, str, int]]:
        """(method, path, status) of every request the server logged."""
        logged = []
        for raw in self.log_text().splitlines():
            try:
                entry = json.loads(raw)
            except ValueError:
                continue
            req, res = (entry.get("req"), entry.get("res")) if isinstance(entry, dict) else (None, None)
            if isinstance(req, dict) and isinstance(res, dict) and isinstance(res.get("status"), int):
                logged.append((str(req.get("method")), str(req.get("path")), res["status"]))
        return logged


@contextmanager
def server(storage_args: list[str], api_key: str, log_path: Path) -> Iterator[Server]:
    node = os.environ.get("NODE") or shutil.which("node")
    if not node:
        raise RunFailed("node is not on PATH")
    for attempt in range(3):
        port = free_port()
        args = [node, str(REPO_ROOT / "bin" / "entrenar.js"), "server", "--host", "127.0.0.1", "--port", str(port)]
        # schemathesis sends wrong keys on purpose (the ignored_auth and missing_required_header
        # checks); the failed-auth throttle would then answer every later request from 127.0.0.1
        # with 429, so it is off here. It has tests of its own (test/http/auth.http-spec.ts).
        args += [*storage_args, "--auth-type", "api_key", "--api-key", api_key, "--auth-failure-limit", "0"]
        env = {k: v for k, v in os.environ.items() if not k.startswith("ENTRENAR_")}
        with open(log_path, "wb") as log_file:
            process = subprocess.Popen(
                args, cwd=REPO_ROOT, stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env
            )
        running = Server(f"http://127.0.0.1:{port}", process, log_path)
        try:
            if wait_until_healthy(running):
                yield running
                return
        finally:
            running.stop()
        if attempt == 2 or "EADDRINUSE" not in running.log_text():
            raise RunFailed(f"entrenar did not start (exit code {process.returncode}):\n{running.log_text()[-4000:]}")


def wait_until_healthy(running: Server) -> bool:
    """True once /health answers 200; False if the process exited first."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECS
    while running.process.poll() is None:
        try:
            with urllib.request.urlopen(f"{running.url}/health", timeout=2) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass  # not listening yet
        if time.monotonic() > deadline:
            raise RunFailed(f"entrenar did not answer /health within {STARTUP_TIMEOUT_SECS} s")
        time.sleep(0.1)
    return False


def operations(document: dict[str, Any]) -> dict[str, re.Pattern[str]]:
    """'METHOD /path/{param}' of every documented operation, with a pattern for logged paths."""
    found = {}
    for path, item in document.get("paths", {}).items():
        # A parameter matches one path segment; an artifact key at the end may hold slashes.
        parts = path.split("/")
        segments = [
            (".+" if index == len(parts) - 1 and part == "{key}" else "[^/]+")
            if part.startswith("{")
            else re.escape(part)
            for index, part in enumerate(parts)
        ]
        pattern = re.compile("^" + "/".join(segments) + "$")
        for method in item:
            if method in ("get", "put", "post", "delete", "patch", "head", "options"):
                found[f"{method.upper()} {path}"] = pattern
    return found


def never_succeeded(document: dict[str, Any], responses: list[tuple[str, str, int]]) -> list[str]:
    """The documented operations no logged request answered with a 2xx."""
    succeeded = {(method, path) for method, path, status in responses if 200 <= status < 300}
    missing = []
    for operation, pattern in operations(document).items():
        method = operation.split(" ", 1)[0]
        if not any(m == method and pattern.match(p) for m, p in succeeded):
            missing.append(operation)
    return missing


def failing_checks(ndjson: Path) -> tuple[Counter[str], dict[tuple[str, str], int]]:
    """From schemathesis' event log: failing test cases per check, and per (operation, check)."""
    by_check: Counter[str] = Counter()
    by_operation: Counter[tuple[str, str]] = Counter()
    if not ndjson.exists():
        return by_check, by_operation
    with ndjson.open() as events:
        for line in events:
            event = json.loads(line).get("ScenarioFinished")
            if not event:
                continue
            label = event["recorder"]["label"]
            for results in event["recorder"].get("checks", {}).values():
                for check in results:
                    if check["status"] == "failure":
                        by_check[check["name"]] += 1
                        by_operation[(label, check["name"])] += 1
    return by_check, dict(by_operation)


_ID = re.compile(r"(?<=/)(?:run|exp)-[0-9a-f]{8,}")


def run(kind: str, st_args: list[str]) -> None:
    st = Path(sys.executable).with_name("st")
    work = Path(tempfile.mkdtemp(prefix=f"entrenar-schemathesis-{kind}-"))
    api_key = f"schemathesis-{secrets.token_hex(16)}"
    started = time.monotonic()
    keep_work = False
    try:
        with storage(kind) as storage_args, server(storage_args, api_key, work / "server.log") as running:
            print(f"=== schemathesis on {kind}: {running.url}/docs-json (server log: {running.log_path})", flush=True)
            with urllib.request.urlopen(f"{running.url}/docs-json", timeout=30) as response:
                document = json.load(response)
            # The key reaches schemathesis through the environment (schemathesis.toml's [auth]),
            # so it is in no command line and, sanitized, in no printed line.
            env = {**os.environ, "ENTRENAR_SCHEMATHESIS_API_KEY": api_key}
            command = [str(st), "--config-file", str(CONFIG), "run", f"{running.url}/docs-json", "--no-color"]
            command += ["--report", "ndjson", "--report-ndjson-path", str(work / "events.ndjson"), *st_args]
            st_exit = subprocess.run(command, cwd=work, env=env, check=False).returncode
            if running.process.poll() is not None:
                raise RunFailed(f"the server died during the run (exit code {running.process.returncode})")
        responses = running.responses()
        elapsed = time.monotonic() - started
        statuses = Counter(f"{status // 100}xx" for _, _, status in responses)
        untested = never_succeeded(document, responses)
        server_errors = Counter(
            f"{status} {method} {_ID.sub('{id}', path)}" for method, path, status in responses if status >= 500
        )
        by_check, by_operation = failing_checks(work / "events.ndjson")
        print(f"\n=== schemathesis on {kind}: {len(responses)} requests in {elapsed:.0f} s", flush=True)
        print("    responses: " + ", ".join(f"{count} {klass}" for klass, count in sorted(statuses.items())))
        print(f"    failing test cases by check: {dict(by_check) if by_check else 'none'}")
        for (operation, check), count in sorted(by_operation.items()):
            print(f"      {operation}: {check} x{count}")
        for line, count in sorted(server_errors.items()):
            print(f"    server error in the server's log: {line} (x{count})")
        problems = []
        if st_exit != 0:
            problems.append(f"schemathesis exited with {st_exit}")
        if server_errors:
            problems.append(f"{sum(server_errors.values())} responses with a 5xx status")
        if len(responses) < MIN_REQUESTS:
            problems.append(f"only {len(responses)} requests (fewer than {MIN_REQUESTS})")
        documented = len(operations(document))
        if untested:
            print(f"    operations no request succeeded on: {', '.join(untested)}")
        if documented - len(untested) < MIN_SUCCEEDED_SHARE * documented:
            problems.append(f"{len(untested)} of {documented} operations never answered 2xx (is the key sent?)")
        if problems:
            keep_work = True
            raise RunFailed("; ".join(problems) + f" (the events and the server log are kept in {work})")
    finally:
        if not keep_work:
            shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("database", choices=["sqlite", "postgres"])
    parser.add_argument("st_args", nargs="*", help="extra `st run` arguments (after --)")
    options = parser.parse_args()

    def interrupted(signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    # SIGTERM unwinds like Ctrl-C, so the server is stopped and the database dropped.
    signal.signal(signal.SIGTERM, interrupted)
    try:
        run(options.database, options.st_args)
    except RunFailed as failure:
        print(f"\n=== schemathesis on {options.database} FAILED: {failure}", flush=True)
        return 1
    except KeyboardInterrupt as interruption:
        print(f"\n=== schemathesis on {options.database} interrupted ({interruption or 'Ctrl-C'})", flush=True)
        return 130
    print(f"\n=== schemathesis on {options.database} passed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
