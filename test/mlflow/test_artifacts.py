"""Artifacts through the MLflow client (the mlflow-artifacts proxy): log_artifact(s), log_dict,
log_text, list_artifacts, download_artifacts; one store, so the seed API lists and serves the same
files, and files uploaded through the seed API are MLflow artifacts too."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import mlflow
import mlflow.artifacts
import yaml

from entrenar_support import Tracking


def sha256(content: bytes) -> str:
    return "sha256:" + hashlib.sha256(content).hexdigest()


def write(path: Path, content: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def tree(root: Path) -> dict[str, bytes]:
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


def test_log_artifact_uploads_a_file_both_apis_serve(tracking: Tracking, tmp_path: Path) -> None:
    content = os.urandom(3 * 1024 * 1024 + 17)
    local = write(tmp_path / "model.bin", content)

    with mlflow.start_run() as run:
        mlflow.log_artifact(str(local))

    run_id = run.info.run_id
    (info,) = tracking.client.list_artifacts(run_id)
    assert (info.path, info.is_dir, info.file_size) == ("model.bin", False, len(content))
    downloaded = Path(tracking.client.download_artifacts(run_id, "model.bin", str(tmp_path / "out")))
    assert downloaded.read_bytes() == content
    stored = tracking.seed.artifacts(run_id)
    assert set(stored) == {"model.bin"}
    assert stored["model.bin"]["size_bytes"] == len(content)
    assert stored["model.bin"]["hash"] == sha256(content)
    assert tracking.seed.artifact_bytes(run_id, "model.bin") == content


def test_log_artifact_into_a_folder(tracking: Tracking, tmp_path: Path) -> None:
    local = write(tmp_path / "weights.pt", b"epoch one weights")

    with mlflow.start_run() as run:
        mlflow.log_artifact(str(local), artifact_path="checkpoints/epoch-1")

    run_id = run.info.run_id
    assert [(f.path, f.is_dir) for f in tracking.client.list_artifacts(run_id)] == [("checkpoints", True)]
    assert [(f.path, f.is_dir) for f in tracking.client.list_artifacts(run_id, "checkpoints")] == [
        ("checkpoints/epoch-1", True)
    ]
    assert [(f.path, f.file_size) for f in tracking.client.list_artifacts(run_id, "checkpoints/epoch-1")] == [
        ("checkpoints/epoch-1/weights.pt", 17)
    ]
    assert set(tracking.seed.artifacts(run_id)) == {"checkpoints/epoch-1/weights.pt"}
    assert tracking.seed.artifact_bytes(run_id, "checkpoints/epoch-1/weights.pt") == b"epoch one weights"


def test_log_artifacts_uploads_a_folder_and_download_artifacts_brings_it_back(
    tracking: Tracking, tmp_path: Path
) -> None:
    source = tmp_path / "dataset"
    files = {
        "train.csv": b"x,y\n1,2\n3,4\n",
        "README.md": b"# data\n",
        "splits/val.json": json.dumps({"ids": [1, 2, 3]}).encode(),
        "splits/deeper/empty.txt": b"",
        "report final.txt": "naïve café ✓\n".encode(),
    }
    for name, content in files.items():
        write(source / name, content)

    with mlflow.start_run() as run:
        mlflow.log_artifacts(str(source), artifact_path="data")

    run_id = run.info.run_id
    top = tracking.client.list_artifacts(run_id, "data")
    assert sorted((f.path, f.is_dir) for f in top) == [
        ("data/README.md", False),
        ("data/report final.txt", False),
        ("data/splits", True),
        ("data/train.csv", False),
    ]
    assert {f.path: f.file_size for f in top if not f.is_dir}["data/train.csv"] == len(files["train.csv"])
    downloaded = Path(tracking.client.download_artifacts(run_id, "data", str(tmp_path / "out")))
    assert tree(downloaded) == files
    stored = tracking.seed.artifacts(run_id)
    assert set(stored) == {f"data/{name}" for name in files}
    for name, content in files.items():
        assert stored[f"data/{name}"]["hash"] == sha256(content)
        assert tracking.seed.artifact_bytes(run_id, f"data/{name}") == content


def test_dot_names_the_run_artifact_root_for_list_and_download(tracking: Tracking, tmp_path: Path) -> None:
    with mlflow.start_run() as run:
        mlflow.log_text("top", "top.txt")
        mlflow.log_text("deep", "a/b.txt")

    run_id = run.info.run_id
    # MLflow's client joins each name onto the path asked for, as against `mlflow server`.
    for dot in (".", "./"):
        assert [(f.path, f.is_dir) for f in tracking.client.list_artifacts(run_id, dot)] == [
            ("./a", True),
            ("./top.txt", False),
        ]
    assert [f.path for f in tracking.client.list_artifacts(run_id, "./a")] == ["./a/b.txt"]
    assert [f.path for f in tracking.client.list_artifacts(run_id, "a/")] == ["a/b.txt"]
    whole = Path(mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=".", dst_path=str(tmp_path / "all")))
    assert tree(whole) == {"top.txt": b"top", "a/b.txt": b"deep"}
    folder = Path(mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path="./a", dst_path=str(tmp_path / "a")))
    assert tree(folder) == {"b.txt": b"deep"}
    assert tracking.client.download_artifacts(run_id, "./top.txt", str(tmp_path / "one")).endswith("top.txt")
    assert (tmp_path / "one" / "top.txt").read_bytes() == b"top"


def test_log_dict_as_json_and_yaml(tracking: Tracking) -> None:
    config = {"model": "resnet50", "lr": 0.1, "blocks": [3, 4, 6, 3], "aug": {"flip": True}}

    with mlflow.start_run() as run:
        mlflow.log_dict(config, "config.json")
        mlflow.log_dict(config, "configs/train.yaml")

    run_id = run.info.run_id
    assert mlflow.artifacts.load_dict(f"runs:/{run_id}/config.json") == config
    assert json.loads(tracking.seed.artifact_bytes(run_id, "config.json")) == config
    assert yaml.safe_load(tracking.seed.artifact_bytes(run_id, "configs/train.yaml")) == config
    assert set(tracking.seed.artifacts(run_id)) == {"config.json", "configs/train.yaml"}


def test_log_text(tracking: Tracking) -> None:
    text = "epoch 1: loss 0.9\nepoch 2: loss 0.5\n"

    with mlflow.start_run() as run:
        mlflow.log_text(text, "notes/training-log.txt")

    run_id = run.info.run_id
    assert mlflow.artifacts.load_text(f"runs:/{run_id}/notes/training-log.txt") == text
    assert tracking.seed.artifact_bytes(run_id, "notes/training-log.txt") == text.encode()
    assert tracking.seed.artifacts(run_id)["notes/training-log.txt"]["size_bytes"] == len(text.encode())


def test_download_artifacts_through_the_artifacts_module(tracking: Tracking, tmp_path: Path) -> None:
    with mlflow.start_run() as run:
        mlflow.log_text("a", "out/a.txt")
        mlflow.log_text("b", "out/nested/b.txt")

    whole = Path(mlflow.artifacts.download_artifacts(run_id=run.info.run_id, dst_path=str(tmp_path / "all")))
    one = Path(
        mlflow.artifacts.download_artifacts(
            artifact_uri=f"runs:/{run.info.run_id}/out/nested/b.txt", dst_path=str(tmp_path / "one")
        )
    )

    assert tree(whole) == {"out/a.txt": b"a", "out/nested/b.txt": b"b"}
    assert one.read_bytes() == b"b"
    assert set(tracking.seed.artifacts(run.info.run_id)) == {"out/a.txt", "out/nested/b.txt"}


def test_list_artifacts_of_a_run_without_artifacts_is_empty(tracking: Tracking) -> None:
    run = tracking.client.create_run(tracking.new_experiment("artifacts-none"))

    assert tracking.client.list_artifacts(run.info.run_id) == []
    assert tracking.seed.artifacts(run.info.run_id) == {}


def test_artifacts_uploaded_through_the_seed_api_are_mlflow_artifacts(tracking: Tracking, tmp_path: Path) -> None:
    experiment_id = tracking.seed.create_experiment(tracking.unique("artifacts-seed"))["id"]
    run_id = tracking.seed.create_run(experiment_id, "seed-uploads")["id"]
    tracking.seed.start_run(run_id)
    content = os.urandom(100_000)
    tracking.seed.upload_artifact(run_id, "checkpoints/model.safetensors", content)
    tracking.seed.upload_artifact(run_id, "summary.txt", b"done")

    top = tracking.client.list_artifacts(run_id)
    nested = tracking.client.list_artifacts(run_id, "checkpoints")
    downloaded = Path(tracking.client.download_artifacts(run_id, "checkpoints/model.safetensors", str(tmp_path)))

    assert sorted((f.path, f.is_dir) for f in top) == [("checkpoints", True), ("summary.txt", False)]
    assert [(f.path, f.file_size) for f in nested] == [("checkpoints/model.safetensors", len(content))]
    assert downloaded.read_bytes() == content
    assert mlflow.artifacts.load_text(f"runs:/{run_id}/summary.txt") == "done"
