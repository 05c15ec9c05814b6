"""Evaluate an expr-lang expression with the semantics it has inside Argo (Go values, expr's runtime).

Facts (expr-lang's language definition and runtime, Argo's ``util/expr/env``):

- ``==`` compares numbers across int/float (``1 == 1.0``), arrays element by element, everything else
  kind-strictly (``1 == true`` is false, ``nil == nil`` is true); ``<`` ``<=`` ``>`` ``>=`` accept two
  numbers or two strings and fail otherwise (``nil < 1`` is an error, not false);
- ``&&``, ``||``, ``!`` and the ternary's condition need booleans; ``/`` always gives a float, ``%`` needs
  integers; ``+`` adds numbers or joins two strings;
- a missing map key reads as ``nil``; reading from ``nil`` fails unless through ``?.`` (the whole chain is
  then ``nil``); arrays take negative indices from the end;
- ``in`` looks a value up in an array (with ``==``) or a key in a map;
- builtins used by athena and Argo: ``fromJSON`` (numbers become float64), ``toJSON`` (indented),
  ``toJson`` (Argo's: compact), ``int``/``asInt``, ``float``/``asFloat``, ``string`` (Go ``%v``), ``len``,
  ``type``, ``map``/``filter``/``all``/``any``/``none``/``one``/``count``/``find`` over ``#``, ``keys``,
  ``values``, ``join``, ``lower``, ``upper``, ``trim``, ``split``, ``replace``, ``first``, ``last``, ``abs``, ``min``, ``max``;
- Argo's additions (``util/expr/env``): ``jsonpath(json, path)`` (:mod:`.jsonpath`) and the ``sprig`` map of
  functions, called as members (``sprig.upper(x)``, :mod:`.sprig`). They are put in the environment *after*
  the parameters, so a parameter cannot shadow them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from athena.local.argo import gojson
from athena.local.argo.jsonpath import JSONPathError
from athena.local.argo.jsonpath import query as _jsonpath
from athena.local.argo.lexer import ExprSyntaxError
from athena.local.argo.parser import (
    Array,
    Binary,
    Call,
    Chain,
    Closure,
    Invoke,
    Let,
    Lit,
    MapLit,
    Member,
    Name,
    Node,
    Pointer,
    Slice,
    Ternary,
    Unary,
    parse,
)
from athena.local.argo.sprig import SPRIG, SprigError

__all__ = ["ExprError", "ExprSyntaxError", "evaluate", "expr_equal", "go_type"]


class ExprError(ValueError):
    """Argo fails to evaluate the expression (a runtime error of expr-lang)."""


class _NilChain(Exception):
    """An optional step (``?.``) met ``nil``: the enclosing chain yields ``nil``."""


def go_type(v: Any) -> str:
    """expr-lang's ``type(v)`` (also used in error messages)."""
    if v is None:
        return "nil"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "map"
    return "unknown"


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _deep_equal(a: Any, b: Any) -> bool:
    """Go's reflect.DeepEqual over decoded values: kinds must match exactly (int 1 is not float64 1)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(_deep_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_deep_equal(a[k], b[k]) for k in a)
    return bool(a == b)


def expr_equal(a: Any, b: Any) -> bool:
    """expr-lang's ``==``."""
    if _is_number(a) and _is_number(b):
        return bool(a == b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(expr_equal(x, y) for x, y in zip(a, b, strict=True))
    return _deep_equal(a, b)


def _less(op: str, a: Any, b: Any) -> bool:
    if (_is_number(a) and _is_number(b)) or (isinstance(a, str) and isinstance(b, str)):
        if op == "<":
            return bool(a < b)
        if op == "<=":
            return bool(a <= b)
        if op == ">":
            return bool(a > b)
        return bool(a >= b)
    raise ExprError(f"invalid operation: {go_type(a)} {op} {go_type(b)}")


def _in(needle: Any, haystack: Any) -> bool:
    if haystack is None:
        return False
    if isinstance(haystack, list):
        return any(expr_equal(x, needle) for x in haystack)
    if isinstance(haystack, dict):
        if needle is None:  # Go looks up the key type's zero value
            return "" in haystack
        if not isinstance(needle, str):
            raise ExprError(f"cannot use {go_type(needle)} as a key of map")
        return needle in haystack
    raise ExprError(f'operator "in" not defined on {go_type(haystack)}')


def _bool(v: Any, what: str) -> bool:
    if not isinstance(v, bool):
        raise ExprError(f"invalid operation: {what} on {go_type(v)} (a bool is needed)")
    return v


def _arith(op: str, a: Any, b: Any) -> Any:
    if op == "+" and isinstance(a, str) and isinstance(b, str):
        return a + b
    if op == "+" and isinstance(a, list) and isinstance(b, list):
        return a + b
    if not (_is_number(a) and _is_number(b)):
        raise ExprError(f"invalid operation: {go_type(a)} {op} {go_type(b)}")
    both_int = isinstance(a, int) and isinstance(b, int)
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "/":
        fa, fb = float(a), float(b)
        if fb == 0:  # Go float division by zero is ±Inf or NaN, not a panic
            return math.nan if fa == 0 or math.isnan(fa) else math.copysign(math.inf, fa) * math.copysign(1, fb)
        return fa / fb
    if op == "%":
        if not both_int:
            raise ExprError(f"invalid operation: {go_type(a)} % {go_type(b)}")
        if b == 0:
            raise ExprError("integer divide by zero")
        return int(math.fmod(a, b))  # Go truncates toward zero
    if op == "**":
        try:
            return float(a) ** float(b)
        except (OverflowError, ZeroDivisionError):
            return math.inf
    raise ExprError(f"unknown operator {op}")  # pragma: no cover


def _fetch(base: Any, key: Any) -> Any:
    if isinstance(base, dict):
        if not isinstance(key, str):
            raise ExprError(f"cannot use {go_type(key)} as a key of map")
        return base.get(key)
    if isinstance(base, (list, str)):
        if not _is_number(key):
            raise ExprError(f"cannot use {go_type(key)} as an index of {go_type(base)}")
        seq: list[Any] | bytes = base if isinstance(base, list) else base.encode()  # Go indexes a string's bytes
        i = int(key)
        n = len(seq)
        j = i + n if i < 0 else i
        if not 0 <= j < n:
            raise ExprError(f"index out of range: {i} (array length is {n})")
        return seq[j]
    raise ExprError(f"cannot fetch {gojson.format_v(key)} from {go_type(base) if base is not None else '<nil>'}")


def _slice(base: Any, lo: Any, hi: Any) -> Any:
    if not isinstance(base, (list, str)):
        raise ExprError(f"cannot slice {go_type(base)}")
    n = len(base)

    def bound(v: Any, default: int) -> int:
        if v is None:
            return default
        if not _is_number(v):
            raise ExprError(f"invalid slice index {go_type(v)}")
        i = int(v)
        i = i + n if i < 0 else i
        return max(0, min(n, i))

    a, b = bound(lo, 0), bound(hi, n)
    return base[a:b] if a <= b else base[0:0]


class _Env:
    def __init__(self, env: Mapping[str, Any]) -> None:
        self.env = env
        self.locals: list[tuple[str, Any]] = []
        self.pointers: list[Any] = []

    def name(self, name: str) -> Any:
        for n, v in reversed(self.locals):
            if n == name:
                return v
        if name == "$env":
            return dict(self.env)
        if name == "sprig":  # GetFuncMap sets env["sprig"] after the parameters
            return SPRIG
        if name in self.env:
            return self.env[name]
        raise ExprError(f"unknown name {name}")

    def pointer(self, name: str) -> Any:
        if not self.pointers:
            raise ExprError("# is only valid inside a predicate")
        if name == "":
            return self.pointers[-1]
        raise ExprError(f"unknown pointer #{name}")


def _eval(node: Node, e: _Env) -> Any:
    if isinstance(node, Lit):
        return node.value
    if isinstance(node, Name):
        return e.name(node.name)
    if isinstance(node, Pointer):
        return e.pointer(node.name)
    if isinstance(node, Chain):
        try:
            return _eval(node.inner, e)
        except _NilChain:
            return None
    if isinstance(node, Member):
        base = _eval(node.base, e)
        if base is None and node.optional:
            raise _NilChain
        return _fetch(base, _eval(node.key, e))
    if isinstance(node, Slice):
        base = _eval(node.base, e)
        lo = None if node.lo is None else _eval(node.lo, e)
        hi = None if node.hi is None else _eval(node.hi, e)
        return _slice(base, lo, hi)
    if isinstance(node, Unary):
        v = _eval(node.operand, e)
        if node.op == "!":
            return not _bool(v, "!")
        if not _is_number(v):
            raise ExprError(f"invalid operation: {node.op}{go_type(v)}")
        return -v if node.op == "-" else v
    if isinstance(node, Binary):
        return _binary(node, e)
    if isinstance(node, Ternary):
        return _eval(node.then if _bool(_eval(node.cond, e), "?:") else node.other, e)
    if isinstance(node, Let):
        e.locals.append((node.name, _eval(node.value, e)))
        try:
            return _eval(node.body, e)
        finally:
            e.locals.pop()
    if isinstance(node, Array):
        return [_eval(i, e) for i in node.items]
    if isinstance(node, MapLit):
        out: dict[str, Any] = {}
        for k, v in node.pairs:
            key = _eval(k, e)
            out[key if isinstance(key, str) else gojson.format_v(key)] = _eval(v, e)
        return out
    if isinstance(node, Call):
        return _call(node, e)
    if isinstance(node, Invoke):
        return _invoke(node, e)
    if isinstance(node, Closure):
        raise ExprError("a predicate is only valid as an argument")
    raise TypeError(node)  # pragma: no cover


def _binary(node: Binary, e: _Env) -> Any:
    op = node.op
    if op == "&&":
        return _bool(_eval(node.left, e), "&&") and _bool(_eval(node.right, e), "&&")
    if op == "||":
        return _bool(_eval(node.left, e), "||") or _bool(_eval(node.right, e), "||")
    if op == "??":
        left = _eval(node.left, e)
        return _eval(node.right, e) if left is None else left
    a, b = _eval(node.left, e), _eval(node.right, e)
    if op == "==":
        return expr_equal(a, b)
    if op == "!=":
        return not expr_equal(a, b)
    if op in ("<", "<=", ">", ">="):
        return _less(op, a, b)
    if op == "in":
        return _in(a, b)
    if op in ("contains", "startsWith", "endsWith", "matches"):
        if not (isinstance(a, str) and isinstance(b, str)):
            raise ExprError(f"invalid operation: {go_type(a)} {op} {go_type(b)}")
        if op == "contains":
            return b in a
        if op == "startsWith":
            return a.startswith(b)
        if op == "endsWith":
            return a.endswith(b)
        try:
            return re.search(b, a) is not None
        except re.error as exc:
            raise ExprError(f"invalid regexp {b!r}: {exc}") from None
    if op == "..":
        if not (isinstance(a, int) and isinstance(b, int)) or isinstance(a, bool) or isinstance(b, bool):
            raise ExprError(f"invalid operation: {go_type(a)} .. {go_type(b)}")
        return list(range(a, b + 1))
    return _arith(op, a, b)


# ---------------------------------------------------------------------------------------------- builtins


def _to_int(v: Any) -> int:
    if _is_number(v):
        if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
            return -(2**63)  # Go's conversion of a non-finite float
        return int(v)
    if isinstance(v, str):
        text = v[1:] if v[:1] in "+-" else v
        if text.isdigit() and text.isascii():
            return int(v)
        raise ExprError(f"invalid operation: int({v})")
    raise ExprError(f"invalid operation: int({go_type(v)})")


def _to_float(v: Any) -> float:
    if _is_number(v):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v.replace("_", "")) if re.fullmatch(r"[+-]?(inf|infinity|nan|[0-9._]+([eE][+-]?[0-9]+)?)",
                                                               v, re.I) else _float_fail(v)
        except ValueError:
            return _float_fail(v)
    raise ExprError(f"invalid operation: float({go_type(v)})")


