"""The documentation stays true to the code.

* docs/errors.md is what scripts/gen_errors_doc.py generates from the catalogue;
* every Python block of docs/guide.md and docs/reference.md is a verbatim copy of a docs/examples module,
  and every such module compiles, emits and validates against the schemas of every supported Argo line,
  and type-checks under mypy --strict;
* every error code the docs mention exists;
* every command and option of the CLI is in docs/reference.md.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from athena import api
from athena.argo.lint import SUPPORTED, lint_documents
from athena.codes import CATALOGUE
from athena.config import load_config

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
EXAMPLES = DOCS / "examples"
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.py"))
MARKER = re.compile(r"# docs/examples/([A-Za-z0-9_]+\.py)")
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.M | re.S)


def _python_blocks(doc: Path) -> list[str]:
    return [body for lang, body in FENCE.findall(doc.read_text(encoding="utf-8")) if lang == "python"]


# ---------------------------------------------------------------------------------------------- errors.md


def test_errors_doc_is_current() -> None:
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_errors_doc.py"), "--check"],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr


def test_errors_doc_lists_every_code() -> None:
    text = (DOCS / "errors.md").read_text(encoding="utf-8")
    for code, entry in CATALOGUE.items():
        assert f"### {code}: {entry.title}" in text


# ------------------------------------------------------------------------------------- examples in docs


@pytest.mark.parametrize("doc", ["guide.md", "reference.md"])
def test_python_blocks_are_example_files(doc: str) -> None:
    for block in _python_blocks(DOCS / doc):
        first = block.split("\n", 1)[0]
        m = MARKER.fullmatch(first)
        assert m, f"{doc}: a python block must start with `# docs/examples/NAME.py`, got {first!r}"
        path = EXAMPLES / m[1]
        assert path.is_file(), f"{doc}: {first} names a file that does not exist"
        assert block == path.read_text(encoding="utf-8"), f"{doc}: the block of {first} differs from the file"


def test_yaml_examples_are_files() -> None:
    """A yaml block that starts with `# docs/examples/NAME.yaml` is that file, verbatim (values files)."""
    blocks = [body for lang, body in FENCE.findall((DOCS / "guide.md").read_text(encoding="utf-8"))
              if lang == "yaml" and body.startswith("# docs/examples/")]
    assert blocks
    for block in blocks:
        name = block.split("\n", 1)[0].removeprefix("# docs/examples/")
        assert block == (EXAMPLES / name).read_text(encoding="utf-8"), f"guide.md: the block of {name} differs"


def test_every_example_is_in_the_guide() -> None:
    shown = {MARKER.fullmatch(b.split("\n", 1)[0])[1]  # type: ignore[index]
             for b in _python_blocks(DOCS / "guide.md") if MARKER.fullmatch(b.split("\n", 1)[0])}
    assert EXAMPLE_FILES, "docs/examples holds no modules"
    assert {p.name for p in EXAMPLE_FILES} <= shown


@pytest.fixture
def isolated_imports() -> Iterator[None]:
    """Loading an example by path adds its directory to sys.path and its stem to sys.modules; undo both."""
    path, modules = list(sys.path), dict(sys.modules)
    yield
    sys.path[:] = path
    for name, module in list(sys.modules.items()):
        if EXAMPLES in Path(getattr(module, "__file__", None) or "/").resolve().parents:
            if name in modules:
                sys.modules[name] = modules[name]
            else:
                del sys.modules[name]


@pytest.mark.usefixtures("isolated_imports")
@pytest.mark.parametrize("example", EXAMPLE_FILES, ids=lambda p: p.name)
def test_example_emits_and_validates(example: Path) -> None:
    assert example.read_text(encoding="utf-8").startswith(f"# docs/examples/{example.name}\n")
    config = load_config(start=example.parent, env={})
    app = api.load_app(str(example), config)
    assert app.roots, f"{example.name} defines no templates"
    docs = api.emit_documents(app, config, with_workflow=True)
    assert docs
    issues = lint_documents(docs, SUPPORTED)
    assert not issues, "\n".join(map(str, issues))


def test_examples_type_check_under_mypy_strict() -> None:
    """The guide says a workflow body type-checks as written; hold its examples to that."""
    proc = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--follow-imports=silent",
                           *map(str, EXAMPLE_FILES)], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr


# ---------------------------------------------------------------------------------------------- codes


def test_codes_mentioned_in_docs_exist() -> None:
    for doc in sorted(DOCS.glob("*.md")):
        unknown = sorted(set(re.findall(r"ATH\d{3}", doc.read_text(encoding="utf-8"))) - set(CATALOGUE))
        assert not unknown, f"docs/{doc.name} mentions unknown codes: {', '.join(unknown)}"


# ------------------------------------------------------------------------------------------------ CLI


def _commands() -> Iterator[tuple[tuple[str, ...], click.Command]]:
    from athena.cli.root import cli as main

    def walk(cmd: click.Command, path: tuple[str, ...], ctx: click.Context) -> Iterator[tuple[tuple[str, ...],
                                                                                           click.Command]]:
        yield path, cmd
        if isinstance(cmd, click.Group):
            for name in cmd.list_commands(ctx):
                sub = cmd.get_command(ctx, name)
                if sub is not None and not sub.hidden:
                    yield from walk(sub, (*path, name), click.Context(sub, parent=ctx, info_name=name))

    yield from walk(main, (), click.Context(main, info_name="athena"))


def test_every_cli_command_and_option_is_in_the_reference() -> None:
    text = (DOCS / "reference.md").read_text(encoding="utf-8")
    commands = list(_commands())
    assert len(commands) > 1
    for path, cmd in commands:
        if path:
            assert f"athena {' '.join(path)}" in text, f"`athena {' '.join(path)}` is not in docs/reference.md"
        for param in cmd.params:
            if isinstance(param, click.Option) and not param.hidden:
                for opt in param.opts:
                    assert re.search(rf"`{re.escape(opt)}[` ]", text), \
                        f"option {opt} of `athena {' '.join(path)}` is not in docs/reference.md"
