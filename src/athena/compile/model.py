"""The IR: what a workflow means, with no Python AST and no Argo syntax in it.

Templates are referenced by name through ``Program.templates``. ``argo/`` turns this into dicts;
the local runners interpret it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from athena.compile.options import TemplateOptions
from athena.compile.typecheck import TypeNode
from athena.errors import Span

Path = tuple[str | int, ...]

# ------------------------------------------------------------------------------------------ values


@dataclass(frozen=True, slots=True)
class Lit:
    """A JSON value written in the body."""

    value: Any


@dataclass(frozen=True, slots=True)
class Input:
    """A parameter of the enclosing template (workflow input, or a value captured by a wrapper)."""

    name: str
    path: Path = ()


TaskMode = Literal["plain", "aggregate", "outcome"]


@dataclass(frozen=True, slots=True)
class TaskOut:
    """The ``return`` output of a task; ``aggregate`` for a fan-out, ``outcome`` under continue_on."""

    task: str
    path: Path = ()
    mode: TaskMode = "plain"


@dataclass(frozen=True, slots=True)
class Item:
    """The fan-out loop variable (one element's JSON)."""

    path: Path = ()


Arg = Lit | Input | TaskOut | Item

# -------------------------------------------------------------------------------------- conditions


@dataclass(frozen=True, slots=True)
class Compare:
    op: Literal["==", "!=", "<", "<=", ">", ">="]
    left: Arg
    right: Arg


@dataclass(frozen=True, slots=True)
class IsNone:
    arg: Arg
    negated: bool = False


@dataclass(frozen=True, slots=True)
class InLits:
    arg: Arg
    values: tuple[Any, ...]
    negated: bool = False


@dataclass(frozen=True, slots=True)
class Truth:
    arg: Arg


@dataclass(frozen=True, slots=True)
class Not:
    inner: Cond


@dataclass(frozen=True, slots=True)
class BoolOp:
    op: Literal["and", "or"]
    items: tuple[Cond, ...]


Cond = Compare | IsNone | InLits | Truth | Not | BoolOp

# ------------------------------------------------------------------------------------------- tasks

HookKind = Literal["exit", "success", "failure", "error", "expr"]


@dataclass(frozen=True, slots=True)
class Hook:
    kind: HookKind
    template: str
    args: tuple[tuple[str, Arg], ...] = ()
    expression: str | None = None  # raw Argo expression for kind "expr", with {self} still in it


@dataclass(frozen=True, slots=True)
class Task:
    name: str
    template: str
    args: tuple[tuple[str, Arg], ...]
    deps: tuple[str, ...] = ()
    when: Cond | None = None
    fan_over: Arg | None = None
    continue_on: tuple[str, ...] = ()
    hooks: tuple[Hook, ...] = ()
    span: Span | None = None


@dataclass(frozen=True, slots=True)
class ArmMerge:
    """A value-if wrapper's result: the return of whichever arm task ran."""

    arms: tuple[str, ...]


# --------------------------------------------------------------------------------------- templates


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    type: TypeNode
    has_default: bool = False
    default: Any = None  # the JSON value of the default


@dataclass(frozen=True, slots=True)
class Ports:
    """Host paths and artifact ports collected statically from a container body (and its fragments).

    Not pod resources (cpu, memory): those are the user-facing ``Resources`` option.
    """

    host_paths: tuple[str, ...] = ()
    artifacts_in: tuple[tuple[str, bool], ...] = ()  # (key, optional)
    artifacts_out: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Container:
    name: str
    entry: str  # module:qualname
    function: str
    params: tuple[Param, ...]
    returns: TypeNode
    options: TemplateOptions
    doc: str | None = None
    ports: Ports = field(default_factory=Ports)
    span: Span | None = None

    kind: Literal["container"] = "container"


@dataclass(frozen=True, slots=True)
class Workflow:
    name: str
    function: str
    params: tuple[Param, ...]
    returns: TypeNode
    tasks: tuple[Task, ...]
    options: TemplateOptions
    result: Arg | ArmMerge | None = None
    steps: bool = False
    synthetic: bool = False
    doc: str | None = None
    span: Span | None = None

    kind: Literal["workflow"] = "workflow"


TemplateIR = Container | Workflow


@dataclass(frozen=True, slots=True)
class Program:
    """Every template reachable from the roots, by name; ``roots`` in definition order."""

    templates: dict[str, TemplateIR]
    roots: tuple[str, ...]

    def callees(self, name: str) -> list[str]:
        t = self.templates[name]
        # The exit handler is referenced from the root's spec.hooks: a callee like any task's template.
        out = [t.options.on_exit_if_root] if t.options.on_exit_if_root is not None else []
        if isinstance(t, Workflow):
            out += [task.template for task in t.tasks]
            out += [h.template for task in t.tasks for h in task.hooks]
        return out
