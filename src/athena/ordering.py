"""``athena.parallel()``: the block that puts calls of a ``steps=True`` workflow in one parallel group.

A workflow body is read, never run, so the block does nothing when executed; it exists so that the body is
ordinary Python that type checkers accept. Safe in pods: it imports only the standard library.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


@contextlib.contextmanager
def parallel() -> Iterator[None]:
    """``with athena.parallel(): a(); b()``: the calls in the block run side by side (one steps group)."""
    yield
