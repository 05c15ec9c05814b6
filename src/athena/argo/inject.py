"""Parameter injection in container options: ``image="app:{tag}"``, ``{profile.disk}``, ``{{...}}`` verbatim."""

from __future__ import annotations

import re

from athena.compile.model import Param
from athena.compile.typecheck import TypeNode, field_step, is_injectable

_TOKEN = re.compile(r"\{\{.*?\}\}|\{([^{}]*)\}", re.S)
_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


class InjectionError(ValueError):
    pass


def render(text: str, params: tuple[Param, ...]) -> str:
    """Replace each ``{name.field}`` by an Argo expression over the container's own inputs."""
    by_name = {p.name: p for p in params}

    def sub(m: re.Match[str]) -> str:
        inner = m.group(1)
        if inner is None:
            return m.group(0)  # {{...}}: Argo's own templating, verbatim
        inner = inner.strip()
        if not _PATH.match(inner):
            raise InjectionError(f"`{{{inner}}}` is not `{{name}}` or `{{name.field}}`")
        head, *fields = inner.split(".")
        p = by_name.get(head)
        if p is None:
            known = ", ".join(by_name) or "none"
            raise InjectionError(f"`{{{inner}}}` names no parameter of this container (parameters: {known})")
        t: TypeNode = p.type
        path = ""
        for f in fields:
            step = field_step(t, f)
            if isinstance(step, str):
                raise InjectionError(f"`{{{inner}}}`: {step}")
            key, t = step
            path += f"[{key}]" if isinstance(key, int) else f"['{key}']"
        if not is_injectable(t):
            raise InjectionError(f"`{{{inner}}}` is {t}; only str, int and float values can be injected")
        return "{{=fromJSON(inputs.parameters['%s'])%s}}" % (head, path)

    return _TOKEN.sub(sub, text)
