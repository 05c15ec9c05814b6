"""Fan-outs and if/else: the synthetic wrapper and arm templates, and what they capture."""

from __future__ import annotations

import ast
from typing import Any

import msgspec

from athena import codes
from athena.compile.lower import external
from athena.compile.lower.base import (
    LowererBase,
    _Body,
    _Val,
)
from athena.compile.lower.scope import Binding, Scope
from athena.compile.lower.signature import signature
from athena.compile.model import (
    Arg,
    ArmMerge,
    BoolOp,
    Cond,
    Input,
    Lit,
    Not,
    Param,
    Sequence,
    Task,
    TaskOut,
    Workflow,
    arg_tasks,
    cond_tasks,
)
from athena.compile.typecheck import (
    ANY,
    INT,
    NONE,
    ListT,
    OutcomeT,
    TypeNode,
    assignable,
    element_type,
)
from athena.decorators import External, Template
from athena.errors import Span


class BranchesMixin(LowererBase):
    def fanout(self, body: _Body, node: ast.ListComp, *, bind: str) -> Binding:
        if len(node.generators) != 1:
            raise self.bail(codes.COMPREHENSION_SHAPE, "a fan-out has exactly one `for`", node)
        gen = node.generators[0]
        if gen.is_async or not isinstance(gen.target, ast.Name):
            raise self.bail(codes.COMPREHENSION_SHAPE, "the loop variable must be a single name", gen.target)
        if not isinstance(node.elt, ast.Call):
            raise self.bail(codes.COMPREHENSION_SHAPE, "a fan-out's element must be one template call", node.elt)
        seq = self.range_source(body, gen.iter) if isinstance(gen.iter, ast.Call) else None  # issue 13
        elem: TypeNode = INT
        src = _Val(seq.end, INT, self.span(gen.iter)) if seq is not None else self.value(body, gen.iter)
        if seq is not None:
            pass  # range(...): the elements are ints
        elif src.type is None:
            if not isinstance(src.arg, Lit) or not isinstance(src.arg.value, list):
                raise self.bail(codes.FANOUT_SOURCE, "a fan-out source literal must be a list", gen.iter)
            elem = ANY
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
        over: Arg | Sequence = seq if seq is not None else src.arg
        when = self.fan_filter(inner, gen.ifs) if gen.ifs else None  # issue 13: per-element `when`
        fan_deps = tuple(sorted(arg_tasks(over) | (cond_tasks(when) if when is not None else set())))
        b = self.call(inner, node.elt, bind=bind, fan_over=over, fan_deps=fan_deps)
        if when is not None:
            task = inner.tasks[-1]
            if task.continue_on:
                raise self.bail(codes.FANOUT_FILTER, "a filtered fan-out cannot use `continue_on`", gen.ifs[0],
                                hint="filter the list in a @container first, or drop the `if`")
            inner.tasks[-1] = msgspec.structs.replace(task, when=when)
        return Binding("task", ListT(b.type), b.task, "aggregate", b.span)

    def fan_filter(self, inner: _Body, ifs: list[ast.expr]) -> Cond:
        """``[t(x) for x in xs if c1 if c2]``: one condition per element (Argo evaluates ``when`` per item); the
        aggregate then holds the results of the elements that ran, in order (Argo aggregates Succeeded
        children only). No template call: a filter has nowhere to hoist one."""
        for cond in ifs:
            for n in ast.walk(cond):
                if isinstance(n, ast.Call):
                    raise self.bail(codes.FANOUT_FILTER, f"`{ast.unparse(n)}` calls a template in a fan-out filter",
                                    n, hint="bind the call before the fan-out and compare with its result")
        conds = [self.condition(inner, inner.scope, c) for c in ifs]
        return conds[0] if len(conds) == 1 else BoolOp("and", tuple(conds))

    def each_wrapper(self, tmpl: Template[Any, Any], args: list[tuple[str, Arg]], continue_on: tuple[str, ...],
                     ret: TypeNode) -> str:
        """A fan-out under continue_on runs each element through a one-task DAG that always succeeds and
        returns the element's Outcome, so Argo's aggregate keeps every element, in order."""
        from athena import names

        self.each_count += 1
        wname = names.each_name(self.root_name, self.each_count)
        sig = signature(tmpl)
        passed = [n for n, _ in args]
        params = tuple(Param(n, p.type) for n in passed for p in sig.params if p.name == n)
        inner = names.task_name(tmpl.fn.__name__, set())
        self.synthetic.append(Workflow(
            name=wname, function=f"{self.t.fn.__qualname__} (fan-out #{self.each_count})", params=params,
            returns=ret, options=self.t.options_, synthetic=True,
            tasks=(Task(name=inner, template=self.name_of(tmpl) if not isinstance(tmpl, External) else
                        external.task_template(tmpl), args=tuple((n, Input(n)) for n in passed),
                        continue_on=continue_on,
                        external=external.reference(tmpl) if isinstance(tmpl, External) else None),),
            result=TaskOut(inner, (), "outcome"),
        ))
        return wname

    def new_wrapper(self) -> str:
        from athena import names

        self.if_count += 1
        return names.wrapper_name(self.root_name, self.if_count)

    def value_if(self, body: _Body, node: ast.IfExp, *, bind: str) -> Binding:
        from athena import names

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
        from athena import names

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
        from athena import names

        params = tuple(Param(names.parameter_name(n), b.type) for n, b in ascope.captures)
        if self.resolve:
            self.synthetic.append(Workflow(
                name=aname, function=f"{self.t.fn.__qualname__} (arm {j})", params=params, returns=rtype,
                tasks=tuple(abody.tasks), options=self.t.options_, result=result, synthetic=True,
            ))
        negs: list[Cond] = [Not(c) for c in conds[:j] if c is not None]
        own = conds[j] if j < len(conds) else None
        parts = negs + ([own] if own is not None else [])
        when: Cond | None = parts[0] if len(parts) == 1 else (BoolOp("and", tuple(parts)) if parts else None)
        # the arm's parameter is fed from the wrapper's parameter of the same (mapped) name
        args = tuple((names.parameter_name(n), Input(names.parameter_name(n))) for n, _ in ascope.captures)
        return Task(name=f"arm{j}", template=aname, args=args, when=when)

    def wrapper_task(self, body: _Body, wscope: Scope, wname: str, arm_tasks: list[Task], bind: str | None,
                     result: ArmMerge | None, rtype: TypeNode, node: ast.AST) -> Binding:
        from athena import names

        params = tuple(Param(names.parameter_name(n), b.type) for n, b in wscope.captures)
        if self.resolve:
            self.synthetic.append(Workflow(
                name=wname, function=f"{self.t.fn.__qualname__} ({wname.rsplit('-', 1)[-1]})", params=params,
                returns=rtype, tasks=tuple(arm_tasks), options=self.t.options_, result=result, synthetic=True,
            ))
        args = tuple((names.parameter_name(n), b.ref(n)) for n, b in wscope.captures)
        # wscope.after: outer tasks an arm's `after=` names (issue 13); the arms start only after this wrapper
        deps = tuple(sorted(set().union(*(arg_tasks(a) for _, a in args)) | wscope.after))
        task_name = names.task_name(bind or "if", body.taken)
        body.tasks.append(Task(name=task_name, template=wname, args=args, deps=deps, span=self.span(node)))
        return Binding("task", rtype, task_name, "plain", self.span(node))
