"""The template side of a pod: picking the container template, its input values, Argo's substitution of
globals and inputs (:mod:`athena.local.argo.substitute`), the pod's name and its deadline."""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from typing import Any

from athena.durations import parse_go_duration
from athena.errors import AthenaError
from athena.local.argo.substitute import substitute

__all__ = ["container_template", "input_values", "make_pod_name", "no_expressions", "substitute_template",
           "template_deadline"]


def make_pod_name(workflow: str, template: str) -> str:
    """A pod name like the controller's: ``<workflow>-<template>-<10 digits>``, at most 63 characters."""
    prefix = f"{workflow}-{template}"[:52].rstrip("-.")
    return f"{prefix}-{secrets.randbelow(10**10):010d}"


def container_template(template: Mapping[str, Any]) -> dict[str, Any]:
    """A private copy of the container template: ``template`` itself, or the entrypoint's of a whole document."""
    t: Mapping[str, Any] = template
    if "spec" in t and "container" not in t:
        spec = t["spec"]
        templates = spec.get("templates") or []
        entry = spec.get("entrypoint")
        picked = [x for x in templates if x.get("name") == entry] or templates[:1]
        if not picked:
            raise AthenaError("the document has no templates")
        t = picked[0]
    if "container" not in t:
        raise AthenaError(f"template {t.get('name', '?')!r} is not a container template")
    copy: dict[str, Any] = json.loads(json.dumps(t))  # a private, plain copy
    return copy


def input_values(tmpl: Mapping[str, Any], args: Mapping[str, str]) -> dict[str, str]:
    """Every input parameter's value: from ``args``, else its ``default`` or ``value``; unknown or missing names
    are errors, as Argo's would be."""
    declared = (tmpl.get("inputs") or {}).get("parameters") or []
    names = [str(p["name"]) for p in declared]
    unknown = sorted(set(args) - set(names))
    if unknown:
        raise AthenaError(f"{tmpl.get('name')}: unknown parameter(s) {', '.join(unknown)} "
                          f"(parameters: {', '.join(names) or 'none'})")
    values: dict[str, str] = {}
    missing: list[str] = []
    for p in declared:
        n = str(p["name"])
        if n in args:
            values[n] = str(args[n])
        elif p.get("default") is not None:
            values[n] = str(p["default"])
        elif p.get("value") is not None:
            values[n] = str(p["value"])
        else:
            missing.append(n)
    if missing:
        raise AthenaError(f"{tmpl.get('name')}: no value for parameter(s) {', '.join(missing)} "
                          "(Argo: inputs.parameters.<name> had no value); pass them as args")
    return values


def substitute_template(tmpl: dict[str, Any], globals_: Mapping[str, str],
                        values: Mapping[str, str]) -> dict[str, Any]:
    """Argo's order: globals first, then the template's own inputs and output paths."""
    tmpl = substitute(tmpl, globals_)
    inputs = tmpl.get("inputs") or {}
    outputs = tmpl.get("outputs") or {}
    local: dict[str, str] = {f"inputs.parameters.{k}": v for k, v in values.items()}
    local["inputs.parameters"] = json.dumps([{"name": k, "value": v} for k, v in values.items()],
                                            separators=(",", ":"))
    for a in inputs.get("artifacts") or []:
        if a.get("path"):
            local[f"inputs.artifacts.{a['name']}.path"] = a["path"]
    for a in outputs.get("artifacts") or []:
        if a.get("path"):
            local[f"outputs.artifacts.{a['name']}.path"] = a["path"]
    for p in outputs.get("parameters") or []:
        path = (p.get("valueFrom") or {}).get("path")
        if path:
            local[f"outputs.parameters.{p['name']}.path"] = path
    out: dict[str, Any] = substitute(tmpl, local)
    return out


def no_expressions(value: Any, where: str, name: str) -> None:
    """Refuse ``{{= ... }}``: the executor substitutes simple tags only."""
    if isinstance(value, str):
        if "{{=" in value.replace("{{ =", "{{="):
            raise AthenaError(f"{name}: {where} holds an expression tag ({value[:60]!r}); emulate does not evaluate "
                              "expressions: pass the resolved value (e.g. image=...)")
    elif isinstance(value, Mapping):
        for v in value.values():
            no_expressions(v, where, name)
    elif isinstance(value, list):
        for v in value:
            no_expressions(v, where, name)


def template_deadline(tmpl: Mapping[str, Any]) -> float | None:
    """The pod's deadline in seconds: the shorter of ``activeDeadlineSeconds`` and ``timeout``, else None."""
    cands = [d for d in (_seconds(tmpl.get("activeDeadlineSeconds")), _seconds(tmpl.get("timeout")))
             if d is not None]
    return min(cands) if cands else None


def _seconds(value: Any) -> float | None:
    """``activeDeadlineSeconds`` (an int, or its digits as text) or ``timeout`` (a Go duration, e.g. ``"90s"``)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    if text.isdigit():
        return float(text)
    return parse_go_duration(text)
