"""The fluent API (`import mlflow; mlflow.start_run()`), as a training script uses it, unchanged.
Every test reads back what the server stored through the seed API (/api/v1) as well."""

from __future__ import annotations

import math
import re
import time

import mlflow
import pytest
from mlflow.exceptions import MlflowException

from entrenar_support import Tracking, epoch_ms, iso_ms


def test_set_experiment_creates_a_new_experiment_visible_in_the_seed_api(tracking: Tracking) -> None:
    name = tracking.unique("fluent-new")

    experiment = mlflow.set_experiment(name)

    assert experiment.name == name
    assert experiment.lifecycle_stage == "active"
    stored = tracking.seed.experiment(experiment.experiment_id)
    assert stored["id"] == experiment.experiment_id
    assert stored["name"] == name
    assert stored["lifecycle_stage"] == "active"


def test_set_experiment_reuses_an_existing_experiment(tracking: Tracking) -> None:
    name = tracking.unique("fluent-existing")
    created = tracking.seed.create_experiment(name, {"model": "gpt2"})

    experiment = mlflow.set_experiment(name)
    with mlflow.start_run() as run:
        pass

    assert experiment.experiment_id == created["id"]
    assert run.info.experiment_id == created["id"]
    assert [stored["name"] for stored in tracking.seed.experiments()].count(name) == 1
    assert [stored["id"] for stored in tracking.seed.experiment_runs(created["id"])] == [run.info.run_id]


def test_set_experiment_by_id_selects_that_experiment(tracking: Tracking) -> None:
    experiment_id = tracking.new_experiment("fluent-by-id")

    experiment = mlflow.set_experiment(experiment_id=experiment_id)
    with mlflow.start_run() as run:
        pass

    assert experiment.experiment_id == experiment_id
    assert tracking.seed.run(run.info.run_id)["experiment_id"] == experiment_id


def test_a_run_without_set_experiment_goes_to_the_default_experiment(tracking: Tracking) -> None:
    with mlflow.start_run() as run:
        pass

    assert run.info.experiment_id == "0"
    assert tracking.seed.run(run.info.run_id)["experiment_id"] == "0"
    assert tracking.seed.experiment("0")["name"] == "Default"


def test_start_run_as_a_context_manager_runs_then_finishes(tracking: Tracking) -> None:
    mlflow.set_experiment(tracking.unique("fluent-ctx"))
    before = int(time.time() * 1000)

    with mlflow.start_run(run_name="baseline") as run:
        run_id = run.info.run_id
        inside = mlflow.get_run(run_id)
        seed_inside = tracking.seed.run(run_id)

    after = mlflow.get_run(run_id)
    seed_after = tracking.seed.run(run_id)
    assert inside.info.status == "RUNNING"
    assert inside.info.run_name == "baseline"
    assert inside.info.artifact_uri.startswith("mlflow-artifacts:/")
    assert seed_inside["status"] == "running"
    assert seed_inside["name"] == "baseline"
    assert seed_inside["ended_at"] is None
    assert after.info.status == "FINISHED"
    assert before <= after.info.start_time <= after.info.end_time <= int(time.time() * 1000)
    assert seed_after["status"] == "success"
    assert seed_after["started_at"] == iso_ms(after.info.start_time)
    assert seed_after["ended_at"] == iso_ms(after.info.end_time)
    assert mlflow.active_run() is None


def test_run_ids_are_valid_mlflow_run_ids_shared_by_both_apis(tracking: Tracking) -> None:
    with mlflow.start_run() as run:
        pass

    assert re.fullmatch(r"[a-zA-Z0-9][\w\-]{0,255}", run.info.run_id)
    assert run.info.run_id == run.info.run_id.lower()
    assert tracking.seed.run(run.info.run_id)["id"] == run.info.run_id


