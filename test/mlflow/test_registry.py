"""The model registry through MlflowClient: registered models and versions from a run, their
lifecycle (aliases, stages, tags, search, rename, delete), and that deleting a model never
touches the run's artifacts. Checked against the seed API where it shows the same data."""

from __future__ import annotations

import json
from pathlib import Path

import mlflow
import numpy as np
import pytest
import requests
from mlflow.exceptions import MlflowException
from sklearn.linear_model import LinearRegression

from entrenar_support import Tracking


def _run_with_model(tracking: Tracking) -> str:
    """A finished run with a model directory among its artifacts; returns its id."""
    mlflow.set_experiment(tracking.unique("registry"))
    with mlflow.start_run() as run:
        mlflow.log_text("weights", "model/weights.txt")
        mlflow.log_text("flavors: {}", "model/MLmodel")
    return run.info.run_id


def test_registry_lifecycle_through_mlflow_client(tracking: Tracking) -> None:
    client = tracking.client
    run_id = _run_with_model(tracking)
    artifact_uri = client.get_run(run_id).info.artifact_uri
    name = tracking.unique("registry-model")

    created = client.create_registered_model(name, tags={"team": "vision"}, description="first words")
    assert (created.name, created.description, created.tags) == (name, "first words", {"team": "vision"})

    v1 = client.create_model_version(name, f"runs:/{run_id}/model", run_id=run_id, tags={"stage": "candidate"})
    v2 = client.create_model_version(name, f"{artifact_uri}/model", run_id=run_id, description="second")
    assert (v1.version, v1.current_stage, v1.status, v1.run_id, v1.tags) == (
        "1",
        "None",
        "READY",
        run_id,
        {"stage": "candidate"},
    )
    assert (v2.version, v2.source, v2.description) == ("2", f"{artifact_uri}/model", "second")

    model = client.get_registered_model(name)
    assert [version.version for version in model.latest_versions] == ["2"]
    assert [found.name for found in client.search_registered_models(filter_string=f"name = '{name}'")] == [name]
    assert name in [found.name for found in client.search_registered_models(filter_string=f"name LIKE '{name[:-4]}%'")]

    assert client.update_registered_model(name, description="better words").description == "better words"
    new_name = tracking.unique("registry-renamed")
    client.rename_registered_model(name, new_name)
    with pytest.raises(MlflowException):
        client.get_registered_model(name)
    name = new_name
    assert client.get_registered_model(name).description == "better words"
    assert client.get_model_version(name, "1").name == name

    client.set_registered_model_alias(name, "champion", "1")
    by_alias = client.get_model_version_by_alias(name, "champion")
    assert (by_alias.version, by_alias.aliases) == ("1", ["champion"])
    assert client.get_registered_model(name).aliases == {"champion": "1"}

    client.transition_model_version_stage(name, "1", "Production")
    moved = client.transition_model_version_stage(name, "2", "Production", archive_existing_versions=True)
    assert moved.current_stage == "Production"
    assert client.get_model_version(name, "1").current_stage == "Archived"
    assert [v.version for v in client.get_latest_versions(name, stages=["Production"])] == ["2"]

    client.set_model_version_tag(name, "2", "validated", "yes")
    client.delete_model_version_tag(name, "1", "stage")
    assert client.get_model_version(name, "2").tags == {"validated": "yes"}
    assert client.get_model_version(name, "1").tags == {}
    client.set_registered_model_tag(name, "owner", "ml-platform")
    client.delete_registered_model_tag(name, "team")
    assert client.get_registered_model(name).tags == {"owner": "ml-platform"}

    assert client.get_model_version_download_uri(name, "1") == f"runs:/{run_id}/model"
    assert client.get_model_version_download_uri(name, "2") == f"{artifact_uri}/model"
    found = client.search_model_versions(f"run_id = '{run_id}'")
    assert sorted(v.version for v in found) == ["1", "2"]

    client.delete_model_version(name, "2")
    with pytest.raises(MlflowException) as missing:
        client.get_model_version(name, "2")
    assert missing.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    assert client.create_model_version(name, f"runs:/{run_id}/model", run_id=run_id).version == "3"

    client.delete_registered_model(name)
    with pytest.raises(MlflowException) as gone:
        client.get_registered_model(name)
    assert gone.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    assert set(tracking.seed.artifacts(run_id)) == {"model/weights.txt", "model/MLmodel"}
    assert client.get_run(run_id).info.lifecycle_stage == "active"


