"""Ordering without data (issue 13): ``after=`` / ``after_any=`` on ``.options()``, the
``with athena.parallel():`` steps group, and where a recursive call counts as guarded.

``h = setup()`` of a template returning ``None`` binds a *handle*: a task with no value, usable only to order
later calls (``train.options(after=[h])(data)``). Any task of the body may be named, value-returning ones too.
"""

from __future__ import annotations

import ast
from typing import Any

import msgspec

from athena import codes
from athena.compile.lower.base import LowererBase, _Body
from athena.compile.lower.scope import Scope
from athena.compile.model import Workflow
from athena.errors import Diagnostic

ORDER_KEYS = ("after", "after_any")


def guarded(scope: Scope) -> bool:
    """Whether a call lowered in ``scope`` sits inside an ``if`` arm (arms and wrappers capture; nothing else
    does), so that a recursive call there runs only while its condition holds."""
    s: Scope | None = scope
    while s is not None:
        if s.capturing:
            return True
        s = s.parent
    return False


class OrderingMixin(LowererBase):
    parallel_count = 0

    def lookup_global(self, expr: ast.expr) -> Any:  # ValuesMixin's, earlier in the Lowerer's MRO
        raise NotImplementedError

    def order_options(self, body: _Body, call: ast.Call) -> tuple[set[str], tuple[str, ...]]:
        """The tasks ``after=`` names (become plain dependencies) and those ``after_any=`` names, in order."""
        after: set[str] = set()
        after_any: list[str] = []
        for kw in call.keywords:
            if kw.arg not in ORDER_KEYS:
                continue
            v = kw.value
            if not isinstance(v, (ast.List, ast.Tuple)) or not v.elts:
                raise self.bail(codes.BAD_AFTER, f"`{kw.arg}=` must be a non-empty list of earlier calls' names", v)
            for item in v.elts:
                task = self.ordered_task(body, item, kw.arg)
                if task is None:
                    continue
                if kw.arg == "after":
                    after.add(task)
                elif task not in after_any:
                    after_any.append(task)
        return after, tuple(after_any)

    def ordered_task(self, body: _Body, node: ast.expr, key: str) -> str | None:
        """The task an ``after=`` item names in this body; ``None`` when the order already holds (a task of an
        enclosing body: the ``if`` wrapper that holds this call is made to wait for it instead)."""
        if not isinstance(node, ast.Name):
            raise self.bail(codes.BAD_AFTER, f"`{key}=` items are names of earlier calls; `{ast.unparse(node)}` "
                            "is not a name", node)
        name = node.id
        s: Scope | None = body.scope
        below: Scope | None = None  # the scope just inside the one that binds `name`
        crossed = False
        while s is not None:
            captured = any(n == name for n, _ in s.captures)
            if name in s.names and not captured:
                break
            if name in s.arm_only:
                raise self.bail(codes.BAD_AFTER, f"`{name}` is bound inside an `if` arm, so a call after the "
                                "`if` cannot be ordered after it", node,
                                hint="move the call into that arm, or order the call after the whole `if` by "
                                "binding a value-if (`h = a() if c else b()`)")
            crossed = crossed or s.capturing
            below, s = s, s.parent
        if s is None:
            raise self.bail(codes.BAD_AFTER, f"`{name}` is not an earlier call of this workflow body", node)
        b = s.names[name]
        if b.kind == "input":
            raise self.bail(codes.BAD_AFTER, f"`{name}` is a workflow input, not a task to wait for", node)
        if b.kind == "item":
            raise self.bail(codes.BAD_AFTER, f"`{name}` is the fan-out's loop variable, not a task", node)
        if not self.resolve:
            return None
        if crossed:
            if key == "after_any":
                raise self.bail(codes.BAD_AFTER, f"`after_any=` inside an `if` arm cannot name `{name}`, a task of "
                                "the enclosing body", node, hint="use `after=` (the `if` waits for it), or move "
                                "the `after_any=` call out of the arm")
            assert below is not None
            below.after.add(b.task)
            return None
        return b.task

    # ----------------------------------------------------------------------------- parallel groups

    def is_parallel(self, stmt: ast.With) -> bool:
        """``with athena.parallel():`` (or ``parallel()`` imported from athena), by what the name resolves to."""
        from athena.ordering import parallel

        found = False
        for item in stmt.items:
            e = item.context_expr
            if isinstance(e, ast.Call) and isinstance(e.func, (ast.Name, ast.Attribute)) \
                    and self.lookup_global(e.func) is parallel:
                found = True
        return found

    def parallel_block(self, body: _Body, stmt: ast.With) -> None:
        if len(stmt.items) != 1 or stmt.items[0].optional_vars is not None \
                or stmt.items[0].context_expr.args or stmt.items[0].context_expr.keywords:  # type: ignore[attr-defined]
            raise self.bail(codes.PARALLEL_GROUP, "write the block as `with athena.parallel():` alone", stmt)
        for inner in stmt.body:
            if isinstance(inner, ast.With) and self.is_parallel(inner):
                raise self.bail(codes.PARALLEL_GROUP, "`with athena.parallel():` blocks do not nest", inner)
            if isinstance(inner, ast.Return):
                raise self.bail(codes.PARALLEL_GROUP, "a `with athena.parallel():` block cannot `return`", inner,
                                hint="return after the block")
        start = len(body.tasks)
        self.statements(body, list(stmt.body), top=False)
        added = body.tasks[start:]
        if not added:
            if not self.diags:
                raise self.bail(codes.PARALLEL_GROUP, "the `with athena.parallel():` block calls no template", stmt)
            return
        self.parallel_count += 1
        group = self.parallel_count
        names = {t.name for t in added}
        for i, t in enumerate(added):
            same = sorted((set(t.deps) | set(t.after_any)) & names)
            if same:
                self.diags.append(codes.diag(
                    codes.PARALLEL_GROUP, f"`{t.name}` uses or waits for `{'`, `'.join(same)}` of the same "
                    "`with athena.parallel():` block", t.span,
                    hint="calls of one block run side by side: move the dependent call after the block"))
            body.tasks[start + i] = msgspec.structs.replace(t, group=group)


# ------------------------------------------------------------------------------- per-template checks


def check_ordering(wf: Workflow, diags: list[Diagnostic]) -> None:
    """``after_any=`` needs Argo's ``depends``: only in a DAG, and with no ``continue_on`` task that nothing waits
    for (``continueOn`` is forbidden next to ``depends``; its dependents' ``depends`` carry it instead)."""
    users = [t for t in wf.tasks if t.after_any]
    if not users:
        return
    if wf.steps:
        for t in users:
            diags.append(codes.diag(codes.AFTER_ANY_STEPS, f"`{t.name}` uses `after_any=` in a `steps=True` "
                                    "workflow; steps have no `depends`", t.span))
        return
    waited = {d for t in wf.tasks for d in (*t.deps, *t.after_any)}
    for t in wf.tasks:
        if t.continue_on and t.name not in waited:
            diags.append(codes.diag(codes.AFTER_ANY_CONTINUE_ON, f"`{t.name}` uses `continue_on` but no later task "
                                    f"waits for it, in a workflow that uses `after_any=` (at `{users[0].name}`)",
                                    t.span))
