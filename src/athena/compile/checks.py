"""Whole-program checks that are not about one body: option targets, limits, cycles and depth."""

from __future__ import annotations

import itertools
from typing import Any

from athena import codes
from athena.argo.facts import MAX_DAG_TASKS, MAX_DEPTH, MAX_INPUT_PARAMS  # noqa: F401 - re-exported: Argo's limits
from athena.compile.lower.source import def_span
from athena.compile.model import Container, Program, TemplateIR, Workflow
from athena.compile.options import OPTIONS, Problem
from athena.config import Config
from athena.decorators import Template
from athena.errors import CompileError, Diagnostic, Span


def check_container_options(t: Template[Any, Any], ir: Container, config: Config,
                             diags: list[Diagnostic]) -> None:
    """Render every injectable option against the container's parameters, then check the target."""
    if not t.raw_options:
        return  # a bare decorator: nothing to inject, no target rule to break
    from athena.argo.inject import InjectionError, render
    from athena.compile.lower.source import decorator_keyword_span

    for spec in OPTIONS.values():
        if not spec.injectable:
            continue
        for value in _texts(getattr(ir.options, spec.field)):
            try:
                render(value, ir.params)
            except InjectionError as exc:
                diags.append(codes.diag(codes.BAD_INJECTION, str(exc), decorator_keyword_span(t.fn, spec.name)))
    check_target(t, config, diags)


def check_volumes(t: Template[Any, Any], ir: Container, diags: list[Diagnostic],
                  claims: dict[str, tuple[Any, Template[Any, Any]]] | None = None) -> None:
    """``volumes=``: nothing at /tmp while athena mounts its own volume there; one spec per workflow claim
    across the app (``claims`` collects them: the root creates each claim once per run)."""
    o = ir.options
    if not o.volumes:
        return
    from athena.compile.lower.source import decorator_keyword_span
    from athena.runtime import protocol as proto

    span = decorator_keyword_span(t.fn, "volumes")
    for v in o.volumes:
        if o.tmp_volume and v.mount == proto.TMP_DIR:
            diags.append(codes.diag(codes.BAD_MOUNT, f"a volume is mounted at {proto.TMP_DIR}, where athena mounts "
                                    "its own scratch volume", span,
                                    hint="mount it elsewhere, or pass tmp_volume=False to drop athena's /tmp volume"))
        if claims is None or v.kind != "workflow_claim":
            continue
        seen = claims.get(v.source)
        if seen is None:
            claims[v.source] = (v, t)
        elif (seen[0].size, seen[0].storage_class, seen[0].access_modes) != (v.size, v.storage_class,
                                                                           v.access_modes):
            diags.append(codes.diag(codes.CLAIM_CONFLICT, f"WorkflowClaim {v.source!r} is declared here and by "
                                    f"`{seen[1].entry}` with a different size, storage class or access modes",
                                    span))


def check_workflow_selector(t: Template[Any, Any], diags: list[Diagnostic]) -> None:
    """A workflow has no pod of its own to inject into: ``{name}`` in its injectable options is an error."""
    import re

    from athena.compile.lower.source import decorator_keyword_span

    for spec in OPTIONS.values():
        if not (spec.injectable and spec.allowed("workflow")):
            continue
        noun = "selector" if spec.name == "node_selector" else f"`{spec.name}=`"
        for value in _texts(getattr(t.options_, spec.field)):
            if re.search(r"(?<!\{)\{[^{}]*\}(?!\})", value):
                diags.append(codes.diag(codes.BAD_INJECTION, f"{spec.name} value {value!r}: a @workflow cannot "
                                        "inject its parameters; only containers can",
                                        decorator_keyword_span(t.fn, spec.name),
                                        hint=f"move the {noun} to the containers, "
                                             "or use Argo's own `{{...}}`"))


def check_option_text(t: Template[Any, Any], diags: list[Diagnostic]) -> None:
    """Every string an option writes into the YAML must be Unicode text: a lone surrogate (``"\\ud800"``)
    would crash the YAML writer, so it is reported at the decorator keyword (ATH220)."""
    if not t.raw_options:
        return
    from athena.compile.lower.source import decorator_keyword_span
    from athena.compile.typecheck import lone_surrogate

    for spec in OPTIONS.values():
        for text in _all_texts(getattr(t.options_, spec.field, None)):
            bad = lone_surrogate(text)
            if bad is not None:
                diags.append(codes.diag(codes.UNENCODABLE_STRING, f"`{spec.name}=` contains the lone surrogate "
                                        f"\\u{ord(bad):04x}, which is not Unicode text and cannot be written as "
                                        "UTF-8", decorator_keyword_span(t.fn, spec.name)))
                break


