"""Pod-side metrics: push one step's duration and outcome to a Prometheus Pushgateway (DESIGN §4 "Metrics").

Imported by ``runtime/main.py`` only when ``ATHENA_PUSHGATEWAY`` is set, so a pod without metrics pays
nothing. Standard library only. A push never fails the step: any problem is one warning line on stderr.

Each pod pushes its own group, ``/metrics/job/athena/template/<t>/workflow/<w>/run_id/<uid>/pod/<pod>``,
with ``PUT`` (the group holds exactly this pod's step). The pod name is unique per fan-out child and per
retry, so no step overwrites another's series; sum over ``pod`` (or ``run_id``) in PromQL to aggregate.
"""

from __future__ import annotations

import os
import sys

from athena.runtime import protocol

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~")


def outcome(exit_code: int) -> str:
    if exit_code == 0:
        return protocol.OUTCOME_SUCCEEDED
    if exit_code == protocol.EXIT_PROTOCOL_ERROR:
        return protocol.OUTCOME_ERROR
    return protocol.OUTCOME_FAILED


def grouping(env: Mapping[str, str]) -> list[tuple[str, str]]:
    """The grouping labels of this pod's push, in URL order."""
    import socket

    values = {
        "template": env.get(protocol.ENV_TEMPLATE) or "unknown",
        "workflow": env.get(protocol.ENV_WORKFLOW) or "unknown",
        "run_id": env.get(protocol.ENV_RUN_ID) or "unknown",
        "pod": env.get(protocol.ENV_POD) or socket.gethostname() or "unknown",
    }
    return [(name, values[name]) for name in protocol.METRICS_GROUPING]


def _segment(name: str, value: str) -> str:
    """``name/value`` of a Pushgateway URL; a value that is not plainly URL-safe (a ``/``, a space, ``.`` or
    ``..`` that a proxy would resolve, empty) uses the Pushgateway's ``@base64`` form (URL-safe alphabet)."""
    if value and value not in (".", "..") and set(value) <= _SAFE:
        return f"{name}/{value}"
    import base64

    encoded = base64.urlsafe_b64encode(value.encode("utf-8")).decode("ascii")
    return f"{name}@base64/{encoded or '='}"  # an empty value is written `=`


def push_path(labels: list[tuple[str, str]]) -> str:
    return "/metrics/" + "/".join(_segment(n, v) for n, v in [("job", protocol.METRICS_JOB), *labels])


def _number(x: float) -> str:
    return repr(float(x)) if x != int(x) else str(int(x))


def exposition(exit_code: int, seconds: float, finished: float) -> str:
    """This step's metrics in the Prometheus text format (version 0.0.4); the grouping labels are added by the
    Pushgateway, so the series carry only their own."""
    d, r, f = protocol.METRIC_STEP_DURATION, protocol.METRIC_STEP_RUNS, protocol.METRIC_STEP_FINISHED
    lines = [f"# HELP {d} Wall time of one athena step, from the pod runtime's start to its exit.",
             f"# TYPE {d} histogram"]
    for bound in protocol.METRIC_STEP_BUCKETS:
        lines.append(f'{d}_bucket{{le="{_number(bound)}"}} {1 if seconds <= bound else 0}')
    lines += [f'{d}_bucket{{le="+Inf"}} 1', f"{d}_sum {seconds!r}", f"{d}_count 1",
              f"# HELP {r} Runs of one athena step by outcome (succeeded, failed, error).",
              f"# TYPE {r} counter"]
    this = outcome(exit_code)
    for name in (protocol.OUTCOME_SUCCEEDED, protocol.OUTCOME_FAILED, protocol.OUTCOME_ERROR):
        lines.append(f'{r}{{outcome="{name}"}} {1 if name == this else 0}')
    lines += [f"# HELP {f} Unix time an athena step finished.", f"# TYPE {f} gauge", f"{f} {finished!r}"]
    return "\n".join(lines) + "\n"


def push_step(exit_code: int, seconds: float, env: Mapping[str, str] | None = None) -> None:
    """Push one step's metrics; on any failure write one warning line to stderr and return."""
    env = os.environ if env is None else env
    url = env.get(protocol.ENV_PUSHGATEWAY, "")
    try:
        import time

        _put(url, push_path(grouping(env)), exposition(exit_code, seconds, time.time()))
    except Exception as exc:  # a metrics problem must never change the step's outcome
        reason = " ".join(str(exc).split()) or type(exc).__name__
        sys.stderr.write(f"athena: warning: metrics not pushed to {protocol.ENV_PUSHGATEWAY}={_shown(url)}: "
                         f"{reason}\n")
        sys.stderr.flush()


def _shown(url: str) -> str:
    """The URL without credentials someone may have put in it: never print a password."""
    head, sep, tail = url.partition("://")
    netloc, slash, path = tail.partition("/")
    return f"{head}{sep}{netloc.rpartition('@')[2]}{slash}{path}" if sep else url.rpartition("@")[2]


def _put(url: str, path: str, body: str) -> None:
    import http.client
    import urllib.parse

    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username is not None:
        raise ValueError("expected http://host:port or https://host:port (no credentials)")
    conn_type = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    conn = conn_type(parts.hostname, parts.port, timeout=protocol.PUSH_TIMEOUT_SECONDS)
    try:
        conn.request("PUT", parts.path.rstrip("/") + path, body=body.encode("utf-8"),
                     headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"})
        response = conn.getresponse()
        detail = response.read(300).decode("utf-8", "replace")
        if not 200 <= response.status < 300:
            raise OSError(f"HTTP {response.status} {response.reason}: {detail}")
    finally:
        conn.close()
