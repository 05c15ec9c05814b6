"""Pieces of the pod executor (athena.local.pod) that need no container runtime."""

from __future__ import annotations

from pathlib import Path

import pytest

from athena.errors import AthenaError
from athena.local.argo.substitute import substitute
from athena.local.pod import detect_runtime, emulate, k8s_expand


@pytest.mark.parametrize(("text", "want"), [
    ("plain", "plain"),
    ("$$", "$"),
    ("$$$", "$$"),
    ("a$$(HOME)b", "a$(HOME)b"),  # escaped reference
    ("$(HOME)", "/athena/home"),
    ("$(NOPE)", "$(NOPE)"),  # undefined: unchanged
    ("$(uname -m)", "$(uname -m)"),
    ("$(", "$("),  # incomplete
    ("$(HOME", "$(HOME"),
    ("$HOME $a $", "$HOME $a $"),
    ("$()", "$()"),
])
def test_kubelet_expansion(text: str, want: str) -> None:
    assert k8s_expand(text, {"HOME": "/athena/home"}) == want


def test_simple_substitution_leaves_unknown_tags() -> None:
    params = {"inputs.parameters.x": '"v"', "pod.name": "p-1"}
    got = substitute({"a": ["{{inputs.parameters.x}}", "{{ pod.name }}-{{tasks.t.outputs.result}}"],
                      "b": "{{=fromJSON(inputs.parameters.x)}}", "c": 3}, params)
    assert got == {"a": ['"v"', "p-1-{{tasks.t.outputs.result}}"], "b": "{{=fromJSON(inputs.parameters.x)}}",
                   "c": 3}


def test_no_runtime_is_an_actionable_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(AthenaError, match=r"no container runtime found.*setup-podman"):
        detect_runtime()
    with pytest.raises(AthenaError, match=r"`docker` is not installed"):
        detect_runtime("docker")
    with pytest.raises(AthenaError, match="unknown container runtime"):
        detect_runtime("lxc")


def test_bad_bundle_and_template_fail_before_any_container(tmp_path: Path) -> None:
    tmpl = {"name": "t", "inputs": {"artifacts": [{"name": "athena-bundle", "path": "/athena/bin"}]},
            "container": {"image": "x", "command": ["/bin/sh", "-c"], "args": ["true"]}}
    junk = tmp_path / "b.tar.gz"
    junk.write_bytes(b"\x1f\x8b\x08 broken")
    with pytest.raises(AthenaError, match="not a gzip-compressed tarball"):
        emulate(tmpl, bundle=junk, runtime="podman")
    with pytest.raises(AthenaError, match="not a container template"):
        emulate({"name": "d", "dag": {}}, bundle=junk)
    with pytest.raises(AthenaError, match="no athena-bundle input artifact"):
        emulate({**tmpl, "inputs": {}}, bundle=junk)
