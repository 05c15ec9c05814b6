"""The emitter over hand-built IR: exact documents, no compiler in the loop.

The goldens (tests/golden/test_golden.py) pin what whole programs emit; these pin each emit rule on its own, so a
failure names the rule. Only the public surface is used: ``emit_program`` and ``EmitSettings``.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from athena.argo.emit import EmitSettings, emit_program
from athena.argo.expr import safe_json
from athena.compile.model import (
    ArmMerge,
    BoolOp,
    Compare,
    Container,
    Hook,
    InLits,
    Input,
    IsNone,
    Item,
    Lit,
    Not,
    Param,
    Ports,
    Program,
    Task,
    TaskOut,
    TemplateIR,
    Truth,
    Workflow,
)
from athena.compile.options import RetrySpec, TemplateOptions, TTLSpec
from athena.compile.typecheck import BOOL, INT, NONE, STR, ArtifactT, EnumT, ListT, LiteralT
from athena.runtime.protocol import bootstrap_script

SETTINGS = EmitSettings(
    targets=("x86_64",),
    default_image="busybox:1.36",
    service_account=None,
    namespace=None,
    argo_line="4.1",
    image_pull_secrets=(),
    run_as_user=None,
    name_tag="",
    s3={},
    bundle_key="athena/p/d1/bundle.tar.gz",
    digest="d1",
)
OPTS = TemplateOptions()
BUNDLE = {"name": "athena-bundle", "path": "/athena/bin", "s3": {"key": "athena/p/d1/bundle.tar.gz"}}
POD_SECURITY = {"seccompProfile": {"type": "RuntimeDefault"}}
CONTAINER_SECURITY = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}


def container(name: str, params: tuple[Param, ...] = (), returns: Any = INT, **options: Any) -> Container:
    return Container(name=name, entry=f"m:{name}", function=name, params=params, returns=returns,
                     options=TemplateOptions(**options))


def workflow(name: str, tasks: tuple[Task, ...], params: tuple[Param, ...] = (), returns: Any = NONE,
             result: Any = None, **fields: Any) -> Workflow:
    options = fields.pop("options", OPTS)
    return Workflow(name=name, function=name, params=params, returns=returns, tasks=tasks, options=options,
                    result=result, **fields)


def program(*templates: TemplateIR, roots: tuple[str, ...] | None = None) -> Program:
    by_name = {t.name: t for t in templates}
    return Program(templates=by_name, roots=roots if roots is not None else (templates[-1].name,))


def emit(p: Program, settings: EmitSettings = SETTINGS, **kw: Any) -> dict[str, dict[str, Any]]:
    """The documents by metadata name (or generateName for a Workflow)."""
    docs = emit_program(p, settings, **kw)
    return {d["metadata"].get("name") or d["metadata"]["generateName"]: d for d in docs}


def template(p: Program, name: str, settings: EmitSettings = SETTINGS) -> dict[str, Any]:
    doc = emit(p, settings)[name]
    [tmpl] = doc["spec"]["templates"]
    return tmpl  # type: ignore[no-any-return]


def tasks(p: Program, name: str, settings: EmitSettings = SETTINGS) -> dict[str, dict[str, Any]]:
    return {t["name"]: t for t in template(p, name, settings)["dag"]["tasks"]}


# ---------------------------------------------------------------------------------------------- containers


def test_a_container_document_exactly() -> None:
    mode = Param("mode", LiteralT(("fast", "slow")), has_default=True, default="fast")
    p = program(container("p-work", (Param("count", INT), mode)))
    assert emit_program(p, SETTINGS) == [{
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "WorkflowTemplate",
        "metadata": {"name": "p-work"},
        "spec": {
            "entrypoint": "p-work",
            "arguments": {"parameters": [{"name": "count"},
                                         {"name": "mode", "value": '"fast"', "enum": ['"fast"', '"slow"']}]},
            "templates": [{
                "name": "p-work",
                "inputs": {
                    "parameters": [{"name": "count"},
                                   {"name": "mode", "default": '"fast"', "enum": ['"fast"', '"slow"']}],
                    "artifacts": [BUNDLE],
                },
                "outputs": {"parameters": [{"name": "return", "valueFrom": {"path": "/athena/result"}}]},
                "container": {
                    "image": "busybox:1.36",
                    "command": ["/bin/sh", "-c"],
                    "args": [bootstrap_script(("x86_64",)), "--", "{{inputs.parameters.count}}",
                             "{{inputs.parameters.mode}}"],
                    "env": [{"name": "ATHENA_TEMPLATE", "value": "p-work"},
                            {"name": "ATHENA_ENTRY", "value": "m:p-work"},
                            {"name": "ATHENA_BUNDLE", "value": "d1"}],
                    "volumeMounts": [{"name": "athena-work", "mountPath": "/athena"},
                                     {"name": "athena-tmp", "mountPath": "/tmp"}],
                    "securityContext": CONTAINER_SECURITY,
                },
                "volumes": [{"name": "athena-work", "emptyDir": {}}, {"name": "athena-tmp", "emptyDir": {}}],
                "securityContext": POD_SECURITY,
            }],
        },
    }]


def test_a_container_returning_none_has_no_outputs_and_enum_params_list_their_values() -> None:
    color = EnumT("Color", ("red", "blue"), cls=object)
    tmpl = template(program(container("p-say", (Param("color", color, True, "red"),), returns=NONE)), "p-say")
    assert "outputs" not in tmpl
    assert tmpl["inputs"]["parameters"] == [{"name": "color", "default": '"red"', "enum": ['"red"', '"blue"']}]


def test_tmp_volume_false_mounts_only_the_work_volume() -> None:
    tmpl = template(program(container("p-work", tmp_volume=False)), "p-work")
    assert tmpl["container"]["volumeMounts"] == [{"name": "athena-work", "mountPath": "/athena"}]
    assert tmpl["volumes"] == [{"name": "athena-work", "emptyDir": {}}]


def test_artifact_params_and_return() -> None:
    doc = ArtifactT(STR)
    p = program(container("p-pack", (Param("doc", doc), Param("level", INT)), returns=doc))
    tmpl = template(p, "p-pack")
    assert tmpl["inputs"] == {"parameters": [{"name": "level"}],
                              "artifacts": [BUNDLE, {"name": "doc", "path": "/athena/in/doc",
                                                     "archive": {"none": {}}}]}
    key = "athena-runs/{{workflow.uid}}/{{pod.name}}/return"
    assert tmpl["outputs"] == {
        "parameters": [{"name": "return", "valueFrom": {"path": "/athena/result"}}],
        "artifacts": [{"name": "return", "path": "/athena/out/return", "archive": {"none": {}}, "s3": {"key": key}}],
    }
    assert tmpl["container"]["args"][1:] == ["--", "{{inputs.parameters.level}}"]  # no slot for the artifact
    assert tmpl["container"]["env"][-1] == {"name": "ATHENA_RETURN_KEY", "value": key}
    # the root's arguments carry only value parameters
    assert emit(p)["p-pack"]["spec"]["arguments"] == {"parameters": [{"name": "level"}]}


def test_input_artifacts_are_never_unpacked_but_the_bundle_is() -> None:
    # Without `archive`, Argo sniffs the file and unpacks a tarball: a .tar.gz under a key must arrive as is.
    c = Container(name="p-load", entry="m:p-load", function="p-load", params=(), returns=INT,
                  options=OPTS, ports=Ports(artifacts_in=(("data/x.tar.gz", False), ("notes.txt", True))))
    arts = template(program(c), "p-load")["inputs"]["artifacts"]
    assert arts[0] == BUNDLE and "archive" not in arts[0]
    assert [a["archive"] for a in arts[1:]] == [{"none": {}}, {"none": {}}]
    assert arts[2]["optional"] is True


def test_container_options() -> None:
    retry = RetrySpec(limit=3, policy="OnFailure", backoff_seconds=30, factor=2, cap_seconds=60,
                      max_duration_seconds=600, on_exit_codes=(1, 75))
    c = container("p-work", (Param("tag", STR),), image="ghcr.io/acme/app:{tag}", service_account="sa-{tag}",
                  node_selector=(("disk", "ssd"), ("tag", "{tag}")), retry=retry, timeout_seconds=5400,
                  pod_running_timeout_seconds=60, labels=(("team", "data"),), annotations=(("owner", "ops"),),
                  image_pull_secrets=("regcred",))
    tmpl = template(program(c), "p-work")
    assert tmpl["metadata"] == {"annotations": {"owner": "ops"}, "labels": {"team": "data"}}
    tag = "{{=fromJSON(inputs.parameters['tag'])}}"  # a str parameter is JSON text: decoded in place
    assert tmpl["container"]["image"] == f"ghcr.io/acme/app:{tag}"
    assert tmpl["serviceAccountName"] == f"sa-{tag}"
    assert tmpl["nodeSelector"] == {"disk": "ssd", "tag": tag}
    assert tmpl["retryStrategy"] == {
        "limit": 3, "retryPolicy": "OnFailure",
        "backoff": {"duration": "30s", "factor": 2, "maxDuration": "600s", "cap": "60s"},
        "expression": "asInt(lastRetry.exitCode) in [1, 75]",
    }
    assert (tmpl["timeout"], tmpl["activeDeadlineSeconds"]) == ("5400s", 60)


def test_settings_reach_every_container() -> None:
    settings = dataclasses.replace(SETTINGS, run_as_user=1000, s3={"bucket": "b", "region": "r"},
                                   default_image="python:3.12-slim", targets=("x86_64", "aarch64"))
    tmpl = template(program(container("p-work")), "p-work", settings)
    assert tmpl["securityContext"] == {"runAsNonRoot": True, "runAsUser": 1000, "runAsGroup": 1000,
                                       "seccompProfile": {"type": "RuntimeDefault"}}
    assert tmpl["inputs"]["artifacts"] == [{**BUNDLE, "s3": {"bucket": "b", "region": "r",
                                                             "key": "athena/p/d1/bundle.tar.gz"}}]
    assert tmpl["container"]["image"] == "python:3.12-slim"
    assert tmpl["container"]["args"] == [bootstrap_script(("x86_64", "aarch64")), "--"]


# ---------------------------------------------------------------------------------------------------- dags


WORK = container("p-work", (Param("value", INT),))
DAG_PARAMS = (Param("count", INT), Param("names", ListT(STR)))


def test_a_dag_document_exactly() -> None:
    wf = workflow("p-flow", (Task("a", "p-work", (("value", Input("count")),)),
                             Task("b", "p-work", (("value", TaskOut("a")),), deps=("a",))),
                  params=(Param("count", INT),), returns=INT, result=TaskOut("b"))
    assert emit(program(WORK, wf))["p-flow"] == {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "WorkflowTemplate",
        "metadata": {"name": "p-flow"},
        "spec": {
            "entrypoint": "p-flow",
            "arguments": {"parameters": [{"name": "count"}]},
            "templates": [{
                "name": "p-flow",
                "inputs": {"parameters": [{"name": "count"}]},
                "outputs": {"parameters": [{"name": "return",
                                            "valueFrom": {"parameter": "{{tasks.b.outputs.parameters.return}}"}}]},
                "dag": {"tasks": [
                    {"name": "a", "templateRef": {"name": "p-work", "template": "p-work"},
                     "arguments": {"parameters": [{"name": "value", "value": "{{inputs.parameters.count}}"}]}},
                    {"name": "b", "templateRef": {"name": "p-work", "template": "p-work"},
                     "arguments": {"parameters": [{"name": "value", "value": "{{tasks.a.outputs.parameters.return}}"}]},
                     "dependencies": ["a"]},
                ]},
            }],
        },
    }


def test_dependencies_are_sorted_and_deduplicated() -> None:
    wf = workflow("p-flow", (Task("z", "p-work", (("value", Lit(1)),)), Task("a", "p-work", (("value", Lit(2)),)),
                             Task("m", "p-work", (("value", Lit(3)),), deps=("z", "a", "z", "a"))))
    got = tasks(program(WORK, wf), "p-flow")
    assert got["m"]["dependencies"] == ["a", "z"]
    assert "dependencies" not in got["z"]
    assert got["m"]["arguments"] == {"parameters": [{"name": "value", "value": "3"}]}


def test_argument_forms() -> None:
    args = (("value", TaskOut("a", ("rows", 0))),)
    wf = workflow("p-flow", (Task("a", "p-work", (("value", Lit({"k": ["é", None]})),)),
                             Task("b", "p-work", args, deps=("a",)),
                             Task("c", "p-work", (("value", Input("count", ("x",))),))), params=DAG_PARAMS)
    got = tasks(program(WORK, wf), "p-flow")
    assert got["a"]["arguments"]["parameters"][0]["value"] == '{"k":["é",null]}'
    assert got["b"]["arguments"]["parameters"][0]["value"] == (
        "{{=%s}}" % safe_json("toJson(fromJSON(tasks['a'].outputs.parameters['return'])['rows'][0])"))
    assert got["c"]["arguments"]["parameters"][0]["value"] == (
        "{{=%s}}" % safe_json("toJson(fromJSON(inputs.parameters['count'])['x'])"))


def test_when() -> None:
    cond = BoolOp("and", (Compare(">", Input("count"), Lit(5)), Not(IsNone(TaskOut("a"))),
                          InLits(Input("count"), (1, "two", None), negated=True), Truth(TaskOut("a", ("ok",)))))
    wf = workflow("p-flow", (Task("a", "p-work", (("value", Lit(1)),)),
                             Task("b", "p-work", (("value", Lit(2)),), deps=("a",), when=cond)), params=DAG_PARAMS)
    got = tasks(program(WORK, wf), "p-flow")
    assert got["b"]["when"] == (
        "{{= (fromJSON(inputs.parameters['count']) > 5) && "
        "(!(fromJSON(tasks['a'].outputs.parameters['return']) == nil)) && "
        "(!(fromJSON(inputs.parameters['count']) in [1, 'two', nil])) && "
        "(fromJSON(tasks['a'].outputs.parameters['return'])['ok'] == true) }}")
    assert "when" not in got["a"]


def test_with_param_over_a_task_an_input_and_a_literal() -> None:
    item = (("value", Item(("size",))),)
    wf = workflow("p-flow", (
        Task("a", "p-work", (("value", Lit(1)),)),
        Task("over-task", "p-work", item, deps=("a",), fan_over=TaskOut("a", ("shards",))),
        Task("over-input", "p-work", (("value", Item()),), fan_over=Input("names")),
        Task("over-literal", "p-work", (("value", Item()),), fan_over=Lit([1, "b"])),
    ), params=DAG_PARAMS)
    got = tasks(program(WORK, wf), "p-flow")
    # Compact toJson: each child's node name embeds its item (the indenting toJSON would make it multi-line).
    assert got["over-task"]["withParam"] == (
        "{{=toJson(map(fromJSON(tasks['a'].outputs.parameters['return'])['shards'], { %s }))}}"
        % safe_json("toJson(#)"))
    assert got["over-task"]["arguments"]["parameters"] == [
        {"name": "value", "value": "{{=%s}}" % safe_json("toJson(fromJSON(item)['size'])")}]
    assert got["over-input"]["withParam"] == (
        "{{=toJson(map(fromJSON(inputs.parameters['names']), { %s }))}}" % safe_json("toJson(#)"))
    assert got["over-input"]["arguments"]["parameters"] == [{"name": "value", "value": "{{item}}"}]
    assert got["over-literal"]["withParam"] == '["1","\\"b\\""]'


def test_json_texts_are_argo_safe() -> None:
    """DESIGN §5.1.7: literals, defaults, enum values and literal fan-out items write `$` as \\u0024 and `{{` as
    {\\u007b, so Argo's second substitution and the kubelet's $(VAR)/$$ expansion leave them alone."""
    hostile = "cost $$5 $(HOME) {{workflow.name}} {{inputs.parameters.x}}"
    safe = '"cost \\u0024\\u00245 \\u0024(HOME) {\\u007bworkflow.name}} {\\u007binputs.parameters.x}}"'
    mode = Param("mode", LiteralT((hostile, "plain")), has_default=True, default=hostile)
    work = container("p-work", (Param("value", INT),))
    p = program(work, container("p-mode", (mode,)),
                workflow("p-flow", (Task("a", "p-work", (("value", Lit({"k": hostile})),)),
                                    Task("f", "p-work", (("value", Item()),), fan_over=Lit([hostile, 1]))),
                         params=(mode,)))
    spec = emit(p)["p-mode"]["spec"]
    assert spec["arguments"]["parameters"] == [{"name": "mode", "value": safe, "enum": [safe, '"plain"']}]
    assert spec["templates"][0]["inputs"]["parameters"] == [{"name": "mode", "default": safe,
                                                             "enum": [safe, '"plain"']}]
    got = tasks(p, "p-flow")
    assert got["a"]["arguments"]["parameters"][0]["value"] == '{"k":%s}' % safe
    assert got["f"]["withParam"] == json.dumps([safe, "1"], separators=(",", ":"))
    for text in (safe, got["f"]["withParam"], got["a"]["arguments"]["parameters"][0]["value"]):
        assert "$" not in text and "{{" not in text


def test_continue_on() -> None:
    wf = workflow("p-flow", (Task("a", "p-work", (("value", Lit(1)),), continue_on=("failed", "error")),
                             Task("b", "p-work", (("value", Lit(2)),))))
    got = tasks(program(WORK, wf), "p-flow")
    assert got["a"]["continueOn"] == {"failed": True, "error": True}
    assert "continueOn" not in got["b"]


def test_hooks_are_numbered_in_order_and_exit_is_named() -> None:
    alarm, clean = container("p-alarm", returns=NONE), container("p-clean", (Param("value", INT),), returns=NONE)
    hooks = (
        Hook("failure", "p-alarm"),
        Hook("exit", "p-clean", args=(("value", Input("count")),)),
        Hook("expr", "p-alarm", expression="{self}.status == 'Running'"),
        Hook("success", "p-alarm"),
        Hook("error", "p-alarm"),
    )
    wf = workflow("p-flow", (Task("t", "p-work", (("value", Lit(1)),), hooks=hooks),), params=DAG_PARAMS)
    got = tasks(program(WORK, alarm, clean, wf), "p-flow")["t"]["hooks"]
    ref = {"name": "p-alarm", "template": "p-alarm"}
    assert got == {
        "hook1": {"templateRef": ref, "expression": "tasks['t'].status == \"Failed\""},
        "exit": {"templateRef": {"name": "p-clean", "template": "p-clean"},
                 "arguments": {"parameters": [{"name": "value", "value": "{{inputs.parameters.count}}"}]}},
        "hook2": {"templateRef": ref, "expression": "tasks['t'].status == 'Running'"},
        "hook3": {"templateRef": ref, "expression": "tasks['t'].status == \"Succeeded\""},
        "hook4": {"templateRef": ref, "expression": "tasks['t'].status == \"Error\""},
    }
    assert list(got) == ["hook1", "exit", "hook2", "hook3", "hook4"]


def test_arm_merge_output() -> None:
    wf = workflow("p-if1", (Task("arm0", "p-work", (("value", Lit(1)),)),
                            Task("arm1", "p-work", (("value", Lit(2)),)),
                            Task("arm2", "p-work", (("value", Lit(3)),))),
                  returns=INT, result=ArmMerge(("arm0", "arm1", "arm2")), synthetic=True)
    tmpl = template(program(WORK, wf), "p-if1")
    assert tmpl["outputs"] == {"parameters": [{"name": "return", "valueFrom": {
        "expression": "tasks['arm0'].status == 'Succeeded' ? tasks['arm0'].outputs.parameters['return'] : "
                      "(tasks['arm1'].status == 'Succeeded' ? tasks['arm1'].outputs.parameters['return'] : "
                      "(tasks['arm2'].outputs.parameters['return']))",
        "default": "null"}}]}


def test_arm_merge_of_artifacts_also_picks_the_artifact() -> None:
    art = container("p-art", returns=ArtifactT(STR))
    wf = workflow("p-if1", (Task("arm0", "p-art", ()), Task("arm1", "p-art", ())), returns=ArtifactT(STR),
                  result=ArmMerge(("arm0", "arm1")), synthetic=True)
    outputs = template(program(art, wf), "p-if1")["outputs"]
    assert outputs["artifacts"] == [{"name": "return", "fromExpression":
                                     "tasks['arm0'].status == 'Succeeded' ? tasks['arm0'].outputs.artifacts['return']"
                                     " : (tasks['arm1'].outputs.artifacts['return'])"}]


def test_aggregate_output_defaults_to_an_empty_list() -> None:
    wf = workflow("p-fan", (Task("xs", "p-work", (("value", Item()),), fan_over=Input("names")),),
                  params=DAG_PARAMS, returns=ListT(INT), result=TaskOut("xs", mode="aggregate"))
    tmpl = template(program(WORK, wf), "p-fan")
    assert tmpl["outputs"] == {"parameters": [{"name": "return", "valueFrom": {
        "expression": "(let p = tasks?.['xs']?.outputs?.parameters; "
                      "let r = (type(p) == 'map' ? p?.['return'] : nil) ?? '[]'; "
                      "let s = r == '' || r == 'null' ? '[]' : r; "
                      + safe_json("toJson(map(fromJSON(s), { type(#) == 'string' ? fromJSON(#) : # }))") + ")",
        "default": "[]"}}]}


def test_outcome_argument() -> None:
    wf = workflow("p-flow", (Task("a", "p-work", (("value", Lit(1)),), continue_on=("failed",)),
                             Task("b", "p-work", (("value", TaskOut("a", mode="outcome")),), deps=("a",))))
    value = tasks(program(WORK, wf), "p-flow")["b"]["arguments"]["parameters"][0]["value"]
    assert value == (
        "{{=(let g = tasks?.['a']; let c = g?.exitCode; "
        + safe_json("toJson({'value': g?.status == 'Succeeded' ? "
                    "fromJSON(g?.outputs?.parameters?.['return'] ?? 'null') : nil, 'phase': g?.status ?? 'Failed', "
                    "'exit_code': c == nil ? nil : int(c)} )") + ")}}")


def test_artifact_arguments_are_artifacts_not_parameters() -> None:
    art = container("p-art", returns=ArtifactT(STR))
    size = container("p-size", (Param("doc", ArtifactT(STR)), Param("level", INT)))
    wf = workflow("p-flow", (Task("a", "p-art", ()),
                             Task("b", "p-size", (("doc", TaskOut("a")), ("level", Lit(9))), deps=("a",)),
                             Task("c", "p-size", (("doc", Input("doc")), ("level", Lit(1))))),
                  params=(Param("doc", ArtifactT(STR)),), returns=ArtifactT(STR), result=TaskOut("a"))
    p = program(art, size, wf)
    tmpl = template(p, "p-flow")
    got = {t["name"]: t for t in tmpl["dag"]["tasks"]}
    assert got["b"]["arguments"] == {"parameters": [{"name": "level", "value": "9"}],
                                     "artifacts": [{"name": "doc", "from": "{{tasks.a.outputs.artifacts.return}}"}]}
    assert got["c"]["arguments"]["artifacts"] == [{"name": "doc", "from": "{{inputs.artifacts.doc}}"}]
    assert tmpl["inputs"] == {"artifacts": [{"name": "doc"}]}
    assert tmpl["outputs"]["artifacts"] == [{"name": "return", "from": "{{tasks.a.outputs.artifacts.return}}"}]
    assert "arguments" not in emit(p)["p-flow"]["spec"]  # an artifact input is no Argo parameter


def test_steps_mode() -> None:
    wf = workflow("p-steps", (Task("a", "p-work", (("value", Lit(1)),)),
                              Task("b", "p-work", (("value", TaskOut("a")),), deps=("a",),
                                   when=Compare("==", TaskOut("a"), Lit(1)))),
                  returns=INT, result=TaskOut("b"), steps=True)
    tmpl = template(program(WORK, wf), "p-steps")
    assert "dag" not in tmpl
    [[a], [b]] = tmpl["steps"]
    assert a["name"] == "a"
    assert b["arguments"]["parameters"][0]["value"] == "{{steps.a.outputs.parameters.return}}"
    assert "dependencies" not in b  # steps run in order
    assert b["when"] == "{{= fromJSON(steps['a'].outputs.parameters['return']) == 1 }}"
    assert tmpl["outputs"]["parameters"][0]["valueFrom"] == {"parameter": "{{steps.b.outputs.parameters.return}}"}


def test_workflow_options_and_synthetic_templates() -> None:
    options = TemplateOptions(parallelism=2, node_selector=(("pool", "batch"),), labels=(("app", "x"),),
                              annotations=(("owner", "ml"),),
                              retry=RetrySpec(limit=1, policy="Always", backoff_seconds=None, factor=None,
                                              cap_seconds=None, max_duration_seconds=None, on_exit_codes=()))
    body = (Task("a", "p-work", (("value", Lit(1)),)),)
    p = program(WORK, workflow("p-flow", body, options=options), workflow("p-syn", body, options=options,
                                                                           synthetic=True), roots=("p-flow",))
    docs = emit(p)
    flow = docs["p-flow"]
    assert flow["metadata"] == {"name": "p-flow", "labels": {"app": "x"}, "annotations": {"owner": "ml"}}
    assert flow["spec"]["podMetadata"] == {"labels": {"app": "x"}, "annotations": {"owner": "ml"}}
    assert flow["spec"]["nodeSelector"] == {"pool": "batch"}
    [tmpl] = flow["spec"]["templates"]
    assert (tmpl["parallelism"], tmpl["retryStrategy"], tmpl["nodeSelector"]) == (
        2, {"limit": 1, "retryPolicy": "Always"}, {"pool": "batch"})
    # a synthetic template (an if/fan-out wrapper) is never a root: no root fields, no own retry/parallelism
    syn = docs["p-syn"]
    assert syn["metadata"] == {"name": "p-syn"}
    assert set(syn["spec"]) == {"entrypoint", "templates"}
    assert "parallelism" not in syn["spec"]["templates"][0] and "retryStrategy" not in syn["spec"]["templates"][0]


# --------------------------------------------------------------------------------------- roots and order


def test_root_only_fields() -> None:
    options = TemplateOptions(parallelism_if_root=10, on_exit_if_root="p-done", pod_gc_if_root="OnWorkflowSuccess",
                              ttl_if_root=TTLSpec(after_completion=86400, after_success=None, after_failure=60),
                              active_deadline_if_root_seconds=3600)
    done = container("p-done", returns=NONE)
    pulls = container("p-pull", returns=NONE, image_pull_secrets=("zeta", "alpha"))
    wf = workflow("p-root", (Task("a", "p-pull", ()),), options=options)
    settings = dataclasses.replace(SETTINGS, service_account="runner", image_pull_secrets=("alpha", "beta"))
    spec = emit(program(done, pulls, wf), settings)["p-root"]["spec"]
    assert {k: v for k, v in spec.items() if k not in ("entrypoint", "templates")} == {
        "serviceAccountName": "runner",
        "imagePullSecrets": [{"name": "alpha"}, {"name": "beta"}, {"name": "zeta"}],
        "parallelism": 10,
        "hooks": {"exit": {"templateRef": {"name": "p-done", "template": "p-done"}}},
        "ttlStrategy": {"secondsAfterCompletion": 86400, "secondsAfterFailure": 60},
        "podGC": {"strategy": "OnWorkflowSuccess"},
        "activeDeadlineSeconds": 3600,
    }


def test_callees_come_first() -> None:
    leaf, side = container("c-leaf"), container("a-side", returns=NONE)
    mid = workflow("b-mid", (Task("x", "c-leaf", ()),))
    top = workflow("a-top", (Task("m", "b-mid", ()), Task("h", "c-leaf", (), hooks=(Hook("exit", "a-side"),))))
    names = [d["metadata"]["name"] for d in emit_program(program(top, mid, leaf, side, roots=("a-top",)), SETTINGS)]
    # every template after the templates it refers to (tasks and hooks); otherwise by name
    assert names == ["a-side", "c-leaf", "b-mid", "a-top"]


def test_a_containers_exit_template_comes_first() -> None:
    done = container("z-done", returns=NONE)
    names = [d["metadata"]["name"] for d in emit_program(program(container("a-work", on_exit_if_root="z-done"),
                                                                 done), SETTINGS)]
    assert names == ["z-done", "a-work"]


def test_a_workflows_exit_template_comes_first() -> None:
    done = container("z-done", returns=NONE)
    top = workflow("a-top", (Task("w", "p-work", (("value", Lit(1)),)),),
                   options=TemplateOptions(on_exit_if_root="z-done"))
    names = [d["metadata"]["name"] for d in emit_program(program(WORK, done, top, roots=("a-top",)), SETTINGS)]
    assert names.index("z-done") < names.index("a-top")


def test_name_tag_namespace_and_workflow_document() -> None:
    wf = workflow("p-flow", (Task("a", "p-work", (("value", Lit(1)),)),))
    settings = dataclasses.replace(SETTINGS, name_tag="1.2.0", namespace="team-a", service_account="runner")
    docs = emit_program(program(WORK, wf), settings, with_workflow=True)
    assert [(d["kind"], d["metadata"]) for d in docs] == [
        ("WorkflowTemplate", {"name": "p-work-1-2-0", "namespace": "team-a"}),
        ("WorkflowTemplate", {"name": "p-flow-1-2-0", "namespace": "team-a"}),
        ("Workflow", {"generateName": "p-flow-", "namespace": "team-a"}),
    ]
    # the template inside keeps its untagged name; the reference names the tagged document
    assert docs[1]["spec"]["templates"][0]["dag"]["tasks"][0]["templateRef"] == {"name": "p-work-1-2-0",
                                                                                  "template": "p-work"}
    assert docs[2]["spec"] == {"workflowTemplateRef": {"name": "p-flow-1-2-0"}, "serviceAccountName": "runner"}


def test_with_workflow_only_for_root_workflows() -> None:
    wf = workflow("p-flow", (Task("a", "p-work", (("value", Lit(1)),)),))
    docs = emit_program(program(WORK, wf, roots=("p-work", "p-flow")), SETTINGS, with_workflow=True)
    assert [d["kind"] for d in docs] == ["WorkflowTemplate", "WorkflowTemplate", "Workflow"]
    assert emit_program(program(WORK, wf), SETTINGS) == docs[:2]


def test_bool_and_none_params() -> None:
    c = container("p-flag", (Param("flag", BOOL, True, False), Param("note", STR, True, None)), returns=NONE)
    assert template(program(c), "p-flag")["inputs"]["parameters"] == [
        {"name": "flag", "default": "false"}, {"name": "note", "default": "null"}]
