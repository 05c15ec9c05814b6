"""Run a compiled workflow in this process, with Argo's meaning (DESIGN §8.1).

The workflow body is not executed: its IR is interpreted. Containers are called in dependency order and
every argument and result goes through the same JSON codec as in a pod, so a value that would not survive
the wire fails here too. Fan-outs run per element, value-if and if/else pick their arm with the same
conditions, hooks and ``continue_on`` behave as on Argo, and artifacts live in a local directory store.
"""

from __future__ import annotations

import json
import os
import tempfile
import typing
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from athena.compile.model import (
    Arg,
    ArmMerge,
    BoolOp,
    Compare,
    Cond,
    Container,
    Hook,
    InLits,
    Input,
    IsNone,
    Item,
    Lit,
    Not,
    Program,
    Task,
    TaskOut,
    Truth,
    Workflow,
)
from athena.errors import AthenaError, WorkflowFailed
from athena.runtime import codec


@dataclass
class _Node:
    """One task's outcome inside a DAG run."""

    phase: str  # Succeeded | Failed | Error | Skipped
    output: str | None = None  # JSON text of `return`
    children: list[_Node] = field(default_factory=list)  # fan-out elements
    fanned: bool = False
    exit_code: int | None = None


class InProcessRunner:
    def __init__(self, program: Program, store: Path | None = None) -> None:
        self.program = program
        self.store = store or Path(tempfile.mkdtemp(prefix="athena-store-"))
        self.run_id = uuid.uuid4().hex[:12]
        self._fns: dict[str, Any] = {}

    # ---------------------------------------------------------------------------------- values

    def value(self, arg: Arg, inputs: Mapping[str, str], nodes: Mapping[str, _Node], item: str | None) -> str:
        """The JSON text an argument slot carries."""
        if isinstance(arg, Lit):
            text = json.dumps(arg.value, separators=(",", ":"), ensure_ascii=False)
        elif isinstance(arg, Input):
            text = inputs[arg.name]
        elif isinstance(arg, Item):
            assert item is not None
            text = item
        else:
            text = self.task_value(arg, nodes)
        return _at_path(text, arg.path) if not isinstance(arg, Lit) and arg.path else text

    def task_value(self, arg: TaskOut, nodes: Mapping[str, _Node]) -> str:
        node = nodes[arg.task]
        if arg.mode == "aggregate":
            # Argo keeps only Succeeded children, in index order; nothing at all becomes [].
            return "[" + ",".join(c.output or "null" for c in node.children if c.phase == "Succeeded") + "]"
        if arg.mode == "outcome":
            value = node.output if node.phase == "Succeeded" else None
            return ('{"value":' + (value or "null") + ',"phase":' + json.dumps(node.phase)
                    + ',"exit_code":' + json.dumps(node.exit_code) + "}")
        return node.output if node.output is not None else "null"

    def holds(self, cond: Cond, inputs: Mapping[str, str], nodes: Mapping[str, _Node], item: str | None) -> bool:
        def v(a: Arg) -> Any:
            return json.loads(self.value(a, inputs, nodes, item))

        if isinstance(cond, Compare):
            left, right = v(cond.left), v(cond.right)
            ops = {"==": lambda: left == right, "!=": lambda: left != right, "<": lambda: left < right,
                   "<=": lambda: left <= right, ">": lambda: left > right, ">=": lambda: left >= right}
            return bool(ops[cond.op]())
        if isinstance(cond, IsNone):
            return (v(cond.arg) is None) != cond.negated
        if isinstance(cond, InLits):
            return (v(cond.arg) in cond.values) != cond.negated
        if isinstance(cond, Truth):
            return v(cond.arg) is True
        if isinstance(cond, Not):
            return not self.holds(cond.inner, inputs, nodes, item)
        if isinstance(cond, BoolOp):
            parts = (self.holds(c, inputs, nodes, item) for c in cond.items)
            return all(parts) if cond.op == "and" else any(parts)
        raise TypeError(cond)  # pragma: no cover

    # ----------------------------------------------------------------------------------- running

    def run_template(self, name: str, args: Mapping[str, str]) -> str:
        """Run one template with JSON-text arguments; return the JSON text of its result."""
        t = self.program.templates[name]
        if isinstance(t, Container):
            return self.run_container(t, args)
        return self.run_dag(t, args)

    def run_container(self, t: Container, args: Mapping[str, str]) -> str:
        from athena import ports
        from athena.outcome import Artifact
        from athena.runtime.main import _artifact_type, _resolve

        fn = self._fns.get(t.entry) or self._fns.setdefault(t.entry, _resolve(t.entry))
        hints = typing.get_type_hints(fn)
        kwargs: dict[str, Any] = {}
        for p in t.params:
            if p.name not in args:
                if p.has_default:
                    args = {**args, p.name: json.dumps(p.default)}
                else:
                    raise AthenaError(f"`{t.function}` is missing argument `{p.name}`")
            inner = _artifact_type(hints.get(p.name))
            if inner is not None:
                key = json.loads(args[p.name])["key"]
                kwargs[p.name] = Artifact(str(self.store / key), kind=inner)
            else:
                kwargs[p.name] = codec.decode(args[p.name], hints.get(p.name, Any))
        token = ports.LOCAL_STORE.set(str(self.store))
        run_token = ports.LOCAL_RUN.set(self.run_id)
        try:
            result = fn(**kwargs)
        except SystemExit as exc:
            if exc.code in (0, None):
                # A pod that exits 0 without writing its result fails on Argo (its `return` output is missing).
                raise AthenaError(f"`{t.function}` called sys.exit(0): its result was never written, so Argo "
                                  "fails the step (return instead)") from None
            raise
        finally:
            ports.LOCAL_RUN.reset(run_token)
            ports.LOCAL_STORE.reset(token)
        if _artifact_type(hints.get("return")) is not None:
            return self.save_artifact(t, result)
        text = codec.encode(result)
        limit = _value_limit()
        if len(text.encode("utf-8")) > limit:
            raise AthenaError(f"`{t.function}` returned {len(text.encode('utf-8'))} bytes of JSON, above the "
                              f"{limit}-byte limit for a parameter; return athena.Artifact[T] for large values")
        return text

    def save_artifact(self, t: Container, value: Any) -> str:
        from athena.outcome import Artifact

        key = f"athena-runs/{self.run_id}/{t.name}-{uuid.uuid4().hex[:8]}/return"
        path = self.store / key
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(value, Artifact) and not value.has_value:
            path.write_bytes(Path(value.path).read_bytes())
        else:
            v = value.load() if isinstance(value, Artifact) else value
            path.write_bytes(v if isinstance(v, bytes) else v.encode() if isinstance(v, str) else
                             codec.encode(v).encode())
        return codec.encode({"key": key})

    def run_dag(self, wf: Workflow, inputs: Mapping[str, str]) -> str:
        inputs = {**{p.name: json.dumps(p.default) for p in wf.params if p.has_default}, **inputs}
        nodes: dict[str, _Node] = {}
        for task in wf.tasks:
            nodes[task.name] = self.run_task(task, inputs, nodes)
        return self.result(wf, inputs, nodes)

    def run_task(self, task: Task, inputs: Mapping[str, str], nodes: dict[str, _Node]) -> _Node:
        if task.when is not None and not self.holds(task.when, inputs, nodes, None):
            return _Node("Skipped")
        if task.fan_over is not None:
            items = json.loads(self.value(task.fan_over, inputs, nodes, None))
            node = _Node("Succeeded", fanned=True)
            if not items:
                node.phase = "Skipped"  # Argo: "Skipped, empty params"
            first_failure: WorkflowFailed | None = None
            for element in items:
                # Argo runs every element of a fan-out; the group fails after, with the first failure.
                try:
                    child = self.attempt(task, inputs, nodes, json.dumps(element, separators=(",", ":"),
                                                                         ensure_ascii=False))
                except WorkflowFailed as exc:
                    first_failure = first_failure or exc
                    child = _Node("Failed", exit_code=1)
                node.children.append(child)
            if first_failure is not None:
                raise first_failure
            return node
        return self.attempt(task, inputs, nodes, None)

    def attempt(self, task: Task, inputs: Mapping[str, str], nodes: dict[str, _Node], item: str | None) -> _Node:
        args = {name: self.value(a, inputs, nodes, item) for name, a in task.args}
        failure: BaseException | None = None
        try:
            node = _Node("Succeeded", output=self.run_template(task.template, args))
        except WorkflowFailed as exc:  # a nested workflow failed: this task's node fails
            node, failure = _Node("Failed", exit_code=1), exc
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            node = _Node("Succeeded", output="null") if code == 0 else _Node("Failed", exit_code=code)
            failure = exc if code else None
        except Exception as exc:  # the user's container raised: exit 1 in a pod, the node Failed
            node, failure = _Node("Failed", exit_code=1), exc
        # Hooks run whatever the phase (Argo runs exit and on_failure hooks of failed tasks too).
        self.hooks(task, node, inputs, {**nodes, task.name: node}, item)
        if failure is not None and "failed" not in task.continue_on:
            if isinstance(failure, WorkflowFailed):
                raise failure
            raise WorkflowFailed(task.name, task.template, failure) from failure
        return node

    def hooks(self, task: Task, node: _Node, inputs: Mapping[str, str], nodes: Mapping[str, _Node],
              item: str | None) -> None:
        wanted = {"success": "Succeeded", "failure": "Failed", "error": "Error"}
        for hook in task.hooks:
            if hook.kind == "exit" or (hook.kind in wanted and wanted[hook.kind] == node.phase):
                self.run_hook(hook, inputs, nodes, item)
            # Raw `hooks={expr: ...}` are Argo expressions over live status; in-process there is no running
            # phase to observe, so they do not fire (documented).

    def run_hook(self, hook: Hook, inputs: Mapping[str, str], nodes: Mapping[str, _Node], item: str | None) -> None:
        args = {name: self.value(a, inputs, nodes, item) for name, a in hook.args}
        self.run_template(hook.template, args)

    def result(self, wf: Workflow, inputs: Mapping[str, str], nodes: Mapping[str, _Node]) -> str:
        r = wf.result
        if r is None:
            return "null"
        if isinstance(r, ArmMerge):
            for arm in r.arms:
                if nodes[arm].phase == "Succeeded":
                    return nodes[arm].output or "null"
            return "null"
        return self.value(r, inputs, nodes, None)


