"""volumes=, mutex=/semaphore= and cache=: validation, emitted fields, the emulator and in-process runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from athena import (
    Cache,
    ConfigMapVolume,
    EmptyDir,
    ExistingClaim,
    HuggingFaceCache,
    SecretVolume,
    SemaphoreRef,
    WorkflowClaim,
    codes,
    names,
)
from athena.compile.options import OPTIONS, OptionInvalid
from athena.compile.quantities import check_quantity
from athena.local.pod.volumes import Pod, mount_volumes


def problems(option: str, value: Any) -> list[tuple[str | None, str]]:
    with pytest.raises(OptionInvalid) as info:
        OPTIONS[option].validate(value)
    return [(p.code, p.message) for p in info.value.problems]


@pytest.mark.parametrize("text", ["1", "10Gi", "500Mi", "1.5G", "2e3", "100m", "+1Ki", ".5Gi"])
def test_quantities_kubernetes_accepts(text: str) -> None:
    assert check_quantity(text, "size") == text


@pytest.mark.parametrize("text", ["10GB", "1 Gi", "Gi", "", "1.2.3", "-1Gi", "0", "0Gi", "1gi", True, None])
def test_quantities_kubernetes_rejects(text: Any) -> None:
    with pytest.raises(ValueError):
        check_quantity(text, "size")


def test_volume_names_are_deterministic_labels_apart_from_athenas_own() -> None:
    for kind in names.VOLUME_PREFIXES:
        for source in ("athena-work", "athena-tmp", "host-0123", "Data_Set", "x" * 300):
            n = names.volume_name(kind, source)
            assert n == names.volume_name(kind, source)
            assert names.check_dns_name(n, 63) is None, n
            assert not n.startswith(("athena-", "host-")), n
    assert names.volume_name("claim", "a.b") != names.volume_name("claim", "a-b")
    assert names.volume_name("claim", "data") != names.volume_name("config_map", "data")


def test_volumes_normalize() -> None:
    specs = OPTIONS["volumes"].validate([
        ExistingClaim("data", mount="/data/"), HuggingFaceCache(), EmptyDir("c", mount="/c", size_limit="1Gi"),
        ConfigMapVolume("cfg", mount="/cfg", items={"b": "x/b", "a": "a"}), SecretVolume("s", mount="/s"),
        WorkflowClaim("w", mount="/w"),
    ])
    assert [(v.kind, v.volume, v.mount) for v in specs] == [
        ("claim", "pvc-data", "/data"), ("claim", "pvc-hf", "/hf"), ("empty_dir", "empty-c", "/c"),
        ("config_map", "cm-cfg", "/cfg"), ("secret", "secret-s", "/s"), ("workflow_claim", "wpvc-w", "/w")]
    assert specs[1].env == (("HF_HOME", "/hf"),) and specs[1].read_only
    assert specs[3].items == (("a", "a"), ("b", "x/b"))
    assert specs[5].size == "1Gi" and specs[5].access_modes == ("ReadWriteOnce",)


@pytest.mark.parametrize(("value", "code", "text"), [
    ("data", codes.BAD_OPTION, "must be a list"),
    ([ExistingClaim("Data", mount="/d")], codes.BAD_NAME, "not a name Kubernetes accepts"),
    ([ExistingClaim("d", mount="d")], codes.BAD_MOUNT, "absolute path"),
    ([ExistingClaim("d", mount="/athena/x")], codes.BAD_MOUNT, "under /athena"),
    ([ExistingClaim("d", mount="/"), ], codes.BAD_MOUNT, "the root"),
    ([ExistingClaim("d", mount="/d", sub_path="../x")], codes.BAD_OPTION, "sub_path"),
    ([EmptyDir("c", mount="/c", medium="Disk")], codes.BAD_ENUM, "medium"),
    ([EmptyDir("c", mount="/c", size_limit="lots")], codes.BAD_QUANTITY, "not a Kubernetes quantity"),
    ([WorkflowClaim("w", mount="/w", access_modes=("ReadWriteSometimes",))], codes.BAD_ENUM, "access_modes"),
    ([WorkflowClaim("W_1", mount="/w")], codes.BAD_NAME, "WorkflowClaim name"),
    ([ConfigMapVolume("c", mount="/c", items={"k": "/abs"})], codes.BAD_OPTION, "relative path"),
    ([EmptyDir("a", mount="/x"), EmptyDir("b", mount="/x")], codes.BAD_MOUNT, "two volumes are mounted at /x"),
    ([WorkflowClaim("w", mount="/a", size="1Gi"), WorkflowClaim("w", mount="/b", size="2Gi")],
     codes.CLAIM_CONFLICT, "twice with different settings"),
    ([object()], codes.BAD_OPTION, "is not a volume"),
])
def test_bad_volumes(value: Any, code: str, text: str) -> None:
    found = problems("volumes", value)
    assert any(c in (code, None if code == codes.BAD_OPTION else code) and text in m for c, m in found), found


def test_sync_and_cache_validate() -> None:
    assert OPTIONS["mutex"].validate("gpu.node-1") == "gpu.node-1"
    assert problems("mutex", "a b")[0][0] == codes.BAD_NAME
    assert problems("semaphore", SemaphoreRef("Sync", "a/b"))[0][0] == codes.BAD_NAME
    assert len(problems("semaphore", SemaphoreRef("Sync", "a/b"))) == 2
    assert OPTIONS["cache"].validate(Cache("1h")).max_age_seconds == 3600
    assert problems("cache", Cache("soon"))[0][0] == codes.BAD_DURATION
    assert problems("cache", "1h")[0][1].startswith("`cache` must be athena.Cache")


def test_tmp_mount_is_rejected_only_with_the_tmp_volume(tmp_path: Path) -> None:
    from athena import api
    from athena.config import load_config
    from athena.errors import CompileError

    src = tmp_path / "tmpmount.py"
    src.write_text(
        "from athena import EmptyDir, container\n\n"
        "@container(volumes=[EmptyDir('t', mount='/tmp')])\n"
        "def bad() -> None:\n    pass\n\n"
        "@container(tmp_volume=False, volumes=[EmptyDir('t', mount='/tmp')])\n"
        "def good() -> None:\n    pass\n", encoding="utf-8")
    config = load_config(start=tmp_path, env={})
    import sys

    try:
        app = api.load_app(str(src), config)
        bad = next(r for r in app.roots if r.__name__ == "bad")
        good = next(r for r in app.roots if r.__name__ == "good")
        with pytest.raises(CompileError) as info:
            api.compile_templates([bad], config)
        d = info.value.diagnostics[0]
        assert d.code == codes.BAD_MOUNT and "/tmp" in d.message and d.span is not None and d.span.line == 3
        assert "tmp_volume=False" in (d.hint or "")
        api.compile_templates([good], config)
    finally:
        sys.modules.pop("tmpmount", None)


def test_emulator_makes_claims_config_maps_and_secrets_empty_dirs(tmp_path: Path) -> None:
    tmpl = {"volumes": [{"name": "pvc-data", "persistentVolumeClaim": {"claimName": "data"}},
                        {"name": "cm-cfg", "configMap": {"name": "cfg"}},
                        {"name": "secret-s", "secret": {"secretName": "s"}}]}
    container = {"volumeMounts": [{"name": "pvc-data", "mountPath": "/data", "readOnly": True},
                                  {"name": "cm-cfg", "mountPath": "/cfg"}, {"name": "secret-s", "mountPath": "/s"},
                                  {"name": "wpvc-scratch", "mountPath": "/scratch"}]}
    given = tmp_path / "given"
    given.mkdir()
    pod = Pod(scratch=tmp_path / "pod")
    mount_volumes(pod, tmpl, container, {}, {"pvc-data": given})
    by_target = {m.target: m for m in pod.mounts}
    assert by_target["/data"].source == given.resolve() and by_target["/data"].read_only
    assert all(by_target[p].source.is_dir() for p in ("/cfg", "/s", "/scratch"))
    notes = "\n".join(pod.notes)
    assert "cm-cfg (configMap)" in notes and "secret-s (secret)" in notes
    assert "wpvc-scratch (workflow claim)" in notes and "pvc-data" not in notes


def test_in_process_runs_ignore_pod_options(tmp_path: Path) -> None:
    import sys

    src = tmp_path / "inproc.py"
    src.write_text(
        "from athena import Cache, EmptyDir, SemaphoreRef, WorkflowClaim, container, workflow\n\n"
        "@container(volumes=[EmptyDir('c', mount='/c'), WorkflowClaim('w', mount='/w')], cache=Cache('1h'),\n"
        "           mutex='m')\n"
        "def double(x: int) -> int:\n    return 2 * x\n\n"
        "@workflow(semaphore=SemaphoreRef('sync', 'wf'))\n"
        "def flow(x: int) -> int:\n    return double(x)\n", encoding="utf-8")
    sys.path.insert(0, str(tmp_path))
    try:
        import inproc  # type: ignore[import-not-found]

        assert inproc.flow(21) == 42
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("inproc", None)
