"""DAG scheduling, ``depends``, ``when``, parameters and outputs (reference/argo-semantics.md §4-§7, §10)."""

from __future__ import annotations

from tests.local.run.conftest import node

ECHO = """
  - name: echo
    inputs: {parameters: [{name: msg}]}
    container: {image: alpine, command: [sh, -c], args: ["echo '{{inputs.parameters.msg}}'"]}
  - name: fail
    container: {image: alpine, command: [sh, -c, "echo failing >&2; exit 3"]}
"""


def wf(body: str, extra: str = "", name: str = "w") -> str:
    return f"""
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {{name: {name}}}
spec:
  entrypoint: main
  arguments: {{parameters: [{{name: who, value: world}}]}}
  templates:
  - name: main
{body}
{ECHO}
{extra}
"""


def test_parameters_flow_and_result_is_captured_only_when_referenced(run) -> None:
    # argo@v4.1.2:workflow/controller/operator.go:3510-3548: result captured only if the parent references it
    r = run(wf("""
    dag:
      tasks:
      - {name: a, template: echo, arguments: {parameters: [{name: msg, value: "hi {{workflow.parameters.who}}"}]}}
      - {name: b, template: echo, dependencies: [a],
         arguments: {parameters: [{name: msg, value: "{{tasks.a.outputs.result}}!"}]}}
"""))
    assert r.phase == "Succeeded", r
    assert node(r, "a").outputs["result"] == "hi world"
    assert "result" not in node(r, "b").outputs  # nobody references b's result
    assert node(r, "b").outputs["exitCode"] == "0"
    assert [n.display_name for n in r.nodes][1:] == ["a", "b"]
    assert r.nodes[0].name == r.name and node(r, "a").name == f"{r.name}.a"


def test_when_uses_govaluate_with_bare_words_and_expressions(run) -> None:
    r = run(wf("""
    dag:
      tasks:
      - {name: a, template: echo, arguments: {parameters: [{name: msg, value: heads}]}}
      - {name: hit, template: echo, dependencies: [a], when: "{{tasks.a.outputs.result}} == heads",
         arguments: {parameters: [{name: msg, value: y}]}}
      - {name: miss, template: echo, dependencies: [a], when: "{{=tasks.a.outputs.result == 'tails'}}",
         arguments: {parameters: [{name: msg, value: n}]}}
"""))
    assert r.phase == "Succeeded"
    assert node(r, "hit").phase == "Succeeded"
    assert node(r, "miss").phase == "Skipped" and node(r, "miss").message == "when 'false' evaluated false"


def test_when_that_govaluate_cannot_read_is_an_error(run) -> None:
    r = run(wf("""
    dag:
      tasks:
      - {name: a, template: echo, when: "{{workflow.parameters.who}} == {\\"a\\": 1}",
         arguments: {parameters: [{name: msg, value: x}]}}
"""))
    assert node(r, "a").phase == "Error" and "Invalid token" in node(r, "a").message
    assert r.phase == "Error"


def test_depends_failed_branch_and_omitted_cascade(run) -> None:
    # argo@v4.1.2:workflow/common/ancestry.go: bare names exclude Failed; Omitted cascades
    r = run(wf("""
    dag:
      tasks:
      - {name: a, template: fail}
      - {name: on-fail, template: echo, depends: a.Failed, arguments: {parameters: [{name: msg, value: handled}]}}
      - {name: next, template: echo, depends: a, arguments: {parameters: [{name: msg, value: x}]}}
      - {name: after, template: echo, depends: next, arguments: {parameters: [{name: msg, value: x}]}}
"""))
    assert node(r, "a").phase == "Failed" and node(r, "a").message == "Error (exit code 3)"
    assert node(r, "on-fail").phase == "Succeeded"
    assert node(r, "next").phase == "Omitted" and node(r, "after").phase == "Omitted"
    assert r.phase == "Failed"  # the omitted target inherits its branch's Failed


