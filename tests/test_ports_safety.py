"""Host paths and artifact keys are checked at compile time, and the local stores stay closed (issue 7 item 12)."""

from __future__ import annotations

import itertools
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

import athena
from athena import api, codes, ports
from athena.config import Config
from athena.errors import AthenaError, CompileError

_n = itertools.count()

PRELUDE = '''
import athena
from athena import Artifact, container, workflow
'''


def _load(tmp_path: Path, body: str) -> tuple[Any, Any]:
    path = tmp_path / f"ports_{next(_n)}.py"
    path.write_text(PRELUDE + body, encoding="utf-8")
    app = api.load_app(str(path), Config())
    return sys.modules[path.stem], app


def _compile(tmp_path: Path, body: str) -> Any:
    module, app = _load(tmp_path, body)
    try:
        return api.compile_templates(app.roots, Config())
    finally:
        sys.modules.pop(module.__name__, None)


def _host_body(path: str) -> str:
    return f'''
@container
def c() -> None:
    athena.host({path!r})

@workflow
def w() -> None:
    c()
'''


@pytest.mark.parametrize(("path", "message"), [
    ("/", "is the node's root directory"),
    ("//./", "is the node's root directory"),
    ("/x/../../etc", "contains a `..` segment"),
    ("var/cache", "is not absolute"),
    ("", "is not absolute"),
])
def test_unsafe_host_paths_are_located_compile_errors(tmp_path: Path, path: str, message: str) -> None:
    with pytest.raises(CompileError) as info:
        _compile(tmp_path, _host_body(path))
    diag = info.value.diagnostics[0]
    assert diag.code == codes.HOST_PATH and message in diag.message, info.value.render()
    assert diag.span is not None and diag.span.line == PRELUDE.count("\n") + 4


def test_host_paths_are_normalized(tmp_path: Path) -> None:
    program = _compile(tmp_path, _host_body("/data//models/./v1/"))
    (c,) = [t for t in program.templates.values() if getattr(t, "ports", None) is not None]
    assert c.ports.host_paths == ("/data/models/v1",)
    assert ports.normalize_host_path("/data//models/./v1/") == "/data/models/v1"


@pytest.mark.parametrize(("path", "hit"), [
    ("/var/run/docker.sock", "/var/run/docker.sock"),
    ("/run/containerd/containerd.sock", "/run/containerd"),
    ("/etc", "/etc"),
    ("/var", "/var/run/docker.sock"),  # a directory holding a sensitive one
    ("/var/lib/kubelet/pods", "/var/lib/kubelet"),
])
def test_sensitive_host_paths_warn_on_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str], path: str,
                                             hit: str) -> None:
    _compile(tmp_path, _host_body(path))  # not an error
    err = capsys.readouterr().err
    assert "athena: warning:" in err and f"host({path!r})" in err and hit in err, err
    assert ".py:" in err  # located


