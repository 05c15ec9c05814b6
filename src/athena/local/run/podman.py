"""``--runtime podman|docker``: each pod through the shared pod executor (:func:`athena.local.pod.run_pod`), in the
template's image with the bundle built for this run, exactly as ``container emulate --build`` runs one container.

Artifacts: the run's local store is the executor's ``artifacts_dir`` (keys are paths under it); inputs passed by
``from:`` are handed over as files.
"""

from __future__ import annotations

import io
from typing import IO, Any, cast

from athena.errors import AthenaError
from athena.local.run.leaf import LeafResult
from athena.local.run.model import RunOptions
from athena.local.run.process import LineSplitter, PodSpec

__all__ = ["PodRunner"]


class PodRunner:
    def __init__(self, options: RunOptions) -> None:
        from athena.local.pod import detect_runtime

        self.options = options
        self.runtime = detect_runtime(options.runtime)

    def __call__(self, spec: PodSpec, _options: RunOptions) -> LeafResult:
        from athena.local.argo.substitute import substitute
        from athena.local.pod import PodOptions, run_pod
        from athena.local.pod.volumes import artifact_key
        from athena.runtime import protocol as proto

        tmpl: dict[str, Any] = dict(spec.tmpl)
        if "script" in tmpl:
            raise AthenaError(f"{tmpl.get('name')}: script templates run with --runtime process only")
        arts = (tmpl.get("inputs") or {}).get("artifacts") or []
        needs_bundle = any(a.get("name") == proto.BUNDLE_ARTIFACT for a in arts)
        if needs_bundle and self.options.bundle is None:
            raise AthenaError(f"{tmpl.get('name')}: an athena container needs its bundle with --runtime "
                              f"{self.options.runtime} (the CLI builds it; from the API pass RunOptions(bundle=...))")
        values = {k.removeprefix("inputs.parameters."): v for k, v in spec.params.items()
                  if k.startswith("inputs.parameters.")}
        spec.log.parent.mkdir(parents=True, exist_ok=True)
        with open(spec.log, "a", encoding="utf-8") as log:
            tee = None if spec.on_line is None else _Tee(log, LineSplitter(spec.on_line))
            sink = log if tee is None else cast(IO[str], tee)  # TextIOBase is a text stream, not typing.IO
            opts = PodOptions(runtime=self.runtime, artifacts_dir=self.store_dir(spec), input_files=dict(spec.inputs),
                              timeout=spec.deadline, grace_period=2.0, stream_logs=True, log=sink,
                              workflow_name=spec.workflow, argo_version=self.options.argo_version,
                              # the scheduler's: `{{workflow.uid}}`/`{{pod.name}}` in artifact keys must agree
                              workflow_uid=spec.params.get("workflow.uid"), pod_name=spec.pod_name)
            try:
                res = run_pod(tmpl, values, bundle=self.options.bundle, options=opts)
            finally:
                if tee is not None:
                    tee.lines.end()
        out = LeafResult(res.exit_code, res.stdout, dict(res.parameters), list(res.errors), res.timed_out)
        for a in (tmpl.get("outputs") or {}).get("artifacts") or []:
            key = substitute(artifact_key(a) or str(a["name"]), spec.params)
            if key in res.outputs:
                out.artifacts[str(a["name"])] = key
        return out

    @staticmethod
    def store_dir(spec: PodSpec) -> Any:
        return spec.store.root


class _Tee(io.TextIOBase):
    """The pod executor's log sink: text to the step's log file, and line by line to ``--runtime process``'s
    :class:`LineSplitter` (the executor writes whole lines, stdout's and stderr's, one at a time)."""

    def __init__(self, record: IO[str], lines: LineSplitter) -> None:
        self.record = record
        self.lines = lines

    def write(self, text: str) -> int:
        self.record.write(text)
        self.lines.feed(text.encode("utf-8", "surrogateescape"))
        return len(text)

    def flush(self) -> None:
        self.record.flush()
