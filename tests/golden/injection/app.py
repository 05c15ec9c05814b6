"""Parameter injection: a container's arguments (and their fields) in its image, node selector, account."""

from dataclasses import dataclass

from athena import container


@dataclass
class Profile:
    disk: str
    cores: int


@container(image="ghcr.io/acme/app:{tag}", node_selector={"disktype": "{profile.disk}"},
           service_account="{account}")
def run(tag: str, profile: Profile, account: str = "default") -> str:
    return tag
