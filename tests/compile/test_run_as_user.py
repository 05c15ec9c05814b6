"""run_as_user= on @container: a UID over [defaults].run_as_user, or None (given explicitly) to run as the image's
user; its validation, the emitted pod securityContext, its precedence below pod_security_context=, and what
`athena check --pss restricted` says about a container that runs as the image's user."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from athena import api, codes, container
from athena.argo.pss import check_documents
from athena.compile.options import OPTIONS, OptionInvalid, validate_options
from athena.config import Config, Defaults
from athena.errors import CompileError

SECCOMP = {"seccompProfile": {"type": "RuntimeDefault"}}

APP = '''
from athena import container


@container
def plain(x: int) -> int:
    return x


@container(run_as_user=1000)
def as_uid(x: int) -> int:
    return x


@container(run_as_user=None)
def as_image_user(x: int) -> int:
    return x


@container(run_as_user=1000, pod_security_context={"runAsGroup": 2000, "runAsUser": 3000})
def pod_context_wins(x: int) -> int:
    return x


@container(run_as_user=None, pod_security_context={"runAsUser": 4000})
def image_user_then_pod_context(x: int) -> int:
    return x
'''


def emit(tmp_path: Path, config: Config | None = None) -> dict[str, dict[str, Any]]:
    (tmp_path / "ruapp.py").write_text(APP, encoding="utf-8")
    config = config or Config()
    sys.modules.pop("ruapp", None)
    docs = api.emit_documents(api.load_app(str(tmp_path / "ruapp.py"), config), config)
    return {d["metadata"]["name"].removeprefix("ruapp-"): d for d in docs if d["kind"] == "WorkflowTemplate"}


def pod_sc(doc: dict[str, Any]) -> dict[str, Any]:
    sc: dict[str, Any] = doc["spec"]["templates"][0]["securityContext"]
    return sc


def test_validator_accepts_a_uid_and_none() -> None:
    assert OPTIONS["run_as_user"].validate(1000) == 1000
    assert OPTIONS["run_as_user"].validate(None) == "image"  # None given: the image's own user


@pytest.mark.parametrize("value", [True, False, 0, -1, "1000", 1.5, 2**31])
def test_validator_rejects(value: Any) -> None:
    with pytest.raises(OptionInvalid) as info:
        OPTIONS["run_as_user"].validate(value)
    [problem] = info.value.problems
    assert problem.code == codes.BAD_RUN_AS_USER
    assert problem.message.startswith("`run_as_user` must be a UID (an int from 1 to 2147483647)")


@container
def _omitted() -> None:
    pass


@container(run_as_user=None)
def _image_user() -> None:
    pass


def test_omitted_and_explicit_none_differ() -> None:
    assert _omitted.options_.run_as_user is None and _image_user.options_.run_as_user == "image"
    # `None` stays "not given" for every other option
    assert validate_options("container", {"image": None}, _omitted.fn).options.image is None


def test_a_bad_value_is_located_at_the_keyword() -> None:
    with pytest.raises(CompileError) as info:
        validate_options("container", {"run_as_user": -5}, _omitted.fn)
    [d] = info.value.diagnostics
    assert d.code == codes.BAD_RUN_AS_USER and d.span is not None and d.span.path == __file__
    assert d.hint is not None and "run_as_user=None" in d.hint


def test_emitted_pod_security_context(tmp_path: Path) -> None:
    docs = emit(tmp_path, Config(defaults=Defaults(run_as_user=8737)))
    assert pod_sc(docs["plain"]) == {"runAsNonRoot": True, "runAsUser": 8737, "runAsGroup": 8737, **SECCOMP}
    assert pod_sc(docs["as-uid"]) == {"runAsNonRoot": True, "runAsUser": 1000, "runAsGroup": 1000, **SECCOMP}
    assert pod_sc(docs["as-image-user"]) == SECCOMP
    # pod_security_context= is merged last: its keys win over run_as_user=
    assert pod_sc(docs["pod-context-wins"]) == {"runAsNonRoot": True, "runAsUser": 3000, "runAsGroup": 2000,
                                                **SECCOMP}
    assert pod_sc(docs["image-user-then-pod-context"]) == {**SECCOMP, "runAsUser": 4000}
    # the main container's own context is untouched: only the pod's identity changes
    for doc in docs.values():
        assert doc["spec"]["templates"][0]["container"]["securityContext"] == {
            "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}


def test_a_uid_applies_even_when_the_defaults_drop_it(tmp_path: Path) -> None:
    docs = emit(tmp_path, Config(defaults=Defaults(run_as_user=None)))
    assert pod_sc(docs["plain"]) == SECCOMP
    assert pod_sc(docs["as-uid"]) == {"runAsNonRoot": True, "runAsUser": 1000, "runAsGroup": 1000, **SECCOMP}


def test_pss_restricted_reports_the_image_user_template(tmp_path: Path) -> None:
    docs = emit(tmp_path)
    found = check_documents(docs.values(), "restricted")
    assert [(f.template.removeprefix("ruapp-"), f.path) for f in found] == [
        ("as-image-user", "securityContext.runAsNonRoot"),
        ("image-user-then-pod-context", "securityContext.runAsNonRoot")]
    assert "run_as_user=None" in found[0].message
    assert check_documents(docs.values(), "baseline") == []


def test_check_pss_restricted_cli(tmp_path: Path) -> None:
    (tmp_path / "rootapp.py").write_text(textwrap.dedent('''
        from athena import container


        @container(run_as_user=None)
        def needs_root() -> None:
            pass
    '''), encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "athena.cli", "check", "rootapp.py", "--pss", "restricted"],
                       capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 1, r.stderr
    assert ("pss restricted: WorkflowTemplate/rootapp-needs-root: securityContext.runAsNonRoot: restricted "
            "requires runAsNonRoot: true") in r.stderr
