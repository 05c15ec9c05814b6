"""athena.remote.store against a real S3-protocol server (moto, see conftest.py)."""

from __future__ import annotations

import hashlib
import os
import socket
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from athena.config import S3, Config
from athena.errors import AthenaError
from athena.remote.store import (
    CHUNK_SIZE,
    SHA256_METADATA,
    ObjectNotFoundError,
    S3Store,
    StoreError,
    Timeouts,
    resolve_endpoint,
)

BUCKET = "athena-test"  # conftest's shared bucket (the ``bucket`` fixture creates it)


def _key() -> str:
    return f"tests/{uuid.uuid4().hex}/object"


@pytest.fixture
def store(env: dict[str, str], config: Config, bucket: str, fast: Timeouts) -> S3Store:
    s3 = config.artifact_repository.s3
    assert s3 is not None and s3.bucket == bucket == BUCKET
    return S3Store.from_config(s3, env=env, timeouts=fast)


def _s3(**kw: Any) -> S3:
    return S3(bucket=kw.pop("bucket", BUCKET), **kw)


# ---------------------------------------------------------------------------------------- endpoint


def test_endpoint_resolution() -> None:
    assert resolve_endpoint(_s3(endpoint="minio.argo.svc:9000", insecure=True), {}) == (
        "http://minio.argo.svc:9000",
        "[artifact_repository.s3].endpoint",
    )
    assert resolve_endpoint(_s3(endpoint="minio.example.com"), {})[0] == "https://minio.example.com"
    assert resolve_endpoint(_s3(endpoint="http://minio:9000/"), {})[0] == "http://minio:9000"
    assert resolve_endpoint(_s3(endpoint="minio:9000"), {"AWS_ENDPOINT_URL": "http://127.0.0.1:9"}) == (
        "http://127.0.0.1:9",
        "from $AWS_ENDPOINT_URL",
    )
    both = {"AWS_ENDPOINT_URL": "http://a:1", "AWS_ENDPOINT_URL_S3": "http://b:2"}
    assert resolve_endpoint(_s3(), both) == ("http://b:2", "from $AWS_ENDPOINT_URL_S3")
    assert resolve_endpoint(_s3(region="eu-west-1"), {}) == (None, "AWS S3, region eu-west-1")


def test_half_credentials_are_refused() -> None:
    with pytest.raises(StoreError, match=r"\$AWS_ACCESS_KEY_ID is set but \$AWS_SECRET_ACCESS_KEY is not"):
        S3Store.from_config(_s3(), env={"AWS_ACCESS_KEY_ID": "x"})


def test_no_bucket_is_refused() -> None:
    with pytest.raises(StoreError, match=r"names no bucket"):
        S3Store.from_config(S3(repository="default"), env={})


def test_store_error_is_an_athena_error() -> None:
    assert issubclass(StoreError, AthenaError)
    assert issubclass(ObjectNotFoundError, StoreError)


# ---------------------------------------------------------------------------------------- round trips


def test_bytes_round_trip_exists_and_head(store: S3Store) -> None:
    key = _key()
    assert not store.exists(key)
    assert store.head(key) is None
    store.put_bytes(b"hello athena", key, metadata={SHA256_METADATA: "abc", "Athena-Digest": "d1"})
    assert store.exists(key)
    info = store.head(key)
    assert info is not None
    assert info.key == key and info.size == 12
    assert info.etag == f'"{hashlib.md5(b"hello athena").hexdigest()}"'
    assert info.metadata == {SHA256_METADATA: "abc", "athena-digest": "d1"}
    assert info.sha256 == "abc"
    assert info.last_modified is not None
    assert store.get_bytes(key) == b"hello athena"
    assert store.url(key) == f"s3://{BUCKET}/{key}"


def test_small_file_is_one_put(store: S3Store, tmp_path: Path) -> None:
    src = tmp_path / "small.bin"
    src.write_bytes(b"x" * 1000)
    calls: list[tuple[int, int]] = []
    info = store.put_file(src, _key(), progress=lambda d, t: calls.append((d, t)), content_type="text/plain")
    assert info.etag is not None and "-" not in info.etag
    assert calls == [(0, 1000), (1000, 1000)]


def test_large_file_multipart_with_progress(store: S3Store, tmp_path: Path) -> None:
    size = 12 * 1024 * 1024 + 123  # > 10 MB: two 8 MiB parts
    data = os.urandom(size)
    src = tmp_path / "big.bin"
    src.write_bytes(data)
    sha = hashlib.sha256(data).hexdigest()
    key = _key()

    up: list[tuple[int, int]] = []
    put = store.put_file(src, key, progress=lambda d, t: up.append((d, t)), metadata={SHA256_METADATA: sha})
    assert put.etag is not None and put.etag.strip('"').endswith("-2")  # a real multipart upload
    assert up[0] == (0, size) and up[-1] == (size, size)
    assert len(up) >= 3
    assert all(t == size for _, t in up)
    assert [d for d, _ in up] == sorted(d for d, _ in up)

    info = store.head(key)
    assert info is not None and info.size == size and info.sha256 == sha

    dest = tmp_path / "out" / "big.bin"
    down: list[tuple[int, int]] = []
    got = store.get_file(key, dest, progress=lambda d, t: down.append((d, t)))
    assert dest.read_bytes() == data
    assert got.sha256 == sha
    assert down[0] == (0, size) and down[-1] == (size, size) and len(down) > 2
    assert [p.name for p in dest.parent.iterdir()] == ["big.bin"]  # no partial file left behind
    assert size > CHUNK_SIZE


