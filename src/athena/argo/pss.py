"""What a namespace enforcing a Kubernetes Pod Security Standard would reject in the emitted templates.

``athena check --pss baseline|restricted``. Argo builds each pod from a container template: the template's
``securityContext`` is the pod's, ``container.securityContext`` the main container's, ``volumes`` the pod's.
Argo adds an init and a wait container whose *container-level* context comes only from the controller's
``executor.securityContext`` (workflow-controller-configmap): the templates cannot set it, so it is a note, not
a finding. Pod-level fields (``runAsNonRoot``, ``seccompProfile``) cover those containers as well.

The rules are the Pod Security Standards' (kubernetes.io/docs/concepts/security/pod-security-standards/),
checked on what a template states; a field set elsewhere (a mutating webhook, ``podSpecPatch``) is not seen.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

Level = Literal["baseline", "restricted"]
LEVELS: tuple[Level, ...] = ("baseline", "restricted")

#: Capabilities baseline allows a container to add.
BASELINE_CAPS = frozenset({"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
                           "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"})
#: Volume types restricted allows.
RESTRICTED_VOLUMES = frozenset({"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim",
                                "projected", "secret"})

#: What the controller must give Argo's own containers for "restricted" (the note every restricted check prints).
EXECUTOR_NOTE = (
    "Argo's init and wait containers get a container-level securityContext only from the controller's "
    "`executor.securityContext` (workflow-controller-configmap); a \"restricted\" namespace rejects every pod "
    "unless it sets allowPrivilegeEscalation: false and capabilities: {drop: [ALL]} (see the guide, "
    "\"Restricted namespaces\")")


@dataclass(frozen=True)
class Finding:
    document: str  # the WorkflowTemplate's metadata.name
    template: str
    path: str  # where in the template, e.g. ``volumes[2].hostPath``
    message: str

    def __str__(self) -> str:
        where = self.document if self.template == self.document else f"{self.document}: {self.template}"
        return f"WorkflowTemplate/{where}: {self.path}: {self.message}"


def check_documents(docs: Iterable[Mapping[str, Any]], level: Level) -> list[Finding]:
    """Every finding for the container templates of ``docs`` at ``level`` (restricted includes baseline)."""
    out: list[Finding] = []
    for doc in docs:
        if doc.get("kind") != "WorkflowTemplate":
            continue
        name = str(doc.get("metadata", {}).get("name", "?"))
        for tmpl in doc.get("spec", {}).get("templates", []):
            if "container" in tmpl:
                out += [Finding(name, str(tmpl.get("name", "?")), p, m) for p, m in _template(tmpl, level)]
    return out


def _template(tmpl: Mapping[str, Any], level: Level) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    pod = tmpl.get("securityContext") or {}
    c = tmpl["container"]
    csc = c.get("securityContext") or {}
    for i, v in enumerate(tmpl.get("volumes") or []):
        kinds = [k for k in v if k != "name"]
        if "hostPath" in kinds:
            found.append((f"volumes[{i}].hostPath", f"hostPath volume {v['hostPath'].get('path')!r} (from "
                          "athena.host()): forbidden by baseline and restricted"))
        elif level == "restricted" and any(k not in RESTRICTED_VOLUMES for k in kinds):
            found.append((f"volumes[{i}]", f"volume type {', '.join(kinds)} is not allowed by restricted"))
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        if tmpl.get(key):
            found.append((key, f"{key}: true is forbidden by baseline"))
    if csc.get("privileged"):
        found.append(("container.securityContext.privileged", "privileged containers are forbidden by baseline"))
    if any(p.get("hostPort") for p in c.get("ports") or []):
        found.append(("container.ports", "hostPort is forbidden by baseline"))
    caps = csc.get("capabilities") or {}
    allowed_add = BASELINE_CAPS if level == "baseline" else frozenset({"NET_BIND_SERVICE"})
    extra = [cap for cap in caps.get("add") or [] if cap not in allowed_add]
    if extra:
        found.append(("container.securityContext.capabilities.add", f"adds {', '.join(extra)}: not allowed by "
                      f"{level}"))
    seccomp = [sc.get("seccompProfile", {}).get("type") for sc in (pod, csc)]
    if "Unconfined" in seccomp:
        found.append(("securityContext.seccompProfile", "seccompProfile Unconfined is forbidden by baseline"))
    if level == "baseline":
        return found
    if csc.get("allowPrivilegeEscalation") is not False:
        found.append(("container.securityContext.allowPrivilegeEscalation",
                      "restricted requires allowPrivilegeEscalation: false"))
    if "ALL" not in (caps.get("drop") or []):
        found.append(("container.securityContext.capabilities.drop", "restricted requires dropping ALL"))
    if not (csc.get("runAsNonRoot") or (pod.get("runAsNonRoot") and csc.get("runAsNonRoot") is not False)):
        found.append(("securityContext.runAsNonRoot", "restricted requires runAsNonRoot: true (set "
                      "[defaults].run_as_user, and drop run_as_user=None from the container unless its image "
                      "must run as root)"))
    if 0 in (pod.get("runAsUser"), csc.get("runAsUser")):
        found.append(("securityContext.runAsUser", "restricted forbids runAsUser: 0"))
    if not any(t in ("RuntimeDefault", "Localhost") for t in seccomp):
        found.append(("securityContext.seccompProfile", "restricted requires seccompProfile RuntimeDefault or "
                      "Localhost"))
    return found
