"""The engine of ``athena run``: templates executed as Argo's controller executes them.

One thread per running DAG task, step or fan-out child (they mostly wait on a subprocess); ``parallelism``
(workflow: pods at once; template: children at once) through semaphores. The rules and their sources are in
the docstrings of :mod:`.scope`, :mod:`.dependencies`, :mod:`.govaluate`, :mod:`.retry` and in
``reference/argo-semantics.md`` (§4-§14).
"""

from __future__ import annotations

import copy
import functools
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from athena.argo import facts
from athena.errors import AthenaError
from athena.local.argo import gojson
from athena.local.argo.evaluate import ExprError, evaluate
from athena.local.argo.gojson import format_v
from athena.local.argo.lexer import ExprSyntaxError
from athena.local.argo.render import TemplateError, render
from athena.local.pod.template import make_pod_name, substitute_template
from athena.local.run import retry as retries
from athena.local.run.dependencies import DependsError, depends_names, evaluate_depends, expand_depends
from athena.local.run.govaluate import WhenError, evaluate_when
from athena.local.run.leaf import LeafResult, declared_outputs, stdout_result
from athena.local.run.load import Documents, Root, RunError, TemplateScope, apply_defaults
from athena.local.run.model import RunOptions
from athena.local.run.nodes import Node, NodeTable
from athena.local.run.scope import (
    ABSENT,
    ARTIFACT_REF,
    Produced,
    ScopeBuilder,
    ScopeError,
    expr_env,
    item_desc,
    item_params,
    skip_rule,
)
from athena.local.run.store import ArtifactStore

__all__ = ["Engine"]

_TYPES = ("container", "script", "dag", "steps", "suspend", "resource", "data", "http", "containerSet", "plugin")


class NodeFailure(Exception):
    """A node cannot run (Argo marks it Error with this message)."""


@dataclass
class _Call:
    """What a node's caller hands it: the callee, its arguments, and how to name the node."""

    name: str
    display: str
    parent: str | None
    holder: Mapping[str, Any]
    scope: TemplateScope
    params: dict[str, str]  # argument parameter name -> text (already rendered)
    artifacts: dict[str, str] = field(default_factory=dict)  # argument artifact name -> store key
    want_result: bool = False
    exit_handler: bool = False


