"""``--runtime process``: a container or script template run as a host subprocess, the bundle-less fast path.

An athena container (its env has ``ATHENA_ENTRY``; its command is the bootstrap ``/bin/sh -c <script> --``) runs
the pod runtime, ``python -m athena.runtime.main -- <slots>``, with the same argv slots (after Argo's
substitution and the kubelet's ``$(VAR)`` expansion), the template's env, and the pod's ``/athena`` and ``/tmp``
under a private directory (``ATHENA_RESULT``, ``ATHENA_TMP_DIR`` and friends point there). The subprocess gets
this interpreter's ``sys.path`` as ``PYTHONPATH``, so it imports the app the way the caller did.

Any other container (hand-written YAML) runs its ``command + args`` on this machine (``sh`` is the host's) in a
private working directory; a script template's ``source`` is written to a file passed as its last argument.
Output paths are read where the process wrote them: a relative path under the working directory, an absolute one
on this machine (so two parallel steps writing the same absolute path collide: use ``--runtime podman`` for
such YAML). The image, resources, security context and volumes are not honoured (the portability note says so).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from athena.local.pod.kubelet import k8s_expand, resolve_env
from athena.local.pod.template import argo_replace
from athena.local.pod.unpack import load_artifact
from athena.local.run.leaf import LeafResult, declared_outputs, missing_output, read_param_file
from athena.local.run.store import ArtifactStore
from athena.runtime import protocol as proto

__all__ = ["LineSplitter", "PodSpec", "run_process"]


class PodSpec:
    """One pod to run: the substituted template and what the controller would know about it."""

    def __init__(self, tmpl: Mapping[str, Any], pod_name: str, workflow: str, params: Mapping[str, str],
                 deadline: float | None, log: Path, inputs: Mapping[str, Path], store: ArtifactStore,
                 register: Callable[[subprocess.Popen[bytes] | None], None],
                 on_line: Callable[[str], None] | None = None) -> None:
        self.tmpl = tmpl
        self.pod_name = pod_name
        self.workflow = workflow
        self.params = params  # globals + inputs: the controller's second pass over the pod spec
        self.deadline = deadline
        self.log = log
        self.inputs = inputs  # input artifact name -> local file (already fetched from the store)
        self.store = store
        self.register = register
        self.on_line = on_line  # each line of stdout and stderr as it arrives (the log file gets them regardless)


def is_athena(container: Mapping[str, Any]) -> bool:
    return any(e.get("name") == proto.ENV_ENTRY for e in container.get("env") or [])


class _Layout:
    """Where the pod's paths are on this machine."""

    def __init__(self, root: Path, athena: bool) -> None:
        self.root = root
        self.athena = athena
        self.work = root / "work"
        for d in (self.work, root / "athena" / "home", root / "athena" / "bin", root / "tmp"):
            d.mkdir(parents=True, exist_ok=True)

    def host(self, path: str) -> Path:
        if self.athena and (path == proto.WORK_DIR or path.startswith(proto.WORK_DIR + "/")):
            return self.root / path.lstrip("/")
        if self.athena and (path == proto.TMP_DIR or path.startswith(proto.TMP_DIR + "/")):
            return self.root / path.lstrip("/")
        if not path.startswith("/"):
            return self.work / path
        return Path(path)


def run_process(spec: PodSpec) -> LeafResult:
    tmpl = spec.tmpl
    script = tmpl.get("script")
    container: dict[str, Any] = dict(tmpl.get("container") or script or {})
    name = str(tmpl.get("name") or "template")
    env_list = argo_replace([dict(e) for e in container.get("env") or []], spec.params)
    command = [str(c) for c in argo_replace(container.get("command") or [], spec.params)]
    cargs = [str(a) for a in argo_replace(container.get("args") or [], spec.params)]
    env_values = resolve_env(env_list, name, spec.pod_name, "default",
                             str(tmpl.get("serviceAccountName") or "default"), supplied=os.environ)
    command = [k8s_expand(c, env_values) for c in command]
    cargs = [k8s_expand(a, env_values) for a in cargs]
    athena = is_athena(container)
    with tempfile.TemporaryDirectory(prefix="athena-run-pod-") as scratch:
        lay = _Layout(Path(scratch), athena)
        env = dict(os.environ)
        env.update(env_values)
        if athena:
            argv = [sys.executable, "-m", "athena.runtime.main", *_slots(cargs)]
            env.update({
                proto.ENV_RUNTIME: "1", "HOME": str(lay.host(proto.HOME_DIR)),
                proto.ENV_RESULT: str(lay.host(proto.RESULT_PATH)),
                proto.ENV_BUNDLE_DIR: str(lay.host(proto.BUNDLE_DIR)),
                proto.ENV_TMP_DIR: str(lay.host(proto.TMP_DIR)),
                proto.ENV_ARTIFACT_RETURN: str(lay.host(proto.ARTIFACT_RETURN_PATH)),
                "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
            })
        else:
            argv = [*command, *cargs]
            if script is not None:
                src = lay.root / "script"
                src.write_text(str(script.get("source") or ""), encoding="utf-8")
                argv = [*(command or ["sh"]), *cargs, str(src)] if not cargs else [*command, str(src), *cargs]
            if not argv:
                return LeafResult(1, "", errors=[f"{name}: the container has no command; --runtime process cannot "
                                                 "know its image's entrypoint (use --runtime podman)"])
        for aname, src_path in spec.inputs.items():
            art = next(a for a in (tmpl.get("inputs") or {}).get("artifacts") or [] if a.get("name") == aname)
            dest = lay.host(str(art.get("path")))
            dest.parent.mkdir(parents=True, exist_ok=True)
            load_artifact(src_path, dest, archive=art.get("archive"), mode=art.get("mode"),
                          recurse_mode=bool(art.get("recurseMode")))
        cwd = lay.root / "athena" if athena else lay.work
        code, out, timed_out = _run(argv, env, cwd, spec)
        result = LeafResult(code, out, timed_out=timed_out)
        _read_outputs(tmpl, lay, result, spec)
        return result


