# docs/examples/large_values.py
"""Large or binary values travel as S3 artifacts: Artifact[T] returns and parameters are wired in the DAG."""

import os

from athena import Artifact, container, workflow


@container
def render(pages: int) -> Artifact[bytes]:
    # Producing an Artifact needs the pod runtime, which is not available yet (see the guide).
    raise NotImplementedError


@container
def size_of(doc: Artifact[bytes]) -> int:
    return os.path.getsize(doc.path)  # the input artifact is a file in the pod


@workflow
def report(pages: int) -> Artifact[bytes]:
    doc = render(pages)
    size_of(doc)  # `doc` is passed as an artifact, not as a parameter
    return doc
