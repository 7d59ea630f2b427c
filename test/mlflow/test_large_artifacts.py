"""Large artifacts through the MLflow client: a single PUT of a checkpoint-sized file under the
default upload limit, and MLflow's proxied multipart upload (MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD):
mpu/create, part PUTs to the URLs it answers, mpu/complete, and mpu/abort when a part fails."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import mlflow
import pytest
import requests
from mlflow.exceptions import MlflowException

from entrenar_support import LoggedRequest, Tracking

MB = 1000 * 1000
MIB = 1024 * 1024
PART_SIGNATURE_HEADER = "x-entrenar-part-signature"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(4 * MIB), b""):
            digest.update(block)
    return "sha256:" + digest.hexdigest()


def random_file(path: Path, size: int) -> Path:
    """`size` random bytes, written a few MiB at a time."""
    with path.open("wb") as file:
        left = size
        while left > 0:
            block = min(left, 8 * MIB)
            file.write(os.urandom(block))
            left -= block
    return path


def staged_uploads(tracking: Tracking) -> list[Path]:
    """Whatever the server still stages for multipart uploads (parts of unfinished uploads)."""
    root = tracking.server.storage.data_dir / "artifacts" / "uploads"
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


def is_part_put(request: LoggedRequest) -> bool:
    return request.method == "PUT" and request.path.startswith("/api/2.0/mlflow-artifacts/mpu/parts/")


def use_proxy_multipart(monkeypatch: pytest.MonkeyPatch, chunk_size: int) -> None:
    """What a user sets to have the client upload large files in parts through the server."""
    monkeypatch.setenv("MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD", "true")
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE", str(chunk_size))
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE", str(chunk_size))


def check_stored(tracking: Tracking, run_id: str, name: str, local: Path, tmp_path: Path) -> None:
    """The artifact is listed by both APIs with the file's size and hash, and downloads identical."""
    size = local.stat().st_size
    expected = sha256_of(local)
    stored = tracking.seed.artifacts(run_id)
    assert set(stored) == {name}
    assert (stored[name]["size_bytes"], stored[name]["hash"]) == (size, expected)
    assert [(f.path, f.file_size) for f in tracking.client.list_artifacts(run_id)] == [(name, size)]
    downloaded = Path(tracking.client.download_artifacts(run_id, name, str(tmp_path / "downloaded")))
    assert sha256_of(downloaded) == expected


def test_log_artifact_of_a_110_mb_file_works_with_the_default_upload_limit(tracking: Tracking, tmp_path: Path) -> None:
    local = random_file(tmp_path / "checkpoint.pt", 110 * MB)
    mark = tracking.server.request_mark()

    with mlflow.start_run() as run:
        mlflow.log_artifact(str(local))

    uploads = [r for r in tracking.server.requests_since(mark) if r.method == "PUT"]
    assert [(r.path.rsplit("/", 1)[-1], r.status) for r in uploads] == [("checkpoint.pt", 200)]
    check_stored(tracking, run.info.run_id, "checkpoint.pt", local, tmp_path)


