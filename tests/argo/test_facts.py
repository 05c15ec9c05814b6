"""athena.argo.facts: Argo's lines, versions and limits, and that their users read them from there."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from athena import config, names
from athena.argo import facts, lint
from athena.compile import checks


def test_facts_is_a_stdlib_leaf() -> None:
    tree = ast.parse(Path(facts.__file__).read_text(encoding="utf-8"))
    mods = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    mods |= {(n.module or "").split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert mods - {"__future__"} <= set(sys.stdlib_module_names)


@pytest.mark.parametrize(("text", "allow_v", "want"), [
    ("4.1", False, (4, 1, None, "4.1")),
    ("3.7.16", False, (3, 7, 16, "3.7")),
    ("v4.1.2", True, (4, 1, 2, "4.1")),
    ("v4.1.2", False, None),
    ("4", False, None),
    ("4.1.2.3", False, None),
    ("latest", True, None),
    ("", False, None),
])
def test_parse_version(text: str, allow_v: bool, want: tuple[int, int, int | None, str] | None) -> None:
    v = facts.parse_version(text, allow_v=allow_v)
    assert (None if v is None else (v.major, v.minor, v.patch, v.line)) == want


@pytest.mark.parametrize(("version", "offloads"), [
    ("3.6", False), ("3.6.19", False), ("3.7", True), ("3.7.9", False), ("3.7.10", True), ("4.0.0", False),
    ("4.0.1", True), ("4.0", True), ("4.1.0", True), ("5.0", True),
])
def test_which_versions_offload_large_args(version: str, offloads: bool) -> None:
    parsed = facts.parse_version(version)
    assert parsed is not None and facts.offloads_large_args(parsed) is offloads


@pytest.mark.parametrize(("version", "hangs"), [
    ("3.7.10", False), ("3.7.11", True), ("3.7.15", True), ("3.7.16", False), ("4.0.2", True), ("4.0.6", True),
    ("4.0.7", False), ("4.0", False), ("3.6.12", False),
])
def test_which_versions_hang_on_skipped_outputs(version: str, hangs: bool) -> None:
    parsed = facts.parse_version(version)
    assert parsed is not None and facts.hangs_on_skipped_outputs(parsed) is hangs


def test_users_read_the_facts() -> None:
    assert config.ARGO_LINES is facts.MIN_PATCH
    assert lint.SUPPORTED == facts.LINES and lint.SCHEMA_TAGS is facts.SCHEMA_TAGS
    assert set(facts.SCHEMA_TAGS) == set(facts.MIN_PATCH)
    assert (checks.MAX_DAG_TASKS, checks.MAX_INPUT_PARAMS, checks.MAX_DEPTH) == (
        facts.MAX_DAG_TASKS, facts.MAX_INPUT_PARAMS, facts.MAX_DEPTH)
    assert (names.WORKFLOW_TEMPLATE_MAX, names.CRON_WORKFLOW_MAX, names.TEMPLATE_MAX) == (
        facts.MAX_OBJECT_NAME, facts.MAX_CRON_WORKFLOW_NAME, facts.MAX_TEMPLATE_NAME)


def test_every_line_minimum_is_a_schema_tag_or_older() -> None:
    for line, patch in facts.MIN_PATCH.items():
        newest = facts.parse_version(facts.SCHEMA_TAGS[line], allow_v=True)
        assert newest is not None and newest.line == line and (newest.patch or 0) >= patch


@pytest.mark.parametrize(("version", "has"), [("3.6.19", False), ("3.7", True), ("4.1.0", True)])
def test_backoff_cap_needs_3_7(version: str, has: bool) -> None:
    parsed = facts.parse_version(version)
    assert parsed is not None and facts.has_backoff_cap(parsed) is has
