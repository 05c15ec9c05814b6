"""run_as_user=: a UID over [defaults].run_as_user, None for the image's own user; pod_security_context= wins."""

from athena import container


@container(run_as_user=1000)
def as_uid(x: int) -> int:
    return x


@container(run_as_user=None)
def as_image_user(x: int) -> int:
    return x


@container(run_as_user=1000, pod_security_context={"runAsGroup": 2000, "fsGroup": 2000})
def uid_and_group(x: int) -> int:
    return x
