"""One small golden per feature: ``tests/golden/<feature>/app.py`` emits ``tests/golden/<feature>/expected.yaml``.

Each ``app.py`` uses exactly one feature, so a change to the emitter rewrites only the goldens it should.
Two long strings are the same in every container and would drown the diff: the bootstrap script is pinned
once in ``tests/golden/bootstrap.sh`` and the bundle digest (a hash of the app's sources) is pinned as
``<digest>``; every other golden carries placeholders for them.

Regenerate with ``pytest tests/golden/test_golden.py --update-goldens`` and review the diff.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from athena import api
from athena.argo.lint import SUPPORTED, lint_documents
from athena.argo.yaml import io as yamlio
from athena.config import load_config
from athena.runtime.protocol import bootstrap_script

GOLDEN = Path(__file__).resolve().parent
FEATURES = sorted(p.parent for p in GOLDEN.glob("*/app.py"))
EXAMPLES = sorted((GOLDEN.parent.parent / "examples").glob("*.py"))
BOOTSTRAP = GOLDEN / "bootstrap.sh"
BOOTSTRAP_PLACEHOLDER = "<bootstrap.sh>"
DIGEST_PLACEHOLDER = "<digest>"
REFRESH = "if the change is intended, rerun `pytest tests/golden/test_golden.py --update-goldens` and review the diff"

# Emit arguments beyond the defaults (templates only), for the features that are about them.
EMIT_ARGS: dict[str, dict[str, Any]] = {
    "with_workflow": {"with_workflow": True},
    "namespace": {"with_workflow": True, "namespace": "team-a"},
}


@pytest.fixture(autouse=True)
def isolated_imports() -> Iterator[None]:
    """Every feature's module is called ``app``: loading one by path must not leave it for the next."""
    path = list(sys.path)
    yield
    sys.path[:] = path
    for name, module in list(sys.modules.items()):
        # only the feature modules: athena's own lazily imported modules must stay the ones already bound
        if name != __name__ and GOLDEN in Path(getattr(module, "__file__", None) or "/").resolve().parents:
            del sys.modules[name]


def _placeholders(value: Any, script: str, digest: str) -> Any:
    if isinstance(value, dict):
        return {k: _placeholders(v, script, digest) for k, v in value.items()}
    if isinstance(value, list):
        return [_placeholders(v, script, digest) for v in value]
    if isinstance(value, str):
        return BOOTSTRAP_PLACEHOLDER if value == script else value.replace(digest, DIGEST_PLACEHOLDER)
    return value


def emit(feature: Path) -> tuple[list[dict[str, Any]], str]:
    """The feature's documents as emitted, and the golden text (placeholders in)."""
    config = load_config(start=feature, env={})
    app = api.load_app(str(feature / "app.py"), config)
    docs = api.emit_documents(app, config, **EMIT_ARGS.get(feature.name, {}))
    digest = api.bundle_digest(app, config)
    text = yamlio.dump_yaml(_placeholders(docs, bootstrap_script(tuple(config.bootstrap.targets)), digest))
    return docs, text


def _check(path: Path, text: str, update: bool) -> None:
    if update:
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"{path} is missing; run `pytest tests/golden/test_golden.py --update-goldens` and review it"
    assert text == path.read_text(encoding="utf-8"), f"{path.relative_to(GOLDEN.parent)} differs; {REFRESH}"


def test_every_feature_has_a_golden() -> None:
    assert len(FEATURES) >= 25
    for d in sorted(p for p in GOLDEN.iterdir() if p.is_dir() and p.name != "__pycache__"):
        assert {"app.py", "expected.yaml"} <= {p.name for p in d.iterdir()}, f"{d} needs app.py and expected.yaml"
    files = sorted(p.name for p in GOLDEN.iterdir() if p.is_file())
    assert files == ["athena.toml", "bootstrap.sh", "test_golden.py"], "goldens live in tests/golden/<feature>/expected.yaml"


def test_bootstrap_golden(update_goldens: bool) -> None:
    config = load_config(start=GOLDEN, env={})
    _check(BOOTSTRAP, bootstrap_script(tuple(config.bootstrap.targets)), update_goldens)


@pytest.mark.parametrize("feature", FEATURES, ids=lambda p: p.name)
def test_golden(feature: Path, update_goldens: bool) -> None:
    docs, text = emit(feature)
    _check(feature / "expected.yaml", text, update_goldens)
    # the placeholders stand for exactly the pinned script: every container runs it, nothing else does
    script = bootstrap_script(tuple(load_config(start=feature, env={}).bootstrap.targets))
    containers = [t["container"] for d in docs if d["kind"] == "WorkflowTemplate"
                  for t in d["spec"]["templates"] if "container" in t]
    assert all(c["args"][0] == script for c in containers)
    assert text.count(BOOTSTRAP_PLACEHOLDER) == len(containers)


@pytest.mark.parametrize("feature", FEATURES, ids=lambda p: p.name)
def test_golden_is_valid_argo(feature: Path) -> None:
    docs = yamlio.load_yaml_documents((feature / "expected.yaml").read_text(encoding="utf-8"))
    assert docs
    issues = lint_documents(docs, SUPPORTED, strict=True, crd_rules=True, lenient=True)
    assert issues == [], "\n".join(map(str, issues))


@pytest.mark.parametrize("feature", FEATURES, ids=lambda p: p.name)
def test_golden_is_written_alike_by_both_yaml_writers(feature: Path) -> None:
    docs = yamlio.load_yaml_documents((feature / "expected.yaml").read_text(encoding="utf-8"))
    assert yamlio.dump_yaml(docs) == yamlio.dump_yaml_reference(docs)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_example_emits_valid_argo(example: Path) -> None:
    """The whole examples have no goldens (the features above pin the output); they must still be valid."""
    config = load_config(start=example.parent, env={})
    docs = api.emit_documents(api.load_app(str(example), config), config, with_workflow=True)
    assert any(d["kind"] == "Workflow" for d in docs)
    issues = lint_documents(docs, SUPPORTED, strict=True, crd_rules=True, lenient=True)
    assert issues == [], "\n".join(map(str, issues))


def test_emit_is_deterministic() -> None:
    for feature in FEATURES:
        assert emit(feature)[1] == emit(feature)[1]
