"""What a DAG task or a step has in scope: the ``tasks.<t>.*`` / ``steps.<s>.*`` parameters of earlier nodes,
fan-out aggregation, and what a Skipped/Omitted producer's outputs resolve to on each Argo version.

Facts (reference/argo-semantics.md §4, §8, §9; ``argo@v4.1.2:workflow/controller/operator.go:3743-3858``
``processAggregateNodeOutputs``, ``dag.go`` ``buildLocalScopeFromTask``):

- a DAG task sees only its ancestors (its dependencies, transitively); a step sees the earlier groups;
- ``<t>.status``, ``<t>.outputs.parameters.<p>``, ``<t>.outputs.result`` (when Argo captured it),
  ``<t>.exitCode`` (not under ``outputs``: ``addNodeOutputsToLocalScope``, key ``.exitCode`` in
  ``argo@v4.1.2:util/variables/keys/noderef.go``; the same in ``argo@v3.6.19`` ``addOutputsToLocalScope``),
  ``<t>.outputs.artifacts.<a>`` (for ``from``);
- a fan-out's ``outputs.parameters.<p>`` is the JSON list of its Succeeded children's values in index order:
  embedded when every element is a JSON object or array, else a list of strings; unset when no child succeeded
  with that output. ``outputs.result`` is the JSON list of the Succeeded children's results, each one parsed
  as a ``wfv1.Item`` and re-emitted as raw JSON (so ``10`` stays a number and ``"a"`` a string); a result that
  is not JSON fails the scope build, i.e. the consumer (Error). ``outputs.result`` and ``outputs.parameters``
  (the list of ``{name: value}`` maps) are set, possibly to ``[]``, as soon as the fan-out has children
  (a steps fan-out counts only children that were not Skipped);
- a Skipped/Omitted producer's declared outputs: up to 3.7.10/4.0.1 nothing is in scope and a task's references
  are substituted with ``allowUnresolved`` (``argo@v3.6.19:workflow/controller/dag.go``
  ``resolveDependencyReferences``, ``template.Replace(..., true)``; ``steps.go`` likewise), so the tag reaches the
  consumer verbatim; from 3.7.16/4.0.7 the output's ``valueFrom.default`` when declared, else absent (``nil`` in
  expressions; a pure reference argument is marked :data:`ABSENT` and ``ProcessArgs`` then applies the input's
  default or fails terminally, ``argo@v4.1.2:workflow/controller/scope.go`` ``markAbsentOptionalArgs``,
  ``workflow/common/util.go`` ``ProcessArgs``); 3.7.11-3.7.15 and 4.0.2-4.0.6 requeue forever (reported here
  as an error).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from athena.argo import facts
from athena.local.argo import gojson
from athena.local.argo.context import aggregate
from athena.local.run.nodes import Node

__all__ = ["ABSENT", "ARTIFACT_REF", "Produced", "ScopeBuilder", "ScopeError", "SkipRule", "skip_rule"]

#: How an output artifact travels in the parameter map (``from: "{{tasks.a.outputs.artifacts.x}}"``).
ARTIFACT_REF = "athena-artifact:"

#: The value of an argument that purely references an absent optional (Argo's AbsentOptionalArgumentValue).
ABSENT = "\x00athena:absent-optional"

SkipRule = str  # "literal" | "hang" | "default"


class ScopeError(ValueError):
    """Argo cannot build the scope of a consumer (a fan-out result that is not JSON): the consumer is Error."""


def skip_rule(version: facts.ArgoVersion) -> SkipRule:
    """How this Argo version resolves a reference to a Skipped/Omitted producer's output (§8)."""
    if facts.hangs_on_skipped_outputs(version):
        return "hang"
    key, p = (version.major, version.minor), version.patch
    if key < (3, 7) or (key == (3, 7) and p is not None and p <= 10) or (key == (4, 0) and p is not None and p <= 1):
        return "literal"
    return "default"


@dataclass
class Produced:
    """One finished task or step: its node, its fan-out children, and its template's declared outputs."""

    node: Node
    children: list[Node] = field(default_factory=list)
    fanned: bool = False
    declared: Sequence[Mapping[str, Any]] = ()  # the template's outputs.parameters (for skipped producers)


