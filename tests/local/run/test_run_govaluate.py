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
    # argo@v4.1.2:workflow/controller/when_test.go TestShouldExecute: govaluate's `in` over a (a, b) array
    ("Error in (Failed, Error)", True),
    ("!(Succeeded in (Failed, Error))", True),
    ("Succeeded in (Failed, Error)", False),
    ("!(Error in (Failed, Error))", False),
    ("1 in (1, 2)", True),
    ("(foo == bar) || (foo == foo)", True),
    ("1/2 == 0.5", True),
    ("", True),  # shouldExecute: an empty when runs the task
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
    ("a in b", "it is not an array"),
])
def test_errors(text: str, fragment: str) -> None:
    with pytest.raises(WhenError, match=fragment):
        evaluate_when(text)


def test_errors_are_worded_as_should_execute_words_them() -> None:
    with pytest.raises(WhenError) as bad_token:
        evaluate_when('{"a": 1} == x')
    assert str(bad_token.value).startswith("""Invalid 'when' expression '{"a": 1} == x': Invalid token: '{"'""")
    assert "hint: try wrapping the affected expression in quotes" in str(bad_token.value)
    with pytest.raises(WhenError, match=r"^Failed to evaluate 'when' expresion '1 > a'"):
        evaluate_when("1 > a")
    with pytest.raises(WhenError, match=r"^Expected boolean evaluation for '1 \+ 2'\. Got 3"):
        evaluate_when("1 + 2")
