"""``athena.wf``: facts about the running workflow (Argo's ``{{workflow.*}}``).

In a workflow body ``athena.wf.name`` is a value like any other: the compiler reads the attribute and emits
``{{workflow.name}}`` (DESIGN §1.5). ``status`` and ``failures`` exist only while the workflow's exit handler
(``on_exit_if_root=``) runs. Outside a body the attributes give the real values where athena knows them: in
an in-process run (a generated name and uid, the start time, the duration so far, the run's status in the exit
handler) and in a pod that has ``ATHENA_WORKFLOW`` / ``ATHENA_RUN_ID`` set.

Pod-safe: this module imports nothing but the standard library's ``os`` and ``contextvars`` at load time; the
types below are built on first use (a pod never needs them).
"""

from __future__ import annotations

import os
from contextvars import ContextVar

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: a pod does not import `typing` for this module
if TYPE_CHECKING:
    import datetime
    from typing import Any, Literal, TypedDict

    class Failure(TypedDict):
        """One failed node in ``athena.wf.failures`` (Argo's ``{{workflow.failures}}`` entry)."""

        displayName: str
        message: str
        templateName: str
        phase: str
        podName: str
        finishedAt: str

    name: str
    uid: str
    scheduled_time: datetime.datetime
    duration: float
    status: Literal["Succeeded", "Failed", "Error"]
    failures: list[Failure]

#: The facts of an in-process run (set by ``athena.local.inprocess`` around each container call), by name.
CURRENT: ContextVar[dict[str, Any] | None] = ContextVar("athena_wf_current", default=None)

_ENV = {"name": "ATHENA_WORKFLOW", "uid": "ATHENA_RUN_ID"}
FACTS = ("name", "uid", "scheduled_time", "duration", "status", "failures")


def _types() -> dict[str, Any]:
    import datetime
    from typing import Literal, TypedDict

    class Failure(TypedDict):
        displayName: str
        message: str
        templateName: str
        phase: str
        podName: str
        finishedAt: str

    Failure.__module__ = __name__
    return {"name": str, "uid": str, "scheduled_time": datetime.datetime, "duration": float,
            "status": Literal["Succeeded", "Failed", "Error"], "failures": list[Failure], "Failure": Failure}


_TYPES: dict[str, Any] = {}


def __getattr__(attr: str) -> Any:
    if attr == "FACT_TYPES":  # the annotation of each fact, for the compiler
        if not _TYPES:
            _TYPES.update(_types())
        return {k: v for k, v in _TYPES.items() if k in FACTS}
    if attr == "Failure":
        if not _TYPES:
            _TYPES.update(_types())
        return _TYPES["Failure"]
    if attr not in FACTS:
        raise AttributeError(f"module 'athena.wf' has no attribute {attr!r}")
    current = CURRENT.get()
    if current is not None:
        if attr in current:
            value = current[attr]
            return value() if callable(value) else value
        from athena.errors import AthenaError

        raise AthenaError(f"athena.wf.{attr} is set only while the workflow's exit handler (on_exit_if_root=) runs")
    env = _ENV.get(attr)
    if env is not None and os.environ.get(env):
        return os.environ[env]
    from athena.errors import AthenaError

    raise AthenaError(f"athena.wf.{attr} is not known here: in a workflow body it is a value; in a container, pass "
                      f"it as an argument (`step(athena.wf.{attr})`)")
