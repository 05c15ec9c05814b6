"""Value types that cross step boundaries: ``Outcome[T]`` and ``Artifact[T]``.

Pod-safe: imports nothing beyond the standard library.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

T_co = TypeVar("T_co", covariant=True)

Phase = Literal["Succeeded", "Failed", "Error"]


@dataclass(frozen=True, slots=True)
class Outcome(Generic[T_co]):
    """The result of a task run with ``continue_on``: its value if it succeeded, else its phase.

    Wire format: ``{"value": <T JSON or null>, "phase": "Succeeded"|"Failed"|"Error", "exit_code": <int|null>}``.
    """

    value: T_co | None
    phase: Phase
    exit_code: int | None = None

    @property
    def ok(self) -> bool:
        return self.phase == "Succeeded"


class Artifact(Generic[T_co]):
    """A large or binary value that travels as an S3 artifact instead of a parameter.

    The pod-side ``load()`` and ``path`` arrive with the pod runtime.
    """

    __slots__ = ("_path",)

    def __init__(self, path: str) -> None:
        self._path = path

    @property
    def path(self) -> str:
        return self._path

    def __repr__(self) -> str:
        return f"Artifact({self._path!r})"
