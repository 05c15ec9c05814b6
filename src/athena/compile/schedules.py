"""Whole-program checks of ``schedule=``: only on roots, and every parameter gets a value.

A CronWorkflow starts its root with nobody to pass arguments, so each parameter needs a default or a
``cron_arguments`` entry, and each entry must name a parameter and decode as its type, exactly as the
pod will decode it (the runtime codec): a mistake is a compile error, not a failed run at 4 a.m.
"""

from __future__ import annotations

import difflib
import typing
from typing import Any

from athena import codes
from athena.compile.lower.source import decorator_keyword_span
from athena.compile.model import Program, Workflow
from athena.decorators import Template
from athena.errors import Diagnostic

# The options that only shape the CronWorkflow: meaningless without `schedule=`.
CRON_ONLY = ("timezone", "concurrency_policy", "starting_deadline", "suspend", "successful_jobs_history_limit",
             "failed_jobs_history_limit", "cron_arguments")


def check_schedules(program: Program, owners: dict[str, Template[Any, Any]], diags: list[Diagnostic]) -> None:
    callers: dict[str, list[str]] = {}
    for name in program.templates:
        for callee in program.callees(name):
            callers.setdefault(callee, []).append(name)
    for name, t in owners.items():
        ir = program.templates.get(name)
        if not isinstance(ir, Workflow) or not t.raw_options:
            continue
        o = ir.options
        if not o.schedules:
            for key in CRON_ONLY:
                if t.raw_options.get(key) is not None:
                    diags.append(codes.diag(codes.BAD_OPTION, f"`{key}=` has no effect without `schedule=`",
                                            decorator_keyword_span(t.fn, key),
                                            hint="add schedule=\"...\" or drop the argument"))
            continue
        # issue 13: a recursive workflow's own arms call it; only a caller outside its call graph counts
        outside = [c for c in callers.get(name, []) if c not in _reachable(program, name)]
        if outside:
            diags.append(codes.diag(codes.SCHEDULE_NOT_ROOT, f"`{t.fn.__qualname__}` has `schedule=` but is "
                                    f"called from `{outside[0]}`; only a root workflow can be scheduled",
                                    decorator_keyword_span(t.fn, "schedule")))
        _check_arguments(ir, t, diags)


def _check_arguments(ir: Workflow, t: Template[Any, Any], diags: list[Diagnostic]) -> None:
    from athena.runtime import codec

    given = dict(ir.options.cron_arguments)
    by_name = {p.name: p for p in ir.params}
    where = decorator_keyword_span(t.fn, "cron_arguments") if given else decorator_keyword_span(t.fn, "schedule")
    try:
        hints = typing.get_type_hints(t.fn)
    except Exception:
        hints = {}
    for key, text in given.items():
        p = by_name.get(key)
        if p is None:
            close = difflib.get_close_matches(key, list(by_name), n=1)
            diags.append(codes.diag(codes.CRON_ARGUMENTS, f"`cron_arguments` names `{key}`, which is not a "
                                    f"parameter of `{t.fn.__qualname__}`", where,
                                    hint=f"did you mean `{close[0]}`?" if close else
                                    f"parameters: {', '.join(by_name) or 'none'}"))
            continue
        try:
            codec.decode(text, hints.get(key, Any))
        except codec.CodecError as exc:
            diags.append(codes.diag(codes.CRON_ARGUMENTS, f"`cron_arguments` value {text} for `{key}` does not "
                                    f"fit its type {p.type}: {exc}", where))
    missing = [p.name for p in ir.params if not p.has_default and p.name not in given]
    if missing:
        diags.append(codes.diag(codes.CRON_ARGUMENTS, f"scheduled `{t.fn.__qualname__}` has no value for "
                                f"{', '.join(f'`{m}`' for m in missing)}: the CronWorkflow starts it with no "
                                "arguments", where))




def _reachable(program: Program, name: str) -> set[str]:
    seen: set[str] = set()
    stack = [name]
    while stack:
        n = stack.pop()
        if n not in seen and n in program.templates:
            seen.add(n)
            stack.extend(program.callees(n))
    return seen