def test_download_is_checked_against_sha256(store: S3Store, tmp_path: Path) -> None:
    key = _key()
    store.put_bytes(b"content", key, metadata={SHA256_METADATA: "0" * 64})
    dest = tmp_path / "x.bin"
    with pytest.raises(StoreError, match=r"is corrupt: its sha256 is [0-9a-f]{64}, .* says 0{64}"):
        store.get_file(key, dest)
    assert not dest.exists() and list(tmp_path.iterdir()) == []


def test_config_endpoint_without_override(fast: Timeouts, moto_endpoint: str, s3_client: Any) -> None:
    """The configured endpoint, scheme-less as Argo wants it, gets http:// from ``insecure``."""
    hostport = moto_endpoint.removeprefix("http://")
    store = S3Store.from_config(
        _s3(endpoint=hostport, insecure=True),
        env={"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"},
        timeouts=fast,
    )
    assert store.endpoint == moto_endpoint
    key = _key()
    store.put_bytes(b"1", key)
    assert store.get_bytes(key) == b"1"


def test_process_environment_is_the_default(
    fast: Timeouts, moto_endpoint: str, s3_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    store = S3Store.from_config(_s3(endpoint="minio.argo.svc:9000", insecure=True), timeouts=fast)
    assert store.where == f"{moto_endpoint} (from $AWS_ENDPOINT_URL)"
    key = _key()
    store.put_bytes(b"2", key)
    assert store.exists(key)


# ---------------------------------------------------------------------------------------- failures


def test_missing_key(store: S3Store, tmp_path: Path) -> None:
    key = _key()
    with pytest.raises(ObjectNotFoundError, match=rf"cannot download s3://{BUCKET}/{key} at .*: no such object"):
        store.get_bytes(key)
    with pytest.raises(ObjectNotFoundError):
        store.get_file(key, tmp_path / "f")
    assert list(tmp_path.iterdir()) == []


def test_missing_bucket(fast: Timeouts, env: dict[str, str], moto_endpoint: str, tmp_path: Path) -> None:
    store = S3Store.from_config(_s3(bucket="no-such-bucket"), env=env, timeouts=fast)
    expected = (
        rf"s3://no-such-bucket/k at {moto_endpoint} \(from \$AWS_ENDPOINT_URL\): bucket 'no-such-bucket' "
        r"does not exist there; check \[artifact_repository.s3\].bucket and the endpoint, or create the bucket"
    )
    for call in (
        lambda: store.exists("k"),  # a HEAD 404 has no body: the store asks again to tell bucket from key
        lambda: store.head("k"),
        lambda: store.put_bytes(b"x", "k"),
        lambda: store.get_bytes("k"),
        lambda: store.get_file("k", tmp_path / "k"),
    ):
        with pytest.raises(StoreError, match=expected) as err:
            call()
        assert not isinstance(err.value, ObjectNotFoundError)
        _clean(err.value)


@pytest.fixture
def moto_auth(
    moto_endpoint: str, boto: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, str]]:
    """Turn on moto's IAM checks; yields the keys of an IAM user that has no policy at all."""
    import moto.settings

    iam = boto(moto_endpoint, "iam")
    user = f"nobody-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=user)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    monkeypatch.setattr(moto.settings, "INITIAL_NO_AUTH_ACTION_COUNT", 0)
    yield {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}


def test_wrong_credentials(
    fast: Timeouts, env: dict[str, str], moto_endpoint: str, moto_auth: dict[str, str]
) -> None:
    store = S3Store.from_config(_s3(), env={**env, "AWS_ACCESS_KEY_ID": "AKIAWRONG"}, timeouts=fast)
    with pytest.raises(StoreError) as err:
        store.put_bytes(b"x", "k")
    assert str(err.value) == (
        f"cannot upload s3://{BUCKET}/k at {moto_endpoint} (from $AWS_ENDPOINT_URL): the credentials were "
        "rejected (InvalidAccessKeyId); check $AWS_ACCESS_KEY_ID / $AWS_SECRET_ACCESS_KEY / $AWS_SESSION_TOKEN"
    )
    _clean(err.value)
    with pytest.raises(StoreError, match=r"cannot look up .*: access denied \(HTTP 403\); check that the "
                       r"credentials .* are valid and may look up objects in bucket 'athena-test' "
                       r"\(S3 also answers 403 for a missing object when s3:ListBucket is not granted\)"):
        store.head("k")