def _float_fail(v: str) -> float:
    raise ExprError(f'invalid operation: float({v}): strconv.ParseFloat: parsing "{v}": invalid syntax')


def _from_json(v: Any) -> Any:
    if not isinstance(v, str):
        raise ExprError(f"fromJSON needs a string, not {go_type(v)}")
    try:
        return gojson.decode(v)
    except gojson.GoJSONError as exc:
        raise ExprError(str(exc)) from None


def _to_json(indent: bool) -> Callable[[Any], str]:
    def fn(v: Any) -> str:
        try:
            return gojson.encode(v, indent=indent)
        except gojson.GoJSONError as exc:
            raise ExprError(str(exc)) from None
    return fn


def _len(v: Any) -> int:
    if isinstance(v, (str, list, dict)):
        return len(v)
    raise ExprError(f"invalid argument for len (type {go_type(v)})")


def _array(v: Any, fn: str) -> list[Any]:
    if not isinstance(v, list):
        raise ExprError(f"{fn}: cannot iterate over {go_type(v)}")
    return v


def _number_fn(name: str) -> Callable[..., Any]:
    def fn(*args: Any) -> Any:
        for a in args:
            if not _is_number(a):
                raise ExprError(f"invalid argument for {name} (type {go_type(a)})")
        if name == "abs":
            return abs(args[0])
        pick = min(args) if name == "min" else max(args)
        return pick
    return fn


