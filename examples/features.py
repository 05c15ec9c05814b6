"""Every feature of the workflow body and of the decorators, in one module (emitted as a golden file)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Literal, NamedTuple, TypedDict

import athena
from athena import TTL, Outcome, Retry, container, fragment, workflow

CACHE_KEY = "shared/cache.json"


class Mode(enum.Enum):
    FAST = "fast"
    SLOW = "slow"


@dataclass
class Profile:
    disk: str
    cores: int


@dataclass
class Order:
    id: str
    qty: int
    profile: Profile


class Totals(TypedDict):
    count: int
    label: str


class Pair(NamedTuple):
    left: str
    right: int


# ------------------------------------------------------------------------------ containers


@container(image="ghcr.io/acme/app:{tag}", node_selector={"disktype": "{profile.disk}"})
def load(tag: str, profile: Profile) -> list[Order]:
    """Load the orders to process."""
    return [Order(id="a", qty=1, profile=profile)]


@container(retry=Retry(limit=3, backoff="30s", factor=2, max_duration="10m", on_exit_codes=[1]),
           timeout="1h30m", pod_running_timeout="2d", labels={"team": "data"}, annotations={"owner": "ops"})
def price(order: Order, mode: Mode = Mode.FAST) -> float:
    return float(order.qty)


@container
def total(prices: list[float], label: Literal["daily", "weekly"] = "daily") -> Totals:
    return Totals(count=len(prices), label=label)


@container
def split(order: Order) -> Pair:
    return Pair(order.id, order.qty)


@container
def is_big(value: int) -> bool:
    return value > 100


@container
def report(text: str, count: int) -> str:
    return f"{text}:{count}"


@container(service_account="uploader", image_pull_secrets=["regcred"])
def upload(summary: str) -> None:
    _touch_cache()
    athena.save_artifact("reports/{workflow_uid}/summary.txt", summary)


@fragment
def _touch_cache() -> None:
    athena.host("/var/cache/acme")
    athena.load_artifact(CACHE_KEY, optional=True)


@container
def flaky(x: int) -> int:
    if x < 0:  # a step that can fail: what `continue_on` and `Outcome` (recover, tolerant) are about
        raise ValueError(f"flaky: {x} is negative")
    return x


@container
def recover(result: Outcome[int]) -> str:
    return "ok" if result.ok else "recovered"


@container
def alarm() -> None:
    print("alarm")


@container
def cleanup() -> None:
    print("cleanup")


@container
def record(what: str, value: int) -> None:
    print(what, value)


@container
def heartbeat() -> None:
    print("still running")


@container
def left_path(value: int) -> str:
    return f"left {value}"


@container
def right_path(value: int) -> str:
    return f"right {value}"


# ------------------------------------------------------------------------------- workflows


@workflow(parallelism=4, node_selector={"pool": "batch"})
def orders(tag: str, profile: Profile, mode: Mode = Mode.FAST) -> Totals:
    """Price every order and total them."""
    batch = load(tag, profile)
    prices = [price(o, mode=mode) for o in batch]
    return total(prices, label="weekly")


@workflow(
    on_exit_if_root=cleanup,
    ttl_if_root=TTL(after_completion="1d", after_failure=3600),
    pod_gc_if_root="OnWorkflowSuccess",
    active_deadline_if_root="2h",
    parallelism_if_root=10,
    labels={"app": "acme"},
)
def everything(tag: str, profile: Profile, threshold: int = 10, names: list[str] = ["x", "y"]) -> str:
    totals = orders(tag, profile)
    pairs = [split(o) for o in load("v2", profile)]
    first = report(totals["label"], totals["count"])
    result = flaky.options(continue_on=["failed", "error"])(threshold)
    recover(result)
    lengths = [flaky(n) for n in [1, 2, 3]]
    picked = left_path(threshold) if threshold > 5 and tag != "dev" else right_path(threshold)
    if is_big(threshold):
        upload(picked)
    elif threshold in (1, 2, 3):
        record("small", threshold)
    else:
        record("other", totals["count"])
    for_each = [report(n, threshold) for n in names]
    report.options(on_failure=[alarm, cleanup], on_exit=lambda: record("done", threshold))(first, 1)
    report.options(hooks={"{self}.status == 'Running'": heartbeat}, on_success=alarm)(first, 2)
    record("pairs", threshold)
    record("lengths", len_of(lengths))
    record("names", len_of2(for_each))
    record("pairs", count_pairs(pairs))
    return picked


@container
def len_of(xs: list[int]) -> int:
    return len(xs)


@container
def len_of2(xs: list[str]) -> int:
    return len(xs)


@container
def count_pairs(ps: list[Pair]) -> int:
    return len(ps)


@workflow(steps=True)
def in_steps(count: int) -> str:
    a = left_path(count)
    b = report(a, count)
    return b


@container
def survivors(results: list[Outcome[int]]) -> int:
    return sum(1 for r in results if r.ok)


@workflow
def tolerant(values: list[int]) -> int:
    """A fan-out that goes on when some elements fail: one Outcome per element, in order."""
    attempts = [flaky.options(continue_on=["failed"])(v) for v in values]
    return survivors(attempts)
