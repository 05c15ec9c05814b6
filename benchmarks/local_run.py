"""`athena run --runtime process` on a 200-task fan-out and a 200-task chain of trivial script steps, against the
process-spawn floor (the same number of bare `sh -c` spawns, sequential for the chain and all at once for the
fan-out), and the scheduler's own overhead per node.

    python benchmarks/local_run.py [--n 200]

(kfp.local's SubprocessRunner is not compared: kfp is not a dependency of this project.)
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from athena.local.run import RunOptions, run_workflow

STEP = {"name": "step", "inputs": {"parameters": [{"name": "x"}]},
        "script": {"image": "alpine", "command": ["sh"], "source": "echo {{inputs.parameters.x}}"}}


def fan_out(n: int) -> dict[str, object]:
    tasks = [{"name": "f", "template": "step", "withSequence": {"count": str(n)},
              "arguments": {"parameters": [{"name": "x", "value": "{{item}}"}]}}]
    return _wf("fan", tasks)


def chain(n: int) -> dict[str, object]:
    tasks: list[dict[str, object]] = [{"name": "t0", "template": "step",
                                       "arguments": {"parameters": [{"name": "x", "value": "0"}]}}]
    for i in range(1, n):
        tasks.append({"name": f"t{i}", "template": "step", "dependencies": [f"t{i - 1}"],
                      "arguments": {"parameters": [{"name": "x", "value": f"{{{{tasks.t{i - 1}.outputs.result}}}}"}]}})
    return _wf("chain", tasks)


def _wf(name: str, tasks: list[dict[str, object]]) -> dict[str, object]:
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"name": name},
            "spec": {"entrypoint": "main", "templates": [{"name": "main", "dag": {"tasks": tasks}}, STEP]}}


def _spawn() -> None:
    subprocess.run(["sh", "-c", "echo 1"], capture_output=True, check=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=200)
    n = ap.parse_args().n
    with tempfile.TemporaryDirectory() as d:
        for label, doc, parallel in (("fan-out", fan_out(n), True), ("chain", chain(n), False)):
            t = time.perf_counter()
            if parallel:
                with ThreadPoolExecutor(max_workers=n) as pool:
                    list(pool.map(lambda _i: _spawn(), range(n)))
            else:
                for _ in range(n):
                    _spawn()
            floor = time.perf_counter() - t
            t = time.perf_counter()
            r = run_workflow([doc], str(doc["metadata"]["name"]),  # type: ignore[index]
                             options=RunOptions(workdir=Path(d) / label))
            took = time.perf_counter() - t
            assert r.phase == "Succeeded", r.message
            print(f"{label:8} n={n}: athena run {took:.2f}s, spawn floor {floor:.2f}s, ratio {took / floor:.2f}x, "
                  f"overhead {(took - floor) / n * 1000:.1f} ms/node")


if __name__ == "__main__":
    main()
