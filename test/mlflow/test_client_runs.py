"""MlflowClient's run calls: create, get, update, terminate, log-batch, metric history, delete and
restore; and the status mapping between the two APIs, both ways."""

from __future__ import annotations

import pytest
from mlflow.entities import Metric, Param, RunTag, ViewType
from mlflow.exceptions import MlflowException

from entrenar_support import Tracking, iso_ms

STATUS_PAIRS = [
    ("SCHEDULED", "pending"),
    ("RUNNING", "running"),
    ("FINISHED", "success"),
    ("FAILED", "failed"),
    ("KILLED", "cancelled"),
]


def test_create_run_and_get_run(tracking: Tracking) -> None:
    experiment_id = tracking.new_experiment("runs-create")
    start = 1_720_000_000_456

    created = tracking.client.create_run(experiment_id, start_time=start, tags={"team": "nlp"}, run_name="gpt2-small")

    fetched = tracking.client.get_run(created.info.run_id)
    for run in (created, fetched):
        assert run.info.experiment_id == experiment_id
        assert run.info.run_name == "gpt2-small"
        assert run.info.status == "RUNNING"
        assert run.info.lifecycle_stage == "active"
        assert run.info.start_time == start
        assert run.info.end_time is None
        assert run.info.artifact_uri.startswith("mlflow-artifacts:/")
        assert run.info.artifact_uri.endswith(f"/{run.info.run_id}/artifacts")
        assert run.data.tags["team"] == "nlp"
        assert run.data.tags["mlflow.runName"] == "gpt2-small"
    seed_run = tracking.seed.run(created.info.run_id)
    assert seed_run["experiment_id"] == experiment_id
    assert seed_run["name"] == "gpt2-small"
    assert seed_run["status"] == "running"
    assert seed_run["started_at"] == iso_ms(start)
    assert seed_run["ended_at"] is None


def test_a_run_without_a_name_gets_one_in_both_apis(tracking: Tracking) -> None:
    run = tracking.client.create_run(tracking.new_experiment("runs-noname"))

    assert run.info.run_name
    assert run.data.tags["mlflow.runName"] == run.info.run_name
    assert tracking.seed.run(run.info.run_id)["name"] == run.info.run_name


def test_get_an_unknown_run_is_resource_does_not_exist(tracking: Tracking) -> None:
    with pytest.raises(MlflowException) as missing:
        tracking.client.get_run("run-0123456789abcdef0123456789abcdef")

    assert missing.value.error_code == "RESOURCE_DOES_NOT_EXIST"


def test_create_run_in_an_unknown_experiment_is_refused(tracking: Tracking) -> None:
    with pytest.raises(MlflowException) as missing:
        tracking.client.create_run("exp-doesnotexist0000")

    assert missing.value.error_code == "RESOURCE_DOES_NOT_EXIST"


@pytest.mark.parametrize(("mlflow_status", "seed_status"), STATUS_PAIRS)
def test_update_run_status_maps_to_the_seed_status(tracking: Tracking, mlflow_status: str, seed_status: str) -> None:
    run = tracking.client.create_run(tracking.new_experiment("runs-status"))

    tracking.client.update_run(run.info.run_id, status=mlflow_status)

    assert tracking.client.get_run(run.info.run_id).info.status == mlflow_status
    assert tracking.seed.run(run.info.run_id)["status"] == seed_status


def test_seed_run_statuses_appear_as_mlflow_statuses(tracking: Tracking) -> None:
    experiment_id = tracking.seed.create_experiment(tracking.unique("runs-seed-status"))["id"]
    runs = {
        status: tracking.seed.create_run(experiment_id, f"seed-{status}")["id"]
        for status in ("pending", "running", "success", "failed", "cancelled")
    }
    for status, run_id in runs.items():
        if status in ("running", "success", "failed"):
            tracking.seed.start_run(run_id)
        if status in ("success", "failed", "cancelled"):
            tracking.seed.complete_run(run_id, status)

    expected = dict((seed, mlflow_status) for mlflow_status, seed in STATUS_PAIRS)
    for status, run_id in runs.items():
        run = tracking.client.get_run(run_id)
        assert run.info.status == expected[status], status
        assert run.info.run_name == f"seed-{status}"
    search = tracking.client.search_runs([experiment_id], "attributes.status = 'SCHEDULED'")
    assert [run.info.run_id for run in search] == [runs["pending"]]


def test_update_run_renames(tracking: Tracking) -> None:
    run = tracking.client.create_run(tracking.new_experiment("runs-rename"), run_name="old")

    tracking.client.update_run(run.info.run_id, name="new")

    fetched = tracking.client.get_run(run.info.run_id)
    assert fetched.info.run_name == "new"
    assert fetched.data.tags["mlflow.runName"] == "new"
    assert tracking.seed.run(run.info.run_id)["name"] == "new"