def test_continue_on_failed_keeps_the_dag_green(run) -> None:
    r = run(wf("""
    dag:
      tasks:
      - {name: a, template: fail, continueOn: {failed: true}}
      - {name: b, template: echo, dependencies: [a], arguments: {parameters: [{name: msg, value: ok}]}}
"""))
    assert node(r, "a").phase == "Failed" and node(r, "b").phase == "Succeeded"
    assert r.phase == "Succeeded"


def test_dag_outputs_parameter_and_expression_with_go_formatting(run) -> None:
    # §5.4: expression outputs are stored with Go %v (a list is not JSON)
    r = run(wf("""
    dag:
      tasks:
      - {name: a, template: echo, arguments: {parameters: [{name: msg, value: "[1, 2]"}]}}
    outputs:
      parameters:
      - {name: raw, valueFrom: {parameter: "{{tasks.a.outputs.result}}"}}
      - {name: v, valueFrom: {expression: "fromJSON(tasks.a.outputs.result)"}}
      - {name: j, valueFrom: {expression: "toJson(fromJSON(tasks.a.outputs.result))"}}
"""))
    assert r.outputs == {"raw": "[1, 2]", "v": "[1 2]", "j": "[1,2]"}


def test_output_path_trims_one_newline_and_default_applies(run) -> None:
    extra = """
  - name: out
    container: {image: alpine, command: [sh, -c, "printf 'x\\n\\n' > o.txt"]}
    outputs:
      parameters:
      - {name: o, valueFrom: {path: o.txt}}
      - {name: missing, valueFrom: {path: nope.txt, default: dflt}}
  - name: bad
    container: {image: alpine, command: [sh, -c, "true"]}
    outputs: {parameters: [{name: o, valueFrom: {path: nope.txt}}]}
"""
    r = run(wf("""
    dag:
      tasks:
      - {name: a, template: out}
      - {name: b, template: bad}
""", extra))
    assert node(r, "a").outputs["o"] == "x\n" and node(r, "a").outputs["missing"] == "dflt"
    assert node(r, "b").phase == "Error" and "nope.txt" in node(r, "b").message


def test_unknown_template_and_cycle_are_errors(run) -> None:
    r = run(wf("""
    dag:
      tasks:
      - {name: a, template: nope}
"""))
    assert node(r, "a").phase == "Error" and "template `nope` not found" in node(r, "a").message
    r = run(wf("""
    dag:
      tasks:
      - {name: a, template: echo, dependencies: [b], arguments: {parameters: [{name: msg, value: x}]}}
      - {name: b, template: echo, dependencies: [a], arguments: {parameters: [{name: msg, value: x}]}}
"""))
    assert r.phase == "Error" and "cycle" in (r.nodes[0].message or "")


def test_missing_input_is_an_error(run) -> None:
    r = run(wf("""
    dag:
      tasks:
      - {name: a, template: echo}
"""))
    assert node(r, "a").phase == "Error" and node(r, "a").message == "inputs.parameters.msg was not supplied"


def test_steps_groups_and_continue_on(run) -> None:
    r = run(wf("""
    steps:
    - - {name: one, template: echo, arguments: {parameters: [{name: msg, value: "1"}]}}
      - {name: bad, template: fail, continueOn: {failed: true}}
    - - {name: two, template: echo, arguments: {parameters: [{name: msg, value: "{{steps.one.outputs.result}}+"}]}}
    outputs:
      parameters:
      - {name: r, valueFrom: {parameter: "{{steps.two.outputs.result}}"}}
"""))
    assert r.phase == "Succeeded", r
    assert r.outputs == {"r": "1+"}
    assert node(r, "[0]").phase == "Succeeded" and node(r, "bad").phase == "Failed"
    r = run(wf("""
    steps:
    - - {name: bad, template: fail}
    - - {name: never, template: echo, arguments: {parameters: [{name: msg, value: x}]}}
"""))
    assert r.phase == "Failed" and all(n.display_name != "never" for n in r.nodes)


