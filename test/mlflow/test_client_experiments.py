"""MlflowClient's experiment calls, each checked against the seed API."""

from __future__ import annotations

import os
import time
from pathlib import Path

import mlflow
import pytest
from mlflow.entities import ViewType
from mlflow.exceptions import MlflowException

from entrenar_support import REPO_ROOT, Tracking, epoch_ms


def test_the_default_experiment_exists(tracking: Tracking) -> None:
    default = tracking.client.get_experiment("0")

    assert default.name == "Default"
    assert default.lifecycle_stage == "active"
    assert tracking.client.get_experiment_by_name("Default").experiment_id == "0"
    assert tracking.seed.experiment("0")["name"] == "Default"


def test_a_relative_artifact_location_is_resolved_where_the_server_runs(tracking: Tracking, tmp_path: Path) -> None:
    # The suite starts the server in the repository root; this relative path leads from there
    # into the test's own folder, so the client's files land where the test can see them.
    relative = os.path.relpath(tmp_path / "artifacts", REPO_ROOT)
    assert not os.path.isabs(relative)
    experiment_id = tracking.client.create_experiment(tracking.unique("relative"), artifact_location=relative)

    # As `mlflow server` stores it: joined onto its working directory ("." dropped, ".." kept).
    stored = tracking.client.get_experiment(experiment_id).artifact_location
    assert stored == "/".join([str(REPO_ROOT), *[part for part in relative.split("/") if part not in ("", ".")]])
    assert Path(stored).resolve() == (tmp_path / "artifacts").resolve()
    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.log_text("written by the client", "notes/readme.txt")
    assert run.info.artifact_uri == f"{stored}/{run.info.run_id}/artifacts"
    written = tmp_path / "artifacts" / run.info.run_id / "artifacts" / "notes" / "readme.txt"
    assert written.read_text() == "written by the client"
    assert [f.path for f in tracking.client.list_artifacts(run.info.run_id, "notes")] == ["notes/readme.txt"]


def test_create_and_get_experiment(tracking: Tracking) -> None:
    name = tracking.unique("client-create")
    before = int(time.time() * 1000)

    experiment_id = tracking.client.create_experiment(name, tags={"owner": "vision-team", "priority": "high"})

    experiment = tracking.client.get_experiment(experiment_id)
    assert experiment.experiment_id == experiment_id
    assert experiment.name == name
    assert experiment.lifecycle_stage == "active"
    assert experiment.tags == {"owner": "vision-team", "priority": "high"}
    assert experiment.artifact_location.startswith("mlflow-artifacts:/")
    assert before - 1000 <= experiment.creation_time <= int(time.time() * 1000) + 1000
    stored = tracking.seed.experiment(experiment_id)
    assert (stored["id"], stored["name"], stored["lifecycle_stage"]) == (experiment_id, name, "active")
    assert abs(epoch_ms(stored["created_at"]) - experiment.creation_time) <= 1


def test_a_taken_name_is_refused_with_resource_already_exists(tracking: Tracking) -> None:
    name = tracking.unique("client-dup")
    tracking.client.create_experiment(name)

    with pytest.raises(MlflowException) as refused:
        tracking.client.create_experiment(name)

    assert refused.value.error_code == "RESOURCE_ALREADY_EXISTS"
    assert [e["name"] for e in tracking.seed.experiments()].count(name) == 1


def test_get_experiment_by_name(tracking: Tracking) -> None:
    name = tracking.unique("client-by-name")
    created = tracking.seed.create_experiment(name)

    found = tracking.client.get_experiment_by_name(name)

    assert found is not None
    assert found.experiment_id == created["id"]
    assert tracking.client.get_experiment_by_name(tracking.unique("client-missing")) is None


def test_get_an_unknown_experiment_is_resource_does_not_exist(tracking: Tracking) -> None:
    with pytest.raises(MlflowException) as missing:
        tracking.client.get_experiment("exp-doesnotexist0000")

    assert missing.value.error_code == "RESOURCE_DOES_NOT_EXIST"


def test_search_experiments_with_a_filter_and_order(tracking: Tracking) -> None:
    prefix = tracking.unique("client-search")
    ids = {
        suffix: tracking.client.create_experiment(f"{prefix}-{suffix}", tags={"kind": kind})
        for suffix, kind in (("b", "cv"), ("a", "nlp"), ("c", "cv"))
    }

    by_name = tracking.client.search_experiments(filter_string=f"name LIKE '{prefix}-%'", order_by=["name ASC"])
    cv_only = tracking.client.search_experiments(
        filter_string=f"name LIKE '{prefix}-%' AND tags.kind = 'cv'", order_by=["name DESC"]
    )
    exact = tracking.client.search_experiments(filter_string=f"name = '{prefix}-a'")

    assert [e.name for e in by_name] == [f"{prefix}-a", f"{prefix}-b", f"{prefix}-c"]
    assert [e.name for e in cv_only] == [f"{prefix}-c", f"{prefix}-b"]
    assert [e.experiment_id for e in exact] == [ids["a"]]
    seed_names = {e["id"]: e["name"] for e in tracking.seed.experiments()}
    assert all(seed_names[experiment.experiment_id] == experiment.name for experiment in by_name)


