"""athena.argo.lint: the bundled schemas plus the Go/CRD rules, for every supported Argo line."""

from __future__ import annotations

import copy
import dataclasses
import os
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from athena.argo.lint import SCHEMA_TAGS, SUPPORTED, LintIssue, lint_documents, lint_text, normalize_version
from athena.argo.yaml import dump_yaml
from athena.errors import UsageError

# ../shared beside the repository holds the team's pinned copies (CI always has it; users do not)
SHARED_SCHEMAS = Path(__file__).resolve().parents[3] / "shared" / "argo-schema"


def template(**extra: Any) -> dict[str, Any]:
    """A minimal WorkflowTemplate: a one-task DAG over one container template."""
    leaf: dict[str, Any] = {
        "name": "fetch",
        "inputs": {"parameters": [{"name": "url"}]},
        "outputs": {"parameters": [{"name": "return", "valueFrom": {"path": "/tmp/r", "default": "null"}}]},
        "container": {"image": "alpine:3.20", "command": ["sh", "-c", "echo hi"]},
        **extra,
    }
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "WorkflowTemplate",
        "metadata": {"name": "demo-pipeline"},
        "spec": {
            "entrypoint": "main",
            "templates": [
                {
                    "name": "main",
                    "dag": {
                        "tasks": [
                            {
                                "name": "fetch",
                                "template": "fetch",
                                "arguments": {"parameters": [{"name": "url", "value": '"u"'}]},
                            }
                        ]
                    },
                },
                leaf,
            ],
        },
    }


def dag(tasks: list[dict[str, Any]]) -> dict[str, Any]:
    doc = template()
    doc["spec"]["templates"][0]["dag"]["tasks"] = tasks
    return doc


def cron(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "CronWorkflow",
        "metadata": {"name": "demo-nightly"},
        "spec": {**spec, "workflowSpec": {"workflowTemplateRef": {"name": "demo-pipeline"}}},
    }


def task(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "template": "fetch", **extra}


def by_version(issues: list[LintIssue]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for issue in issues:
        out.setdefault(issue.version, []).append(issue.path)
    return out


def test_minimal_workflow_template_is_valid_on_every_line() -> None:
    assert lint_documents([template()]) == []


def test_emitted_yaml_lints_clean_through_lint_text() -> None:
    other = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "data": {"k": "1"}}
    assert lint_text(dump_yaml([template(), other, cron(schedules=["0 4 * * *"])])) == []


def test_unknown_key_fails_only_under_strict() -> None:
    doc = template(retryStrategy={"limt": 3})
    issues = lint_documents([doc])
    assert [i.version for i in issues] == list(SUPPORTED)
    for issue in issues:
        assert issue.path == "spec.templates[1].retryStrategy"
        assert "'limt' was unexpected" in issue.message
        assert issue.path in str(issue) and issue.kind == "WorkflowTemplate"
        assert issue.name == "demo-pipeline" and issue.doc_index == 0
    assert lint_documents([doc], strict=False) == []


def test_int_or_string_needs_lenient() -> None:
    doc = template(retryStrategy={"limit": 3})
    assert lint_documents([doc]) == []
    issues = lint_documents([doc], ["4.1"], lenient=False)
    assert [i.path for i in issues] == ["spec.templates[1].retryStrategy.limit"]


def test_backoff_cap_fails_on_3_6_only() -> None:
    doc = template(retryStrategy={"limit": "3", "backoff": {"duration": "10s", "factor": 2, "cap": "5m"}})
    issues = lint_documents([doc])
    assert by_version(issues) == {"3.6": ["spec.templates[1].retryStrategy.backoff"]}
    assert "'cap' was unexpected" in issues[0].message
    assert "[v3.6.19]" in str(issues[0])


def test_cron_workflow_with_schedule_fails_on_v4_only() -> None:
    issues = lint_documents([cron(schedule="0 4 * * *")])
    assert sorted(by_version(issues)) == ["4.0", "4.1"]
    messages = {(i.path, i.message) for i in issues if i.version == "4.1"}
    assert ("spec", "'schedules' is a required property") in messages
    assert ("spec", "Additional properties are not allowed ('schedule' was unexpected)") in messages
    assert any(path == "spec.schedules" and "[crd-rule]" in msg for path, msg in messages)


def test_cron_rules_apply_to_v4_lines_only() -> None:
    doc = cron(schedules=["0 0 4 * * *"], concurrencyPolicy="Sometimes")  # a seconds field
    issues = [i for i in lint_documents([doc]) if i.message.startswith("[crd-rule]")]
    assert by_version(issues) == {
        "4.0": ["spec.schedules[0]", "spec.concurrencyPolicy"],
        "4.1": ["spec.schedules[0]", "spec.concurrencyPolicy"],
    }
    assert lint_documents([cron(schedules=["@daily", "*/5 * * * *"])]) == []


