"""Run a compiled workflow in this process, with Argo's meaning (DESIGN §8.1).

The workflow body is not executed: its IR is interpreted. Containers are called in dependency order and
every argument and result goes through the same JSON codec as in a pod, so a value that would not survive
the wire fails here too. Arguments, ``when``, ``withParam`` and the template result are the very texts the
emitter writes (``argo.expr``), rendered and evaluated with Argo's expr-lang semantics (``local.argo``), so
in-process and Argo cannot read a value or a condition differently. Fan-outs run per element, value-if and
if/else pick their arm, hooks and ``continue_on`` behave as on Argo, and artifacts live in a local
directory store.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import tempfile
import typing
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from athena.argo import expr
from athena.argo.facts import MAX_DEPTH
from athena.compile.model import Arg, Container, Hook, Program, Sequence, Task, Workflow
from athena.errors import AthenaError, WorkflowFailed
from athena.local import ordering
from athena.local.argo import context, gojson
from athena.local.argo.context import NodeResult as _Node
from athena.local.argo.evaluate import ExprError, evaluate
from athena.local.argo.gojson import format_v
from athena.local.argo.lexer import ExprSyntaxError
from athena.local.argo.render import TemplateError, expand, render
from athena.runtime import codec, protocol


@dataclass(frozen=True)
class _Frame:
    """What one DAG/steps run has in scope: its inputs, the nodes so far, how Argo names them, and the
    workflow's globals (``workflow.name``, ...; issue 13)."""

    inputs: Mapping[str, str]
    nodes: Mapping[str, _Node]
    scope: expr.Scope
    globals: Callable[[], Mapping[str, str]] | None = None

    def params(self, item: str | None = None) -> dict[str, str]:
        out = context.scope_params(self.inputs, self.nodes, self.scope, item)
        return {**self.globals(), **out} if self.globals is not None else out


