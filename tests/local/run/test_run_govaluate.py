"""``when`` as govaluate reads it after Argo turns variables into strings (argo@v4.1.2:workflow/controller/
steps.go shouldExecute; reference/argo-semantics.md §6)."""

from __future__ import annotations

import pytest

from athena.local.run.govaluate import WhenError, evaluate_when


@pytest.mark.parametrize(("text", "expected"), [
    ("heads == heads", True),
    ("heads == tails", False),
    ("true", True),
    ("false || true", True),
    ("!(1 > 2)", True),
    ("5 > 3 && 2 <= 2", True),
    ("3 == 3.0", True),
    ("'a b' == 'a b'", True),
    ("\"x\" != x", False),
    ("abc =~ '^a'", True),
    ("abc !~ 'z$'", True),
    ("2 + 3 == 5", True),
    ("my.var == my.var", True),
    ("b > a", True),
])
def test_table(text: str, expected: bool) -> None:
    assert evaluate_when(text) is expected


@pytest.mark.parametrize(("text", "fragment"), [
    ("{{tasks.a.outputs.result}} == x", "Invalid token"),
    ('{"a": 1} == x', "Invalid token"),
    ("1 + 2", "Expected boolean"),
    ("hello world", "Unexpected"),
    ("1 > a", "cannot be used with the comparator"),
    ("(true", "Unbalanced"),
    ("", "empty"),
])
def test_errors(text: str, fragment: str) -> None:
    with pytest.raises(WhenError, match=fragment):
        evaluate_when(text)
