"""Sub-documents that never change, so the fast writer renders each one once and reuses the text.

The emitter builds the same blocks for every container template (volumes, security contexts, the
bundle's S3 artifact). Built once with :func:`frozen` and shared, such a block is written once per
indentation; as a ``dict``/``tuple`` subclass it still reads, compares and serializes like the plain value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NoReturn

__all__ = ["FrozenDict", "FrozenList", "frozen"]


class FrozenDict(dict[str, Any]):
    """A mapping that refuses every change (its rendered text is cached by identity)."""

    __slots__ = ()

    def _refuse(self) -> NoReturn:
        raise TypeError("a frozen YAML sub-document cannot change; build a new dict instead")

    def __setitem__(self, key: str, value: Any) -> NoReturn:
        self._refuse()

    def __delitem__(self, key: str) -> NoReturn:
        self._refuse()

    def __ior__(self, other: Any) -> NoReturn:  # type: ignore[misc]
        self._refuse()

    def clear(self) -> NoReturn:
        self._refuse()

    def pop(self, *args: Any, **kwargs: Any) -> NoReturn:
        self._refuse()

    def popitem(self) -> NoReturn:
        self._refuse()

    def setdefault(self, *args: Any, **kwargs: Any) -> NoReturn:
        self._refuse()

    def update(self, *args: Any, **kwargs: Any) -> NoReturn:
        self._refuse()

    def __copy__(self) -> FrozenDict:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> FrozenDict:
        return self

    def __reduce__(self) -> tuple[type[FrozenDict], tuple[dict[str, Any]]]:
        return (FrozenDict, (dict(self),))


class FrozenList(list[Any]):
    """A list that refuses every change (its rendered text is cached by identity). A ``list`` subclass, not a
    tuple, so schema validators and JSON encoders see an array."""

    __slots__ = ()

    def _refuse(self) -> NoReturn:
        raise TypeError("a frozen YAML sub-document cannot change; build a new list instead")

    def __setitem__(self, index: Any, value: Any) -> NoReturn:
        self._refuse()

    def __delitem__(self, index: Any) -> NoReturn:
        self._refuse()

    def __iadd__(self, other: Any) -> NoReturn:  # type: ignore[misc]
        self._refuse()

    def __imul__(self, other: Any) -> NoReturn:  # type: ignore[misc]
        self._refuse()

    def append(self, value: Any) -> NoReturn:
        self._refuse()

    def extend(self, values: Any) -> NoReturn:
        self._refuse()

    def insert(self, index: Any, value: Any) -> NoReturn:
        self._refuse()

    def pop(self, *args: Any) -> NoReturn:
        self._refuse()

    def remove(self, value: Any) -> NoReturn:
        self._refuse()

    def clear(self) -> NoReturn:
        self._refuse()

    def sort(self, *args: Any, **kwargs: Any) -> NoReturn:
        self._refuse()

    def reverse(self) -> NoReturn:
        self._refuse()

    def __copy__(self) -> FrozenList:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> FrozenList:
        return self

    def __reduce__(self) -> tuple[type[FrozenList], tuple[list[Any]]]:
        return (FrozenList, (list(self),))


def frozen(value: Any) -> Any:
    """``value`` with every mapping made a :class:`FrozenDict` and every list or tuple a :class:`FrozenList`."""
    if isinstance(value, Mapping):
        return FrozenDict({k: frozen(v) for k, v in value.items()})
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return FrozenList(frozen(v) for v in value)
    return value
