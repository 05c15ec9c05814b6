"""A container's environment: plain values, Secret and ConfigMap keys, whole Secrets/ConfigMaps, secret files."""

from athena import ConfigMapEnv, ConfigMapValue, SecretEnv, SecretFile, SecretValue, container


@container(
    env={"LOG_LEVEL": "debug", "DB_PASSWORD": SecretValue("db", "password"),
         "REGION": ConfigMapValue("cluster-info", "region")},
    env_from=[SecretEnv("api-keys", prefix="API_"), ConfigMapEnv("settings", optional=False)],
    secret_files=[SecretFile("tls", {"tls.crt": "/etc/ssl/cert.pem", "tls.key": "/etc/ssl/key.pem"})],
    image_pull_policy="IfNotPresent",
)
def fetch(url: str) -> str:
    return url
