# docs/examples/large_values.py
"""Large or binary values travel as S3 artifacts: Artifact[T] returns and parameters are wired in the DAG."""

import hashlib
import os

from athena import Artifact, container, workflow


@container
def render(pages: int) -> Artifact[bytes]:
    # The runtime writes the value to /athena/out/return; Argo uploads it.
    return Artifact.of(b"%PDF-1.7\n" + b"page\n" * pages)


@container
def size_of(doc: Artifact[bytes]) -> int:
    return os.path.getsize(doc.path)  # the input artifact is a file in the pod


@container
def checksum(doc: Artifact[bytes]) -> str:
    return hashlib.sha256(doc.load()).hexdigest()  # .load() reads it as the declared type


@workflow
def report(pages: int) -> Artifact[bytes]:
    doc = render(pages)
    size_of(doc)  # `doc` is passed as an artifact, not as a parameter
    checksum(doc)
    return doc
