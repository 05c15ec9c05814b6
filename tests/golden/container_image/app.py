"""A container's own image and image pull secrets (the pull secrets land on the root's spec)."""

from athena import container


@container(image="ghcr.io/acme/app:1.0", image_pull_secrets=["regcred", "other"])
def fetch(url: str) -> str:
    return url
