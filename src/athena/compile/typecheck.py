"""Annotations → a closed tree of type nodes, and the checks the compiler needs over it.

Modelled on ``msgspec.inspect.type_info``: everything the lowering and the emitter need to know about a
boundary type (its JSON kind, its fields and their *wire* keys, assignability) is answered here, once,
from the real annotations. Nothing here reads source code.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import functools
import math
import types
import typing
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Union

import msgspec

from athena import codes
from athena.outcome import Artifact, Outcome

# ---------------------------------------------------------------------------------------------- nodes


class AnyT(msgspec.Struct, frozen=True):
    def __str__(self) -> str:
        return "Any"


class ScalarT(msgspec.Struct, frozen=True):
    """str, int, float, bool or None."""

    kind: str

    def __str__(self) -> str:
        return self.kind


class OpaqueT(msgspec.Struct, frozen=True):
    """A type that travels as a JSON string but has no fields (datetime, date, UUID, Decimal…)."""

    name: str

    def __str__(self) -> str:
        return self.name


class ListT(msgspec.Struct, frozen=True):
    item: TypeNode
    kind: str = "list"  # list | tuple | set | frozenset (all JSON arrays)

    def __str__(self) -> str:
        return f"{self.kind}[{self.item}]"


class TupleT(msgspec.Struct, frozen=True):
    items: tuple[TypeNode, ...]

    def __str__(self) -> str:
        return f"tuple[{', '.join(map(str, self.items))}]"


class DictT(msgspec.Struct, frozen=True):
    key: TypeNode
    value: TypeNode

    def __str__(self) -> str:
        return f"dict[{self.key}, {self.value}]"


class UnionT(msgspec.Struct, frozen=True):
    options: tuple[TypeNode, ...]

    def __str__(self) -> str:
        return " | ".join(map(str, self.options))


class LiteralT(msgspec.Struct, frozen=True):
    values: tuple[Any, ...]

    def __str__(self) -> str:
        return f"Literal[{', '.join(map(repr, self.values))}]"


class EnumT(msgspec.Struct, frozen=True):
    name: str
    values: tuple[Any, ...]
    cls: type = msgspec.field()

    def __str__(self) -> str:
        return self.name


class Field(msgspec.Struct, frozen=True):
    name: str  # the Python attribute name
    wire: str | int  # the JSON object key, or the array index (NamedTuple)
    type: TypeNode
    has_default: bool


class StructT(msgspec.Struct, frozen=True):
    """dataclass, TypedDict, NamedTuple, msgspec.Struct or pydantic model."""

    flavour: str
    name: str
    cls: type = msgspec.field()

    def __str__(self) -> str:
        return self.name

    @property
    def fields(self) -> tuple[Field, ...]:
        return _struct_fields(self.cls, self.flavour)


class OutcomeT(msgspec.Struct, frozen=True):
    inner: TypeNode

    def __str__(self) -> str:
        return f"Outcome[{self.inner}]"


class ArtifactT(msgspec.Struct, frozen=True):
    inner: TypeNode

    def __str__(self) -> str:
        return f"Artifact[{self.inner}]"


TypeNode = Union[  # noqa: UP007 - a runtime alias used in isinstance-free matches
    AnyT, ScalarT, OpaqueT, ListT, TupleT, DictT, UnionT, LiteralT, EnumT, StructT, OutcomeT, ArtifactT
]

ANY = AnyT()
NONE = ScalarT("None")
STR = ScalarT("str")
INT = ScalarT("int")
FLOAT = ScalarT("float")
BOOL = ScalarT("bool")


class TypeProblem(Exception):
    """An annotation (or a value) that cannot cross a step boundary; the message says why, ``code`` which
    ATH code reports it (ATH202 unless a more precise one applies)."""

    def __init__(self, message: str, code: str = codes.NOT_BOUNDARY_TYPE) -> None:
        super().__init__(message)
        self.code = code


MAX_SAFE_INT = 2**53 - 1


def check_value(value: Any, what: str) -> Any:
    """``value`` (a module constant, Enum member value or default, already plain data) as JSON, or
    TypeProblem with the code a body literal of the same value would get: ATH216 for an int outside
    ±(2**53-1), ATH220 for a lone surrogate, ATH217 for anything that is not JSON.
    ``what`` names the value in the message (``"module constant `C`"``)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INT:
            raise TypeProblem(f"{what} holds {value}, outside ±(2**53-1)", codes.INT_RANGE)
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise TypeProblem(f"{what} holds {value}; JSON has no NaN or Infinity", codes.BAD_LITERAL)
        return value
    if isinstance(value, str):
        check_text(value, what)
        return value
    if isinstance(value, (list, tuple)):
        return [check_value(v, what) for v in value]
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise TypeProblem(f"{what} has the key {k!r}; JSON object keys must be strings", codes.BAD_LITERAL)
            check_text(k, what)
            out[k] = check_value(v, what)
        return out
    raise TypeProblem(f"{what} holds {_short(value)}, which is not a JSON value", codes.BAD_LITERAL)