def _join(xs: Any, sep: Any = "") -> str:
    items = _array(xs, "join")
    if not all(isinstance(x, str) for x in items) or not isinstance(sep, str):
        raise ExprError("join needs an array of strings")
    return sep.join(items)


def _string_fn(name: str, method: Callable[[str], Any]) -> Callable[[Any], Any]:
    def fn(v: Any) -> Any:
        if not isinstance(v, str):
            raise ExprError(f"invalid argument for {name} (type {go_type(v)})")
        return method(v)
    return fn


def _keys(v: Any) -> list[str]:
    if not isinstance(v, dict):
        raise ExprError(f"invalid argument for keys (type {go_type(v)})")
    return sorted(v)  # Go's map order is random; sorted is one of the possible answers


def _values(v: Any) -> list[Any]:
    return [v[k] for k in _keys(v)]


def _split(s: Any, sep: Any) -> list[str]:
    if not (isinstance(s, str) and isinstance(sep, str)):
        raise ExprError("split needs two strings")
    return list(s) if sep == "" else s.split(sep)


def _replace(s: Any, old: Any, new: Any, n: Any = -1) -> str:
    """expr-lang's ``replace``: Go's ``strings.ReplaceAll`` (three arguments) or ``strings.Replace`` (a count;
    negative means all). An empty ``old`` inserts ``new`` before every character and at the end, as Go does."""
    if not (isinstance(s, str) and isinstance(old, str) and isinstance(new, str)):
        raise ExprError("replace needs three strings")
    if isinstance(n, bool) or not isinstance(n, int | float):
        raise ExprError(f"invalid argument for replace (type {go_type(n)})")
    return s.replace(old, new, int(n))