def test_registry_register_model_and_download_by_version_and_alias(tracking: Tracking, tmp_path: Path) -> None:
    run_id = _run_with_model(tracking)
    name = tracking.unique("registry-fluent")

    first = mlflow.register_model(f"runs:/{run_id}/model", name)
    second = mlflow.register_model(f"runs:/{run_id}/model", name)
    assert (first.version, second.version) == ("1", "2")
    tracking.client.set_registered_model_alias(name, "prod", "2")

    by_version = Path(mlflow.artifacts.download_artifacts(f"models:/{name}/1", dst_path=str(tmp_path / "v1")))
    by_alias = Path(mlflow.artifacts.download_artifacts(f"models:/{name}@prod", dst_path=str(tmp_path / "alias")))
    for downloaded in (by_version, by_alias):
        assert (downloaded / "weights.txt").read_text() == "weights"


def _version_json(tracking: Tracking, name: str, version: str) -> dict[str, object]:
    """The version as the server's JSON has it (MLflow's client entity drops `model_id`)."""
    answer = requests.get(
        f"{tracking.server.url}/api/2.0/mlflow/model-versions/get",
        params={"name": name, "version": version},
        timeout=30,
    )
    answer.raise_for_status()
    return answer.json()["model_version"]


def _logged_sklearn_model(tracking: Tracking) -> tuple[mlflow.models.model.ModelInfo, str, np.ndarray, np.ndarray]:
    """An MLflow 3 logged model from a finished run: its info, the run id, features and predictions."""
    mlflow.set_experiment(tracking.unique("registry-logged"))
    features = np.arange(20, dtype=float).reshape(10, 2)
    regressor = LinearRegression().fit(features, features @ np.array([1.5, -2.0]) + 3.0)
    with mlflow.start_run() as run:
        info = mlflow.sklearn.log_model(regressor, name="model")
    return info, run.info.run_id, features, regressor.predict(features)


def test_registry_version_from_a_logged_model_links_model_and_run(tracking: Tracking) -> None:
    client = tracking.client
    info, run_id, features, expected = _logged_sklearn_model(tracking)
    name = tracking.unique("registry-from-model")

    registered = mlflow.register_model(info.model_uri, name)
    assert info.model_uri == f"models:/{info.model_id}"
    assert (registered.version, registered.run_id, registered.source) == ("1", run_id, info.model_uri)
    # MLflow 3.17's ModelVersion entity reads no model_id from the answer, so it is checked in the JSON.
    version_json = _version_json(tracking, name, "1")
    assert (version_json["model_id"], version_json["run_id"]) == (info.model_id, run_id)
    client.transition_model_version_stage(name, "1", "Staging")
    assert _version_json(tracking, name, "1")["current_stage"] == "Staging"

    # The version's files are the logged model's folder, so loading by version predicts.
    model = client.get_logged_model(info.model_id)
    assert client.get_model_version_download_uri(name, "1") == model.artifact_location
    np.testing.assert_allclose(mlflow.sklearn.load_model(f"models:/{name}/1").predict(features), expected)

    # The logged model lists the versions made from it (MLflow's mlflow.modelVersions tag); the
    # fluent client appends its own entry too, with the version as a string.
    listed = json.loads(client.get_logged_model(info.model_id).tags["mlflow.modelVersions"])
    assert {"name": name, "version": 1} in listed
    second = tracking.unique("registry-from-model-2")
    client.create_registered_model(second)
    made = client.create_model_version(second, info.model_uri, model_id=info.model_id)
    assert made.run_id == run_id
    assert _version_json(tracking, second, "1")["model_id"] == info.model_id
    again = json.loads(client.get_logged_model(info.model_id).tags["mlflow.modelVersions"])
    assert again == [*listed, {"name": second, "version": 1}]


