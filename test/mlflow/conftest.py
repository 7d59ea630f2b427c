"""Fixtures: a real entrenar server per session (and one with API keys), pointed at by
MLFLOW_TRACKING_URI for each test, and the seed API client to check what it stored.

One server serves every test of a session (a start costs seconds: Node, Nest and the migrations),
so tests never assume an empty store: each makes its own experiment with a unique name.
"""

from __future__ import annotations

import os

# Before mlflow is imported anywhere: no telemetry (this machine reaches no outside host), and no
# retries, so a server error fails the test at once instead of after minutes of back-off.
for _inherited in [name for name in os.environ if name.startswith("MLFLOW_")]:
    del os.environ[_inherited]
os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
os.environ["DO_NOT_TRACK"] = "true"
os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "0"
os.environ["MLFLOW_HTTP_REQUEST_TIMEOUT"] = "60"

import secrets
from collections.abc import Iterator
from pathlib import Path

import mlflow
import pytest
from mlflow import MlflowClient
from mlflow.tracking import fluent

from entrenar_support import EntrenarServer, SeedApi, Tracking, create_storage, database_kind, summarize_unanswered

SERVERS_KEY = pytest.StashKey[list[EntrenarServer]]()


class ServerPool:
    """Starts servers on fresh storage and stops them (dropping their databases) at the end."""

    def __init__(self, log_dir: Path, started: list[EntrenarServer]):
        self.log_dir = log_dir
        self.started = started

    def start(self, api_key: str | None = None) -> EntrenarServer:
        storage = create_storage()
        try:
            server = EntrenarServer.start(storage, api_key=api_key, log_dir=self.log_dir)
        except BaseException:
            storage.dispose()
            raise
        self.started.append(server)
        return server

    def stop_all(self) -> None:
        for server in self.started:
            try:
                server.stop()
            finally:
                server.storage.dispose()


@pytest.fixture(scope="session")
def server_pool(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerPool]:
    pool = ServerPool(tmp_path_factory.mktemp("entrenar-logs"), request.config.stash.setdefault(SERVERS_KEY, []))
    yield pool
    pool.stop_all()


@pytest.fixture(scope="session")
def entrenar(server_pool: ServerPool) -> EntrenarServer:
    """The shared server without authentication."""
    return server_pool.start()


@pytest.fixture(scope="session")
def api_key() -> str:
    return f"mlflow-suite-{secrets.token_hex(16)}"


@pytest.fixture(scope="session")
def entrenar_with_key(server_pool: ServerPool, api_key: str) -> EntrenarServer:
    """A server started with `--auth-type api_key --api-key <api_key>`."""
    return server_pool.start(api_key=api_key)


def _reset_fluent_state() -> None:
    while mlflow.active_run() is not None:
        mlflow.end_run()
    # set_experiment keeps the experiment in a module global and in MLFLOW_EXPERIMENT_ID.
    fluent._active_experiment_id = None
    os.environ.pop("MLFLOW_EXPERIMENT_ID", None)
    os.environ.pop("MLFLOW_EXPERIMENT_NAME", None)


def _tracking(
    server: EntrenarServer, monkeypatch: pytest.MonkeyPatch, credentials: dict[str, str], seed_key: str | None
) -> Iterator[Tracking]:
    _reset_fluent_state()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", server.url)
    for name in ("MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    for name, value in credentials.items():
        monkeypatch.setenv(name, value)
    yield Tracking(server, MlflowClient(tracking_uri=server.url), SeedApi(server.url, api_key=seed_key))
    try:
        _reset_fluent_state()
    finally:
        if server.process.poll() is not None:
            code = server.process.returncode
            pytest.fail(f"the entrenar server died during the test (exit code {code}); log: {server.log_path}")


@pytest.fixture
def tracking(entrenar: EntrenarServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Tracking]:
    """MLFLOW_TRACKING_URI points at the shared server; no credentials."""
    yield from _tracking(entrenar, monkeypatch, {}, None)


@pytest.fixture
def tracking_token(
    entrenar_with_key: EntrenarServer, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Tracking]:
    """The key-protected server, with the key in MLFLOW_TRACKING_TOKEN (sent as Bearer)."""
    yield from _tracking(entrenar_with_key, monkeypatch, {"MLFLOW_TRACKING_TOKEN": api_key}, api_key)


@pytest.fixture
def tracking_basic(
    entrenar_with_key: EntrenarServer, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Tracking]:
    """The key-protected server, with HTTP Basic: any user name, the key as password."""
    credentials = {"MLFLOW_TRACKING_USERNAME": "trainer", "MLFLOW_TRACKING_PASSWORD": api_key}
    yield from _tracking(entrenar_with_key, monkeypatch, credentials, api_key)


@pytest.fixture
def tracking_no_credentials(
    entrenar_with_key: EntrenarServer, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Tracking]:
    """The key-protected server with no MLflow credentials set; the seed client still has the key."""
    yield from _tracking(entrenar_with_key, monkeypatch, {}, api_key)


# ---------------------------------------------------------------------------------------------
# Reporting


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [f"entrenar storage: {database_kind()}, mlflow {mlflow.__version__}"]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    report = yield
    if report.failed:
        for name in ("tracking", "tracking_token", "tracking_basic", "tracking_no_credentials"):
            fixture = getattr(item, "funcargs", {}).get(name)
            if isinstance(fixture, Tracking):
                report.sections.append(
                    (f"entrenar log ({fixture.server.log_path}), last lines", fixture.server.log_tail())
                )
    return report


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    servers = config.stash.get(SERVERS_KEY, [])
    lines = summarize_unanswered(servers)
    if lines:
        terminalreporter.section("requests the server answered with 404, 405 or 5xx")
        for line in lines:
            terminalreporter.write_line(line)
        terminalreporter.write_line(
            "(404s include lookups of things that do not exist, which the tests ask for on purpose)"
        )
