"""Static collection of ``athena.settings(Class)`` calls from container bodies, through fragments.

Like ``host()`` and the artifact ports (``compile/ports.py``), the calls are read, not run: the class must be
named at module level, so the compiler knows every variable a step reads (``athena inspect --gen-env``) and
can refuse two fields that would read the same variable.
"""

from __future__ import annotations

import ast
import inspect
from typing import Any

from athena import codes
from athena.compile import bodies
from athena.compile.lower.source import parse_file, span_of
from athena.compile.model import Container
from athena.decorators import Template
from athena.errors import CompileError, Diagnostic, Span
from athena.runtime import settings as rs


def resolve(entry_: str) -> type:
    """The settings class an IR entry (``module:Qualname``) names; its module is loaded with the app."""
    import importlib

    module, _, qualname = entry_.partition(":")
    obj: Any = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    assert isinstance(obj, type)
    return obj


def step_variables(ir: Container) -> list[rs.Variable]:
    """Every variable container ``ir`` reads through ``athena.settings``, in call and field order (each name once:
    the compiler refused two fields reading one variable)."""
    step = ir.entry.rpartition(":")[2].rpartition(".")[2]
    out: list[rs.Variable] = []
    for e in ir.settings:
        out += rs.variables(resolve(e), step)
    return out


def is_settings_call(target: Any) -> bool:
    """Is ``target`` athena's ``settings`` function? By qualified name, as ``compile/ports.py`` recognises ports."""
    return (callable(target) and getattr(target, "__module__", None) == rs.__name__
            and getattr(target, "__qualname__", None) == "settings")


def entry(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def collect(t: Template[Any, Any]) -> tuple[type, ...]:
    """The settings classes container ``t`` reads (its body and the fragments it calls), in call order.

    Raises CompileError for an argument that is not a module-level Settings class (ATH360/ATH361), a field
    type the codec cannot decode (ATH364), and two fields reading one variable in this step (ATH363)."""
    found: list[tuple[type, Span]] = []
    diags: list[Diagnostic] = []
    for c in bodies.calls(t, lambda name, target: is_settings_call(target)):
        call, path = c.call, c.path
        if not is_settings_call(c.target):
            continue
        where = span_of(path, call.args[0] if call.args else call)
        arg = call.args[0] if len(call.args) == 1 and not call.keywords else None
        if arg is None or not _is_name_chain(arg):
            what = ast.unparse(arg) if arg is not None else ast.unparse(call)
            diags.append(codes.diag(codes.SETTINGS_ARGUMENT, f"`{what}`: athena.settings() takes one argument, "
                                    "the Settings class by name", where))
            continue
        cls = bodies.resolve(arg, c.globals, c.locals)
        if cls is None:
            diags.append(codes.diag(codes.SETTINGS_ARGUMENT, f"`{ast.unparse(arg)}` is not a module-level name; "
                                    "athena.settings() needs the class as the module defines it", where))
            continue
        if not rs.is_settings_class(cls):
            diags.append(codes.diag(codes.NOT_SETTINGS, f"`{ast.unparse(arg)}` is {_describe(cls)}, not a "
                                    "subclass of athena.Settings", where))
            continue
        found.append((cls, where))

    step = t.fn.__name__
    readers: dict[str, tuple[type, str]] = {}  # variable -> (class, field path) that reads it
    classes: list[type] = []
    for cls, where in found:
        if cls in classes:
            continue
        classes.append(cls)
        try:
            variables = rs.variables(cls, step)
        except (NameError, TypeError, AttributeError) as exc:
            diags.append(codes.diag(codes.SETTINGS_FIELD_TYPE, f"settings class `{cls.__qualname__}`: its field "
                                    f"annotations do not resolve: {exc}", _class_span(cls, None) or where))
            continue
        for v in variables:
            problem = _type_problem(v.type)
            if problem is not None:
                diags.append(codes.diag(codes.SETTINGS_FIELD_TYPE, f"settings field `{v.where}` has type "
                                        f"{v.type_name}, which the environment cannot carry: {problem}",
                                        _class_span(v.owner, v.field) or where))
                continue
            path = ".".join(v.path)
            other = readers.get(v.name)
            if other is not None and other != (cls, path):
                diags.append(codes.diag(codes.SETTINGS_CLASH, f"step `{step}` reads `{v.name}` for both "
                                        f"`{other[0].__qualname__}.{other[1]}` and `{cls.__qualname__}.{path}`",
                                        where))
                continue
            readers[v.name] = (cls, path)
    if diags:
        raise CompileError(diags)
    return tuple(classes)


def _type_problem(tp: Any) -> str | None:
    """Why a field of type ``tp`` cannot be read from JSON text, or None: the rule for parameters (a JSON
    boundary type), without the Artifact/Outcome wrappers, which only steps exchange."""
    from athena.compile.typecheck import ArtifactT, OutcomeT, TypeProblem, type_node

    try:
        node = type_node(tp)
    except TypeProblem as exc:
        return str(exc)
    if isinstance(node, (ArtifactT, OutcomeT)):
        return f"{node} is passed between steps, not set in an environment"
    return None


def _describe(obj: Any) -> str:
    if isinstance(obj, type):
        return f"the class `{obj.__qualname__}`"
    return f"a {type(obj).__name__}"


def _is_name_chain(expr: ast.expr) -> bool:
    if isinstance(expr, ast.Attribute):
        return _is_name_chain(expr.value)
    return isinstance(expr, ast.Name)


def _class_span(cls: type, field: str | None) -> Span | None:
    """Where ``cls`` (or its annotated ``field``) is written; None when its source cannot be found."""
    try:
        path = inspect.getsourcefile(cls)
        line = inspect.getsourcelines(cls)[1]
    except (OSError, TypeError):
        return None
    if path is None:
        return None
    tree = parse_file(path)
    if tree is None:
        return Span(path, line, 0)
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == cls.__name__ and node.lineno <= line <= (node.end_lineno or line):
            for stmt in node.body:
                if (field is not None and isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)
                        and stmt.target.id == field):
                    return span_of(path, stmt)
            return span_of(path, node)
    return Span(path, line, 0)
