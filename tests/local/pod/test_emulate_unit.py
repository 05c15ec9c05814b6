"""Pieces of the pod executor (athena.local.pod) that need no container runtime."""

from __future__ import annotations

import dataclasses
import inspect
import json
from pathlib import Path

import pytest

from athena.argo import facts
from athena.errors import AthenaError
from athena.local.argo.substitute import substitute
from athena.local.pod import PodOptions, detect_runtime, emulate, k8s_expand, run_pod
from athena.local.pod.offload import MAX_ARG_LEN, offloads_args
from athena.local.pod.template import (
    argo_replace,
    go_quote,
    input_values,
    substitute_template,
    template_deadline,
)
from athena.runtime import codec


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


HOSTILE = "cost $$5 $(HOME) {{workflow.name}} {{inputs.parameters.x}}"
POD_PARAMS = {"workflow.name": "wf-1", "pod.name": "wf-1-t-1", "inputs.parameters.x": "X"}


def _argo_then_kubelet(value: str) -> str:
    """What the main container receives for a parameter of this text: Argo's pass over the template (the input
    is inserted), its second pass over the pod spec, then the kubelet's expansion."""
    tmpl = {"name": "t", "inputs": {"parameters": [{"name": "x"}]}, "container": {"args": ["{{inputs.parameters.x}}"]}}
    first = substitute_template(tmpl, {"workflow.name": "wf-1"}, {"x": value})
    [arg] = argo_replace(first["container"]["args"], {**POD_PARAMS, "inputs.parameters.x": value})
    return k8s_expand(arg, {"HOME": "/athena/home"})


def test_a_value_typed_by_hand_is_rewritten_as_on_a_cluster() -> None:
    # Argo's second pass substitutes the tags inside the value, then the kubelet expands $$ and $(VAR).
    got = _argo_then_kubelet(HOSTILE)
    # (the value's own {{inputs.parameters.x}} becomes the value once more, and is expanded by the kubelet too)
    once = "cost $5 /athena/home"
    assert got == f"{once} wf-1 {once} {{{{workflow.name}}}} {{{{inputs.parameters.x}}}}"


def test_athena_values_arrive_byte_exact() -> None:
    for value in (HOSTILE, {"k": [HOSTILE, "{{{", "$", "\x7f"]}):
        text = codec.encode(value)
        assert _argo_then_kubelet(text) == text
        assert json.loads(text) == value


def test_second_pass_details() -> None:
    params = {"a": 'q"b\\', "x": "1"}
    assert argo_replace("{{ a }}|{{nope}}|{{p{{x}}", params) == 'q"b\\|{{nope}}|{{p1'
    assert argo_replace("{{=1 + 1}}|{{=nope(}}|{{=nil}}", params) == "2|{{=nope(}}|{{=nil}}"
    with pytest.raises(AthenaError, match="no longer valid JSON"):
        argo_replace("{{a}}", {"a": "\x7f"})  # strconv.Quote writes \x7f: the spec is not JSON any more
    with pytest.raises(AthenaError, match="without"):
        argo_replace("{{a", params)
    assert go_quote("é\u200b\U000e0001\t") == "é\\u200b\\U000e0001\\t"


def test_kubelet_reads_bytes_after_a_dollar() -> None:
    import os

    assert os.fsencode(k8s_expand("$é", {})) == b"$\xc3\x83\xa9"


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


# ---------------------------------------------------------------------------------------- the split modules


def test_the_package_exposes_the_executor() -> None:
    import athena.local.pod as pod

    assert set(pod.__all__) >= {"emulate", "EmulateResult", "Runtime", "detect_runtime", "k8s_expand", "run_pod",
                                "PodOptions"}
    # run_pod takes what `athena run` will have: the template, resolved values and how to run it.
    assert list(inspect.signature(pod.run_pod).parameters) == ["template", "values", "bundle", "options"]
    # every emulate keyword beyond the template, bundle and args is a PodOptions field, and back
    keywords = set(inspect.signature(pod.emulate).parameters) - {"template", "bundle", "args"}
    assert keywords == {f.name for f in dataclasses.fields(pod.PodOptions)}


