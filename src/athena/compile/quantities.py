"""Kubernetes resource quantities (``"500m"``, ``"1Gi"``, ``"1e3"``), checked before any YAML is written.

The grammar is ``resource.Quantity``'s: a signed decimal number, then a binary suffix (Ki…Ei), a decimal
suffix (m, k, M…E) or an exponent (``e3``). Kubernetes accepts it at admission only, so a typo would
otherwise surface as a rejected workflow at submit time.
"""

from __future__ import annotations

import re

_QUANTITY = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+|Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?", re.ASCII)


def check_quantity(value: object, what: str, *, positive: bool = True) -> str:
    """``value`` as a quantity string, or ValueError saying why Kubernetes would reject it."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValueError(f"{what} must be a Kubernetes quantity such as \"10Gi\" or \"500Mi\", got {value!r}")
    text = str(value)
    if not _QUANTITY.fullmatch(text):
        raise ValueError(f"{what} {text!r} is not a Kubernetes quantity (a number with an optional suffix "
                         "Ki, Mi, Gi, Ti, Pi, Ei, m, k, M, G, T, P, E, e.g. \"10Gi\")")
    if positive and (text.startswith("-") or not re.search(r"[1-9]", text.split("e")[0].split("E")[0])):
        raise ValueError(f"{what} {text!r} must be greater than zero")
    return text
