"""MLflow features entrenar does not implement: traces (logged models are covered by
test_logged_models.py, the model registry by test_registry.py). Each call must fail with an
MlflowException whose error code is NOT_IMPLEMENTED (HTTP 501 with a message that says so), not a
crash, a 404 page or a hang, and must store nothing."""

from __future__ import annotations

import re
from collections.abc import Callable

import mlflow
import pytest
from mlflow.exceptions import MlflowException

from entrenar_support import Tracking


def assert_not_implemented(tracking: Tracking, call: Callable[[], object]) -> MlflowException:
    mark = tracking.server.request_mark()

    with pytest.raises(MlflowException) as refused:
        call()

    requests_made = tracking.server.requests_since(mark)
    assert refused.value.error_code == "NOT_IMPLEMENTED", refused.value.message
    assert re.search(r"support|implement", refused.value.message, re.IGNORECASE), refused.value.message
    answered_501 = [r for r in requests_made if r.status == 501]
    assert answered_501, f"no request was answered 501: {requests_made}"
    assert not [r for r in requests_made if r.status == 404 or r.status >= 502 or r.status == 500], requests_made
    assert tracking.server.is_healthy()
    return refused.value


# --- MLflow 3 logged models (the rest: test_logged_models.py) -------------------------------


def test_searching_logged_models_of_an_experiment_without_any_finds_none(tracking: Tracking) -> None:
    """MLflow 3's list_artifacts(run_id, path) and download_artifacts look for a logged model named
    like the path's first folder before listing, so an error here would break plain artifact
    listing. The experiment has no logged models, so the answer is an empty list."""
    experiment_id = tracking.new_experiment("unsupported-logged-model-search")
    mark = tracking.server.request_mark()

    found = tracking.client.search_logged_models(experiment_ids=[experiment_id])
    fluent_found = mlflow.search_logged_models(experiment_ids=[experiment_id], output_format="list")

    assert list(found) == [] and found.token is None
    assert fluent_found == []
    searches = [r for r in tracking.server.requests_since(mark) if r.path == "/api/2.0/mlflow/logged-models/search"]
    assert searches and all(r.status == 200 for r in searches), searches


# --- traces -----------------------------------------------------------------------------------


def test_search_traces_is_not_implemented(tracking: Tracking) -> None:
    experiment_id = tracking.new_experiment("unsupported-traces")

    assert_not_implemented(tracking, lambda: tracking.client.search_traces(locations=[experiment_id]))
    assert_not_implemented(tracking, lambda: mlflow.search_traces(locations=[experiment_id]))


def test_reading_and_tagging_a_trace_is_not_implemented(tracking: Tracking) -> None:
    assert_not_implemented(tracking, lambda: tracking.client.get_trace("tr-0123456789abcdef0123456789abcdef"))
    assert_not_implemented(
        tracking, lambda: tracking.client.set_trace_tag("tr-0123456789abcdef0123456789abcdef", "k", "v")
    )


def test_a_traced_function_still_runs_and_its_export_is_answered_not_implemented(tracking: Tracking) -> None:
    """Trace export happens in the background; the client logs the failure and the user's code goes on.
    What matters here: the server answers the export with 501, and nothing breaks."""
    mlflow.set_experiment(tracking.unique("unsupported-traced"))

    @mlflow.trace
    def add(a: int, b: int) -> int:
        return a + b

    mark = tracking.server.request_mark()
    assert add(2, 3) == 5
    mlflow.flush_trace_async_logging()

    trace_requests = [r for r in tracking.server.requests_since(mark) if "/traces" in r.path]
    assert trace_requests, "the client exported no trace"
    assert all(r.status == 501 for r in trace_requests), trace_requests
    assert tracking.server.is_healthy()
