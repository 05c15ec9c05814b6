"""``athena run`` with its artifact store mirrored to an S3-protocol endpoint (moto on loopback), through the same
client the CLI uses: ``AWS_ENDPOINT_URL`` + ``ATHENA_RUN_BUCKET``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from athena.local.run import RunOptions, run_workflow


def _workflow(tmp: Path) -> list[dict[str, Any]]:
    return [yaml.safe_load(f"""
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {{name: s3run}}
spec:
  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
      - {{name: a, template: produce}}
      - name: b
        template: consume
        dependencies: [a]
        arguments: {{artifacts: [{{name: data, from: "{{{{tasks.a.outputs.artifacts.data}}}}"}}]}}
    outputs:
      parameters: [{{name: seen, valueFrom: {{parameter: "{{{{tasks.b.outputs.result}}}}"}}}}]
  - name: produce
    container: {{image: alpine, command: [sh, -c, "echo hello-s3 > {tmp}/out.txt"]}}
    outputs:
      artifacts: [{{name: data, path: {tmp}/out.txt, archive: {{none: {{}}}}, s3: {{key: runs/s3run/data.txt}}}}]
  - name: consume
    inputs:
      artifacts: [{{name: data, path: {tmp}/in.txt}}]
    container: {{image: alpine, command: [sh, -c, "cat {tmp}/in.txt"]}}
""")]


def test_artifacts_are_mirrored_to_the_s3_endpoint(tmp_path: Path, env: dict[str, str], s3_client: Any,
                                                   bucket: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in {**env, "ATHENA_RUN_BUCKET": bucket}.items():
        monkeypatch.setenv(k, v)
    result = run_workflow(_workflow(tmp_path), "s3run", {}, RunOptions(store=tmp_path / "store",
                                                                        workdir=tmp_path / "runs"))
    assert result.phase == "Succeeded", result
    assert result.outputs["seen"] == "hello-s3"
    keys = [o["Key"] for o in s3_client.list_objects_v2(Bucket=bucket, Prefix="runs/s3run/").get("Contents", [])]
    assert keys == ["runs/s3run/data.txt"]
    body = s3_client.get_object(Bucket=bucket, Key="runs/s3run/data.txt")["Body"].read()
    assert body == b"hello-s3\n"


def test_an_input_artifact_missing_locally_is_fetched_from_s3(tmp_path: Path, env: dict[str, str], s3_client: Any,
                                                              bucket: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in {**env, "ATHENA_RUN_BUCKET": bucket}.items():
        monkeypatch.setenv(k, v)
    s3_client.put_object(Bucket=bucket, Key="runs/given/model.bin", Body=b"weights")
    doc = yaml.safe_load(f"""
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {{name: s3in}}
spec:
  entrypoint: read
  templates:
  - name: read
    inputs:
      artifacts: [{{name: model, path: {tmp_path}/model.bin, archive: {{none: {{}}}}, s3: {{key: runs/given/model.bin}}}}]
    container: {{image: alpine, command: [sh, -c, "cat {tmp_path}/model.bin"]}}
    outputs:
      parameters: [{{name: got, valueFrom: {{path: {tmp_path}/model.bin}}}}]
""")
    result = run_workflow([doc], "s3in", {}, RunOptions(store=tmp_path / "fresh-store", workdir=tmp_path / "runs"))
    assert result.phase == "Succeeded", result
    assert result.outputs["got"] == "weights"