def _jsonpath_fn(text: Any, path: Any) -> Any:
    if not (isinstance(text, str) and isinstance(path, str)):
        raise ExprError("jsonpath needs two strings: jsonpath(json, '$.path')")
    try:
        return _jsonpath(text, path)
    except JSONPathError as exc:
        raise ExprError(str(exc)) from None


_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "fromJSON": _from_json,
    "toJSON": _to_json(True),
    "toJson": _to_json(False),  # Argo's addition: Go json.Marshal, compact
    "jsonpath": _jsonpath_fn,  # Argo's addition (evilmonkeyinc/jsonpath)
    "int": _to_int,
    "asInt": _to_int,
    "float": _to_float,
    "asFloat": _to_float,
    "string": gojson.format_v,
    "len": _len,
    "type": go_type,
    "keys": _keys,
    "values": _values,
    "join": _join,
    "lower": _string_fn("lower", str.lower),
    "upper": _string_fn("upper", str.upper),
    "trim": _string_fn("trim", str.strip),
    "split": _split,
    "replace": _replace,
    "first": lambda xs: _array(xs, "first")[0] if _array(xs, "first") else None,
    "last": lambda xs: _array(xs, "last")[-1] if _array(xs, "last") else None,
    "abs": _number_fn("abs"),
    "min": _number_fn("min"),
    "max": _number_fn("max"),
}