@pytest.mark.parametrize(("tmpl", "seconds"), [
    ({}, None),
    ({"activeDeadlineSeconds": 30}, 30.0),
    ({"activeDeadlineSeconds": "45"}, 45.0),
    ({"timeout": "1m30s"}, 90.0),
    ({"timeout": "2h", "activeDeadlineSeconds": 100}, 100.0),
    ({"timeout": "{{inputs.parameters.t}}"}, None),
])
def test_template_deadline(tmpl: dict[str, object], seconds: float | None) -> None:
    assert template_deadline(tmpl) == seconds


def test_input_values_take_args_then_defaults() -> None:
    tmpl = {"name": "t", "inputs": {"parameters": [{"name": "a"}, {"name": "b", "default": "2"},
                                                   {"name": "c", "value": "3"}]}}
    assert input_values(tmpl, {"a": "1"}) == {"a": "1", "b": "2", "c": "3"}
    with pytest.raises(AthenaError, match="no value for parameter"):
        input_values(tmpl, {})
    with pytest.raises(AthenaError, match="unknown parameter"):
        input_values(tmpl, {"a": "1", "z": "0"})


def test_offload_decision_reads_the_argo_facts() -> None:
    small = ["x" * 10]
    big = ["x" * (MAX_ARG_LEN + 1)]
    assert MAX_ARG_LEN == facts.MAX_ENV_VAR_LEN
    assert not offloads_args(small, "3.6", "t")
    assert offloads_args(big, "3.7.10", "t") and offloads_args(big, "4.1", "t")
    with pytest.raises(AthenaError, match="argument list too long"):
        offloads_args(big, "3.7.9", "t")
    with pytest.raises(AthenaError, match=r"use X\.Y or X\.Y\.Z"):
        offloads_args(big, "v4.1", "t")


def test_run_pod_substitutes_with_resolved_values(tmp_path: Path) -> None:
    """run_pod checks the bundle before touching a runtime, like emulate."""
    tmpl = {"name": "t", "inputs": {"artifacts": [{"name": "athena-bundle", "path": "/athena/bin"}]},
            "container": {"image": "x"}}
    with pytest.raises(AthenaError, match="does not exist"):
        run_pod(tmpl, {}, bundle=tmp_path / "missing.tar.gz", options=PodOptions(runtime="lxc"))


def test_exec_limit_counts_the_terminating_nul(tmp_path: Path) -> None:
    from athena.local.pod.offload import MAX_EXEC_STRING, offload_args, offload_env
    from athena.local.pod.volumes import Pod

    assert MAX_EXEC_STRING == 131_071
    ok, over = "x" * 131_071, "x" * 131_072
    assert not offloads_args([ok], "3.6", "t")  # the JSON is above 128 KiB, but 3.6 never offloads: it execs
    with pytest.raises(AthenaError, match=r"arg 0 is 131072 bytes, above the 131071-byte exec limit.*Artifact\[T\]"):
        offloads_args([over], "3.6", "t")
    # 3.7.10+: the args go to the ConfigMap, but the emissary writes only args *above* 131072 to a file.
    assert offloads_args([over], "3.7.10", "t")
    with pytest.raises(AthenaError, match="arg 0 is 131072 bytes"):
        offload_args(Pod(tmp_path), ["/bin/sh", "-c"], [over], {}, None, "t")
    offload_env({"V": "x" * (131_071 - 2)}, "t")
    with pytest.raises(AthenaError, match="env var V"):
        offload_env({"V": "x" * (131_072 - 2)}, "t")


def test_main_container_env_mirrors_workflowpod_go_per_line() -> None:
    # argo workflowpod.go: ARGO_TEMPLATE is the init container's only; ARGO_WORKFLOW_NAME joined main in 4.1.0.
    from athena.local.pod.executor import _argo_env

    def names(version: str) -> list[str]:
        return [e["name"] for e in _argo_env("wf", "wf-t-1", version)]

    base = ["ARGO_CONTAINER_NAME", "ARGO_NODE_ID", "ARGO_INCLUDE_SCRIPT_OUTPUT", "ARGO_DEADLINE"]
    progress = ["ARGO_PROGRESS_FILE", "ARGO_PROGRESS_PATCH_TICK_DURATION", "ARGO_PROGRESS_FILE_TICK_DURATION"]
    for version in ("3.6", "3.7.16", "4.0", "4.0.10"):
        assert names(version) == base + progress, version
    for version in ("4.1", "4.1.0", "4.1.2"):
        assert names(version) == [*base, "ARGO_WORKFLOW_NAME", *progress], version
    assert {"name": "ARGO_WORKFLOW_NAME", "value": "wf"} in _argo_env("wf", "p", "4.1")