class ScopeBuilder:
    def __init__(self, rule: SkipRule) -> None:
        self.rule = rule

    def add(self, params: dict[str, str], nils: set[str], hangs: set[str], prefix: str, name: str,
            p: Produced) -> None:
        base = f"{prefix}.{name}"
        node = p.node
        params[f"{base}.status"] = node.phase
        params[f"{base}.id"] = node.name
        params[f"{base}.startedAt"] = _ts(node.started)
        if node.finished is not None:
            params[f"{base}.finishedAt"] = _ts(node.finished)
        if p.fanned:
            self._aggregate(params, base, p.children, prefix)
            return
        if node.phase in ("Skipped", "Omitted") and not node.outputs:
            self._skipped(params, nils, hangs, base, p.declared)
            return
        if node.result is not None:
            params[f"{base}.outputs.result"] = node.result
        if node.exit_code is not None:
            params[f"{base}.exitCode"] = node.exit_code
        for k, v in node.outputs.items():
            params[f"{base}.outputs.parameters.{k}"] = v
        for k, key in node.artifacts.items():
            params[f"{base}.outputs.artifacts.{k}"] = ARTIFACT_REF + key

    def _skipped(self, params: dict[str, str], nils: set[str], hangs: set[str], base: str,
                 declared: Sequence[Mapping[str, Any]]) -> None:
        for d in declared:
            key = f"{base}.outputs.parameters.{d.get('name')}"
            vf = d.get("valueFrom") or {}
            if self.rule == "literal":
                continue  # nothing in scope: the reference stays verbatim
            if self.rule == "hang":
                hangs.add(key)
            elif vf.get("default") is not None:
                params[key] = str(vf["default"])
            else:
                nils.add(key)

    def _aggregate(self, params: dict[str, str], base: str, children: Sequence[Node], prefix: str) -> None:
        # steps.go collects the expanded children that are not Skipped; dag.go every child of the group.
        kids = [c for c in children if prefix == "tasks" or c.kind != "Skipped"]
        if not kids:
            return
        # a node with Outputs: parameters, a captured result or (any pod) an exit code
        done = [c for c in kids if c.phase == "Succeeded"
                and (c.outputs or c.result is not None or c.exit_code is not None)]
        names: list[str] = []
        for c in done:
            for k in c.outputs:
                if k not in names:
                    names.append(k)
        for k in names:
            agg = aggregate([c.outputs[k] for c in done if k in c.outputs])
            if agg is not None:
                params[f"{base}.outputs.parameters.{k}"] = agg
        results: list[str] = []
        for c in done:
            if c.result is None:
                continue
            try:
                results.append(gojson.compact(c.result))
            except gojson.GoJSONError as exc:
                raise ScopeError(
                    f"{base}.outputs.result: the result of {c.display_name} is not JSON ({exc}); Argo aggregates "
                    f"a fan-out's results as a JSON list, so every item must print JSON (quote text: "
                    f"printf '\"%s\"')") from None
        params[f"{base}.outputs.result"] = "[" + ",".join(results) + "]"
        params[f"{base}.outputs.parameters"] = gojson.encode([dict(c.outputs) for c in done if c.outputs])


def expr_env(params: Mapping[str, str], nils: set[str]) -> dict[str, Any]:
    """The expression environment: the parameters as nested maps, with absent outputs present as ``nil``."""
    from athena.local.argo.render import expand

    env = expand(params)
    for key in nils:
        node: Any = env
        *path, leaf = key.split(".")
        for part in path:
            child = node.get(part) if isinstance(node, dict) else None
            if not isinstance(child, dict):
                child = {}
                node[part] = child
            node = child
        node.setdefault(leaf, None)
    return env


def item_params(item: Any) -> dict[str, str]:
    """``{{item}}`` and ``{{item.<k>}}`` of one fan-out element (§9)."""
    out = {"item": item_text(item)}
    if isinstance(item, dict):
        for k, v in item.items():
            out[f"item.{k}"] = item_text(v)
    return out


def item_text(v: Any) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return json.dumps(v) if not v.is_integer() else str(int(v))
    try:
        return gojson.encode(v)
    except gojson.GoJSONError:
        return str(v)


def item_desc(v: Any) -> str:
    """The ``desc`` of a fan-out child's node name ``T(i:desc)``."""
    text = ",".join(f"{k}:{item_text(v[k])}" for k in sorted(v)) if isinstance(v, dict) else item_text(v)
    return text.replace("(", "").replace(")", "")


def _ts(t: float) -> str:
    import datetime

    return datetime.datetime.fromtimestamp(t, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
