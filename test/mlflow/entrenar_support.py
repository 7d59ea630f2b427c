"""The harness of the MLflow client suite: a real `entrenar server` process on fresh storage, and a
small client of the seed API (/api/v1) to check what the server stored.

Nothing here talks to the database directly: the server is driven through its command line, and
its data is read back through its HTTP APIs. PostgreSQL is touched only to create and drop the
throwaway database each server gets.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests
from entrenar_storage import ServerStorage, free_port
from entrenar_storage import create_storage as create_test_storage
from mlflow import MlflowClient

REPO_ROOT = Path(__file__).resolve().parents[2]
ENTRENAR_BIN = REPO_ROOT / "bin" / "entrenar.js"
STARTUP_TIMEOUT_SECS = 60
STOP_TIMEOUT_SECS = 15


def database_kind() -> str:
    """Which database this run targets: ENTRENAR_TEST_DB=sqlite (default) or postgres."""
    kind = os.environ.get("ENTRENAR_TEST_DB", "sqlite")
    if kind not in ("sqlite", "postgres"):
        raise RuntimeError(f"ENTRENAR_TEST_DB must be sqlite or postgres, not {kind!r}")
    return kind


def iso_ms(epoch_ms: int) -> str:
    """The seed API's form of an MLflow timestamp: RFC 3339 in UTC with milliseconds and Z."""
    moment = datetime.fromtimestamp(epoch_ms / 1000, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{epoch_ms % 1000:03d}Z"


def epoch_ms(iso: str) -> int:
    """The inverse of iso_ms."""
    moment = datetime.strptime(iso, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    return round(moment.timestamp() * 1000)


# ---------------------------------------------------------------------------------------------
# Storage: a temporary data directory, plus a fresh database on PostgreSQL


def create_storage(kind: str | None = None) -> ServerStorage:
    return create_test_storage(kind or database_kind(), "entrenar_mlflow")


# ---------------------------------------------------------------------------------------------
# The server process


class PortTakenError(RuntimeError):
    """Another process took the free port between the probe and the server's bind."""


@dataclass(frozen=True)
class LoggedRequest:
    method: str
    path: str
    status: int


@dataclass
class EntrenarServer:
    """A running `node bin/entrenar.js server` on 127.0.0.1, its storage and its log file."""

    url: str
    storage: ServerStorage
    process: subprocess.Popen[bytes]
    log_path: Path
    api_key: str | None = None
    _log_file: Any = field(default=None, repr=False)

    @classmethod
    def start(cls, storage: ServerStorage, api_key: str | None = None, log_dir: Path | None = None) -> EntrenarServer:
        """Starts the server on a free port; tries another port if that one was taken meanwhile."""
        for attempt in range(3):
            try:
                return cls._start_once(storage, api_key, log_dir)
            except PortTakenError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    @classmethod
    def _start_once(cls, storage: ServerStorage, api_key: str | None, log_dir: Path | None) -> EntrenarServer:
        node = os.environ.get("NODE") or shutil.which("node")
        if not node:
            raise RuntimeError("node is not on PATH")
        if not (REPO_ROOT / "dist").is_dir():
            raise RuntimeError("dist/ is missing: run `npm run build` first (npm test does)")
        port = free_port()
        args = [node, str(ENTRENAR_BIN), "server", "--host", "127.0.0.1", "--port", str(port)]
        args += storage.server_args()
        if api_key is not None:
            args += ["--auth-type", "api_key", "--api-key", api_key]
        log_dir = log_dir or storage.data_dir
        log_dir.mkdir(parents=True, exist_ok=True)
        log_path = log_dir / f"entrenar-{storage.kind}-{port}.log"
        log_file = open(log_path, "wb")
        env = {k: v for k, v in os.environ.items() if not k.startswith("ENTRENAR_")}
        process = subprocess.Popen(
            args, cwd=REPO_ROOT, stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env
        )
        server = cls(f"http://127.0.0.1:{port}", storage, process, log_path, api_key, log_file)
        try:
            server._wait_until_healthy()
        except BaseException:
            server.stop()
            raise
        return server

    def _wait_until_healthy(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECS
        while True:
            if self.process.poll() is not None:
                if "EADDRINUSE" in self.log_text():
                    raise PortTakenError(self.url)
                raise RuntimeError(
                    f"entrenar exited with {self.process.returncode} before answering /health:\n{self.log_text()}"
                )
            try:
                if requests.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass  # not listening yet
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"entrenar did not answer /health within {STARTUP_TIMEOUT_SECS} s:\n{self.log_text()}"
                )
            time.sleep(0.1)

    def is_healthy(self) -> bool:
        if self.process.poll() is not None:
            return False
        try:
            return requests.get(f"{self.url}/health", timeout=5).status_code == 200
        except requests.RequestException:
            return False

    def stop(self) -> int | None:
        """SIGTERM, then SIGKILL if it does not exit in time. Returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT_SECS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        return self.process.returncode

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_lines(self) -> list[dict[str, Any]]:
        lines = []
        for raw in self.log_text().splitlines():
            try:
                entry = json.loads(raw)
            except ValueError:
                continue
            if isinstance(entry, dict):
                lines.append(entry)
        return lines

    def log_tail(self, count: int = 30) -> str:
        """The last lines of the log, one short line per JSON entry (time, message, error)."""
        shown = []
        for raw in self.log_text().splitlines()[-count:]:
            try:
                entry = json.loads(raw)
            except ValueError:
                shown.append(raw)
                continue
            if not isinstance(entry, dict):
                shown.append(raw)
                continue
            line = f"{entry.get('time', '')} {entry.get('msg', '')}"
            error = entry.get("err")
            if isinstance(error, dict) and not str(error.get("message", "")).startswith("failed with status code"):
                line += f"  [{error.get('type', 'Error')}: {error.get('message', '')}]"
            shown.append(line)
        return "\n".join(shown)

    def requests_logged(self) -> list[LoggedRequest]:
        """Every request the server logged, in order: method, path (no query string) and status.
        The marker requests of request_mark() are left out."""
        return [r for r in self._all_requests_logged() if not r.path.startswith(MARK_PATH)]

    def _all_requests_logged(self) -> list[LoggedRequest]:
        logged = []
        for entry in self.log_lines():
            req, res = entry.get("req"), entry.get("res")
            if isinstance(req, dict) and isinstance(res, dict) and "status" in res:
                logged.append(LoggedRequest(str(req.get("method")), str(req.get("path")), int(res["status"])))
        return logged

    def _mark(self) -> str:
        """Sends a request to a unique path nothing serves and waits until the server logged it.
        Requests answered before it are logged before it: the log is written in order."""
        token = uuid.uuid4().hex
        requests.get(f"{self.url}{MARK_PATH}{token}", timeout=30)
        deadline = time.monotonic() + 10
        while not any(r.path == f"{MARK_PATH}{token}" for r in self._all_requests_logged()):
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server never logged the marker request {token}")
            time.sleep(0.02)
        return token

    def request_mark(self) -> str:
        """A bookmark in the request log; pass it to requests_since()."""
        return self._mark()

    def requests_since(self, mark: str) -> list[LoggedRequest]:
        """The requests the server answered between request_mark() and now, in order."""
        end = self._mark()
        window: list[LoggedRequest] | None = None
        for request in self._all_requests_logged():
            if request.path == f"{MARK_PATH}{mark}":
                window = []
            elif request.path == f"{MARK_PATH}{end}":
                break
            elif window is not None and not request.path.startswith(MARK_PATH):
                window.append(request)
        if window is None:
            raise RuntimeError(f"marker {mark} is not in the server log")
        return window


MARK_PATH = "/__entrenar_mlflow_suite_mark__/"
_ID = re.compile(r"(?<=/)(?:run|exp)-[0-9a-f]{8,}|(?<=/)[0-9a-f]{32}(?=/|$)")


def summarize_unanswered(servers: list[EntrenarServer]) -> list[str]:
    """Requests the servers answered with 404, 405 or 5xx (501 Not Implemented included), counted by
    method and path, ids replaced by placeholders. For the terminal summary."""
    counts: Counter[tuple[str, str, int]] = Counter()
    for server in servers:
        for request in server.requests_logged():
            if request.status in (404, 405) or request.status >= 500:
                counts[(request.method, _ID.sub("{id}", request.path), request.status)] += 1
    return [f"{status} {method} {path}  (x{count})" for (method, path, status), count in sorted(counts.items())]


# ---------------------------------------------------------------------------------------------
# The seed API, to check what the server stored


class SeedApiError(AssertionError):
    pass


class SeedApi:
    """A thin client of /api/v1. Every call checks the HTTP status and returns the decoded JSON."""

    def __init__(self, base_url: str, api_key: str | None = None):
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        if api_key is not None:
            self.session.headers["Authorization"] = f"Bearer {api_key}"

    def _call(self, method: str, path: str, expect: int = 200, **kwargs: Any) -> Any:
        response = self.session.request(method, f"{self.base_url}{path}", timeout=60, **kwargs)
        if response.status_code != expect:
            raise SeedApiError(
                f"{method} {path}: expected HTTP {expect}, got {response.status_code}: {response.text[:2000]}"
            )
        return (
            response.json()
            if response.content and "json" in response.headers.get("content-type", "")
            else response.content
        )

    def _pages(self, path: str, field_name: str, params: dict[str, Any] | None = None) -> Iterator[Any]:
        params = dict(params or {})
        while True:
            page = self._call("GET", path, params=params)
            yield from page[field_name]
            token = page.get("next_page_token")
            if not token:
                return
            params["page_token"] = token

    # reads ---------------------------------------------------------------------------------
    def experiment(self, experiment_id: str) -> dict[str, Any]:
        return self._call("GET", f"/api/v1/experiments/{quote(experiment_id, safe='')}")

    def experiments(self) -> list[dict[str, Any]]:
        return list(self._pages("/api/v1/experiments", "experiments"))

    def experiment_runs(self, experiment_id: str) -> list[dict[str, Any]]:
        return list(self._pages(f"/api/v1/experiments/{quote(experiment_id, safe='')}/runs", "runs"))

    def run(self, run_id: str) -> dict[str, Any]:
        return self._call("GET", f"/api/v1/runs/{quote(run_id, safe='')}")

    def run_status(self, run_id: str, expect: int) -> int:
        response = self.session.get(f"{self.base_url}/api/v1/runs/{quote(run_id, safe='')}", timeout=60)
        assert response.status_code == expect, response.text
        return response.status_code

    def metric_history(self, run_id: str, key: str, page_size: int | None = None) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"key": key}
        if page_size is not None:
            params["max_results"] = page_size
        return list(self._pages(f"/api/v1/runs/{quote(run_id, safe='')}/metrics", "metrics", params))

    def latest_metrics(self, run_id: str) -> dict[str, dict[str, Any]]:
        return {
            point["key"]: point for point in self._pages(f"/api/v1/runs/{quote(run_id, safe='')}/metrics", "metrics")
        }

    def params(self, run_id: str) -> dict[str, Any]:
        return {
            param["key"]: param["value"]
            for param in self._pages(f"/api/v1/runs/{quote(run_id, safe='')}/params", "params")
        }

    def artifacts(self, run_id: str) -> dict[str, dict[str, Any]]:
        return {
            item["key"]: item for item in self._pages(f"/api/v1/runs/{quote(run_id, safe='')}/artifacts", "artifacts")
        }

    def artifact_bytes(self, run_id: str, key: str) -> bytes:
        response = self.session.get(
            f"{self.base_url}/api/v1/runs/{quote(run_id, safe='')}/artifacts/{quote(key, safe='/')}", timeout=60
        )
        if response.status_code != 200:
            raise SeedApiError(f"GET artifact {key}: HTTP {response.status_code}: {response.text[:2000]}")
        return response.content

    # writes --------------------------------------------------------------------------------
    def create_experiment(self, name: str, config: dict[str, Any] | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"name": name}
        if config is not None:
            body["config"] = config
        return self._call("POST", "/api/v1/experiments", expect=201, json=body)

    def create_run(self, experiment_id: str, name: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"experiment_id": experiment_id}
        if name is not None:
            body["name"] = name
        return self._call("POST", "/api/v1/runs", expect=201, json=body)

    def start_run(self, run_id: str) -> dict[str, Any]:
        return self._call("POST", f"/api/v1/runs/{quote(run_id, safe='')}/start")

    def complete_run(self, run_id: str, status: str, reason: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"status": status}
        if reason is not None:
            body["reason"] = reason
        return self._call("POST", f"/api/v1/runs/{quote(run_id, safe='')}/complete", json=body)

    def log_metrics(self, run_id: str, points: list[dict[str, Any]]) -> dict[str, Any]:
        return self._call(
            "POST", f"/api/v1/runs/{quote(run_id, safe='')}/metrics/batch", expect=201, json={"metrics": points}
        )

    def log_param(self, run_id: str, key: str, value: Any) -> Any:
        return self._call(
            "POST", f"/api/v1/runs/{quote(run_id, safe='')}/params", expect=201, json={"key": key, "value": value}
        )

    def upload_artifact(self, run_id: str, key: str, content: bytes) -> dict[str, Any]:
        files = {"file": (key.rsplit("/", 1)[-1], content, "application/octet-stream")}
        return self._call(
            "POST", f"/api/v1/runs/{quote(run_id, safe='')}/artifacts", expect=201, data={"key": key}, files=files
        )


# ---------------------------------------------------------------------------------------------
# What a test gets


@dataclass
class Tracking:
    """The server, an MlflowClient for it, and the seed API to check what it stored."""

    server: EntrenarServer
    client: MlflowClient
    seed: SeedApi

    @property
    def url(self) -> str:
        return self.server.url

    @staticmethod
    def unique(prefix: str) -> str:
        return f"{prefix}-{uuid.uuid4().hex[:12]}"

    def new_experiment(self, prefix: str = "exp") -> str:
        """A fresh experiment through the MLflow client; returns its id."""
        return self.client.create_experiment(self.unique(prefix))
