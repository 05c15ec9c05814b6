"""A real S3-protocol server for the store tests: moto's server mode on loopback.

Tests reach it through the same client code users run (``athena.remote.store`` on obstore), with the endpoint and
dummy credentials passed the way the CLI gets them: ``AWS_ENDPOINT_URL`` and ``AWS_ACCESS_KEY_ID`` /
``AWS_SECRET_ACCESS_KEY`` in the environment mapping.
"""

from __future__ import annotations

import io
import json
import socket
import tarfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer
from tests.remote.controlplane import ControlPlane, start_control_plane

from athena.config import S3, Artifact, ArtifactRepository, Bootstrap, Config, Project
from athena.remote.store import Timeouts

BUCKET = "athena-test"
# Short limits everywhere: a failing test fails in seconds, it never hangs.
FAST = Timeouts(connect=2.0, request=5.0, retries=1, retry_total=5.0)

_AWS_VARS = (
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE",
    "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT", "AWS_REGION", "AWS_DEFAULT_REGION",
    "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_METADATA_ENDPOINT", "AWS_BUCKET", "AWS_BUCKET_NAME",
    "AWS_ALLOW_HTTP",
)  # fmt: skip


@pytest.fixture(autouse=True)
def _no_ambient_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's own AWS settings must not leak into the tests (obstore reads the process env too)."""
    for var in _AWS_VARS:
        monkeypatch.delenv(var, raising=False)


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def boto_client(endpoint: str, service: str = "s3", **creds: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=creds.get("key", "testing"),
        aws_secret_access_key=creds.get("secret", "testing"),
    )


@pytest.fixture(scope="session")
def s3_client(moto_endpoint: str) -> Any:
    client = boto_client(moto_endpoint)
    client.create_bucket(Bucket=BUCKET)
    return client


@pytest.fixture
def env(moto_endpoint: str, s3_client: Any) -> dict[str, str]:
    """The CLI's environment: dummy credentials and the endpoint override."""
    return {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_ENDPOINT_URL": moto_endpoint,
    }


@pytest.fixture
def unreachable() -> str:
    """An http:// endpoint on loopback where nothing listens (connection refused at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _make_config(
    *,
    bucket: str = BUCKET,
    endpoint: str | None = "minio.argo.svc:9000",
    insecure: bool = True,
    targets: tuple[str, ...] = ("x86_64", "aarch64"),
    key: str = "athena/{project}/{digest}/bundle.tar.gz",
    project: str = "demo",
) -> Config:
    return Config(
        project=Project(name=project),
        artifact_repository=ArtifactRepository(
            s3=S3(endpoint=endpoint, bucket=bucket, insecure=insecure)
        ),
        artifact=Artifact(key=key),
        bootstrap=Bootstrap(targets=list(targets)),  # type: ignore[arg-type]  # tests pass valid names
    )


@pytest.fixture
def make_config() -> Callable[..., Config]:
    """``make_config(bucket=, endpoint=, insecure=, targets=, key=, project=)``: a Config with an S3 table."""
    return _make_config


@pytest.fixture
def config() -> Config:
    return _make_config()


@pytest.fixture
def fast() -> Timeouts:
    return FAST


@pytest.fixture
def bucket(s3_client: Any) -> str:
    """The bucket every test shares (keys are unique per test)."""
    return BUCKET


@pytest.fixture(scope="session")
def boto() -> Callable[..., Any]:
    """``boto(endpoint, service="s3")``: a boto3 client with dummy credentials, to set up the server."""
    return boto_client


MakeTarball = Callable[..., Path]


@pytest.fixture
def make_tarball(tmp_path: Path) -> MakeTarball:
    """A fake bundle: ``bin/manifest.json`` plus one file per target (the builder is tested elsewhere)."""

    def make(
        *,
        targets: tuple[str, ...] = ("x86_64", "aarch64"),
        digest: str | None = None,
        project: str = "demo",
        payload: bytes = b"print('hello')\n",
        name: str | None = None,
        manifest: object = None,
    ) -> Path:
        digest = digest or uuid.uuid4().hex
        if manifest is None:
            manifest = {
                "protocol": 1, "digest": digest, "project": project, "version": "1.2.3", "python": "3.11",
                "interpreter": "pbs", "targets": list(targets),
            }  # fmt: skip
        path = tmp_path / (name or f"bundle-{uuid.uuid4().hex[:8]}.tar.gz")
        with tarfile.open(path, "w:gz", compresslevel=1) as tar:
            _add(tar, "bin/manifest.json", json.dumps(manifest).encode())
            for target in targets:
                _add(tar, f"bin/app-{target}/app.py", payload)
        return path

    return make


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))


@pytest.fixture(scope="session")
def control_plane() -> Iterator[ControlPlane]:
    """The submit tests' own kube-apiserver (+ Argo Server): tests/remote/controlplane.py."""
    yield from start_control_plane()
