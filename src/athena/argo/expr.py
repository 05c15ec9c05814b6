"""IR values and conditions → Argo parameter text and expr-lang expressions.

Rules (reference/argo-semantics.md): every parameter value is JSON text; a field is read with
``fromJSON`` and re-wrapped with the compact ``toJson``; a ``{{=`` tag ends at the first ``}}``, so map
literals are written ``{...} }``; ``when`` is always one boolean ``{{= ... }}`` expression.

Every JSON text written here, literal or computed, is Argo-safe (DESIGN §5.1.7): ``$`` as ``\\u0024``, ``{{``
as ``{\\u007b``, DEL as ``\\u007f`` (:func:`athena.runtime.codec.argo_safe_json`; :func:`safe_json` for
expressions), so Argo's second substitution over the pod spec and the kubelet's ``$(VAR)``/``$$`` expansion
leave values byte-exact.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from athena.compile.model import (
    Arg,
    ArmMerge,
    BoolOp,
    Compare,
    Cond,
    Format,
    FormatPart,
    InLits,
    Input,
    IsNone,
    Item,
    Lit,
    Not,
    Path,
    Record,
    Sequence,
    TaskOut,
    Truth,
    WfFact,
)
from athena.compile.typecheck import ListT, TypeNode
from athena.runtime.codec import argo_safe_json

Scope = Literal["tasks", "steps"]


def json_text(value: Any) -> str:
    """The JSON text of a literal, as a parameter value: compact, unicode kept, keys as written, Argo-safe."""
    return argo_safe_json(json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False))


def safe_json(json_expr: str) -> str:
    """``json_expr`` (an expression giving JSON text, e.g. ``toJson(x)``) with the escapes of
    :func:`~athena.runtime.codec.argo_safe_json`, through expr-lang's ``replace`` (``strings.ReplaceAll``).

    ``'{' + '{'`` keeps a literal ``{{`` out of the tag, and no string here holds ``}}`` (a tag ends there).
    """
    return (f"replace(replace(replace({json_expr}, '$', '\\\\u0024'), '{{' + '{{', '{{\\\\u007b'), "
            "'\\u007f', '\\\\u007f')")


def _q(s: str) -> str:
    """An expr-lang string literal (single-quoted)."""
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n") + "'"


def _index(path: Path) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f"[{_q(p)}]" for p in path)


def raw_ref(arg: Input | TaskOut | Item, scope: Scope) -> str:
    """The expr-lang expression whose value is the JSON *text* of ``arg`` without its path."""
    if isinstance(arg, Input):
        return f"inputs.parameters[{_q(arg.name)}]"
    if isinstance(arg, Item):
        return "item"
    if arg.mode == "aggregate":
        return aggregate_expr(arg.task, scope)
    if arg.mode == "outcome":
        return outcome_expr(arg.task, scope)
    return f"{scope}[{_q(arg.task)}].outputs.parameters[{_q(arg.output)}]"


def aggregate_expr(task: str, scope: Scope) -> str:
    """A fan-out's results as one JSON list, whatever Argo's aggregate looks like (§9): embedded objects or
    JSON strings, absent when nothing succeeded."""
    return (
        f"(let p = {scope}?.[{_q(task)}]?.outputs?.parameters; "
        "let r = (type(p) == 'map' ? p?.['return'] : nil) ?? '[]'; "
        "let s = r == '' || r == 'null' ? '[]' : r; "
        + safe_json("toJson(map(fromJSON(s), { type(#) == 'string' ? fromJSON(#) : # }))")
        + ")"
    )


def outcome_expr(task: str, scope: Scope) -> str:
    """``Outcome`` wire JSON for a task run with continueOn: value, phase and exit code. Argo puts the exit code
    at ``tasks.<t>.exitCode``, not under ``outputs`` (``argo@v4.1.2:util/variables/keys/noderef.go``)."""
    return (
        f"(let g = {scope}?.[{_q(task)}]; let c = g?.exitCode; "
        + safe_json("toJson({'value': g?.status == 'Succeeded' ? "
                    "fromJSON(g?.outputs?.parameters?.['return'] ?? 'null') : nil, "
                    "'phase': g?.status ?? 'Failed', 'exit_code': c == nil ? nil : int(c)} )")
        + ")"
    )


def value_expr(arg: Arg, scope: Scope) -> str:
    """An expr-lang expression for the decoded value of ``arg`` (used in conditions)."""
    if isinstance(arg, Lit):
        return lit_expr(arg.value)
    if isinstance(arg, (Record, Format, WfFact)):
        return computed_expr(arg, scope)
    return f"fromJSON({raw_ref(arg, scope)}){_index(arg.path)}"


def lit_expr(value: Any) -> str:
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value) if isinstance(value, float) else str(value)
    if isinstance(value, str):
        return _q(value)
    if isinstance(value, list):
        return "[" + ", ".join(lit_expr(v) for v in value) + "]"
    raise TypeError(f"no expression literal for {value!r}")


def param_value(arg: Arg, scope: Scope) -> str:
    """The text of an ``arguments.parameters[].value``: JSON of the value, in every case."""
    if isinstance(arg, Lit):
        return json_text(arg.value)
    if isinstance(arg, (Record, Format, WfFact)):
        return computed_param(arg, scope)
    if not arg.path:
        if isinstance(arg, Input):
            return "{{inputs.parameters.%s}}" % arg.name
        if isinstance(arg, Item):
            return "{{item}}"
        if arg.mode == "plain":
            return "{{%s.%s.outputs.parameters.%s}}" % (scope, arg.task, arg.output)
        return "{{=%s}}" % raw_ref(arg, scope)
    return "{{=%s}}" % safe_json(f"toJson(fromJSON({raw_ref(arg, scope)}){_index(arg.path)})")


def artifact_ref(arg: Arg, scope: Scope) -> str:
    """``from:`` of an ``Artifact[T]`` argument: the producer's ``return`` artifact, or an input artifact."""
    if isinstance(arg, Input) and not arg.path:
        return "{{inputs.artifacts.%s}}" % arg.name
    if isinstance(arg, TaskOut) and not arg.path and arg.mode == "plain":
        return "{{%s.%s.outputs.artifacts.%s}}" % (scope, arg.task, arg.output)
    raise ValueError(f"an Artifact argument must be a binding or an input, not {arg!r}")


