"""A container's timeout (Argo `timeout`) and pod running timeout (`activeDeadlineSeconds`)."""

from athena import container


@container(timeout="1h30m", pod_running_timeout="2d")
def slow(count: int) -> int:
    return count
