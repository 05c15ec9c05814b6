"""runtime/protocol.py: the wire names both sides share, the arch aliases and the one manifest reader."""

from __future__ import annotations

import ast
import io
import json
import sys
import tarfile
from pathlib import Path

import pytest

from athena.runtime import protocol

SRC = Path(protocol.__file__)


def test_protocol_imports_only_the_standard_library() -> None:
    tree = ast.parse(SRC.read_text(encoding="utf-8"))
    names = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {(n.module or "").split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert names - {"__future__"} <= set(sys.stdlib_module_names)


@pytest.mark.parametrize(("given", "target"), [
    ("x86_64", "x86_64"), ("amd64", "x86_64"), ("AMD64", "x86_64"), ("aarch64", "aarch64"), ("arm64", "aarch64"),
    ("armv8l", "aarch64"), ("riscv64", None), ("", None),
])
def test_every_spelling_normalizes_to_one_target(given: str, target: str | None) -> None:
    assert protocol.normalize_arch(given) == target


def test_platform_names_follow_the_targets() -> None:
    assert set(protocol.PLATFORM_ARCH) == set(protocol.ARCH_ALIASES)
    assert protocol.platform_arch("x86_64") == protocol.platform_arch("amd64") == "amd64"
    assert protocol.platform_arch("aarch64") == "arm64"
    assert protocol.platform_arch("s390x") == "s390x"  # unknown names pass through


def test_the_bootstrap_accepts_every_alias() -> None:
    script = protocol.bootstrap_script(("x86_64", "aarch64"))
    for target, spellings in protocol.ARCH_ALIASES.items():
        assert f"{'|'.join(spellings)}) a={target} ;;" in script


def test_offloaded_slot_names() -> None:
    assert protocol.offloaded_arg_path(5) == "/tmp/argo_arg_5.txt"
    assert protocol.offloaded_slot(0) == f"@/tmp/argo_arg_{protocol.OFFLOAD_INDEX_BASE}.txt"


def _tarball(path: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return path


def test_read_manifest_from_a_tarball_and_a_directory(tmp_path: Path) -> None:
    manifest = {"digest": "abc", "targets": ["x86_64"]}
    tb = _tarball(tmp_path / "b.tar.gz", {"./bin/manifest.json": json.dumps(manifest).encode()})
    assert protocol.read_manifest(str(tb)) == manifest
    d = tmp_path / "bin"
    d.mkdir()
    assert protocol.read_manifest(str(d)) is None  # a local run has no unpacked bundle
    (d / protocol.MANIFEST).write_text(json.dumps(manifest))
    assert protocol.read_manifest(str(d)) == manifest


@pytest.mark.parametrize(("members", "message"), [
    ({"bin/other": b"{}"}, "no bin/manifest.json"),
    ({"bin/manifest.json": b"{"}, "not valid JSON"),
    ({"bin/manifest.json": b"[1]"}, "must hold a JSON object"),
])
def test_read_manifest_says_what_is_wrong(tmp_path: Path, members: dict[str, bytes], message: str) -> None:
    with pytest.raises(protocol.ManifestError, match=message):
        protocol.read_manifest(str(_tarball(tmp_path / "b.tar.gz", members)))


def test_read_manifest_of_a_file_that_is_no_tarball(tmp_path: Path) -> None:
    junk = tmp_path / "junk"
    junk.write_bytes(b"not a tarball")
    with pytest.raises(protocol.ManifestError, match="cannot read the bundle tarball"):
        protocol.read_manifest(str(junk))


def test_runtime_main_reads_its_wire_names_from_protocol() -> None:
    """No ATHENA_/ARGO_ env name is spelled out in the pod runtime: protocol.py is their one home."""
    main = (SRC.parent / "main.py").read_text(encoding="utf-8")
    code = "\n".join(line for line in main.splitlines() if not line.lstrip().startswith("#"))
    body = code.split('"""', 2)[2]  # after the module docstring
    assert '"ATHENA_' not in body and '"ARGO_' not in body
