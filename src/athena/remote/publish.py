"""Bundles in S3: ``athena publish`` (DESIGN §6) and the download behind ``emulate`` (§5.2 Identity).

A bundle tarball holds a single top-level ``bin/`` with ``bin/manifest.json``::

    {"protocol": ..., "digest": ..., "project": ..., "version": ..., "python": ..., "interpreter": ...,
     "targets": ["x86_64", "aarch64"]}

``publish`` puts it at ``[artifact].key`` filled from that manifest and never overwrites a key holding
different content: the sha256 it stores as object metadata ``athena-sha256`` (else size and ETag) tells
whether an existing object is the same bundle (a no-op) or another (an error: the digest should have
changed). Keys contain ``{digest}``, so a published key is immutable and downloads are cached by key.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from athena.bundle.identity import bundle_key, project_identity
from athena.config import S3, Config, cache_dir
from athena.filehash import sha256_file
from athena.remote.store import (
    CHUNK_SIZE,
    SHA256_METADATA,
    ObjectInfo,
    ObjectNotFoundError,
    Progress,
    S3Store,
    StoreError,
    Timeouts,
)
from athena.runtime import protocol

__all__ = [
    "MANIFEST",
    "BundleManifest",
    "bundle_cache_dir",
    "bundle_exists",
    "bundle_key",
    "fetch_bundle",
    "project_identity",
    "publish",
    "published_url",
    "read_manifest",
    "require_bucket",
]

#: The manifest's path inside a bundle tarball.
MANIFEST = protocol.MANIFEST_MEMBER


@dataclass(frozen=True, slots=True)
class BundleManifest:
    """``bin/manifest.json`` of a bundle tarball."""

    protocol: Any
    digest: str
    project: str
    version: str
    python: str
    interpreter: str
    targets: tuple[str, ...]


# ---------------------------------------------------------------------------------------------- keys


# ------------------------------------------------------------------------------------------- publish


def read_manifest(tarball: Path) -> BundleManifest:
    """The manifest of a bundle tarball; ``StoreError`` when the file is not a readable bundle."""
    if not tarball.is_file():
        raise StoreError(f"{tarball}: no such bundle tarball; build one with `athena build`")
    try:
        data = protocol.read_manifest(str(tarball))
    except protocol.ManifestError as exc:
        raise StoreError(f"{tarball}: not an athena bundle ({exc}); build one with `athena build`") from None
    assert data is not None  # a tarball always has a manifest or raises
    missing = [name for name in protocol.MANIFEST_FIELDS if name not in data]
    if missing:
        raise StoreError(f"{tarball}: {MANIFEST} lacks {', '.join(missing)}; rebuild it with `athena build`")
    strings: dict[str, str] = {}
    for name in ("digest", "project", "version", "python", "interpreter"):
        value = data[name]
        if not isinstance(value, str) or (name in ("digest", "project") and not value):
            raise StoreError(f"{tarball}: {MANIFEST}: {name} must be a non-empty string, got {value!r}")
        strings[name] = value
    targets = data["targets"]
    if not isinstance(targets, list) or not all(isinstance(t, str) for t in targets):
        raise StoreError(f"{tarball}: {MANIFEST}: targets must be a list of strings, got {targets!r}")
    return BundleManifest(protocol=data["protocol"], targets=tuple(targets), **strings)


def publish(
    config: Config,
    tarball: Path,
    *,
    key: str | None = None,
    dry_run: bool = False,
    env: Mapping[str, str] = os.environ,
    progress: Progress | None = None,
    notify: Callable[[str], None] | None = None,
    timeouts: Timeouts | None = None,
) -> str:
    """Upload a bundle tarball to its key; returns ``s3://bucket/key``.

    Refuses a tarball lacking a ``[bootstrap].targets`` entry. ``key`` overrides ``[artifact].key``.
    ``dry_run`` checks the tarball and returns the URL without contacting S3. An existing key with the
    same content is left alone (``notify`` hears ``already published s3://…``); one with different
    content is an error.
    """
    s3, bucket = require_bucket(config)
    manifest = read_manifest(tarball)
    lacking = [t for t in config.bootstrap.targets if t not in manifest.targets]
    if lacking:
        has = ", ".join(manifest.targets) or "none"
        raise StoreError(
            f"{tarball} lacks target {', '.join(lacking)} of [bootstrap].targets (it has {has}); pods on "
            "that architecture could not start. Build all targets (`athena build` without --target) "
            "and publish that tarball"
        )
    key = key or bundle_key(config, digest=manifest.digest, project=manifest.project, version=manifest.version)
    url = f"s3://{bucket}/{key}"
    if dry_run:
        return url
    store = S3Store.from_config(s3, env=env, timeouts=timeouts)
    sha256, size = sha256_file(tarball), tarball.stat().st_size
    existing = store.head(key)
    if existing is not None:
        if _same_content(existing, tarball, sha256, size):
            if notify:
                notify(f"already published {url} (same content)")
            return url
        there = f"sha256 {existing.sha256}" if existing.sha256 else f"{existing.size} bytes, ETag {existing.etag}"
        raise StoreError(
            f"{url} already exists with different content ({there}; {tarball} has sha256 {sha256}, "
            f"{size} bytes) and athena never overwrites a published bundle. The bundle digest "
            f"({manifest.digest}) should have changed when its content did: rebuild with `athena build` "
            "from the current sources and publish the new tarball (or remove the object if it is a "
            "broken upload)"
        )
    if notify:
        notify(f"uploading {tarball} ({size} bytes) to {url}")
    store.put_file(
        tarball,
        key,
        progress=progress,
        metadata={SHA256_METADATA: sha256, "athena-digest": manifest.digest},
        content_type="application/gzip",
    )
    return url


def require_bucket(config: Config) -> tuple[S3, str]:
    """The configured S3 repository and its bucket; a StoreError saying what to configure when there is none.

    ``athena publish`` asks first, before it builds anything."""
    s3 = config.artifact_repository.s3
    if s3 is None or not s3.bucket:
        where = f" ({config.source})" if config.source else ""
        raise StoreError(
            "publish needs [artifact_repository.s3] with a bucket (and an endpoint unless it is AWS S3); "
            f"add it to the athena configuration{where}"
        )
    return s3, s3.bucket


def published_url(
    config: Config, key: str, *, env: Mapping[str, str] = os.environ, timeouts: Timeouts | None = None
) -> str | None:
    """``s3://bucket/key`` when ``key`` already holds an object, else None. Keys contain the digest of the
    bundle's inputs, so an existing key is this bundle: ``athena publish`` then builds nothing."""
    s3, bucket = require_bucket(config)
    store = S3Store.from_config(s3, env=env, timeouts=timeouts)
    return f"s3://{bucket}/{key}" if store.head(key) is not None else None


def _same_content(info: ObjectInfo, path: Path, sha256: str, size: int) -> bool:
    """Whether the object holds the file: by athena's sha256 metadata, else by size and ETag."""
    if info.sha256:
        return info.sha256 == sha256
    if info.size != size or not info.etag:
        return False
    etag = info.etag.strip('"').lower()
    count = etag.rpartition("-")[2] if "-" in etag else None
    if count is None:
        return etag == _md5(path)  # a single PUT: the MD5 of the content
    if not count.isdigit() or int(count) < 1:
        return False
    # A multipart ETag is the MD5 of the parts' MD5s plus "-<parts>"; the part size is not recorded,
    # so try athena's, the common tool defaults, and the even split rounded up to a MiB.
    mib = 1024 * 1024
    even = -(-size // int(count))
    guesses = {CHUNK_SIZE, 5 * mib, 8 * mib, 16 * mib, 64 * mib, even, -(-even // mib) * mib}
    return any(
        -(-size // part) == int(count) and _multipart_etag(path, part) == etag for part in sorted(guesses)
    )


def _md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as f:
        while chunk := f.read(CHUNK_SIZE):
            digest.update(chunk)
    return digest.hexdigest()


def _multipart_etag(path: Path, part: int) -> str:
    sums: list[bytes] = []
    with path.open("rb") as f:
        while chunk := f.read(part):
            sums.append(hashlib.md5(chunk, usedforsecurity=False).digest())
    return f"{hashlib.md5(b''.join(sums), usedforsecurity=False).hexdigest()}-{len(sums)}"


# ------------------------------------------------------------------------------------------ download


def bundle_cache_dir(env: Mapping[str, str] = os.environ) -> Path:
    """Where downloaded bundles are kept: ``bundles/`` in athena's cache (:func:`athena.config.cache_dir`)."""
    return cache_dir(env) / "bundles"


def fetch_bundle(
    config: Config,
    key: str,
    dest: Path | None = None,
    *,
    env: Mapping[str, str] = os.environ,
    progress: Progress | None = None,
    timeouts: Timeouts | None = None,
) -> Path:
    """The local path of the bundle at ``key``, downloading it into the cache when not there yet.

    The file is ``<dest or bundle_cache_dir(env)>/<bucket>/<key>``. Keys hold the digest and are never
    overwritten, so a cached file is reused without contacting S3.
    """
    s3 = config.artifact_repository.s3
    if s3 is None or not s3.bucket:
        raise StoreError(
            "fetching a bundle needs [artifact_repository.s3] with a bucket; add it to the athena "
            "configuration, or pass a local tarball (--tarball / --build)"
        )
    parts = PurePosixPath(key).parts
    if not parts or key.startswith("/") or any(p in ("..", ".") for p in parts):
        raise StoreError(f"bundle key {key!r} is not a plain relative key")
    path = (dest if dest is not None else bundle_cache_dir(env)).joinpath(s3.bucket, *parts)
    if path.is_file():
        if progress:
            size = path.stat().st_size
            progress(size, size)
        return path
    store = S3Store.from_config(s3, env=env, timeouts=timeouts)
    try:
        store.get_file(key, path, progress=progress)
    except ObjectNotFoundError as exc:
        raise StoreError(
            f"bundle {store.url(key)} not found (at {store.where}); run `athena publish` first",
            detail=exc.detail,
        ) from None
    return path


def bundle_exists(
    config: Config, key: str, *, env: Mapping[str, str] = os.environ, timeouts: Timeouts | None = None
) -> bool:
    """Whether ``key`` exists in the configured bucket (``submit``'s bundle check)."""
    s3 = config.artifact_repository.s3
    if s3 is None or not s3.bucket:
        raise StoreError("checking the bundle needs [artifact_repository.s3] with a bucket")
    return S3Store.from_config(s3, env=env, timeouts=timeouts).exists(key)
