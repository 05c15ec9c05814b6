"""Fan-outs and aggregation exactly as Argo encodes it (reference/argo-semantics.md §9;
argo@v4.1.2:workflow/controller/operator.go:3743-3858 processAggregateNodeOutputs, dag.go expandTask)."""

from __future__ import annotations

from tests.local.run.conftest import node

TEMPLATES = """
  - name: emit
    inputs: {parameters: [{name: v}]}
    container: {image: alpine, command: [sh, -c], args: ["printf '%s' '{{inputs.parameters.v}}' > out"]}
    outputs: {parameters: [{name: o, valueFrom: {path: out}}]}
  - name: fail-on
    inputs: {parameters: [{name: v}]}
    container: {image: alpine, command: [sh, -c], args: ["test '{{inputs.parameters.v}}' != bad"]}
"""


def wf(body: str) -> str:
    return f"""
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {{name: fan}}
spec:
  entrypoint: main
  templates:
  - name: main
{body}
{TEMPLATES}
"""


def test_objects_are_embedded_scalars_become_strings() -> None:
    from athena.local.argo.context import aggregate

    assert aggregate(['{"a":1}', "[2]"]) == '[{"a":1},[2]]'
    assert aggregate(['{"a":1}', "3"]) == '["{\\"a\\":1}","3"]'
    assert aggregate([]) is None


def test_with_items_names_children_and_aggregates_in_index_order(run) -> None:
    r = run(wf("""
    dag:
      tasks:
      - {name: f, template: emit, withItems: [b, {k: 1}, 3], arguments: {parameters: [{name: v, value: "{{item}}"}]}}
    outputs:
      parameters: [{name: all, valueFrom: {parameter: "{{tasks.f.outputs.parameters.o}}"}}]
"""))
    assert r.phase == "Succeeded", r
    assert [n.display_name for n in r.nodes if n.display_name.startswith("f(")] == ["f(0:b)", "f(1:k:1)", "f(2:3)"]
    assert node(r, "f").name == f"{r.name}.f"
    assert r.outputs["all"] == '["b","{\\"k\\":1}","3"]'


def test_with_param_item_fields_and_embedded_objects(run) -> None:
    r = run(wf("""
    dag:
      tasks:
      - {name: f, template: emit, withParam: '[{"k": {"x": 1}}, {"k": [2]}]',
         arguments: {parameters: [{name: v, value: "{{item.k}}"}]}}
    outputs:
      parameters: [{name: all, valueFrom: {parameter: "{{tasks.f.outputs.parameters.o}}"}}]
"""))
    assert r.outputs["all"] == '[{"x":1},[2]]'


def test_empty_fan_out_is_skipped_and_has_no_aggregate(run) -> None:
    r = run(wf("""
    dag:
      tasks:
      - {name: f, template: emit, withParam: "[]", arguments: {parameters: [{name: v, value: "{{item}}"}]}}
    outputs:
      parameters:
      - {name: all, valueFrom: {expression: "tasks?.f?.outputs?.parameters?.o ?? 'none'"}}
"""))
    assert node(r, "f").phase == "Skipped" and node(r, "f").message == "Skipped, empty params"
    assert r.outputs["all"] == "none"


def test_bad_with_param_is_an_error(run) -> None:
    r = run(wf("""
    dag:
      tasks:
      - {name: f, template: emit, withParam: "not json", arguments: {parameters: [{name: v, value: "{{item}}"}]}}
"""))
    assert node(r, "f").phase == "Error" and "could not be parsed as a JSON list" in node(r, "f").message


def test_failed_child_fails_the_group_and_only_successes_aggregate(run) -> None:
    r = run(wf("""
    dag:
      tasks:
      - {name: f, template: fail-on, withItems: [ok, bad, fine], arguments: {parameters: [{name: v, value: "{{item}}"}]}}
"""))
    assert node(r, "f").phase == "Failed"
    assert [node(r, f"f({i})").phase for i in ("0:ok", "1:bad", "2:fine")] == ["Succeeded", "Failed", "Succeeded"]
    assert r.phase == "Failed"


