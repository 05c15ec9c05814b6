"""``athena run`` against the conformance corpus: every case, on every Argo version it names.

Each case (``cases/*.yaml``, format in ``cases/README.md``) pins one Argo behaviour with its source. A case runs
on 4.1 unless it lists ``versions``, and on every version an ``expect`` override names. Low-confidence
expectations run as non-strict xfails: the corpus does not claim them, a pass is reported as XPASS.

This module imports the runner at the top on purpose: until ``athena.local.run`` exists the whole module
fails to import, loudly. The corpus itself is checked by ``test_conformance_cases.py``.
"""

from __future__ import annotations

import re

import pytest
from conformance_cases import Case, check_result, load_all

from athena.local.run import RunOptions, run_workflow

TIME_SCALE = 0.01
# Cases the runner does not meet yet (a gap to close, each either a runner bug or a case to re-check against
# Argo's source). Strict: a case that starts passing fails here until it is removed from this list.
KNOWN_GAPS: frozenset[str] = frozenset()


def _params() -> list[object]:
    params: list[object] = []
    for case in load_all():
        for version in case.run_versions():
            marks = []
            if case.confidence_for(version) == "low":
                marks.append(pytest.mark.xfail(strict=False, reason=f"low confidence: {case.note}"))
            elif f"{case.name}@{version}" in KNOWN_GAPS:
                marks.append(pytest.mark.xfail(strict=True, reason="known gap of athena run (KNOWN_GAPS)"))
            params.append(pytest.param(case, version, id=f"{case.name}@{version}", marks=marks))
    return params


@pytest.mark.parametrize(("case", "version"), _params())
def test_conformance(case: Case, version: str) -> None:
    expectation = case.expectation(version)
    options = RunOptions(argo_version=version, time_scale=TIME_SCALE)
    context = f"{case.name} on Argo {version} ({case.source})"
    raises = expectation.get("raises")
    try:
        result = run_workflow(case.documents, case.entry, dict(case.arguments), options)
    except Exception as exc:
        # Argo rejects some workflows before anything runs (e.g. an argument outside its enum).
        if raises is not None and re.search(raises, str(exc)):
            return
        raise
    if raises is not None:
        assert result.phase == "Error" and re.search(raises, result.message or ""), (
            f"{context}: expected a refusal matching {raises!r}, got phase {result.phase!r}: {result.message!r}")
        return
    problems = check_result(expectation, result)
    assert not problems, f"{context}:\n  " + "\n  ".join(problems)