def test_nested_runs_carry_the_parent_run_id_tag(tracking: Tracking) -> None:
    experiment = mlflow.set_experiment(tracking.unique("fluent-nested"))

    with mlflow.start_run(run_name="parent") as parent:
        with mlflow.start_run(run_name="child-a", nested=True) as child_a:
            mlflow.log_metric("loss", 0.5)
        with mlflow.start_run(run_name="child-b", nested=True) as child_b:
            pass
        assert mlflow.active_run().info.run_id == parent.info.run_id

    parent_id = parent.info.run_id
    for child in (child_a, child_b):
        stored = tracking.client.get_run(child.info.run_id)
        assert stored.data.tags["mlflow.parentRunId"] == parent_id
        assert stored.info.status == "FINISHED"
        assert tracking.seed.run(child.info.run_id)["status"] == "success"
    assert "mlflow.parentRunId" not in tracking.client.get_run(parent_id).data.tags
    children = tracking.client.search_runs([experiment.experiment_id], f"tags.mlflow.parentRunId = '{parent_id}'")
    assert sorted(run.info.run_name for run in children) == ["child-a", "child-b"]
    seed_names = sorted(run["name"] for run in tracking.seed.experiment_runs(experiment.experiment_id))
    assert seed_names == ["child-a", "child-b", "parent"]


def test_log_param_and_log_params_store_strings_visible_in_the_seed_api(tracking: Tracking) -> None:
    with mlflow.start_run() as run:
        mlflow.log_param("learning_rate", 0.001)
        mlflow.log_param("optimizer", "adamw")
        mlflow.log_params({"epochs": 10, "use_amp": True, "layers": [64, 32], "dropout": None})

    expected = {
        "learning_rate": "0.001",
        "optimizer": "adamw",
        "epochs": "10",
        "use_amp": "True",
        "layers": "[64, 32]",
        "dropout": "None",
    }
    assert tracking.client.get_run(run.info.run_id).data.params == expected
    assert tracking.seed.params(run.info.run_id) == expected


def test_logging_the_same_param_value_twice_is_fine(tracking: Tracking) -> None:
    with mlflow.start_run() as run:
        mlflow.log_param("batch_size", 32)
        mlflow.log_param("batch_size", 32)
        mlflow.log_params({"batch_size": 32})

    assert tracking.client.get_run(run.info.run_id).data.params == {"batch_size": "32"}
    assert tracking.seed.params(run.info.run_id) == {"batch_size": "32"}


def test_changing_a_param_is_refused_and_keeps_the_first_value(tracking: Tracking) -> None:
    with mlflow.start_run() as run:
        mlflow.log_param("batch_size", 32)
        mark = tracking.server.request_mark()
        with pytest.raises(MlflowException) as refused:
            mlflow.log_param("batch_size", 64)
        answered = [
            r.status for r in tracking.server.requests_since(mark) if r.path == "/api/2.0/mlflow/runs/log-parameter"
        ]

    assert refused.value.error_code == "INVALID_PARAMETER_VALUE"
    assert answered == [400]
    assert "batch_size" in refused.value.message
    assert tracking.client.get_run(run.info.run_id).data.params == {"batch_size": "32"}
    assert tracking.seed.params(run.info.run_id) == {"batch_size": "32"}


def test_log_metric_with_steps_and_timestamps(tracking: Tracking) -> None:
    base = 1_700_000_000_123
    with mlflow.start_run() as run:
        for step in range(5):
            mlflow.log_metric("loss", 1.0 / (step + 1), step=step, timestamp=base + step * 1000)
        mlflow.log_metric("accuracy", 0.91)

    run_id = run.info.run_id
    history = tracking.client.get_metric_history(run_id, "loss")
    assert [(m.step, m.value, m.timestamp) for m in history] == [(s, 1.0 / (s + 1), base + s * 1000) for s in range(5)]
    seed_history = tracking.seed.metric_history(run_id, "loss")
    assert [(p["step"], p["value"], p["timestamp"]) for p in seed_history] == [
        (s, 1.0 / (s + 1), iso_ms(base + s * 1000)) for s in range(5)
    ]
    latest = tracking.client.get_run(run_id).data.metrics
    assert latest == {"loss": 0.2, "accuracy": 0.91}
    (accuracy,) = tracking.seed.metric_history(run_id, "accuracy")
    assert accuracy["step"] == 0
    assert accuracy["value"] == 0.91
    assert epoch_ms(accuracy["timestamp"]) == tracking.client.get_metric_history(run_id, "accuracy")[0].timestamp


