"""Big DAGs (issue 13): a body with more than 200 tasks is split into nested DAG templates, every dependency
and every value kept, where the target Argo line limits a DAG's tasks (v4: 200; v3 has no limit).

The tasks are ordered by topological layer (a task's layer is one more than its deepest predecessor's, ties
in source order) and cut into consecutive *parts* of at most 200. Each part becomes a synthetic workflow
``<wf>-part<k>``; the original template keeps one task per part. A value a part uses from outside (an input
of the workflow, or a task of an earlier part) becomes an input parameter of the part; a task's value used
by a later part is re-exported as an extra output of its part (:class:`~athena.compile.model.Export`),
normalized as a template result is (a fan-out's list, an ``Outcome``), so the consumer reads the same JSON.
A part depends on every part that holds one of its tasks' predecessors, so no task starts before the tasks it
depends on have finished (a part waits for the *whole* earlier part: correct, slightly less parallel).
More than 200 parts split again, one level up. In-process runs never see the split: it is applied at emit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec

from athena import codes, names
from athena.argo.facts import MAX_DAG_TASKS, MAX_INPUT_PARAMS, parse_version
from athena.compile.model import (
    Arg,
    ArmMerge,
    BoolOp,
    Compare,
    Cond,
    Export,
    Format,
    InLits,
    Input,
    IsNone,
    Not,
    Param,
    Program,
    Record,
    Sequence,
    Task,
    TaskOut,
    Truth,
    Workflow,
    arg_tasks,
)
from athena.compile.typecheck import ANY, NONE, ArtifactT
from athena.errors import CompileError, Diagnostic


def needs_split(argo_line: str) -> bool:
    """Whether the target line limits a DAG to :data:`MAX_DAG_TASKS` tasks (the v4 CRD does; v3 does not)."""
    v = parse_version(argo_line)
    return v is not None and v.major >= 4


def split_program(program: Program, argo_line: str, limit: int = MAX_DAG_TASKS) -> Program:
    """``program`` with every DAG above ``limit`` tasks split (only when ``argo_line`` needs it)."""
    if not needs_split(argo_line) or not any(isinstance(t, Workflow) and len(t.tasks) > limit
                                             for t in program.templates.values()):
        return program
    templates = dict(program.templates)
    for name, t in program.templates.items():
        if isinstance(t, Workflow) and not t.steps and t.pause is None and len(t.tasks) > limit \
                and not isinstance(t.result, ArmMerge):
            counter = [0]
            wf = t
            while len(wf.tasks) > limit:
                wf = _one_level(wf, templates, counter, limit)
            templates[name] = wf
    return Program(templates, program.roots)


def check_split(program: Program, argo_line: str, diags: list[Diagnostic]) -> None:
    """Compile-time: a part of a split DAG must stay within Argo's 500 input parameters (ATH407)."""
    if not needs_split(argo_line):
        return
    try:
        split_program(program, argo_line)
    except CompileError as exc:
        diags.extend(exc.diagnostics)


# ------------------------------------------------------------------------------------------- one level


def _layers(tasks: tuple[Task, ...]) -> list[Task]:
    """Tasks in topological layers, ties in source order (source order is already topological)."""
    depth: dict[str, int] = {}
    for t in tasks:
        depth[t.name] = 1 + max((depth[u] for u in _uses(t) if u in depth), default=-1)
    order = {t.name: i for i, t in enumerate(tasks)}
    return sorted(tasks, key=lambda t: (depth[t.name], order[t.name]))


def _uses(t: Task) -> set[str]:
    """Every task ``t`` waits for or reads: its dependencies and each task its values name."""
    out = set(t.deps)
    for a in _task_args(t):
        out |= arg_tasks(a)  # through records and f-strings too
    return out


def _task_args(t: Task) -> list[Arg]:
    out = [a for _, a in t.args]
    if isinstance(t.fan_over, Sequence):  # range(a, b): its bounds are values
        out += [t.fan_over.start, t.fan_over.end]
    elif t.fan_over is not None:
        out.append(t.fan_over)
    if t.when is not None:
        out += _cond_args(t.when)
    out += [a for h in t.hooks for _, a in h.args]
    return out


def _cond_args(c: Cond) -> list[Arg]:
    if isinstance(c, Compare):
        return [c.left, c.right]
    if isinstance(c, (IsNone, InLits, Truth)):
        return [c.arg]
    if isinstance(c, Not):
        return _cond_args(c.inner)
    return [a for i in c.items for a in _cond_args(i)]


def _map_cond(c: Cond, f: Callable[[Arg], Arg]) -> Cond:
    if isinstance(c, Compare):
        return Compare(c.op, f(c.left), f(c.right))
    if isinstance(c, IsNone):
        return IsNone(f(c.arg), c.negated)
    if isinstance(c, InLits):
        return InLits(f(c.arg), c.values, c.negated)
    if isinstance(c, Truth):
        return Truth(f(c.arg))
    if isinstance(c, Not):
        return Not(_map_cond(c.inner, f))
    assert isinstance(c, BoolOp)
    return BoolOp(c.op, tuple(_map_cond(i, f) for i in c.items))


class _Part:
    def __init__(self, index: int, name: str, task: str) -> None:
        self.index = index
        self.name = name  # the part's template
        self.task = task  # its task in the parent
        self.tasks: list[Task] = []
        self.params: list[Param] = []
        self.args: list[tuple[str, Arg]] = []  # the parent's arguments for the params
        self.imports: dict[tuple[Any, ...], str] = {}
        self.exports: list[Export] = []
        self.export_names: dict[tuple[Any, ...], str] = {}
        self.deps: set[str] = set()


