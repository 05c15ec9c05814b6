"""Security contexts merged over athena's defaults: user keys win, maps merge, None deletes a default."""

from athena import container


@container(
    security_context={"readOnlyRootFilesystem": True, "capabilities": {"add": ["NET_BIND_SERVICE"]}},
    pod_security_context={"fsGroup": 8737, "fsGroupChangePolicy": "OnRootMismatch", "supplementalGroups": [1000]},
)
def serve(port: int) -> int:
    return port
