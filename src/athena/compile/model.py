"""The IR: what a workflow means, with no Python AST and no Argo syntax in it.

Templates are referenced by name through ``Program.templates``. ``argo/`` turns this into dicts;
the local runners interpret it. Frozen msgspec Structs rather than dataclasses: defining them costs
``athena emit`` a fraction of the start-up, and building thousands of them is cheaper too.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from athena.compile.options import TemplateOptions
from athena.compile.typecheck import TypeNode
from athena.errors import Span

Path = tuple[str | int, ...]

# ------------------------------------------------------------------------------------------ values


class Lit(msgspec.Struct, frozen=True):
    """A JSON value written in the body."""

    value: Any


class Input(msgspec.Struct, frozen=True):
    """A parameter of the enclosing template (workflow input, or a value captured by a wrapper)."""

    name: str
    path: Path = ()


TaskMode = Literal["plain", "aggregate", "outcome"]


class TaskOut(msgspec.Struct, frozen=True):
    """The ``return`` output of a task; ``aggregate`` for a fan-out, ``outcome`` under continue_on."""

    task: str
    path: Path = ()
    mode: TaskMode = "plain"
    output: str = "return"  # issue 13: a split big DAG reads its parts' re-exported outputs by name


class Item(msgspec.Struct, frozen=True):
    """The fan-out loop variable (one element's JSON)."""

    path: Path = ()


# issue 13 (record values, f-strings, workflow facts): values computed from other values at run time.


class Record(msgspec.Struct, frozen=True):
    """``Rec(f=..., g=...)`` of a boundary record type with a field that is not a literal: a JSON object by
    wire key, or (NamedTuple) a JSON array by index. Fields left out take the record's own default."""

    fields: tuple[tuple[str | int, Arg], ...]
    array: bool = False


FormatKind = Literal["str", "int", "bool"]


class FormatPart(msgspec.Struct, frozen=True):
    """One ``{value}`` of an f-string, with the scalar kind that says how Python prints it."""

    arg: Arg
    kind: FormatKind


class Format(msgspec.Struct, frozen=True):
    """``f"{run}/part-{i}"`` over values: literal text and values, joined into one string."""

    parts: tuple[str | FormatPart, ...]


WfFactName = Literal["name", "uid", "scheduled_time", "duration", "status", "failures"]


class WfFact(msgspec.Struct, frozen=True):
    """``athena.wf.<name>``: a fact about the running workflow (Argo's ``{{workflow.*}}``)."""

    name: WfFactName
    path: Path = ()


class Sequence(msgspec.Struct, frozen=True):
    """``range(n)`` / ``range(a, b)`` as a fan-out source: Argo's ``withSequence`` (``{{item}}`` is the number)."""

    start: Arg
    end: Arg  # exclusive, as in Python


Arg = Lit | Input | TaskOut | Item | Record | Format | WfFact


def arg_tasks(arg: Arg | Sequence) -> set[str]:
    """The tasks whose output ``arg`` reads (its DAG edges), through records, f-strings and ranges."""
    if isinstance(arg, TaskOut):
        return {arg.task}
    if isinstance(arg, Record):
        return set().union(*(arg_tasks(a) for _, a in arg.fields))
    if isinstance(arg, Format):
        return set().union(*(arg_tasks(p.arg) for p in arg.parts if isinstance(p, FormatPart)))
    if isinstance(arg, Sequence):
        return arg_tasks(arg.start) | arg_tasks(arg.end)
    return set()


def arg_facts(arg: Arg) -> set[str]:
    """The ``athena.wf`` facts ``arg`` reads."""
    if isinstance(arg, WfFact):
        return {arg.name}
    if isinstance(arg, Record):
        return set().union(*(arg_facts(a) for _, a in arg.fields))
    if isinstance(arg, Format):
        return set().union(*(arg_facts(p.arg) for p in arg.parts if isinstance(p, FormatPart)))
    return set()

# -------------------------------------------------------------------------------------- conditions


class Compare(msgspec.Struct, frozen=True):
    op: Literal["==", "!=", "<", "<=", ">", ">="]
    left: Arg
    right: Arg


class IsNone(msgspec.Struct, frozen=True):
    arg: Arg
    negated: bool = False


class InLits(msgspec.Struct, frozen=True):
    arg: Arg
    values: tuple[Any, ...]
    negated: bool = False


class Truth(msgspec.Struct, frozen=True):
    arg: Arg


class Not(msgspec.Struct, frozen=True):
    inner: Cond


class BoolOp(msgspec.Struct, frozen=True):
    op: Literal["and", "or"]
    items: tuple[Cond, ...]


Cond = Compare | IsNone | InLits | Truth | Not | BoolOp


def cond_tasks(c: Cond) -> set[str]:
    """The tasks whose output a condition reads (issue 13: a fan-out filter's edges)."""
    if isinstance(c, Compare):
        return arg_tasks(c.left) | arg_tasks(c.right)
    if isinstance(c, (IsNone, InLits, Truth)):
        return arg_tasks(c.arg)
    if isinstance(c, Not):
        return cond_tasks(c.inner)
    return set().union(*(cond_tasks(i) for i in c.items))

# ------------------------------------------------------------------------------------------- tasks

HookKind = Literal["exit", "success", "failure", "error", "expr"]


class Hook(msgspec.Struct, frozen=True):
    kind: HookKind
    template: str
    args: tuple[tuple[str, Arg], ...] = ()
    expression: str | None = None  # raw Argo expression for kind "expr", with {self} still in it


class ExternalRef(msgspec.Struct, frozen=True):
    """A template that lives outside Python (issue 13, ``@athena.external``): what ``templateRef`` names."""

    name: str
    template: str
    cluster_scope: bool = False


class Task(msgspec.Struct, frozen=True):
    name: str
    template: str
    args: tuple[tuple[str, Arg], ...]
    deps: tuple[str, ...] = ()
    when: Cond | None = None
    fan_over: Arg | Sequence | None = None
    continue_on: tuple[str, ...] = ()
    hooks: tuple[Hook, ...] = ()
    span: Span | None = None
    # issue 13 (ordering): `after_any=` handles (run when any of them Succeeded; the DAG then uses `depends`),
    # and the `with athena.parallel():` block a steps-mode task belongs to (0: a group of its own)
    after_any: tuple[str, ...] = ()
    group: int = 0
    # issue 13: set for a call of an external template (``template`` is then ``external:<module:qualname>``)
    external: ExternalRef | None = None


class ArmMerge(msgspec.Struct, frozen=True):
    """A value-if wrapper's result: the return of whichever arm task ran."""

    arms: tuple[str, ...]


# --------------------------------------------------------------------------------------- templates


class Param(msgspec.Struct, frozen=True):
    name: str
    type: TypeNode
    has_default: bool = False
    default: Any = None  # the JSON value of the default


class Ports(msgspec.Struct, frozen=True):
    """Host paths and artifact ports collected statically from a container body (and its fragments).

    Not pod resources (cpu, memory): those are the user-facing ``Resources`` option.
    """

    host_paths: tuple[str, ...] = ()
    artifacts_in: tuple[tuple[str, bool], ...] = ()  # (key, optional)
    artifacts_out: tuple[str, ...] = ()


class Container(msgspec.Struct, frozen=True):
    name: str
    entry: str  # module:qualname
    function: str
    params: tuple[Param, ...]
    returns: TypeNode
    options: TemplateOptions
    doc: str | None = None
    ports: Ports = msgspec.field(default_factory=Ports)
    span: Span | None = None
    # settings (issue 9): the athena.Settings classes the body reads (`module:qualname`), in call order
    settings: tuple[str, ...] = ()

    kind: Literal["container"] = "container"


class Pause(msgspec.Struct, frozen=True):
    """Issue 13: a ``suspend`` template (``athena.suspend``), or an approval (``prompt`` set) whose ``return``
    output is supplied by a person, ``default`` when resumed without an answer."""

    duration_seconds: int | None = None
    prompt: str | None = None
    default: bool = False


class Export(msgspec.Struct, frozen=True):
    """Issue 13: an extra output of a part of a split big DAG, re-exporting one task's value (normalized as a
    template result is) for the tasks of later parts."""

    name: str
    value: Arg
    artifact: bool = False


class Workflow(msgspec.Struct, frozen=True):
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
    # issue 13: where the body reads athena.wf.status/failures (then it may only be an exit handler)
    exit_facts: Span | None = None
    # issue 13: a synthetic template that suspends (no tasks) instead of running a DAG
    pause: Pause | None = None
    exports: tuple[Export, ...] = ()  # issue 13: outputs of a part of a split big DAG

    kind: Literal["workflow"] = "workflow"


TemplateIR = Container | Workflow


class Program(msgspec.Struct, frozen=True):
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
