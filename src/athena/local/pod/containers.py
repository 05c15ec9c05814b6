"""The container CLI (``podman`` or ``docker``): finding it, running one container with its logs streamed,
explaining the runtime's own failures, and removing what a run left behind."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from athena.errors import AthenaError
from athena.runtime.protocol import ENV_CONTAINERS_CONF

__all__ = ["SETUP_HINT", "Runtime", "cleanup", "detect_runtime", "run_container", "runtime_failure", "tail"]

SETUP_HINT = "on Debian 12, `sudo scripts/setup-podman` in the athena repository sets podman up"


@dataclass(frozen=True)
class Runtime:
    """A container CLI (``podman`` or ``docker``) and the environment to run it with."""

    name: str
    exe: str
    env: Mapping[str, str]

    @property
    def is_podman(self) -> bool:
        return self.name == "podman"

    def run(self, *argv: str, check: bool = False, timeout: float | None = 120) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run([self.exe, *argv], env=dict(self.env), stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=timeout, check=False)
        if check and proc.returncode != 0:
            raise AthenaError(f"`{self.name} {' '.join(argv)}` failed (exit {proc.returncode}): "
                              f"{tail(proc.stderr)}")
        return proc


def detect_runtime(runtime: str | None = None, *, containers_conf: Path | None = None) -> Runtime:
    """``runtime`` by name, else podman if installed, else docker. For podman, ``containers_conf`` (else
    ``$ATHENA_CONTAINERS_CONF``) becomes ``CONTAINERS_CONF`` (e.g. ``tests/podman/containers.conf``)."""
    if runtime is not None and runtime not in ("podman", "docker"):
        raise AthenaError(f"unknown container runtime {runtime!r}: use podman or docker")
    names = [runtime] if runtime else ["podman", "docker"]
    for n in names:
        exe = shutil.which(n)
        if exe:
            env = dict(os.environ)
            if n == "podman":
                conf = containers_conf or (Path(os.environ[ENV_CONTAINERS_CONF])
                                           if os.environ.get(ENV_CONTAINERS_CONF) else None)
                if conf is not None:
                    if not conf.is_file():
                        raise AthenaError(f"containers.conf {conf} does not exist ({SETUP_HINT})")
                    env["CONTAINERS_CONF"] = str(conf.resolve())
            return Runtime(n, exe, env)
    if runtime:
        raise AthenaError(f"`{runtime}` is not installed or not on PATH ({SETUP_HINT})")
    raise AthenaError(f"no container runtime found: install podman or docker ({SETUP_HINT})")


def tail(text: str, lines: int = 15) -> str:
    """The last ``lines`` lines of a tool's output, for a message."""
    return "\n".join(text.strip().splitlines()[-lines:])


def run_container(rt: Runtime, argv: list[str], cname: str, deadline: float | None, grace: float,
                  log: IO[str] | None, stream: bool) -> tuple[int, str, str, bool]:
    """Run ``rt argv`` (a ``run`` of container ``cname``); its output is echoed to ``log`` when ``stream``. Past
    ``deadline`` seconds: SIGTERM, then SIGKILL after ``grace``. Returns (exit code, stdout, stderr, timed out)."""
    sink = (log or sys.stderr) if stream else None
    lock = threading.Lock()
    with subprocess.Popen([rt.exe, *argv], env=dict(rt.env), stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        bufs: dict[str, list[bytes]] = {"out": [], "err": []}

        def pump(pipe: IO[bytes], key: str) -> None:
            for line in iter(pipe.readline, b""):
                bufs[key].append(line)
                if sink is not None:
                    with lock:
                        sink.write(line.decode("utf-8", "replace"))
                        sink.flush()

        threads = [threading.Thread(target=pump, args=(proc.stdout, "out"), daemon=True),
                   threading.Thread(target=pump, args=(proc.stderr, "err"), daemon=True)]
        for t in threads:
            t.start()
        timed_out = False
        try:
            try:
                proc.wait(timeout=deadline)
            except subprocess.TimeoutExpired:
                timed_out = True
                rt.run("kill", "--signal", "TERM", cname, timeout=30)
                try:
                    proc.wait(timeout=grace)
                except subprocess.TimeoutExpired:
                    rt.run("kill", "--signal", "KILL", cname, timeout=30)
                    proc.wait()
        except BaseException:
            rt.run("rm", "-f", cname, timeout=60)
            raise
        for t in threads:
            t.join()
    out = b"".join(bufs["out"]).decode("utf-8", "replace")
    err = b"".join(bufs["err"]).decode("utf-8", "replace")
    return proc.returncode, out, err, timed_out


def runtime_failure(rt: Runtime, code: int, err: str, image: str) -> None:
    """Exit 125-127 with the runtime's own error message: the pod never ran the command."""
    lines = [ln for ln in err.splitlines() if ln.startswith(("Error:", "docker: Error", "Error response"))]
    if not lines:
        return
    msg = tail("\n".join(lines), 5)
    hint = ""
    if "rlimit" in msg or "cgroups in hybrid mode" in msg:
        hint = (f"\nhint: use a containers.conf with runc and explicit ulimits (containers_conf=... or "
                f"${ENV_CONTAINERS_CONF}=tests/podman/containers.conf; {SETUP_HINT})")
    elif "container-init" in msg:
        hint = f"\nhint: `--init` needs catatonit (Debian: apt-get install catatonit; {SETUP_HINT})"
    elif "not found" in msg or "no such file" in msg.lower():
        hint = f"\nhint: the image {image} may lack the command (athena needs /bin/sh and uname in the image)"
    raise AthenaError(f"{rt.name} could not run the container (exit {code}): {msg}{hint}")


def cleanup(rt: Runtime, scratch: Path) -> None:
    """Remove the pod's scratch directory, even what a rootless container wrote into it."""
    try:
        shutil.rmtree(scratch)
    except OSError:
        # Rootless podman: files the container wrote belong to a sub-UID this user cannot remove directly.
        if rt.is_podman:
            rt.run("unshare", "rm", "-rf", str(scratch))
        if scratch.exists():
            with contextlib.suppress(OSError):
                shutil.rmtree(scratch)