class InProcessRunner:
    def __init__(self, program: Program, store: Path | None = None) -> None:
        self.program = program
        self.store = store or Path(tempfile.mkdtemp(prefix="athena-store-"))
        self.run_id = uuid.uuid4().hex[:12]
        self._fns: dict[str, Any] = {}
        self._depth = 0  # nested workflow templates being run (recursion, issue 13)
        self.facts = WorkflowFacts(program.roots[0] if program.roots else "workflow", self.run_id)

    # ---------------------------------------------------------------------------------- values
    # Every value and condition is the text the emitter writes into the YAML, rendered and evaluated with
    # Argo's meaning (local/argo), so a run here and a run on Argo cannot read a value differently.

    def arguments(self, task: Task, args: tuple[tuple[str, Arg], ...], frame: _Frame,
                  item: str | None) -> dict[str, str]:
        """The ``arguments.parameters`` a task (or hook) receives; an absent reference is dropped, as Argo
        (>= 3.7.16) drops it, so the callee's default applies."""
        params = frame.params(item)
        out: dict[str, str] = {}
        for name, arg in args:
            text = self.render(task, expr.param_value(arg, frame.scope), params)
            if not _absent(text):
                out[name] = text
        return out

    def render(self, task: Task, text: str, params: Mapping[str, str]) -> str:
        try:
            return render(text, params)
        except TemplateError as exc:  # Argo: the node errors ("failed to evaluate expression")
            raise WorkflowFailed(task.name, task.template, exc) from None

    def holds_when(self, task: Task, frame: _Frame, item: str | None = None) -> bool:
        """``when`` as Argo decides it: the rendered ``{{= ... }}`` must read ``true`` or ``false`` (per item on a
        fan-out, after ``{{item}}`` is known)."""
        assert task.when is not None
        text = self.render(task, expr.when(task.when, frame.scope), frame.params(item)).strip()
        if text not in ("true", "false"):
            raise WorkflowFailed(task.name, task.template,
                                 AthenaError(f"when {text!r}: expected boolean evaluation"))
        return text == "true"

    # ----------------------------------------------------------------------------------- running

    def run_template(self, name: str, args: Mapping[str, str]) -> str:
        """Run one template with JSON-text arguments; return the JSON text of its result."""
        if name.startswith("external:"):  # issue 13: an external template's in-process stand-in
            from athena.local.external import run_external

            return run_external(name.removeprefix("external:"), args)
        t = self.program.templates[name]
        if isinstance(t, Container):
            return self.run_container(t, args)
        # issue 13: a recursive workflow stops where Argo stops it, with a message instead of a RecursionError
        if self._depth >= MAX_DEPTH:
            raise AthenaError(f"more than {MAX_DEPTH} nested templates: Argo fails the workflow here (maximum "
                              f"recursion depth exceeded); make sure the `if` guarding the recursive call of "
                              f"`{t.function.split(' ')[0]}` eventually stops holding")
        self._depth += 1
        try:
            return self.run_dag(t, args)
        finally:
            self._depth -= 1

    def run_root(self, root: str, inputs: Mapping[str, str]) -> str:
        """The submitted root, then its exit handler (``on_exit_if_root``) with ``workflow.status`` and
        ``workflow.failures`` set, as on Argo: a failed exit handler fails a workflow that succeeded; a workflow
        that failed stays failed with its own error (issue 13)."""
        exit_name = self.program.templates[root].options.on_exit_if_root
        if exit_name is None:
            return self.run_template(root, inputs)
        try:
            text = self.run_template(root, inputs)
        except Exception as exc:
            self.facts.finish("Failed", exc)
            with contextlib.suppress(WorkflowFailed):  # the run's own failure is the one to report
                self.run_exit(exit_name)
            raise
        self.facts.finish("Succeeded", None)
        self.run_exit(exit_name)
        return text

    def run_exit(self, name: str) -> None:
        try:
            self.run_template(name, {})
        except WorkflowFailed:
            raise
        except Exception as exc:  # the exit handler's own pod failed
            raise WorkflowFailed("onExit", name, exc) from exc

    def run_container(self, t: Container, args: Mapping[str, str]) -> str:
        from athena import ports
        from athena.outcome import Artifact
        from athena.runtime.main import artifact_type, resolve_entry

        fn = self._fns.get(t.entry) or self._fns.setdefault(t.entry, resolve_entry(t.entry))
        hints = typing.get_type_hints(fn)
        kwargs: dict[str, Any] = {}
        for p in t.params:
            if p.name not in args:
                if p.has_default:
                    args = {**args, p.name: expr.json_text(p.default)}
                else:
                    raise AthenaError(f"`{t.function}` is missing argument `{p.name}`")
            inner = artifact_type(hints.get(p.name))
            if inner is not None:
                key = json.loads(args[p.name])["key"]
                kwargs[p.name] = Artifact(ports.local_store_path(str(self.store), key), kind=inner)
            else:
                try:
                    kwargs[p.name] = codec.decode(args[p.name], hints.get(p.name, Any))
                except codec.CodecError as exc:  # the run names the task (WorkflowFailed)
                    raise AthenaError(f"template {t.name}: parameter `{p.name}` cannot be decoded as "
                                      f"{codec.type_name(hints.get(p.name, Any))}: {exc}") from None
        from athena.runtime.settings import STEP

        token = ports.LOCAL_STORE.set(str(self.store))
        run_token = ports.LOCAL_RUN.set(self.run_id)
        step_token = STEP.set(fn.__name__)  # athena.settings() reads <FUNCTION>__<FIELD> from os.environ, as a pod
        from athena import wf

        wf_token = wf.CURRENT.set(self.facts.values())  # athena.wf.* in a container body (issue 13)
        try:
            result = fn(**kwargs)
        except SystemExit as exc:
            if exc.code in (0, None):
                # A pod that exits 0 without writing its result fails on Argo (its `return` output is missing).
                raise AthenaError(f"`{t.function}` called sys.exit(0): its result was never written, so Argo "
                                  "fails the step (return instead)") from None
            raise
        finally:
            wf.CURRENT.reset(wf_token)
            STEP.reset(step_token)
            ports.LOCAL_RUN.reset(run_token)
            ports.LOCAL_STORE.reset(token)
        if artifact_type(hints.get("return")) is not None:
            return self.save_artifact(t, result)
        try:
            text = codec.encode(result)
            if "return" in hints:
                codec.check_result(text, hints["return"])  # as the pod does: `-> int` returning "x" fails
        except codec.CodecError as exc:
            raise AthenaError(f"template {t.name}: the return value of `{t.function}` does not cross the wire as "
                              f"its declared return type {codec.type_name(hints.get('return', Any))}: {exc}") \
                from None
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
        if wf.pause is not None:  # issue 13: no wait; an approval's answer from athena.approvals(), else its default
            from athena.pause import answer

            return "null" if wf.pause.prompt is None else json.dumps(answer(wf.pause.prompt, wf.pause.default))
        inputs = {**{p.name: expr.json_text(p.default) for p in wf.params if p.has_default}, **inputs}
        nodes: dict[str, _Node] = {}
        frame = _Frame(inputs, nodes, "steps" if wf.steps else "tasks", self.facts.globals)
        for task in wf.tasks:
            if (task.deps or task.after_any) and ordering.omitted(wf, task.name, nodes):  # issue 13
                nodes[task.name] = _Node("Omitted")
                continue
            nodes[task.name] = self.run_task(task, frame)
        ordering.check_omitted_targets(wf, nodes)
        return self.result(wf, frame)

    def run_task(self, task: Task, frame: _Frame) -> _Node:
        if task.when is not None and task.fan_over is None and not self.holds_when(task, frame):
            return _Node("Skipped")
        if task.fan_over is not None:
            try:
                items = self.fan_items(task, frame)
            except ValueError as exc:
                raise WorkflowFailed(task.name, task.template, exc) from None
            node = _Node("Succeeded", fanned=True)
            if not items:
                node.phase = "Skipped"  # Argo: "Skipped, empty params"
            first_failure: WorkflowFailed | None = None
            for item in items:
                # Argo evaluates a fan-out's `when` per item: a Skipped child is not aggregated (issue 13).
                if task.when is not None and not self.holds_when(task, frame, item):
                    node.children.append(_Node("Skipped"))
                    continue
                # Argo runs every element of a fan-out; the group fails after, with the first failure.
                try:
                    child = self.attempt(task, frame, item)
                except WorkflowFailed as exc:
                    first_failure = first_failure or exc
                    child = _Node("Failed", exit_code=1)
                node.children.append(child)
            if first_failure is not None:
                raise first_failure
            return node
        return self.attempt(task, frame, None)

    def fan_items(self, task: Task, frame: _Frame) -> list[str]:
        """Each ``{{item}}`` of a fan-out: ``withParam``'s elements, or ``withSequence``'s numbers (issue 13)."""
        if isinstance(task.fan_over, Sequence):
            seq = expr.with_sequence(task.fan_over, frame.scope)
            start = int(self.render(task, seq.get("start", "0"), frame.params()))
            count = int(self.render(task, seq["count"], frame.params()))
            return [str(i) for i in range(start, start + count)]
        assert task.fan_over is not None
        return context.fan_items(self.render(task, expr.with_param(task.fan_over, frame.scope), frame.params()))

    def attempt(self, task: Task, frame: _Frame, item: str | None) -> _Node:
        args = self.arguments(task, task.args, frame, item)
        failure: BaseException | None = None
        leaf = isinstance(self.program.templates.get(task.template), Container)
        try:
            # A pod that ran reports its main container's exit code; a nested DAG has none.
            node = _Node("Succeeded", output=self.run_template(task.template, args), exit_code=0 if leaf else None)
        except WorkflowFailed as exc:  # a nested workflow failed: this task's node fails
            node, failure = _Node("Failed", exit_code=1), exc
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            node = _Node("Succeeded", output="null", exit_code=0) if code == 0 else _Node("Failed", exit_code=code)
            failure = exc if code else None
        except Exception as exc:  # the user's container raised: exit 1 in a pod, the node Failed
            node, failure = _Node("Failed", exit_code=1), exc
        # Hooks run whatever the phase (Argo runs exit and on_failure hooks of failed tasks too).
        self.hooks(task, node, _Frame(frame.inputs, {**frame.nodes, task.name: node}, frame.scope, frame.globals),
                   item)
        if failure is not None and "failed" not in task.continue_on:
            if isinstance(failure, WorkflowFailed):
                raise failure
            raise WorkflowFailed(task.name, task.template, failure) from failure
        return node

    def hooks(self, task: Task, node: _Node, frame: _Frame, item: str | None) -> None:
        wanted = {"success": "Succeeded", "failure": "Failed", "error": "Error"}
        for hook in task.hooks:
            if hook.kind == "exit" or (hook.kind in wanted and wanted[hook.kind] == node.phase):
                self.run_hook(task, hook, frame, item)
            # Raw `hooks={expr: ...}` are Argo expressions over live status; in-process there is no running
            # phase to observe, so they do not fire (documented).

    def run_hook(self, task: Task, hook: Hook, frame: _Frame, item: str | None) -> None:
        self.run_template(hook.template, self.arguments(task, hook.args, frame, item))

    def result(self, wf: Workflow, frame: _Frame) -> str:
        """The template's ``return`` output, from the ``valueFrom`` the emitter writes (§5.4, §8): a failed or
        ``nil`` expression or an absent reference takes ``default``, and without one the template fails."""
        vf = expr.dag_output(wf.result, wf.returns, wf.synthetic, frame.scope)
        if vf is None:
            return "null"
        params = frame.params()
        value: str | None = None
        problem = ""
        if "parameter" in vf:
            text = render(vf["parameter"], params, strict=False)
            value, problem = (None, f"{vf['parameter']} is absent") if _absent(text) else (text, "")
        else:
            try:
                got = evaluate(vf["expression"], expand(params))
            except (ExprError, ExprSyntaxError) as exc:
                got, problem = None, str(exc)
            # Argo stores an expression output with Go's %v: a string as is.
            value = None if got is None else format_v(got)
            problem = problem or "the expression gave nil"
        if value is None:
            if "default" in vf:
                return vf["default"]
            raise AthenaError(f"the result of `{wf.function}` could not be resolved: {problem}")
        return value


