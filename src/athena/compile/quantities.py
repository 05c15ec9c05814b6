"""Kubernetes resource quantities (``"500m"``, ``"1Gi"``, ``"1e3"``), checked before any YAML is written.

The grammar is ``resource.Quantity``'s: a signed decimal number, then a binary suffix (Ki…Ei), a decimal
suffix (m, k, M…E) or an exponent (``e3``). Kubernetes accepts it at admission only, so a typo would
otherwise surface as a rejected workflow at submit time.
"""

from __future__ import annotations

import re
from fractions import Fraction

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


_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {"m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}


def quantity_value(text: str) -> Fraction:
    """The exact value of a quantity :func:`check_quantity` accepted, to compare a request with its limit."""
    m = _QUANTITY.fullmatch(text)
    if m is None:
        raise ValueError(f"{text!r} is not a Kubernetes quantity")
    suffix = m.group(3) or ""
    value = Fraction(text[: len(text) - len(suffix)])
    if suffix in _BINARY:
        return value * _BINARY[suffix]
    return value * Fraction(10) ** (_DECIMAL[suffix] if suffix in _DECIMAL else int(suffix[1:]))