def _slots(cargs: list[str]) -> list[str]:
    """The bootstrap's own argv after its script: ``sh -c <script> -- <slots>`` hands ``<slots>`` to the runtime,
    which drops a leading ``--``."""
    rest = cargs[1:] if cargs else []
    return rest if rest[:1] == ["--"] else ["--", *rest]


def _run(argv: list[str], env: Mapping[str, str], cwd: Path,
         spec: PodSpec) -> tuple[int, str, bool]:
    spec.log.parent.mkdir(parents=True, exist_ok=True)
    out_path = spec.log.with_suffix(".stdout")
    with open(out_path, "wb") as out, open(spec.log, "ab") as log:
        try:
            proc = subprocess.Popen(argv, cwd=cwd, env=dict(env), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    start_new_session=True)
        except OSError as exc:
            log.write(f"cannot start {argv[0]}: {exc}\n".encode())
            if spec.on_line is not None:
                LineSplitter(spec.on_line).feed(f"cannot start {argv[0]}: {exc}\n".encode())
            return 127, "", False
        spec.register(proc)
        pumps = [threading.Thread(target=_pump, args=(proc.stdout, [out, log], spec.on_line), daemon=True),
                 threading.Thread(target=_pump, args=(proc.stderr, [log], spec.on_line), daemon=True)]
        for t in pumps:
            t.start()
        timed_out = False
        try:
            proc.wait(timeout=spec.deadline)
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill(proc)
        for t in pumps:
            t.join()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
        spec.register(None)
    text = out_path.read_bytes().decode("utf-8", "replace")
    return proc.returncode, text, timed_out


def _pump(stream: Any, sinks: list[Any], on_line: Callable[[str], None] | None = None) -> None:
    lines = LineSplitter(on_line) if on_line is not None else None
    for chunk in iter(lambda: stream.read1(65536), b""):
        for s in sinks:
            s.write(chunk)
            s.flush()
        if lines is not None:
            lines.feed(chunk)
    if lines is not None:
        lines.end()


class LineSplitter:
    """Bytes in, whole lines out to ``on_line`` (decoded, without the newline); the last line even without one.

    A line longer than :data:`LINE_MAX` goes out in pieces rather than growing without bound. Should ``on_line``
    fail (stderr closed), lines stop going there but the caller keeps draining the pipe: the step must not block
    on a full pipe, and its log file must still get everything.
    """

    def __init__(self, on_line: Callable[[str], None]) -> None:
        self.on_line: Callable[[str], None] | None = on_line
        self.rest = b""

    def feed(self, chunk: bytes) -> None:
        if self.on_line is None:
            return
        *lines, self.rest = (self.rest + chunk).split(b"\n") if self.rest else chunk.split(b"\n")
        if len(self.rest) > LINE_MAX:
            lines.append(self.rest)
            self.rest = b""
        for line in lines:
            self._emit(line)

    def end(self) -> None:
        if self.rest:
            self._emit(self.rest)
            self.rest = b""

    def _emit(self, line: bytes) -> None:
        if self.on_line is None:
            return
        try:
            self.on_line(line.removesuffix(b"\r").decode("utf-8", "replace"))
        except Exception:  # the class doc: never stop draining the step's output because the screen failed
            self.on_line = None


LINE_MAX = 64 * 1024


def _kill(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the step's process group, then SIGKILL after a short grace (the kubelet waits 30 s; a local
    run does not)."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=2)
    except (ProcessLookupError, PermissionError):
        pass
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _read_outputs(tmpl: Mapping[str, Any], lay: _Layout, result: LeafResult, spec: PodSpec) -> None:
    for p in declared_outputs(tmpl):
        vf = p.get("valueFrom") or {}
        assert isinstance(vf, Mapping)
        path = vf.get("path")
        if not path:
            continue
        value = read_param_file(lay.host(str(path)))
        if value is None:
            if vf.get("default") is not None:
                value = str(vf["default"])
            else:
                result.errors.append(missing_output(str(p.get("name")), str(path)))
                continue
        result.parameters[str(p.get("name"))] = value
    for a in (tmpl.get("outputs") or {}).get("artifacts") or []:
        path = a.get("path")
        if not path:
            continue
        host = lay.host(str(path))
        if not os.path.lexists(host):
            if not a.get("optional"):
                result.errors.append(f"failed to save outputs: output artifact {a['name']}: {path}: no such file "
                                     "or directory")
            continue
        from athena.local.pod.volumes import artifact_key

        key = artifact_key(a) or f"{spec.workflow}/{spec.pod_name}/{a['name']}.tgz"
        raw = "none" in (a.get("archive") or {})
        spec.store.save(host, key, raw=raw)
        result.artifacts[str(a["name"])] = key
