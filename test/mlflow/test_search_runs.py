"""Run search through the real client: MLflow's filter grammar, order_by, paging, run_view_type,
and `mlflow.search_runs` into a pandas DataFrame. Five runs, made once for the module."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import mlflow
import pandas as pd
import pytest
from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag
from mlflow.exceptions import MlflowException

from entrenar_support import EntrenarServer, SeedApi, Tracking

T0 = 1_750_000_000_000

# name: (start offset, status, metrics, params, tags)
RUNS = {
    "r-a": (
        1000,
        "FINISHED",
        {"acc": 0.70, "loss": 0.9, "val-loss": 1.2},
        {"lr": "0.1", "opt": "sgd", "extra": "x"},
        {"team": "vision", "priority": "p2"},
    ),
    "r-b": (
        2000,
        "FINISHED",
        {"acc": 0.85, "loss": 0.5, "val-loss": 0.8},
        {"lr": "0.01", "opt": "adam"},
        {"team": "Vision", "priority": "p1"},
    ),
    "r-c": (
        3000,
        "FAILED",
        {"acc": 0.92, "loss": 0.3},
        {"lr": "0.001", "opt": "adam"},
        {"team": "nlp", "priority": "p3"},
    ),
    "r-d": (4000, "RUNNING", {"loss": 0.7}, {"lr": "0.01", "opt": "sgd", "extra": "y"}, {}),
    "x-e": (
        5000,
        "KILLED",
        {"acc": 0.60, "loss": 1.1},
        {"lr": "0.1", "opt": "sgd"},
        {"team": "audio", "priority": "p0"},
    ),
}


@dataclass
class SearchData:
    experiment_id: str
    experiment_name: str
    ids: dict[str, str]

    def names(self, runs: list[Any]) -> list[str]:
        by_id = {run_id: name for name, run_id in self.ids.items()}
        return [by_id[run.info.run_id] for run in runs]


@pytest.fixture(scope="module")
def data(entrenar: EntrenarServer) -> SearchData:
    client = MlflowClient(tracking_uri=entrenar.url)
    name = Tracking.unique("search")
    experiment_id = client.create_experiment(name)
    ids = {}
    for run_name, (offset, status, metrics, params, tags) in RUNS.items():
        run = client.create_run(experiment_id, start_time=T0 + offset, run_name=run_name)
        client.log_batch(
            run.info.run_id,
            metrics=[Metric(key, value, T0 + offset, 0) for key, value in metrics.items()],
            params=[Param(key, value) for key, value in params.items()],
            tags=[RunTag(key, value) for key, value in tags.items()],
        )
        if status != "RUNNING":
            client.set_terminated(run.info.run_id, status=status, end_time=T0 + offset + 500)
        ids[run_name] = run.info.run_id
    return SearchData(experiment_id, name, ids)


FILTERS = [
    ("metrics.acc > 0.8", {"r-b", "r-c"}),
    ("metrics.acc >= 0.85", {"r-b", "r-c"}),
    ("metrics.acc = 0.85", {"r-b"}),
    ("metrics.acc != 0.85", {"r-a", "r-c", "x-e"}),
    ("metrics.loss < 0.6", {"r-b", "r-c"}),
    ("metrics.loss <= 0.5", {"r-b", "r-c"}),
    ("metrics.`val-loss` < 1", {"r-b"}),
    ('metrics."val-loss" > 1', {"r-a"}),
    ("params.lr = '0.01'", {"r-b", "r-d"}),
    ('params.lr = "0.1"', {"r-a", "x-e"}),
    ("params.opt != 'sgd'", {"r-b", "r-c"}),
    ("params.lr LIKE '0.0%'", {"r-b", "r-c", "r-d"}),
    ("params.extra IS NULL", {"r-b", "r-c", "x-e"}),
    ("params.extra IS NOT NULL", {"r-a", "r-d"}),
    ("tags.team = 'vision'", {"r-a"}),
    ("tags.team LIKE 'vis%'", {"r-a"}),
    ("tags.team ILIKE 'vis%'", {"r-a", "r-b"}),
    ("tags.team IS NULL", {"r-d"}),
    ("tags.\"team\" = 'audio'", {"x-e"}),
    ("tags.`priority` != 'p1'", {"r-a", "r-c", "x-e"}),
    ("attributes.run_name = 'r-b'", {"r-b"}),
    ("attributes.run_name LIKE 'r-%'", {"r-a", "r-b", "r-c", "r-d"}),
    ("run_name ILIKE 'X-%'", {"x-e"}),
    ("attributes.status = 'FINISHED'", {"r-a", "r-b"}),
    ("attributes.status != 'FINISHED'", {"r-c", "r-d", "x-e"}),
    ("status = 'KILLED'", {"x-e"}),
    (f"attributes.start_time > {T0 + 2500}", {"r-c", "r-d", "x-e"}),
    (f"attributes.start_time <= {T0 + 2000}", {"r-a", "r-b"}),
    (f"attributes.end_time < {T0 + 3000}", {"r-a", "r-b"}),
    ("metrics.acc > 0.8 and params.opt = 'adam' AND tags.team = 'nlp'", {"r-c"}),
    ("params.opt = 'sgd' AND metrics.loss > 0.8", {"r-a", "x-e"}),
]


@pytest.mark.parametrize(("filter_string", "expected"), FILTERS, ids=[f for f, _ in FILTERS])
def test_search_runs_filter(tracking: Tracking, data: SearchData, filter_string: str, expected: set[str]) -> None:
    found = tracking.client.search_runs([data.experiment_id], filter_string)

    assert set(data.names(found)) == expected


def test_search_runs_by_run_id_in(tracking: Tracking, data: SearchData) -> None:
    wanted = (data.ids["r-a"], data.ids["r-c"])

    found = tracking.client.search_runs([data.experiment_id], f"attributes.run_id IN ('{wanted[0]}', '{wanted[1]}')")

    assert set(data.names(found)) == {"r-a", "r-c"}
    seed_runs = {run["id"]: run for run in tracking.seed.experiment_runs(data.experiment_id)}
    assert {seed_runs[run.info.run_id]["name"] for run in found} == {"r-a", "r-c"}


ORDERS = [
    ([], ["x-e", "r-d", "r-c", "r-b", "r-a"]),
    (["attributes.start_time ASC"], ["r-a", "r-b", "r-c", "r-d", "x-e"]),
    (["start_time DESC"], ["x-e", "r-d", "r-c", "r-b", "r-a"]),
    (["metrics.acc DESC"], ["r-c", "r-b", "r-a", "x-e", "r-d"]),
    (["metrics.acc"], ["x-e", "r-a", "r-b", "r-c", "r-d"]),
    (["params.lr ASC", "attributes.run_name DESC"], ["r-c", "r-d", "r-b", "x-e", "r-a"]),
    (["tags.priority ASC"], ["x-e", "r-b", "r-a", "r-c", "r-d"]),
    (["attributes.run_name DESC"], ["x-e", "r-d", "r-c", "r-b", "r-a"]),
]


@pytest.mark.parametrize(("order_by", "expected"), ORDERS, ids=[" ".join(o) or "default" for o, _ in ORDERS])
def test_search_runs_order_by(tracking: Tracking, data: SearchData, order_by: list[str], expected: list[str]) -> None:
    found = tracking.client.search_runs([data.experiment_id], order_by=order_by)

    assert data.names(found) == expected


def test_search_runs_pages_past_the_first_page(tracking: Tracking, data: SearchData) -> None:
    pages: list[list[str]] = []
    token = None
    while True:
        page = tracking.client.search_runs(
            [data.experiment_id], max_results=2, order_by=["attributes.start_time ASC"], page_token=token
        )
        pages.append(data.names(page))
        token = page.token
        if not token:
            break
        assert len(pages) < 10, "the page token never runs out"

    assert pages == [["r-a", "r-b"], ["r-c", "r-d"], ["x-e"]]
    assert {run["id"] for run in tracking.seed.experiment_runs(data.experiment_id)} == set(data.ids.values())


def test_search_runs_pages_with_a_filter(tracking: Tracking, data: SearchData) -> None:
    first = tracking.client.search_runs(
        [data.experiment_id], "params.opt = 'sgd'", max_results=1, order_by=["metrics.loss DESC"]
    )
    second = tracking.client.search_runs(
        [data.experiment_id],
        "params.opt = 'sgd'",
        max_results=1,
        order_by=["metrics.loss DESC"],
        page_token=first.token,
    )
    third = tracking.client.search_runs(
        [data.experiment_id],
        "params.opt = 'sgd'",
        max_results=1,
        order_by=["metrics.loss DESC"],
        page_token=second.token,
    )

    assert [data.names(first), data.names(second), data.names(third)] == [["x-e"], ["r-a"], ["r-d"]]
    assert third.token is None


def test_search_runs_returns_the_run_data(tracking: Tracking, data: SearchData) -> None:
    (run,) = tracking.client.search_runs([data.experiment_id], "attributes.run_name = 'r-a'")

    assert run.data.metrics == {"acc": 0.70, "loss": 0.9, "val-loss": 1.2}
    assert run.data.params == {"lr": "0.1", "opt": "sgd", "extra": "x"}
    assert run.data.tags["team"] == "vision"
    assert run.info.status == "FINISHED"
    assert run.info.start_time == T0 + 1000 and run.info.end_time == T0 + 1500
    assert tracking.seed.params(run.info.run_id) == {"lr": "0.1", "opt": "sgd", "extra": "x"}
    assert tracking.seed.run(run.info.run_id)["status"] == "success"


@pytest.mark.parametrize(
    ("filter_string", "offending"),
    [
        ("tags.team = vision", "vision"),
        ("metrics.acc > 'high'", "high"),
        ("params.lr > '0.1'", ">"),
        ("params.lr = '0.1' OR params.lr = '0.01'", "OR"),
        ("unknown_entity.x = '1'", "unknown_entity"),
    ],
)
def test_a_bad_filter_is_invalid_parameter_value_naming_the_problem(
    tracking: Tracking, data: SearchData, filter_string: str, offending: str
) -> None:
    with pytest.raises(MlflowException) as refused:
        tracking.client.search_runs([data.experiment_id], filter_string)

    assert refused.value.error_code == "INVALID_PARAMETER_VALUE"
    assert offending in refused.value.message


def test_search_runs_across_experiments(tracking: Tracking, data: SearchData) -> None:
    other = tracking.new_experiment("search-other")
    run = tracking.client.create_run(other, run_name="r-other")
    tracking.client.log_param(run.info.run_id, "lr", "0.01")

    found = tracking.client.search_runs([data.experiment_id, other], "params.lr = '0.01'")

    assert {r.info.run_id for r in found} == {data.ids["r-b"], data.ids["r-d"], run.info.run_id}


def test_mlflow_search_runs_returns_a_dataframe(tracking: Tracking, data: SearchData) -> None:
    frame = mlflow.search_runs(experiment_ids=[data.experiment_id])

    assert isinstance(frame, pd.DataFrame)
    assert len(frame) == 5
    by_id = {name: run_id for name, run_id in data.ids.items()}
    assert list(frame["run_id"]) == [by_id[name] for name in ("x-e", "r-d", "r-c", "r-b", "r-a")]
    assert {
        "run_id",
        "experiment_id",
        "status",
        "start_time",
        "end_time",
        "metrics.acc",
        "params.lr",
        "tags.team",
        "tags.mlflow.runName",
    } <= set(frame.columns)
    row = frame.set_index("tags.mlflow.runName").loc["r-b"]
    assert row["metrics.acc"] == 0.85
    assert row["params.lr"] == "0.01"
    assert row["status"] == "FINISHED"
    assert row["experiment_id"] == data.experiment_id
    assert math.isnan(frame.set_index("tags.mlflow.runName").loc["r-d"]["metrics.acc"])
    seed_ids = {run["id"] for run in tracking.seed.experiment_runs(data.experiment_id)}
    assert set(frame["run_id"]) == seed_ids


def test_mlflow_search_runs_by_experiment_name_with_filter_and_order(tracking: Tracking, data: SearchData) -> None:
    frame = mlflow.search_runs(
        experiment_names=[data.experiment_name], filter_string="metrics.acc > 0.65", order_by=["metrics.acc ASC"]
    )

    assert list(frame["tags.mlflow.runName"]) == ["r-a", "r-b", "r-c"]
    assert list(frame["metrics.acc"]) == [0.70, 0.85, 0.92]


def test_mlflow_search_runs_as_a_list(tracking: Tracking, data: SearchData) -> None:
    runs = mlflow.search_runs(
        experiment_ids=[data.experiment_id], filter_string="tags.team IS NULL", output_format="list"
    )

    assert data.names(runs) == ["r-d"]


def test_data_seed_reads_agree_with_search(entrenar: EntrenarServer, data: SearchData) -> None:
    """The seed API sees the same five runs, with the mapped statuses."""
    seed = SeedApi(entrenar.url)
    statuses = {run["name"]: run["status"] for run in seed.experiment_runs(data.experiment_id)}

    assert statuses == {"r-a": "success", "r-b": "success", "r-c": "failed", "r-d": "running", "x-e": "cancelled"}
