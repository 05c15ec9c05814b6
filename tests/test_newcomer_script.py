"""scripts/newcomer: a clean clone follows the README's first command and the guide's emulate section as the docs
print them (issue 8's acceptance). Takes a few minutes: a fresh venv with pip, bundles for x86_64 and aarch64, and
podman runs. Needs podman and the localhost/athena-* images of scripts/setup-podman (scripts/test sets them up);
fails, never skips, without them."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "scripts" / "newcomer"


def _marked_blocks(doc: Path) -> list[str]:
    return re.findall(r"^<!-- newcomer -->\n```\w*\n(.*?)^```", doc.read_text(encoding="utf-8"), re.M | re.S)


def test_the_docs_mark_what_the_newcomer_runs() -> None:
    readme, guide = _marked_blocks(REPO / "README.md"), _marked_blocks(REPO / "docs" / "guide.md")
    assert len(readme) == 1 and readme[0].startswith("python3 -m venv .venv && . .venv/bin/activate && pip install")
    # the README's first command is the first block of the README
    first = re.search(r"^```sh\n(.*?)^```", (REPO / "README.md").read_text(encoding="utf-8"), re.M | re.S)
    assert first is not None and first[1] == readme[0]
    assert len(guide) == 1 and "container emulate" in guide[0] and "localhost/athena-bb-arm64:1" in guide[0]
    section = (REPO / "docs" / "guide.md").read_text(encoding="utf-8").split("## Emulating a step\n", 1)[1]
    assert guide[0] in section.split("\n## ", 1)[0]  # the block is in the emulate section
    assert "ATHENA_CONTAINERS_CONF=" not in readme[0] + guide[0]  # no hidden setting


def test_a_newcomer_gets_from_a_clean_clone_to_a_step_in_a_container() -> None:
    if shutil.which("podman") is None or shutil.which("git") is None:
        pytest.fail("podman and git are needed: run scripts/setup-podman (as root) first", pytrace=False)
    if subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True).returncode != 0:
        pytest.fail(f"{REPO} is not a git checkout: scripts/newcomer clones it", pytrace=False)
    # ATHENA_CACHE is the suite's own cache (tests/conftest.py): Debian packages are downloaded once, not per run.
    proc = subprocess.run([str(SCRIPT)], env=dict(os.environ), capture_output=True, text=True, timeout=1800)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-6000:]
    assert "newcomer: every command succeeded" in proc.stderr
    assert out.count('return: "hello"') == 2 and 'return: "hi"' in out
