"""tmp_volume=False: no emptyDir over /tmp, for images that ship files there."""

from athena import container


@container(tmp_volume=False)
def uses_image_tmp(count: int) -> int:
    return count