def output_expression(arg: Arg, scope: Scope) -> tuple[str, str]:
    """A DAG/steps template output: ('parameter', '{{...}}') or ('expression', '<expr>')."""
    if isinstance(arg, (Input, TaskOut)) and not arg.path and (isinstance(arg, Input) or arg.mode == "plain"):
        return ("parameter", param_value(arg, scope))
    if isinstance(arg, Lit):
        return ("expression", _q(json_text(arg.value)))
    if isinstance(arg, Item):  # pragma: no cover - the lowering never returns an item
        raise ValueError("a fan-out item cannot be a template output")
    if isinstance(arg, (Record, Format, WfFact)):
        return ("expression", safe_json(f"toJson({computed_expr(arg, scope)})"))
    if arg.path:
        return ("expression", safe_json(f"toJson(fromJSON({raw_ref(arg, scope)}){_index(arg.path)})"))
    return ("expression", raw_ref(arg, scope))


def with_param(arg: Arg, scope: Scope) -> str:
    """``withParam`` whose items are the JSON text of each element (Argo renders string items raw): compact
    ``toJson``, because each child's node name embeds its item, and Argo-safe, because the item reaches a pod."""
    if isinstance(arg, Lit):
        return json_text([json_text(v) for v in arg.value])
    if isinstance(arg, (Record, Format, WfFact)):  # pragma: no cover - the lowering allows no such source
        raise ValueError(f"cannot fan out over {arg!r}")
    return "{{=toJson(map(fromJSON(%s)%s, { %s }))}}" % (raw_ref(arg, scope), _index(arg.path),
                                                         safe_json("toJson(#)"))