class WorkflowFacts:
    """Argo's ``workflow.*`` globals for an in-process run (issue 13): a generated name (as ``generateName``
    would), the run's uid, its start as creation time (``scheduledTime`` is only set for cron runs), the duration
    so far, and in the exit handler the run's status and failures (``strconv.Quote`` of the JSON list, as Argo
    stores it)."""

    def __init__(self, root: str, uid: str) -> None:
        import datetime
        import time

        self._clock = time.monotonic
        self.name = f"{root}-{uuid.uuid4().hex[:5]}"
        self.uid = uid
        self.created = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
        self.started = time.monotonic()
        self.exit: dict[str, str] = {}
        self.exit_values: dict[str, Any] = {}

    def duration(self) -> float:
        return self._clock() - self.started

    def globals(self) -> dict[str, str]:
        # Argo also sets workflow.creationTimestamp.RFC3339 (and .s, .<strftime char>), which is why an
        # expression sees workflow.creationTimestamp as a map (util/expand removeConflicts)
        created = self.created.strftime("%Y-%m-%dT%H:%M:%SZ")
        return {"workflow.name": self.name, "workflow.uid": self.uid, "workflow.creationTimestamp": created,
                "workflow.creationTimestamp.RFC3339": created, "workflow.duration": f"{self.duration():f}",
                **self.exit}

    def values(self) -> dict[str, Any]:
        """What ``athena.wf.<fact>`` gives in a container body of this run."""
        return {"name": self.name, "uid": self.uid, "scheduled_time": self.created, "duration": self.duration,
                **self.exit_values}

    def finish(self, status: str, failure: BaseException | None) -> None:
        import datetime

        failures: list[dict[str, str]] = []
        if failure is not None:
            task = failure.task if isinstance(failure, WorkflowFailed) else "main"
            template = failure.template if isinstance(failure, WorkflowFailed) else ""
            cause = failure.cause if isinstance(failure, WorkflowFailed) else failure
            failures.append({"displayName": task, "message": f"{type(cause).__name__}: {cause}",
                             "templateName": template, "phase": "Failed", "podName": f"{self.name}-{task}",
                             "finishedAt": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")})
        self.exit = {"workflow.status": status,
                     "workflow.failures": json.dumps(gojson.encode(failures or None), ensure_ascii=False)}
        self.exit_values = {"status": status, "failures": failures}


def _absent(text: str) -> bool:
    """Whether rendering left a reference Argo could not resolve (a pure, unresolved simple tag)."""
    return text.startswith("{{") and text.endswith("}}") and text.count("{{") == 1 and not text.startswith("{{=")


def _value_limit() -> int:
    return int(os.environ.get(protocol.ENV_MAX_VALUE_BYTES, protocol.MAX_VALUE_BYTES))


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
        try:
            text = codec.encode(value)
            codec.decode(text, hints.get(name, Any))  # the value must survive the wire, as on Argo
        except codec.CodecError as exc:
            raise AthenaError(f"workflow {root}: argument `{name}` cannot be passed as "
                              f"{codec.type_name(hints.get(name, Any))}: {exc}") from None
        inputs[name] = text
    env_store = os.environ.get(protocol.ENV_LOCAL_STORE)
    chosen = store or (Path(env_store) if env_store else None)
    runner = InProcessRunner(program, chosen)
    try:
        text = runner.run_root(root, inputs)
        from athena.runtime.main import artifact_type

        inner = artifact_type(hints.get("return"))
        if inner is None:
            try:
                return codec.decode(text, hints.get("return", Any))
            except codec.CodecError as exc:
                raise AthenaError(f"workflow {root}: its result cannot be decoded as "
                                  f"{codec.type_name(hints.get('return', Any))}: {exc}") from None
        from athena import ports
        from athena.outcome import Artifact

        path = ports.local_store_path(str(runner.store), json.loads(text)["key"])
        if chosen is None:
            path = _keep_result(Path(path))
        return Artifact(path, kind=inner)
    finally:
        if chosen is None:  # a store of our own: nothing else can ever read it
            shutil.rmtree(runner.store, ignore_errors=True)


_RESULTS: list[Path] = []


def _keep_result(path: Path) -> str:
    """Move the file a returned Artifact names out of the temporary store into its own temporary directory,
    removed when this Python process exits (copy it elsewhere to keep it longer)."""
    if not _RESULTS:
        atexit.register(_remove_results)
    keep = Path(tempfile.mkdtemp(prefix="athena-result-"))
    _RESULTS.append(keep)
    dest = keep / path.name
    shutil.move(path, dest)
    return str(dest)


def _remove_results() -> None:
    for p in _RESULTS:
        shutil.rmtree(p, ignore_errors=True)
