"""Warnings about value sizes the compiler can see coming but cannot measure (DESIGN §5.1.8).

A fan-out's aggregate holds every element's JSON, so it can exceed the 131,071-byte argument limit although each
element fits. Only the run knows the size, so this is a warning (``athena check`` prints it on stderr and still
exits 0), never an error.
"""

from __future__ import annotations

from athena.compile.model import Program, Task, TaskOut, Workflow
from athena.compile.typecheck import ArtifactT
from athena.runtime.protocol import MAX_VALUE_BYTES


def aggregate_arguments(program: Program) -> list[str]:
    """One message per task argument (or hook argument) that passes a fan-out's aggregate as a parameter."""
    out: list[str] = []
    for t in program.templates.values():
        if not isinstance(t, Workflow):
            continue
        for task in t.tasks:
            callee = program.templates.get(task.template)
            artifacts = {p.name for p in callee.params if isinstance(p.type, ArtifactT)} if callee else set()
            args = [(n, a) for n, a in task.args if n not in artifacts]
            args += [(n, a) for h in task.hooks for n, a in h.args]
            for name, arg in args:
                if isinstance(arg, TaskOut) and arg.mode == "aggregate":
                    out.append(_message(t, task, name, arg.task))
    return out


def _message(t: Workflow, task: Task, name: str, fan_out: str) -> str:
    where = f"{task.span}: " if task.span is not None else ""
    return (f"{where}warning: `{t.function}` passes all results of the fan-out `{fan_out}` to `{task.template}` "
            f"(parameter `{name}`) as one argument: it must stay within {MAX_VALUE_BYTES} bytes of JSON on Argo 3.6 "
            "and about 0.5 MiB for all arguments on 3.7+/4.x, though each element fits; return athena.Artifact[T] "
            "from the fanned-out step if the results can be large")
