"""Property: the ``when`` text athena emits, evaluated as Argo does, agrees with Go's semantics.

The reference below is written directly over decoded values (JSON numbers are float64; ``==`` is numeric
across int/float, element-wise on arrays, kind-strict otherwise; ordering needs two numbers or two strings;
a missing key is ``nil``; reading from ``nil`` or out of range fails). It shares no code with the evaluator.
"""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from athena.argo.expr import cond_expr, when
from athena.compile.model import BoolOp, Compare, Cond, InLits, Input, IsNone, Lit, Not, Truth
from athena.local.argo.evaluate import ExprError, evaluate
from athena.local.argo.render import render


class Fails(Exception):
    pass


def _num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _go_decode(v: Any) -> Any:
    """What fromJSON gives for a Python JSON value: every number a float."""
    if _num(v):
        return float(v)
    if isinstance(v, list):
        return [_go_decode(x) for x in v]
    if isinstance(v, dict):
        return {k: _go_decode(x) for k, x in v.items()}
    return v


def ref_value(arg: Input | Lit, inputs: dict[str, Any]) -> Any:
    if isinstance(arg, Lit):
        return arg.value
    v = _go_decode(inputs[arg.name])
    for step in arg.path:
        if isinstance(v, dict) and isinstance(step, str):
            v = v.get(step)
        elif isinstance(v, list) and isinstance(step, int) and -len(v) <= step < len(v):
            v = v[step]
        elif isinstance(v, str) and isinstance(step, int) and -len(v.encode()) <= step < len(v.encode()):
            v = v.encode()[step]  # Go indexes a string by byte: a uint8, compared as a number
        else:
            raise Fails
    return v


def strict_equal(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(strict_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return set(a) == set(b) and all(strict_equal(a[k], b[k]) for k in a)
    return bool(a == b)


def go_equal(a: Any, b: Any) -> bool:
    if _num(a) and _num(b):
        return float(a) == float(b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(go_equal(x, y) for x, y in zip(a, b, strict=True))
    return strict_equal(a, b)


def ref(c: Cond, inputs: dict[str, Any]) -> bool:
    if isinstance(c, Compare):
        a, b = ref_value(c.left, inputs), ref_value(c.right, inputs)  # type: ignore[arg-type]
        if c.op in ("==", "!="):
            return go_equal(a, b) == (c.op == "==")
        if not ((_num(a) and _num(b)) or (isinstance(a, str) and isinstance(b, str))):
            raise Fails
        return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[c.op]
    if isinstance(c, IsNone):
        return (ref_value(c.arg, inputs) is None) != c.negated  # type: ignore[arg-type]
    if isinstance(c, InLits):
        v = ref_value(c.arg, inputs)  # type: ignore[arg-type]
        return any(go_equal(x, v) for x in c.values) != c.negated
    if isinstance(c, Truth):
        return ref_value(c.arg, inputs) is True  # type: ignore[arg-type]
    if isinstance(c, Not):
        return not ref(c.inner, inputs)
    assert isinstance(c, BoolOp)
    for item in c.items:  # && and || short-circuit
        r = ref(item, inputs)
        if r != (c.op == "and"):
            return r
    return c.op == "and"


scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 5),
                    st.floats(-10, 10, allow_nan=False).filter(lambda f: math.isfinite(f)),
                    st.sampled_from([0.5, 2.0, 1e16, 3.0]), st.text(max_size=3))
json_values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                            st.dictionaries(st.sampled_from("abk"), inner,
                                                                            max_size=3)), max_leaves=6)
paths = st.lists(st.one_of(st.sampled_from("abk"), st.integers(-2, 2)), max_size=2).map(tuple)
inputs_arg = st.builds(Input, st.sampled_from(["p", "q"]), paths)
lit_arg = st.builds(Lit, scalars)
args = st.one_of(inputs_arg, lit_arg)
leaf_conds: st.SearchStrategy[Cond] = st.one_of(
    st.builds(Compare, st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), args, args),
    st.builds(IsNone, inputs_arg, st.booleans()),
    st.builds(InLits, inputs_arg, st.lists(scalars, max_size=3).map(tuple), st.booleans()),
    st.builds(Truth, inputs_arg),
)
conds = st.recursive(leaf_conds, lambda inner: st.one_of(
    st.builds(Not, inner),
    st.builds(BoolOp, st.sampled_from(["and", "or"]), st.lists(inner, min_size=2, max_size=3).map(tuple))),
    max_leaves=4)


@settings(max_examples=400, deadline=None)
@given(c=conds, p=json_values, q=json_values)
def test_emitted_conditions_follow_go_semantics(c: Cond, p: Any, q: Any) -> None:
    inputs = {"p": p, "q": q}
    env = {"inputs": {"parameters": {k: json.dumps(v) for k, v in inputs.items()}}}
    try:
        expected: bool | None = ref(c, inputs)
    except Fails:
        expected = None
    text = cond_expr(c, "tasks")
    try:
        got = evaluate(text, env)
    except ExprError:
        assert expected is None, (text, inputs)
        return
    assert got is expected, (text, inputs)
    # The `when` tag renders the same decision as the text Argo's govaluate step reads. (A string literal
    # holding `}}` would end the tag early on Argo too: the emitter does not guard that case.)
    if "}}" not in text:
        params = {f"inputs.parameters.{k}": v for k, v in env["inputs"]["parameters"].items()}
        assert render(when(c, "tasks"), params).strip() == ("true" if got else "false")


@given(a=st.one_of(st.integers(-10, 10), st.floats(-10, 10, allow_nan=False), st.text(max_size=2)),
       b=st.one_of(st.integers(-10, 10), st.floats(-10, 10, allow_nan=False), st.text(max_size=2)))
def test_comparable_scalars_order_as_go_does(a: Any, b: Any) -> None:
    """Two numbers or two strings order as in Go (and in Python); any other pair is an error."""
    env = {"inputs": {"parameters": {"a": json.dumps(a), "b": json.dumps(b)}}}
    text = "fromJSON(inputs.parameters.a) < fromJSON(inputs.parameters.b)"
    if (_num(a) and _num(b)) or (isinstance(a, str) and isinstance(b, str)):
        assert evaluate(text, env) is (a < b)
    else:
        try:
            evaluate(text, env)
        except ExprError:
            return
        raise AssertionError("mismatched ordering must fail")
