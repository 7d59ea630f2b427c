"""A server started with `--auth-type api_key`: the MLflow client authenticates with the same keys,
as MLFLOW_TRACKING_TOKEN (Bearer) or MLFLOW_TRACKING_USERNAME/PASSWORD (Basic, key as password)."""

from __future__ import annotations

from pathlib import Path

import mlflow
import pytest
import requests
from mlflow.exceptions import MlflowException

from entrenar_support import Tracking


def training_session(tracking: Tracking, tmp_path: Path, prefix: str) -> str:
    mlflow.set_experiment(tracking.unique(prefix))
    local = tmp_path / "weights.bin"
    local.write_bytes(b"\x00\x01weights")
    with mlflow.start_run() as run:
        mlflow.log_param("lr", 0.1)
        mlflow.log_metrics({"loss": 0.5, "acc": 0.9}, step=3)
        mlflow.set_tag("team", "vision")
        mlflow.log_artifact(str(local))
    return run.info.run_id


def check_stored(tracking: Tracking, run_id: str, tmp_path: Path) -> None:
    stored = tracking.client.get_run(run_id)
    assert stored.info.status == "FINISHED"
    assert stored.data.metrics == {"loss": 0.5, "acc": 0.9}
    assert stored.data.tags["team"] == "vision"
    assert [f.path for f in tracking.client.list_artifacts(run_id)] == ["weights.bin"]
    assert (
        Path(tracking.client.download_artifacts(run_id, "weights.bin", str(tmp_path / "dl"))).read_bytes()
        == b"\x00\x01weights"
    )
    assert tracking.seed.run(run_id)["status"] == "success"
    assert tracking.seed.params(run_id) == {"lr": "0.1"}
    assert tracking.seed.artifact_bytes(run_id, "weights.bin") == b"\x00\x01weights"


def test_mlflow_tracking_token_is_sent_as_bearer_and_accepted(tracking_token: Tracking, tmp_path: Path) -> None:
    run_id = training_session(tracking_token, tmp_path, "auth-token")

    check_stored(tracking_token, run_id, tmp_path)


def test_mlflow_tracking_username_and_password_use_basic_auth_with_the_key(
    tracking_basic: Tracking, tmp_path: Path
) -> None:
    run_id = training_session(tracking_basic, tmp_path, "auth-basic")

    check_stored(tracking_basic, run_id, tmp_path)


def test_no_credentials_is_unauthenticated_and_stores_nothing(tracking_no_credentials: Tracking) -> None:
    name = tracking_no_credentials.unique("auth-none")

    with pytest.raises(MlflowException) as refused:
        mlflow.set_experiment(name)

    assert refused.value.error_code == "UNAUTHENTICATED"
    assert name not in [e["name"] for e in tracking_no_credentials.seed.experiments()]


def test_a_wrong_token_is_unauthenticated(tracking_no_credentials: Tracking, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", "not-the-key")
    name = tracking_no_credentials.unique("auth-wrong-token")

    with pytest.raises(MlflowException) as refused:
        tracking_no_credentials.client.create_experiment(name)

    assert refused.value.error_code == "UNAUTHENTICATED"
    assert name not in [e["name"] for e in tracking_no_credentials.seed.experiments()]


def test_a_wrong_basic_password_is_unauthenticated(
    tracking_no_credentials: Tracking, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "trainer")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", "not-the-key")

    with pytest.raises(MlflowException) as refused:
        tracking_no_credentials.client.get_experiment("0")

    assert refused.value.error_code == "UNAUTHENTICATED"


def test_the_artifact_proxy_is_protected_too(tracking_token: Tracking) -> None:
    with mlflow.start_run() as run:
        mlflow.log_text("secret", "private.txt")
    artifact_uri = tracking_token.client.get_run(run.info.run_id).info.artifact_uri
    proxied = artifact_uri.replace("mlflow-artifacts:", f"{tracking_token.url}/api/2.0/mlflow-artifacts/artifacts", 1)

    anonymous_get = requests.get(f"{proxied}/private.txt", timeout=30)
    anonymous_put = requests.put(f"{proxied}/sneaky.txt", data=b"x", timeout=30)

    assert anonymous_get.status_code == 401
    assert anonymous_put.status_code == 401
    assert set(tracking_token.seed.artifacts(run.info.run_id)) == {"private.txt"}


def test_the_key_never_appears_in_the_server_log(tracking_token: Tracking, api_key: str, tmp_path: Path) -> None:
    training_session(tracking_token, tmp_path, "auth-log")

    log = tracking_token.server.log_text()
    assert "/api/2.0/mlflow/runs/log-batch" in log
    assert api_key not in log
