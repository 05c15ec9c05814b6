"""``athena run``: the emitted YAML executed on this machine with Argo's semantics (DESIGN §8.2).

Modules, one concern each: :mod:`.model` (options and results), :mod:`.load` (documents, the submitted root,
``templateRef`` resolution), :mod:`.scheduler` (templates, DAGs, steps, fan-outs, hooks), :mod:`.scope`
(what a task sees, aggregation, Skipped outputs per version), :mod:`.dependencies` (``depends``),
:mod:`.govaluate` (``when``), :mod:`.retry`, :mod:`.admission` (v4 limits and validation), :mod:`.process`
(``--runtime process``), :mod:`.podman` (``--runtime podman|docker`` through :mod:`athena.local.pod`),
:mod:`.store` (artifacts), :mod:`.record` (the run record) and :mod:`.progress` (the live tree).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from athena.local.run.load import Documents, RunError
from athena.local.run.model import NodeEvent, NodeRecord, RunOptions, RunResult

__all__ = ["NodeEvent", "NodeRecord", "RunError", "RunOptions", "RunResult", "run_workflow"]


def run_workflow(documents: Sequence[Mapping[str, Any]], entry: str, arguments: Mapping[str, str] | None = None,
                 options: RunOptions | None = None) -> RunResult:
    """Run the workflow ``entry`` (a WorkflowTemplate submitted as a Workflow with ``workflowTemplateRef``, or a
    Workflow document) of ``documents`` with the workflow ``arguments`` (parameter name → text).

    Raises :class:`RunError` when the documents cannot be run at all (no such entry, an unknown argument);
    everything that happens while running (a failing step, an expression error, a timeout, a rejected document)
    is in the result's phases and messages.
    """
    from athena.local.run.admission import admission_problems, portability_notes
    from athena.local.run.record import write_record
    from athena.local.run.scheduler import Engine
    from athena.local.run.store import ArtifactStore

    opts = options or RunOptions()
    docs = Documents(documents)
    root = docs.root(entry)
    own_store = opts.store is None
    store_dir = opts.store or Path(tempfile.mkdtemp(prefix="athena-run-store-"))
    runner = _runner(opts)
    engine = Engine(docs, root, opts, dict(arguments or {}), ArtifactStore(store_dir), Path("."), runner)
    workdir = opts.workdir or Path(".athena") / "runs" / engine.name
    engine.workdir = workdir.resolve()
    notes = portability_notes(documents, opts)
    try:
        problems = admission_problems(documents, engine.version)
        message: str | None
        if problems:
            phase, message = "Error", "; ".join(problems)
            outputs: dict[str, str] = {}
        else:
            main = engine.run()
            phase, message, _ = engine.finish(main)
            outputs = dict(main.outputs)
        nodes = list(engine.table.nodes)
        record = write_record(engine.workdir, name=engine.name, entry=entry, phase=phase, message=message,
                              arguments=engine.arguments, outputs=outputs, nodes=nodes,
                              argo_version=opts.argo_version, runtime=opts.runtime, notes=notes)
        return RunResult(engine.name, phase, message, outputs, [n.record() for n in nodes], record.parent)
    finally:
        if own_store:
            shutil.rmtree(store_dir, ignore_errors=True)


def _runner(opts: RunOptions) -> Any:
    if opts.runtime == "process":
        from athena.local.run.process import run_process

        return lambda spec, _o: run_process(spec)
    if opts.runtime in ("podman", "docker"):
        from athena.local.run.podman import PodRunner

        return PodRunner(opts)
    raise RunError(f"--runtime {opts.runtime!r}: use process, podman or docker")