@pytest.mark.parametrize(("mlflow_status", "seed_status"), STATUS_PAIRS[2:])
def test_set_terminated_sets_status_and_end_time(tracking: Tracking, mlflow_status: str, seed_status: str) -> None:
    run = tracking.client.create_run(tracking.new_experiment("runs-terminate"), start_time=1_720_000_000_000)
    end = 1_720_000_360_789

    tracking.client.set_terminated(run.info.run_id, status=mlflow_status, end_time=end)

    fetched = tracking.client.get_run(run.info.run_id)
    assert (fetched.info.status, fetched.info.end_time) == (mlflow_status, end)
    seed_run = tracking.seed.run(run.info.run_id)
    assert (seed_run["status"], seed_run["ended_at"]) == (seed_status, iso_ms(end))


def test_log_batch_writes_metrics_params_and_tags(tracking: Tracking) -> None:
    run_id = tracking.client.create_run(tracking.new_experiment("runs-batch")).info.run_id
    stamp = 1_730_000_000_000
    metrics = [Metric("loss", 1.0 - step / 10, stamp + step, step) for step in range(10)]
    metrics += [Metric("acc", step / 10, stamp + step, step) for step in range(10)]
    params = [Param("lr", "0.01"), Param("optimizer", "sgd")]
    tags = [RunTag("team", "vision"), RunTag("stage", "pretrain")]

    tracking.client.log_batch(run_id, metrics=metrics, params=params, tags=tags)

    run = tracking.client.get_run(run_id)
    assert run.data.metrics == {"loss": pytest.approx(0.1), "acc": pytest.approx(0.9)}
    assert run.data.params == {"lr": "0.01", "optimizer": "sgd"}
    assert run.data.tags["team"] == "vision" and run.data.tags["stage"] == "pretrain"
    assert [m.value for m in tracking.client.get_metric_history(run_id, "acc")] == [step / 10 for step in range(10)]
    assert tracking.seed.params(run_id) == {"lr": "0.01", "optimizer": "sgd"}
    seed_loss = tracking.seed.metric_history(run_id, "loss")
    assert [(p["step"], p["value"], p["timestamp"]) for p in seed_loss] == [
        (s, 1.0 - s / 10, iso_ms(stamp + s)) for s in range(10)
    ]