def test_search_experiments_pages_past_the_first_page(tracking: Tracking) -> None:
    prefix = tracking.unique("client-pages")
    names = [f"{prefix}-{index:02d}" for index in range(7)]
    for name in names:
        tracking.client.create_experiment(name)

    seen: list[str] = []
    token = None
    pages = 0
    while True:
        page = tracking.client.search_experiments(
            max_results=3, filter_string=f"name LIKE '{prefix}-%'", order_by=["name ASC"], page_token=token
        )
        pages += 1
        assert len(page) <= 3
        seen += [experiment.name for experiment in page]
        token = page.token
        if not token:
            break
        assert pages < 10, "the page token never runs out"

    assert seen == names
    assert pages == 3


def test_rename_experiment(tracking: Tracking) -> None:
    experiment_id = tracking.new_experiment("client-rename-old")
    new_name = tracking.unique("client-rename-new")

    tracking.client.rename_experiment(experiment_id, new_name)

    assert tracking.client.get_experiment(experiment_id).name == new_name
    assert tracking.client.get_experiment_by_name(new_name).experiment_id == experiment_id
    assert tracking.seed.experiment(experiment_id)["name"] == new_name


def test_delete_and_restore_experiment(tracking: Tracking) -> None:
    experiment_id = tracking.new_experiment("client-delete")
    run = tracking.client.create_run(experiment_id)

    tracking.client.delete_experiment(experiment_id)

    assert tracking.client.get_experiment(experiment_id).lifecycle_stage == "deleted"
    assert tracking.seed.experiment(experiment_id)["lifecycle_stage"] == "deleted"
    active = tracking.client.search_experiments(
        view_type=ViewType.ACTIVE_ONLY, filter_string=f"name = '{tracking.client.get_experiment(experiment_id).name}'"
    )
    deleted = tracking.client.search_experiments(
        view_type=ViewType.DELETED_ONLY, filter_string=f"name = '{tracking.client.get_experiment(experiment_id).name}'"
    )
    assert [e.experiment_id for e in active] == []
    assert [e.experiment_id for e in deleted] == [experiment_id]
    assert tracking.client.get_run(run.info.run_id).info.lifecycle_stage == "deleted"

    tracking.client.restore_experiment(experiment_id)

    assert tracking.client.get_experiment(experiment_id).lifecycle_stage == "active"
    assert tracking.seed.experiment(experiment_id)["lifecycle_stage"] == "active"
    assert tracking.client.get_run(run.info.run_id).info.lifecycle_stage == "active"
    assert tracking.seed.run(run.info.run_id)["lifecycle_stage"] == "active"


def test_set_experiment_refuses_a_deleted_experiment(tracking: Tracking) -> None:
    name = tracking.unique("client-deleted-set")
    experiment_id = tracking.client.create_experiment(name)
    tracking.client.delete_experiment(experiment_id)

    with pytest.raises(MlflowException, match="deleted"):
        mlflow.set_experiment(name)

    assert tracking.seed.experiment(experiment_id)["lifecycle_stage"] == "deleted"
    assert tracking.seed.experiment_runs(experiment_id) == []


def test_set_and_delete_experiment_tags(tracking: Tracking) -> None:
    experiment_id = tracking.new_experiment("client-tags")

    tracking.client.set_experiment_tag(experiment_id, "owner", "alice")
    tracking.client.set_experiment_tag(experiment_id, "owner", "bob")
    tracking.client.set_experiment_tag(experiment_id, "mlflow.note.content", "a note")
    tracking.client.delete_experiment_tag(experiment_id, "mlflow.note.content")

    assert tracking.client.get_experiment(experiment_id).tags == {"owner": "bob"}
    found = tracking.client.search_experiments(filter_string="tags.owner = 'bob'")
    assert experiment_id in [e.experiment_id for e in found]
    assert tracking.seed.experiment(experiment_id)["lifecycle_stage"] == "active"


def test_an_experiment_created_in_the_seed_api_is_an_mlflow_experiment(tracking: Tracking) -> None:
    name = tracking.unique("seed-made")
    created = tracking.seed.create_experiment(name, {"model": "gpt2", "dataset": "wikitext"})

    experiment = tracking.client.get_experiment(created["id"])

    assert experiment.name == name
    assert experiment.lifecycle_stage == "active"
    listed = tracking.client.search_experiments(filter_string=f"name = '{name}'")
    assert [e.experiment_id for e in listed] == [created["id"]]
