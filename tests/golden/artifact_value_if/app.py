"""A value-if over Artifact[T] arms: the workflow's artifact output picks the arm that ran."""

from athena import Artifact, container, workflow


@container
def compress(level: int) -> Artifact[bytes]:
    return Artifact.of(b"x" * level)


@workflow
def pack(small: bool = False) -> Artifact[bytes]:
    packed = compress(9) if small else compress(1)
    return packed
