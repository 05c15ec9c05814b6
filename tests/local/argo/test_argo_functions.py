"""Argo's additions to expr-lang: ``jsonpath`` and the ``sprig`` function map (``argo@v4.1.2:util/expr/env/env.go``
``GetFuncMap``; sprig v3.3.0; evilmonkeyinc/jsonpath v0.8.1)."""

from __future__ import annotations

from typing import Any

import pytest

from athena.local.argo.evaluate import ExprError, evaluate

M = '{"a": {"b": "deep", "c": [10, 20], "d": [{"n": 1}, {"n": 2}]}}'
ENV: dict[str, Any] = {"m": M, "s": "  hello  ", "n": "41", "sprig": "a parameter cannot shadow the map"}


@pytest.mark.parametrize(("text", "value"), [
    ("jsonpath(m, '$.a.b')", "deep"),
    ("jsonpath(m, '$.a.c[1]')", 20.0),
    ("jsonpath(m, '$.a.c[-1]')", 20.0),
    ("jsonpath(m, \"$['a']['b']\")", "deep"),
    ("toJson(jsonpath(m, '$.a.c'))", "[10,20]"),
    ("jsonpath(m, '$.a.d[*].n')", [1.0, 2.0]),
    ("jsonpath(m, '$.a.c[0,1]')", [10.0, 20.0]),
    ("jsonpath(m, '$.a.c[0:1]')", [10.0]),
    ("jsonpath(m, '$..n')", [1.0, 2.0]),
    ("sprig.upper(sprig.trim(s))", "HELLO"),
    ("sprig.int('x')", 0),  # sprig swallows cast errors
    ("sprig.int('0x1f') + sprig.int('3.0')", 34),
    ("sprig.atoi('12') + sprig.atoi('nope')", 12),
    ("sprig.trimPrefix('he', sprig.trim(s))", "llo"),
    ("sprig.repeat(2, 'ab')", "abab"),
    ("sprig.substr(1, 3, 'hello')", "el"),
    ("sprig.trunc(-2, 'hello')", "lo"),
    ("sprig.contains('ell', 'hello')", True),
    ("sprig.replace('l', 'L', 'hello')", "heLLo"),
    ("sprig.default('d', '')", "d"),
    ("sprig.default('d', 'x')", "x"),
    ("sprig.coalesce('', nil, 'z')", "z"),
    ("sprig.ternary('y', 'n', 1 > 0)", "y"),
    ("sprig.add(1, '2', 3.7)", 6),
    ("sprig.div(-7, 2)", -3),
    ("sprig.mod(-7, 2)", -1),
    ("sprig.quote('a\"b<', 1)", '"a\\"b<" "1"'),
    ("sprig.cat('a', nil, 2)", "a 2"),
    ("sprig.join('-', ['a', 1])", "a-1"),
    ("sprig.splitList(',', 'a,b')", ["a", "b"]),
    ("sprig.b64enc('hi')", "aGk="),
    ("sprig.regexReplaceAll('a(x*)b', '-ab-axxb-', '${1}W')", "-W-xxW-"),
    ("sprig.fromJson('not json')", None),
    ("sprig['upper']('a')", "A"),
    ("asInt(n) + 1", 42),
])
def test_argo_functions(text: str, value: Any) -> None:
    assert evaluate(text, ENV) == value


@pytest.mark.parametrize("text", [
    "jsonpath(m, '$.a.zz')",        # a missing key panics in Argo: the expression fails
    "jsonpath(m, '$.a.c[5]')",
    "jsonpath('not json', '$.a')",
    "jsonpath(m, '$.a.d[?(@.n > 1)]')",
    "sprig.upper(1)",               # Go's reflect call refuses an int for a string parameter
    "sprig.div(1, 0)",
    "sprig.env('HOME')",            # removed by Argo
    "sprig.nope(1)",
])
def test_argo_function_errors(text: str) -> None:
    with pytest.raises(ExprError):
        evaluate(text, ENV)