def cond_expr(c: Cond, scope: Scope) -> str:
    """One expr-lang boolean; ``None`` is ``nil``."""
    if isinstance(c, Compare):
        return f"{value_expr(c.left, scope)} {c.op} {value_expr(c.right, scope)}"
    if isinstance(c, IsNone):
        return f"{value_expr(c.arg, scope)} {'!=' if c.negated else '=='} nil"
    if isinstance(c, InLits):
        inner = f"{value_expr(c.arg, scope)} in {lit_expr(list(c.values))}"
        return f"!({inner})" if c.negated else inner
    if isinstance(c, Truth):
        return f"{value_expr(c.arg, scope)} == true"
    if isinstance(c, Not):
        return f"!({cond_expr(c.inner, scope)})"
    if isinstance(c, BoolOp):
        joiner = " && " if c.op == "and" else " || "
        return joiner.join(f"({cond_expr(i, scope)})" for i in c.items)
    raise TypeError(c)  # pragma: no cover


def when(c: Cond, scope: Scope) -> str:
    return "{{= %s }}" % cond_expr(c, scope)


def hook_expression(raw: str, task: str, scope: Scope) -> str:
    return raw.replace("{self}", f"{scope}[{_q(task)}]")


def status_expression(task: str, status: str, scope: Scope) -> str:
    return f'{scope}[{_q(task)}].status == "{status}"'


def arm_merge_expression(arms: tuple[str, ...] | list[str], field: str = "parameters") -> str:
    """A value-if wrapper's result: the ``return`` of the first arm that Succeeded, tried in order.

    Only the taken side of a ternary is evaluated, so the arms not run are never read (§8).
    """
    names = list(arms)
    text = f"tasks['{names[-1]}'].outputs.{field}['return']"
    for a in reversed(names[:-1]):
        text = (f"tasks['{a}'].status == 'Succeeded' ? tasks['{a}'].outputs.{field}['return'] : "
                f"({text})")
    return text


def dag_output(result: Arg | ArmMerge | None, returns: TypeNode, synthetic: bool,
               scope: Scope) -> dict[str, str] | None:
    """The ``valueFrom`` of a DAG/steps template's ``return`` output (``parameter`` or ``expression``, and
    ``default`` where the output may be absent); ``None`` when the template returns nothing."""
    if result is None:
        return None
    vf: dict[str, str]
    if isinstance(result, ArmMerge):
        vf = {"expression": arm_merge_expression(result.arms), "default": "null"}
    else:
        kind, text = output_expression(result, scope)
        vf = {kind: text}
        if isinstance(result, TaskOut) and result.mode == "aggregate" and not result.path:
            vf["default"] = "[]"
        elif synthetic:
            vf["default"] = "null"
    if isinstance(returns, ListT) and isinstance(result, TaskOut) and result.mode == "aggregate":
        vf.setdefault("default", "[]")
    return vf


# --- issue 13 (ordering): the `depends` text of a DAG that uses `after_any=`

# What Argo reads a bare name in `depends` as (common/ancestry.go expandDependency), plus the results a
# `continue_on` task lets its dependents see (Argo forbids `continueOn` itself next to `depends`).
_BARE = ("Succeeded", "Skipped", "Daemoned")
_CONTINUE = {"error": "Errored", "failed": "Failed"}


def depends(deps: list[tuple[str, tuple[str, ...]]], after_any: tuple[str, ...], *, expand: bool = False) -> str:
    """``depends`` for a task: each ``(dep, its continue_on)`` must have finished as ``dependencies:`` would
    require, and at least one of ``after_any`` must have Succeeded. A dep without ``continue_on`` stays a bare
    name unless ``expand`` (the in-process runner evaluates the expanded text with Argo's expression rules)."""
    parts: list[str] = []
    for name, continue_on in sorted(set(deps)):
        if continue_on or expand:
            results = [*_BARE, *(_CONTINUE[k] for k in sorted(continue_on))]
            parts.append("(" + " || ".join(f"{name}.{r}" for r in results) + ")")
        else:
            parts.append(name)
    if after_any:
        group = " || ".join(f"{name}.Succeeded" for name in after_any)
        parts.append(f"({group})" if len(after_any) > 1 else group)
    return " && ".join(parts)
# issue 13 (record values, f-strings, range fan-outs, workflow facts): values computed at run time.
# Each is one expr-lang expression giving the *decoded* value; as a parameter it is re-encoded with the compact
# ``toJson`` and the Argo-safe escapes (§5.1.7). String literals inside them have ``{`` and ``}`` escaped, so no
# literal can open or close a ``{{`` tag; map literals close with `` }`` (a tag ends at the first ``}}``).

