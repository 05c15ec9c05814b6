"""A workflow body (Python AST) → IR tasks, with every check of the body grammar and of its types.

One walker serves two moments: at decoration (``resolve=False``) it checks only the grammar, because
callees may be defined later in the module; at first compile (``resolve=True``) it resolves callees and
checks types too. Errors are collected per statement and raised once.
"""

from __future__ import annotations

import ast
import difflib
import json
import typing
from typing import Any

from athena import codes
from athena.compile.lower import external
from athena.compile.lower.base import (
    _OPTION_KEYS,
    _REJECTED_STMTS,
    Lowered,
    _Bail,
    _Body,
    _Val,
)
from athena.compile.lower.branches import BranchesMixin
from athena.compile.lower.computed import ComputedMixin
from athena.compile.lower.conditions import ConditionsMixin
from athena.compile.lower.ordering import ORDER_KEYS, OrderingMixin, guarded
from athena.compile.lower.pause import apply_barriers, lower_pause, pause_kind
from athena.compile.lower.scope import Binding, Scope
from athena.compile.lower.signature import signature
from athena.compile.lower.source import def_span
from athena.compile.lower.values import ValuesMixin
from athena.compile.model import (
    Arg,
    ArmMerge,
    ExternalRef,
    Hook,
    HookKind,
    Input,
    Lit,
    Param,
    Sequence,
    Task,
    TaskMode,
    TaskOut,
    Workflow,
    arg_tasks,
)
from athena.compile.typecheck import (
    ANY,
    NONE,
    STR,
    AnyT,
    ArtifactT,
    OutcomeT,
    TypeNode,
    assignable,
    literal_fits,
)
from athena.decorators import External, Template
from athena.errors import CompileError


