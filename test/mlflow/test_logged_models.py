"""MLflow 3 logged models: `mlflow.<flavor>.log_model`, loading through `models:/m-…` and
`runs:/<id>/model`, the logged-model client API, and `sklearn.autolog()` compared with what
MLflow's own server keeps for the same training."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pytest
import requests
from mlflow import MlflowClient
from mlflow.entities import LoggedModelStatus
from mlflow.exceptions import MlflowException
from sklearn.linear_model import LinearRegression, LogisticRegression

from entrenar_support import Tracking

MODEL_ID = re.compile(r"^m-[0-9a-f]{32}$")


def _training_data() -> tuple[np.ndarray, np.ndarray]:
    features = np.arange(20, dtype=float).reshape(10, 2)
    return features, features @ np.array([1.5, -2.0]) + 3.0


def _file_paths(client: MlflowClient, uri_root: str, folder: str = "") -> set[str]:
    """Every file under a run's artifact root (`runs:/…`) or a model's (`models:/…`), by relative path."""
    from mlflow.artifacts import list_artifacts

    found: set[str] = set()
    for entry in list_artifacts(artifact_uri=f"{uri_root}/{folder}" if folder else uri_root):
        relative = entry.path.split("/")[-1] if not folder else f"{folder}/{entry.path.split('/')[-1]}"
        if entry.is_dir:
            found |= _file_paths(client, uri_root, relative)
        else:
            found.add(relative)
    return found


def _run_file_paths(client: MlflowClient, run_id: str, folder: str | None = None) -> set[str]:
    """Every file a run logged (not its models'), by path."""
    found: set[str] = set()
    for entry in client.list_artifacts(run_id, folder):
        found |= _run_file_paths(client, run_id, entry.path) if entry.is_dir else {entry.path}
    return found


def test_sklearn_log_model_loads_back_through_models_and_runs_uris(tracking: Tracking) -> None:
    mlflow.set_experiment(tracking.unique("lm-sklearn"))
    features, target = _training_data()
    regressor = LinearRegression().fit(features, target)

    with mlflow.start_run() as run:
        info = mlflow.sklearn.log_model(regressor, name="model")

    assert MODEL_ID.match(info.model_id)
    stored_run = tracking.client.get_run(run.info.run_id)
    assert stored_run.info.status == "FINISHED"
    assert [(output.model_id, output.step) for output in stored_run.outputs.model_outputs] == [(info.model_id, 0)]
    model = tracking.client.get_logged_model(info.model_id)
    assert model.status == LoggedModelStatus.READY
    assert model.source_run_id == run.info.run_id
    assert model.name == "model"
    assert model.artifact_location.endswith(f"/models/{info.model_id}/artifacts")
    expected = regressor.predict(features)
    by_id = mlflow.sklearn.load_model(f"models:/{info.model_id}")
    np.testing.assert_allclose(by_id.predict(features), expected)
    by_run = mlflow.sklearn.load_model(f"runs:/{run.info.run_id}/model")
    np.testing.assert_allclose(by_run.predict(features), expected)
    as_pyfunc = mlflow.pyfunc.load_model(f"models:/{info.model_id}")
    np.testing.assert_allclose(as_pyfunc.predict(features), expected)
    files = _file_paths(tracking.client, f"models:/{info.model_id}")
    assert {"MLmodel", "requirements.txt", "conda.yaml", "python_env.yaml"} <= files, files
    assert any(path.startswith("model.") for path in files), files


class _AddN(mlflow.pyfunc.PythonModel):
    def __init__(self, n: int):
        self.n = n

    def predict(self, context: Any, model_input: list[int], params: dict[str, Any] | None = None) -> list[int]:
        return [value + self.n for value in model_input]


def test_pyfunc_log_model_with_a_python_model_round_trips(tracking: Tracking) -> None:
    mlflow.set_experiment(tracking.unique("lm-pyfunc"))

    with mlflow.start_run() as run:
        info = mlflow.pyfunc.log_model(name="adder", python_model=_AddN(5), input_example=[1, 2])

    assert MODEL_ID.match(info.model_id)
    assert tracking.client.get_logged_model(info.model_id).status == LoggedModelStatus.READY
    assert mlflow.pyfunc.load_model(f"models:/{info.model_id}").predict([1, 2, 3]) == [6, 7, 8]
    assert mlflow.pyfunc.load_model(f"runs:/{run.info.run_id}/adder").predict([10]) == [15]
    assert tracking.client.get_run(run.info.run_id).info.status == "FINISHED"


def test_logged_model_params_tags_metrics_and_search(tracking: Tracking) -> None:
    experiment_id = tracking.new_experiment("lm-api")
    client = tracking.client
    run = client.create_run(experiment_id)
    first = client.create_logged_model(
        experiment_id, name="first", source_run_id=run.info.run_id, params={"alpha": "0.1"}, tags={"team": "a"}
    )
    time.sleep(0.005)  # newest first: the second is created in a later millisecond
    second = client.create_logged_model(experiment_id, name="second", params={"alpha": "0.5"}, model_type="agent")
    assert first.status == LoggedModelStatus.PENDING
    assert first.params == {"alpha": "0.1"}
    assert first.tags == {"team": "a"}

    client.log_model_params(first.model_id, {"depth": "3"})
    client.set_logged_model_tags(second.model_id, {"team": "b", "stage": "dev"})
    client.delete_logged_model_tag(second.model_id, "stage")
    client.log_metric(run.info.run_id, "acc", 0.75, step=1, model_id=first.model_id)
    client.log_metric(run.info.run_id, "acc", 0.9, step=1, model_id=second.model_id)
    client.finalize_logged_model(first.model_id, LoggedModelStatus.READY)

    stored = client.get_logged_model(first.model_id)
    assert stored.params == {"alpha": "0.1", "depth": "3"}
    assert stored.status == LoggedModelStatus.READY
    assert [(m.key, m.value, m.step, m.run_id) for m in stored.metrics] == [("acc", 0.75, 1, run.info.run_id)]
    assert client.get_logged_model(second.model_id).tags == {"team": "b"}
    # The run keeps the points too.
    assert client.get_run(run.info.run_id).data.metrics == {"acc": 0.9}

    def names(**kwargs: Any) -> list[str]:
        return [model.name for model in client.search_logged_models(experiment_ids=[experiment_id], **kwargs)]

    assert names() == ["second", "first"]
    assert names(filter_string="name = 'first'") == ["first"]
    assert names(filter_string="params.alpha = '0.5'") == ["second"]
    assert names(filter_string="tags.team = 'a'") == ["first"]
    assert names(filter_string="metrics.acc > 0.8") == ["second"]
    assert names(filter_string="status = 'READY'") == ["first"]
    assert names(filter_string=f"source_run_id = '{run.info.run_id}'") == ["first"]
    assert names(order_by=[{"field_name": "metrics.acc", "ascending": True}]) == ["first", "second"]
    assert names(order_by=[{"field_name": "name", "ascending": False}]) == ["second", "first"]
    page = client.search_logged_models(experiment_ids=[experiment_id], max_results=1)
    assert [model.name for model in page] == ["second"] and page.token
    rest = client.search_logged_models(experiment_ids=[experiment_id], max_results=1, page_token=page.token)
    assert [model.name for model in rest] == ["first"] and not rest.token

    client.delete_logged_model(second.model_id)
    assert names() == ["first"]
    with pytest.raises(MlflowException) as missing:
        client.get_logged_model(second.model_id)
    assert missing.value.error_code == "RESOURCE_DOES_NOT_EXIST"


# ---------------------------------------------------------------------------------------------
# autolog against MLflow's own server


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """MLflow's own tracking server from this venv, on SQLite, serving artifacts itself."""
    root = tmp_path_factory.mktemp("mlflow-server")
    port = _free_port()
    log = (root / "server.log").open("wb")
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "mlflow"),
            "server",
            "--backend-store-uri",
            f"sqlite:///{root / 'mlflow.db'}",
            "--artifacts-destination",
            str(root / "artifacts"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
        ],
        cwd=root,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if requests.get(f"{url}/health", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"mlflow server did not start; log: {root / 'server.log'}")
            time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def _autolog_run(
    monkeypatch: pytest.MonkeyPatch, tracking_uri: str, experiment_name: str, estimator: str
) -> dict[str, Any]:
    """Trains with `mlflow.sklearn.autolog()` defaults against `tracking_uri`; returns what the run
    kept, without ids or times."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", tracking_uri)
    try:
        mlflow.set_experiment(experiment_name)
        mlflow.sklearn.autolog()
        features, target = _training_data()
        with mlflow.start_run() as run:
            if estimator == "classifier":
                LogisticRegression().fit(features, (target > np.median(target)).astype(int))
            else:
                LinearRegression().fit(features, target)
        mlflow.sklearn.autolog(disable=True)
        client = MlflowClient(tracking_uri)
        stored = client.get_run(run.info.run_id)
        models = client.search_logged_models(experiment_ids=[run.info.experiment_id])
        volatile = {"mlflow.user", "mlflow.source.name", "mlflow.runName", "mlflow.source.git.commit"}
        return {
            "status": stored.info.status,
            "metrics": sorted(stored.data.metrics),
            "metric_histories": {
                key: len(client.get_metric_history(run.info.run_id, key)) for key in sorted(stored.data.metrics)
            },
            "params": dict(sorted(stored.data.params.items())),
            "tags": sorted(key for key in stored.data.tags if key not in volatile),
            "run_artifacts": sorted(_run_file_paths(client, run.info.run_id)),
            "models": [
                {
                    "name": model.name,
                    "status": model.status,
                    "metrics": sorted(metric.key for metric in model.metrics or []),
                    "params": dict(sorted(model.params.items())),
                    "files": sorted(_file_paths(client, f"models:/{model.model_id}")),
                }
                for model in models
            ],
        }
    finally:
        mlflow.sklearn.autolog(disable=True)
        # set_experiment remembers the experiment id of the other server.
        mlflow.tracking.fluent._active_experiment_id = None
        os.environ.pop("MLFLOW_EXPERIMENT_ID", None)


@pytest.mark.parametrize("estimator", ["regressor", "classifier"])
def test_sklearn_autolog_keeps_what_mlflow_server_keeps(
    tracking: Tracking, mlflow_server: str, monkeypatch: pytest.MonkeyPatch, estimator: str
) -> None:
    name = tracking.unique(f"lm-autolog-{estimator}")

    reference = _autolog_run(monkeypatch, mlflow_server, name, estimator)
    ours = _autolog_run(monkeypatch, tracking.url, name, estimator)

    assert reference["status"] == "FINISHED"
    assert len(reference["metrics"]) > 0 and len(reference["models"]) == 1, reference
    assert ours == reference


def test_fluent_logged_model_api(tracking: Tracking, tmp_path: Path) -> None:
    experiment = mlflow.set_experiment(tracking.unique("lm-fluent"))

    with mlflow.start_run():
        model = mlflow.initialize_logged_model(name="fluent", params={"lr": "0.1"}, tags={"t": "1"})
        mlflow.log_metrics({"acc": 0.5, "loss": 2.0}, step=1, model_id=model.model_id)
        mlflow.set_logged_model_tags(model.model_id, {"stage": "dev"})
        mlflow.log_model_params({"depth": "4"}, model_id=model.model_id)
        mlflow.finalize_logged_model(model.model_id, LoggedModelStatus.READY)
        external = mlflow.create_external_model(name="external")

    stored = mlflow.get_logged_model(model.model_id)
    assert stored.status == LoggedModelStatus.READY
    assert stored.params == {"lr": "0.1", "depth": "4"}
    assert stored.tags["t"] == "1" and stored.tags["stage"] == "dev"
    assert sorted((metric.key, metric.value) for metric in stored.metrics) == [("acc", 0.5), ("loss", 2.0)]
    assert mlflow.get_logged_model(external.model_id).tags.get("mlflow.model.isExternal") == "true"
    frame = mlflow.search_logged_models(experiment_ids=[experiment.experiment_id], filter_string="name = 'fluent'")
    assert list(frame["model_id"]) == [model.model_id]
    listed = mlflow.search_logged_models(
        experiment_ids=[experiment.experiment_id], order_by=[{"field_name": "name"}], output_format="list"
    )
    assert [found.name for found in listed] == ["external", "fluent"]

    (tmp_path / "notes.txt").write_text("hello")
    mlflow.MlflowClient().log_model_artifacts(model.model_id, str(tmp_path))
    downloaded = mlflow.artifacts.download_artifacts(f"models:/{model.model_id}", dst_path=str(tmp_path / "out"))
    assert (Path(downloaded) / "notes.txt").read_text() == "hello"
