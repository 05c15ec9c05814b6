"""Compile decorated templates into a :class:`~athena.compile.model.Program`: lower, type-check, check."""

from __future__ import annotations

import collections
from collections.abc import Mapping
from typing import Any

import msgspec

from athena import codes
from athena.compile.checks import (
    check_container_options,
    check_cycles,
    check_limits,
    check_option_text,
    check_params,
    check_target,
    check_volumes,
    check_workflow_selector,
)
from athena.compile.lower.signature import signature
from athena.compile.lower.source import def_span, function_node
from athena.compile.model import Container, Program, TemplateIR
from athena.compile.naming import Namer
from athena.compile.options import OPTIONS, Validated
from athena.compile.values import Values, ValuesError
from athena.config import Config, load_config
from athena.decorators import Template, applying
from athena.errors import CompileError, Diagnostic

__all__ = ["compile_templates"]


def compile_templates(roots: list[Template[Any, Any]], config: Config | None = None,
                      values: Values | None = None) -> Program:
    """Lower and type-check everything reachable from ``roots``, with ``values`` files applied if given."""
    config = config or load_config()
    namer = Namer(config)
    if values is None:
        return _compile(roots, config, namer)

    def resolve(t: Template[Any, Any]) -> tuple[Mapping[str, Any], Validated] | None:
        eff = values.effective(t, namer.name(t))
        return None if eff is None else (eff.raw, eff.validated)

    with applying(resolve):
        program = _compile(roots, config, namer)
    unused = values.unused()
    if unused:
        raise ValuesError("the values files name templates this app does not have:\n  " + "\n  ".join(unused))
    return program


def _compile(roots: list[Template[Any, Any]], config: Config, namer: Namer) -> Program:
    from athena.compile import ports, settings
    from athena.compile.lower.body import Lowerer
    from athena.compile.lower.ordering import check_ordering

    templates: dict[str, TemplateIR] = {}
    owners: dict[str, Template[Any, Any]] = {}
    diags: list[Diagnostic] = []
    claims: dict[str, Any] = {}  # the `volumes` option's workflow claims, by name (one spec each)
    queue = collections.deque(roots)
    seen: set[int] = set()
    while queue:
        t = queue.popleft()
        if id(t) in seen:
            continue
        seen.add(id(t))
        if t.deferred_error is not None:  # its decorator failed while the app loaded (athena.app)
            diags.extend(t.deferred_error.diagnostics)
            continue
        try:
            name = namer.name(t)
            if name in owners and owners[name] is not t:
                other = owners[name]
                diags.append(codes.diag(codes.DUPLICATE_TEMPLATE, f"`{t.entry}` and `{other.entry}` are both named "
                                        f"`{name}`", def_span(t.fn)))
                continue
            owners[name] = t
            check_option_text(t, diags)
            ir: TemplateIR
            if t.kind == "container":
                sig = signature(t)
                ir = Container(name=name, entry=t.entry, function=t.fn.__qualname__, params=sig.params,
                               returns=sig.returns, options=t.options_, doc=t.fn.__doc__,
                               ports=ports.collect(t), span=def_span(t.fn),
                               settings=tuple(map(settings.entry, settings.collect(t))))
                check_params(ir, diags)
                check_container_options(t, ir, config, diags)
                check_volumes(t, ir, diags, claims)
                templates[name] = ir
            else:
                found = function_node(t.fn)
                if found is None:  # pragma: no cover - the decorator already required source
                    raise CompileError([codes.diag(codes.NO_SOURCE, f"no source for `{t.entry}`", None)])
                lowered = Lowerer(t, found[0], found[1], resolve=True, name_of=namer.name).lower()
                assert lowered.workflow is not None
                check_target(t, config, diags)
                check_workflow_selector(t, diags)
                for wf in [lowered.workflow, *lowered.synthetic]:
                    if wf.name in templates:
                        diags.append(codes.diag(codes.DUPLICATE_TEMPLATE, f"`{wf.name}` is generated twice "
                                                f"(from `{t.entry}`)", wf.span or def_span(t.fn)))
                    templates[wf.name] = wf
                    check_limits(wf, diags)
                    check_ordering(wf, diags)  # issue 13: after_any= needs a DAG without stray continue_on
                queue.extend(lowered.callees)
            hook = t.references.get("on_exit_if_root")
            if hook is not None:
                required = [p.name for p in signature(hook).params if not p.has_default]
                if required:
                    from athena.compile.lower.source import decorator_keyword_span

                    diags.append(codes.diag(codes.HOOK_ARGS, f"`on_exit_if_root` target `{hook.fn.__qualname__}` "
                                            f"needs argument(s) {', '.join(required)}",
                                            decorator_keyword_span(t.fn, "on_exit_if_root"),
                                            hint="an exit handler gets no arguments; give its parameters defaults"))
            queue.extend(t.references.values())
            if t.references:
                templates[name] = _resolved(templates[name], t, namer)
        except CompileError as exc:
            diags.extend(exc.diagnostics)
    if diags:
        raise CompileError(diags)
    program = Program(templates, tuple(namer.name(r) for r in roots))
    from athena.compile.schedules import check_schedules

    check_schedules(program, owners, diags)
    from athena.compile.split import check_split  # issue 13: big DAGs are split at emit; their limits hold

    check_split(program, config.defaults.argo_line, diags)
    if diags:
        raise CompileError(diags)
    check_cycles(program, owners)
    from athena.compile.wffacts import check_exit_facts  # issue 13: status/failures only in exit handlers

    check_exit_facts(program)
    return program


def _resolved(ir: TemplateIR, t: Template[Any, Any], namer: Namer) -> TemplateIR:
    """``ir`` with each template an option names (``on_exit_if_root``) replaced by that template's name."""
    names: dict[str, Any] = {OPTIONS[key].field: namer.name(ref) for key, ref in t.references.items()}
    return msgspec.structs.replace(ir, options=msgspec.structs.replace(ir.options, **names))
