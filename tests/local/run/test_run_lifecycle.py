"""Retries, timeouts, hooks, exit handlers and suspend (reference/argo-semantics.md §11-§13;
argo@v4.1.2:workflow/controller/operator.go:1030-1210 processNodeRetries, :446-580 exit handler, hooks.go)."""

from __future__ import annotations

import time

from tests.local.run.conftest import node


def wf(body: str, spec: str = "", name: str = "lc") -> str:
    return f"""
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {{name: {name}}}
spec:
  entrypoint: main
{spec}
  templates:
  - name: main
{body}
  - name: ok
    script: {{image: alpine, command: [sh], source: "echo ok"}}
  - name: fail
    container: {{image: alpine, command: [sh, -c, "exit 2"]}}
  - name: status
    inputs: {{parameters: [{{name: s}}]}}
    script: {{image: alpine, command: [sh], source: "echo '{{{{inputs.parameters.s}}}}'"}}
"""


FLAKY = """
  - name: flaky
    retryStrategy: {limit: "%s", backoff: {duration: "1", factor: "2"%s}%s}
    container:
      image: alpine
      command: [sh, -c]
      args: ["test {{retries}} -ge %s"]
"""


def test_retry_until_success_names_attempts(run, tmp_path) -> None:
    r = run(wf("""
    dag:
      tasks: [{name: a, template: flaky}]
""") + FLAKY % ("3", "", "", "2"))
    assert r.phase == "Succeeded", r
    retry = node(r, "a")
    assert retry.attempts == 3 and retry.phase == "Succeeded"
    assert [node(r, f"a({i})").phase for i in range(3)] == ["Failed", "Failed", "Succeeded"]
    assert node(r, "a(0)").name == f"{r.name}.a(0)"


def test_retry_limit_counts_retries(run) -> None:
    r = run(wf("""
    dag:
      tasks: [{name: a, template: flaky}]
""") + FLAKY % ("1", "", "", "2"))
    assert node(r, "a").phase == "Failed" and node(r, "a").attempts == 2
    assert node(r, "a").message == "No more retries left"


def test_retry_expression_and_policy(run) -> None:
    r = run(wf("""
    dag:
      tasks: [{name: a, template: flaky}]
""") + FLAKY % ("5", "", ", expression: \"asInt(lastRetry.exitCode) == 7\"", "2"))
    assert node(r, "a").attempts == 1
    assert node(r, "a").message == "retryStrategy.expression evaluated to false"
    r = run(wf("""
    dag:
      tasks: [{name: a, template: flaky}]
""") + FLAKY % ("5", "", ", retryPolicy: OnError", "2"))
    assert node(r, "a").attempts == 1 and node(r, "a").phase == "Failed"


def test_backoff_max_duration(run) -> None:
    r = run(wf("""
    dag:
      tasks: [{name: a, template: flaky}]
""") + FLAKY % ("10", ", maxDuration: \"2\"", "", "99"), time_scale=0.1)
    assert node(r, "a").message == "Backoff would exceed max duration limit"


def test_timeout_kills_the_step(run) -> None:
    started = time.monotonic()
    r = run(wf("""
    dag:
      tasks: [{name: a, template: slow}]
""") + """
  - name: slow
    timeout: 100s
    container: {image: alpine, command: [sh, -c, "sleep 30"]}
""", time_scale=0.01)
    assert time.monotonic() - started < 15
    assert node(r, "a").phase == "Failed" and node(r, "a").message == "Step exceeded its deadline"
    assert r.phase == "Failed"


def test_workflow_deadline(run) -> None:
    r = run(wf("""
    dag:
      tasks: [{name: a, template: slow}, {name: b, template: ok, dependencies: [a]}]
""", "  activeDeadlineSeconds: 100") + """
  - name: slow
    container: {image: alpine, command: [sh, -c, "sleep 30"]}
""", time_scale=0.01)
    assert r.phase == "Failed" and node(r, "a").phase == "Failed"
    assert all(n.display_name != "b" or n.phase != "Succeeded" for n in r.nodes)


def test_exit_handler_sees_status_and_failing_exit_fails_the_workflow(run) -> None:
    text = wf("""
    dag:
      tasks: [{name: a, template: fail}]
""", """  hooks:
    exit:
      template: status
      arguments: {parameters: [{name: s, value: "{{workflow.status}}"}]}""")
    r = run(text)
    exit_node = node(r, "onExit")
    assert exit_node.name == f"{r.name}.onExit" and exit_node.outputs["result"] == "Failed"
    assert r.phase == "Failed"
    text = wf("""
    dag:
      tasks: [{name: a, template: ok}]
""", """  onExit: fail""")
    r = run(text)
    assert node(r, "a").phase == "Succeeded" and node(r, "onExit").phase == "Failed"
    assert r.phase == "Failed" and r.message == "Error (exit code 2)"


def test_task_exit_hook_and_expression_hook(run) -> None:
    r = run(wf("""
    dag:
      tasks:
      - name: a
        template: fail
        hooks:
          exit: {template: status, arguments: {parameters: [{name: s, value: "{{tasks.a.status}}"}]}}
          failed: {expression: "tasks.a.status == 'Failed'", template: ok}
          never: {expression: "tasks.a.status == 'Succeeded'", template: ok}
      - {name: b, template: ok, depends: a.Failed}
"""))
    assert node(r, "a.onExit").outputs["result"] == "Failed"
    assert node(r, "a.hooks.failed").phase == "Succeeded"
    assert all(n.display_name != "a.hooks.never" for n in r.nodes)
    assert node(r, "b").phase == "Succeeded"
    order = [n.display_name for n in r.nodes]
    assert order.index("a.onExit") < order.index("b")  # dependents wait for the hooks


def test_workflow_expression_hook_fires_once(run) -> None:
    r = run(wf("""
    dag:
      tasks: [{name: a, template: ok}]
""", """  hooks:
    running: {expression: "workflow.status == 'Running'", template: ok}"""))
    hooks = [n for n in r.nodes if n.name.endswith(".hooks.running")]
    assert len(hooks) == 1 and hooks[0].phase == "Succeeded"


SUSPEND = """
  - name: approve
    suspend: {}
    outputs:
      parameters:
      - {name: return, valueFrom: {supplied: {}, default: "false"}, enum: ["true", "false"]}
  - name: wait
    suspend: {duration: "100"}
  - name: hold
    suspend: {}
"""


def test_suspend_supplied_answers_default_and_duration(run) -> None:
    body = """
    dag:
      tasks:
      - {name: ask, template: approve}
      - {name: pause, template: wait}
    outputs:
      parameters: [{name: r, valueFrom: {parameter: "{{tasks.ask.outputs.parameters.return}}"}}]
"""
    started = time.monotonic()
    r = run(wf(body) + SUSPEND, time_scale=0.01)
    assert time.monotonic() - started < 10
    assert r.outputs == {"r": "false"} and node(r, "pause").phase == "Succeeded"
    r = run(wf(body) + SUSPEND, answers={"return": "true"})
    assert r.outputs == {"r": "true"}


def test_suspend_without_answer_fails_clearly(run) -> None:
    r = run(wf("""
    dag:
      tasks: [{name: h, template: hold}]
""") + SUSPEND)
    assert node(r, "h").phase == "Failed" and "--answer h=" in node(r, "h").message
    r = run(wf("""
    dag:
      tasks: [{name: h, template: hold}]
""") + SUSPEND, answers={"h": "resume"})
    assert r.phase == "Succeeded"