def _value_limit() -> int:
    from athena.runtime.main import MAX_VALUE_BYTES

    return int(os.environ.get("ATHENA_MAX_VALUE_BYTES", MAX_VALUE_BYTES))


def _at_path(text: str, path: tuple[str | int, ...]) -> str:
    value: Any = json.loads(text)
    for step in path:
        value = value[step]
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def run(template: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any], *, store: Path | None = None) -> Any:
    """Call a @workflow: compile it, run it in-process, return its decoded result."""
    from athena.api import compile_templates
    from athena.config import load_config

    program = compile_templates([template], load_config(start=Path(template.fn.__code__.co_filename).parent))
    root = program.roots[0]
    import inspect

    bound = inspect.signature(template.fn).bind(*args, **kwargs)
    hints = typing.get_type_hints(template.fn)
    inputs: dict[str, str] = {}
    for name, value in bound.arguments.items():
        text = codec.encode(value)
        codec.decode(text, hints.get(name, Any))  # the value must survive the wire, as on Argo
        inputs[name] = text
    env_store = os.environ.get("ATHENA_LOCAL_STORE")
    runner = InProcessRunner(program, store or (Path(env_store) if env_store else None))
    text = runner.run_template(root, inputs)
    from athena.runtime.main import _artifact_type

    inner = _artifact_type(hints.get("return"))
    if inner is not None:
        from athena.outcome import Artifact

        return Artifact(str(runner.store / json.loads(text)["key"]), kind=inner)
    return codec.decode(text, hints.get("return", Any))