def test_log_metrics_logs_several_keys_at_one_step(tracking: Tracking) -> None:
    stamp = 1_710_000_000_000
    with mlflow.start_run() as run:
        mlflow.log_metrics({"train/loss": 0.7, "val/loss": 0.9}, step=1, timestamp=stamp)
        mlflow.log_metrics({"train/loss": 0.5, "val/loss": 0.8}, step=2, timestamp=stamp + 1)

    run_id = run.info.run_id
    assert tracking.client.get_run(run_id).data.metrics == {"train/loss": 0.5, "val/loss": 0.8}
    for key, values in (("train/loss", [0.7, 0.5]), ("val/loss", [0.9, 0.8])):
        assert [(m.step, m.value) for m in tracking.client.get_metric_history(run_id, key)] == [
            (1, values[0]),
            (2, values[1]),
        ]
        seed_points = tracking.seed.metric_history(run_id, key)
        assert [(p["step"], p["value"], p["timestamp"]) for p in seed_points] == [
            (1, values[0], iso_ms(stamp)),
            (2, values[1], iso_ms(stamp + 1)),
        ]
    seed_latest = tracking.seed.latest_metrics(run_id)
    assert {key: point["value"] for key, point in seed_latest.items()} == {"train/loss": 0.5, "val/loss": 0.8}


def test_nan_and_infinite_metric_values_round_trip(tracking: Tracking) -> None:
    with mlflow.start_run() as run:
        mlflow.log_metric("nan", float("nan"), step=0)
        mlflow.log_metric("pos_inf", float("inf"), step=0)
        mlflow.log_metric("neg_inf", float("-inf"), step=0)
        mlflow.log_metrics({"batch_nan": float("nan"), "batch_inf": float("inf")}, step=1)

    run_id = run.info.run_id
    metrics = tracking.client.get_run(run_id).data.metrics
    assert math.isnan(metrics["nan"]) and math.isnan(metrics["batch_nan"])
    assert metrics["pos_inf"] == math.inf and metrics["batch_inf"] == math.inf
    assert metrics["neg_inf"] == -math.inf
    (nan_point,) = tracking.client.get_metric_history(run_id, "nan")
    assert math.isnan(nan_point.value)
    expected_seed = {
        "nan": "NaN",
        "pos_inf": "Infinity",
        "neg_inf": "-Infinity",
        "batch_nan": "NaN",
        "batch_inf": "Infinity",
    }
    for key, value in expected_seed.items():
        (point,) = tracking.seed.metric_history(run_id, key)
        assert point["value"] == value, key


def test_set_tag_and_set_tags(tracking: Tracking) -> None:
    with mlflow.start_run(run_name="before") as run:
        mlflow.set_tag("team", "vision")
        mlflow.set_tags({"dataset": "imagenet", "epochs": 3, "team": "vision-2"})
        mlflow.set_tag("mlflow.runName", "after")

    stored = tracking.client.get_run(run.info.run_id)
    assert stored.data.tags["team"] == "vision-2"
    assert stored.data.tags["dataset"] == "imagenet"
    assert stored.data.tags["epochs"] == "3"
    assert stored.data.tags["mlflow.source.type"] == "LOCAL"
    assert stored.data.tags["mlflow.runName"] == "after"
    assert stored.info.run_name == "after"
    assert tracking.seed.run(run.info.run_id)["name"] == "after"


