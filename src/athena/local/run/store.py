"""Where artifacts live during a run: a local directory keyed like an S3 bucket (the default), optionally mirrored to
an S3-protocol endpoint through the repository's client (:mod:`athena.remote.store`) when ``AWS_ENDPOINT_URL`` and
``ATHENA_RUN_BUCKET`` are set."""

from __future__ import annotations

import os
import shutil
import tarfile
from pathlib import Path, PurePosixPath
from typing import Any

from athena import ports
from athena.errors import AthenaError

__all__ = ["ArtifactStore"]


class ArtifactStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.s3: Any = None
        bucket = os.environ.get("ATHENA_RUN_BUCKET")
        if bucket and os.environ.get("AWS_ENDPOINT_URL"):
            from athena.remote.store import S3Store

            self.s3 = S3Store(bucket=bucket, endpoint=os.environ["AWS_ENDPOINT_URL"])

    def path(self, key: str) -> Path:
        try:
            return Path(ports.local_store_path(str(self.root), key))
        except AthenaError as exc:
            raise AthenaError(f"artifact key {key!r}: {exc}") from None

    def save(self, source: Path, key: str, *, raw: bool) -> None:
        """Store the file or directory ``source`` under ``key``: as it is (``archive: none``) or as a ``.tgz``
        holding it under its base name, as Argo's wait container does."""
        dest = self.path(key)
        dest.parent.mkdir(parents=True, exist_ok=True)
        if dest.is_dir() and not dest.is_symlink():
            shutil.rmtree(dest)
        elif os.path.lexists(dest):
            dest.unlink()
        if raw:
            if source.is_dir():
                shutil.copytree(source, dest, symlinks=True)
            else:
                shutil.copyfile(source, dest)
        else:
            with tarfile.open(dest, "w:gz") as tf:
                tf.add(source, arcname=PurePosixPath(source.name).name)
        if self.s3 is not None and dest.is_file():
            self.s3.put_file(dest, key)

    def fetch(self, key: str) -> Path | None:
        """The local file of ``key`` (downloaded from S3 first when mirrored and absent), or None."""
        p = self.path(key)
        if not p.exists() and self.s3 is not None and self.s3.exists(key):
            self.s3.get_file(key, p)
        return p if p.exists() else None
