"""The model registry through MlflowClient: registered models and versions from a run, their
lifecycle (aliases, stages, tags, search, rename, delete), and that deleting a model never
touches the run's artifacts. Checked against the seed API where it shows the same data."""

from __future__ import annotations

from pathlib import Path

import mlflow
import pytest
from mlflow.exceptions import MlflowException

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
