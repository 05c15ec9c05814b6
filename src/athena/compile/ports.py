"""Static collection of ``host()`` and artifact-port calls from container bodies, through fragments."""

from __future__ import annotations

import ast
import sys
from typing import Any

from athena import codes, ports
from athena.compile import bodies
from athena.compile.lower.source import span_of
from athena.compile.model import Ports
from athena.decorators import Template
from athena.errors import CompileError, Diagnostic, Span

# By qualified name, not object identity: a second import of athena.ports (a reloaded module, a test
# harness) must not make the ports invisible.
_KINDS = {
    "host": "host",
    "load_artifact": "in",
    "load_artifact_str": "in",
    "save_artifact": "out",
    "save_artifact_str": "out",
}
assert set(_KINDS) == set(ports.PORT_FUNCTIONS)


def _kind(target: Any) -> str | None:
    """``host``/``in``/``out`` when ``target`` is one of athena's port functions, else None."""
    if not callable(target) or getattr(target, "__module__", None) != ports.__name__:
        return None
    return _KINDS.get(getattr(target, "__qualname__", ""))


def collect(t: Template[Any, Any]) -> Ports:
    hosts: list[str] = []
    ins: dict[str, bool] = {}
    outs: list[str] = []
    diags: list[Diagnostic] = []
    for found in bodies.calls(t, _wanted):
        call, g, path = found.call, found.globals, found.path
        kind = _kind(found.target)
        if kind is None:
            continue
        key = _key(call, g)
        if key is None:
            diags.append(codes.diag(codes.RESOURCE_KEY, f"`{ast.unparse(call.func)}` needs a string literal "
                                    "or a module-level string constant as its first argument",
                                    span_of(path, call.args[0] if call.args else call)))
            continue
        where = span_of(path, call.args[0] if call.args else call)
        if kind == "host":
            problem = ports.host_path_problem(key)
            if problem is not None:
                diags.append(codes.diag(codes.HOST_PATH, f"`{ast.unparse(call.func)}`: {problem}", where))
                continue
            key = ports.normalize_host_path(key)
            _warn_sensitive(key, where)
            if key not in hosts:
                hosts.append(key)
            continue
        problem = ports.artifact_key_problem(key)
        if problem is not None:
            diags.append(codes.diag(codes.ARTIFACT_KEY, f"`{ast.unparse(call.func)}`: {problem}", where))
            continue
        if kind == "in":
            optional = any(kw.arg == "optional" and isinstance(kw.value, ast.Constant) and kw.value.value is True
                           for kw in call.keywords)
            ins[key] = ins.get(key, True) and optional
        elif key not in outs:
            outs.append(key)

    if diags:
        raise CompileError(diags)
    return Ports(tuple(sorted(hosts)), tuple(sorted(ins.items())), tuple(sorted(outs)))


_warned: set[tuple[str, str]] = set()


def _warn_sensitive(path: str, where: Span | None) -> None:
    """A warning on stderr (once per path and place): mounting it is legal, and usually a mistake."""
    hit = ports.sensitive_host_path(path)
    if hit is None:
        return
    place = f"{where.path}:{where.line}" if where is not None else "?"
    if (path, place) in _warned:
        return
    _warned.add((path, place))
    what = f"is {hit}" if path == hit else f"is inside {hit}" if path.startswith(hit + "/") else f"holds {hit}"
    print(f"athena: warning: {place}: host({path!r}) {what}: the container gets that part of the node "
          "(runtime sockets and the kubelet's directory amount to root on the node); mount the narrowest "
          "directory the container needs", file=sys.stderr)




_PORT_NAMES = frozenset(ports.PORT_FUNCTIONS)


def _wanted(name: str, target: Any) -> bool:
    return name in _PORT_NAMES or _kind(target) is not None


def _key(call: ast.Call, g: dict[str, Any]) -> str | None:
    arg: ast.expr | None = call.args[0] if call.args else None
    if arg is None:
        for kw in call.keywords:
            if kw.arg in ("key", "path"):
                arg = kw.value
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return arg.value
    if isinstance(arg, ast.Name) and isinstance(g.get(arg.id), str):
        value: str = g[arg.id]
        return value
    return None
