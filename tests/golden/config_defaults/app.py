"""Configuration defaults: a service account, image pull secrets, the default image, runAsUser, an S3 block."""

from athena import container


@container
def work(count: int) -> int:
    return count