def check_text(text: str, what: str) -> None:
    """A string athena writes into YAML: no lone surrogate (ATH220). (`{{` and `$` are fine: every JSON text
    athena writes escapes them, so they arrive byte-exact, DESIGN §5.1.7.)"""
    bad = lone_surrogate(text)
    if bad is not None:
        raise TypeProblem(f"{what} contains the lone surrogate \\u{ord(bad):04x}, which is not Unicode text and "
                          "cannot be written as UTF-8", codes.UNENCODABLE_STRING)


def lone_surrogate(text: str) -> str | None:
    """The first lone surrogate code point in ``text`` (U+D800…U+DFFF), or None."""
    if text.isascii():
        return None
    for ch in text:
        if "\ud800" <= ch <= "\udfff":
            return ch
    return None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


_OPAQUE: dict[type, str] = {
    datetime.datetime: "datetime",
    datetime.date: "date",
    datetime.time: "time",
    datetime.timedelta: "timedelta",
    uuid.UUID: "UUID",
    decimal.Decimal: "Decimal",
    bytes: "bytes",
}


def type_node(annotation: Any) -> TypeNode:
    """Translate a resolved annotation. Raises TypeProblem for types that are not JSON boundary types."""
    node = _translate(annotation)
    inner = node.inner if isinstance(node, (ArtifactT, OutcomeT)) else node
    if _nests_artifact(inner):
        raise TypeProblem(f"{node} nests an Artifact inside another type; only a whole parameter or return "
                          "value can be an Artifact", codes.ARTIFACT_LIST)
    return node


def _nests_artifact(t: TypeNode) -> bool:
    if isinstance(t, ArtifactT):
        return True
    if isinstance(t, (ListT, OutcomeT)):
        return _nests_artifact(t.item if isinstance(t, ListT) else t.inner)
    if isinstance(t, DictT):
        return _nests_artifact(t.value)
    if isinstance(t, (TupleT, UnionT)):
        return any(_nests_artifact(o) for o in (t.items if isinstance(t, TupleT) else t.options))
    return False


@functools.lru_cache(maxsize=4096)
def _translate_cached(annotation: Any) -> TypeNode:
    return _translate_uncached(annotation)


def _translate(annotation: Any) -> TypeNode:
    try:
        return _translate_cached(annotation)
    except TypeError:  # unhashable annotation objects
        return _translate_uncached(annotation)


