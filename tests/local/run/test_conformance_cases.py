"""The conformance corpus itself: every case parses, follows the format and its Argo documents lint clean.

Runs without ``athena.local.run`` (the runner's own conformance test is ``test_conformance.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conformance_cases import (
    CASES_DIR,
    Case,
    CaseError,
    case_files,
    check_result,
    load_all,
    load_case,
)

from athena.argo.lint import lint_documents

FILES = case_files()


def test_the_corpus_is_big_enough() -> None:
    assert len(FILES) >= 40, f"only {len(FILES)} cases in {CASES_DIR}"


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_cases_are_well_formed(path: Path) -> None:
    case = load_case(path)  # raises CaseError naming the file and field
    for version in case.run_versions():
        case.expectation(version)
    issues = lint_documents(case.documents)  # every supported Argo line, strict, CRD rules
    assert not issues, "\n".join(str(i) for i in issues)


def test_case_names_and_entries_are_unique() -> None:
    cases = load_all()
    names = [c.name for c in cases]
    assert len(names) == len(set(names))
    templates = [d["metadata"]["name"] for c in cases for d in c.documents]
    assert len(templates) == len(set(templates)), "two cases share a WorkflowTemplate name"


def _write(tmp_path: Path, text: str, name: str = "x-case") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


_DOC = """
---
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata: {name: x-case}
spec:
  entrypoint: main
  templates:
    - name: main
      container: {image: busybox, command: [sh, -c], args: ["echo hi"]}
"""


@pytest.mark.parametrize(("header", "fragment"), [
    ("kind: ConformanceCase\ncase: other\nentry: x-case\nsource: argo-semantics.md §7\nconfidence: high\n"
     "expect: {default: {phase: Succeeded}}", "must equal the file name"),
    ("kind: ConformanceCase\ncase: x-case\nentry: nope\nsource: argo-semantics.md §7\nconfidence: high\n"
     "expect: {default: {phase: Succeeded}}", "names no WorkflowTemplate"),
    ("kind: ConformanceCase\ncase: x-case\nentry: x-case\nsource: argo-semantics.md §7\nconfidence: low\n"
     "expect: {default: {phase: Succeeded}}", "needs a 'note'"),
    ("kind: ConformanceCase\ncase: x-case\nentry: x-case\nsource: argo-semantics.md §7\nconfidence: high\n"
     "expect: {default: {phase: Done}}", "phase must be one of"),
    ("kind: ConformanceCase\ncase: x-case\nentry: x-case\nsource: argo-semantics.md §7\nconfidence: high\n"
     "expect: {default: {phase: Succeeded}, '5.0': {phase: Failed}}", "Argo version"),
    ("kind: ConformanceCase\ncase: x-case\nentry: x-case\nconfidence: high\n"
     "expect: {default: {phase: Succeeded}}", "'source' is missing"),
    ("kind: ConformanceCase\ncase: x-case\nentry: x-case\nsource: argo-semantics.md §7\nconfidence: high\n"
     "arguments: {n: 3}\nexpect: {default: {phase: Succeeded}}", "quote numbers"),
])
def test_the_loader_rejects_malformed_cases(tmp_path: Path, header: str, fragment: str) -> None:
    with pytest.raises(CaseError, match=r"x-case\.yaml") as info:
        load_case(_write(tmp_path, header + "\n" + _DOC))
    assert fragment in str(info.value)


def test_overrides_merge_over_default_and_add_versions(tmp_path: Path) -> None:
    header = """kind: ConformanceCase
case: x-case
entry: x-case
source: argo-semantics.md §8
confidence: high
versions: ["3.6", "4.1"]
expect:
  default: {phase: Succeeded, outputs: {a: "1", b: "2"}, nodes: {n: {phase: Succeeded, outputs: {result: "x"}}}}
  "3.6": {outputs: {b: "3"}, nodes: {n: {phase: Skipped}}}
  "4.0.6": {raises: hang}
"""
    case = load_case(_write(tmp_path, header + _DOC))
    assert case.run_versions() == ("3.6", "4.1", "4.0.6")
    assert case.expectation("4.1")["outputs"] == {"a": "1", "b": "2"}
    old = case.expectation("3.6")
    assert old["phase"] == "Succeeded" and old["outputs"] == {"a": "1", "b": "3"}
    assert old["nodes"] == {"n": {"phase": "Skipped"}}
    assert case.expectation("4.0.6") == {"raises": "hang"}


@dataclass
class _Node:
    display_name: str
    phase: str
    message: str = ""
    outputs: dict[str, str] = field(default_factory=dict)
    attempts: int = 1


@dataclass
class _Result:
    name: str
    phase: str
    message: str = ""
    outputs: dict[str, str] = field(default_factory=dict)
    nodes: list[_Node] = field(default_factory=list)


def test_check_result_reports_every_difference() -> None:
    expectation = {
        "phase": "Succeeded",
        "outputs": {"out": "a-b", "name": {"run_name": True}, "gone": None},
        "nodes": {
            "a": {"phase": "Failed", "message": {"regex": "exit"}},
            "b": {"phase": ["Error", "Failed"], "attempts": 3, "outputs": {"result": "x"}},
            "c": {"absent": True},
            "d": {"phase": "Omitted"},
        },
    }
    good = _Result("wf-1", "Succeeded", outputs={"out": "a-b", "name": "wf-1"}, nodes=[
        _Node("a", "Failed", "exit code 1"), _Node("b", "Error", attempts=3, outputs={"result": "x"}),
        _Node("d", "Omitted")])
    assert check_result(expectation, good) == []
    bad = _Result("wf-1", "Failed", outputs={"out": "a", "name": "other", "gone": ""}, nodes=[
        _Node("a", "Succeeded", "ok"), _Node("b", "Succeeded", attempts=1, outputs={}),
        _Node("c", "Succeeded")])
    problems = check_result(expectation, bad)
    assert len(problems) == 11, problems
    assert any("no node 'd'" in p for p in problems)


def test_every_low_confidence_expectation_says_why() -> None:
    cases: list[Case] = load_all()
    for case in cases:
        for version in case.run_versions():
            if case.confidence_for(version) == "low":
                assert case.note, f"{case.name}@{version} is low confidence without a note"
