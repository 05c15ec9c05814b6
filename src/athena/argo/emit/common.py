"""Small pieces every emitted template shares: names with the tag, templateRefs, parameter declarations."""

from __future__ import annotations

from typing import Any

from athena import names
from athena.argo import expr
from athena.argo.emit.settings import EmitSettings
from athena.compile.model import Param
from athena.compile.typecheck import ArtifactT, enum_values

API_VERSION = "argoproj.io/v1alpha1"


def tagged(name: str, s: EmitSettings) -> str:
    return names.with_tag(name, s.name_tag) if s.name_tag else name


def ref(template: str, s: EmitSettings) -> dict[str, str]:
    return {"name": tagged(template, s), "template": template}


def value_params(params: tuple[Param, ...]) -> list[Param]:
    """Parameters that travel as Argo parameters (an ``Artifact[T]`` travels as an artifact instead)."""
    return [p for p in params if not isinstance(p.type, ArtifactT)]


def param(p: Param, *, arguments: bool = False) -> dict[str, Any]:
    d: dict[str, Any] = {"name": p.name}
    if p.has_default:
        d["value" if arguments else "default"] = expr.json_text(p.default)
    values = enum_values(p.type)
    if values:
        d["enum"] = [expr.json_text(v) for v in values]
    return d
