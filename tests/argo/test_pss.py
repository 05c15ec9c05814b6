"""`athena check --pss`: what a Pod Security Standard namespace would reject in emitted container templates."""

from __future__ import annotations

import copy
from typing import Any

from athena.argo.pss import check_documents

POD = {"runAsNonRoot": True, "runAsUser": 8737, "runAsGroup": 8737, "seccompProfile": {"type": "RuntimeDefault"}}
MAIN = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}


def doc(**changes: Any) -> dict[str, Any]:
    tmpl: dict[str, Any] = {"name": "p-t", "container": {"image": "busybox", "securityContext": copy.deepcopy(MAIN)},
                            "volumes": [{"name": "athena-work", "emptyDir": {}}],
                            "securityContext": copy.deepcopy(POD)}
    for k, v in changes.items():
        if v is None:
            tmpl.pop(k, None)
        else:
            tmpl[k] = v
    return {"kind": "WorkflowTemplate", "metadata": {"name": "p-t"}, "spec": {"templates": [tmpl]}}


def paths(d: dict[str, Any], level: Any) -> list[str]:
    return [f.path for f in check_documents([d], level)]


def test_athena_defaults_pass_both_levels() -> None:
    assert paths(doc(), "baseline") == [] and paths(doc(), "restricted") == []
    dag = {"kind": "WorkflowTemplate", "metadata": {"name": "w"}, "spec": {"templates": [{"name": "w", "dag": {}}]}}
    assert check_documents([dag, {"kind": "Workflow"}], "restricted") == []


def test_host_path_is_rejected_at_both_levels() -> None:
    d = doc(volumes=[{"name": "athena-work", "emptyDir": {}}, {"name": "h", "hostPath": {"path": "/var/x"}}])
    for level in ("baseline", "restricted"):
        found = check_documents([d], level)  # type: ignore[arg-type]
        assert [f.path for f in found] == ["volumes[1].hostPath"]
        assert "'/var/x'" in found[0].message and "athena.host()" in found[0].message


def test_missing_contexts_only_matter_to_restricted() -> None:
    bare = doc(securityContext=None, container={"image": "busybox"})
    assert paths(bare, "baseline") == []
    assert paths(bare, "restricted") == [
        "container.securityContext.allowPrivilegeEscalation", "container.securityContext.capabilities.drop",
        "securityContext.runAsNonRoot", "securityContext.seccompProfile"]
    root = doc(securityContext={**POD, "runAsUser": 0})
    assert paths(root, "restricted") == ["securityContext.runAsUser"]


def test_baseline_rules() -> None:
    c = {"image": "b", "ports": [{"containerPort": 80, "hostPort": 80}],
         "securityContext": {**MAIN, "privileged": True, "capabilities": {"drop": ["ALL"], "add": ["SYS_ADMIN"]}}}
    d = doc(container=c, hostNetwork=True, securityContext={**POD, "seccompProfile": {"type": "Unconfined"}})
    assert paths(d, "baseline") == ["hostNetwork", "container.securityContext.privileged", "container.ports",
                                    "container.securityContext.capabilities.add", "securityContext.seccompProfile"]
    chown = doc(container={"image": "b", "securityContext": {**MAIN, "capabilities": {"drop": ["ALL"],
                                                                                      "add": ["CHOWN"]}}})
    assert paths(chown, "baseline") == []
    assert paths(chown, "restricted") == ["container.securityContext.capabilities.add"]