def _translate_uncached(tp: Any) -> TypeNode:
    if tp is Any or tp is object:
        return ANY
    if tp is None or tp is type(None):
        return NONE
    if tp in (str, int, float, bool):
        return ScalarT(tp.__name__)
    if tp in _OPAQUE:
        return OpaqueT(_OPAQUE[tp])
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Annotated:
        return _translate(args[0])
    if origin is typing.Literal:
        return LiteralT(tuple(args))
    if origin in (Union, types.UnionType):
        opts: list[TypeNode] = []
        for a in args:
            n = _translate(a)
            for o in n.options if isinstance(n, UnionT) else (n,):
                if o not in opts:
                    opts.append(o)
        return opts[0] if len(opts) == 1 else UnionT(tuple(opts))
    if origin is Outcome:
        return OutcomeT(_translate(args[0]) if args else ANY)
    if origin is Artifact:
        return ArtifactT(_translate(args[0]) if args else ANY)
    if tp is Outcome:
        return OutcomeT(ANY)
    if tp is Artifact:
        return ArtifactT(ANY)
    if origin in (list, Sequence, typing.Sequence) or tp in (list,):
        return ListT(_translate(args[0]) if args else ANY)
    if origin in (set, frozenset) or tp in (set, frozenset):
        kind = "set" if (origin or tp) is set else "frozenset"
        return ListT(_translate(args[0]) if args else ANY, kind)
    if origin is tuple or tp is tuple:
        if not args:
            return ListT(ANY, "tuple")
        if len(args) == 2 and args[1] is Ellipsis:
            return ListT(_translate(args[0]), "tuple")
        if args == ((),):
            return TupleT(())
        return TupleT(tuple(_translate(a) for a in args))
    if origin in (dict, Mapping, typing.Mapping) or tp is dict:
        key = _translate(args[0]) if args else STR
        if key not in (STR, ANY) and not isinstance(key, (EnumT, LiteralT)):
            raise TypeProblem(f"dict keys must be str to travel as JSON, got {key}")
        return DictT(key, _translate(args[1]) if args else ANY)
    if isinstance(tp, type):
        if issubclass(tp, enum.Enum):
            return EnumT(tp.__name__, _enum_values(tp), tp)
        flavour = _struct_flavour(tp)
        if flavour:
            return StructT(flavour, tp.__name__, tp)
    if isinstance(tp, typing.TypeVar):
        raise TypeProblem(f"generic type variable {tp.__name__} cannot cross a step boundary")
    if isinstance(tp, (str, typing.ForwardRef)):
        raise TypeProblem(f"annotation {tp!r} could not be resolved")
    raise TypeProblem(f"{_type_repr(tp)} is not a JSON boundary type")


def _enum_values(tp: type[enum.Enum]) -> tuple[Any, ...]:
    """The member values of an Enum that crosses a boundary: all str or all int (what the pod's decoder
    accepts), each a value a body literal could be."""
    values = tuple(m.value for m in tp)
    for m in tp:
        check_value(m.value, f"Enum `{tp.__name__}` member `{m.name}`")
    kinds = {type(v) for v in values}
    if not (kinds <= {str} or kinds <= {int}):
        found = ", ".join(sorted(k.__name__ for k in kinds))
        raise TypeProblem(f"Enum `{tp.__name__}` mixes member values of types {found}; a step can decode an "
                          "Enum only when all its values are str or all are int", codes.ENUM_VALUES)
    return values


def _type_repr(tp: Any) -> str:
    return getattr(tp, "__qualname__", None) or repr(tp)


def _struct_flavour(cls: type) -> str | None:
    if dataclasses.is_dataclass(cls):
        return "dataclass"
    if typing.is_typeddict(cls):
        return "TypedDict"
    if issubclass(cls, tuple) and hasattr(cls, "_fields"):
        return "NamedTuple"
    for base in cls.__mro__:
        mod = base.__module__ or ""
        if base.__name__ == "Struct" and mod.startswith("msgspec"):
            return "msgspec"
        if base.__name__ == "BaseModel" and mod.startswith("pydantic"):
            return "pydantic"
    return None


@functools.lru_cache(maxsize=1024)
def _struct_fields(cls: type, flavour: str) -> tuple[Field, ...]:
    hints = _hints(cls)
    out: list[Field] = []
    if flavour == "NamedTuple":
        defaults = getattr(cls, "_field_defaults", {})
        for i, name in enumerate(cls._fields):  # type: ignore[attr-defined]
            out.append(Field(name, i, _translate(hints.get(name, Any)), name in defaults))
    elif flavour == "pydantic":
        for name, info in cls.model_fields.items():  # type: ignore[attr-defined]
            wire = info.serialization_alias or info.alias or name
            out.append(Field(name, wire, _translate(hints.get(name, Any)), not info.is_required()))
    elif flavour == "msgspec":
        import msgspec

        info = msgspec.inspect.type_info(cls)
        for f in info.fields:  # type: ignore[attr-defined]
            out.append(Field(f.name, f.encode_name, _translate(hints.get(f.name, Any)), not f.required))
    elif flavour == "TypedDict":
        required = getattr(cls, "__required_keys__", frozenset(hints))
        for name, tp in hints.items():
            out.append(Field(name, name, _translate(tp), name not in required))
    else:
        for f in dataclasses.fields(cls):
            has_default = f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
            out.append(Field(f.name, f.name, _translate(hints.get(f.name, Any)), has_default))
    return tuple(out)