def test_dag_with_201_tasks_fails_the_crd_rule() -> None:
    issues = lint_documents([dag([task(f"t{i}") for i in range(201)])])
    assert [i.version for i in issues] == list(SUPPORTED)
    for issue in issues:
        assert issue.path == "spec.templates[0].dag.tasks"
        assert issue.message == "[crd-rule] 201 tasks > maxItems 200"
        assert "spec.templates[0].dag.tasks" in str(issue)
    assert lint_documents([dag([task(f"t{i}") for i in range(200)])]) == []


def test_task_name_with_underscore_fails() -> None:
    issues = lint_documents([dag([task("fetch_data")])], ["4.1"])
    assert [(i.path, i.message) for i in issues] == [
        (
            "spec.templates[0].dag.tasks[0].name",
            "[crd-rule] 'fetch_data' !~ ^[a-zA-Z0-9][-a-zA-Z0-9]*$ (max 128 characters)",
        )
    ]


def test_continue_on_next_to_depends_fails() -> None:
    doc = dag([task("a"), task("b", depends="a", continueOn={"failed": True})])
    issues = lint_documents([doc], ["3.6", "4.1"])
    assert by_version(issues) == {
        "3.6": ["spec.templates[0].dag.tasks[1].continueOn"],
        "4.1": ["spec.templates[0].dag.tasks[1].continueOn"],
    }
    assert "cannot use 'continueOn' when using 'depends'" in issues[0].message


def test_one_depends_switches_the_whole_dag() -> None:
    # validate.go decides `usingDepends` for the DAG, so continueOn on a task without depends fails too.
    doc = dag([task("a", continueOn={"failed": True}), task("b", depends="a"), task("c", dependencies=["a"])])
    paths = [i.path for i in lint_documents([doc], ["4.1"])]
    assert paths == [
        "spec.templates[0].dag.tasks[0].continueOn",
        "spec.templates[0].dag.tasks[2].dependencies",
    ]
    digit = dag([task("a"), task("1b", depends="a")])
    assert [i.path for i in lint_documents([digit], ["4.1"])] == ["spec.templates[0].dag.tasks[1].name"]


@pytest.mark.parametrize(
    ("extra", "path"),
    [
        ({"dag": {"tasks": [task("x")]}}, "spec.templates[1]"),  # container + dag
        ({"inputs": {"parameters": [{"name": "bad name"}]}}, "spec.templates[1].inputs.parameters[0].name"),
        (
            {"inputs": {"parameters": [{"name": f"p{i}"} for i in range(501)]}},
            "spec.templates[1].inputs.parameters",
        ),
        ({"name": "x" * 129}, "spec.templates[1].name"),
    ],
)
def test_template_crd_rules(extra: dict[str, Any], path: str) -> None:
    issues = lint_documents([template(**extra)], ["4.1"])
    assert path in [i.path for i in issues if i.message.startswith("[crd-rule]")]


def test_timeouts_are_for_leaf_templates_only() -> None:
    doc = template()
    doc["spec"]["templates"][0].update(timeout="1h", activeDeadlineSeconds=60)
    paths = [i.path for i in lint_documents([doc], ["4.1"])]
    assert paths == ["spec.templates[0].timeout", "spec.templates[0].activeDeadlineSeconds"]


def test_object_name_limits() -> None:
    long_template = template()
    long_template["metadata"]["name"] = "x" * 64
    long_cron = cron(schedules=["@daily"])
    long_cron["metadata"]["name"] = "x" * 53
    issues = lint_documents([long_template, long_cron], ["4.1"])
    assert [(i.doc_index, i.path) for i in issues] == [(0, "metadata.name"), (1, "metadata.name")]


def test_other_kinds_are_skipped_and_a_missing_kind_is_reported() -> None:
    no_kind = template()
    del no_kind["kind"]
    issues = lint_documents([{"kind": "ConfigMap", "whatever": 1}, no_kind], ["4.1"])
    assert [(i.doc_index, i.path) for i in issues] == [(1, "kind")]
    assert "WorkflowTemplate" in issues[0].message


def test_label_keys_are_bracketed_in_paths() -> None:
    doc = template()
    doc["metadata"]["labels"] = {"app.kubernetes.io/name": 3}
    issues = lint_documents([doc], ["4.1"])
    assert [i.path for i in issues] == ['metadata.labels["app.kubernetes.io/name"]']


