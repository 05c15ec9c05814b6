"""Argo's simple ``{{...}}`` substitution: textual, over every string of a template; unknown tags stay verbatim."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["substitute"]

_TAG = re.compile(r"\{\{(.*?)\}\}", re.S)


def substitute(value: Any, params: Mapping[str, str]) -> Any:
    """Argo's simple substitution over every string of ``value`` (unknown tags stay verbatim)."""
    if isinstance(value, str):
        def sub(m: re.Match[str]) -> str:
            return params.get(m.group(1).strip(), m.group(0))
        return _TAG.sub(sub, value) if "{{" in value else value
    if isinstance(value, Mapping):
        return {k: substitute(v, params) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [substitute(v, params) for v in value]
    return value
