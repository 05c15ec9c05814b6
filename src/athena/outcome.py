"""Value types that cross step boundaries: ``Outcome[T]`` and ``Artifact[T]``.

Pod-safe: imports nothing beyond the standard library.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

T = TypeVar("T")
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


_UNSET: Any = object()


class Artifact(Generic[T_co]):
    """A large or binary value that travels as an S3 artifact instead of a parameter.

    In a pod a parameter ``doc: Artifact[bytes]`` arrives as a file: ``doc.path``, ``doc.load()``. A container
    returns ``Artifact.of(value)`` (or an Artifact of a file it wrote) and athena uploads it.
    """

    __slots__ = ("_kind", "_path", "_value")

    def __init__(self, path: str | None = None, *, kind: Any = bytes, value: Any = _UNSET) -> None:
        self._path = path
        self._kind = kind
        self._value = value

    @classmethod
    def of(cls, value: T) -> Artifact[T]:
        """An artifact holding ``value`` (bytes and str are written as they are, anything else as JSON)."""
        return Artifact(None, kind=type(value), value=value)

    @property
    def has_value(self) -> bool:
        return self._value is not _UNSET

    @property
    def path(self) -> str:
        if self._path is None:
            raise ValueError("this Artifact holds a value in memory, not a file")
        return self._path

    def load(self) -> T_co:
        """The value: bytes, text, or JSON decoded as the declared ``T``."""
        if self._value is not _UNSET:
            value: T_co = self._value
            return value
        with open(self.path, "rb") as f:
            data = f.read()
        if self._kind is bytes:
            return data  # type: ignore[return-value]
        if self._kind is str:
            return data.decode("utf-8")  # type: ignore[return-value]
        from athena.runtime import codec

        decoded: T_co = codec.decode(data.decode("utf-8"), self._kind)
        return decoded

    def __repr__(self) -> str:
        return f"Artifact({self._path!r})" if self._value is _UNSET else f"Artifact.of({self._value!r})"
