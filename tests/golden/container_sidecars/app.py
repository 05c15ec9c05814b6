"""A container with a sidecar database it reaches on localhost (Argo's `sidecars`)."""

from athena import Resources, SecretValue, Sidecar, container


@container(sidecars=[Sidecar("db", image="postgres:16", env={"POSTGRES_PASSWORD": SecretValue("pg", "password")},
                             ports=[5432], readiness={"tcpSocket": {"port": 5432}, "periodSeconds": 2},
                             resources=Resources(cpu="250m", memory="256Mi")),
                     Sidecar("nginx", image="nginx:1.27", command=["nginx"], args=["-g", "daemon off;"])])
def query(sql: str) -> int:
    return len(sql)