class Lowerer(ValuesMixin, BranchesMixin, ConditionsMixin, OrderingMixin, ComputedMixin):
    # ------------------------------------------------------------------------------- entry point

    def lower(self) -> Lowered:

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
            exit_facts=self.exit_fact_uses[0] if self.exit_fact_uses else None,
        )
        return Lowered(wf, self.synthetic, self.callees)

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
                    if self.poisoned:
                        self.poisoned.difference_update(_stores(stmt))  # rebound for real
            except _Bail as b:
                # A statement that reads a name only a rejected statement bound would report a follow-on error
                # (the `return y` after a rejected `for` loop): the first error is the one to fix.
                if not _reads(stmt, self.poisoned):
                    self.diags.append(b.diag)
                self.poisoned.update(_stores(stmt))
        apply_barriers(self, body)  # issue 13: tasks after an athena.suspend() wait for it
        if top and self.resolve and not saw_return and not isinstance(returns, AnyT) and returns != NONE:
            self.error(codes.RETURN_TYPE, f"workflow `{self.t.fn.__qualname__}` declares `-> {returns}` "
                       "but has no `return`", self.node.returns or self.node)
        return result

    def statement(self, body: _Body, stmt: ast.stmt) -> None:
        if isinstance(stmt, ast.With) and self.is_parallel(stmt):  # issue 13: a parallel steps group
            self.parallel_block(body, stmt)
            return
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
        if isinstance(value, (ast.Call, ast.JoinedStr, ast.Attribute)):  # issue 13: a record, f-string or fact
            computed = self.computed_value(body, value)
            if computed is not None:
                vtype = computed.type if computed.type is not None else STR
                if isinstance(stmt, ast.AnnAssign) and self.resolve:
                    declared = self.eval_annotation(stmt.annotation)
                    if declared is not None and not assignable(vtype, declared):
                        self.error(codes.ARG_TYPE, f"`{name}` is annotated `{declared}` but the value is `{vtype}`",
                                   stmt.annotation)
                body.scope.names[name] = Binding("value", vtype, span=self.span(target), value=computed.arg)
                body.scope.arm_only.pop(name, None)
                return
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
        from athena.compile.typecheck import TypeProblem, type_node

        try:
            value = eval(compile(ast.Expression(node), self.path, "eval"), self.globals)
            return type_node(value)
        except TypeProblem as exc:
            self.error(exc.code, str(exc), node)
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

    def call(self, body: _Body, node: ast.Call, *, bind: str | None, fan_over: Arg | Sequence | None = None,
             fan_deps: tuple[str, ...] = ()) -> Binding:
        """Lower ``t(args)`` / ``t.options(...)(args)`` into a task of ``body``."""
        from athena import names

        kind = pause_kind(self, node.func)  # issue 13: athena.suspend() / athena.approval()
        if kind is not None:
            return lower_pause(self, body, node, kind, bind)
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
        deps = set().union(*(arg_tasks(a) for _, a in args)) | set(fan_deps)
        continue_on: tuple[str, ...] = ()
        hooks: tuple[Hook, ...] = ()
        after_any: tuple[str, ...] = ()
        if opts_call is not None:
            after, after_any = self.order_options(body, opts_call)  # issue 13: ordering without data
            deps |= after
            continue_on, hooks = self.options(body, opts_call, task_name, deps)
            if continue_on and fan_over is not None and hooks:
                raise self.bail(codes.FANOUT_CONTINUE_ON, "hooks together with `continue_on` on a fan-out are "
                                "not supported", opts_call, hint="hook the tasks that consume the fan-out instead")
        ret: TypeNode = ANY
        ext = external_call(self, tmpl, func) if isinstance(tmpl, External) else None  # issue 13
        if tmpl is not None and self.resolve:
            if tmpl is self.t and not guarded(body.scope):  # issue 13: recursion inside an `if` arm is allowed
                raise self.bail(codes.RECURSION, f"`{self.t.fn.__qualname__}` calls itself outside an `if` arm, "
                                "so it would never stop", func)
            ret = signature(tmpl).returns
            if ext is None:
                self.add_callee(tmpl)
        mode: TaskMode = "outcome" if continue_on else "plain"
        if continue_on:
            ret = OutcomeT(ret)
        if self.resolve and tmpl is not None and continue_on and fan_over is not None:
            body.tasks.append(Task(
                name=task_name, template=self.each_wrapper(tmpl, args, continue_on, ret),
                args=tuple(args), deps=tuple(sorted(deps)), fan_over=fan_over, span=self.span(node),
                after_any=after_any,
            ))
        elif self.resolve and tmpl is not None:
            body.tasks.append(Task(
                name=task_name, template=external.task_template(tmpl) if isinstance(tmpl, External) else
                self.name_of(tmpl),
                args=tuple(args), deps=tuple(sorted(deps)), fan_over=fan_over, continue_on=continue_on,
                hooks=hooks, span=self.span(node), after_any=after_any, external=ext,
            ))
        else:
            body.tasks.append(Task(name=task_name, template=callee, args=tuple(args), span=self.span(node)))
        return Binding("task", ret, task_name, mode, self.span(node))

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
            if key in ORDER_KEYS:
                continue  # read by order_options
            if key not in _OPTION_KEYS:
                close = difflib.get_close_matches(key or "", (*_OPTION_KEYS, *ORDER_KEYS), n=1)
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
            if isinstance(tmpl, External):  # issue 13: a Hook names an athena template
                raise self.bail(codes.BAD_HOOK_TARGET, "an external template cannot be a hook target", call,
                                hint="wrap the call in a @workflow and hook that")
            for a in call.args + [kw.value for kw in call.keywords]:
                if isinstance(a, ast.Call):
                    raise self.bail(codes.UNSUPPORTED_EXPRESSION, "hook arguments cannot be template calls", a)
            args = self.call_args(body, call, tmpl)
            for used in sorted(set().union(*(arg_tasks(a) for _, a in args))):
                if used not in ancestors and not (kind == "exit" and used == task):
                    raise self.bail(codes.BAD_HOOK_TARGET, f"hook argument uses `{used}`, which is not an "
                                    f"ancestor of the hooked task `{task}`", call,
                                    hint="hook arguments may use literals, inputs, and bindings the hooked "
                                    "task depends on")
            name = self.name_of(tmpl) if (tmpl is not None and self.resolve) else ast.unparse(call.func)
            if tmpl is not None and self.resolve:
                self.add_callee(tmpl)
            return Hook(kind, name, tuple(args), expression)
        if isinstance(node, (ast.Name, ast.Attribute)):
            tmpl = self.resolve_callee(body, node)
            if isinstance(tmpl, External):  # issue 13: a Hook names an athena template
                raise self.bail(codes.BAD_HOOK_TARGET, "an external template cannot be a hook target", node,
                                hint="wrap the call in a @workflow and hook that")
            if tmpl is not None and self.resolve:
                required = [p.name for p in signature(tmpl).params if not p.has_default]
                if required:
                    raise self.bail(codes.HOOK_ARGS, f"hook target `{tmpl.fn.__qualname__}` needs argument(s) "
                                    f"{', '.join(required)}", node,
                                    hint=f"use `lambda: {tmpl.fn.__name__}(...)` to pass them")
                self.add_callee(tmpl)
                return Hook(kind, self.name_of(tmpl), (), expression)
            return Hook(kind, ast.unparse(node), (), expression)
        raise self.bail(codes.BAD_HOOK_TARGET, "a hook target is a template or a lambda calling one", node)








def external_call(lw: Lowerer, tmpl: External[Any, Any], func: ast.expr) -> ExternalRef | None:
    """Issue 13: the templateRef of a call of an external stub (its types are checked like any call's)."""
    if not lw.resolve:
        return None
    problem = external.artifact_problem(tmpl)
    if problem:
        raise lw.bail(codes.EXTERNAL_ARTIFACT, problem, func)
    return external.reference(tmpl)


def _positional_names(t: Template[Any, Any]) -> list[str]:
    code = getattr(t.fn, "__code__", None)
    if code is not None:  # a plain function: its code object says it without building a Signature
        return list(code.co_varnames[code.co_posonlyargcount:code.co_argcount])
    import inspect

    return [p.name for p in inspect.signature(t.fn).parameters.values()
            if p.kind == inspect.Parameter.POSITIONAL_OR_KEYWORD]


def _stores(stmt: ast.stmt) -> set[str]:
    """The names a statement binds (assignment targets, loop variables, walrus targets...)."""
    return {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


def _reads(stmt: ast.stmt, names: set[str]) -> bool:
    return bool(names) and any(isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id in names
                               for n in ast.walk(stmt))
