"""Only the app's code goes into a bundle: no secrets, no VCS, no files reached through links out (issue 7
item 11). The selection tests need no build; one test builds a real bundle with the "image" provider."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import textwrap
from pathlib import Path

import pytest
from bundle_support import HOST_PYTHON, load_project

from athena.bundle import build_bundle
from athena.bundle.errors import BundleError
from athena.bundle.select import app_files, excluded_reason, strip_installed

APP = textwrap.dedent('''
    from athena import container, workflow
    from leaky.helpers import shout


    @container
    def greet(name: str) -> str:
        return shout(name)


    @workflow
    def hello(name: str = "world") -> None:
        greet(name)
''')


def leaky_project(root: Path, secret_dir: Path) -> Path:
    """A plain-directory project whose package sits next to everything a developer's tree holds."""
    root.mkdir(parents=True, exist_ok=True)
    secret_dir.mkdir(parents=True, exist_ok=True)
    (secret_dir / "id_rsa").write_text("zq-private-9f3e")
    (secret_dir / "creds.txt").write_text("zq-outside-9f3e")
    (root / "athena.toml").write_text('[project]\nname = "leaky"\napp = ["leaky.app"]\n\n[bootstrap]\n'
                                      'targets = ["x86_64"]\ninterpreter = "local"\n')
    (root / ".env").write_text("API_KEY=zq-root-9f3e\n")
    (root / ".git").mkdir()
    (root / ".git" / "config").write_text("[remote]\n")
    (root / "notes.txt").write_text("not importable, not bundled")
    pkg = root / "leaky"
    (pkg / "data").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "app.py").write_text(APP)
    (pkg / "helpers.py").write_text("def shout(s: str) -> str:\n    return s.upper()\n")
    (pkg / "data" / "table.csv").write_text("a,b\n")
    (pkg / ".env").write_text("API_KEY=zq-pkg-9f3e\n")
    (pkg / ".env.production").write_text("API_KEY=zq-prod-9f3e\n")
    (pkg / ".git").mkdir()
    (pkg / ".git" / "HEAD").write_text("ref: refs/heads/zq-9f3e\n")
    (pkg / "helpers.py.swp").write_text("swap")
    (pkg / "helpers.py~").write_text("backup")
    (pkg / ".vscode").mkdir()
    (pkg / ".vscode" / "settings.json").write_text("{}")
    os.symlink(secret_dir / "creds.txt", pkg / "creds.txt")  # a file out of the project
    os.symlink(secret_dir, pkg / "keys")  # a directory out of the project
    os.symlink("../notes.txt", pkg / "notes.txt")  # inside the project: copied as its content
    os.symlink("data", pkg / "data_alias")  # a directory inside: copied as a directory
    os.symlink("missing", pkg / "dangling")
    return root


def _excluded(sel: object) -> dict[str, str]:
    return {e.path: e.reason for e in sel.excluded}  # type: ignore[attr-defined]


def test_the_selection_keeps_code_and_data_and_nothing_else(tmp_path: Path) -> None:
    root = leaky_project(tmp_path / "proj", tmp_path / "secrets")
    sel = app_files([("leaky", root / "leaky")], root)
    assert sorted(rel for _top, _src, rel in sel.files) == [
        "leaky/__init__.py", "leaky/app.py", "leaky/data/table.csv", "leaky/data_alias/table.csv",
        "leaky/helpers.py", "leaky/notes.txt"]
    out = _excluded(sel)
    assert out["leaky/.env"].startswith("environment file")
    assert out["leaky/.env.production"].startswith("environment file")
    assert out["leaky/.git"] == "VCS metadata"
    assert out["leaky/helpers.py.swp"] == out["leaky/helpers.py~"] == "editor or OS file"
    assert out["leaky/.vscode"] == "editor or OS file"
    assert "outside the project" in out["leaky/creds.txt"] and "outside the project" in out["leaky/keys"]
    assert out["leaky/dangling"].startswith("dangling symlink")
    assert not any("secrets" in str(src) for _top, src, _rel in sel.files)


def test_a_symlink_loop_is_a_clear_error(tmp_path: Path) -> None:
    root = leaky_project(tmp_path / "proj", tmp_path / "secrets")
    os.symlink("..", root / "leaky" / "data" / "up")  # leaky/data/up -> leaky: contains itself
    with pytest.raises(BundleError, match=r"leaky/data/up is a symlink loop"):
        app_files([("leaky", root / "leaky")], root)