def _hints(cls: type) -> dict[str, Any]:
    try:
        return typing.get_type_hints(cls, include_extras=False)
    except Exception as exc:  # any failure to resolve a field annotation is the user's to fix
        raise TypeProblem(f"cannot resolve the field annotations of {cls.__qualname__}: {exc}") from None


# ----------------------------------------------------------------------------------- assignability


def assignable(src: TypeNode, dst: TypeNode) -> bool:
    """Would a value of type ``src`` be accepted where ``dst`` is declared?"""
    if isinstance(src, AnyT) or isinstance(dst, AnyT):
        return True
    if src == dst:
        return True
    if isinstance(src, UnionT):
        return all(assignable(o, dst) for o in src.options)
    if isinstance(dst, UnionT):
        return any(assignable(src, o) for o in dst.options)
    if isinstance(dst, ScalarT):
        if dst.kind == "float" and isinstance(src, ScalarT) and src.kind == "int":
            return True
        if isinstance(src, LiteralT):
            return all(_value_is_scalar(v, dst.kind) for v in src.values)
        if isinstance(src, EnumT):
            return False
        return False
    if isinstance(dst, LiteralT):
        return isinstance(src, LiteralT) and set(src.values) <= set(dst.values)
    if isinstance(dst, ListT):
        if isinstance(src, ListT):
            return assignable(src.item, dst.item)
        if isinstance(src, TupleT):
            return all(assignable(i, dst.item) for i in src.items)
        return False
    if isinstance(dst, TupleT):
        return (
            isinstance(src, TupleT)
            and len(src.items) == len(dst.items)
            and all(assignable(a, b) for a, b in zip(src.items, dst.items, strict=True))
        )
    if isinstance(dst, DictT):
        return isinstance(src, DictT) and assignable(src.key, dst.key) and assignable(src.value, dst.value)
    if isinstance(dst, StructT):
        return isinstance(src, StructT) and issubclass(src.cls, dst.cls)
    if isinstance(dst, EnumT):
        return isinstance(src, EnumT) and issubclass(src.cls, dst.cls)
    if isinstance(dst, OutcomeT):
        return isinstance(src, OutcomeT) and assignable(src.inner, dst.inner)
    if isinstance(dst, ArtifactT):
        return isinstance(src, ArtifactT) and assignable(src.inner, dst.inner)
    return False


def _value_is_scalar(v: Any, kind: str) -> bool:
    if kind == "bool":
        return isinstance(v, bool)
    if kind == "int":
        return isinstance(v, int) and not isinstance(v, bool)
    if kind == "float":
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    if kind == "str":
        return isinstance(v, str)
    return v is None


def literal_fits(value: Any, dst: TypeNode) -> bool:
    """Does a Python literal (already a JSON-ish value) decode as ``dst``?"""
    if isinstance(dst, AnyT):
        return True
    if isinstance(dst, ScalarT):
        return _value_is_scalar(value, dst.kind)
    if isinstance(dst, UnionT):
        return any(literal_fits(value, o) for o in dst.options)
    if isinstance(dst, LiteralT):
        return any(value == v and type(value) is type(v) for v in dst.values)
    if isinstance(dst, EnumT):
        return value in dst.values
    if isinstance(dst, ListT):
        return isinstance(value, list) and all(literal_fits(v, dst.item) for v in value)
    if isinstance(dst, TupleT):
        return (
            isinstance(value, list)
            and len(value) == len(dst.items)
            and all(literal_fits(v, t) for v, t in zip(value, dst.items, strict=True))
        )
    if isinstance(dst, DictT):
        return isinstance(value, dict) and all(
            isinstance(k, str) and literal_fits(v, dst.value) for k, v in value.items()
        )
    if isinstance(dst, StructT):
        return _literal_fits_struct(value, dst)
    if isinstance(dst, OpaqueT):
        return isinstance(value, str)
    return False


