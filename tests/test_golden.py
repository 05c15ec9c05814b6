"""Golden YAML for every example module, validated against every supported Argo schema.

Regenerate with `pytest tests/test_golden.py --update-goldens` and review the diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from athena import api
from athena.argo.lint import SUPPORTED, lint_documents
from athena.argo.yaml import dump_yaml, load_yaml_documents
from athena.config import load_config

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
GOLDEN = Path(__file__).resolve().parent / "golden"
FAKE_DIGEST = "0123456789abcdef"


def emit(path: Path) -> str:
    config = load_config(start=path.parent)
    app = api.load_app(str(path), config)
    digest = api.bundle_digest(app, config)
    text = dump_yaml(api.emit_documents(app, config, with_workflow=True))
    # The digest hashes the example sources; pin it so editing one example does not rewrite every golden.
    # Quoting depends on the digest's first character (a leading digit is quoted); normalize both spellings.
    return text.replace(f"'{digest}'", FAKE_DIGEST).replace(digest, FAKE_DIGEST)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_golden(example: Path, update_goldens: bool) -> None:
    text = emit(example)
    golden = GOLDEN / f"{example.stem}.yaml"
    if update_goldens or not golden.exists():
        if not update_goldens:
            pytest.fail(f"{golden} is missing; run pytest --update-goldens and review it")
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8"), (
        f"{example.name} emits differently from {golden}; if intended, rerun with --update-goldens"
    )


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_golden_is_valid_argo(example: Path) -> None:
    docs = load_yaml_documents((GOLDEN / f"{example.stem}.yaml").read_text(encoding="utf-8"))
    assert docs
    issues = lint_documents(docs, SUPPORTED, strict=True, crd_rules=True, lenient=True)
    assert issues == []


def test_emit_is_deterministic() -> None:
    for example in EXAMPLES:
        assert emit(example) == emit(example)
