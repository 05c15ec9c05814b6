"""Large or binary values travel as S3 artifacts: `Artifact[T]` returns and parameters are DAG-wired."""

from athena import Artifact, container, workflow


@container
def render(pages: int) -> Artifact[bytes]:
    """Produce a large file; the runtime uploads /athena/out/return."""
    raise NotImplementedError("runs in a pod")


@container
def compress(doc: Artifact[bytes], level: int = 6) -> Artifact[bytes]:
    raise NotImplementedError("runs in a pod")


@container
def size_of(doc: Artifact[bytes]) -> int:
    raise NotImplementedError("runs in a pod")


@workflow
def report(pages: int, small: bool = False) -> Artifact[bytes]:
    doc = render(pages)
    packed = compress(doc, level=9) if small else compress(doc, level=1)
    size_of(packed)
    return packed
