"""The other direction: what is logged through the seed API (/api/v1) is what the MLflow client reads."""

from __future__ import annotations

import mlflow

from entrenar_support import Tracking, epoch_ms


def test_a_run_logged_through_the_seed_api_reads_back_through_mlflow(tracking: Tracking) -> None:
    name = tracking.unique("seed-run")
    experiment = tracking.seed.create_experiment(name, {"model": "gpt2", "dataset": "wikitext"})
    run = tracking.seed.create_run(experiment["id"], "gpt2-small")
    started = tracking.seed.start_run(run["id"])
    tracking.seed.log_param(run["id"], "optimizer", "adamw")
    tracking.seed.log_param(run["id"], "learning_rate", 0.001)
    tracking.seed.log_param(run["id"], "batch_size", 32)
    points = [
        {"key": "loss", "step": step, "value": 2.0 / (step + 1), "timestamp": f"2026-01-02T03:04:{step:02d}.250Z"}
        for step in range(10)
    ]
    points.append({"key": "accuracy", "step": 9, "value": 0.75, "timestamp": 1_767_323_045_500})
    tracking.seed.log_metrics(run["id"], points)

    fetched = tracking.client.get_run(run["id"])

    assert fetched.info.run_id == run["id"]
    assert fetched.info.experiment_id == experiment["id"]
    assert fetched.info.run_name == "gpt2-small"
    assert fetched.info.status == "RUNNING"
    assert fetched.info.start_time == epoch_ms(started["started_at"])
    assert fetched.data.params == {"optimizer": "adamw", "learning_rate": "0.001", "batch_size": "32"}
    assert fetched.data.metrics == {"loss": 0.2, "accuracy": 0.75}
    history = tracking.client.get_metric_history(run["id"], "loss")
    assert [(m.step, m.value, m.timestamp) for m in history] == [
        (p["step"], p["value"], epoch_ms(p["timestamp"])) for p in points[:10]
    ]
    (accuracy,) = tracking.client.get_metric_history(run["id"], "accuracy")
    assert (accuracy.step, accuracy.value, accuracy.timestamp) == (9, 0.75, 1_767_323_045_500)
    assert tracking.client.get_experiment_by_name(name).experiment_id == experiment["id"]


def test_a_seed_run_completed_is_finished_in_mlflow_with_its_end_time(tracking: Tracking) -> None:
    experiment_id = tracking.seed.create_experiment(tracking.unique("seed-complete"))["id"]
    run_id = tracking.seed.create_run(experiment_id)["id"]
    tracking.seed.start_run(run_id)
    completed = tracking.seed.complete_run(run_id, "success")

    fetched = tracking.client.get_run(run_id)

    assert fetched.info.status == "FINISHED"
    assert fetched.info.end_time == epoch_ms(completed["ended_at"])


def test_seed_runs_are_found_by_mlflow_search(tracking: Tracking) -> None:
    experiment_id = tracking.seed.create_experiment(tracking.unique("seed-search"))["id"]
    ids = []
    for index, lr in enumerate(("0.1", "0.01", "0.001")):
        run_id = tracking.seed.create_run(experiment_id, f"seed-{index}")["id"]
        tracking.seed.start_run(run_id)
        tracking.seed.log_param(run_id, "lr", lr)
        tracking.seed.log_metrics(run_id, [{"key": "val_loss", "step": 0, "value": 0.5 + index / 10}])
        ids.append(run_id)

    found = tracking.client.search_runs([experiment_id], "params.lr = '0.01'")
    ordered = tracking.client.search_runs(
        [experiment_id], "metrics.val_loss < 0.65", order_by=["metrics.val_loss DESC"]
    )
    frame = mlflow.search_runs(experiment_ids=[experiment_id], order_by=["params.lr ASC"])

    assert [run.info.run_id for run in found] == [ids[1]]
    assert [run.info.run_id for run in ordered] == [ids[1], ids[0]]
    assert list(frame["run_id"]) == [ids[2], ids[1], ids[0]]
    assert list(frame["metrics.val_loss"]) == [0.7, 0.6, 0.5]


def test_mlflow_can_keep_logging_to_a_seed_run(tracking: Tracking) -> None:
    experiment_id = tracking.seed.create_experiment(tracking.unique("seed-continue"))["id"]
    run_id = tracking.seed.create_run(experiment_id)["id"]
    tracking.seed.start_run(run_id)
    tracking.seed.log_metrics(run_id, [{"key": "loss", "step": 0, "value": 1.0}])

    with mlflow.start_run(run_id=run_id):
        mlflow.log_metric("loss", 0.5, step=1)
        mlflow.log_param("seed", 7)

    assert [(p["step"], p["value"]) for p in tracking.seed.metric_history(run_id, "loss")] == [(0, 1.0), (1, 0.5)]
    assert tracking.seed.params(run_id) == {"seed": "7"}
    assert tracking.seed.run(run_id)["status"] == "success"
    assert [m.value for m in tracking.client.get_metric_history(run_id, "loss")] == [1.0, 0.5]
