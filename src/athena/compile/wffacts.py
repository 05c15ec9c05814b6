"""``athena.wf.status`` / ``failures`` only in an exit handler (issue 13, DESIGN §1.5).

Argo sets ``{{workflow.status}}`` and ``{{workflow.failures}}`` only while the workflow's exit handler runs
(reference/argo-semantics.md §11); at task level the workflow is always Running and the tag is never resolved.
So a workflow whose body reads them may be named by ``on_exit_if_root=`` and nothing else: every task or task
hook that calls it is an error at that call.
"""

from __future__ import annotations

from athena import codes
from athena.compile.model import Program, Workflow
from athena.errors import CompileError, Diagnostic


def check_exit_facts(program: Program) -> None:
    readers = {n for n, t in program.templates.items() if isinstance(t, Workflow) and t.exit_facts is not None}
    if not readers:
        return
    diags: list[Diagnostic] = []
    for t in program.templates.values():
        if not isinstance(t, Workflow):
            continue
        for task in t.tasks:
            used = [task.template] + [h.template for h in task.hooks]
            for name in used:
                if name not in readers:
                    continue
                reader = program.templates[name]
                assert isinstance(reader, Workflow)
                how = "as a task hook" if name != task.template else "as a task"
                diags.append(codes.diag(
                    codes.WF_FACT_CONTEXT,
                    f"`{reader.function}` reads athena.wf.status/failures (at line "
                    f"{reader.exit_facts.line if reader.exit_facts else '?'}), which Argo sets only while the "
                    f"workflow's exit handler runs, but it is called here {how}", task.span or t.span))
    if diags:
        raise CompileError(diags)
