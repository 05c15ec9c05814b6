"""remote/drift.py and the pure parts of remote/submit.py: no cluster, no network."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from athena.errors import UsageError
from athena.remote import drift
from athena.remote.submit import SubmitRequest, reachable, resolve_namespace, workflow_doc


def _wt(name: str = "p-add", value: str = "2", refs: tuple[str, ...] = ()) -> dict[str, Any]:
    tasks = [{"name": r, "templateRef": {"name": r, "template": r}} for r in refs]
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "WorkflowTemplate", "metadata": {"name": name},
            "spec": {"entrypoint": name, "arguments": {"parameters": [{"name": "b", "value": value}]},
                     "templates": [{"name": name, "dag": {"tasks": tasks}} if refs else
                                   {"name": name, "container": {"image": "busybox:1.36"}}]}}


def _stored(doc: dict[str, Any], *, defaults: bool = True) -> dict[str, Any]:
    """``doc`` as the API server returns it: server metadata, keys sorted, and (optionally) a defaulted field."""
    out = copy.deepcopy(drift.stamp(doc))
    out["metadata"].update({"uid": "u-1", "resourceVersion": "42", "generation": 1,
                            "creationTimestamp": "2026-01-01T00:00:00Z", "managedFields": [{"manager": "athena"}]})
    if defaults:
        out["spec"]["templates"][0].setdefault("metadata", {})  # what a schema default would add
        out["spec"]["podGC"] = {"strategy": "OnPodCompletion"}
    return out


def test_hash_ignores_key_order_server_metadata_and_its_own_annotation() -> None:
    doc = _wt()
    assert drift.content_hash(doc) == drift.content_hash(_stored(doc, defaults=False))
    shuffled = dict(reversed(list(doc.items())))
    assert drift.content_hash(shuffled) == drift.content_hash(doc)
    assert drift.content_hash(_wt(value="3")) != drift.content_hash(doc)


def test_unchanged_with_server_defaults_is_not_drift() -> None:
    doc = _wt()
    live = _stored(doc)
    reference = _stored(doc)  # the dry run of the same document gets the same defaults
    found = drift.compare(doc, reference, live)
    assert not found.changed and found.diff == ""
    assert set(found.defaulted) == {"spec.podGC", "spec.templates[0].metadata"}


def test_a_field_the_server_prunes_is_not_drift() -> None:
    doc = _wt()
    doc["spec"]["x-unknown"] = 1
    pruned = _stored(doc, defaults=False)
    del pruned["spec"]["x-unknown"]
    found = drift.compare(doc, pruned, pruned)
    assert not found.changed
    assert found.defaulted == ("spec.x-unknown",)


def test_changed_by_a_new_compile() -> None:
    old, new = _wt(value="2"), _wt(value="5")
    live = _stored(old)
    found = drift.compare(new, _stored(new), live)
    assert found.changed and found.compile and not found.outside
    assert found.reasons == "changed by a new compile"
    assert "-      value: '2'" in found.diff and "+      value: '5'" in found.diff
    assert found.diff.startswith("--- live WorkflowTemplate/p-add\n+++ new compile WorkflowTemplate/p-add")


def test_changed_outside_athena() -> None:
    doc = _wt()
    live = _stored(doc)
    live["spec"]["arguments"]["parameters"][0]["value"] = "99"  # someone edited the live object
    found = drift.compare(doc, _stored(doc), live)
    assert found.changed and found.outside and not found.compile
    assert found.reasons == "changed outside athena"
    assert "-      value: '99'" in found.diff


def test_both_a_new_compile_and_an_outside_edit() -> None:
    old, new = _wt(value="2"), _wt(value="5")
    live = _stored(old)
    live["metadata"]["labels"] = {"team": "x"}
    found = drift.compare(new, _stored(new), live)
    assert found.compile and found.outside


def test_a_live_object_athena_never_applied_counts_as_outside() -> None:
    doc = _wt()
    live = _stored(_wt(value="7"))
    del live["metadata"]["annotations"][drift.ANNOTATION]
    found = drift.compare(doc, _stored(doc), live)
    assert found.outside and not found.compile


def test_reachable_is_callees_first_and_only_what_the_root_reaches() -> None:
    docs = [_wt("p-root", refs=("p-mid",)), _wt("p-mid", refs=("p-leaf", "p-external")), _wt("p-leaf"),
            _wt("p-other"),
            {"kind": "CronWorkflow", "metadata": {"name": "p-root"},
             "spec": {"workflowSpec": {"workflowTemplateRef": {"name": "p-root"}}}},
            {"kind": "CronWorkflow", "metadata": {"name": "p-other"},
             "spec": {"workflowSpec": {"workflowTemplateRef": {"name": "p-other"}}}}]
    names = [(d["kind"], d["metadata"]["name"]) for d in reachable(docs, "p-root")]
    assert names == [("WorkflowTemplate", "p-leaf"), ("WorkflowTemplate", "p-mid"),
                     ("WorkflowTemplate", "p-root"), ("CronWorkflow", "p-root")]
    with pytest.raises(UsageError, match="no WorkflowTemplate named p-nope"):
        reachable(docs, "p-nope")


def test_workflow_holds_only_the_reference_and_the_arguments() -> None:
    doc = workflow_doc(SubmitRequest(root="p-root", arguments={"x": "3"}, namespace="ns"))
    assert doc["metadata"] == {"generateName": "p-root-", "namespace": "ns"}
    assert doc["spec"] == {"workflowTemplateRef": {"name": "p-root"},
                           "arguments": {"parameters": [{"name": "x", "value": "3"}]}}
    doc = workflow_doc(SubmitRequest(root="p", arguments={}, namespace="ns", service_account="runner",
                                     node_selector={"disk": "ssd"}))
    assert doc["spec"] == {"workflowTemplateRef": {"name": "p"}, "serviceAccountName": "runner",
                           "nodeSelector": {"disk": "ssd"}}


def test_namespace_order() -> None:
    assert resolve_namespace("a", "b", "d", {"ARGO_NAMESPACE": "c"}) == "a"
    assert resolve_namespace(None, "b", "d", {"ARGO_NAMESPACE": "c"}) == "b"
    assert resolve_namespace(None, None, "d", {"ARGO_NAMESPACE": "c"}) == "c"
    assert resolve_namespace(None, None, "d", {}) == "d"
    assert resolve_namespace(None, None, None, {}) == "default"