def test_access_denied(fast: Timeouts, env: dict[str, str], moto_auth: dict[str, str]) -> None:
    store = S3Store.from_config(_s3(), env={**env, **moto_auth}, timeouts=fast)
    with pytest.raises(StoreError, match=r"cannot upload s3://athena-test/k at .*: access denied "
                       r"\(HTTP 403, AccessDenied\); check that the credentials .* may upload objects"):
        store.put_bytes(b"x", "k")


def test_unreachable_endpoint(fast: Timeouts, unreachable: str) -> None:
    store = S3Store.from_config(_s3(), env={"AWS_ENDPOINT_URL": unreachable, "AWS_ACCESS_KEY_ID": "a",
                                            "AWS_SECRET_ACCESS_KEY": "b"}, timeouts=fast)  # fmt: skip
    with pytest.raises(StoreError) as err:
        store.exists("bundle.tar.gz")
    assert str(err.value) == (
        f"cannot look up s3://{BUCKET}/bundle.tar.gz at {unreachable} (from $AWS_ENDPOINT_URL): cannot "
        "connect; check that the endpoint is right, reachable and serving S3"
    )
    _clean(err.value)


def test_no_credentials_at_all(fast: Timeouts, env: dict[str, str], unreachable: str,
                               monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """No keys in the environment and no instance metadata service (pointed at a dead port)."""
    monkeypatch.setenv("AWS_METADATA_ENDPOINT", unreachable)  # obstore's chain reads the process env
    store = S3Store.from_config(_s3(), env={"AWS_ENDPOINT_URL": env["AWS_ENDPOINT_URL"]}, timeouts=fast)
    with pytest.raises(StoreError) as err:
        store.exists("k")
    assert str(err.value).endswith(
        ": no credentials found: set $AWS_ACCESS_KEY_ID and $AWS_SECRET_ACCESS_KEY, or run where an ambient "
        "identity (IRSA / web identity, ECS task role, EC2 instance profile) is available"
    )
    _clean(err.value)


def test_endpoint_that_never_answers() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # connections are accepted by the kernel, and nobody ever answers
        endpoint = f"http://127.0.0.1:{silent.getsockname()[1]}"
        store = S3Store.from_config(
            _s3(),
            env={"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"},
            timeouts=Timeouts(connect=1.0, request=1.0, retries=0, retry_total=1.0),
        )
        with pytest.raises(StoreError, match=rf"cannot download s3://{BUCKET}/k at {endpoint} .*: no answer "
                           r"within 1s \(after 0 retries\); check that the endpoint is right and reachable"):
            store.get_bytes("k")
        # the request timeout ended it: exactly one connection (retries=0), and the request was sent on it
        requests = _accepted_requests(silent)
        assert len(requests) == 1 and requests[0].startswith(f"GET /{BUCKET}/k ".encode()), requests


def _accepted_requests(listener: socket.socket) -> list[bytes]:
    """The first bytes of every connection the kernel accepted on ``listener`` (no more will come)."""
    listener.setblocking(False)
    out = []
    while True:
        try:
            conn, _ = listener.accept()
        except BlockingIOError:
            return out
        with conn:
            conn.settimeout(1.0)
            try:
                out.append(conn.recv(200))
            except OSError:
                out.append(b"")


def test_https_to_a_plain_http_endpoint(fast: Timeouts, moto_endpoint: str, s3_client: Any) -> None:
    hostport = moto_endpoint.removeprefix("http://")
    store = S3Store.from_config(
        _s3(endpoint=hostport, insecure=False), env={"AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"},
        timeouts=fast,
    )
    with pytest.raises(StoreError) as err:
        store.head("k")
    assert str(err.value) == (
        f"cannot look up s3://{BUCKET}/k at https://{hostport} ([artifact_repository.s3].endpoint): the TLS "
        "handshake failed; if the endpoint serves plain HTTP set [artifact_repository.s3].insecure = true (or "
        "give $AWS_ENDPOINT_URL an http:// URL), else check its certificate"
    )
    _clean(err.value)


def test_unknown_host(fast: Timeouts) -> None:
    store = S3Store.from_config(
        _s3(endpoint="minio.argo.svc.cluster.invalid:9000", insecure=True),
        env={"AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"},
        timeouts=fast,
    )
    with pytest.raises(StoreError) as err:
        store.head("k")
    message = str(err.value)
    assert message.startswith(
        f"cannot look up s3://{BUCKET}/k at http://minio.argo.svc.cluster.invalid:9000 "
        "([artifact_repository.s3].endpoint): "
    )
    # Resolvers differ: most say "dns error" at once; a sandbox without DNS may refuse the connection.
    assert "cannot resolve host 'minio.argo.svc.cluster.invalid'" in message or "cannot connect" in message
    _clean(err.value)


def _clean(err: StoreError) -> None:
    """A user-facing message: one line, no Rust debug dump, no XML; obstore's text kept in ``detail``."""
    message = str(err)
    assert "\n" not in message and "Debug source" not in message and "<" not in message
    assert err.detail and err.__cause__ is None and err.__suppress_context__