def test_log_batch_past_the_server_limits_is_split_by_the_client(tracking: Tracking) -> None:
    """2,500 metrics, 150 params and 120 tags: more than one request's worth of each (1,000 / 100 /
    100); the client splits them into requests the server accepts."""
    run_id = tracking.client.create_run(tracking.new_experiment("runs-big-batch")).info.run_id
    metrics = [Metric(f"m{index % 5}", float(index), 1_730_000_000_000 + index, index // 5) for index in range(2500)]
    params = [Param(f"p{index:03d}", str(index)) for index in range(150)]
    tags = [RunTag(f"t{index:03d}", str(index)) for index in range(120)]
    mark = tracking.server.request_mark()

    tracking.client.log_batch(run_id, metrics=metrics, params=params, tags=tags)

    batches = [r for r in tracking.server.requests_since(mark) if r.path == "/api/2.0/mlflow/runs/log-batch"]
    assert len(batches) >= 3 and all(r.status == 200 for r in batches)
    run = tracking.client.get_run(run_id)
    assert len(run.data.params) == 150
    assert sum(1 for key in run.data.tags if key.startswith("t")) == 120
    assert len(tracking.client.get_metric_history(run_id, "m0")) == 500
    assert len(tracking.seed.params(run_id)) == 150
    assert len(tracking.seed.metric_history(run_id, "m4")) == 500


def test_a_repeated_log_batch_does_not_double_metric_points(tracking: Tracking) -> None:
    """The client retries writes that failed with a 5xx; a replayed request must not add points."""
    run_id = tracking.client.create_run(tracking.new_experiment("runs-replay")).info.run_id
    metrics = [Metric("loss", 0.5, 1_730_000_000_000, 1), Metric("loss", 0.4, 1_730_000_000_001, 2)]

    tracking.client.log_batch(run_id, metrics=metrics, params=[Param("lr", "0.1")])
    tracking.client.log_batch(run_id, metrics=metrics, params=[Param("lr", "0.1")])
    tracking.client.log_metric(run_id, "loss", 0.4, timestamp=1_730_000_000_001, step=2)

    assert [(m.step, m.value) for m in tracking.client.get_metric_history(run_id, "loss")] == [(1, 0.5), (2, 0.4)]
    assert [(p["step"], p["value"]) for p in tracking.seed.metric_history(run_id, "loss")] == [(1, 0.5), (2, 0.4)]
    assert tracking.seed.params(run_id) == {"lr": "0.1"}


def test_several_points_at_one_step_are_all_kept(tracking: Tracking) -> None:
    run_id = tracking.client.create_run(tracking.new_experiment("runs-same-step")).info.run_id

    tracking.client.log_metric(run_id, "loss", 0.9, timestamp=1_730_000_000_000, step=3)
    tracking.client.log_metric(run_id, "loss", 0.8, timestamp=1_730_000_000_500, step=3)

    assert sorted(m.value for m in tracking.client.get_metric_history(run_id, "loss")) == [0.8, 0.9]
    assert sorted(p["value"] for p in tracking.seed.metric_history(run_id, "loss")) == [0.8, 0.9]


def test_get_metric_history_pages_through_a_long_history(tracking: Tracking) -> None:
    """30,000 points: more than the 25,000 the client asks for per page, so it must follow the
    server's next_page_token to get them all."""
    run_id = tracking.client.create_run(tracking.new_experiment("runs-history")).info.run_id
    count = 30_000
    base = 1_740_000_000_000
    tracking.client.log_batch(
        run_id, metrics=[Metric("loss", 1.0 / (step + 1), base + step, step) for step in range(count)]
    )
    mark = tracking.server.request_mark()

    history = tracking.client.get_metric_history(run_id, "loss")

    history_requests = [
        r for r in tracking.server.requests_since(mark) if r.path == "/api/2.0/mlflow/metrics/get-history"
    ]
    assert len(history_requests) >= 2, "the client never got a next_page_token"
    assert len(history) == count
    assert [m.step for m in history] == list(range(count))
    assert all(m.value == 1.0 / (m.step + 1) and m.timestamp == base + m.step for m in history)
    seed_history = tracking.seed.metric_history(run_id, "loss", page_size=10_000)
    assert len(seed_history) == count
    assert seed_history[-1] == {
        "key": "loss",
        "step": count - 1,
        "value": 1.0 / count,
        "timestamp": iso_ms(base + count - 1),
    }


def test_history_of_a_key_never_logged_is_empty(tracking: Tracking) -> None:
    run_id = tracking.client.create_run(tracking.new_experiment("runs-no-history")).info.run_id

    assert tracking.client.get_metric_history(run_id, "never") == []
    assert tracking.seed.metric_history(run_id, "never") == []


def test_delete_and_restore_run_with_run_view_type(tracking: Tracking) -> None:
    experiment_id = tracking.new_experiment("runs-delete")
    kept = tracking.client.create_run(experiment_id, run_name="kept").info.run_id
    dropped = tracking.client.create_run(experiment_id, run_name="dropped").info.run_id

    tracking.client.delete_run(dropped)

    def ids(view: int) -> set[str]:
        return {run.info.run_id for run in tracking.client.search_runs([experiment_id], run_view_type=view)}

    assert ids(ViewType.ACTIVE_ONLY) == {kept}
    assert ids(ViewType.DELETED_ONLY) == {dropped}
    assert ids(ViewType.ALL) == {kept, dropped}
    assert tracking.client.get_run(dropped).info.lifecycle_stage == "deleted"
    assert tracking.seed.run(dropped)["lifecycle_stage"] == "deleted"
    assert tracking.seed.run(kept)["lifecycle_stage"] == "active"

    tracking.client.restore_run(dropped)

    assert ids(ViewType.ACTIVE_ONLY) == {kept, dropped}
    assert ids(ViewType.DELETED_ONLY) == set()
    assert tracking.client.get_run(dropped).info.lifecycle_stage == "active"
    assert tracking.seed.run(dropped)["lifecycle_stage"] == "active"


def test_writes_to_a_deleted_run_are_refused_and_change_nothing(tracking: Tracking) -> None:
    run_id = tracking.client.create_run(tracking.new_experiment("runs-deleted-write")).info.run_id
    tracking.client.log_metric(run_id, "loss", 1.0, step=0)
    tracking.client.delete_run(run_id)

    with pytest.raises(MlflowException) as refused:
        tracking.client.log_metric(run_id, "loss", 0.5, step=1)
    with pytest.raises(MlflowException):
        tracking.client.log_param(run_id, "lr", "0.1")

    assert refused.value.error_code == "INVALID_PARAMETER_VALUE"
    assert [m.step for m in tracking.client.get_metric_history(run_id, "loss")] == [0]
    assert [p["step"] for p in tracking.seed.metric_history(run_id, "loss")] == [0]
    assert tracking.seed.params(run_id) == {}


def test_an_invalid_metric_key_is_refused_and_nothing_is_stored(tracking: Tracking) -> None:
    run_id = tracking.client.create_run(tracking.new_experiment("runs-bad-key")).info.run_id
    mark = tracking.server.request_mark()

    with pytest.raises(MlflowException) as refused:
        tracking.client.log_batch(
            run_id, metrics=[Metric("good", 1.0, 1_730_000_000_000, 0), Metric("../escape", 1.0, 1_730_000_000_000, 0)]
        )

    assert refused.value.error_code == "INVALID_PARAMETER_VALUE"
    assert [r.status for r in tracking.server.requests_since(mark) if r.path == "/api/2.0/mlflow/runs/log-batch"] == [
        400
    ]
    assert tracking.seed.latest_metrics(run_id) == {}