def test_when_is_evaluated_per_item(run) -> None:
    r = run(wf("""
    dag:
      tasks:
      - {name: f, template: emit, withSequence: {count: "3"}, when: "{{item}} != 1",
         arguments: {parameters: [{name: v, value: "n{{item}}"}]}}
    outputs:
      parameters: [{name: all, valueFrom: {parameter: "{{tasks.f.outputs.parameters.o}}"}}]
"""))
    assert node(r, "f(1:1)").phase == "Skipped"
    assert r.outputs["all"] == '["n0","n2"]'


def test_parallelism_limits_children(run) -> None:
    r = run(wf("""
    parallelism: 1
    dag:
      tasks:
      - {name: f, template: emit, withItems: [a, b, c], arguments: {parameters: [{name: v, value: "{{item}}"}]}}
"""))
    kids = [n for n in r.nodes if n.display_name.startswith("f(")]
    assert r.phase == "Succeeded" and len(kids) == 3


def test_results_aggregate_as_raw_json_items(run) -> None:
    # processAggregateNodeOutputs parses each child's result into a wfv1.Item (json.RawMessage) and re-marshals
    # the list: numbers stay numbers, JSON strings stay strings, whitespace goes, `<` is escaped.
    r = run(wf("""
    dag:
      tasks:
      - {name: f, template: say, withItems: ["7", '"a b"', '{"k": "<x>"}'],
         arguments: {parameters: [{name: v, value: "{{item}}"}]}}
    outputs:
      parameters: [{name: all, valueFrom: {parameter: "{{tasks.f.outputs.result}}"}}]
  - name: say
    inputs: {parameters: [{name: v}]}
    container: {image: alpine, command: [sh, -c], args: ["printf '%s\\\\n' '{{inputs.parameters.v}}'"]}
"""))
    assert r.phase == "Succeeded", r
    assert r.outputs["all"] == '[7,"a b",{"k":"\\u003cx\\u003e"}]'


def test_a_result_that_is_not_json_errors_the_consumer(run) -> None:
    # dag.go buildLocalScopeFromTask returns processAggregateNodeOutputs' error; executeDAGTask marks the task Error
    r = run(wf("""
    dag:
      tasks:
      - {name: f, template: say, withItems: [alpha], arguments: {parameters: [{name: v, value: "{{item}}"}]}}
      - {name: g, template: say, depends: f, arguments: {parameters: [{name: v, value: "{{tasks.f.outputs.result}}"}]}}
  - name: say
    inputs: {parameters: [{name: v}]}
    container: {image: alpine, command: [sh, -c], args: ["echo '{{inputs.parameters.v}}'"]}
"""))
    assert node(r, "f(0:alpha)").phase == "Succeeded"
    assert node(r, "g").phase == "Error" and "is not JSON" in node(r, "g").message
    assert r.phase == "Error"


def test_all_failed_fan_out_still_sets_result_and_parameters_lists(run) -> None:
    r = run(wf("""
    dag:
      tasks:
      - {name: f, template: fail-on, withItems: [bad], arguments: {parameters: [{name: v, value: "{{item}}"}]},
         continueOn: {failed: true}}
      - name: g
        dependencies: [f]
        template: say
        arguments: {parameters: [{name: v, value: "{{tasks.f.outputs.parameters}}|{{=tasks.f.outputs.result}}"}]}
    outputs:
      parameters: [{name: got, valueFrom: {parameter: "{{tasks.g.outputs.result}}"}}]
  - name: say
    inputs: {parameters: [{name: v}]}
    container: {image: alpine, command: [sh, -c], args: ["echo '{{inputs.parameters.v}}'"]}
"""))
    assert r.outputs["got"] == "[]|[]", r
