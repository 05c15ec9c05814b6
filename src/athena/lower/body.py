"""A workflow body (Python AST) → IR tasks, with every check of the body grammar and of its types.

One walker serves two moments: at decoration (``resolve=False``) it checks only the grammar, because
callees may be defined later in the module; at first compile (``resolve=True``) it resolves callees and
checks types too. Errors are collected per statement and raised once.
"""

from __future__ import annotations

import ast
import builtins
import difflib
import enum
import json
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from athena import codes
from athena.decorators import Fragment, Template
from athena.errors import CompileError, Diagnostic, Span
from athena.lower.scope import Binding, Scope
from athena.lower.signature import signature
from athena.lower.source import def_span, span_of
from athena.model import (
    Arg,
    ArmMerge,
    BoolOp,
    Compare,
    Cond,
    Hook,
    HookKind,
    InLits,
    Input,
    IsNone,
    Lit,
    Not,
    Param,
    Task,
    TaskMode,
    TaskOut,
    Truth,
    Workflow,
)
from athena.typecheck import (
    ANY,
    BOOL,
    NONE,
    AnyT,
    ArtifactT,
    ListT,
    OutcomeT,
    TypeNode,
    assignable,
    element_type,
    field_step,
    literal_fits,
    scalar_kind,
)

MAX_SAFE_INT = 2**53 - 1

_REJECTED_STMTS: dict[type, tuple[str, str]] = {
    ast.For: (codes.FOR_LOOP, "`for` loops are not allowed in a workflow body"),
    ast.AsyncFor: (codes.FOR_LOOP, "`for` loops are not allowed in a workflow body"),
    ast.While: (codes.WHILE_LOOP, "`while` loops are not allowed in a workflow body"),
    ast.Match: (codes.MATCH, "`match` is not allowed in a workflow body"),
    ast.Try: (codes.TRY, "`try` is not allowed in a workflow body"),
    ast.With: (codes.WITH, "`with` is not allowed in a workflow body"),
    ast.AsyncWith: (codes.WITH, "`with` is not allowed in a workflow body"),
    ast.Delete: (codes.DEL, "`del` is not allowed in a workflow body"),
    ast.Global: (codes.GLOBAL, "`global` is not allowed in a workflow body"),
    ast.Nonlocal: (codes.GLOBAL, "`nonlocal` is not allowed in a workflow body"),
    ast.AugAssign: (codes.AUG_ASSIGN, "augmented assignment is not allowed in a workflow body"),
}
if hasattr(ast, "TryStar"):
    _REJECTED_STMTS[ast.TryStar] = (codes.TRY, "`try` is not allowed in a workflow body")

_CONVERSIONS = {"str", "int", "float", "bool", "list", "dict", "tuple", "set", "frozenset", "len", "repr",
                "sorted", "sum", "min", "max", "abs", "round", "bytes"}
_PORT_FUNCS = {"host", "load_artifact", "load_artifact_str", "save_artifact", "save_artifact_str"}
_OPTION_KEYS = ("continue_on", "on_exit", "on_success", "on_failure", "on_error", "hooks")
_CMP: dict[type[ast.cmpop], Any] = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}


class _Bail(Exception):
    def __init__(self, diag: Diagnostic) -> None:
        self.diag = diag


@dataclass
class _Body:
    scope: Scope
    tasks: list[Task] = field(default_factory=list)
    taken: set[str] = field(default_factory=set)
    fan_item: bool = False  # lowering a fan-out element: no nested calls


@dataclass(frozen=True, slots=True)
class _Val:
    arg: Arg
    type: TypeNode | None  # None: a literal, checked by value
    span: Span


@dataclass
class Lowered:
    workflow: Workflow | None
    synthetic: list[Workflow]
    callees: list[Template[Any, Any]]


