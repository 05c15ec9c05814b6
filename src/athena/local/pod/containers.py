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

__all__ = ["DOCKER_SETUP_HINT", "SETUP_HINT", "SHIPPED_CONF", "SHIPPED_CONF_NO_RUNC", "Runtime", "cleanup", "detect_runtime", "podman_conf",
           "run_container", "runtime_failure", "tail"]

SETUP_HINT = "on Debian 12, `sudo scripts/setup-podman` in the athena repository sets podman up"
DOCKER_SETUP_HINT = ("on Debian 12, `sudo scripts/setup-docker` in the athena repository starts a private Docker engine "
                     "with athena's test images (after scripts/setup-podman) and prints the DOCKER_HOST to use")


@dataclass(frozen=True)
class Runtime:
    """A container CLI (``podman`` or ``docker``) and the environment to run it with."""

    name: str
    exe: str
    env: Mapping[str, str]

    @property
    def is_podman(self) -> bool:
        return self.name == "podman"

    @property
    def setup_hint(self) -> str:
        return SETUP_HINT if self.is_podman else DOCKER_SETUP_HINT

    def run(self, *argv: str, check: bool = False, timeout: float | None = 120) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run([self.exe, *argv], env=dict(self.env), stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=timeout, check=False)
        if check and proc.returncode != 0:
            raise AthenaError(f"`{self.name} {' '.join(argv)}` failed (exit {proc.returncode}): "
                              f"{tail(proc.stderr)}")
        return proc


# Podman's defaults fail on some hosts (nofile/nproc rlimits above what the host allows: "error setting rlimit
# type 7"; crun on hybrid cgroups). athena ships the settings that work (package data next to this module) and gives
# them to podman unless the user chose a containers.conf of their own.
SHIPPED_CONF = Path(__file__).with_name("containers.conf")  # explicit rlimits + runc
SHIPPED_CONF_NO_RUNC = Path(__file__).with_name("containers-ulimits.conf")  # explicit rlimits only
# Where podman looks for runc besides $PATH (its default runtime search list).
_RUNC_PATHS = ("/usr/bin/runc", "/usr/sbin/runc", "/usr/local/bin/runc", "/usr/local/sbin/runc", "/sbin/runc",
               "/bin/runc", "/usr/lib/cri-o-runc/sbin/runc", "/run/current-system/sw/bin/runc")


def detect_runtime(runtime: str | None = None, *, containers_conf: Path | None = None,
                   environ: Mapping[str, str] | None = None) -> Runtime:
    """``runtime`` by name, else podman if installed, else docker.

    For podman, the containers.conf is, in order: ``containers_conf``, ``$ATHENA_CONTAINERS_CONF``, the user's own
    ``$CONTAINERS_CONF`` (left as it is), else the one shipped with athena (:data:`SHIPPED_CONF`, or
    :data:`SHIPPED_CONF_NO_RUNC` where runc is not installed), so that nobody has to discover the setting."""
    env = dict(os.environ if environ is None else environ)
    if runtime is not None and runtime not in ("podman", "docker"):
        raise AthenaError(f"unknown container runtime {runtime!r}: use podman or docker")
    names = [runtime] if runtime else ["podman", "docker"]
    for n in names:
        exe = shutil.which(n, path=env.get("PATH"))
        if exe:
            if n == "podman":
                conf = podman_conf(env, containers_conf)
                if conf is not None:
                    env["CONTAINERS_CONF"] = str(conf)
            return Runtime(n, exe, env)
    if runtime:
        raise AthenaError(f"`{runtime}` is not installed or not on PATH "
                          f"({SETUP_HINT if runtime == 'podman' else DOCKER_SETUP_HINT})")
    raise AthenaError(f"no container runtime found: install podman or docker ({SETUP_HINT})")


def podman_conf(env: Mapping[str, str], containers_conf: Path | None = None) -> Path | None:
    """The containers.conf to give podman as ``CONTAINERS_CONF``, or None to keep the user's ``$CONTAINERS_CONF``."""
    chosen = containers_conf or (Path(env[ENV_CONTAINERS_CONF]) if env.get(ENV_CONTAINERS_CONF) else None)
    if chosen is not None:
        if not chosen.is_file():
            where = "containers_conf=" if containers_conf else f"${ENV_CONTAINERS_CONF}"
            raise AthenaError(f"containers.conf {chosen} ({where}) does not exist: point it at an existing file, "
                              f"or unset it to use the settings shipped with athena ({SHIPPED_CONF})")
        return chosen.resolve()
    if env.get("CONTAINERS_CONF"):
        return None  # the user's own choice, as podman itself would read it
    has_runc = shutil.which("runc", path=env.get("PATH")) is not None or any(
        os.access(p, os.X_OK) for p in _RUNC_PATHS)
    return SHIPPED_CONF if has_runc else SHIPPED_CONF_NO_RUNC


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
        conf = rt.env.get("CONTAINERS_CONF")
        hint = (f"\nhint: podman ran with {f'CONTAINERS_CONF={conf}' if conf else 'its own defaults'}; give it a "
                f"containers.conf with runc and explicit default_ulimits: unset $CONTAINERS_CONF and "
                f"${ENV_CONTAINERS_CONF} to use the one shipped with athena ({SHIPPED_CONF}), or point "
                f"${ENV_CONTAINERS_CONF} at your own")
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
