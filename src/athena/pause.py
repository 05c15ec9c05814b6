"""``athena.suspend()`` and ``athena.approval()`` (issue 13): pausing a workflow, and asking a person.

Both are read from a workflow body by the compiler, never called there: ``athena.suspend("1h")`` becomes a
task running a ``suspend`` template, ``ok = athena.approval("deploy?", default=False)`` one whose ``return``
output is ``valueFrom.supplied`` (the person answers with ``argo node set``/the UI, then resumes).

In-process runs (calling a ``@workflow``) do not wait at a suspend, and take an approval's answer from
:func:`approvals` (its ``default`` without one). Pod-safe: imports only the standard library's contextvars.
"""

from __future__ import annotations

import contextlib
from contextvars import ContextVar

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping

_ANSWERS: ContextVar[Mapping[str, bool] | Callable[[str], bool] | None] = ContextVar("athena_approvals",
                                                                                    default=None)


def suspend(duration: int | str | None = None) -> None:
    """In a workflow body: pause here, for ``duration`` (seconds, or ``"90s"``, ``"1h"``, ``"2d"``) or until
    resumed (``argo resume``). Every task written before it finishes first; every task after it waits."""
    raise RuntimeError("athena.suspend() is a statement of a @workflow body; calling the workflow runs it")


def approval(prompt: str, *, default: bool = False) -> bool:
    """In a workflow body: wait for a person to answer ``prompt`` with true or false (``argo node set
    <wf> --node-field-selector displayName=<task> --output-parameter return=true``, then ``argo resume``);
    resumed without an answer, it is ``default``."""
    raise RuntimeError("athena.approval() is read from a @workflow body; calling the workflow runs it")


@contextlib.contextmanager
def approvals(answers: Mapping[str, bool] | Callable[[str], bool]) -> Iterator[None]:
    """Answer approvals of in-process runs inside the block: by prompt (a prompt not in the mapping takes the
    approval's default), or by a function of the prompt."""
    token = _ANSWERS.set(answers)
    try:
        yield
    finally:
        _ANSWERS.reset(token)


def answer(prompt: str, default: bool) -> bool:
    """The in-process answer to ``prompt``: from :func:`approvals`, else ``default``."""
    given = _ANSWERS.get()
    if given is None:
        return default
    if callable(given):
        return bool(given(prompt))
    return bool(given.get(prompt, default))