def test_delete_tag_removes_it(tracking: Tracking) -> None:
    with mlflow.start_run() as run:
        mlflow.set_tag("scratch", "1")
        mlflow.delete_tag("scratch")
        mlflow.set_tag("kept", "1")

    tags = tracking.client.get_run(run.info.run_id).data.tags
    assert "scratch" not in tags
    assert tags["kept"] == "1"


def test_an_exception_inside_start_run_marks_the_run_failed(tracking: Tracking) -> None:
    mlflow.set_experiment(tracking.unique("fluent-fail"))

    with pytest.raises(RuntimeError, match="CUDA out of memory"):
        with mlflow.start_run() as run:
            mlflow.log_metric("loss", 2.5)
            raise RuntimeError("CUDA out of memory")

    stored = tracking.client.get_run(run.info.run_id)
    assert stored.info.status == "FAILED"
    assert stored.info.end_time is not None
    seed_run = tracking.seed.run(run.info.run_id)
    assert seed_run["status"] == "failed"
    assert seed_run["ended_at"] == iso_ms(stored.info.end_time)
    assert mlflow.active_run() is None


@pytest.mark.parametrize(
    ("mlflow_status", "seed_status"), [("FINISHED", "success"), ("FAILED", "failed"), ("KILLED", "cancelled")]
)
def test_end_run_with_an_explicit_status(tracking: Tracking, mlflow_status: str, seed_status: str) -> None:
    run = mlflow.start_run()
    mlflow.log_metric("loss", 1.0)
    mlflow.end_run(status=mlflow_status)

    stored = tracking.client.get_run(run.info.run_id)
    assert stored.info.status == mlflow_status
    assert stored.info.end_time is not None
    seed_run = tracking.seed.run(run.info.run_id)
    assert seed_run["status"] == seed_status
    assert seed_run["ended_at"] == iso_ms(stored.info.end_time)


def test_a_finished_run_can_be_resumed_and_logged_to(tracking: Tracking) -> None:
    with mlflow.start_run() as run:
        mlflow.log_metric("loss", 1.0, step=0)

    with mlflow.start_run(run_id=run.info.run_id):
        mlflow.log_metric("eval/accuracy", 0.8, step=0)

    stored = tracking.client.get_run(run.info.run_id)
    assert stored.data.metrics == {"loss": 1.0, "eval/accuracy": 0.8}
    assert stored.info.status == "FINISHED"
    assert set(tracking.seed.latest_metrics(run.info.run_id)) == {"loss", "eval/accuracy"}
    assert tracking.seed.run(run.info.run_id)["status"] == "success"


def test_a_typical_training_script(tracking: Tracking) -> None:
    """What a user's script does, start to end, then everything read back from both APIs."""
    mlflow.set_experiment(tracking.unique("fluent-script"))
    with mlflow.start_run(run_name="resnet-baseline") as run:
        mlflow.log_params({"lr": 0.1, "batch_size": 256, "arch": "resnet50"})
        mlflow.set_tags({"team": "vision"})
        for epoch in range(20):
            mlflow.log_metrics({"train_loss": 2.0 / (epoch + 1), "val_acc": epoch / 20}, step=epoch)
        mlflow.log_dict({"arch": "resnet50", "blocks": [3, 4, 6, 3]}, "config.json")

    run_id = run.info.run_id
    stored = tracking.client.get_run(run_id)
    assert stored.info.status == "FINISHED"
    assert stored.data.params == {"lr": "0.1", "batch_size": "256", "arch": "resnet50"}
    assert stored.data.metrics == {"train_loss": 0.1, "val_acc": 19 / 20}
    assert len(tracking.client.get_metric_history(run_id, "train_loss")) == 20
    seed_run = tracking.seed.run(run_id)
    assert (seed_run["name"], seed_run["status"]) == ("resnet-baseline", "success")
    assert tracking.seed.params(run_id) == {"lr": "0.1", "batch_size": "256", "arch": "resnet50"}
    assert [p["step"] for p in tracking.seed.metric_history(run_id, "val_acc")] == list(range(20))
    assert set(tracking.seed.artifacts(run_id)) == {"config.json"}
