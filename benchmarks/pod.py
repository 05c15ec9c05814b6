"""Pod-side performance, side by side in one run, written to docs/benchmarks.md.

(a) runtime overhead over a bare interpreter for a one-argument function: athena's runtime against Hera
    7.1's runner doing the same (targets: ≤ 20 ms, ≥ 40× less than Hera);
(b) container start → function return in the busybox-only image (target ≤ 50 ms);
(c) bundle size per target (target ≤ 15 MB gz for a hello world).

    python benchmarks/pod.py [--quick] [--no-doc] [--skip-containers]

(b) and (c) need podman, the test images (scripts/setup-podman) and a bundle build (apt provider).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERA_VENV = ROOT / "benchmarks" / ".venv-hera"
DOC = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- pod:begin -->", "<!-- pod:end -->"

ATHENA_STEP = '''
from athena import container


@container
def double(x: int) -> int:
    return x * 2
'''

HERA_STEP = '''
from hera.workflows import script


@script(constructor="runner")
def double(x: int) -> int:
    return x * 2
'''

# What a bundle's __athena_main__.py does: put the app and site-packages first, run the runtime.
ATHENA_MAIN = '''
import sys
sys.path[:0] = [{app!r}, {src!r}]
from athena.runtime.main import main
raise SystemExit(main())
'''


def hera_python() -> Path:
    py = HERA_VENV / "bin" / "python"
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(HERA_VENV)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", "hera[yaml]==7.1.0"], check=True)
    return py


def timed(cmd: list[str], env: dict[str, str], runs: int, check: Path | None = None) -> float:
    """Median wall seconds of `runs` fresh processes (one warm-up first)."""
    samples: list[float] = []
    for i in range(runs + 1):
        start = time.perf_counter()
        p = subprocess.run(cmd, env=env, capture_output=True, text=True)
        elapsed = time.perf_counter() - start
        if p.returncode != 0:
            raise SystemExit(f"benchmark command failed: {' '.join(cmd)}\n{p.stdout}{p.stderr}")
        if check is not None and check.read_text().strip() != "6":
            raise SystemExit(f"unexpected result from {' '.join(cmd)}: {check.read_text()!r}")
        if i:
            samples.append(elapsed)
    return statistics.median(samples)


def runtime_overhead(runs: int) -> dict[str, float]:
    work = Path(tempfile.mkdtemp(prefix="athena-podbench-"))
    (work / "athena_step.py").write_text(ATHENA_STEP)
    (work / "hera_step.py").write_text(HERA_STEP)
    (work / "main.py").write_text(ATHENA_MAIN.format(app=str(work), src=str(ROOT / "src")))
    (work / "hera_args.json").write_text(json.dumps([{"name": "x", "value": "3"}]))
    result = work / "result"
    base = {k: v for k, v in os.environ.items() if not k.startswith(("ATHENA_", "PYTHON"))}
    base["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    athena_env = {**base, "ATHENA_RUNTIME": "1", "ATHENA_ENTRY": "athena_step:double", "ATHENA_RESULT": str(result)}
    hera = hera_python()
    hera_env = {**base, "PYTHONPATH": str(work)}
    out: dict[str, float] = {}
    # Both interpreters are started the way a pod starts them: isolated, no user site.
    out["bare"] = timed([sys.executable, "-I", "-S", "-c", "pass"], base, runs)
    out["athena"] = timed([sys.executable, "-I", "-S", "-B", "-u", "-X", "utf8", str(work / "main.py"), "--", "3"],
                          athena_env, runs, check=result)
    out["hera_bare"] = timed([str(hera), "-c", "pass"], hera_env, runs)
    out["hera"] = timed([str(hera), "-m", "hera.workflows.runner", "-e", "hera_step:double",
                         str(work / "hera_args.json")], hera_env, runs)
    return out


HELLO_APP = '''
from athena import container


@container
def hello(name: str) -> str:
    return f"hello {name}"
'''


def build_app(work: Path, module: str, source: str, targets: str, tarball: Path) -> None:
    """Write a one-module project (apt provider) into `work` and build its bundle with the CLI."""
    (work / f"{module}.py").write_text(source)
    (work / "athena.toml").write_text(f'[project]\nname = "hello"\napp = ["{module}"]\n'
                                      f'[bootstrap]\ninterpreter = "apt"\ntargets = {targets}\n')
    p = subprocess.run([sys.executable, "-m", "athena.cli", "build", "--out", str(tarball)], cwd=work,
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"bundle build failed:\n{p.stderr}")


def build_hello(work: Path) -> tuple[Path, dict[str, int]]:
    """(c): a hello-world bundle with the `apt` provider, both targets; returns (tarball, gz bytes per target)."""
    tarball = work / "hello.tar.gz"
    build_app(work, "hello_app", HELLO_APP, '["x86_64", "aarch64"]', tarball)
    sys.path.insert(0, str(ROOT / "src"))
    from athena.api import load_app
    from athena.bundle import build_bundle
    from athena.config import load_config

    config = load_config(start=work)
    app = load_app(None, config)
    sizes = {}
    for target in ("x86_64", "aarch64"):
        one = build_bundle(app, config, targets=[target], out=work / f"hello-{target}.tar.gz")
        sizes[target] = one.size_bytes
    return tarball, sizes


def container_start_to_return(work: Path, tarball: Path, runs: int) -> float:
    """(b): podman start of the busybox-only image → the function's return, timed inside the pod.

    Start is podman's State.StartedAt (ns); return is written by the step itself with time.time_ns() right
    after the call, into the /athena scratch the host can read (host and container share the clock).
    """
    timed_tar = work / "timed.tar.gz"
    build_app(work, "timed_app", "import time\nfrom athena import container\n\n\n@container\n"
              "def timed(name: str) -> str:\n    return str(time.time_ns())\n", '["x86_64"]', timed_tar)
    from athena.api import emit_documents, load_app
    from athena.config import load_config
    from athena.local.pod.unpack import load_artifact

    config = load_config(start=work)
    doc = emit_documents(load_app(None, config), config)[0]
    tmpl = doc["spec"]["templates"][0]
    c = tmpl["container"]
    env = [f"{e['name']}={e['value']}" for e in c["env"]]
    conf = {**os.environ, "CONTAINERS_CONF": str(ROOT / "tests" / "podman" / "containers.conf")}
    samples = []
    for i in range(runs + 1):
        scratch = Path(tempfile.mkdtemp(prefix="athena-pod-"))
        load_artifact(timed_tar, scratch / "bin")
        os.chmod(scratch, 0o777)
        name = f"athena-bench-{os.getpid()}-{i}"
        cmd = ["podman", "run", "--name", name, "--user", "8737:8737", "-v", f"{scratch}:/athena",
               *[x for e in env for x in ("-e", e)], "localhost/athena-bb:1", *c["command"], c["args"][0], "--",
               '"x"']
        run = subprocess.run(cmd, env=conf, capture_output=True, text=True)
        if run.returncode != 0:
            raise SystemExit(f"podman run failed: {run.stderr}")
        started = subprocess.run(["podman", "inspect", "--format", "{{.State.StartedAt.UnixNano}}", name],
                                 env=conf, capture_output=True, text=True, check=True).stdout.strip()
        subprocess.run(["podman", "rm", "-f", name], env=conf, capture_output=True)
        returned = int(json.loads((scratch / "result").read_text()))
        if i:
            samples.append((returned - int(started)) / 1e9)
    return statistics.median(samples)


def write_doc(section: str) -> None:
    text = DOC.read_text() if DOC.exists() else "# Benchmarks\n"
    block = f"{BEGIN}\n{section}\n{END}"
    if BEGIN in text and END in text:
        text = text[: text.index(BEGIN)] + block + text[text.index(END) + len(END):]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    DOC.write_text(text)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="5 runs instead of 20")
    ap.add_argument("--no-doc", action="store_true", help="do not update docs/benchmarks.md")
    ap.add_argument("--skip-containers", action="store_true", help="only (a): no bundle build, no podman")
    args = ap.parse_args()
    runs = 5 if args.quick else 20
    r = runtime_overhead(runs)
    extra: list[str] = []
    if not args.skip_containers:
        work = Path(tempfile.mkdtemp(prefix="athena-podbench-b-"))
        _, sizes = build_hello(work)
        start_ms = container_start_to_return(work, work / "hello.tar.gz", max(5, runs // 2)) * 1000
        extra = [
            "",
            "## Pod: container start → function return, and bundle size",
            "",
            "| | measured | target |",
            "|---|---:|---:|",
            f"| busybox-only image (podman, runc), start → return, median | {start_ms:.1f} ms | ≤ 50 ms |",
            *(f"| hello-world bundle, `apt` provider, {t} (tar.gz) | {b / 1e6:.1f} MB | ≤ 15 MB |"
              for t, b in sizes.items()),
            "",
            "Start is podman's `State.StartedAt`; return is `time.time_ns()` taken by the step right after the "
            "call (host and container share the clock).",
        ]
    athena_ms = (r["athena"] - r["bare"]) * 1000
    hera_ms = (r["hera"] - r["hera_bare"]) * 1000
    lines = [
        "## Pod: runtime overhead (athena vs Hera 7.1)",
        "",
        f"Median of {runs} fresh processes after one warm-up; a one-argument function `double(x: int) -> int`.",
        "",
        "| | wall ms | over a bare interpreter |",
        "|---|---:|---:|",
        f"| bare interpreter (`python -I -S -c pass`) | {r['bare'] * 1000:.1f} | |",
        f"| athena runtime | {r['athena'] * 1000:.1f} | **{athena_ms:.1f} ms** |",
        f"| Hera 7.1 runner (`python -m hera.workflows.runner`) | {r['hera'] * 1000:.1f} | **{hera_ms:.1f} ms** |",
        "",
        f"Hera's overhead / athena's: **{hera_ms / max(athena_ms, 0.1):.0f}×** (targets: athena ≤ 20 ms, ≥ 40×).",
        "",
        f"Reproduce: `python benchmarks/pod.py` (CPython {sys.version.split()[0]}, {os.cpu_count()} CPUs).",
        *extra,
    ]
    section = "\n".join(lines)
    print(section)
    if not args.no_doc:
        write_doc(section)


if __name__ == "__main__":
    main()