def test_ordinary_host_paths_do_not_warn(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _compile(tmp_path, _host_body("/var/cache/models"))
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(("key", "message"), [
    ("../../etc/passwd", "`..` segment"),
    ("/etc/passwd", "is absolute"),
    ("a//b", "empty segment"),
    ("a/", "empty segment"),
    ("a/./b", "`.` segment"),
    ("", "is empty"),
])
@pytest.mark.parametrize("fn", ["save_artifact", "load_artifact_str"])
def test_malformed_artifact_keys_are_located_compile_errors(tmp_path: Path, key: str, message: str,
                                                             fn: str) -> None:
    arg = f"{key!r}, b''" if fn == "save_artifact" else repr(key)
    with pytest.raises(CompileError) as info:
        _compile(tmp_path, f'''
KEY = {key!r}

@container
def c() -> None:
    athena.{fn}({arg})

@workflow
def w() -> None:
    c()
''')
    diag = info.value.diagnostics[0]
    assert diag.code == codes.ARTIFACT_KEY and message in diag.message, info.value.render()
    assert diag.span is not None


def test_runtime_host_refuses_what_the_compiler_refuses() -> None:
    token = ports.LOCAL_STORE.set("/nonexistent")
    try:
        with pytest.raises(AthenaError, match=r"contains a `\.\.` segment"):
            athena.host("/x/../../etc")
        assert athena.host("/data//x/") == "/data/x"
    finally:
        ports.LOCAL_STORE.reset(token)


@pytest.mark.parametrize("key", ["../../x", "/abs", "a//b", "a/../../x"])
def test_the_local_store_refuses_keys_that_leave_it(tmp_path: Path, key: str) -> None:
    store = tmp_path / "store"
    store.mkdir()
    token = ports.LOCAL_STORE.set(str(store))
    try:
        with pytest.raises(AthenaError, match="artifact key"):
            athena.save_artifact(key, b"pwned")
        with pytest.raises(AthenaError, match="artifact key"):
            athena.load_artifact(key)
    finally:
        ports.LOCAL_STORE.reset(token)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store"]
    assert list(store.iterdir()) == []


def test_the_local_store_refuses_a_symlink_out_of_it(tmp_path: Path) -> None:
    store = tmp_path / "store"
    store.mkdir()
    (tmp_path / "outside").mkdir()
    os.symlink(tmp_path / "outside", store / "link")
    token = ports.LOCAL_STORE.set(str(store))
    try:
        with pytest.raises(AthenaError, match="outside the local store"):
            athena.save_artifact("link/x", b"pwned")
        athena.save_artifact("ok/x", b"fine")
    finally:
        ports.LOCAL_STORE.reset(token)
    assert list((tmp_path / "outside").iterdir()) == []
    assert (store / "ok" / "x").read_bytes() == b"fine"


FLOW = '''
@container
def write(text: str) -> Artifact[str]:
    athena.save_artifact("side/{workflow_uid}.txt", text)
    return Artifact.of(text.upper())

@container
def read(doc: Artifact[str]) -> str:
    return doc.load()

@workflow
def roundtrip(text: str) -> str:
    return read(write(text))

@workflow
def produce(text: str) -> Artifact[str]:
    return write(text)

@container
def boom() -> int:
    raise RuntimeError("no")

@workflow
def fails() -> int:
    return boom()
'''


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    monkeypatch.delenv("ATHENA_LOCAL_STORE", raising=False)
    return tmp


def test_in_process_runs_remove_their_temporary_store(tmp_path: Path, private_tmp: Path) -> None:
    module, _ = _load(tmp_path, FLOW)
    try:
        assert module.roundtrip("hi") == "HI"
        assert list(private_tmp.iterdir()) == []
        with pytest.raises(athena.WorkflowFailed):
            module.fails()
        assert list(private_tmp.iterdir()) == []
        art = module.produce("doc")
        assert art.load() == "DOC"  # the returned Artifact keeps its file ...
        left = [p.name for p in private_tmp.iterdir()]
        assert len(left) == 1 and left[0].startswith("athena-result-"), left  # ... and only that
        assert Path(art.path).parent.parent == private_tmp
    finally:
        sys.modules.pop(module.__name__, None)


def test_an_explicit_store_is_kept(tmp_path: Path, private_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = tmp_path / "mine"
    monkeypatch.setenv("ATHENA_LOCAL_STORE", str(store))
    module, _ = _load(tmp_path, FLOW)
    try:
        assert module.roundtrip("hi") == "HI"
        assert any(store.rglob("*.txt"))
        assert list(private_tmp.iterdir()) == []
    finally:
        sys.modules.pop(module.__name__, None)


def test_emulated_output_keys_are_checked(tmp_path: Path) -> None:
    from athena.local.pod.outputs import _store_dest

    store = tmp_path / "arts"
    assert _store_dest(store, "runs/a.txt", "output artifact x") == store / "runs" / "a.txt"
    for key in ("../x", "/x", "a//b"):
        with pytest.raises(AthenaError, match="output artifact x: artifact key"):
            _store_dest(store, key, "output artifact x")
