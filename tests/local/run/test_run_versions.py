"""Behaviour that differs by Argo version (reference/argo-semantics.md §2, §3, §8; docs/upgrading.md
"v4.0.7 and v3.7.16" at argo@v4.1.2)."""

from __future__ import annotations

from tests.local.run.conftest import node

SKIPPED = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: skip}
spec:
  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
      - {name: a, template: produce, when: "false"}
      - {name: b, template: show, dependencies: [a], arguments: {parameters: [{name: x, value: "{{tasks.a.outputs.parameters.o}}"}]}}
    outputs:
      parameters: [{name: x, valueFrom: {parameter: "{{tasks.b.outputs.result}}"}}]
  - name: produce
    container: {image: alpine, command: [sh, -c, "echo 1 > o"]}
    outputs: {parameters: [{name: o, valueFrom: {path: o%s}}]}
  - name: show
    inputs: {parameters: [{name: x, default: input-default}]}
    script: {image: alpine, command: [sh], source: "echo '[{{inputs.parameters.x}}]'"}
"""


def test_skipped_output_default_on_new_lines(run) -> None:
    r = run(SKIPPED % ", default: out-default", argo_version="4.1")
    assert r.outputs == {"x": "[out-default]"}


def test_absent_skipped_output_is_dropped_so_the_input_default_applies(run) -> None:
    r = run(SKIPPED % "", argo_version="3.7.16")
    assert r.outputs == {"x": "[input-default]"}


def test_skipped_output_reference_stays_verbatim_on_old_lines(run) -> None:
    # argo@v3.6.19:workflow/controller/dag.go resolveDependencyReferences: template.Replace(..., allowUnresolved=true)
    # and nothing of a Skipped node in scope (the same up to v3.7.10 and v4.0.1)
    for version in ("3.6", "3.7.10", "4.0.1"):
        r = run(SKIPPED % "", argo_version=version)
        assert r.outputs == {"x": "[{{tasks.a.outputs.parameters.o}}]"}, version


def test_absent_reference_without_any_default_fails_the_consumer(run) -> None:
    # argo@v4.1.2:workflow/controller/scope.go markAbsentOptionalArgs + workflow/common/util.go ProcessArgs
    r = run((SKIPPED % "").replace("{name: x, default: input-default}", "{name: x}"), argo_version="4.1")
    assert node(r, "b").phase == "Error"
    assert "inputs.parameters.x: argument references an absent optional" in node(r, "b").message


def test_a_value_that_contains_a_tag_is_data_not_an_unresolved_reference(run) -> None:
    # ReplaceStrictAny checks the tags of the text it substitutes, not the text a value brought in
    r = run(SKIPPED % "", argo_version="3.6")
    assert r.phase == "Succeeded" and "{{tasks.a" in r.outputs["x"]


def test_an_output_parameter_named_result_is_not_the_stdout_result(run) -> None:
    text = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: res}
spec:
  entrypoint: main
  templates:
  - name: main
    dag: {tasks: [{name: a, template: t}]}
    outputs:
      parameters: [{name: result, valueFrom: {expression: "tasks.a.outputs.parameters.result + '!'"}}]
  - name: t
    script: {image: alpine, command: [sh], source: "echo stdout; printf param > /tmp/athena-res.txt"}
    outputs: {parameters: [{name: result, valueFrom: {path: /tmp/athena-res.txt}}]}
"""
    r = run(text)
    assert r.outputs == {"result": "param!"}, r


def test_skipped_output_hangs_on_3_7_11_to_15(run) -> None:
    r = run(SKIPPED % "", argo_version="3.7.12")
    assert node(r, "b").phase == "Error" and "requeues this task forever" in node(r, "b").message


NIL_OUTPUT = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: nil}
spec:
  entrypoint: main
  templates:
  - name: main
    dag:
      tasks: [{name: a, template: t}]
    outputs:
      parameters: [{name: x, valueFrom: {expression: "tasks.a.outputs?.parameters?.missing"}}]
  - name: t
    script: {image: alpine, command: [sh], source: "true"}
"""


def test_nil_output_expression_fails_on_new_lines_and_is_nil_text_before(run) -> None:
    new = run(NIL_OUTPUT, argo_version="4.0.7")
    assert new.phase == "Error" and "evaluated to nil" in (new.message or new.nodes[0].message or "")
    old = run(NIL_OUTPUT, argo_version="3.6")
    assert old.phase == "Succeeded" and old.outputs == {"x": "<nil>"}


def test_v4_admission_rejects_timeout_on_dag_templates(run) -> None:
    text = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: adm}
spec:
  entrypoint: main
  templates:
  - name: main
    timeout: 10s
    dag: {tasks: [{name: a, template: t}]}
  - name: t
    script: {image: alpine, command: [sh], source: "true"}
"""
    assert run(text, argo_version="3.7").phase == "Succeeded"
    r = run(text, argo_version="4.0")
    assert r.phase == "Error" and "only valid on leaf templates" in (r.message or "") and not r.nodes


def test_backoff_cap_is_ignored_on_3_6() -> None:
    from athena.argo.facts import parse_version
    from athena.local.run.retry import Plan

    s = {"limit": 3, "backoff": {"duration": "10", "factor": 2, "cap": "15"}}
    v36 = parse_version("3.6")
    v37 = parse_version("3.7")
    assert v36 is not None and v37 is not None
    assert Plan.of(s, 1.0, v36).cap is None
    assert Plan.of(s, 1.0, v37).cap == 15.0


def test_own_argument_outside_its_enum_is_rejected_but_a_submitted_one_is_not(run) -> None:
    # validate.go:1035-1048 checks a Parameter holding both value and enum; a submitted value is a new {name, value}
    text = """
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata: {name: enum}
spec:
  entrypoint: main
  arguments: {parameters: [{name: c, value: VALUE, enum: [red, green]}]}
  templates:
  - name: main
    script: {image: alpine, command: [sh], source: "true"}
"""
    bad = run(text.replace("VALUE", "purple"), argo_version="3.6")
    assert bad.phase == "Error" and not bad.nodes
    assert "spec.arguments.c.value should be present in spec.arguments.c.enum list" in (bad.message or "")
    assert run(text.replace("VALUE", "red"), arguments={"c": "purple"}).phase == "Succeeded"
