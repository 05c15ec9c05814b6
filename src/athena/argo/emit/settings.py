"""What the emitter needs from the configuration, resolved once per emit."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from athena.argo.yaml import frozen
from athena.config import Config
from athena.runtime import protocol as proto


@dataclass(frozen=True)
class EmitSettings:
    targets: tuple[str, ...]
    default_image: str
    service_account: str | None
    namespace: str | None
    argo_line: str
    image_pull_secrets: tuple[str, ...]
    run_as_user: int | None
    name_tag: str
    s3: dict[str, Any]  # the S3 block of every artifact, without its key
    bundle_key: str
    digest: str
    pushgateway: str | None = None  # [metrics].pushgateway: every container pushes its step's metrics there

    # Blocks every container template repeats: built once and shared, so the YAML writer renders them once.
    @functools.cached_property
    def bundle_artifact(self) -> dict[str, Any]:
        block: dict[str, Any] = frozen({"name": proto.BUNDLE_ARTIFACT, "path": proto.BUNDLE_DIR,
                                        "s3": {**self.s3, "key": self.bundle_key}})
        return block

    @functools.cached_property
    def pod_security_context(self) -> dict[str, Any]:
        return pod_security_defaults(self.run_as_user)

    @classmethod
    def from_config(cls, config: Config, *, digest: str, namespace: str | None = None,
                    modules: Sequence[ModuleType] = ()) -> EmitSettings:
        from athena.bundle.identity import bundle_key, project_identity

        project, version = project_identity(config, modules)
        key = bundle_key(config, digest=digest, project=project, version=version)
        try:
            tag = config.project.name_tag.format(version=version) if config.project.name_tag else ""
        except (KeyError, IndexError, ValueError):
            from athena.errors import ConfigError

            raise ConfigError(f"[project].name_tag = {config.project.name_tag!r}: the only placeholder is "
                              "{version}") from None
        return cls(
            targets=tuple(config.bootstrap.targets),
            default_image=config.bootstrap.default_image,
            service_account=config.defaults.service_account or None,
            namespace=namespace or config.defaults.namespace,
            argo_line=config.defaults.argo_line,
            image_pull_secrets=tuple(config.defaults.image_pull_secrets),
            run_as_user=config.defaults.run_as_user,
            name_tag=tag,
            s3=_s3_block(config),
            bundle_key=key,
            digest=digest,
            pushgateway=config.metrics.pushgateway,
        )


def _s3_block(config: Config) -> dict[str, Any]:
    s3 = config.artifact_repository.s3
    if s3 is None or s3.repository not in (None, "inline") or not s3.bucket:
        return {}  # key-only: Argo's configured artifact repository supplies the rest
    out: dict[str, Any] = {}
    if s3.endpoint:
        out["endpoint"] = s3.endpoint
    out["bucket"] = s3.bucket
    out["region"] = s3.region
    if s3.insecure:
        out["insecure"] = True
    if s3.use_sdk_creds:
        out["useSDKCreds"] = True
    if s3.access_key_secret:
        out["accessKeySecret"] = {"name": s3.access_key_secret.name, "key": s3.access_key_secret.key}
    if s3.secret_key_secret:
        out["secretKeySecret"] = {"name": s3.secret_key_secret.name, "key": s3.secret_key_secret.key}
    return out


@functools.cache
def pod_security_defaults(run_as_user: int | None) -> dict[str, Any]:
    """DESIGN §5.3's pod securityContext for one UID (None: no identity, the image's user). Cached and frozen:
    every template with one UID shares the block, so the YAML writer renders it once."""
    sc: dict[str, Any] = {}
    if run_as_user is not None:
        sc = {"runAsNonRoot": True, "runAsUser": run_as_user, "runAsGroup": run_as_user}
    sc["seccompProfile"] = {"type": "RuntimeDefault"}
    block: dict[str, Any] = frozen(sc)
    return block