def test_a_self_referencing_link_is_a_clear_error(tmp_path: Path) -> None:
    root = leaky_project(tmp_path / "proj", tmp_path / "secrets")
    os.symlink("self", root / "leaky" / "self")
    with pytest.raises(BundleError, match=r"self is a symlink loop \(.*self -> self\)"):
        app_files([("leaky", root / "leaky")], root)


def test_an_app_package_linked_from_outside_the_project_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    root.mkdir()
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "__init__.py").write_text("")
    os.symlink(tmp_path / "elsewhere", root / "pkg")
    with pytest.raises(BundleError, match=r"the app module `pkg` .* outside the project"):
        app_files([("pkg", root / "pkg")], root)


@pytest.mark.parametrize(("name", "kept"), [
    (".env", False), (".env.local", False), ("prod.env", False), (".envrc", False), (".git", False),
    (".hg", False), (".svn", False), ("x.swp", False), (".DS_Store", False), (".hidden", False),
    ("__pycache__", False), ("environment.py", True), ("data.json", True), ("envs", True), ("git.py", True),
])
def test_excluded_names(name: str, kept: bool) -> None:
    assert (excluded_reason(name) is None) is kept


def test_secrets_installed_by_the_project_wheel_are_removed(tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    (site / "proj" / "sub").mkdir(parents=True)
    (site / "proj" / "__init__.py").write_text("")
    (site / "proj" / ".env").write_text("TOKEN=x")
    (site / "proj" / "sub" / ".git").mkdir()
    (site / "other").mkdir()
    (site / "other" / ".env").write_text("not the project's: left alone")
    gone = strip_installed(site, ("proj",))
    assert sorted(e.path.split(" ")[0] for e in gone) == ["site-packages/proj/.env", "site-packages/proj/sub/.git"]
    assert (site / "proj" / "__init__.py").exists() and not (site / "proj" / ".env").exists()
    assert (site / "other" / ".env").exists()


def test_a_built_bundle_holds_no_secret(tmp_path: Path) -> None:
    root = leaky_project(tmp_path / "proj", tmp_path / "secrets")
    sys.path.insert(0, str(root))
    try:
        app, config = load_project(root, interpreter="image", python=HOST_PYTHON)
        result = build_bundle(app, config, targets=["x86_64"], out=tmp_path / "b.tar.gz")
    finally:
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m == "leaky" or m.startswith("leaky.")]:
            del sys.modules[name]
    with tarfile.open(result.path) as tf:
        members = {m.name: m for m in tf.getmembers()}
        blob = b"".join(tf.extractfile(m).read() for m in members.values() if m.isfile())  # type: ignore[union-attr]
    app_names = sorted(n.removeprefix("bin/app-x86_64/app/") for n in members
                       if n.startswith("bin/app-x86_64/app/leaky/") and members[n].isfile()
                       and not n.endswith(".pyc"))
    assert app_names == ["leaky/__init__.py", "leaky/app.py", "leaky/data/table.csv", "leaky/data_alias/table.csv",
                         "leaky/helpers.py", "leaky/notes.txt"]
    for secret in (b"zq-root", b"zq-pkg", b"zq-prod", b"zq-private", b"zq-outside", b"zq-9f3e"):
        assert secret not in blob, secret
    assert all(m.isfile() or m.isdir() for m in members.values())  # regular files only, no links
    assert {e.path for e in result.excluded} >= {"leaky/.env", "leaky/.git", "leaky/creds.txt", "leaky/keys"}


def test_build_print_lists_the_exclusions(tmp_path: Path) -> None:
    root = leaky_project(tmp_path / "proj", tmp_path / "secrets")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-m", "athena.cli", "build", "--print"], cwd=root, env=env,
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert out.startswith("digest ") and "app modules: leaky (6 file(s))" in out
    lines = {ln.split()[0]: ln for ln in out.splitlines() if ln.startswith("  ")}
    assert "environment file" in lines["leaky/.env"] and "VCS metadata" in lines["leaky/.git"]
    assert "outside the project" in lines["leaky/creds.txt"]
