"""Load and check the ``athena run`` conformance corpus (``cases/*.yaml``; the format is in ``cases/README.md``).

This module imports nothing from ``athena.local.run``: the corpus is checked for shape (and its Argo documents
linted) on its own, and ``test_conformance.py`` uses :func:`check_result` to compare a run with a case. Results
are read duck-typed (``phase``, ``message``, ``outputs``, ``nodes`` of records with ``display_name``, ``phase``,
``message``, ``outputs``, ``attempts``), so the checker is testable with plain objects.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from athena.argo.yaml import load_yaml_documents

CASES_DIR: Final = Path(__file__).resolve().parent / "cases"
#: The version a case runs on when it names none; ``default`` expectations describe it.
DEFAULT_VERSION: Final = "4.1"
LINES: Final = ("3.6", "3.7", "4.0", "4.1")
WORKFLOW_PHASES: Final = frozenset({"Succeeded", "Failed", "Error"})
NODE_PHASES: Final = frozenset({"Succeeded", "Failed", "Error", "Skipped", "Omitted"})
CONFIDENCE: Final = ("high", "medium", "low")

_HEADER_KEYS: Final = frozenset(
    {"kind", "case", "entry", "arguments", "source", "confidence", "note", "versions", "expect"})
_EXPECT_KEYS: Final = frozenset({"phase", "message", "outputs", "nodes", "raises", "confidence"})
_NODE_KEYS: Final = frozenset({"phase", "message", "outputs", "attempts", "absent"})
# "4.1", or a patch release such as "4.0.6" when a behaviour changed inside a line (argo-semantics §2, §8).
_VERSION: Final = re.compile(r"^(\d+\.\d+)(\.\d+)?$")
_ARGO_KINDS: Final = frozenset({"WorkflowTemplate", "Workflow", "ClusterWorkflowTemplate"})


class CaseError(Exception):
    """A case file that does not follow the format; the message names the file and the field."""


@dataclass(frozen=True)
class Case:
    path: Path
    name: str
    entry: str
    arguments: Mapping[str, str]
    source: str
    confidence: str
    note: str
    versions: tuple[str, ...]
    expect: Mapping[str, Mapping[str, Any]]
    documents: Sequence[Mapping[str, Any]]

    def run_versions(self) -> tuple[str, ...]:
        """The declared ``versions`` (default: 4.1) plus every version an override names, in order."""
        out = list(self.versions or (DEFAULT_VERSION,))
        out += [v for v in self.expect if v != "default" and v not in out]
        return tuple(out)

    def expectation(self, version: str) -> dict[str, Any]:
        """``default`` with the version's override on top: scalars replaced, ``outputs`` merged by key and
        ``nodes`` merged by display name (an overriding node replaces that node's whole expectation)."""
        override = self.expect.get(version, {})
        if "raises" in override:
            return dict(override)
        merged: dict[str, Any] = {k: v for k, v in self.expect["default"].items() if not (override and k == "raises")}
        for key, value in override.items():
            if key in ("outputs", "nodes"):
                merged[key] = {**merged.get(key, {}), **value}
            else:
                merged[key] = value
        return merged

    def confidence_for(self, version: str) -> str:
        return str(self.expect.get(version, {}).get("confidence", self.confidence))


def case_files() -> list[Path]:
    return sorted(CASES_DIR.glob("*.yaml"))


def load_all() -> list[Case]:
    return [load_case(p) for p in case_files()]


def load_case(path: Path) -> Case:
    def fail(message: str) -> CaseError:
        return CaseError(f"{path.name}: {message}")

    try:
        docs = load_yaml_documents(path.read_text(encoding="utf-8"))
    except Exception as exc:  # any YAML error is a malformed case
        raise fail(f"not valid YAML: {exc}") from exc
    docs = [d for d in docs if d is not None]
    if len(docs) < 2:
        raise fail("needs a header document followed by at least one Argo document")
    header, argo_docs = docs[0], docs[1:]
    if not isinstance(header, Mapping):
        raise fail("the first document (the header) must be a mapping")
    unknown = set(header) - _HEADER_KEYS
    if unknown:
        raise fail(f"unknown header field(s) {sorted(unknown)}; allowed: {sorted(_HEADER_KEYS)}")
    if header.get("kind") != "ConformanceCase":
        raise fail("header needs 'kind: ConformanceCase' (so `athena lint` skips it)")
    for key in ("case", "entry", "source", "confidence", "expect"):
        if key not in header:
            raise fail(f"header field {key!r} is missing")
    name = header["case"]
    if name != path.stem:
        raise fail(f"'case: {name}' must equal the file name {path.stem!r}")
    if not isinstance(header["source"], str) or len(header["source"].strip()) < 10:
        raise fail("'source' must say where the behaviour is documented (argo-semantics.md §X or an Argo file)")
    confidence = header["confidence"]
    if confidence not in CONFIDENCE:
        raise fail(f"'confidence' must be one of {CONFIDENCE}")
    note = header.get("note", "")
    if not isinstance(note, str):
        raise fail("'note' must be a string")
    if confidence == "low" and not note:
        raise fail("a low-confidence case needs a 'note' saying what is uncertain")
    arguments = header.get("arguments") or {}
    if not isinstance(arguments, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in arguments.items()):
        raise fail("'arguments' must map parameter names to strings (quote numbers)")
    versions = header.get("versions") or []
    if not isinstance(versions, list) or any(v not in LINES for v in versions):
        raise fail(f"'versions' must be a list of Argo lines {LINES}")
    if len(set(versions)) != len(versions):
        raise fail("'versions' lists a line twice")
    expect = header["expect"]
    if not isinstance(expect, Mapping) or "default" not in expect:
        raise fail("'expect' must be a mapping with a 'default' entry")
    for version, exp in expect.items():
        _check_expectation(fail, str(version), exp, is_default=version == "default")

    for i, doc in enumerate(argo_docs, 1):
        if not isinstance(doc, Mapping) or doc.get("kind") not in _ARGO_KINDS:
            raise fail(f"document {i} must be a WorkflowTemplate, ClusterWorkflowTemplate or Workflow")
    entry = header["entry"]
    names = {d.get("metadata", {}).get("name") for d in argo_docs
             if d.get("kind") in ("WorkflowTemplate", "Workflow")}
    if entry not in names:
        raise fail(f"'entry: {entry}' names no WorkflowTemplate or Workflow in the file (have {sorted(names)})")
    return Case(path=path, name=name, entry=entry, arguments=dict(arguments), source=header["source"],
                confidence=confidence, note=note, versions=tuple(versions), expect=expect, documents=argo_docs)


def _check_expectation(fail: Any, version: str, exp: Any, *, is_default: bool) -> None:
    where = f"expect[{version!r}]"
    if not is_default:
        m = _VERSION.match(version)
        if m is None or m.group(1) not in LINES:
            raise fail(f"{where}: the key must be 'default' or an Argo version of the lines {LINES}")
    if not isinstance(exp, Mapping):
        raise fail(f"{where} must be a mapping")
    unknown = set(exp) - _EXPECT_KEYS
    if unknown:
        raise fail(f"{where}: unknown field(s) {sorted(unknown)}; allowed: {sorted(_EXPECT_KEYS)}")
    if "confidence" in exp and exp["confidence"] not in CONFIDENCE:
        raise fail(f"{where}.confidence must be one of {CONFIDENCE}")
    if "raises" in exp:
        if not isinstance(exp["raises"], str) or set(exp) - {"raises", "confidence"}:
            raise fail(f"{where}.raises is a regex string and stands alone (no phase/outputs/nodes)")
        _regex(fail, f"{where}.raises", exp["raises"])
        return
    if is_default and not ({"phase", "outputs", "nodes"} & set(exp)):
        raise fail(f"{where} asserts nothing: give a phase, outputs, nodes or raises")
    if "phase" in exp:
        _check_phase(fail, f"{where}.phase", exp["phase"], WORKFLOW_PHASES)
    if "message" in exp:
        _check_matcher(fail, f"{where}.message", exp["message"])
    for key, value in (exp.get("outputs") or {}).items():
        _check_matcher(fail, f"{where}.outputs.{key}", value)
    nodes = exp.get("nodes") or {}
    if not isinstance(nodes, Mapping):
        raise fail(f"{where}.nodes must map display names to expectations")
    for node, nexp in nodes.items():
        nwhere = f"{where}.nodes[{node!r}]"
        if not isinstance(nexp, Mapping):
            raise fail(f"{nwhere} must be a mapping")
        unknown = set(nexp) - _NODE_KEYS
        if unknown:
            raise fail(f"{nwhere}: unknown field(s) {sorted(unknown)}; allowed: {sorted(_NODE_KEYS)}")
        if nexp.get("absent"):
            if set(nexp) != {"absent"}:
                raise fail(f"{nwhere}: 'absent: true' stands alone")
            continue
        if "phase" in nexp:
            _check_phase(fail, f"{nwhere}.phase", nexp["phase"], NODE_PHASES)
        if "attempts" in nexp and (not isinstance(nexp["attempts"], int) or nexp["attempts"] < 1):
            raise fail(f"{nwhere}.attempts must be a positive integer")
        if "message" in nexp:
            _check_matcher(fail, f"{nwhere}.message", nexp["message"])
        for key, value in (nexp.get("outputs") or {}).items():
            _check_matcher(fail, f"{nwhere}.outputs.{key}", value)


def _check_phase(fail: Any, where: str, phase: Any, allowed: frozenset[str]) -> None:
    phases = phase if isinstance(phase, list) else [phase]
    if not phases or any(p not in allowed for p in phases):
        raise fail(f"{where} must be one of {sorted(allowed)} (or a list of them)")


def _check_matcher(fail: Any, where: str, value: Any) -> None:
    if value is None or isinstance(value, str):
        return
    if isinstance(value, Mapping) and set(value) == {"regex"} and isinstance(value["regex"], str):
        _regex(fail, where, value["regex"])
        return
    if isinstance(value, Mapping) and value == {"run_name": True}:
        return
    raise fail(f"{where} must be a string, null (absent), {{regex: ...}} or {{run_name: true}}")


def _regex(fail: Any, where: str, pattern: str) -> None:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise fail(f"{where}: bad regex {pattern!r}: {exc}") from exc


# --- comparing a run with a case ------------------------------------------------------------------------


def matches(expected: Any, actual: str | None, *, run_name: str = "") -> bool:
    """A string matches exactly; ``None`` means absent; ``{regex}`` searches; ``{run_name: true}`` is the run's name."""
    if expected is None:
        return actual is None
    if actual is None:
        return False
    if isinstance(expected, str):
        return actual == expected
    if "regex" in expected:
        return re.search(expected["regex"], actual) is not None
    return actual == run_name


def _phase_ok(expected: str | list[str], actual: str) -> bool:
    return actual in expected if isinstance(expected, list) else actual == expected


def check_result(expectation: Mapping[str, Any], result: Any) -> list[str]:
    """Every difference between ``result`` and ``expectation`` (empty when it conforms)."""
    problems: list[str] = []
    run_name = str(getattr(result, "name", ""))
    if "phase" in expectation and not _phase_ok(expectation["phase"], result.phase):
        problems.append(f"workflow phase {result.phase!r}, expected {expectation['phase']!r}"
                        f" (message: {result.message!r})")
    if "message" in expectation and not matches(expectation["message"], result.message, run_name=run_name):
        problems.append(f"workflow message {result.message!r} does not match {expectation['message']!r}")
    outputs = dict(result.outputs or {})
    for key, want in (expectation.get("outputs") or {}).items():
        if not matches(want, outputs.get(key), run_name=run_name):
            problems.append(f"workflow output {key!r} = {outputs.get(key)!r}, expected {want!r}")
    by_name: dict[str, list[Any]] = {}
    for node in result.nodes:
        by_name.setdefault(node.display_name, []).append(node)
    for display, want in (expectation.get("nodes") or {}).items():
        found = by_name.get(display, [])
        if want.get("absent"):
            if found:
                problems.append(f"node {display!r} exists (phase {found[0].phase!r}); expected no such node")
            continue
        if not found:
            problems.append(f"no node {display!r}; nodes: {sorted(by_name)}")
            continue
        if len(found) > 1:
            problems.append(f"{len(found)} nodes are named {display!r}; a case must use unique display names")
            continue
        node = found[0]
        if "phase" in want and not _phase_ok(want["phase"], node.phase):
            problems.append(f"node {display!r} phase {node.phase!r}, expected {want['phase']!r}"
                            f" (message: {node.message!r})")
        if "message" in want and not matches(want["message"], node.message, run_name=run_name):
            problems.append(f"node {display!r} message {node.message!r} does not match {want['message']!r}")
        if "attempts" in want and node.attempts != want["attempts"]:
            problems.append(f"node {display!r} ran {node.attempts} attempt(s), expected {want['attempts']}")
        node_outputs = dict(node.outputs or {})
        for key, value in (want.get("outputs") or {}).items():
            if not matches(value, node_outputs.get(key), run_name=run_name):
                problems.append(f"node {display!r} output {key!r} = {node_outputs.get(key)!r}, expected {value!r}")
    return problems
