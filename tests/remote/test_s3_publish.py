"""``publish`` / ``fetch_bundle`` against a real S3-protocol server (moto, see conftest.py)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import pytest

from athena.argo.emit import EmitSettings
from athena.config import Config
from athena.remote.publish import (
    bundle_cache_dir,
    bundle_key,
    fetch_bundle,
    project_identity,
    publish,
    read_manifest,
)
from athena.remote.store import SHA256_METADATA, S3Store, StoreError, Timeouts

MakeTarball = Callable[..., Path]


def _store(config: Config, env: dict[str, str], fast: Timeouts) -> S3Store:
    assert config.artifact_repository.s3 is not None
    return S3Store.from_config(config.artifact_repository.s3, env=env, timeouts=fast)


# ---------------------------------------------------------------------------------------------- keys


def test_bundle_key_agrees_with_emit(make_config: Callable[..., Config]) -> None:
    config = make_config(project="My_Flows", key="b/{project}/{version}/{digest}.tgz")
    assert project_identity(config) == ("my-flows", "0.0.0")
    assert bundle_key(config, digest="d1") == "b/my-flows/0.0.0/d1.tgz"
    assert bundle_key(config, digest="d1") == EmitSettings.from_config(config, digest="d1").bundle_key
    assert bundle_key(config, digest="d2", project="Other.Name", version="2.0") == "b/other-name/2.0/d2.tgz"


# --------------------------------------------------------------------------------------------- publish


def test_publish_uploads_to_the_configured_key(
    config: Config, env: dict[str, str], fast: Timeouts, make_tarball: MakeTarball
) -> None:
    tarball = make_tarball(digest="abc123")
    messages: list[str] = []
    progress: list[tuple[int, int]] = []
    url = publish(
        config, tarball, env=env, timeouts=fast, notify=messages.append, progress=lambda d, t: progress.append((d, t))
    )
    key = "athena/demo/abc123/bundle.tar.gz"
    assert url == f"s3://athena-test/{key}"
    data = tarball.read_bytes()
    store = _store(config, env, fast)
    assert store.get_bytes(key) == data
    info = store.head(key)
    assert info is not None
    assert info.metadata == {SHA256_METADATA: hashlib.sha256(data).hexdigest(), "athena-digest": "abc123"}
    assert messages == [f"uploading {tarball} ({len(data)} bytes) to {url}"]
    assert progress[-1] == (len(data), len(data))


def test_republishing_the_same_content_is_a_no_op(
    config: Config, env: dict[str, str], fast: Timeouts, make_tarball: MakeTarball
) -> None:
    tarball = make_tarball()
    url = publish(config, tarball, env=env, timeouts=fast)
    key = url.removeprefix("s3://athena-test/")
    before = _store(config, env, fast).head(key)
    messages: list[str] = []
    assert publish(config, tarball, env=env, timeouts=fast, notify=messages.append) == url
    assert messages == [f"already published {url} (same content)"]
    after = _store(config, env, fast).head(key)
    assert before is not None and after is not None and after.last_modified == before.last_modified


def test_different_content_under_the_same_key_is_refused(
    config: Config, env: dict[str, str], fast: Timeouts, make_tarball: MakeTarball
) -> None:
    first = make_tarball(digest="samedigest1", payload=b"one")
    second = make_tarball(digest="samedigest1", payload=b"two")
    url = publish(config, first, env=env, timeouts=fast)
    with pytest.raises(StoreError) as err:
        publish(config, second, env=env, timeouts=fast)
    message = str(err.value)
    assert message.startswith(f"{url} already exists with different content (sha256 ")
    assert "athena never overwrites a published bundle" in message
    assert "The bundle digest (samedigest1) should have changed when its content did" in message
    assert _store(config, env, fast).get_bytes(url.removeprefix("s3://athena-test/")) == first.read_bytes()


def test_content_put_by_another_tool_is_compared_by_etag(
    config: Config, env: dict[str, str], fast: Timeouts, make_tarball: MakeTarball, s3_client: Any
) -> None:
    """No athena-sha256 metadata (e.g. `aws s3 cp`): size + ETag decide, single PUT and multipart."""
    small = make_tarball()
    key = f"athena/demo/{read_manifest(small).digest}/bundle.tar.gz"
    s3_client.put_object(Bucket="athena-test", Key=key, Body=small.read_bytes())
    assert publish(config, small, env=env, timeouts=fast).endswith(key)

    big = make_tarball(payload=os.urandom(6 * 1024 * 1024))  # two targets: ~12 MiB, beyond one part
    key = f"athena/demo/{read_manifest(big).digest}/bundle.tar.gz"
    info = _store(config, env, fast).put_file(big, key)  # multipart, no metadata
    assert info.etag is not None and info.etag.strip('"').endswith("-2")
    messages: list[str] = []
    publish(config, big, env=env, timeouts=fast, notify=messages.append)
    assert messages == [f"already published s3://athena-test/{key} (same content)"]

    same_size = make_tarball(digest=read_manifest(small).digest, name="other.tar.gz")
    key = f"athena/demo/{read_manifest(same_size).digest}/bundle.tar.gz"
    s3_client.put_object(Bucket="athena-test", Key=key, Body=b"\0" * same_size.stat().st_size)
    with pytest.raises(StoreError, match=r"already exists with different content \(\d+ bytes, ETag "):
        publish(config, same_size, env=env, timeouts=fast)


def test_a_tarball_lacking_a_target_is_refused(
    config: Config, make_tarball: MakeTarball, unreachable: str
) -> None:
    tarball = make_tarball(targets=("x86_64",))
    with pytest.raises(StoreError) as err:
        publish(config, tarball, env={"AWS_ENDPOINT_URL": unreachable})
    assert str(err.value) == (
        f"{tarball} lacks target aarch64 of [bootstrap].targets (it has x86_64); pods on that architecture "
        "could not start. Build all targets (`athena build` without --target) and publish that tarball"
    )


def test_a_tarball_with_more_targets_is_fine(
    make_config: Callable[..., Config], env: dict[str, str], fast: Timeouts, make_tarball: MakeTarball
) -> None:
    config = make_config(targets=("aarch64",))
    assert publish(config, make_tarball(), env=env, timeouts=fast).startswith("s3://athena-test/athena/demo/")


def test_dry_run_does_not_contact_s3(
    config: Config, env: dict[str, str], fast: Timeouts, make_tarball: MakeTarball, unreachable: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tarball = make_tarball(digest="dry1")
    with monkeypatch.context() as m:
        def no_store(*args: Any, **kwargs: Any) -> S3Store:
            raise AssertionError("a dry run opened an S3 store")

        m.setattr(S3Store, "from_config", no_store)
        url = publish(config, tarball, dry_run=True, env={"AWS_ENDPOINT_URL": unreachable})
    assert url == "s3://athena-test/athena/demo/dry1/bundle.tar.gz"
    assert not _store(config, env, fast).exists("athena/demo/dry1/bundle.tar.gz")


def test_explicit_key(config: Config, env: dict[str, str], fast: Timeouts, make_tarball: MakeTarball) -> None:
    url = publish(config, make_tarball(), key="custom/place.tar.gz", env=env, timeouts=fast)
    assert url == "s3://athena-test/custom/place.tar.gz"
    assert _store(config, env, fast).exists("custom/place.tar.gz")


def test_publish_to_a_missing_bucket(
    make_config: Callable[..., Config], env: dict[str, str], fast: Timeouts, make_tarball: MakeTarball
) -> None:
    config = make_config(bucket="no-such-bucket")
    with pytest.raises(StoreError, match=r"bucket 'no-such-bucket' does not exist there"):
        publish(config, make_tarball(), env=env, timeouts=fast)


def test_publish_needs_a_bucket(config: Config, make_tarball: MakeTarball) -> None:
    no_s3 = msgspec.structs.replace(config, artifact_repository=msgspec.structs.replace(
        config.artifact_repository, s3=None))  # fmt: skip
    with pytest.raises(StoreError, match=r"publish needs \[artifact_repository.s3\] with a bucket"):
        publish(no_s3, make_tarball(), dry_run=True)


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        ({"digest": "d"}, r"bin/manifest.json lacks protocol, project, version, python, interpreter, targets"),
        ([1], r"bin/manifest.json must hold a JSON object"),
        ({"protocol": 1, "digest": "", "project": "p", "version": "1", "python": "3.11", "interpreter": "pbs",
          "targets": []}, r"digest must be a non-empty string, got ''"),
        ({"protocol": 1, "digest": "d", "project": "p", "version": "1", "python": "3.11", "interpreter": "pbs",
          "targets": "x86_64"}, r"targets must be a list of strings"),
    ],
)
def test_bad_manifests(make_tarball: MakeTarball, manifest: object, message: str) -> None:
    with pytest.raises(StoreError, match=message):
        read_manifest(make_tarball(manifest=manifest))


def test_not_a_bundle(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"no such bundle tarball; build one with `athena build`"):
        read_manifest(tmp_path / "missing.tar.gz")
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not a tarball")
    with pytest.raises(StoreError, match=r"cannot read the bundle tarball"):
        read_manifest(junk)


# -------------------------------------------------------------------------------------------- download


def test_fetch_bundle_downloads_once_then_uses_the_cache(
    config: Config, env: dict[str, str], fast: Timeouts, make_tarball: MakeTarball, tmp_path: Path,
    unreachable: str,
) -> None:  # fmt: skip
    tarball = make_tarball()
    key = publish(config, tarball, env=env, timeouts=fast).removeprefix("s3://athena-test/")
    cache = tmp_path / "cache"
    path = fetch_bundle(config, key, cache, env=env, timeouts=fast)
    assert path == cache.joinpath("athena-test", *key.split("/"))
    assert path.read_bytes() == tarball.read_bytes()
    # Keys hold the digest and are never overwritten: the cached copy is used without contacting S3.
    assert fetch_bundle(config, key, cache, env={"AWS_ENDPOINT_URL": unreachable}, timeouts=fast) == path


def test_fetch_bundle_default_cache_dir(
    config: Config, env: dict[str, str], fast: Timeouts, make_tarball: MakeTarball, tmp_path: Path
) -> None:
    key = publish(config, make_tarball(), env=env, timeouts=fast).removeprefix("s3://athena-test/")
    path = fetch_bundle(config, key, env={**env, "ATHENA_CACHE": str(tmp_path / "c")}, timeouts=fast)
    assert path.is_relative_to(tmp_path / "c" / "bundles" / "athena-test")
    assert bundle_cache_dir({"XDG_CACHE_HOME": "/x"}) == Path("/x/athena/bundles")


def test_fetch_bundle_missing_key(config: Config, env: dict[str, str], fast: Timeouts, tmp_path: Path) -> None:
    with pytest.raises(StoreError) as err:
        fetch_bundle(config, "athena/demo/nope/bundle.tar.gz", tmp_path, env=env, timeouts=fast)
    assert str(err.value) == (
        f"bundle s3://athena-test/athena/demo/nope/bundle.tar.gz not found (at {env['AWS_ENDPOINT_URL']} "
        "(from $AWS_ENDPOINT_URL)); run `athena publish` first"
    )
    assert not any(p.is_file() for p in tmp_path.rglob("*"))


def test_fetch_bundle_refuses_escaping_keys(config: Config, tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"not a plain relative key"):
        fetch_bundle(config, "../../etc/passwd", tmp_path)
