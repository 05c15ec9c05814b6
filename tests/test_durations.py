"""Tests for athena.durations."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from athena.durations import MAX_SECONDS, format_seconds, parse_duration, parse_go_duration

FORMS = "use an int of seconds or a string like '90s', '1h30m', '2d'"


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (1, 1),
        (90, 90),
        (MAX_SECONDS, MAX_SECONDS),
        ("30", 30),
        ("007", 7),
        ("90s", 90),
        ("1m", 60),
        ("1h30m", 5400),
        ("1h90m", 9000),
        ("2d", 172_800),
        ("1d2h3m4s", 93_784),
        ("1.5h", 5400),
        (".5m", 30),
        ("0.25m", 15),
        ("1.h", 3600),
        ("0h30m", 1800),
        ("5m0s", 300),
        (" 90s ", 90),
        (f"{MAX_SECONDS}s", MAX_SECONDS),
        ("24855d3h14m7s", MAX_SECONDS),
    ],
)
def test_good(value: int | str, seconds: int) -> None:
    assert parse_duration(value, what="timeout") == seconds


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (0, "0 is zero"),
        (-5, "-5 is negative"),
        (MAX_SECONDS + 1, f"{MAX_SECONDS + 1} is too long"),
        ("0", "'0' is zero"),
        ("0s", "'0s' is zero"),
        ("0h0m", "'0h0m' is zero"),
        ("-5s", "'-5s' is negative"),
        ("-30", "'-30' is negative"),
        ("", "'' is empty"),
        ("   ", "'   ' is empty"),
        ("2x", "'2x' is not a duration"),
        ("1w", "'1w' is not a duration"),
        ("1H", "'1H' is not a duration"),
        ("1 h", "'1 h' is not a duration"),
        ("h", "'h' is not a duration"),
        ("1h30", "'1h30' is not a duration"),
        ("1e3s", "'1e3s' is not a duration"),
        ("1_000s", "'1_000s' is not a duration"),
        ("+5s", "'+5s' is not a duration"),
        ("30m1h", "largest first"),
        ("1m1m", "largest first"),
        ("500ms", "'500ms' is finer than a second"),
        ("1s500ms", "finer than a second"),
        ("10us", "finer than a second"),
        ("0.5s", "'0.5s' is less than a second"),
        ("1.5s", "'1.5s' is not a whole number of seconds"),
        ("1.0001h", "not a whole number of seconds"),
        (f"{MAX_SECONDS + 1}", "is too long"),
        ("24856d", "is too long"),
        ("9" * 5000 + "s", "is too long"),
    ],
)
def test_bad(value: int | str, problem: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_duration(value, what="timeout")
    msg = str(info.value)
    assert msg.startswith("timeout: ")
    assert problem in msg
    assert msg.endswith(FORMS)


def test_exact_message() -> None:
    with pytest.raises(ValueError) as info:
        parse_duration("2x", what="timeout")
    assert str(info.value) == (
        "timeout: '2x' is not a duration; use an int of seconds or a string like '90s', '1h30m', '2d'"
    )


def test_what_is_named() -> None:
    with pytest.raises(ValueError, match=r"^retry\.backoff: "):
        parse_duration("soon", what="retry.backoff")


@pytest.mark.parametrize("value", [True, False, 1.5, 60.0, None, [60]])
def test_wrong_types(value: object) -> None:
    with pytest.raises(ValueError, match=re.escape(FORMS)) as info:
        parse_duration(value, what="cap")  # type: ignore[arg-type]
    assert str(info.value).startswith("cap: ")
    assert "not a duration" in str(info.value)


def test_format_seconds() -> None:
    assert format_seconds(90) == "90s"
    assert format_seconds(parse_duration("2d", what="ttl")) == "172800s"
    for bad in (0, -1, True):
        with pytest.raises(ValueError):
            format_seconds(bad)


@given(d=st.integers(0, 30), h=st.integers(0, 48), m=st.integers(0, 120), s=st.integers(0, 120))
def test_prop_groups_sum(d: int, h: int, m: int, s: int) -> None:
    text = "".join(f"{n}{u}" for n, u in ((d, "d"), (h, "h"), (m, "m"), (s, "s")) if n)
    total = d * 86_400 + h * 3_600 + m * 60 + s
    if total == 0:
        return
    assert parse_duration(text, what="x") == total
    assert parse_duration(format_seconds(total), what="x") == total
    assert parse_duration(str(total), what="x") == total


# ------------------------------------------------------------------------------------ Go durations (Argo's)


@pytest.mark.parametrize(("text", "seconds"), [
    ("90s", 90.0), ("1h30m", 5400.0), ("1.5h", 5400.0), ("300ms", 0.3), ("2m0.5s", 120.5), ("0", 0.0),
    ("-1s", -1.0), (" 10s ", 10.0), ("1h1h", 7200.0),
])
def test_go_durations_are_read_like_time_parse_duration(text: str, seconds: float) -> None:
    assert parse_go_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["30", "1d", "", "s", "1x", "h1"])
def test_what_go_does_not_parse_is_none(text: str) -> None:
    assert parse_go_duration(text) is None
