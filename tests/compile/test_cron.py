"""Schedules: the cron checker, the option validators, the CronWorkflow document, and the other paths."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from athena import codes, names
from athena.argo.emit.cron import cron_doc
from athena.argo.emit.settings import EmitSettings
from athena.argo.lint import SUPPORTED, lint_documents
from athena.compile.cron import cron_problem
from athena.compile.model import Param, Workflow
from athena.compile.options import OPTIONS, OptionInvalid, TemplateOptions
from athena.compile.typecheck import INT, NONE, STR

GOOD = ["0 4 * * *", "*/15 * * * *", "0 9-17/2 * * MON-FRI", "0 0 1,15 jan,jul ?", "5 4 * * sun",
        "@daily", "@HOURLY", "@every 1h30m", "0 0 31 12 6", "  0   4 * * *  "]
BAD = {
    "0 0 4 * * *": "Argo 4 rejects a seconds field",
    "0 4 * *": "has 4 field(s)",
    "60 * * * *": "minute 60 is out of range 0-59",
    "0 24 * * *": "hour 24 is out of range 0-23",
    "0 0 0 * *": "day of month 0 is out of range 1-31",
    "0 0 * 13 *": "month 13 is out of range 1-12",
    "0 0 * * 7": "day of week 7 is out of range 0-6",
    "0 0 * FOO *": "month 'FOO' is not a number or a name (JAN",
    "*/0 * * * *": "minute step '0' must be a whole number ≥ 1",
    "0 17-9 * * *": "hour range '17-9' runs backwards",
    "0,,5 * * * *": "minute has an empty item",
    "? * * * *": "minute '?' is not a number",
    "@fortnightly": "not a known descriptor",
    "@every 2d": "`@every` needs a positive Go duration",
    "CRON_TZ=UTC 0 4 * * *": "use the `timezone=` argument",
    "": "a schedule is empty",
    "٣ * * * *": "is not a number",
}


@pytest.mark.parametrize("text", GOOD)
def test_cron_accepts(text: str) -> None:
    assert cron_problem(text) is None


@pytest.mark.parametrize("text", sorted(BAD))
def test_cron_rejects(text: str) -> None:
    problem = cron_problem(text)
    assert problem is not None and BAD[text] in problem, problem


def test_validators_normalize() -> None:
    assert OPTIONS["schedule"].validate(" 0  4 * * * ") == ("0 4 * * *",)
    assert OPTIONS["schedule"].validate(["@daily", "0 4 * * *"]) == ("@daily", "0 4 * * *")
    assert OPTIONS["starting_deadline"].validate("2m") == 120
    assert OPTIONS["timezone"].validate("America/New_York") == "America/New_York"
    assert OPTIONS["successful_jobs_history_limit"].validate(0) == 0
    assert OPTIONS["cron_arguments"].validate({"a": "x", "b": [1, {"c": None}]}) == (("a", '"x"'),
                                                                                     ("b", '[1,{"c":null}]'))
    for name, value in [("schedule", []), ("schedule", 5), ("timezone", "Mars/Olympus"), ("timezone", ""),
                        ("concurrency_policy", "forbid"), ("failed_jobs_history_limit", -1),
                        ("failed_jobs_history_limit", True), ("cron_arguments", {"a": object()}),
                        ("cron_arguments", ["a"])]:
        with pytest.raises(OptionInvalid):
            OPTIONS[name].validate(value)
    with pytest.raises(OptionInvalid) as info:
        OPTIONS["schedule"].validate(["0 4 * * *", "0 0 4 * * *", "x"])
    assert [p.code for p in info.value.problems] == [codes.BAD_CRON, codes.BAD_CRON]


SETTINGS = EmitSettings(targets=(), default_image="img", service_account=None, namespace="ns", argo_line="4.1",
                        image_pull_secrets=(), run_as_user=None, name_tag="", s3={}, bundle_key="k", digest="d")


def _root(name: str, **options: object) -> Workflow:
    return Workflow(name=name, function="f", params=(Param("region", STR), Param("days", INT, default=7, has_default=True)),
                    returns=NONE, tasks=(), options=TemplateOptions(**options))  # type: ignore[arg-type]


def test_cron_document_names_and_reference() -> None:
    long = "team-" + "x" * 60
    wf = _root(long, schedules=("@daily",), cron_arguments=(("region", '"eu"'),))
    doc = cron_doc(wf, SETTINGS)
    assert doc["metadata"] == {"name": names.shorten(long, 52), "namespace": "ns"}
    assert len(doc["metadata"]["name"]) == 52
    assert doc["spec"] == {"schedules": ["@daily"], "workflowSpec": {
        "workflowTemplateRef": {"name": long},
        "arguments": {"parameters": [{"name": "region", "value": '"eu"'}, {"name": "days", "value": "7"}]}}}
    tagged = cron_doc(wf, dataclasses.replace(SETTINGS, name_tag="1.2.0"))
    ref = tagged["spec"]["workflowSpec"]["workflowTemplateRef"]["name"]
    assert ref == names.with_tag(long, "1.2.0") and ref.endswith("-1-2-0")
    assert tagged["metadata"]["name"] == names.cron_name(ref)
    assert "schedule" not in doc["spec"]  # the singular field Argo 4 removed
    for d in (doc, tagged):
        assert lint_documents([d], SUPPORTED) == []


def test_in_process_run_ignores_the_schedule(tmp_path: Path) -> None:
    (tmp_path / "flow.py").write_text(FLOW)
    sys.path.insert(0, str(tmp_path))
    try:
        import flow  # type: ignore[import-not-found]

        assert flow.nightly(3) == 6
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("flow", None)


FLOW = '''
import athena

@athena.container
def double(n: int) -> int:
    return n * 2

@athena.workflow(schedule="0 4 * * *", timezone="UTC", cron_arguments={"n": 1})
def nightly(n: int) -> int:
    return double(n)
'''


def test_check_counts_the_cron_workflow(tmp_path: Path) -> None:
    (tmp_path / "flow.py").write_text(FLOW)
    r = subprocess.run([sys.executable, "-m", "athena.cli", "check", "flow.py"], capture_output=True, text=True,
                       cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "1 CronWorkflow" in r.stderr and r.stderr.startswith("ok: 2 WorkflowTemplates, 1 CronWorkflow and "), \
        r.stderr