@pytest.mark.parametrize(
    ("given", "line"), [("4.1", "4.1"), ("v4.1.2", "4.1"), ("4.1.2", "4.1"), ("3.6.19", "3.6")]
)
def test_versions_normalize_to_their_line(given: str, line: str) -> None:
    assert normalize_version(given) == line
    assert lint_documents([template(retryStrategy={"limt": 1})], [given])[0].version == line


@pytest.mark.parametrize("given", ["3.5", "v5.0", "latest", "4", ""])
def test_unknown_versions_are_usage_errors(given: str) -> None:
    with pytest.raises(UsageError, match=r"supported lines: 3\.6, 3\.7, 4\.0, 4\.1"):
        lint_documents([template()], [given])


def test_a_single_version_string_is_not_split_into_characters() -> None:
    assert lint_documents([template(retryStrategy={"limt": 1})], "4.1")[0].version == "4.1"  # type: ignore[arg-type]


def test_bad_yaml_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="not valid YAML"):
        lint_text("kind: [WorkflowTemplate\n")
    with pytest.raises(UsageError, match="expected a mapping"):
        lint_text("- just\n- a list\n")


def test_issues_are_frozen() -> None:
    issue = lint_documents([template(retryStrategy={"limt": 1})], ["4.1"])[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        issue.path = "x"  # type: ignore[misc]


def test_the_caller_documents_are_not_modified() -> None:
    doc = dag([task("a_b", depends="x", continueOn={})])
    before = copy.deepcopy(doc)
    lint_documents([doc])
    assert doc == before


def test_every_line_has_its_bundled_schema() -> None:
    schemas = resources.files("athena.argo") / "schemas"
    assert sorted(SCHEMA_TAGS) == sorted(SUPPORTED)
    for tag in SCHEMA_TAGS.values():
        assert (schemas / f"{tag}.json").is_file(), tag


def test_bundled_schemas_are_the_teams_pinned_copies() -> None:
    if not SHARED_SCHEMAS.is_dir():
        # CI always has ../shared beside the clone: there the comparison must run, never skip.
        assert not os.environ.get("CI"), f"{SHARED_SCHEMAS} is missing in CI"
        pytest.skip(f"{SHARED_SCHEMAS} is not beside this checkout (only the team's machines have it)")
    schemas = resources.files("athena.argo") / "schemas"
    for tag in SCHEMA_TAGS.values():
        assert (schemas / f"{tag}.json").read_bytes() == (SHARED_SCHEMAS / f"{tag}.json").read_bytes(), tag


# ------------------------------------------------------------------------ podSpecPatch against the pod schema


@pytest.mark.parametrize(("patch", "path", "message"), [
    ('{"terminationGracePeriod": 30}', "podSpecPatch", "'terminationGracePeriod' was unexpected"),
    ("priority: high\n", "podSpecPatch.priority", "'high' is not of type 'integer'"),
    ('{"containers": [{"name": "main", "imagePullPolicee": "Always"}]}', "podSpecPatch.containers[0]",
     "'imagePullPolicee' was unexpected"),
    ('{"containers": [{"resources": {"limits": {"cpu": "1"}}}]}', "podSpecPatch.containers[0]",
     "'name' is a required property"),
    ('{"volumes": [{"name": "v", "emptyDir": {"sizeLimit": "1Gi", "medum": "Memory"}}]}',
     "podSpecPatch.volumes[0].emptyDir", "'medum' was unexpected"),
    ("[1, 2]", "podSpecPatch", "must be a mapping of PodSpec fields"),
    ("{a: [", "podSpecPatch", "is neither JSON nor YAML"),
])
def test_pod_spec_patch_is_checked_against_the_pod_schema(patch: str, path: str, message: str) -> None:
    doc = template()
    doc["spec"]["templates"][1]["podSpecPatch"] = patch
    for line in SUPPORTED:
        found = [i for i in lint_documents([doc], [line]) if i.path == f"spec.templates[1].{path}"]
        assert found and message in found[0].message, (line, [str(i) for i in lint_documents([doc], [line])])


def test_a_valid_pod_spec_patch_passes_nulls_and_tags_included() -> None:
    doc = template()
    doc["spec"]["templates"][1]["podSpecPatch"] = (
        '{"terminationGracePeriodSeconds": 120, "containers": [{"name": "main", "resources": {"limits": '
        '{"cpu": "{{inputs.parameters.cpu}}"}}}], "securityContext": {"runAsNonRoot": null}, '
        '"tolerations": [{"key": "gpu", "operator": "Exists"}]}')
    doc["spec"]["podSpecPatch"] = "{{workflow.parameters.patch}}"  # whole-text tag: nothing to check
    assert lint_documents([doc], SUPPORTED) == []