class Lowerer:
    def __init__(self, template: Template[Any, Any], path: str, node: ast.FunctionDef | ast.AsyncFunctionDef,
                 *, resolve: bool, name_of: Callable[[Template[Any, Any]], str] | None = None) -> None:
        self.t = template
        self.path = path
        self.node = node
        self.resolve = resolve
        self.name_of = name_of or (lambda t: t.fn.__name__)
        self.globals: dict[str, Any] = getattr(template.fn, "__globals__", {})
        self.diags: list[Diagnostic] = []
        self.synthetic: list[Workflow] = []
        self.callees: list[Template[Any, Any]] = []
        self.if_count = 0
        self.root_name = self.name_of(template) if resolve else template.fn.__name__

    # ------------------------------------------------------------------------------- entry point

    def lower(self) -> Lowered:
        from athena.argo import names

        scope = Scope()
        params: tuple[Param, ...] = ()
        returns: TypeNode = ANY
        if self.resolve:
            sig = signature(self.t)
            params, returns = sig.params, sig.returns
            for p in params:
                scope.names[p.name] = Binding("input", p.type, span=sig.param_spans.get(p.name))
        else:
            for a in [*self.node.args.args, *self.node.args.kwonlyargs]:
                scope.names[a.arg] = Binding("input", ANY, span=self.span(a))
        if not self.resolve:
            for a in [*self.node.args.args, *self.node.args.kwonlyargs]:
                if names.is_yaml11_special(a.arg):
                    self.error(codes.YAML_SPECIAL, f"parameter name `{a.arg}` reads as a bool or null in YAML 1.1",
                               a)
        body = _Body(scope)
        stmts = list(self.node.body)
        if stmts and isinstance(stmts[0], ast.Expr) and isinstance(stmts[0].value, ast.Constant) \
                and isinstance(stmts[0].value.value, str):
            stmts = stmts[1:]
        result = self.statements(body, stmts, top=True, returns=returns)
        if self.resolve and not body.tasks and not self.diags:
            self.diags.append(codes.diag(codes.EMPTY_BODY, f"workflow `{self.t.fn.__qualname__}` calls no "
                                         "template", def_span(self.t.fn)))
        if self.diags:
            raise CompileError(self.diags)
        if not self.resolve:
            return Lowered(None, [], [])
        wf = Workflow(
            name=self.root_name, function=self.t.fn.__qualname__, params=params, returns=returns,
            tasks=tuple(body.tasks), options=self.t.options_, result=result,
            steps=self.t.options_.steps, doc=self.t.fn.__doc__, span=def_span(self.t.fn),
        )
        return Lowered(wf, self.synthetic, self.callees)

    # ---------------------------------------------------------------------------------- helpers

    def span(self, node: ast.AST) -> Span:
        return span_of(self.path, node)

    def error(self, code: str, message: str, node: ast.AST, hint: str | None = None) -> None:
        self.diags.append(codes.diag(code, message, self.span(node), hint=hint))

    def bail(self, code: str, message: str, node: ast.AST, hint: str | None = None) -> _Bail:
        return _Bail(codes.diag(code, message, self.span(node), hint=hint))

    # ------------------------------------------------------------------------------- statements

    def statements(self, body: _Body, stmts: list[ast.stmt], *, top: bool,
                   returns: TypeNode = ANY) -> Arg | ArmMerge | None:
        result: Arg | ArmMerge | None = None
        saw_return = False
        for i, stmt in enumerate(stmts):
            try:
                if isinstance(stmt, ast.Return):
                    if not top or i != len(stmts) - 1:
                        raise self.bail(codes.RETURN_NOT_LAST, "`return` must be the last statement of the "
                                        "workflow body", stmt)
                    saw_return = True
                    result = self.return_stmt(body, stmt, returns)
                else:
                    self.statement(body, stmt)
            except _Bail as b:
                self.diags.append(b.diag)
        if top and self.resolve and not saw_return and not isinstance(returns, AnyT) and returns != NONE:
            self.error(codes.RETURN_TYPE, f"workflow `{self.t.fn.__qualname__}` declares `-> {returns}` "
                       "but has no `return`", self.node.returns or self.node)
        return result

    def statement(self, body: _Body, stmt: ast.stmt) -> None:
        rejected = _REJECTED_STMTS.get(type(stmt))
        if rejected:
            raise self.bail(rejected[0], rejected[1], stmt)
        if isinstance(stmt, ast.Pass):
            return
        if isinstance(stmt, ast.Expr):
            v = stmt.value
            if isinstance(v, ast.Constant) and isinstance(v.value, str):
                return  # a string statement is a comment
            if isinstance(v, ast.NamedExpr):
                raise self.bail(codes.WALRUS, "`:=` is not allowed in a workflow body", v)
            if not isinstance(v, ast.Call):
                raise self.bail(codes.UNSUPPORTED_STATEMENT, "an expression statement must be a template call",
                                v)
            self.call(body, v, bind=None)
            return
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            self.assign(body, stmt)
            return
        if isinstance(stmt, ast.If):
            self.statement_if(body, stmt)
            return
        raise self.bail(codes.UNSUPPORTED_STATEMENT,
                        f"`{type(stmt).__name__}` statements are not allowed in a workflow body", stmt)

    def assign(self, body: _Body, stmt: ast.Assign | ast.AnnAssign) -> None:
        if isinstance(stmt, ast.Assign):
            if len(stmt.targets) != 1 or not isinstance(stmt.targets[0], ast.Name):
                raise self.bail(codes.UNSUPPORTED_STATEMENT, "bind one name per assignment: `x = t(...)`",
                                stmt.targets[0] if len(stmt.targets) == 1 else stmt)
            target = stmt.targets[0]
            value = stmt.value
        else:
            if not isinstance(stmt.target, ast.Name) or stmt.value is None:
                raise self.bail(codes.UNSUPPORTED_STATEMENT, "bind one name per assignment: `x: T = t(...)`",
                                stmt)
            target = stmt.target
            value = stmt.value
        name = target.id
        if isinstance(value, ast.Call):
            b = self.call(body, value, bind=name)
        elif isinstance(value, ast.IfExp):
            b = self.value_if(body, value, bind=name)
        elif isinstance(value, ast.ListComp):
            b = self.fanout(body, value, bind=name)
        elif isinstance(value, ast.NamedExpr):
            raise self.bail(codes.WALRUS, "`:=` is not allowed in a workflow body", value)
        else:
            raise self.bail(codes.UNSUPPORTED_STATEMENT,
                            "a binding must take the result of a template call, a value-if or a fan-out",
                            value, hint="write `x = t(...)`; to reuse a value, just use its name again")
        if isinstance(stmt, ast.AnnAssign) and self.resolve:
            declared = self.eval_annotation(stmt.annotation)
            if declared is not None and not assignable(b.type, declared):
                self.error(codes.ARG_TYPE, f"`{name}` is annotated `{declared}` but the value is `{b.type}`",
                           stmt.annotation)
        body.scope.names[name] = Binding(b.kind, b.type, b.task, b.mode, self.span(target))
        body.scope.arm_only.pop(name, None)

    def eval_annotation(self, node: ast.expr) -> TypeNode | None:
        from athena.typecheck import TypeProblem, type_node

        try:
            value = eval(compile(ast.Expression(node), self.path, "eval"), self.globals)
            return type_node(value)
        except TypeProblem as exc:
            self.error(codes.NOT_BOUNDARY_TYPE, str(exc), node)
        except Exception as exc:  # an annotation that does not evaluate is the user's to fix
            self.error(codes.UNRESOLVED_ANNOTATION, f"annotation cannot be resolved: {exc}", node)
        return None

    def return_stmt(self, body: _Body, stmt: ast.Return, returns: TypeNode) -> Arg | ArmMerge | None:
        v = stmt.value
        if v is None:
            return None
        if isinstance(v, ast.Call):
            b = self.call(body, v, bind=None)
        elif isinstance(v, ast.IfExp):
            b = self.value_if(body, v, bind="result")
        elif isinstance(v, ast.ListComp):
            b = self.fanout(body, v, bind="result")
        else:
            val = self.value(body, v)
            if isinstance(val.arg, (Lit,)) or val.type is None:
                raise self.bail(codes.UNSUPPORTED_EXPRESSION, "a workflow returns a binding or a template call",
                                v)
            if isinstance(val.type, OutcomeT):
                raise self.bail(codes.OUTCOME_MISUSE, "a `continue_on` binding cannot be returned", v)
            if self.resolve and not assignable(val.type, returns):
                self.error(codes.RETURN_TYPE, f"workflow `{self.t.fn.__qualname__}` declares `-> {returns}` "
                           f"but returns `{val.type}`", v)
            return val.arg
        if isinstance(b.type, OutcomeT):
            raise self.bail(codes.OUTCOME_MISUSE, "a `continue_on` binding cannot be returned", v)
        if self.resolve and not assignable(b.type, returns):
            self.error(codes.RETURN_TYPE, f"workflow `{self.t.fn.__qualname__}` declares `-> {returns}` "
                       f"but returns `{b.type}`", v)
        return TaskOut(b.task, (), b.mode)

    # ------------------------------------------------------------------------------------ calls

    def resolve_callee(self, body: _Body, expr: ast.expr) -> Template[Any, Any] | None:
        """The template ``expr`` names; None when not resolvable yet (grammar mode)."""
        root = expr
        while isinstance(root, ast.Attribute):
            root = root.value
        if isinstance(root, ast.Name) and body.scope.lookup(root.id) is not None:
            if isinstance(expr, ast.Attribute):
                raise self.bail(codes.METHOD_CALL, f"`{ast.unparse(expr)}(...)` calls a method on a value",
                                expr)
            raise self.bail(codes.NOT_A_TEMPLATE, f"`{root.id}` is a value, not a template", expr)
        obj = self.lookup_global(expr)
        if obj is _MISSING:
            if not self.resolve:
                return None
            raise self.bail(codes.UNKNOWN_NAME, f"`{ast.unparse(expr)}` is not defined", expr)
        if isinstance(obj, Template):
            return obj
        if isinstance(obj, Fragment):
            raise self.bail(codes.FRAGMENT_CALL, f"`{ast.unparse(expr)}` is a @fragment", expr)
        name = getattr(obj, "__name__", "")
        if getattr(obj, "__module__", "") in ("athena.ports", "athena") and name in _PORT_FUNCS:
            raise self.bail(codes.ARTIFACT_IN_WORKFLOW, f"`{name}()` cannot be used in a workflow body", expr)
        if obj in (str, int, float, bool, list, dict, tuple, set, frozenset, bytes) or (
            isinstance(obj, types.BuiltinFunctionType) and name in _CONVERSIONS
        ):
            raise self.bail(codes.CONVERSION, f"`{ast.unparse(expr)}(...)` converts a value; "
                            "a workflow body only wires values", expr)
        raise self.bail(codes.NOT_A_TEMPLATE, f"`{ast.unparse(expr)}` is not a @container or @workflow", expr)

    def lookup_global(self, expr: ast.expr) -> Any:
        if isinstance(expr, ast.Name):
            if expr.id in self.globals:
                return self.globals[expr.id]
            if hasattr(builtins, expr.id):
                return getattr(builtins, expr.id)
            return _MISSING
        if isinstance(expr, ast.Attribute):
            base = self.lookup_global(expr.value)
            if base is _MISSING:
                return _MISSING
            if isinstance(base, types.ModuleType) or (isinstance(base, type) and issubclass(base, enum.Enum)):
                return getattr(base, expr.attr, _MISSING)
            raise self.bail(codes.METHOD_CALL, f"`{ast.unparse(expr)}` is an attribute of a non-module object",
                            expr)
        return _MISSING

    def call(self, body: _Body, node: ast.Call, *, bind: str | None, fan_over: Arg | None = None,
             fan_deps: tuple[str, ...] = ()) -> Binding:
        """Lower ``t(args)`` / ``t.options(...)(args)`` into a task of ``body``."""
        from athena.argo import names

        opts_call: ast.Call | None = None
        func = node.func
        if isinstance(func, ast.Call) and isinstance(func.func, ast.Attribute) and func.func.attr == "options":
            opts_call = func
            func = func.func.value
        if isinstance(func, ast.Attribute) and func.attr == "options":
            raise self.bail(codes.BAD_OPTIONS_CALL, "`.options(...)` must be followed by the call's arguments",
                            node, hint="write `t.options(continue_on=[\"failed\"])(x)`")
        tmpl = self.resolve_callee(body, func)
        args = self.call_args(body, node, tmpl)
        callee = tmpl.fn.__name__ if tmpl is not None else ast.unparse(func).rsplit(".", 1)[-1]
        task_name = names.task_name(bind or callee, body.taken)
        deps = {a.task for _, a in args if isinstance(a, TaskOut)} | set(fan_deps)
        continue_on: tuple[str, ...] = ()
        hooks: tuple[Hook, ...] = ()
        if opts_call is not None:
            continue_on, hooks = self.options(body, opts_call, task_name, deps)
            if continue_on and fan_over is not None and hooks:
                raise self.bail(codes.FANOUT_CONTINUE_ON, "hooks together with `continue_on` on a fan-out are "
                                "not supported", opts_call, hint="hook the tasks that consume the fan-out instead")
        ret: TypeNode = ANY
        if tmpl is not None and self.resolve:
            if tmpl is self.t:
                raise self.bail(codes.RECURSION, f"`{self.t.fn.__qualname__}` calls itself", func)
            ret = signature(tmpl).returns
            if tmpl not in self.callees:
                self.callees.append(tmpl)
        mode: TaskMode = "outcome" if continue_on else "plain"
        if continue_on:
            ret = OutcomeT(ret)
        if self.resolve and tmpl is not None and continue_on and fan_over is not None:
            body.tasks.append(Task(
                name=task_name, template=self.each_wrapper(tmpl, args, continue_on, ret),
                args=tuple(args), deps=tuple(sorted(deps)), fan_over=fan_over, span=self.span(node),
            ))
        elif self.resolve and tmpl is not None:
            body.tasks.append(Task(
                name=task_name, template=self.name_of(tmpl), args=tuple(args), deps=tuple(sorted(deps)),
                fan_over=fan_over, continue_on=continue_on, hooks=hooks, span=self.span(node),
            ))
        else:
            body.tasks.append(Task(name=task_name, template=callee, args=tuple(args), span=self.span(node)))
        return Binding("task", ret, task_name, mode, self.span(node))

    def each_wrapper(self, tmpl: Template[Any, Any], args: list[tuple[str, Arg]], continue_on: tuple[str, ...],
                     ret: TypeNode) -> str:
        """A fan-out under continue_on runs each element through a one-task DAG that always succeeds and
        returns the element's Outcome, so Argo's aggregate keeps every element, in order."""
        from athena.argo import names

        self.if_count += 1
        wname = names.each_name(self.root_name, self.if_count)
        sig = signature(tmpl)
        passed = [n for n, _ in args]
        params = tuple(Param(n, p.type) for n in passed for p in sig.params if p.name == n)
        inner = names.task_name(tmpl.fn.__name__, set())
        self.synthetic.append(Workflow(
            name=wname, function=f"{self.t.fn.__qualname__} (fan-out #{self.if_count})", params=params,
            returns=ret, options=self.t.options_, synthetic=True,
            tasks=(Task(name=inner, template=self.name_of(tmpl), args=tuple((n, Input(n)) for n in passed),
                        continue_on=continue_on),),
            result=TaskOut(inner, (), "outcome"),
        ))
        return wname

    def call_args(self, body: _Body, node: ast.Call, tmpl: Template[Any, Any] | None) -> list[tuple[str, Arg]]:
        for a in node.args:
            if isinstance(a, ast.Starred):
                raise self.bail(codes.STAR_ARGS, "`*args` is not allowed at a call site", a)
        for kw in node.keywords:
            if kw.arg is None:
                raise self.bail(codes.STAR_ARGS, "`**kwargs` is not allowed at a call site", kw.value)
        positional = [self.value(body, a) for a in node.args]
        keywords = [(kw.arg or "", self.value(body, kw.value), kw) for kw in node.keywords]
        if tmpl is None or not self.resolve:
            return [(f"arg{i}", v.arg) for i, v in enumerate(positional)] + [(k, v.arg) for k, v, _ in keywords]
        sig = signature(tmpl)
        fname = tmpl.fn.__qualname__
        out: dict[str, Arg] = {}
        params = list(sig.params)
        positional_params = [p for p in params if p.name in _positional_names(tmpl)]
        if len(positional) > len(positional_params):
            raise self.bail(codes.ARITY, f"`{fname}` takes {len(positional_params)} positional argument(s), "
                            f"{len(positional)} given", node.args[len(positional_params)])
        for p, v in zip(positional_params, positional, strict=False):
            self.check_arg(fname, p, v)
            out[p.name] = v.arg
        for key, v, kw in keywords:
            found = sig.param(key)
            if found is None:
                close = difflib.get_close_matches(key, [q.name for q in params], n=1)
                hint = f"did you mean `{close[0]}`?" if close else \
                    f"`{fname}` takes: {', '.join(q.name for q in params) or 'no parameters'}"
                raise self.bail(codes.UNKNOWN_KWARG, f"`{fname}` has no parameter `{key}`", kw, hint=hint)
            p = found
            if key in out:
                raise self.bail(codes.DUPLICATE_ARG, f"`{fname}` parameter `{key}` is given twice", kw)
            self.check_arg(fname, p, v)
            out[key] = v.arg
        missing = [p.name for p in params if p.name not in out and not p.has_default]
        if missing:
            raise self.bail(codes.MISSING_ARG, f"`{fname}` is missing argument(s): "
                            f"{', '.join(f'`{m}`' for m in missing)}", node)
        order = [p.name for p in params]
        return sorted(out.items(), key=lambda kv: order.index(kv[0]))

    def check_arg(self, fname: str, p: Param, v: _Val) -> None:
        if isinstance(p.type, ArtifactT):
            plain = (isinstance(v.arg, TaskOut) and v.arg.mode == "plain") or isinstance(v.arg, Input)
            if not plain or v.arg.path or not isinstance(v.type, ArtifactT):  # type: ignore[union-attr]
                self.diags.append(codes.diag(
                    codes.ARG_TYPE, f"`{fname}` parameter `{p.name}` is {p.type}: pass the binding of a template "
                    f"that returns an Artifact, or a workflow input of that type (got {v.type or 'a literal'})",
                    v.span))
                return
        if v.type is None:
            assert isinstance(v.arg, Lit)
            if not literal_fits(v.arg.value, p.type):
                self.diags.append(codes.diag(
                    codes.ARG_TYPE, f"`{fname}` parameter `{p.name}` expects {p.type}, got "
                    f"{json.dumps(v.arg.value)}", v.span))
            return
        if v.type == NONE:
            self.diags.append(codes.diag(codes.NONE_CONSUMED, f"`{fname}` parameter `{p.name}` gets a value from "
                                         "a template that returns None", v.span))
            return
        if isinstance(v.type, OutcomeT) and not isinstance(p.type, (OutcomeT, AnyT)):
            self.diags.append(codes.diag(codes.OUTCOME_TYPE, f"`{fname}` parameter `{p.name}` expects {p.type}, "
                                         f"got {v.type} (a `continue_on` binding)", v.span))
            return
        if not assignable(v.type, p.type):
            self.diags.append(codes.diag(codes.ARG_TYPE, f"`{fname}` parameter `{p.name}` expects {p.type}, got "
                                         f"{v.type}", v.span))

    # ---------------------------------------------------------------------------------- options

    def options(self, body: _Body, call: ast.Call, task: str, deps: set[str]
                ) -> tuple[tuple[str, ...], tuple[Hook, ...]]:
        if call.args:
            raise self.bail(codes.BAD_OPTIONS_CALL, "`.options(...)` takes keyword arguments only", call.args[0])
        continue_on: tuple[str, ...] = ()
        hooks: list[Hook] = []
        ancestors = self.ancestors(body, deps)
        for kw in call.keywords:
            key = kw.arg
            if key not in _OPTION_KEYS:
                close = difflib.get_close_matches(key or "", _OPTION_KEYS, n=1)
                raise self.bail(codes.BAD_OPTIONS_CALL, f"`.options()` has no argument `{key}`", kw,
                                hint=f"did you mean `{close[0]}`?" if close else None)
            v = kw.value
            if key == "continue_on":
                items = v.elts if isinstance(v, (ast.List, ast.Tuple)) else None
                vals = [e.value for e in items or [] if isinstance(e, ast.Constant)]
                if not items or len(vals) != len(items) or not set(vals) <= {"failed", "error"} \
                        or len(set(vals)) != len(vals):
                    raise self.bail(codes.CONTINUE_ON, "`continue_on` must be a literal list of \"failed\" "
                                    "and/or \"error\"", v)
                continue_on = tuple(sorted(str(x) for x in vals))
            elif key == "on_exit":
                hooks.append(self.hook_target(body, v, "exit", None, task, ancestors))
            elif key == "hooks":
                if not isinstance(v, ast.Dict):
                    raise self.bail(codes.BAD_OPTIONS_CALL, "`hooks=` must be a dict literal "
                                    "{\"<Argo expression>\": template}", v)
                for k, target in zip(v.keys, v.values, strict=True):
                    if not (isinstance(k, ast.Constant) and isinstance(k.value, str) and k.value.strip()):
                        raise self.bail(codes.BAD_OPTIONS_CALL, "a `hooks=` key must be a non-empty string "
                                        "literal holding an Argo expression", k or v)
                    hooks.append(self.hook_target(body, target, "expr", k.value, task, ancestors))
            else:
                kind = typing.cast(HookKind, key.removeprefix("on_"))
                targets = v.elts if isinstance(v, (ast.List, ast.Tuple)) else [v]
                for target in targets:
                    hooks.append(self.hook_target(body, target, kind, None, task, ancestors))
        return continue_on, tuple(hooks)

    def ancestors(self, body: _Body, deps: set[str]) -> set[str]:
        by_name = {t.name: t for t in body.tasks}
        out: set[str] = set()
        stack = list(deps)
        while stack:
            n = stack.pop()
            if n in out:
                continue
            out.add(n)
            t = by_name.get(n)
            if t is not None:
                stack.extend(t.deps)
        return out

    def hook_target(self, body: _Body, node: ast.expr, kind: HookKind, expression: str | None, task: str,
                    ancestors: set[str]) -> Hook:
        if isinstance(node, ast.Lambda):
            if node.args.args or node.args.vararg or node.args.kwonlyargs or node.args.kwarg:
                raise self.bail(codes.BAD_HOOK_TARGET, "a hook lambda takes no parameters", node)
            call = node.body
            if not isinstance(call, ast.Call) or isinstance(call.func, ast.Call):
                raise self.bail(codes.BAD_HOOK_TARGET, "a hook lambda's body must be one template call", node)
            tmpl = self.resolve_callee(body, call.func)
            for a in call.args + [kw.value for kw in call.keywords]:
                if isinstance(a, ast.Call):
                    raise self.bail(codes.UNSUPPORTED_EXPRESSION, "hook arguments cannot be template calls", a)
            args = self.call_args(body, call, tmpl)
            for _, used in args:
                if isinstance(used, TaskOut) and used.task not in ancestors and not (kind == "exit" and used.task == task):
                    raise self.bail(codes.BAD_HOOK_TARGET, f"hook argument uses `{used.task}`, which is not an "
                                    f"ancestor of the hooked task `{task}`", call,
                                    hint="hook arguments may use literals, inputs, and bindings the hooked "
                                    "task depends on")
            name = self.name_of(tmpl) if (tmpl is not None and self.resolve) else ast.unparse(call.func)
            if tmpl is not None and self.resolve and tmpl not in self.callees:
                self.callees.append(tmpl)
            return Hook(kind, name, tuple(args), expression)
        if isinstance(node, (ast.Name, ast.Attribute)):
            tmpl = self.resolve_callee(body, node)
            if tmpl is not None and self.resolve:
                required = [p.name for p in signature(tmpl).params if not p.has_default]
                if required:
                    raise self.bail(codes.HOOK_ARGS, f"hook target `{tmpl.fn.__qualname__}` needs argument(s) "
                                    f"{', '.join(required)}", node,
                                    hint=f"use `lambda: {tmpl.fn.__name__}(...)` to pass them")
                if tmpl not in self.callees:
                    self.callees.append(tmpl)
                return Hook(kind, self.name_of(tmpl), (), expression)
            return Hook(kind, ast.unparse(node), (), expression)
        raise self.bail(codes.BAD_HOOK_TARGET, "a hook target is a template or a lambda calling one", node)

    # ----------------------------------------------------------------------------------- values

    def value(self, body: _Body, node: ast.expr) -> _Val:
        span = self.span(node)
        lit = self.literal(node)
        if lit is not _MISSING:
            return _Val(Lit(lit), None, span)
        if isinstance(node, ast.Call):
            if body.fan_item:
                raise self.bail(codes.UNSUPPORTED_EXPRESSION, "arguments inside a fan-out cannot be template "
                                "calls", node, hint="bind the call before the fan-out, or fan out over a workflow")
            b = self.call(body, node, bind=None)
            return self.use(b, "", (), node)
        if isinstance(node, (ast.Name, ast.Attribute, ast.Subscript)):
            return self.access(body, node)
        if isinstance(node, (ast.BinOp, ast.JoinedStr, ast.BoolOp, ast.Compare, ast.UnaryOp)):
            raise self.bail(codes.ARITHMETIC, f"`{ast.unparse(node)}` computes a value; a workflow body only "
                            "wires values", node)
        if isinstance(node, ast.IfExp):
            raise self.bail(codes.UNSUPPORTED_EXPRESSION, "a value-if must be bound first", node,
                            hint="write `x = a(...) if cond else b(...)` and pass `x`")
        if isinstance(node, ast.ListComp):
            raise self.bail(codes.UNSUPPORTED_EXPRESSION, "a fan-out must be bound first", node,
                            hint="write `ys = [t(x) for x in xs]` and pass `ys`")
        if isinstance(node, ast.NamedExpr):
            raise self.bail(codes.WALRUS, "`:=` is not allowed in a workflow body", node)
        if isinstance(node, (ast.List, ast.Tuple, ast.Set, ast.Dict)):
            raise self.bail(codes.UNSUPPORTED_EXPRESSION, "collections of bindings cannot be built in a "
                            "workflow body", node, hint="pass the values separately, or build the collection "
                            "in a @container")
        raise self.bail(codes.UNSUPPORTED_EXPRESSION, f"`{ast.unparse(node)}` is not a workflow argument", node)

    def use(self, b: Binding, name: str, path: tuple[str | int, ...], node: ast.AST) -> _Val:
        if self.resolve and b.type == NONE:
            raise self.bail(codes.NONE_CONSUMED, f"`{ast.unparse(node)}` is the result of a template that "
                            "returns None", node)
        return _Val(b.ref(name, path), b.type, self.span(node))

    def access(self, body: _Body, node: ast.expr) -> _Val:
        chain: list[str] = []
        cur = node
        while True:
            if isinstance(cur, ast.Attribute):
                chain.append(cur.attr)
                cur = cur.value
            elif isinstance(cur, ast.Subscript):
                s = cur.slice
                if not (isinstance(s, ast.Constant) and isinstance(s.value, str)):
                    raise self.bail(codes.UNSUPPORTED_EXPRESSION, "only string keys can index a value: "
                                    "`b[\"field\"]`", s)
                chain.append(s.value)
                cur = cur.value
            else:
                break
        chain.reverse()
        if not isinstance(cur, ast.Name):
            raise self.bail(codes.UNSUPPORTED_EXPRESSION, f"`{ast.unparse(node)}` is not a workflow argument", node)
        escaped = body.scope.escaped(cur.id)
        if escaped is not False:
            raise self.bail(codes.ARM_BINDING_ESCAPES, f"`{cur.id}` is bound inside an `if` arm and used after it",
                            cur)
        b = body.scope.lookup(cur.id)
        if b is None:
            return self.global_value(node, cur.id)
        t: TypeNode = b.type
        path: list[str | int] = []
        for step in chain:
            if not self.resolve:
                path.append(step)
                continue
            r = field_step(t, step)
            if isinstance(r, str):
                raise self.bail(codes.NO_FIELD, r, node)
            path.append(r[0])
            t = r[1]
        if self.resolve and b.type == NONE:
            raise self.bail(codes.NONE_CONSUMED, f"`{cur.id}` is the result of a template that returns None", cur)
        return _Val(b.ref(cur.id, tuple(path)), t, self.span(node))

    def global_value(self, node: ast.expr, root: str) -> _Val:
        try:
            obj = self.lookup_global(node)
        except _Bail:
            obj = _MISSING
        if obj is _MISSING:
            if not self.resolve and (isinstance(node, ast.Attribute) or root in self.globals):
                return _Val(Lit(None), ANY, self.span(node))
            if not self.resolve:
                return _Val(Lit(None), ANY, self.span(node))
            raise self.bail(codes.UNKNOWN_NAME, f"`{ast.unparse(node)}` is not a parameter, a binding or a "
                            "module constant", node)
        if isinstance(obj, enum.Enum):
            return _Val(Lit(obj.value), None, self.span(node))
        if isinstance(obj, (Template, Fragment)) or callable(obj):
            raise self.bail(codes.UNSUPPORTED_EXPRESSION, f"`{ast.unparse(node)}` is a function; call it, or "
                            "pass a value", node)
        try:
            value = _json_constant(obj)
        except ValueError:
            raise self.bail(codes.BAD_LITERAL, f"`{ast.unparse(node)}` is not a JSON value", node) from None
        return _Val(Lit(value), None, self.span(node))

    def literal(self, node: ast.expr) -> Any:
        """The JSON value of a Python literal, or _MISSING when ``node`` is not a literal."""
        if isinstance(node, ast.Constant):
            v = node.value
            if isinstance(v, bool) or v is None:
                return v
            if isinstance(v, int):
                if abs(v) > MAX_SAFE_INT:
                    raise self.bail(codes.INT_RANGE, f"{v} is outside ±(2**53-1)", node)
                return v
            if isinstance(v, float):
                return v
            if isinstance(v, str):
                if "{{" in v:
                    raise self.bail(codes.LITERAL_TEMPLATE_BRACES, f"string literal {v!r} contains `{{{{`", node)
                return v
            raise self.bail(codes.BAD_LITERAL, f"{ast.unparse(node)} is not a JSON value", node)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)) \
                and isinstance(node.operand, ast.Constant) and type(node.operand.value) in (int, float):
            num = typing.cast(int | float, node.operand.value)
            return self.literal(ast.copy_location(ast.Constant(-num if isinstance(node.op, ast.USub) else num), node))
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            items = [self.literal(e) for e in node.elts]
            if any(i is _MISSING for i in items):
                return _MISSING
            if isinstance(node, ast.Set):
                return sorted(items, key=json.dumps)
            return items
        if isinstance(node, ast.Dict):
            out: dict[str, Any] = {}
            for k, val in zip(node.keys, node.values, strict=True):
                if k is None:
                    return _MISSING
                kv = self.literal(k)
                vv = self.literal(val)
                if kv is _MISSING or vv is _MISSING:
                    return _MISSING
                if not isinstance(kv, str):
                    raise self.bail(codes.BAD_LITERAL, "JSON object keys must be strings", k)
                out[kv] = vv
            return out
        return _MISSING

    # ---------------------------------------------------------------------------------- fan-out

    def fanout(self, body: _Body, node: ast.ListComp, *, bind: str) -> Binding:
        if len(node.generators) != 1:
            raise self.bail(codes.COMPREHENSION_SHAPE, "a fan-out has exactly one `for`", node)
        gen = node.generators[0]
        if gen.ifs:
            raise self.bail(codes.COMPREHENSION_SHAPE, "a fan-out cannot filter with `if`", gen.ifs[0],
                            hint="filter inside a @container, or use `if` in the element's template")
        if gen.is_async or not isinstance(gen.target, ast.Name):
            raise self.bail(codes.COMPREHENSION_SHAPE, "the loop variable must be a single name", gen.target)
        if not isinstance(node.elt, ast.Call):
            raise self.bail(codes.COMPREHENSION_SHAPE, "a fan-out's element must be one template call", node.elt)
        src = self.value(body, gen.iter)
        if src.type is None:
            if not isinstance(src.arg, Lit) or not isinstance(src.arg.value, list):
                raise self.bail(codes.FANOUT_SOURCE, "a fan-out source literal must be a list", gen.iter)
            elem: TypeNode = ANY
        else:
            if isinstance(src.type, OutcomeT):
                raise self.bail(codes.OUTCOME_MISUSE, "cannot fan out over a `continue_on` binding", gen.iter)
            found = element_type(src.type)
            if found is None:
                raise self.bail(codes.FANOUT_SOURCE, f"cannot fan out over `{ast.unparse(gen.iter)}` of type "
                                f"{src.type}", gen.iter)
            elem = found
        inner = _Body(Scope(parent=body.scope), body.tasks, body.taken, fan_item=True)
        inner.scope.names[gen.target.id] = Binding("item", elem, span=self.span(gen.target))
        fan_deps = (src.arg.task,) if isinstance(src.arg, TaskOut) else ()
        b = self.call(inner, node.elt, bind=bind, fan_over=src.arg, fan_deps=fan_deps)
        return Binding("task", ListT(b.type), b.task, "aggregate", b.span)

    # ---------------------------------------------------------------------------------- if/else

    def new_wrapper(self) -> str:
        from athena.argo import names

        self.if_count += 1
        return names.wrapper_name(self.root_name, self.if_count)

    def value_if(self, body: _Body, node: ast.IfExp, *, bind: str) -> Binding:
        from athena.argo import names

        arms: list[tuple[ast.expr | None, ast.expr]] = []
        cur: ast.expr = node
        while isinstance(cur, ast.IfExp):
            arms.append((cur.test, cur.body))
            cur = cur.orelse
        arms.append((None, cur))
        wname = self.new_wrapper()
        wscope = Scope(parent=body.scope, capturing=True)
        conds = [self.condition(body, wscope, test) if test is not None else None for test, _ in arms]
        arm_tasks: list[Task] = []
        arm_type: TypeNode | None = None
        for j, (_, expr) in enumerate(arms):
            if not isinstance(expr, ast.Call):
                raise self.bail(codes.UNSUPPORTED_EXPRESSION, "each arm of a value-if must be a template call",
                                expr)
            f = expr.func
            if isinstance(f, ast.Call) and isinstance(f.func, ast.Attribute) and f.func.attr == "options":
                raise self.bail(codes.HOOK_ON_VALUE_IF, "`.options(...)` is not allowed on a value-if arm", f)
            aname = names.arm_name(wname, j)
            ascope = Scope(parent=wscope, capturing=True)
            abody = _Body(ascope)
            b = self.call(abody, expr, bind=None)
            if self.resolve:
                if arm_type is None:
                    arm_type = b.type
                elif not (assignable(b.type, arm_type) and assignable(arm_type, b.type)):
                    raise self.bail(codes.VALUE_IF_ARMS, f"value-if arms return different types: {arm_type} and "
                                    f"{b.type}", expr)
            arm_tasks.append(self.arm_task(wscope, ascope, abody, aname, j, conds, TaskOut(b.task),
                                           b.type))
        result_type = arm_type if arm_type is not None else ANY
        return self.wrapper_task(body, wscope, wname, arm_tasks, bind, ArmMerge(tuple(t.name for t in arm_tasks)),
                                 result_type, node)

    def statement_if(self, body: _Body, node: ast.If) -> None:
        from athena.argo import names

        arms: list[tuple[ast.expr | None, list[ast.stmt]]] = []
        cur: ast.If = node
        while True:
            arms.append((cur.test, cur.body))
            if len(cur.orelse) == 1 and isinstance(cur.orelse[0], ast.If):
                cur = cur.orelse[0]
                continue
            if cur.orelse:
                arms.append((None, cur.orelse))
            break
        wname = self.new_wrapper()
        wscope = Scope(parent=body.scope, capturing=True)
        conds = [self.condition(body, wscope, test) if test is not None else None for test, _ in arms]
        arm_tasks: list[Task] = []
        bound: dict[str, Span | None] = {}
        for j, (_, stmts) in enumerate(arms):
            ascope = Scope(parent=wscope, capturing=True)
            abody = _Body(ascope)
            self.statements(abody, stmts, top=False)
            for n, b in ascope.names.items():
                if b.kind == "task":
                    bound.setdefault(n, b.span)
            if abody.tasks:
                arm_tasks.append(self.arm_task(wscope, ascope, abody, names.arm_name(wname, j), j, conds, None,
                                               NONE))
        for n, sp in bound.items():
            body.scope.arm_only[n] = sp
            body.scope.names.pop(n, None)
        if arm_tasks:
            self.wrapper_task(body, wscope, wname, arm_tasks, None, None, NONE, node)

    def arm_task(self, wscope: Scope, ascope: Scope, abody: _Body, aname: str, j: int,
                 conds: list[Cond | None], result: Arg | None, rtype: TypeNode) -> Task:
        params = tuple(Param(n, b.type) for n, b in ascope.captures)
        if self.resolve:
            self.synthetic.append(Workflow(
                name=aname, function=f"{self.t.fn.__qualname__} (arm {j})", params=params, returns=rtype,
                tasks=tuple(abody.tasks), options=self.t.options_, result=result, synthetic=True,
            ))
        negs: list[Cond] = [Not(c) for c in conds[:j] if c is not None]
        own = conds[j] if j < len(conds) else None
        parts = negs + ([own] if own is not None else [])
        when: Cond | None = parts[0] if len(parts) == 1 else (BoolOp("and", tuple(parts)) if parts else None)
        args = tuple((n, Input(n)) for n, _ in ascope.captures)
        return Task(name=f"arm{j}", template=aname, args=args, when=when)

    def wrapper_task(self, body: _Body, wscope: Scope, wname: str, arm_tasks: list[Task], bind: str | None,
                     result: ArmMerge | None, rtype: TypeNode, node: ast.AST) -> Binding:
        from athena.argo import names

        params = tuple(Param(n, b.type) for n, b in wscope.captures)
        if self.resolve:
            self.synthetic.append(Workflow(
                name=wname, function=f"{self.t.fn.__qualname__} (if #{self.if_count})", params=params,
                returns=rtype, tasks=tuple(arm_tasks), options=self.t.options_, result=result, synthetic=True,
            ))
        args = tuple((n, b.ref(n)) for n, b in wscope.captures)
        deps = tuple(sorted({a.task for _, a in args if isinstance(a, TaskOut)}))
        task_name = names.task_name(bind or "if", body.taken)
        body.tasks.append(Task(name=task_name, template=wname, args=args, deps=deps, span=self.span(node)))
        return Binding("task", rtype, task_name, "plain", self.span(node))

    # ------------------------------------------------------------------------------- conditions

    def condition(self, body: _Body, wscope: Scope, node: ast.expr) -> Cond:
        if isinstance(node, ast.BoolOp):
            bop: Literal["and", "or"] = "and" if isinstance(node.op, ast.And) else "or"
            return BoolOp(bop, tuple(self.condition(body, wscope, v) for v in node.values))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return Not(self.condition(body, wscope, node.operand))
        if isinstance(node, ast.Compare):
            if len(node.ops) != 1:
                raise self.bail(codes.CHAINED_COMPARE, "chained comparisons are not allowed in a condition", node)
            cop, right = node.ops[0], node.comparators[0]
            left = self.operand(body, wscope, node.left)
            if isinstance(cop, (ast.Is, ast.IsNot)):
                if not (isinstance(right, ast.Constant) and right.value is None):
                    raise self.bail(codes.BAD_CONDITION, "`is` compares with None only", node)
                return IsNone(left.arg, negated=isinstance(cop, ast.IsNot))
            if isinstance(cop, (ast.In, ast.NotIn)):
                values = self.literal(right)
                if not isinstance(right, (ast.Tuple, ast.List, ast.Set)) or values is _MISSING:
                    raise self.bail(codes.BAD_CONDITION, "`in` takes a literal tuple: `x in (\"a\", \"b\")`", right)
                self.check_cond_literals(left, values, node)
                return InLits(left.arg, tuple(values), negated=isinstance(cop, ast.NotIn))
            sym = _CMP.get(type(cop))
            if sym is None:  # pragma: no cover - every ast.cmpop is listed above
                raise self.bail(codes.BAD_CONDITION, "unsupported comparison", node)
            rv = self.operand(body, wscope, right)
            self.check_compare(left, rv, node)
            self._check_braces(left, rv, node)
            return Compare(sym, left.arg, rv.arg)
        if isinstance(node, ast.Constant) and isinstance(node.value, bool):
            return Truth(Lit(node.value))
        if isinstance(node, (ast.Name, ast.Attribute, ast.Subscript, ast.Call)):
            v = self.operand(body, wscope, node)
            if self.resolve and v.type is not None and v.type != BOOL and not isinstance(v.type, AnyT):
                raise self.bail(codes.TRUTHINESS, f"`{ast.unparse(node)}` is {v.type}, not bool", node)
            return Truth(v.arg)
        raise self.bail(codes.BAD_CONDITION, f"`{ast.unparse(node)}` is not a supported condition", node)

    def _check_braces(self, left: _Val, right: _Val, node: ast.AST) -> None:
        for v in (left, right):
            if isinstance(v.arg, Lit) and isinstance(v.arg.value, str) and "}}" in v.arg.value:
                raise self.bail(codes.LITERAL_TEMPLATE_BRACES, "a condition literal cannot contain `}}`", node)

    def operand(self, body: _Body, wscope: Scope, node: ast.expr) -> _Val:
        """A condition operand, read through the wrapper's scope; template calls are hoisted into ``body``."""
        if isinstance(node, ast.Call):
            b = self.call(body, node, bind="cond")
            hidden = f"cond-{b.task}"
            body.scope.names[hidden] = b
            captured = wscope.lookup(hidden)
            assert captured is not None
            return _Val(Input(hidden), captured.type, self.span(node))
        lit = self.literal(node)
        if lit is not _MISSING:
            if isinstance(lit, (list, dict)):
                raise self.bail(codes.BAD_CONDITION, "conditions compare scalar values", node)
            return _Val(Lit(lit), None, self.span(node))
        if isinstance(node, (ast.Name, ast.Attribute, ast.Subscript)):
            return self.access(_Body(wscope), node)
        raise self.bail(codes.BAD_CONDITION, f"`{ast.unparse(node)}` cannot be a condition operand", node)

    def check_compare(self, left: _Val, right: _Val, node: ast.AST) -> None:
        if not self.resolve:
            return
        kinds = []
        for v in (left, right):
            if v.type is None:
                val = v.arg.value if isinstance(v.arg, Lit) else None
                kinds.append("None" if val is None else type(val).__name__)
            elif isinstance(v.type, AnyT):
                kinds.append("any")
            else:
                k = scalar_kind(v.type)
                if k is None:
                    raise self.bail(codes.CONDITION_TYPE, f"`{ast.unparse(node)}` compares {v.type}, which is "
                                    "not a scalar", node)
                kinds.append(k)
        numeric = {"int", "float"}
        a, b = kinds
        if "any" in kinds or a == b or (a in numeric and b in numeric):
            return
        raise self.bail(codes.CONDITION_TYPE, f"`{ast.unparse(node)}` compares {a} with {b}", node)

    def check_cond_literals(self, left: _Val, values: list[Any], node: ast.AST) -> None:
        if not self.resolve or left.type is None:
            return
        for v in values:
            if not literal_fits(v, left.type):
                raise self.bail(codes.CONDITION_TYPE, f"{json.dumps(v)} can never equal a value of type "
                                f"{left.type}", node)


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING: Any = _Missing()


def _positional_names(t: Template[Any, Any]) -> list[str]:
    import inspect

    return [p.name for p in inspect.signature(t.fn).parameters.values()
            if p.kind == inspect.Parameter.POSITIONAL_OR_KEYWORD]


def _json_constant(obj: Any) -> Any:
    if obj is None or isinstance(obj, (bool, int, float, str)):
        if isinstance(obj, int) and not isinstance(obj, bool) and abs(obj) > MAX_SAFE_INT:
            raise ValueError
        json.dumps(obj, allow_nan=False)
        return obj
    if isinstance(obj, (list, tuple)):
        return [_json_constant(v) for v in obj]
    if isinstance(obj, dict) and all(isinstance(k, str) for k in obj):
        return {k: _json_constant(v) for k, v in obj.items()}
    raise ValueError