def test_registry_version_from_runs_uri_of_a_logged_model(tracking: Tracking) -> None:
    client = tracking.client
    info, run_id, features, expected = _logged_sklearn_model(tracking)
    name = tracking.unique("registry-from-run")

    registered = mlflow.register_model(f"runs:/{run_id}/model", name)
    assert (registered.run_id, registered.source) == (run_id, info.model_uri)
    assert _version_json(tracking, name, registered.version)["model_id"] == info.model_id
    loaded = mlflow.sklearn.load_model(f"models:/{name}/{registered.version}")
    np.testing.assert_allclose(loaded.predict(features), expected)
    listed = json.loads(client.get_logged_model(info.model_id).tags["mlflow.modelVersions"])
    assert {"name": name, "version": 1} in listed

    # A version made from that version inherits its model, run and files.
    copy = tracking.unique("registry-copy")
    client.create_registered_model(copy)
    copied = client.create_model_version(copy, f"models:/{name}/latest")
    assert (copied.source, copied.run_id) == (f"models:/{name}/1", run_id)
    assert _version_json(tracking, copy, "1")["model_id"] == info.model_id
    assert client.get_model_version_download_uri(copy, "1") == client.get_logged_model(info.model_id).artifact_location


def test_registry_model_id_must_hold_the_source(tracking: Tracking) -> None:
    client = tracking.client
    info, run_id, _, _ = _logged_sklearn_model(tracking)
    name = tracking.unique("registry-bad-model-id")
    client.create_registered_model(name)

    missing = "m-00000000000000000000000000000000"
    with pytest.raises(MlflowException) as unknown:
        client.create_model_version(name, f"models:/{missing}", model_id=missing)
    assert unknown.value.error_code == "INVALID_PARAMETER_VALUE"
    with pytest.raises(MlflowException) as other_model:
        client.create_model_version(name, f"models:/{missing}", model_id=info.model_id)
    assert other_model.value.error_code == "INVALID_PARAMETER_VALUE"
    assert "model_id request parameter must identify the resource" in other_model.value.message
    with pytest.raises(MlflowException) as runs_source:
        client.create_model_version(name, f"runs:/{run_id}/model", run_id=run_id, model_id=info.model_id)
    assert runs_source.value.error_code == "INVALID_PARAMETER_VALUE"
    assert client.search_model_versions(f"name = '{name}'") == []


def test_registry_errors_carry_mlflow_codes(tracking: Tracking) -> None:
    client = tracking.client
    name = tracking.unique("registry-errors")
    client.create_registered_model(name)

    with pytest.raises(MlflowException) as duplicate:
        client.create_registered_model(name)
    assert duplicate.value.error_code == "RESOURCE_ALREADY_EXISTS"

    with pytest.raises(MlflowException) as unknown:
        client.get_registered_model(tracking.unique("registry-missing"))
    assert unknown.value.error_code == "RESOURCE_DOES_NOT_EXIST"

    client.create_model_version(name, "s3://bucket/model")
    with pytest.raises(MlflowException) as bad_stage:
        client.transition_model_version_stage(name, "1", "Live")
    assert bad_stage.value.error_code == "INVALID_PARAMETER_VALUE"

    with pytest.raises(MlflowException) as no_alias:
        client.get_model_version_by_alias(name, "nobody")
    assert no_alias.value.error_code == "RESOURCE_DOES_NOT_EXIST"