def test_build_targets_the_images_architecture(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`emulate --build` builds for the image (an arm64 image gets aarch64, run under qemu-user), not this host."""
    from athena.local.emulate import host_target, image_target

    fake = tmp_path / "podman"
    fake.write_text('#!/bin/sh\ncase "$3" in\n  *arm64*) echo \'[{"Architecture": "arm64"}]\' ;;\n'
                    '  *riscv*) echo \'[{"Architecture": "riscv64"}]\' ;;\n'
                    '  *) echo \'[{"Architecture": "amd64"}]\' ;;\nesac\n')
    fake.chmod(0o755)
    (tmp_path / "runc").write_text("")
    doc = {"spec": {"templates": [{"container": {"image": "localhost/athena-bb:1"}}]}}
    monkeypatch.setenv("PATH", str(tmp_path))
    assert image_target(doc, runtime="podman") == "x86_64"
    assert image_target(doc, image="localhost/athena-bb-arm64:1", runtime="podman") == "aarch64"
    with pytest.raises(AthenaError, match=r"riscv64, which has no bundle target.*--image"):
        image_target(doc, image="x/riscv:1", runtime="podman")
    expr = {"spec": {"templates": [{"container": {"image": "x:{{inputs.parameters.tag}}"}}]}}
    assert image_target(expr, runtime="podman") == host_target()


def test_a_failed_container_is_reported_by_its_exit_code_and_stderr() -> None:
    from athena.local.pod.executor import container_failure

    err = "".join(f"line {i}\n" for i in range(30)) + "ValueError: bad 3\n"
    msg = container_failure(1, err, False, None)
    assert msg.startswith("the container exited with code 1; the last lines of its stderr:\n")
    assert msg.endswith("ValueError: bad 3") and "line 5\n" not in msg
    assert container_failure(143, "", True, 2.0) == ("the container was stopped after its deadline of 2 s "
                                                     "(exit code 143) (nothing on stderr)")
    arch = container_failure(70, "athena: unsupported architecture x86_64; this bundle has: aarch64\n", False, None)
    assert "no build for the image's architecture" in arch and "`--build`" in arch


def test_expression_tags_in_the_template_are_evaluated_like_argo() -> None:
    """An injected image (`image="app:{tag}"` emits an expression tag) resolves against the pod's inputs through
    the one Argo evaluator; a tag that cannot be evaluated yet (the globals pass) stays as written, as in Argo."""
    from athena.local.pod.template import substitute_template

    tmpl = {"name": "t", "inputs": {"parameters": [{"name": "tag"}]},
            "container": {"image": "ghcr.io/acme/app:{{=fromJSON(inputs.parameters['tag'])}}",
                          "args": ["{{workflow.name}}", "{{=inputs.parameters['tag']}}"]}}
    out = substitute_template(tmpl, {"workflow.name": "wf"}, {"tag": '"1.2"'})
    assert out["container"]["image"] == "ghcr.io/acme/app:1.2"
    assert out["container"]["args"] == ["wf", '"1.2"']


def test_cluster_fields_are_named_as_ignored() -> None:
    from athena.local.pod.executor import scheduling_notes

    tmpl = {"tolerations": [{"operator": "Exists"}], "priorityClassName": "high", "podSpecPatch": "{}"}
    container = {"resources": {"limits": {"cpu": "1"}}, "envFrom": [{"secretRef": {"name": "keys"}}]}
    assert scheduling_notes(tmpl, container) == [
        "tolerations, priorityClassName, podSpecPatch, container.resources ignored here (cluster scheduling and "
        "limits)",
        "envFrom keys is not read here (a Secret or ConfigMap); pass the variables you need with env={...}",
    ]
    assert scheduling_notes({}, {}) == []