def test_proxy_multipart_upload_sends_the_parts_and_completes_one_identical_artifact(
    tracking: Tracking, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_proxy_multipart(monkeypatch, 5 * MIB)
    local = random_file(tmp_path / "model.safetensors", 23 * MIB + 12_345)  # 5 parts, the last one short
    mark = tracking.server.request_mark()

    with mlflow.start_run() as run:
        mlflow.log_artifact(str(local), artifact_path="checkpoints")

    answered = tracking.server.requests_since(mark)
    creates = [r for r in answered if "/mpu/create/" in r.path]
    parts = [r for r in answered if is_part_put(r)]
    completes = [r for r in answered if "/mpu/complete/" in r.path]
    assert [r.status for r in creates] == [200]
    assert sorted(r.path.rsplit("/", 1)[-1] for r in parts) == ["1", "2", "3", "4", "5"]
    assert {r.status for r in parts} == {200}
    assert [r.status for r in completes] == [200]
    assert not [r for r in answered if r.method == "PUT" and "/mlflow-artifacts/artifacts/" in r.path]

    run_id = run.info.run_id
    stored = tracking.seed.artifacts(run_id)
    assert set(stored) == {"checkpoints/model.safetensors"}
    assert stored["checkpoints/model.safetensors"]["size_bytes"] == local.stat().st_size
    assert stored["checkpoints/model.safetensors"]["hash"] == sha256_of(local)
    downloaded = Path(
        tracking.client.download_artifacts(run_id, "checkpoints/model.safetensors", str(tmp_path / "downloaded"))
    )
    assert sha256_of(downloaded) == sha256_of(local)
    assert staged_uploads(tracking) == []


def test_a_file_under_the_multipart_minimum_still_goes_in_one_put(
    tracking: Tracking, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_proxy_multipart(monkeypatch, 5 * MIB)
    local = random_file(tmp_path / "small.bin", 5 * MIB - 1)
    mark = tracking.server.request_mark()

    with mlflow.start_run() as run:
        mlflow.log_artifact(str(local))

    answered = tracking.server.requests_since(mark)
    assert not [r for r in answered if "/mpu/" in r.path]
    check_stored(tracking, run.info.run_id, "small.bin", local, tmp_path)


def test_a_failing_part_makes_the_client_abort_and_the_server_keeps_nothing(
    tracking: Tracking, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_proxy_multipart(monkeypatch, 5 * MIB)
    local = random_file(tmp_path / "doomed.bin", 16 * MIB)
    real_put = requests.put

    def put_with_part_three_tampered(url: str, *args, **kwargs):
        # The part's credential is altered on its way, so the server refuses that part (403).
        if url.endswith("/3"):
            kwargs["headers"] = {**kwargs.get("headers", {}), PART_SIGNATURE_HEADER: "forged"}
        return real_put(url, *args, **kwargs)

    monkeypatch.setattr(requests, "put", put_with_part_three_tampered)
    mark = tracking.server.request_mark()

    with mlflow.start_run() as run:
        with pytest.raises(MlflowException, match="Failed to upload at least one part"):
            mlflow.log_artifact(str(local))

    answered = tracking.server.requests_since(mark)
    assert sorted((r.path.rsplit("/", 1)[-1], r.status) for r in answered if is_part_put(r)) == [
        ("1", 200),
        ("2", 200),
        ("3", 403),
        ("4", 200),
    ]
    assert [r.status for r in answered if "/mpu/abort/" in r.path] == [200]
    assert not [r for r in answered if "/mpu/complete/" in r.path]
    assert tracking.seed.artifacts(run.info.run_id) == {}
    assert tracking.client.list_artifacts(run.info.run_id) == []
    assert staged_uploads(tracking) == []


def test_an_upload_aborted_over_rest_leaves_nothing_and_its_part_urls_stop_working(
    tracking: Tracking, tmp_path: Path
) -> None:
    with mlflow.start_run() as run:
        pass
    base = f"{tracking.url}/api/2.0/mlflow-artifacts/mpu"
    folder = f"{run.info.experiment_id}/{run.info.run_id}/artifacts"
    created = requests.post(f"{base}/create/{folder}", json={"path": "/data/big.bin", "num_parts": 3}, timeout=30)
    assert created.status_code == 200, created.text
    upload_id = created.json()["upload_id"]
    credentials = created.json()["credentials"]
    for credential in credentials[:2]:
        part = requests.put(credential["url"], data=os.urandom(MIB), headers=credential["headers"], timeout=30)
        assert part.status_code == 200, part.text
    assert len(staged_uploads(tracking)) == 2

    abort = {"path": "/data/big.bin", "upload_id": upload_id}
    aborted = requests.post(f"{base}/abort/{folder}", json=abort, timeout=30)

    assert (aborted.status_code, aborted.json()) == (200, {})
    assert staged_uploads(tracking) == []
    assert tracking.seed.artifacts(run.info.run_id) == {}
    late = requests.put(credentials[2]["url"], data=b"late", headers=credentials[2]["headers"], timeout=30)
    assert (late.status_code, late.json()["error_code"]) == (403, "PERMISSION_DENIED")
    completed = requests.post(
        f"{base}/complete/{folder}",
        json={"path": "/data/big.bin", "upload_id": upload_id, "parts": [{"part_number": 1, "etag": "x"}]},
        timeout=30,
    )
    assert (completed.status_code, completed.json()["error_code"]) == (400, "INVALID_PARAMETER_VALUE")


def test_multipart_upload_with_an_api_key_from_mlflow_tracking_token(
    tracking_token: Tracking, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_proxy_multipart(monkeypatch, 5 * MIB)
    local = random_file(tmp_path / "weights.bin", 12 * MIB)
    mark = tracking_token.server.request_mark()

    with mlflow.start_run() as run:
        mlflow.log_artifact(str(local))

    answered = tracking_token.server.requests_since(mark)
    assert sorted((r.path.rsplit("/", 1)[-1], r.status) for r in answered if is_part_put(r)) == [
        ("1", 200),
        ("2", 200),
        ("3", 200),
    ]
    check_stored(tracking_token, run.info.run_id, "weights.bin", local, tmp_path)


def test_with_an_api_key_a_part_put_needs_its_signed_credential(tracking_token: Tracking, api_key: str) -> None:
    with mlflow.start_run() as run:
        pass
    base = f"{tracking_token.url}/api/2.0/mlflow-artifacts/mpu"
    folder = f"{run.info.experiment_id}/{run.info.run_id}/artifacts"
    body = {"path": "/data/model.bin", "num_parts": 1}
    assert requests.post(f"{base}/create/{folder}", json=body, timeout=30).status_code == 401
    created = requests.post(
        f"{base}/create/{folder}", json=body, headers={"Authorization": f"Bearer {api_key}"}, timeout=30
    )
    assert created.status_code == 200, created.text
    credential = created.json()["credentials"][0]

    refused = [
        requests.put(credential["url"], data=b"part", timeout=30),
        requests.put(credential["url"], data=b"part", headers={"Authorization": f"Bearer {api_key}"}, timeout=30),
        requests.put(credential["url"], data=b"part", headers={PART_SIGNATURE_HEADER: "A" * 43}, timeout=30),
    ]
    accepted = requests.put(credential["url"], data=b"part", headers=credential["headers"], timeout=30)

    assert [(r.status_code, r.json()["error_code"]) for r in refused] == [(403, "PERMISSION_DENIED")] * 3
    assert accepted.status_code == 200, accepted.text
    assert accepted.headers["ETag"] == '"' + hashlib.sha256(b"part").hexdigest() + '"'
    aborted = requests.post(
        f"{base}/abort/{folder}",
        json={"path": "/data/model.bin", "upload_id": created.json()["upload_id"]},
        headers={"Authorization": f"Bearer {api_key}"},
        timeout=30,
    )
    assert aborted.status_code == 200, aborted.text