def _all_texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, (tuple, list)):
        return [s for v in value for s in _all_texts(v)]
    if isinstance(value, dict):
        return [s for kv in value.items() for s in _all_texts(kv)]
    return []


def _texts(value: Any) -> list[str]:
    """The strings of a normalized injectable option: a str, or the values of a str-to-str mapping."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [v for _, v in value]


def check_target(t: Template[Any, Any], config: Config, diags: list[Diagnostic]) -> None:
    """Each option's target-version rule (from the option table) against ``[defaults].argo_version``."""
    if not t.raw_options:
        return
    from athena.compile.lower.source import decorator_keyword_span

    for spec in OPTIONS.values():
        value = getattr(t.options_, spec.field)
        if spec.target is None or value is None:
            continue
        lacks = spec.target(value, config.defaults.argo)
        if isinstance(lacks, Problem):  # a limit of its own code (metrics=)
            diags.append(codes.diag(lacks.code or codes.TARGET_LACKS_OPTION, f"{lacks.message}; [defaults]."
                                    f"argo_version is {config.defaults.argo_version}",
                                    decorator_keyword_span(t.fn, spec.name), hint=lacks.hint))
        elif lacks:
            diags.append(codes.diag(codes.TARGET_LACKS_OPTION, f"{lacks}; [defaults].argo_version is "
                                    f"{config.defaults.argo_version}", decorator_keyword_span(t.fn, spec.name)))


def check_params(ir: TemplateIR, diags: list[Diagnostic]) -> None:
    if len(ir.params) > MAX_INPUT_PARAMS:
        diags.append(codes.diag(codes.TOO_MANY_PARAMS, f"`{ir.name}` has {len(ir.params)} parameters; Argo v4 "
                                f"accepts {MAX_INPUT_PARAMS}", ir.span))


def check_limits(wf: Workflow, diags: list[Diagnostic]) -> None:
    # A DAG above MAX_DAG_TASKS tasks is split into nested DAGs on v4 (compile/split.py, issue 13): no ATH404.
    check_params(wf, diags)


def check_cycles(program: Program, owners: dict[str, Template[Any, Any]]) -> None:
    # A cycle is recursion; it stops only if some call on it is `when`-gated (an `if` arm, issue 13). Such calls
    # are left out of the graph: any cycle that remains has no guard, and the depth is measured without them.
    def unguarded(n: str) -> list[str]:
        t = program.templates[n]
        gated = {task.template for task in t.tasks if task.when is not None} if isinstance(t, Workflow) else set()
        plain = {task.template for task in t.tasks if task.when is None} if isinstance(t, Workflow) else set()
        return [c for c in program.callees(n) if c in program.templates and (c not in gated or c in plain)]

    state: dict[str, int] = {}
    depth: dict[str, int] = {}

    def visit(n: str, stack: list[str]) -> int:
        if state.get(n) == 2:
            return depth[n]
        if state.get(n) == 1:
            first = stack.index(n)
            cycle = " → ".join([*stack[first:], n])
            raise CompileError([codes.diag(codes.RECURSION, f"workflows call each other in a cycle outside any "
                                           f"`if` arm: {cycle}", _call_span(program, owners, [*stack[first:], n]))])
        state[n] = 1
        d = 0
        for c in unguarded(n):
            d = max(d, visit(c, [*stack, n]))
        state[n] = 2
        depth[n] = d + 1
        return d + 1

    deep = [root for root in program.templates if visit(root, []) > MAX_DEPTH]
    if deep:
        # point at a workflow the user wrote (a synthetic if/else wrapper has no def of its own)
        root = next((r for r in deep if r in owners), deep[0])
        owner = owners.get(root)
        span = def_span(owner.fn) if owner else program.templates[root].span
        raise CompileError([codes.diag(codes.TOO_DEEP, f"`{root}` nests templates more than {MAX_DEPTH} "
                                       "levels deep", span)])


def _call_span(program: Program, owners: dict[str, Template[Any, Any]], cycle: list[str]) -> Span | None:
    """Where the cycle is closed by a call the user wrote: the first call on it with a location."""
    for n, c in itertools.pairwise(cycle):
        t = program.templates[n]
        if isinstance(t, Workflow) and not t.synthetic:
            for task in t.tasks:
                if task.template == c and task.span is not None:
                    return task.span
    owner = owners.get(cycle[0])
    return def_span(owner.fn) if owner else None