#: What each ``athena.wf`` fact reads (reference/argo-semantics.md §4, §11): every global is a string.
#: ``scheduledTime`` is set only for a CronWorkflow's runs, so the creation time stands in (guarded by ``??``,
#: which also keeps Argo from deferring the tag). It is read as ``creationTimestamp.RFC3339``: Argo also sets
#: ``workflow.creationTimestamp.<strftime char>`` and its ``util/expand`` drops a key that has children
#: (``removeConflicts``), so in an expression ``workflow.creationTimestamp`` is the map of formats, not the
#: time. ``failures`` is ``strconv.Quote`` of Go's JSON list
#: (``"null"`` when nothing failed), hence the two ``fromJSON``.
WF_FACTS: dict[str, str] = {
    "name": "workflow.name",
    "uid": "workflow.uid",
    "scheduled_time": "(workflow.scheduledTime ?? workflow.creationTimestamp.RFC3339)",
    "duration": "float(workflow.duration)",
    "status": "workflow.status",
    "failures": "(fromJSON(fromJSON(workflow.failures)) ?? [])",
}


def _qs(s: str) -> str:
    """An expr-lang string literal that holds no ``{`` or ``}`` (written as ``\\u007b``/``\\u007d``)."""
    return _q(s).replace("{", "\\u007b").replace("}", "\\u007d")


def decoded_lit(value: Any) -> str:
    """An expression for a literal value: scalars as expr-lang literals, collections through ``fromJSON``."""
    if isinstance(value, str):
        return _qs(value)
    if isinstance(value, (list, dict)):
        return f"fromJSON({_qs(json_text(value))})"
    return lit_expr(value)


def _decoded(arg: Arg, scope: Scope) -> str:
    if isinstance(arg, Lit):
        return decoded_lit(arg.value)
    return value_expr(arg, scope)


def computed_expr(arg: Record | Format | WfFact, scope: Scope) -> str:
    """The decoded value of a record, an f-string or a workflow fact, as one expression."""
    if isinstance(arg, WfFact):
        return WF_FACTS[arg.name] + _index(arg.path)
    if isinstance(arg, Record):
        if arg.array:
            return "[" + ", ".join(_decoded(a, scope) for _, a in arg.fields) + "]"
        return "{ " + ", ".join(f"{_qs(str(k))}: {_decoded(a, scope)}" for k, a in arg.fields) + " }"
    pieces = [_qs(p) if isinstance(p, str) else _format_part(p, scope) for p in arg.parts]
    return "(" + (" + ".join(pieces) or "''") + ")"


def _format_part(p: FormatPart, scope: Scope) -> str:
    """How Python's ``format()`` prints a scalar, in expr-lang: an int through ``int`` (``string`` of a float64
    would print 1e+06), a bool as ``True``/``False``."""
    d = _decoded(p.arg, scope)
    if p.kind == "int":
        return f"string(int({d}))"
    if p.kind == "bool":
        return f"({d} ? 'True' : 'False')"
    return d


def computed_param(arg: Record | Format | WfFact, scope: Scope) -> str:
    """The parameter text of a computed value: its JSON, Argo-safe."""
    return "{{=%s}}" % safe_json(f"toJson({computed_expr(arg, scope)})")


def with_sequence(seq: Sequence, scope: Scope) -> dict[str, str]:
    """``withSequence`` for ``range(a, b)``: ``start`` and a ``count`` clamped at 0 (Argo counts *down* from
    ``start`` when ``end`` < ``start``, and a negative count does the same; Python's range is then empty)."""
    start, end = seq.start, seq.end
    if isinstance(start, Lit) and isinstance(end, Lit):
        out = {"count": str(max(0, end.value - start.value))}
        if start.value:
            out["start"] = str(start.value)
        return out
    a, b = _as_int(start, scope), _as_int(end, scope)
    zero = isinstance(start, Lit) and start.value == 0
    count = b if zero else f"({b} - {a})"
    out = {"count": "{{=%s > 0 ? %s : 0}}" % (count, count)}
    if not zero:
        out["start"] = str(start.value) if isinstance(start, Lit) else "{{=%s}}" % a
    return out


def _as_int(arg: Arg, scope: Scope) -> str:
    return str(arg.value) if isinstance(arg, Lit) else f"int({_decoded(arg, scope)})"
