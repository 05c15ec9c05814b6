"""The values users pass to decorator options: ``Retry``, ``TTL``.

Pod-safe: a pod imports the user's module, which evaluates ``@container(retry=Retry(...))``, so this module
imports only ``dataclasses``. The validation and the normalized forms are the compiler's
(:mod:`athena.compile.options`).
"""

from __future__ import annotations

from dataclasses import dataclass

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations are strings here: a pod need not import typing for them
    from collections.abc import Sequence
    from typing import Literal

__all__ = ["TTL", "Retry"]


@dataclass(frozen=True)
class Retry:
    """``retryStrategy``. ``limit`` counts retries (so at most limit+1 attempts)."""

    limit: int | Literal["unlimited"] = 3
    policy: str | None = None  # Argo's default: OnFailure, or Always with on_exit_codes
    backoff: int | str | None = None
    factor: int | None = None
    cap: int | str | None = None
    max_duration: int | str | None = None
    on_exit_codes: Sequence[int] = ()


@dataclass(frozen=True)
class TTL:
    """``ttlStrategy`` of a submitted root: seconds (or durations) after the workflow finished."""

    after_completion: int | str | None = None
    after_success: int | str | None = None
    after_failure: int | str | None = None