def _literal_fits_struct(value: Any, dst: StructT) -> bool:
    fields = dst.fields
    if dst.flavour == "NamedTuple":
        if not isinstance(value, list) or len(value) > len(fields):
            return False
        return all(literal_fits(v, f.type) for v, f in zip(value, fields, strict=False)) and all(
            f.has_default for f in fields[len(value) :]
        )
    if not isinstance(value, dict):
        return False
    by_wire = {str(f.wire): f for f in fields}
    if any(k not in by_wire for k in value):
        return False
    return all(k in value or f.has_default for k, f in by_wire.items()) and all(
        literal_fits(v, by_wire[k].type) for k, v in value.items()
    )


# ------------------------------------------------------------------------------------------- fields


def field_step(tp: TypeNode, name: str | int) -> tuple[str | int, TypeNode] | str:
    """One step of field access. Returns (wire key, field type) or a message saying why it fails.

    ``name`` is an attribute name (for ``b.f``) or a string key (for ``b["f"]``).
    """
    if isinstance(tp, AnyT):
        return (name, ANY)
    if isinstance(tp, StructT):
        for f in tp.fields:
            if f.name == name or (tp.flavour == "TypedDict" and f.wire == name):
                return (f.wire, f.type)
        known = ", ".join(f.name for f in tp.fields)
        return f"`{tp.name}` has no field `{name}` (fields: {known})"
    if isinstance(tp, DictT):
        if isinstance(name, str):
            return (name, tp.value)
        return f"`{tp}` keys are strings"
    if isinstance(tp, UnionT):
        opts = [o for o in tp.options if o != NONE]
        if len(opts) == 1 and len(tp.options) == 2:
            return f"`{tp}` may be None; field access on an Optional value is not allowed"
        return f"field access on a union `{tp}` is ambiguous"
    if isinstance(tp, (EnumT, OpaqueT)):
        return f"`{tp}` has no fields that travel as JSON"
    if isinstance(tp, OutcomeT):
        return "an `Outcome` binding cannot be taken apart in a workflow body; pass it to an `Outcome[...]` parameter"
    return f"`{tp}` has no fields"


def element_type(tp: TypeNode) -> TypeNode | None:
    if isinstance(tp, AnyT):
        return ANY
    if isinstance(tp, ListT):
        return tp.item
    if isinstance(tp, TupleT):
        if not tp.items:
            return ANY
        u: list[TypeNode] = []
        for i in tp.items:
            if i not in u:
                u.append(i)
        return u[0] if len(u) == 1 else UnionT(tuple(u))
    return None


def scalar_kind(tp: TypeNode) -> str | None:
    """The scalar kind usable in a condition: str, int, float, bool, None, or None if not scalar."""
    if isinstance(tp, ScalarT):
        return tp.kind
    if isinstance(tp, EnumT):
        vals = {type(v).__name__ for v in tp.values}
        return vals.pop() if len(vals) == 1 else None
    if isinstance(tp, LiteralT):
        vals = {type(v).__name__ for v in tp.values}
        return vals.pop() if len(vals) == 1 else None
    if isinstance(tp, OpaqueT):
        return None
    return None


def enum_values(tp: TypeNode) -> tuple[Any, ...] | None:
    if isinstance(tp, (EnumT, LiteralT)):
        return tp.values
    return None


def is_injectable(tp: TypeNode) -> bool:
    return isinstance(tp, ScalarT) and tp.kind in ("str", "int", "float")


def is_none(tp: TypeNode) -> bool:
    return tp == NONE


def optional_inner(tp: TypeNode) -> TypeNode | None:
    if isinstance(tp, UnionT) and NONE in tp.options:
        rest = tuple(o for o in tp.options if o != NONE)
        return rest[0] if len(rest) == 1 else UnionT(rest)
    return None
