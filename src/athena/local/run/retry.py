"""``retryStrategy``: whether and when a failed attempt is tried again.

Facts (reference/argo-semantics.md §12; ``argo@v4.1.2:workflow/controller/operator.go:1030-1210``
``processNodeRetries``), checked in Argo's order after a failed attempt: the workflow's deadline or shutdown
stops retries; ``backoff.maxDuration`` (from the first attempt's start) already passed → "Max duration limit
exceeded"; the wait ``duration × factor^(attempts-1)``, capped by ``cap`` (3.7+), would end after
``maxDuration`` → "Backoff would exceed max duration limit"; the policy (``OnFailure`` by default, ``Always`` when
only an ``expression`` is given) does not cover the attempt's phase → stop with its message; ``limit`` retries
used up (``limit + 1`` attempts; no ``limit`` = unlimited) → "No more retries left"; ``expression`` over
``lastRetry.{exitCode, status, duration, message}`` (all strings) false → "retryStrategy.expression evaluated to
false". Durations are Go durations or bare seconds, multiplied by ``time_scale``.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from athena.argo import facts
from athena.durations import parse_go_duration
from athena.local.argo.evaluate import ExprError, evaluate
from athena.local.argo.lexer import ExprSyntaxError
from athena.local.run.nodes import Node

__all__ = ["Plan", "Verdict"]


@dataclass(frozen=True)
class Verdict:
    stop: bool
    message: str | None = None
    wait: float = 0.0


def _duration(v: Any, what: str) -> float:
    if isinstance(v, int | float) and not isinstance(v, bool):
        return float(v)
    text = str(v).strip()
    if text.isdigit():
        return float(text)
    d = parse_go_duration(text)
    if d is None:
        raise ValueError(f"retryStrategy.backoff.{what} {v!r} is not a duration")
    return d


def _int(v: Any, what: str) -> int | None:
    if v is None:
        return None
    try:
        return int(str(v).strip())
    except ValueError:
        raise ValueError(f"retryStrategy.{what} {v!r} is not an integer") from None


@dataclass(frozen=True)
class Plan:
    limit: int | None
    policy: str
    expression: str
    duration: float | None
    factor: int | None
    max_duration: float | None
    cap: float | None
    scale: float

    @classmethod
    def of(cls, s: Mapping[str, Any], scale: float, version: facts.ArgoVersion) -> Plan:
        b = s.get("backoff") or {}
        expression = str(s.get("expression") or "")
        policy = str(s.get("retryPolicy") or ("Always" if expression else "OnFailure"))
        if policy not in ("Always", "OnFailure", "OnError", "OnTransientError"):
            raise ValueError(f"{policy} is not a valid RetryPolicy")
        cap = b.get("cap")
        if cap is not None and not facts.has_backoff_cap(version):
            cap = None  # 3.6 has no backoff.cap (its schema rejects it; the controller never reads it)
        return cls(
            limit=_int(s.get("limit"), "limit"), policy=policy, expression=expression,
            duration=_duration(b["duration"], "duration") if b.get("duration") is not None else None,
            factor=_int(b.get("factor"), "backoff.factor"),
            max_duration=_duration(b["maxDuration"], "maxDuration") if b.get("maxDuration") else None,
            cap=_duration(cap, "cap") if cap else None, scale=scale,
        )

    def next(self, children: Sequence[Node], first_start: float, cancelled: bool) -> Verdict:
        last = children[-1]
        if cancelled:
            return Verdict(True, "retry exceeded workflow deadline")
        wait = 0.0
        if self.duration is not None or self.max_duration is not None:
            deadline = None
            if self.max_duration is not None:
                deadline = first_start + self.max_duration * self.scale
                if time.time() > deadline:
                    return Verdict(True, "Max duration limit exceeded")
            if self.duration is None:
                raise ValueError("no base duration specified for retryStrategy")
            wait = self.duration
            if self.factor is not None and self.factor > 0:
                wait = self.duration * float(self.factor) ** (len(children) - 1)
            if self.cap is not None:
                wait = min(wait, self.cap)
            wait *= self.scale
            if deadline is not None and (last.finished or time.time()) + wait > deadline:
                return Verdict(True, "Backoff would exceed max duration limit")
        on_failed = self.policy in ("Always", "OnFailure")
        on_error = self.policy in ("Always", "OnError")
        if self.policy == "OnTransientError":
            on_failed = on_error = _transient(last.message or "")
        if (last.phase == "Failed" and not on_failed) or (last.phase == "Error" and not on_error):
            return Verdict(True, last.message)
        if self.limit is not None and len(children) > self.limit:
            return Verdict(True, "No more retries left")
        if self.expression:
            env = {"lastRetry": {
                "exitCode": last.exit_code or "-1", "status": last.phase,
                "duration": f"{int((last.finished or time.time()) - last.started)}",
                "message": last.message or "",
            }}
            try:
                go_on = evaluate(self.expression, env)
            except (ExprError, ExprSyntaxError) as exc:
                return Verdict(True, f"retryStrategy.expression: {exc}")
            if go_on is not True:
                return Verdict(True, "retryStrategy.expression evaluated to false")
        return Verdict(False, None, max(0.0, wait))


def _transient(message: str) -> bool:
    pattern = os.environ.get("TRANSIENT_ERROR_PATTERN")
    if pattern and re.search(pattern, message):
        return True
    return any(s in message for s in ("connection reset by peer", "i/o timeout", "TLS handshake timeout",
                                      "net/http: request canceled", "etcdserver: leader changed"))
