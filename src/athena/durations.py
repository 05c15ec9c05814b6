"""Durations in decorator arguments and config (DESIGN §1.4).

A duration is an ``int`` of seconds or a string of ``<number><unit>`` groups with units ``d h m s``
(``"90s"``, ``"1h30m"``, ``"2d"``, ``"1.5h"``), or a bare digit string (``"30"`` = 30 seconds). Units
must appear in descending order, each at most once (``"1h30m"``, not ``"30m1h"`` or ``"1m1m"``); a
group's number is not bounded by the next unit (``"1h90m"`` is 9000 s). Numbers may have a decimal part
as long as the total is a whole number of seconds (computed exactly, no floating point).

Zero, negative, sub-second (``"500ms"``, ``"0.5s"``, ``"1.0001h"``), empty and unknown-unit values are
errors, as is anything above ``2**31 - 1`` seconds (Argo stores many durations as int32 seconds).

Values are normalized at emit to whole seconds (:func:`format_seconds` for string fields, the plain
``int`` for integer fields): Argo parses Go durations, which have no ``d`` unit.
"""

from __future__ import annotations

import re
from fractions import Fraction

__all__ = ["MAX_SECONDS", "format_seconds", "parse_duration", "parse_go_duration"]

MAX_SECONDS = 2**31 - 1
"""The longest accepted duration, in seconds (about 68 years)."""

_UNIT_SECONDS = {"d": 86_400, "h": 3_600, "m": 60, "s": 1}
_UNIT_ORDER = "dhms"
_NUMBER = r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
_GROUP = re.compile(rf"({_NUMBER})([dhms])")
_DURATION = re.compile(rf"(?:{_NUMBER}[dhms])+")
_BARE = re.compile(r"[0-9]+")
_SUB_SECOND = re.compile(rf"(?:{_NUMBER}[a-zµμ]+)+")  # e.g. "500ms", "1s500ms", "10us", "5ns"
_SUB_SECOND_UNITS = ("ms", "us", "µs", "μs", "ns")

_FORMS = "use an int of seconds or a string like '90s', '1h30m', '2d'"


def _error(what: str, value: object, problem: str) -> ValueError:
    return ValueError(f"{what}: {value!r} {problem}; {_FORMS}")


def parse_duration(value: int | str, *, what: str) -> int:
    """Return ``value`` as a whole, positive number of seconds, at most :data:`MAX_SECONDS`.

    ``what`` names the argument in error messages (``"timeout"``, ``"retry.backoff"``…). Raises
    ``ValueError`` saying what is wrong and which forms are accepted, e.g. ``"timeout: '2x' is not a
    duration; use an int of seconds or a string like '90s', '1h30m', '2d'"``.
    """
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"{what}: {value!r} is a {type(value).__name__}, not a duration; {_FORMS}")
    if isinstance(value, int):
        return _check_range(what, value, Fraction(value))

    text = value.strip()
    if not text:
        raise _error(what, value, "is empty, not a duration")
    if text.startswith("-"):
        raise _error(what, value, "is negative; durations must be positive")
    if _BARE.fullmatch(text):
        return _check_range(what, value, _exact(what, value, text))
    if _DURATION.fullmatch(text) is None:
        if _SUB_SECOND.fullmatch(text) and any(u in text for u in _SUB_SECOND_UNITS):
            raise _error(what, value, "is finer than a second; durations are whole seconds")
        raise _error(what, value, "is not a duration")

    total = Fraction(0)
    last = -1
    for number, unit in _GROUP.findall(text):
        rank = _UNIT_ORDER.index(unit)
        if rank <= last:
            raise _error(
                what, value, "is not a duration: give each unit at most once, largest first (d, h, m, s)"
            )
        last = rank
        total += _exact(what, value, number) * _UNIT_SECONDS[unit]
    return _check_range(what, value, total)


def _exact(what: str, value: object, number: str) -> Fraction:
    try:
        return Fraction(number)
    except ValueError:  # only absurdly many digits (int-conversion limit) get here
        raise _error(what, value, f"is too long; the maximum is {MAX_SECONDS} seconds") from None


def _check_range(what: str, value: object, seconds: Fraction) -> int:
    if seconds < 0:
        raise _error(what, value, "is negative; durations must be positive")
    if seconds == 0:
        raise _error(what, value, "is zero; durations must be positive")
    if seconds < 1:
        raise _error(what, value, "is less than a second; durations are whole seconds")
    if seconds.denominator != 1:
        raise _error(what, value, "is not a whole number of seconds; durations are whole seconds")
    if seconds > MAX_SECONDS:
        raise _error(what, value, f"is too long; the maximum is {MAX_SECONDS} seconds (about 68 years)")
    return int(seconds)


def format_seconds(n: int) -> str:
    """Render whole seconds as a Go duration string for Argo: ``format_seconds(172800) == "172800s"``."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"format_seconds: expected a positive int of seconds, got {n!r}")
    return f"{n}s"


_GO_UNIT_SECONDS = {"ns": Fraction(1, 10**9), "us": Fraction(1, 10**6), "µs": Fraction(1, 10**6),
                    "μs": Fraction(1, 10**6), "ms": Fraction(1, 1000), "s": Fraction(1), "m": Fraction(60),
                    "h": Fraction(3600)}
_GO_GROUP = re.compile(rf"({_NUMBER})(ns|us|µs|μs|ms|s|m|h)")
_GO_DURATION = re.compile(rf"[-+]?(?:(?:{_NUMBER}(?:ns|us|µs|μs|ms|s|m|h))+|0)")


def parse_go_duration(text: str) -> float | None:
    """A Go duration as Argo reads it (``time.ParseDuration``: ``"90s"``, ``"1h30m"``, ``"1.5h"``, ``"300ms"``,
    ``"0"``), in seconds; None when ``text`` is not one.

    This reads what a template *carries* (e.g. a container's ``timeout``); user input goes through
    :func:`parse_duration`, which is stricter (whole, positive seconds, a ``d`` unit).
    """
    t = text.strip()
    if _GO_DURATION.fullmatch(t) is None:
        return None
    sign = -1 if t.startswith("-") else 1
    total = sum((Fraction(n) * _GO_UNIT_SECONDS[u] for n, u in _GO_GROUP.findall(t)), Fraction(0))
    return float(sign * total)
