"""A container's retry strategy: limit, policy, backoff and retry-on exit codes."""

from athena import Retry, container


@container(retry=Retry(limit=3, policy="OnFailure", backoff="30s", factor=2, max_duration="10m", on_exit_codes=[1, 75]))
def flaky(count: int) -> int:
    return count