def test_templateref_resolves_in_the_referenced_template(run) -> None:
    r = run("""
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata: {name: lib}
spec:
  templates:
  - name: outer
    steps: [[{name: s, template: inner}]]
  - name: inner
    script: {image: alpine, command: [sh], source: "echo inner"}
---
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata: {name: top}
spec:
  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
      - {name: a, templateRef: {name: lib, template: outer}}
      - {name: b, templateRef: {name: nowhere, template: x}}
""", "top")
    assert node(r, "s").phase == "Succeeded" and node(r, "s").outputs["result"] == "inner"
    assert node(r, "b").phase == "Error" and "nowhere" in node(r, "b").message


SECRET_ENV = """
    container:
      image: alpine
      command: [sh, -c, "echo \\"$DB_PASSWORD\\""]
      env: [{name: DB_PASSWORD, valueFrom: {secretKeyRef: {name: db, key: password}}}]
"""


def test_a_secret_value_comes_from_the_environment_athena_run_runs_in(run, monkeypatch) -> None:
    monkeypatch.setenv("DB_PASSWORD", "s3cret")
    r = run(wf(SECRET_ENV))
    assert r.phase == "Succeeded", r
    assert r.nodes[0].outputs.get("exitCode", "0") == "0"


def test_a_secret_value_missing_from_the_environment_says_how_to_give_it(run, monkeypatch) -> None:
    monkeypatch.delenv("DB_PASSWORD", raising=False)
    r = run(wf(SECRET_ENV))
    assert r.phase in ("Error", "Failed")
    messages = " ".join(n.message or "" for n in r.nodes) + (r.message or "")
    assert "set DB_PASSWORD in the environment it runs in" in messages
def test_exit_code_is_tasks_name_exit_code_not_under_outputs(run) -> None:
    # argo@v4.1.2:util/variables/keys/noderef.go (".exitCode"), operator.go addNodeOutputsToLocalScope
    r = run(wf("""
    dag:
      tasks:
      - {name: a, template: fail}
      - {name: b, template: echo, depends: a.Failed,
         arguments: {parameters: [{name: msg, value: "{{tasks.a.exitCode}}|{{=tasks.a.exitCode}}|{{=tasks.a.outputs?.exitCode ?? 'none'}}"}]}}
    outputs:
      parameters: [{name: got, valueFrom: {parameter: "{{tasks.b.outputs.result}}"}}]
"""))
    assert node(r, "b").phase == "Succeeded", node(r, "b")
    assert r.outputs["got"] == "3|3|none"


def test_fail_fast_stops_scheduling_once_a_target_failed(run) -> None:
    # dag.go executeDAG/assessDAGPhase: with failFast (the default) a Failed target fulfils the DAG node at once,
    # so a task whose dependency is still running is never created; failFast: false lets it run.
    body = """
    dag:
      FAILFAST
      tasks:
      - {name: a, template: fail}
      - {name: b, template: slow}
      - {name: c, template: echo, depends: b, arguments: {parameters: [{name: msg, value: c}]}}
"""
    slow_template = """
  - name: slow
    container: {image: alpine, command: [sh, -c, "sleep 1.5; echo slow"]}
"""
    fast = run(wf(body.replace("FAILFAST", ""), slow_template))
    assert fast.phase == "Failed" and node(fast, "a").phase == "Failed"
    assert "c" not in [n.display_name for n in fast.nodes]
    slow = run(wf(body.replace("FAILFAST", "failFast: false"), slow_template))
    assert slow.phase == "Failed" and node(slow, "c").phase == "Succeeded"


def test_without_fail_fast_the_last_failing_target_in_sorted_order_decides(run) -> None:
    # dag.go findLeafTaskNames sorts the targets; assessDAGPhase (failFast off) keeps the last Failed/Error one
    missing = """
  - name: missing
    container: {image: alpine, command: [sh, -c, "true"]}
    outputs: {parameters: [{name: p, valueFrom: {path: /tmp/athena-never-written-xyz.txt}}]}
"""
    r = run(wf("""
    dag:
      failFast: false
      tasks:
      - {name: b-fails, template: fail}
      - {name: a-errors, template: missing}
""", missing))
    assert node(r, "b-fails").phase == "Failed" and node(r, "a-errors").phase == "Error"
    assert r.phase == "Failed"
