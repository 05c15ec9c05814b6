"""A container's service account."""

from athena import container


@container(service_account="uploader")
def upload(path: str) -> None:
    print(path)