def _one_level(wf: Workflow, templates: dict[str, Any], counter: list[int], limit: int) -> Workflow:
    ordered = _layers(wf.tasks)
    k = -(-len(ordered) // limit)
    size = -(-len(ordered) // k)
    parts: list[_Part] = []
    where: dict[str, _Part] = {}
    taken = {t.name for t in wf.tasks}
    for i in range(k):
        counter[0] += 1
        name = names.shorten(f"{wf.name}-part{counter[0]}", names.WORKFLOW_TEMPLATE_MAX)
        part = _Part(i, name, names.task_name(f"part{counter[0]}", taken))
        for t in ordered[i * size:(i + 1) * size]:
            where[t.name] = part
        parts.append(part)
    artifact_params = _artifact_params(wf, templates)

    def import_(part: _Part, a: Arg, artifact: bool) -> Arg:
        """``a`` as seen inside ``part``: a value from outside becomes one of its input parameters."""
        if isinstance(a, Record):  # the values inside a record or an f-string are imported one by one
            return msgspec.structs.replace(a, fields=tuple((k, import_(part, v, False)) for k, v in a.fields))
        if isinstance(a, Format):
            return msgspec.structs.replace(a, parts=tuple(
                p if isinstance(p, str) else msgspec.structs.replace(p, arg=import_(part, p.arg, False))
                for p in a.parts))
        if isinstance(a, Input):
            key: tuple[Any, ...] = ("input", a.name, artifact)
            source: Arg = Input(a.name)
        elif isinstance(a, TaskOut) and where[a.task] is not part:
            owner = where[a.task]
            part.deps.add(owner.task)
            ekey = (a.task, a.mode, a.output, artifact)
            ename = owner.export_names.get(ekey)
            if ename is None:
                ename = owner.export_names[ekey] = f"v{len(owner.export_names) + 1}"
                owner.exports.append(Export(ename, TaskOut(a.task, (), a.mode, a.output), artifact))
            key = ("task", *ekey)
            source = TaskOut(owner.task, (), "plain", ename)
        else:
            return a
        pname = part.imports.get(key)
        if pname is None:
            pname = part.imports[key] = f"p{len(part.imports) + 1}"
            part.params.append(Param(pname, ArtifactT(ANY) if artifact else ANY))
            part.args.append((pname, source))
        return Input(pname, a.path)

    for t in ordered:
        part = where[t.name]
        arts = artifact_params.get(t.template, set())
        args = tuple((n, import_(part, a, n in arts)) for n, a in t.args)

        def plain(a: Arg, part: _Part = part) -> Arg:
            return import_(part, a, False)

        fan: Arg | Sequence | None
        if isinstance(t.fan_over, Sequence):
            fan = Sequence(plain(t.fan_over.start), plain(t.fan_over.end))
        else:
            fan = plain(t.fan_over) if t.fan_over is not None else None
        when = _map_cond(t.when, plain) if t.when is not None else None
        hooks = tuple(msgspec.structs.replace(h, args=tuple((n, plain(a)) for n, a in h.args)) for h in t.hooks)
        inner_deps = []
        for d in t.deps:
            if where[d] is part:
                inner_deps.append(d)
            else:
                part.deps.add(where[d].task)
        part.tasks.append(msgspec.structs.replace(t, args=args, fan_over=fan, when=when, hooks=hooks,
                                                  deps=tuple(sorted(inner_deps))))
    # the parent's result, read from the part that holds it
    result = wf.result
    if isinstance(result, TaskOut):
        artifact = isinstance(wf.returns, ArtifactT)
        owner = where[result.task]
        ekey = (result.task, result.mode, result.output, artifact)
        ename = owner.export_names.get(ekey)
        if ename is None:
            ename = owner.export_names[ekey] = f"v{len(owner.export_names) + 1}"
            owner.exports.append(Export(ename, TaskOut(result.task, (), result.mode, result.output), artifact))
        result = TaskOut(owner.task, result.path, "plain", ename)
    diags: list[Diagnostic] = []
    for part in parts:
        if len(part.params) > MAX_INPUT_PARAMS:
            diags.append(codes.diag(codes.SPLIT_TOO_MANY_INPUTS, f"`{wf.function}` has {len(wf.tasks)} tasks, so "
                                    f"athena splits it into parts of at most {limit}; part {part.index + 1} then "
                                    f"reads {len(part.params)} values from outside, above Argo's "
                                    f"{MAX_INPUT_PARAMS} input parameters", wf.span))
        templates[part.name] = Workflow(
            name=part.name, function=f"{wf.function} (part {part.index + 1} of {k})", params=tuple(part.params),
            returns=NONE, tasks=tuple(part.tasks), options=wf.options, synthetic=True, span=wf.span,
            exports=tuple(part.exports),
        )
    if diags:
        raise CompileError(diags)
    tasks = tuple(Task(name=p.task, template=p.name, args=tuple(p.args), deps=tuple(sorted(p.deps)))
                  for p in parts)
    return msgspec.structs.replace(wf, tasks=tasks, result=result)


def _artifact_params(wf: Workflow, templates: dict[str, Any]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for t in wf.tasks:
        callee = templates.get(t.template)
        if callee is not None and t.template not in out:
            out[t.template] = {p.name for p in callee.params if isinstance(p.type, ArtifactT)}
    return out


__all__ = ["check_split", "needs_split", "split_program"]
