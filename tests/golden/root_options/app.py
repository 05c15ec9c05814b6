"""Options effective only on the submitted root: ttl, pod GC, on_exit, active deadline, parallelism."""

from athena import TTL, container, workflow


@container
def work(count: int) -> int:
    return count


@container
def on_done() -> None:
    print("finished")


@workflow(
    parallelism_if_root=10,
    on_exit_if_root=on_done,
    ttl_if_root=TTL(after_completion="1d", after_success=60, after_failure="7d"),
    pod_gc_if_root="OnWorkflowSuccess",
    active_deadline_if_root="6h",
)
def rooted(count: int) -> int:
    return work(count)