class Engine:
    def __init__(self, docs: Documents, root: Root, options: RunOptions, arguments: Mapping[str, str],
                 store: ArtifactStore, workdir: Path, runner: Callable[..., LeafResult]) -> None:
        self.docs = docs
        self.root = root
        self.options = options
        version = facts.parse_version(options.argo_version)
        if version is None:
            raise RunError(f"--argo-version {options.argo_version!r}: use X.Y or X.Y.Z (3.6, 3.7, 4.0, 4.1)")
        self.version = version
        self.rule = skip_rule(version)
        self.scope_builder = ScopeBuilder(self.rule)
        self.name = f"{root.name[:57]}-{uuid.uuid4().hex[:5]}"
        self.uid = str(uuid.uuid4())
        self.table = NodeTable(options.on_event)
        self.store = store
        self.workdir = workdir
        self.runner = runner
        self.started = time.time()
        spec = root.spec
        self.spec = spec
        self.global_lock = threading.Lock()
        self.globals: dict[str, str] = {}
        self.arguments = self._workflow_arguments(arguments)
        self._set_globals()
        par = spec.get("parallelism")
        self.pod_slots = threading.BoundedSemaphore(int(par)) if par else None
        self.cancelled = threading.Event()
        self.cancel_reason = ""
        self.procs: set[Any] = set()
        self.threads_lock = threading.Lock()
        self.wf_hooks_fired: set[str] = set()
        self.wf_hook_threads: list[threading.Thread] = []
        self.fired_hooks: dict[str, set[str]] = {}
        self.hang: str | None = None  # why Argo would requeue forever (3.7.11-15, 4.0.2-6), once it happened

    # ------------------------------------------------------------------------------------------ globals

    def _workflow_arguments(self, given: Mapping[str, str]) -> dict[str, str]:
        declared = (self.spec.get("arguments") or {}).get("parameters") or []
        names = [str(p.get("name")) for p in declared]
        unknown = sorted(set(given) - set(names))
        if unknown:
            raise RunError(f"{self.root.name} has no argument {', '.join(unknown)} "
                           f"(arguments: {', '.join(names) or 'none'})")
        out: dict[str, str] = {}
        for p in declared:
            n = str(p.get("name"))
            if n in given:
                out[n] = str(given[n])
            elif p.get("value") is not None:
                out[n] = _text(p["value"])
            elif p.get("default") is not None:
                out[n] = _text(p["default"])
        return out

    def _set_globals(self) -> None:
        import datetime

        created = datetime.datetime.fromtimestamp(self.started, datetime.UTC)
        g = {
            "workflow.name": self.name, "workflow.namespace": "default", "workflow.uid": self.uid,
            "workflow.serviceAccountName": str(self.spec.get("serviceAccountName") or "default"),
            "workflow.mainEntrypoint": str(self.spec.get("entrypoint") or ""),
            "workflow.creationTimestamp": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "workflow.creationTimestamp.RFC3339": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "workflow.priority": "0",
            "workflow.parameters.json": json.dumps([{"name": k, "value": v} for k, v in self.arguments.items()],
                                                   separators=(",", ":")),
        }
        for k, v in self.arguments.items():
            g[f"workflow.parameters.{k}"] = v
        for k, v in self.root.labels.items():
            g[f"workflow.labels.{k}"] = str(v)
        for k, v in self.root.annotations.items():
            g[f"workflow.annotations.{k}"] = str(v)
        self.globals = g

    def global_params(self) -> dict[str, str]:
        with self.global_lock:
            g = dict(self.globals)
        g["workflow.duration"] = f"{time.time() - self.started:f}"
        return g

    # ------------------------------------------------------------------------------------------- the run

    def run(self) -> Node:
        entry = str(self.spec.get("entrypoint") or "")
        if not entry:
            raise RunError(f"{self.root.name}: spec.entrypoint is not set")
        deadline = _seconds(self.spec.get("activeDeadlineSeconds"))
        timer: threading.Timer | None = None
        if deadline is not None:
            timer = threading.Timer(deadline * self.options.time_scale, self._deadline)
            timer.daemon = True
            timer.start()
        with self.global_lock:
            self.globals["workflow.status"] = "Running"
        self.table.listeners.append(lambda _n: self._workflow_hooks())
        self._workflow_hooks()
        args = {p: v for p, v in self.arguments.items()}
        node = self.execute(_Call(self.name, self.name, None, {"template": entry}, self.root.scope, args))
        if timer is not None:
            timer.cancel()
        return node

    def finish(self, entry: Node) -> tuple[str, str | None, Node | None]:
        """Workflow hooks and the exit handler after the entry node; the workflow's phase and message."""
        status = {"Succeeded": "Succeeded", "Skipped": "Succeeded", "Omitted": "Succeeded", "Failed": "Failed",
                  "Error": "Error"}.get(entry.phase, "Error")
        failures = [{"displayName": n.display_name, "message": n.message or "", "templateName": n.template,
                     "phase": n.phase, "podName": n.name, "finishedAt": _iso(n.finished or time.time())}
                    for n in list(self.table.nodes) if n.phase in ("Failed", "Error")]
        with self.global_lock:
            self.globals["workflow.status"] = status
            self.globals["workflow.failures"] = json.dumps(gojson.encode(failures or None), ensure_ascii=False)
        self.table.listeners.clear()
        self._workflow_hooks()
        for t in list(self.wf_hook_threads):
            t.join()
        exit_node: Node | None = None
        hook = self._exit_hook()
        if hook is not None:
            self.cancelled.clear()  # the exit handler runs even after the deadline
            args = self._hook_arguments(hook, self.global_params(), set(), f"{self.name}.onExit")
            exit_node = self.execute(_Call(f"{self.name}.onExit", "onExit", self.name, hook, self.root.scope,
                                           args, exit_handler=True))
        message = entry.message
        if self.cancel_reason and status != "Succeeded":
            message = self.cancel_reason
        if self.hang is not None and status != "Succeeded":
            message = f"Argo would never finish this workflow: {self.hang}"
        if status == "Succeeded" and exit_node is not None and exit_node.phase in ("Failed", "Error"):
            return exit_node.phase, exit_node.message, exit_node
        return status, message if status != "Succeeded" else None, exit_node

    def _exit_hook(self) -> Mapping[str, Any] | None:
        if self.spec.get("onExit"):
            return {"template": self.spec["onExit"]}
        hooks = self.spec.get("hooks") or {}
        return hooks.get("exit")

    def _hook_arguments(self, hook: Mapping[str, Any], params: Mapping[str, str], nils: set[str],
                        where: str) -> dict[str, str]:
        args = hook.get("arguments") or self.spec.get("arguments") or {}
        out: dict[str, str] = {}
        for p in args.get("parameters") or []:
            if "value" not in p:
                continue
            try:
                out[str(p["name"])] = render(_text(p["value"]), params, env=expr_env(params, nils))
            except TemplateError:
                out[str(p["name"])] = _text(p["value"])
        return out

    def _workflow_hooks(self) -> None:
        """``spec.hooks`` other than ``exit``: each runs once, the first time its expression holds."""
        hooks = self.spec.get("hooks") or {}
        for name, hook in hooks.items():
            if name == "exit" or name in self.wf_hooks_fired:
                continue
            expression = str(hook.get("expression") or "")
            if not expression:
                continue
            params = self.global_params()
            try:
                ok = evaluate(expression, expr_env(params, set())) is True
            except (ExprError, ExprSyntaxError):
                ok = False
            with self.threads_lock:
                if not ok or name in self.wf_hooks_fired:
                    continue
                self.wf_hooks_fired.add(name)
            call = _Call(f"{self.name}.hooks.{name}", f"{self.name}.hooks.{name}", self.name, hook,
                         self.root.scope, self._hook_arguments(hook, params, set(), name))
            t = threading.Thread(target=self.execute, args=(call,), daemon=True)
            self.wf_hook_threads.append(t)
            t.start()

    def _deadline(self) -> None:
        self.cancel_reason = "Step exceeded its deadline"
        self.cancelled.set()
        with self.threads_lock:
            procs = list(self.procs)
        from athena.local.run.process import _kill

        for p in procs:
            _kill(p)

    # ----------------------------------------------------------------------------------------- templates

    def execute(self, call: _Call) -> Node:
        try:
            tmpl, tscope = self.docs.resolve(call.holder, call.scope, call.display)
        except RunError as exc:
            return self.table.start(call.name, call.display, _template_name(call.holder), "Skipped", call.parent,
                                    "Error", str(exc))
        tmpl = apply_defaults(tmpl, self.spec.get("templateDefaults"))
        tname = str(tmpl.get("name") or _template_name(call.holder))
        if self.cancelled.is_set() and not call.exit_handler:
            return self.table.start(call.name, call.display, tname, _kind(tmpl), call.parent, "Failed",
                                    self.cancel_reason or "workflow shut down")
        try:
            values = _input_values(tmpl, call.params)
        except NodeFailure as exc:
            return self.table.start(call.name, call.display, tname, _kind(tmpl), call.parent, "Error", str(exc))
        strategy = tmpl.get("retryStrategy") or self.spec.get("retryStrategy")
        if strategy and "suspend" not in tmpl:
            return self._retry(call, tmpl, tscope, tname, values, strategy)
        return self._once(call, call.name, call.display, call.parent, tmpl, tscope, tname, values, None)

    def _retry(self, call: _Call, tmpl: dict[str, Any], tscope: TemplateScope, tname: str,
               values: dict[str, str], strategy: Mapping[str, Any]) -> Node:
        node = self.table.start(call.name, call.display, tname, "Retry", call.parent)
        try:
            plan = retries.Plan.of(strategy, self.options.time_scale, self.version)
        except ValueError as exc:
            return self.table.finish(node, "Error", str(exc))
        children: list[Node] = []
        first_start = time.time()
        while True:
            i = len(children)
            child = self._once(call, f"{call.name}({i})", f"{call.display}({i})", call.name, tmpl, tscope, tname,
                               values, i)
            children.append(child)
            node.attempts = len(children)
            if child.phase == "Succeeded":
                node.outputs = dict(child.outputs)
                node.result, node.exit_code = child.result, child.exit_code
                node.artifacts = dict(child.artifacts)
                node.message = None
                return self.table.finish(node, "Succeeded", None)
            verdict = plan.next(children, first_start, self.cancelled.is_set())
            if verdict.stop:
                node.outputs = dict(child.outputs)
                node.result, node.exit_code = child.result, child.exit_code
                return self.table.finish(node, child.phase, verdict.message or child.message)
            if verdict.wait > 0:
                node.message = f"Backoff for {verdict.wait / max(self.options.time_scale, 1e-9):g}s"
                if self.cancelled.wait(verdict.wait):
                    return self.table.finish(node, child.phase, self.cancel_reason)

    def _once(self, call: _Call, name: str, display: str, parent: str | None, tmpl: dict[str, Any],
              tscope: TemplateScope, tname: str, values: dict[str, str], attempt: int | None) -> Node:
        g = self.global_params()
        if attempt is not None:
            g["retries"] = str(attempt)
        kind = _kind(tmpl)
        try:
            sub = substitute_template(copy.deepcopy(tmpl), g, values)
        except AthenaError as exc:
            return self.table.start(name, display, tname, kind, parent, "Error", str(exc))
        node = self.table.start(name, display, tname, kind, parent)
        node.inputs = dict(values)
        try:
            if "dag" in sub or "steps" in sub:
                # A DAG or steps template passes its own input artifacts on by `from: "{{inputs.artifacts.x}}"`.
                g = {**g, **{f"inputs.artifacts.{k}": ARTIFACT_REF + key for k, key in call.artifacts.items()}}
                if "dag" in sub:
                    return self._dag(node, sub, tscope, g, values)
                return self._steps(node, sub, tscope, g, values)
            if "suspend" in sub:
                return self._suspend(node, sub, values)
            if "container" in sub or "script" in sub:
                return self._pod(node, sub, call, g, values)
            other = next((t for t in _TYPES if t in sub), None)
            what = f"a {other} template" if other else "a template with no type"
            return self.table.finish(node, "Error", f"{what} cannot run locally (athena run supports container, "
                                                    "script, dag, steps and suspend templates)")
        except NodeFailure as exc:
            return self.table.finish(node, "Error", str(exc))

    # -------------------------------------------------------------------------------------------- pods

    def _pod(self, node: Node, tmpl: dict[str, Any], call: _Call, g: Mapping[str, str],
             values: Mapping[str, str]) -> Node:
        from athena.local.run.process import PodSpec

        pod_name = make_pod_name(self.name, str(tmpl.get("name") or "pod"))
        deadline = _leaf_deadline(tmpl)
        if deadline is not None:
            deadline *= self.options.time_scale
        inputs: dict[str, Path] = {}
        for a in (tmpl.get("inputs") or {}).get("artifacts") or []:
            src = self._input_artifact(a, call)
            if src is not None:
                inputs[str(a["name"])] = src
        log = self.workdir / "logs" / f"{_safe_file(node.name)}.log"
        node.log = str(log.relative_to(self.workdir)) if log.is_relative_to(self.workdir) else str(log)
        params = {**g, **{f"inputs.parameters.{k}": v for k, v in values.items()}, "pod.name": pod_name}
        on_log = self.options.on_log
        spec = PodSpec(tmpl, pod_name, self.name, params, deadline, log, inputs, self.store,
                       self._track, None if on_log is None else functools.partial(on_log, node.name))
        if self.pod_slots is not None:
            self.pod_slots.acquire()
        try:
            if self.cancelled.is_set():
                return self.table.finish(node, "Failed", self.cancel_reason)
            try:
                result = self.runner(spec, self.options)
            except AthenaError as exc:
                return self.table.finish(node, "Error", str(exc))
        finally:
            if self.pod_slots is not None:
                self.pod_slots.release()
        node.outputs = dict(result.parameters)
        if "script" in tmpl or call.want_result:
            node.result = stdout_result(result.stdout)
        node.exit_code = str(result.exit_code)
        node.artifacts = dict(result.artifacts)
        if result.timed_out or (self.cancelled.is_set() and result.exit_code != 0):
            return self.table.finish(node, "Failed", self.cancel_reason or "Step exceeded its deadline")
        if result.exit_code != 0:
            return self.table.finish(node, "Failed", f"Error (exit code {result.exit_code})")
        if result.errors:
            return self.table.finish(node, "Error", result.errors[0])
        return self.table.finish(node, "Succeeded", None)

    def _track(self, proc: Any) -> None:
        # PodSpec.register passes the Popen when it starts and None when it ends.
        with self.threads_lock:
            if proc is None:
                self.procs = {p for p in self.procs if p.poll() is None}
            else:
                self.procs.add(proc)
                if self.cancelled.is_set():
                    from athena.local.run.process import _kill

                    _kill(proc)

    def _input_artifact(self, a: Mapping[str, Any], call: _Call) -> Path | None:
        from athena.local.pod.volumes import artifact_key

        name = str(a.get("name"))
        if name == "athena-bundle":
            return None  # --runtime process runs the code of this interpreter: no bundle to unpack
        key = call.artifacts.get(name) or artifact_key(a)
        if "raw" in a:
            p = self.workdir / "raw" / uuid.uuid4().hex
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(str((a.get("raw") or {}).get("data") or ""), encoding="utf-8")
            return p
        if key is None:
            if a.get("optional"):
                return None
            raise NodeFailure(f"required input artifact {name} not supplied")
        src = self.store.fetch(key)
        if src is None:
            if a.get("optional"):
                return None
            raise NodeFailure(f"input artifact {name}: key {key} is not in the local artifact store "
                              f"({self.store.root})")
        return src

    def _suspend(self, node: Node, tmpl: Mapping[str, Any], values: Mapping[str, str]) -> Node:
        node.kind = "Suspend"
        answers = self.options.answers
        supplied = [p for p in declared_outputs(tmpl) if isinstance(p.get("valueFrom"), Mapping)
                    and "supplied" in p["valueFrom"]]  # type: ignore[operator]
        duration = (tmpl.get("suspend") or {}).get("duration")
        if supplied:
            for p in supplied:
                pname = str(p.get("name"))
                vf = p.get("valueFrom") or {}
                assert isinstance(vf, Mapping)
                if pname in answers or node.display_name in answers:
                    node.outputs[pname] = str(answers.get(pname, answers.get(node.display_name)))
                elif vf.get("default") is not None:
                    node.outputs[pname] = str(vf["default"])
                else:
                    return self.table.finish(node, "Failed", f"suspended waiting for `{pname}`: no answer given "
                                                             f"(athena run --answer {pname}=VALUE)")
                enum = p.get("enum")
                if isinstance(enum, list) and enum and node.outputs[pname] not in [str(e) for e in enum]:
                    return self.table.finish(node, "Failed", f"`{pname}` must be one of "
                                                             f"{', '.join(map(str, enum))}")
            return self.table.finish(node, "Succeeded", None)
        if node.display_name in answers:
            return self.table.finish(node, "Succeeded", None)
        if duration is not None:
            seconds = _seconds(duration)
            if seconds is None:
                return self.table.finish(node, "Error", f"suspend duration {duration!r} is not a duration")
            if self.cancelled.wait(seconds * self.options.time_scale):
                return self.table.finish(node, "Failed", self.cancel_reason)
            return self.table.finish(node, "Succeeded", None)
        return self.table.finish(node, "Failed", f"suspended until resumed, and this run is not interactive: "
                                                 f"resume it with --answer {node.display_name}=resume")

    # --------------------------------------------------------------------------------------------- DAG

    def _dag(self, node: Node, tmpl: dict[str, Any], tscope: TemplateScope, g: Mapping[str, str],
             values: Mapping[str, str]) -> Node:
        node.kind = "DAG"
        dag = tmpl["dag"]
        tasks: list[Mapping[str, Any]] = list(dag.get("tasks") or [])
        by_name = {str(t.get("name")): t for t in tasks}
        deps = {n: depends_names(t) for n, t in by_name.items()}
        for n, ds in deps.items():
            for d in ds:
                if d not in by_name:
                    raise NodeFailure(f"task {n!r} depends on {d!r}, which is not a task of this DAG")
        _check_cycles(deps)
        continue_on = {n: t.get("continueOn") or {} for n, t in by_name.items()}
        # findLeafTaskNames sorts the leaves; assessDAGPhase walks the targets in that order
        targets = str(dag.get("target") or "").split() or sorted(n for n in by_name
                                                                  if not any(n in ds for ds in deps.values()))
        ancestors = _ancestry(deps)
        base = {**g, **{f"inputs.parameters.{k}": v for k, v in values.items()}}
        text = json.dumps(tmpl)
        slots = threading.BoundedSemaphore(int(tmpl["parallelism"])) if tmpl.get("parallelism") else None
        done: dict[str, Produced] = {}
        cond = threading.Condition()
        running: set[str] = set()
        started: set[str] = set()

        def run_task(tname: str) -> None:
            try:
                produced = self._dag_task(node, by_name[tname], tscope, base, done, ancestors[tname], continue_on,
                                          text, slots, cond)
            except Exception as exc:  # a bug must not hang the DAG: the task errors, with the cause
                n = self.table.start(f"{node.name}.{tname}", tname, "", "Skipped", node.name, "Error",
                                     f"internal error: {type(exc).__name__}: {exc}")
                produced = Produced(n)
            with cond:
                done[tname] = produced
                running.discard(tname)
                cond.notify_all()

        fail_fast = dag.get("failFast", True) is not False
        stopped = False
        with cond:
            while True:
                for tname in by_name:
                    if stopped or tname in started:
                        continue
                    if all(d in done for d in deps[tname]):
                        started.add(tname)
                        running.add(tname)
                        threading.Thread(target=run_task, args=(tname,), daemon=True).start()
                if not running:
                    break
                cond.wait()
                # failFast (executeDAG + assessDAGPhase): once a target's branch is Failed/Error the DAG node is
                # fulfilled and nothing new is scheduled; the tasks already running are waited for.
                stopped = stopped or (fail_fast and _assess_dag(by_name, deps, targets, done, True)
                                      in ("Failed", "Error"))
        phase = _assess_dag(by_name, deps, targets, done, fail_fast)
        if phase != "Succeeded":
            return self.table.finish(node, phase, None)
        params = dict(base)
        nils: set[str] = set()
        hangs: set[str] = set()
        try:
            for tname, produced in done.items():
                self.scope_builder.add(params, nils, hangs, "tasks", tname, produced)
        except ScopeError as exc:
            return self.table.finish(node, "Error", str(exc))
        return self._template_outputs(node, tmpl, params, nils, hangs)

    def _dag_task(self, dag_node: Node, task: Mapping[str, Any], tscope: TemplateScope, base: Mapping[str, str],
                  done: Mapping[str, Produced], ancestors: Sequence[str], continue_on: Mapping[str, Any],
                  parent_text: str, slots: threading.BoundedSemaphore | None,
                  cond: threading.Condition) -> Produced:
        tname = str(task.get("name"))
        name = f"{dag_node.name}.{tname}"
        declared = self._declared(task, tscope)
        with cond:
            ready = {a: done[a] for a in ancestors}
        logic = expand_depends(task, continue_on) if (task.get("depends") or task.get("dependencies")) else ""
        if logic:
            try:
                ok = evaluate_depends(logic, {d: (ready[d].node.phase, [c.phase for c in ready[d].children])
                                              for d in depends_names(task)})
            except DependsError as exc:
                return Produced(self.table.start(name, tname, _template_name(task), "Skipped", dag_node.name,
                                                 "Error", str(exc)), declared=declared)
            if not ok:
                return Produced(self.table.start(name, tname, _template_name(task), "Skipped", dag_node.name,
                                                 "Omitted", "omitted: depends condition not met"),
                                declared=declared)
        params = dict(base)
        nils: set[str] = set()
        hangs: set[str] = set()
        try:
            for a, produced in ready.items():
                self.scope_builder.add(params, nils, hangs, "tasks", a, produced)
        except ScopeError as exc:  # executeDAGTask: a scope that cannot be built errors the task
            return Produced(self.table.start(name, tname, _template_name(task), "Skipped", dag_node.name,
                                             "Error", str(exc)), declared=declared)
        return self._node_of(task, "tasks", name, tname, dag_node.name, tscope, params, nils, hangs, parent_text,
                             slots, declared)

    def _declared(self, holder: Mapping[str, Any], tscope: TemplateScope) -> list[Mapping[str, Any]]:
        try:
            tmpl, _ = self.docs.resolve(holder, tscope, str(holder.get("name")))
        except RunError:
            return []
        return declared_outputs(tmpl)

    def _node_of(self, task: Mapping[str, Any], prefix: str, name: str, tname: str, parent: str,
                 tscope: TemplateScope, params: dict[str, str], nils: set[str], hangs: set[str], parent_text: str,
                 slots: threading.BoundedSemaphore | None, declared: list[Mapping[str, Any]]) -> Produced:
        """One task or step: its fan-out, its ``when``, its arguments, its execution and its hooks."""
        want_result = _wants_result(parent_text, prefix, tname)
        template = _template_name(task)
        fan = [k for k in ("withItems", "withParam", "withSequence") if k in task]
        if fan:
            try:
                items = self._items(task, params, nils, hangs)
            except NodeFailure as exc:
                return Produced(self.table.start(name, tname, template, "Skipped", parent, "Error", str(exc)),
                                declared=declared)
            if not items:
                return Produced(self.table.start(name, tname, template, "Skipped", parent, "Skipped",
                                                 "Skipped, empty params"), declared=declared)
            group = self.table.start(name, tname, template, "TaskGroup", parent)
            children: list[Node | None] = [None] * len(items)

            def child(i: int, item: Any) -> None:
                cname = f"{name}({i}:{item_desc(item)})"
                cdisplay = f"{tname}({i}:{item_desc(item)})"
                children[i] = self._one(task, prefix, cname, cdisplay, name, tscope, {**params, **item_params(item)},
                                        nils, hangs, want_result, slots, tname)

            threads = [threading.Thread(target=child, args=(i, it), daemon=True) for i, it in enumerate(items)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            kids = [c for c in children if c is not None]
            phase = "Succeeded"
            for c in kids:
                if c.phase in ("Failed", "Error"):
                    phase = c.phase
            self.table.finish(group, phase, None)
            self._expression_hooks(task, prefix, tname, group, params, nils, tscope)
            return Produced(group, kids, fanned=True, declared=declared)
        node = self._one(task, prefix, name, tname, parent, tscope, params, nils, hangs, want_result, slots, tname)
        return Produced(node, declared=declared)

    def _one(self, task: Mapping[str, Any], prefix: str, name: str, display: str, parent: str,
             tscope: TemplateScope, params: dict[str, str], nils: set[str], hangs: set[str], want_result: bool,
             slots: threading.BoundedSemaphore | None, tname: str) -> Node:
        template = _template_name(task)
        env = expr_env(params, nils)
        when = task.get("when")
        if when is not None:
            try:
                text = self._resolve(str(when), params, env, nils, hangs, "when", task_field=True)
                proceed = evaluate_when(text)
            except (NodeFailure, WhenError) as exc:
                return self.table.start(name, display, template, "Skipped", parent, "Error", str(exc))
            if not proceed:
                return self.table.start(name, display, template, "Skipped", parent, "Skipped",
                                        f"when '{text}' evaluated false")
        try:
            args, arts = self._arguments(task, params, env, nils, hangs)
        except NodeFailure as exc:
            return self.table.start(name, display, template, "Skipped", parent, "Error", str(exc))
        call = _Call(name, display, parent, task, tscope, args, arts, want_result)
        if slots is not None:
            slots.acquire()
        try:
            started = self._running_hooks(task, prefix, tname, name, display, params, nils, tscope)
            node = self.execute(call)
        finally:
            if slots is not None:
                slots.release()
        for t in started:  # dependents wait for the task's hooks (reference §7)
            t.join()
        self._exit_hook_of(task, prefix, tname, node, params, nils, tscope)
        self._expression_hooks(task, prefix, tname, node, params, nils, tscope)
        return node

    def _resolve(self, text: str, params: Mapping[str, str], env: Mapping[str, Any], nils: set[str],
                 hangs: set[str], what: str, task_field: bool = False) -> str:
        """A field's text with its references resolved, as strictly as Argo resolves ``tasks.*``/``steps.*``: up
        to 3.7.10/4.0.1 a task's or step's own fields leave an unresolved reference verbatim
        (``template.Replace(..., allowUnresolved=true)``); from 3.7.11/4.0.2 ``ReplaceStrictAny``."""
        missing: list[str] = []
        try:
            out = render(text, params, env=env, missing=missing)
        except TemplateError as exc:
            raise NodeFailure(f"{what}: {exc}") from None
        refs = [m for m in missing if m.startswith(("tasks.", "steps."))]  # the strict prefixes
        if refs and not (task_field and self.rule == "literal"):
            ref = refs[0]
            if ref in hangs:
                self.hang = (f"{what}: {{{{{ref}}}}} refers to the output of a Skipped/Omitted node: Argo "
                             f"{self.options.argo_version} requeues this task forever ({facts.HANG_REASON})")
                raise NodeFailure(self.hang)
            if ref in nils:
                raise NodeFailure(f"unable to substitute {{{{{ref}}}}}: output is an absent optional (its producer "
                                  "was Skipped or Omitted and the output declares no valueFrom.default)")
            raise NodeFailure(f"{what}: failed to resolve {{{{{ref}}}}}")
        return out

    def _arguments(self, task: Mapping[str, Any], params: Mapping[str, str], env: Mapping[str, Any],
                   nils: set[str], hangs: set[str]) -> tuple[dict[str, str], dict[str, str]]:
        args = task.get("arguments") or {}
        out: dict[str, str] = {}
        for p in args.get("parameters") or []:
            pname = str(p.get("name"))
            if "value" not in p:
                continue  # valueFrom in arguments (configMapKeyRef...) is not read here; the input default applies
            raw = _text(p["value"])
            if raw.startswith("{{") and raw.endswith("}}") and raw[2:-2].strip() in nils \
                    and raw[2:-2].strip() not in params:
                out[pname] = ABSENT  # >= 3.7.16: ProcessArgs applies the callee's default, or fails
                continue
            out[pname] = self._resolve(raw, params, env, nils, hangs, f"argument {pname}", task_field=True)
        arts: dict[str, str] = {}
        for a in args.get("artifacts") or []:
            aname = str(a.get("name"))
            if a.get("from") or a.get("fromExpression"):
                src = str(a.get("from") or "{{=" + str(a.get("fromExpression")) + "}}")
                ref = self._resolve(src, params, env, nils, hangs, f"artifact {aname}")
                if not ref.startswith(ARTIFACT_REF):
                    raise NodeFailure(f"artifact {aname}: {src} is not an output artifact")
                arts[aname] = ref[len(ARTIFACT_REF):]
            elif "raw" in a:  # the data is the artifact: kept in the store under a key of this run
                key = f"{self.name}/raw/{uuid.uuid4().hex}"
                dest = self.store.path(key)
                dest.parent.mkdir(parents=True, exist_ok=True)
                data = self._resolve(str((a.get("raw") or {}).get("data") or ""), params, env, nils, hangs,
                                     f"artifact {aname}")
                dest.write_text(data, encoding="utf-8")
                arts[aname] = key
            else:
                from athena.local.pod.volumes import artifact_key

                found = artifact_key(a)
                if found is not None:
                    arts[aname] = self._resolve(found, params, env, nils, hangs, f"artifact {aname}")
        return out, arts

    def _items(self, task: Mapping[str, Any], params: Mapping[str, str], nils: set[str],
               hangs: set[str]) -> list[Any]:
        env = expr_env(params, nils)
        if "withItems" in task:
            items = task["withItems"]
            if not isinstance(items, list):
                raise NodeFailure("withItems must be a list")
            return [_render_item(i, params, env) for i in items]
        if "withParam" in task:
            text = self._resolve(str(task["withParam"]), params, env, nils, hangs, "withParam", task_field=True)
            try:
                value = json.loads(text)
            except ValueError:
                value = None
            if not isinstance(value, list):
                raise NodeFailure(f"withParam value could not be parsed as a JSON list: {text[:200]}")
            return value
        seq = task["withSequence"] or {}
        fields = {k: self._resolve(_text(v), params, env, nils, hangs, f"withSequence.{k}") for k, v in seq.items()}
        try:
            start = int(fields.get("start") or 0)
            if "count" in fields:
                count = int(fields["count"])
                numbers = list(range(start, start + count))
            else:
                end = int(fields.get("end") or 0)
                numbers = list(range(start, end + 1)) if end >= start else list(range(start, end - 1, -1))
        except ValueError as exc:
            raise NodeFailure(f"withSequence: {exc}") from None
        fmt = fields.get("format")
        return [(fmt % n) if fmt else str(n) for n in numbers]

    # ------------------------------------------------------------------------------------------- hooks

    def _hooks_of(self, task: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
        hooks = dict(task.get("hooks") or {})
        if task.get("onExit") and "exit" not in hooks:
            hooks["exit"] = {"template": task["onExit"]}
        return hooks

    def _exit_hook_of(self, task: Mapping[str, Any], prefix: str, tname: str, node: Node,
                      params: Mapping[str, str], nils: set[str], tscope: TemplateScope) -> None:
        hook = self._hooks_of(task).get("exit")
        if hook is None or node.phase in ("Skipped", "Omitted"):
            return
        scope = dict(params)
        more: set[str] = set()
        self.scope_builder.add(scope, set(nils), more, prefix, tname, Produced(node))
        if hook.get("expression"):
            try:
                if evaluate(str(hook["expression"]), expr_env(scope, nils)) is not True:
                    return
            except (ExprError, ExprSyntaxError):
                return
        args = self._hook_arguments(hook, scope, nils, "exit")
        self.execute(_Call(f"{node.name}.onExit", f"{node.display_name}.onExit", node.name, hook, tscope, args))

    def _running_hooks(self, task: Mapping[str, Any], prefix: str, tname: str, name: str, display: str,
                       params: Mapping[str, str], nils: set[str],
                       tscope: TemplateScope) -> list[threading.Thread]:
        """Expression hooks that already hold when the task starts (``tasks.<self>.status == "Running"``)."""
        fired = self._fired.setdefault(name, set())
        scope = {**params, f"{prefix}.{tname}.status": "Running"}
        return self._fire(task, name, display, scope, nils, tscope, fired, background=True)

    def _expression_hooks(self, task: Mapping[str, Any], prefix: str, tname: str, node: Node,
                          params: Mapping[str, str], nils: set[str], tscope: TemplateScope) -> None:
        fired = self._fired.setdefault(node.name, set())
        scope = dict(params)
        self.scope_builder.add(scope, set(nils), set(), prefix, tname, Produced(node))
        scope.pop(f"{prefix}.{tname}.outputs.result", None)  # hooks cannot use the hooked task's own outputs
        self._fire(task, node.name, node.display_name, scope, nils, tscope, fired, background=False)

    @property
    def _fired(self) -> dict[str, set[str]]:
        return self.fired_hooks

    def _fire(self, task: Mapping[str, Any], name: str, display: str, scope: Mapping[str, str], nils: set[str],
              tscope: TemplateScope, fired: set[str], background: bool) -> list[threading.Thread]:
        threads: list[threading.Thread] = []
        for hname, hook in self._hooks_of(task).items():
            if hname == "exit" or hname in fired or not hook.get("expression"):
                continue
            try:
                ok = evaluate(str(hook["expression"]), expr_env(scope, nils)) is True
            except (ExprError, ExprSyntaxError):
                ok = False
            if not ok:
                continue
            fired.add(hname)
            args = self._hook_arguments(hook, scope, nils, hname)
            call = _Call(f"{name}.hooks.{hname}", f"{display}.hooks.{hname}", name, hook, tscope, args)
            t = threading.Thread(target=self.execute, args=(call,), daemon=True)
            t.start()
            threads.append(t)
        if not background:
            for t in threads:
                t.join()
        return threads

    # ------------------------------------------------------------------------------------------- steps

    def _steps(self, node: Node, tmpl: dict[str, Any], tscope: TemplateScope, g: Mapping[str, str],
               values: Mapping[str, str]) -> Node:
        node.kind = "Steps"
        base = {**g, **{f"inputs.parameters.{k}": v for k, v in values.items()}}
        text = json.dumps(tmpl)
        slots = threading.BoundedSemaphore(int(tmpl["parallelism"])) if tmpl.get("parallelism") else None
        done: dict[str, Produced] = {}
        for i, group in enumerate(tmpl.get("steps") or []):
            gnode = self.table.start(f"{node.name}[{i}]", f"[{i}]", str(tmpl.get("name") or ""), "StepGroup",
                                     node.name)
            params = dict(base)
            nils: set[str] = set()
            hangs: set[str] = set()
            try:
                for sname, produced in done.items():
                    self.scope_builder.add(params, nils, hangs, "steps", sname, produced)
            except ScopeError as exc:
                self.table.finish(gnode, "Error", str(exc))
                return self.table.finish(node, "Error", str(exc))
            steps = list(group or [])
            results: list[Produced | None] = [None] * len(steps)

            def one(j: int, step: Mapping[str, Any], _g: Node = gnode, _p: dict[str, str] = params,
                    _n: set[str] = nils, _h: set[str] = hangs, _r: list[Produced | None] = results) -> None:
                sname = str(step.get("name"))
                _r[j] = self._node_of(step, "steps", f"{_g.name}.{sname}", sname, _g.name, tscope, _p, _n, _h,
                                      text, slots, self._declared(step, tscope))

            threads = [threading.Thread(target=one, args=(j, s), daemon=True) for j, s in enumerate(steps)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            failed: Node | None = None
            for step, got in zip(steps, results, strict=True):
                assert got is not None
                done[str(step.get("name"))] = got
                co = step.get("continueOn") or {}
                p = got.node.phase
                if (p == "Failed" and not co.get("failed")) or (p == "Error" and not co.get("error")):
                    failed = failed or got.node
            if failed is not None:
                msg = f"child '{failed.name}' failed"
                self.table.finish(gnode, "Failed", msg)
                return self.table.finish(node, "Failed", msg)
            self.table.finish(gnode, "Succeeded", None)
        params = dict(base)
        nils = set()
        hangs = set()
        try:
            for sname, produced in done.items():
                self.scope_builder.add(params, nils, hangs, "steps", sname, produced)
        except ScopeError as exc:
            return self.table.finish(node, "Error", str(exc))
        return self._template_outputs(node, tmpl, params, nils, hangs)

    # ----------------------------------------------------------------------------------------- outputs

    def _template_outputs(self, node: Node, tmpl: Mapping[str, Any], params: Mapping[str, str], nils: set[str],
                          hangs: set[str]) -> Node:
        """A DAG/steps template's ``outputs.parameters`` from ``valueFrom.parameter``/``expression``/``default``
        (§10, §5.4, §8)."""
        new_rules = self.rule == "default"
        env = expr_env(params, nils)
        for p in declared_outputs(tmpl):
            pname = str(p.get("name"))
            vf = p.get("valueFrom") or {}
            assert isinstance(vf, Mapping)
            value: str | None = None
            problem = ""
            if "parameter" in vf:
                try:
                    value = self._resolve(str(vf["parameter"]), params, env, nils, hangs, f"output {pname}")
                except NodeFailure as exc:
                    problem = str(exc)
            elif "expression" in vf:
                try:
                    got = evaluate(str(vf["expression"]), env)
                except (ExprError, ExprSyntaxError) as exc:
                    got, problem = None, f"failed to evaluate expression {vf['expression']!r}: {exc}"
                if got is None and not problem:
                    if new_rules:
                        problem = f"output {pname}: expression {vf['expression']!r} evaluated to nil"
                    else:
                        value = "<nil>"
                elif got is not None:
                    value = format_v(got)
            elif "value" in p:
                value = _text(p["value"])
            if value is None:
                if vf.get("default") is not None:
                    value = str(vf["default"])
                elif "parameter" in vf or "expression" in vf:
                    return self.table.finish(node, "Error", problem or f"output {pname} could not be resolved")
                else:
                    continue
            node.outputs[pname] = value
            if p.get("globalName"):
                with self.global_lock:
                    self.globals[f"workflow.outputs.parameters.{p['globalName']}"] = value
        for a in (tmpl.get("outputs") or {}).get("artifacts") or []:
            src = a.get("from") or ("{{=" + str(a["fromExpression"]) + "}}" if a.get("fromExpression") else None)
            if src:
                try:
                    ref = self._resolve(str(src), params, env, nils, hangs, f"output artifact {a.get('name')}")
                except NodeFailure as exc:
                    if a.get("optional"):
                        continue
                    return self.table.finish(node, "Error", str(exc))
                if ref.startswith(ARTIFACT_REF):
                    node.artifacts[str(a.get("name"))] = ref[len(ARTIFACT_REF):]
        return self.table.finish(node, "Succeeded", None)


# ------------------------------------------------------------------------------------------------ helpers


def _assess_dag(tasks: Mapping[str, Mapping[str, Any]], deps: Mapping[str, Sequence[str]], targets: Sequence[str],
                done: Mapping[str, Produced], fail_fast: bool) -> str:
    """``assessDAGPhase``: each target's phase, an Omitted or Skipped one inheriting its branch's (Failed/Error
    preferred); a target failure its own ``continueOn`` covers does not count."""
    children: dict[str, list[str]] = {n: [] for n in tasks}
    for n, ds in deps.items():
        for d in ds:
            children[d].append(n)
    roots = [n for n in tasks if not deps[n]]
    branch: dict[str, str] = {}
    queue: list[tuple[str, str]] = [(r, "Succeeded") for r in roots]
    seen: set[tuple[str, str]] = set()
    while queue:
        n, phase = queue.pop(0)
        if (n, phase) in seen or n not in done:
            continue
        seen.add((n, phase))
        p = done[n].node.phase
        if p in ("Succeeded", "Failed", "Error"):
            phase = p
        if n in branch and branch[n] in ("Failed", "Error"):
            pass
        else:
            branch[n] = phase
        queue.extend((c, phase) for c in children[n])
    result = "Succeeded"
    for t in targets:
        phase = branch.get(t, "")
        if not phase:
            if t not in done:
                continue  # never created (the DAG stopped before it)
            phase = done[t].node.phase
        if phase in ("Failed", "Error"):
            co = (tasks.get(t) or {}).get("continueOn") or {}
            if (phase == "Failed" and co.get("failed")) or (phase == "Error" and co.get("error")):
                continue
            result = phase
            if fail_fast:
                break
    return result


def _ancestry(deps: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}

    def walk(n: str) -> list[str]:
        if n in out:
            return out[n]
        acc: list[str] = []
        for d in deps[n]:
            for a in [d, *walk(d)]:
                if a not in acc:
                    acc.append(a)
        out[n] = acc
        return acc

    for n in deps:
        walk(n)
    return out


def _check_cycles(deps: Mapping[str, Sequence[str]]) -> None:
    state: dict[str, int] = {}

    def visit(n: str, path: list[str]) -> None:
        if state.get(n) == 2:
            return
        if state.get(n) == 1:
            cycle = [*path[path.index(n):], n]
            raise NodeFailure(f"the DAG has a cycle: {' -> '.join(cycle)}")
        state[n] = 1
        for d in deps[n]:
            visit(d, [*path, n])
        state[n] = 2

    for n in deps:
        visit(n, [])


def _input_values(tmpl: Mapping[str, Any], args: Mapping[str, str]) -> dict[str, str]:
    """``ProcessArgs``: an input's ``value``, then its ``default``, then a supplied argument; none → error."""
    values: dict[str, str] = {}
    for p in (tmpl.get("inputs") or {}).get("parameters") or []:
        n = str(p.get("name"))
        value: str | None = _text(p["value"]) if p.get("value") is not None else None
        if p.get("default") is not None:
            value = _text(p["default"])
        if args.get(n) == ABSENT:
            if value is None and not p.get("valueFrom"):
                raise NodeFailure(f"inputs.parameters.{n}: argument references an absent optional (skipped/omitted "
                                  "node output with no default)")
        elif n in args:
            value = args[n]
        if value is None:
            raise NodeFailure(f"inputs.parameters.{n} was not supplied")
        enum = p.get("enum")
        if isinstance(enum, list) and enum and value not in [_text(e) for e in enum]:
            raise NodeFailure(f"inputs.parameters.{n}: value {value!r} is not one of the enum "
                              f"{', '.join(_text(e) for e in enum)}")
        values[n] = value
    return values


def _render_item(item: Any, params: Mapping[str, str], env: Mapping[str, Any]) -> Any:
    if isinstance(item, str):
        try:
            return render(item, params, strict=False, env=env)
        except TemplateError:
            return item
    if isinstance(item, dict):
        return {k: _render_item(v, params, env) for k, v in item.items()}
    if isinstance(item, list):
        return [_render_item(v, params, env) for v in item]
    return item


def _wants_result(parent_text: str, prefix: str, name: str) -> bool:
    """Argo captures ``outputs.result`` of a container only when the parent template references it."""
    n = re.escape(name)
    return re.search(rf"{prefix}(?:\.{n}|\[['\\\"]+{n}['\\\"]+\])\.outputs(?:\.result|\[['\\\"]+result)",
                     parent_text) is not None


def _template_name(holder: Mapping[str, Any]) -> str:
    if holder.get("templateRef"):
        return str((holder["templateRef"] or {}).get("template") or "")
    if holder.get("inline"):
        return str((holder["inline"] or {}).get("name") or "inline")
    return str(holder.get("template") or "")


def _kind(tmpl: Mapping[str, Any]) -> str:
    if "dag" in tmpl:
        return "DAG"
    if "steps" in tmpl:
        return "Steps"
    if "suspend" in tmpl:
        return "Suspend"
    return "Pod"


def _text(v: Any) -> str:
    """A parameter value as Argo's ``AnyString`` reads it: a string as is, a number or bool as Go prints it."""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return format_v(v) if isinstance(v, float) else str(v)
    if v is None:
        return ""
    return ""  # a list or map: AnyString decodes it to "" (reference §1.2)


def _seconds(value: Any) -> float | None:
    from athena.local.pod.template import _seconds as seconds

    try:
        return seconds(value)
    except (TypeError, ValueError):
        return None


def _leaf_deadline(tmpl: Mapping[str, Any]) -> float | None:
    cands = [d for d in (_seconds(tmpl.get("activeDeadlineSeconds")), _seconds(tmpl.get("timeout"))) if d]
    return min(cands) if cands else None


def _safe_file(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.()-]", "_", name)[:200]


def _iso(t: float) -> str:
    import datetime

    return datetime.datetime.fromtimestamp(t, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
