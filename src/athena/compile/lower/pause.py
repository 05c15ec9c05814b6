"""``athena.suspend()`` and ``athena.approval()`` in a workflow body (issue 13) → a task calling a synthetic
template that suspends (``<workflow>-suspend<k>`` / ``<workflow>-approval<k>``).

A suspend is a barrier: it depends on every task written before it in its body, and every task written after
it depends on it (:func:`apply_barriers`), so it pauses a DAG where it is written, as it does a steps list.
An approval is a value (``bool``): whatever consumes it waits for it, nothing else does.
"""

from __future__ import annotations

import ast
from typing import Any

import msgspec

from athena import codes, names, pause
from athena.compile.lower.base import LowererBase, _Bail, _Body
from athena.compile.lower.scope import Binding
from athena.compile.model import Pause, Task, Workflow
from athena.compile.options import TemplateOptions
from athena.compile.typecheck import BOOL, NONE
from athena.durations import parse_duration


def pause_kind(lw: LowererBase, func: ast.expr) -> str | None:
    """``"suspend"`` / ``"approval"`` when ``func`` names athena's function, else None."""
    if isinstance(func, ast.Call):
        return None
    try:
        obj = lw.lookup_global(func)  # type: ignore[attr-defined]
    except _Bail:
        return None
    if obj is pause.suspend:
        return "suspend"
    if obj is pause.approval:
        return "approval"
    return None


def lower_pause(lw: LowererBase, body: _Body, node: ast.Call, kind: str, bind: str | None) -> Binding:
    if body.fan_item:
        raise lw.bail(codes.BAD_SUSPEND if kind == "suspend" else codes.BAD_APPROVAL,
                      f"`athena.{kind}()` cannot be a fan-out element", node)
    p = _suspend(lw, node) if kind == "suspend" else _approval(lw, node)
    count = lw.__dict__.get("_pause_count", 0) + 1
    lw.__dict__["_pause_count"] = count
    template = names.shorten(f"{lw.root_name}-{kind}{count}", names.WORKFLOW_TEMPLATE_MAX)
    returns = NONE if kind == "suspend" else BOOL
    if lw.resolve:
        lw.synthetic.append(Workflow(
            name=template, function=f"{lw.t.fn.__qualname__} ({kind} {count})", params=(), returns=returns,
            tasks=(), options=TemplateOptions(), synthetic=True, span=lw.span(node), pause=p,
        ))
    task = names.task_name(bind or kind, body.taken)
    deps: tuple[str, ...] = ()
    if kind == "suspend":
        deps = tuple(sorted({t.name for t in body.tasks}))
        lw.__dict__.setdefault("_barriers", set()).add(id(body.tasks))
        lw.__dict__.setdefault("_barrier_tasks", set()).add(task)
    body.tasks.append(Task(name=task, template=template, args=(), deps=deps, span=lw.span(node)))
    return Binding("task", returns, task, "plain", lw.span(node))


def _literal(lw: LowererBase, node: ast.expr, code: str, what: str) -> Any:
    try:
        return ast.literal_eval(node)
    except ValueError:
        raise lw.bail(code, f"{what} must be a literal, not `{ast.unparse(node)}`", node) from None


def _suspend(lw: LowererBase, node: ast.Call) -> Pause:
    code = codes.BAD_SUSPEND
    given = list(node.args) + [kw.value for kw in node.keywords if kw.arg == "duration"]
    extra = [kw for kw in node.keywords if kw.arg != "duration"]
    if extra:
        raise lw.bail(code, f"`athena.suspend()` has no argument `{extra[0].arg}`", extra[0])
    if len(given) > 1:
        raise lw.bail(code, "`athena.suspend()` takes one duration", given[1])
    if not given:
        return Pause()
    value = _literal(lw, given[0], code, "the duration")
    if value is None:
        return Pause()
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise lw.bail(code, f"the duration must be an int of seconds or a string like \"1h\", got {value!r}",
                      given[0])
    try:
        return Pause(duration_seconds=parse_duration(value, what="the duration"))
    except ValueError as exc:
        raise lw.bail(code, str(exc), given[0]) from None


def _approval(lw: LowererBase, node: ast.Call) -> Pause:
    code = codes.BAD_APPROVAL
    prompts = list(node.args) + [kw.value for kw in node.keywords if kw.arg == "prompt"]
    extra = [kw for kw in node.keywords if kw.arg not in ("prompt", "default")]
    if extra:
        raise lw.bail(code, f"`athena.approval()` has no argument `{extra[0].arg}`", extra[0])
    if len(prompts) != 1:
        raise lw.bail(code, "`athena.approval()` takes one prompt", node)
    prompt = _literal(lw, prompts[0], code, "the prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise lw.bail(code, f"the prompt must be a non-empty string, got {prompt!r}", prompts[0])
    default = False
    for kw in node.keywords:
        if kw.arg == "default":
            default = _literal(lw, kw.value, code, "`default=`")
            if not isinstance(default, bool):
                raise lw.bail(code, f"`default=` must be True or False, got {default!r}", kw.value)
    return Pause(prompt=prompt, default=default)


def apply_barriers(lw: LowererBase, body: _Body) -> None:
    """Every task after a suspend in ``body`` depends on the latest suspend before it."""
    if id(body.tasks) not in lw.__dict__.get("_barriers", ()):
        return
    barriers: set[str] = lw.__dict__["_barrier_tasks"]
    latest: str | None = None
    for i, t in enumerate(body.tasks):
        if t.name in barriers:
            latest = t.name
        elif latest is not None and latest not in t.deps:
            body.tasks[i] = msgspec.structs.replace(t, deps=tuple(sorted({*t.deps, latest})))
