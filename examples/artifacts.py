"""Large or binary values travel as S3 artifacts: `Artifact[T]` returns and parameters are DAG-wired."""

import os
import zlib

from athena import Artifact, container, workflow


@container
def render(pages: int) -> Artifact[bytes]:
    """Produce a large file; the runtime writes it to /athena/out/return and Argo uploads it."""
    return Artifact.of(b"".join(b"page %d of %d\n" % (n, pages) for n in range(1, pages + 1)))


@container
def compress(doc: Artifact[bytes], level: int = 6) -> Artifact[bytes]:
    return Artifact.of(zlib.compress(doc.load(), level))  # .load() reads the input file as the declared type


@container
def size_of(doc: Artifact[bytes]) -> int:
    return os.path.getsize(doc.path)  # an input artifact is a file in the pod: /athena/in/doc


@workflow
def report(pages: int, small: bool = False) -> Artifact[bytes]:
    doc = render(pages)
    packed = compress(doc, level=9) if small else compress(doc, level=1)
    size_of(packed)
    return packed
