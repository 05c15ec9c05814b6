"""Artifact[T]: returns uploaded from /athena/out/return, parameters wired as DAG artifacts."""

from athena import Artifact, container, workflow


@container
def render(pages: int) -> Artifact[bytes]:
    return Artifact.of(b"x" * pages)


@container
def size_of(doc: Artifact[bytes]) -> int:
    return 0


@workflow
def report(pages: int) -> Artifact[bytes]:
    doc = render(pages)
    size_of(doc)
    return doc


@workflow
def measure(doc: Artifact[bytes]) -> int:
    return size_of(doc)