def _call(node: Call, e: _Env) -> Any:
    name = node.name
    if node.args and isinstance(node.args[-1], Closure):
        return _predicate_call(node, e)
    fn = _FUNCTIONS.get(name)
    if fn is None:
        raise ExprError(f"unknown function {name}")
    args = [_eval(a, e) for a in node.args]
    try:
        return fn(*args)
    except TypeError:
        raise ExprError(f"invalid number of arguments for {name} ({len(args)})") from None


def _invoke(node: Invoke, e: _Env) -> Any:
    callee = node.callee
    label = "a member"
    if isinstance(callee, Member) and isinstance(callee.base, Name) and isinstance(callee.key, Lit):
        label = f"{callee.base.name}.{callee.key.value}"
        if callee.base.name == "sprig" and callee.key.value not in SPRIG:
            raise ExprError(f"{label}: athena run does not implement this sprig function (it knows "
                            f"{', '.join(sorted(SPRIG))}); compute the value in a step instead")
    fn = _eval(callee, e)
    if not callable(fn):
        raise ExprError(f"{label} is not a function")
    args = [_eval(a, e) for a in node.args]
    try:
        return fn(*args)
    except SprigError as exc:
        raise ExprError(str(exc)) from None
    except TypeError:
        raise ExprError(f"invalid number of arguments for {label} ({len(args)})") from None


def _predicate_call(node: Call, e: _Env) -> Any:
    if len(node.args) != 2:
        raise ExprError(f"invalid number of arguments for {node.name} ({len(node.args)})")
    items = _array(_eval(node.args[0], e), node.name)
    closure = node.args[1]
    assert isinstance(closure, Closure)

    def apply(x: Any) -> Any:
        e.pointers.append(x)
        try:
            return _eval(closure.body, e)
        finally:
            e.pointers.pop()

    name = node.name
    if name == "map":
        return [apply(x) for x in items]
    if name == "filter":
        return [x for x in items if _bool(apply(x), "filter")]
    if name == "all":
        return all(_bool(apply(x), "all") for x in items)
    if name == "any":
        return any(_bool(apply(x), "any") for x in items)
    if name == "none":
        return not any(_bool(apply(x), "none") for x in items)
    if name == "one":
        return sum(1 for x in items if _bool(apply(x), "one")) == 1
    if name == "count":
        return sum(1 for x in items if _bool(apply(x), "count"))
    if name == "find":
        return next((x for x in items if _bool(apply(x), "find")), None)
    raise ExprError(f"unsupported predicate function {name}")


def evaluate(text: str, env: Mapping[str, Any]) -> Any:
    """The value of expression ``text`` over ``env`` (nested maps of strings, as Argo builds it).

    Raises ``ExprSyntaxError`` when the text does not parse and ``ExprError`` when evaluation fails.
    """
    node = parse(text)
    try:
        return _eval(node, _Env(env))
    except RecursionError:
        raise ExprError("expression nested too deeply") from None
