"""Check Argo documents against the bundled schemas of every supported line (DESIGN §0).

A port of the team's ``validate_argo.py --lenient --strict --crd-rules`` (argo-semantics §1.3):

* the published ``schema.json`` of each tag, copied byte for byte into ``athena/argo/schemas/``;
* *lenient* widens three types the schema has narrower than the Go decoder (IntOrString,
  Quantity, AnyString parameter fields);
* *strict* forbids unknown keys, which the upstream schema never does (``retryStrategy: {limt: 3}``
  passes it), and so also catches fields a line lacks (``backoff.cap`` before 3.7);
* *crd_rules* adds the controller's Go validation and the v4 full-CRD admission rules the schema
  does not carry; the CronWorkflow rules only for v4 lines.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any, Final, Protocol

import yaml
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

from athena.argo import facts
from athena.argo.yaml import load_yaml_documents
from athena.errors import UsageError

__all__ = ["SCHEMA_TAGS", "SUPPORTED", "LintIssue", "lint_documents", "lint_text", "normalize_version"]

SUPPORTED: Final = facts.LINES
#: The newest tag of each line; ``athena/argo/schemas/<tag>.json`` is its ``api/jsonschema/schema.json``.
SCHEMA_TAGS: Final[Mapping[str, str]] = facts.SCHEMA_TAGS
KINDS: Final = frozenset(
    {"Workflow", "WorkflowTemplate", "ClusterWorkflowTemplate", "CronWorkflow", "WorkflowEventBinding"}
)

_PREFIX: Final = "io.argoproj.workflow.v1alpha1."
_MAX_MESSAGE: Final = 300  # jsonschema quotes whole instances; a 200-task DAG would flood the report


@dataclass(frozen=True, slots=True)
class LintIssue:
    """One problem in one document under one Argo line. ``path`` is like ``spec.templates[0].dag``."""

    version: str
    doc_index: int
    kind: str
    name: str
    path: str
    message: str

    def __str__(self) -> str:
        tag = SCHEMA_TAGS.get(self.version, self.version)
        return f"[{tag}] document {self.doc_index} {self.kind}/{self.name}: {self.path}: {self.message}"


def normalize_version(version: str) -> str:
    """``"4.1"``, ``"4.1.2"`` or ``"v4.1.2"`` → ``"4.1"``; anything unsupported is a UsageError."""
    parsed = facts.parse_version(version.strip(), allow_v=True)
    line = parsed.canonical_line if parsed is not None else None
    if line is None or line not in SCHEMA_TAGS:
        raise UsageError(f"unsupported Argo version {version!r}; supported lines: {', '.join(SUPPORTED)}")
    return line


def lint_documents(
    docs: Sequence[Mapping[str, Any]],
    versions: Sequence[str] = SUPPORTED,
    *,
    strict: bool = True,
    crd_rules: bool = True,
    lenient: bool = True,
) -> list[LintIssue]:
    """Every issue of every Argo document under every requested line; ``[]`` means valid.

    Documents of other kinds (ConfigMap, …) are skipped. Issues are ordered by document, then
    line, then path.
    """
    if isinstance(versions, str):
        versions = (versions,)
    lines = list(dict.fromkeys(normalize_version(v) for v in versions))
    issues: list[LintIssue] = []
    for index, doc in enumerate(docs):
        for line in lines:
            issues.extend(_lint_one(doc, index, line, strict=strict, crd_rules=crd_rules, lenient=lenient))
    return issues


def lint_text(
    text: str,
    versions: Sequence[str] = SUPPORTED,
    *,
    strict: bool = True,
    crd_rules: bool = True,
    lenient: bool = True,
) -> list[LintIssue]:
    """:func:`lint_documents` over a YAML stream; unreadable YAML is a UsageError."""
    try:
        docs = load_yaml_documents(text)
    except yaml.YAMLError as exc:
        raise UsageError(f"cannot lint: the text is not valid YAML: {exc}") from exc
    return lint_documents(docs, versions, strict=strict, crd_rules=crd_rules, lenient=lenient)


# --- schema validation -------------------------------------------------------------------------


class _SchemaError(Protocol):
    @property
    def absolute_path(self) -> Sequence[str | int]: ...

    @property
    def message(self) -> str: ...


class _Validator(Protocol):
    def iter_errors(self, instance: object) -> Iterator[_SchemaError]: ...


@functools.cache
def _schema(tag: str, lenient: bool, strict: bool) -> dict[str, Any]:
    text = (resources.files("athena.argo") / "schemas" / f"{tag}.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    defs: dict[str, Any] = schema["definitions"]
    if lenient:
        # The Go decoder accepts these as numbers (and AnyString also bools); the schema says string.
        defs["io.k8s.apimachinery.pkg.util.intstr.IntOrString"] = {"type": ["integer", "string"]}
        quantity = defs.get("io.k8s.apimachinery.pkg.api.resource.Quantity")
        if quantity is not None:
            quantity["type"] = ["string", "number"]
        scalar = {"type": ["string", "number", "boolean"]}
        for name in ("Parameter", "ValueFrom"):
            props = defs.get(_PREFIX + name, {}).get("properties", {})
            for field in ("value", "default", "description"):
                if field in props and props[field].get("type") == "string":
                    props[field] = {**props[field], **scalar}
            if "enum" in props and props["enum"].get("type") == "array":
                props["enum"] = {**props["enum"], "items": scalar}
        # 3.x types memoize's cache.configMap as a ConfigMapKeySelector (`key` required) but the controller reads
        # only `name` (argo-semantics: "required sometimes stricter than the server"); v4 dropped `key`.
        cache = defs.get(_PREFIX + "Cache", {}).get("properties", {})
        selector = defs.get("io.k8s.api.core.v1.ConfigMapKeySelector")
        if "configMap" in cache and selector is not None and cache["configMap"].get("$ref", "").endswith(
                ".ConfigMapKeySelector"):
            cache["configMap"] = {k: v for k, v in selector.items() if k != "required"}
    if strict:
        for definition in defs.values():
            if (
                definition.get("type") == "object"
                and "properties" in definition
                and "additionalProperties" not in definition
            ):
                definition["additionalProperties"] = False
    return schema


@functools.cache
def _validator(tag: str, kind: str, lenient: bool, strict: bool) -> _Validator:
    # Validate against the kind's own definition: the root oneOf fails for any document whose kind
    # it cannot tell apart (argo-semantics §1.2). Shallow copy: definitions stay shared.
    schema = copy.copy(_schema(tag, lenient, strict))
    schema.pop("oneOf", None)
    schema["$ref"] = f"#/definitions/{_PREFIX}{kind}"
    validator: _Validator = Draft202012Validator(schema)
    return validator


def _lint_one(
    doc: object, index: int, line: str, *, strict: bool, crd_rules: bool, lenient: bool
) -> list[LintIssue]:
    if not isinstance(doc, Mapping):
        return [LintIssue(line, index, "?", "?", "<root>", "document is not a mapping")]
    kind = doc.get("kind")
    meta = _map(doc.get("metadata"))
    name = str(meta.get("name") or meta.get("generateName") or "?")
    if isinstance(kind, str) and kind not in KINDS:
        return []
    if not isinstance(kind, str):
        expected = ", ".join(sorted(KINDS))
        return [
            LintIssue(line, index, "?", name, "kind", f"missing or not a string; expected one of {expected}")
        ]

    def issue(path: str, message: str) -> LintIssue:
        return LintIssue(line, index, kind, name, path, message)

    errors = _validator(SCHEMA_TAGS[line], kind, lenient, strict).iter_errors(doc)
    found = [issue(_format_path(e.absolute_path), _clip(e.message)) for e in errors]
    found.sort(key=lambda i: (_path_key(i.path), i.message))
    if crd_rules:
        found.extend(issue(path, f"[crd-rule] {message}") for path, message in _crd_rules(doc, kind, line))
    if strict:
        from athena.argo.podspec import patch_issues

        found.extend(issue(path, message) for path, message in
                     patch_issues(doc, _schema(SCHEMA_TAGS[line], lenient, strict)))
    return found


def _format_path(parts: Iterable[str | int]) -> str:
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z_$][\w$-]*", part):
            out += f".{part}" if out else part
        else:  # label keys such as app.kubernetes.io/name
            out += f"[{json.dumps(part)}]"
    return out or "<root>"


def _path_key(path: str) -> list[tuple[int, int, str]]:
    # Natural order, so templates[2] sorts before templates[10].
    return [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.findall(r"\d+|[^\[\].\d]+", path)]


def _clip(message: str) -> str:
    return message if len(message) <= _MAX_MESSAGE else message[: _MAX_MESSAGE - 1] + "…"


# --- rules the schema does not carry (argo-semantics §3) ---------------------------------------

_NAME_RX: Final = re.compile(r"^[a-zA-Z0-9][-a-zA-Z0-9]*$")
_PARAM_RX: Final = re.compile(r"^[-a-zA-Z0-9_]+$")
_CRON_RX: Final = re.compile(
    r"^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|@every\s+([0-9]+(ns|us|µs|ms|s|m|h))+"
    r"|([A-Za-z0-9*,/?-]+\s+){4}[A-Za-z0-9*,/?-]+)$"
)
_TEMPLATE_TYPES: Final = (
    "container",
    "script",
    "dag",
    "steps",
    "resource",
    "suspend",
    "containerSet",
    "data",
    "http",
    "plugin",
)
_OBJECT_NAME_MAX: Final = {"CronWorkflow": facts.MAX_CRON_WORKFLOW_NAME}
_DEFAULT_OBJECT_NAME_MAX: Final = facts.MAX_OBJECT_NAME
_NAME_MAX: Final = facts.MAX_TEMPLATE_NAME
_TEMPLATES_MAX: Final = facts.MAX_TEMPLATES
_TASKS_MAX: Final = facts.MAX_DAG_TASKS
_INPUTS_MAX: Final = facts.MAX_INPUT_PARAMS

_Found = Iterator[tuple[str, str]]


def _map(value: object) -> Mapping[str, Any]:
    # The schema already reports wrong types; the rules just must not crash on them.
    return value if isinstance(value, Mapping) else {}


def _seq(value: object) -> list[Any]:
    return list(value) if isinstance(value, list) else []


def _crd_rules(doc: Mapping[str, Any], kind: str, line: str) -> _Found:
    name = _map(doc.get("metadata")).get("name")
    limit = _OBJECT_NAME_MAX.get(kind, _DEFAULT_OBJECT_NAME_MAX)
    if isinstance(name, str) and len(name) > limit:
        yield "metadata.name", f"{len(name)} characters > {limit} for a {kind}"
    spec, base = _map(doc.get("spec")), "spec"
    if kind == "CronWorkflow":
        if line.startswith("4."):
            yield from _cron_rules(spec)
        spec, base = _map(spec.get("workflowSpec")), "spec.workflowSpec"
    yield from _spec_rules(spec, base)


def _cron_rules(spec: Mapping[str, Any]) -> _Found:
    schedules = _seq(spec.get("schedules"))
    if not schedules:
        yield "spec.schedules", "needs at least 1 item (v4 has no `schedule`)"
    for i, cron in enumerate(schedules):
        if not _CRON_RX.fullmatch(str(cron)):
            yield f"spec.schedules[{i}]", f"{cron!r} is not a 5-field cron, @every or @daily-style schedule"
    policy = spec.get("concurrencyPolicy")
    if policy not in (None, "Allow", "Forbid", "Replace"):
        yield "spec.concurrencyPolicy", f"{policy!r} is not one of Allow, Forbid, Replace"


def _spec_rules(spec: Mapping[str, Any], base: str) -> _Found:
    for j, param in enumerate(_seq(_map(spec.get("arguments")).get("parameters"))):
        yield from _param_name(_map(param), f"{base}.arguments.parameters[{j}]")
    templates = _seq(spec.get("templates"))
    if len(templates) > _TEMPLATES_MAX:
        yield f"{base}.templates", f"{len(templates)} templates > maxItems {_TEMPLATES_MAX}"
    for i, template in enumerate(templates):
        yield from _template_rules(_map(template), f"{base}.templates[{i}]")


def _template_rules(template: Mapping[str, Any], at: str) -> _Found:
    yield from _node_name(template, at)
    types = [t for t in _TEMPLATE_TYPES if t in template]
    if len(types) > 1:
        yield at, f"more than one template type: {', '.join(types)}"
    if "dag" in template or "steps" in template:
        if template.get("timeout"):
            yield f"{at}.timeout", "timeout cannot be applied to steps or dag templates"
        if "activeDeadlineSeconds" in template:
            yield f"{at}.activeDeadlineSeconds", "activeDeadlineSeconds is only valid for leaf templates"
    inputs = _seq(_map(template.get("inputs")).get("parameters"))
    if len(inputs) > _INPUTS_MAX:
        yield f"{at}.inputs.parameters", f"{len(inputs)} input parameters > maxItems {_INPUTS_MAX}"
    for j, param in enumerate(inputs):
        yield from _param_name(_map(param), f"{at}.inputs.parameters[{j}]")
    for g, group in enumerate(_seq(template.get("steps"))):
        for k, step in enumerate(_seq(group)):
            yield from _node_name(_map(step), f"{at}.steps[{g}][{k}]")
    yield from _dag_rules(_seq(_map(template.get("dag")).get("tasks")), f"{at}.dag.tasks")


def _dag_rules(tasks: list[Any], at: str) -> _Found:
    if len(tasks) > _TASKS_MAX:
        yield at, f"{len(tasks)} tasks > maxItems {_TASKS_MAX}"
    # One `depends` anywhere switches the whole DAG to enhanced-depends mode (validate.go validateDAG).
    maps = [_map(t) for t in tasks]
    using_depends = any(t.get("depends") for t in maps)
    for j, task in enumerate(maps):
        here = f"{at}[{j}]"
        yield from _node_name(task, here)
        name = str(task.get("name", ""))
        if (using_depends or task.get("dependencies")) and name[:1].isdigit():
            yield f"{here}.name", f"{name!r} cannot begin with a digit when using depends/dependencies"
        if using_depends and task.get("dependencies"):
            yield f"{here}.dependencies", "cannot use both 'depends' and 'dependencies' in the same DAG"
        if using_depends and task.get("continueOn") is not None:
            yield f"{here}.continueOn", "cannot use 'continueOn' when using 'depends' (use dep-task.Failed)"


def _node_name(node: Mapping[str, Any], at: str) -> _Found:
    name = str(node.get("name", ""))
    if len(name) > _NAME_MAX or not _NAME_RX.fullmatch(name):
        yield f"{at}.name", f"{name!r} !~ {_NAME_RX.pattern} (max {_NAME_MAX} characters)"


def _param_name(param: Mapping[str, Any], at: str) -> _Found:
    name = str(param.get("name", ""))
    if not _PARAM_RX.fullmatch(name):
        yield f"{at}.name", f"{name!r} !~ {_PARAM_RX.pattern}"
