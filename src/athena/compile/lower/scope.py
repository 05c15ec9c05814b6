"""Bindings visible in a workflow body, and the capture of outer values by if/else wrappers."""

from __future__ import annotations

from typing import Literal

import msgspec

from athena import names
from athena.compile.model import Arg, Input, Item, Lit, Path, Record, TaskMode, TaskOut, WfFact
from athena.compile.typecheck import TypeNode
from athena.errors import Span


class Binding(msgspec.Struct, frozen=True):
    kind: Literal["input", "task", "item", "value"]
    type: TypeNode
    task: str = ""
    mode: TaskMode = "plain"
    span: Span | None = None
    param: str = ""  # a captured binding's parameter name (names.parameter_name), when not its own name
    value: Arg | None = None  # kind "value" (issue 13): `cfg = Config(...)`, `p = f"..."`

    def ref(self, name: str, path: Path = ()) -> Arg:
        if self.kind == "value":
            assert self.value is not None
            return value_at(self.value, path)
        if self.kind == "task":
            return TaskOut(self.task, path, self.mode)
        if self.kind == "item":
            return Item(path)
        return Input(self.param or name, path)


class Scope(msgspec.Struct):
    """One body's names. A capturing scope (a wrapper or an arm) turns each outer name it reads into a
    parameter of its own template, remembering the outer binding so the caller can pass it."""

    parent: Scope | None = None
    capturing: bool = False
    names: dict[str, Binding] = msgspec.field(default_factory=dict)
    captures: list[tuple[str, Binding]] = msgspec.field(default_factory=list)
    arm_only: dict[str, Span | None] = msgspec.field(default_factory=dict)
    # issue 13 (ordering): outer tasks an `after=` inside this wrapper's arms names; the wrapper task waits for them
    after: set[str] = msgspec.field(default_factory=set)

    def lookup(self, name: str) -> Binding | None:
        if name in self.names:
            return self.names[name]
        if self.parent is None:
            return None
        outer = self.parent.lookup(name)
        if outer is None or not self.capturing:
            return outer
        # A binding may be any Python identifier (`café`); the parameter it becomes must be one Argo accepts.
        inner = Binding("input", outer.type, span=outer.span, param=names.parameter_name(name))
        self.names[name] = inner
        self.captures.append((name, outer))
        return inner

    def escaped(self, name: str) -> Span | Literal[False] | None:
        """The span of the arm binding if ``name`` was bound only inside an earlier ``if`` arm."""
        s: Scope | None = self
        while s is not None:
            if name in s.names:
                return False
            if name in s.arm_only:
                return s.arm_only[name]
            s = s.parent
        return False


def value_at(value: Arg, path: Path) -> Arg:
    """A field of a value binding (issue 13), taken apart at compile time where the value is known: a literal's
    member, a record's field value; a fact or a field of a binding keeps the path for run time."""
    for i, step in enumerate(path):
        if isinstance(value, Lit):
            if not isinstance(value.value, (dict, list)) or (isinstance(value.value, dict) and step not in value.value):
                raise LookupError(step)  # a field the record value leaves to its default
            value = Lit(value.value[step])  # type: ignore[index]
            continue
        if isinstance(value, Record):
            fields = dict(value.fields)
            if step not in fields:
                raise LookupError(step)
            value = fields[step]
            continue
        if isinstance(value, (Input, TaskOut, Item, WfFact)):
            return msgspec.structs.replace(value, path=value.path + tuple(path[i:]))
        raise ValueError(f"{value!r} has no fields")  # pragma: no cover - the type check refuses it first
    return value
