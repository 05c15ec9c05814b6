"""Shared pieces of the bundle tests: built bundles (session-scoped), Argo-like unpacking, tiny packages.

Everything is real: Debian packages through the private apt configuration, wheels from PyPI, pip, the
bundled interpreter started through its own loader. Downloads are cached in ``$ATHENA_CACHE``, which
``tests/conftest.py`` points at the checkout's ``.athena/test-cache`` (never the user's own cache), so only the
first run needs the network.
"""

from __future__ import annotations

import os
import shutil
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from bundle_support import FIXTURES, HOST_PYTHON, argo_unpack, load_project, make_sdist, make_wheel

from athena.bundle import BuildResult, build_bundle

# ---------------------------------------------------------------------------------------------------------
# projects


@pytest.fixture(scope="session")
def msgspec_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of fixtures/msgspec_app (its wheel build writes build/ and *.egg-info next to the sources)."""
    dest = tmp_path_factory.mktemp("project") / "msgspec_app"
    shutil.copytree(FIXTURES / "msgspec_app", dest)
    return dest


@pytest.fixture(scope="session")
def hello_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Loose modules with an athena.toml (no pyproject): the app's files are copied into app/."""
    root = tmp_path_factory.mktemp("hello")
    (root / "athena.toml").write_text('[project]\nname = "hello"\napp = ["hello"]\n\n[bootstrap]\n'
                                      'targets = ["x86_64"]\ninterpreter = "local"\n')
    (root / "hello.py").write_text(textwrap.dedent('''
        from athena import container, workflow


        @container
        def greet(name: str) -> str:
            import sys
            return f"hello {name} from {sys.version_info[0]}.{sys.version_info[1]}"


        @workflow
        def hello(name: str = "world") -> None:
            greet(name)
    '''))
    return root


@pytest.fixture(scope="session")
def packages_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A find-links directory with two sdist-only packages and one x86_64-only wheel:

    * ``athena-purefix`` 1.0: a pure-Python sdist (no wheel anywhere);
    * ``athena-fakenative`` 1.0: an x86_64 manylinux wheel, and an sdist with C code (no aarch64 wheel).
    """
    d = tmp_path_factory.mktemp("packages")
    make_sdist(d, "athena_purefix", "1.0", {"athena_purefix/__init__.py": "VALUE = 42\n"})
    make_sdist(d, "athena_fakenative", "1.0", {"athena_fakenative/__init__.py": "", "athena_fakenative/fast.c": "int x;\n"},
           setup="from setuptools import Extension, setup\n"
                 "setup(ext_modules=[Extension('athena_fakenative.fast', ['athena_fakenative/fast.c'])])\n")
    make_wheel(d, "athena_fakenative", "1.0", "cp311-cp311-manylinux_2_17_x86_64",
           {"athena_fakenative/__init__.py": "NATIVE = True\n"})
    return d


# ---------------------------------------------------------------------------------------------------------
# built bundles (each built once per session)


Progress = list[tuple[str, float]]


@pytest.fixture(scope="session")
def apt_build(msgspec_project: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[BuildResult, Progress]:
    """The msgspec project with the ``apt`` provider, x86_64 + aarch64 in one tarball."""
    if HOST_PYTHON != "3.11":
        pytest.skip("the apt provider's bookworm Python is 3.11")
    app, config = load_project(msgspec_project)
    calls: Progress = []
    out = tmp_path_factory.mktemp("apt") / "bundle.tar.gz"
    result = build_bundle(app, config, out=out, progress=lambda s, f: calls.append((s, f)))
    return result, calls


@pytest.fixture(scope="session")
def apt_root(apt_build: tuple[BuildResult, Progress], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The apt bundle unpacked as Argo would at <tmp>/athena/bin."""
    return argo_unpack(apt_build[0].path, tmp_path_factory.mktemp("pod") / "athena" / "bin")


@pytest.fixture(scope="session")
def local_build(hello_project: Path, tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    app, config = load_project(hello_project, python=HOST_PYTHON)
    return build_bundle(app, config, out=tmp_path_factory.mktemp("local") / "hello.tar.gz")


@pytest.fixture
def fake_uname(tmp_path: Path) -> Callable[[str], str]:
    """A directory with a ``uname`` printing the given machine; returns a PATH with it first."""

    def make(machine: str) -> str:
        d = tmp_path / f"uname-{machine}"
        d.mkdir(exist_ok=True)
        u = d / "uname"
        u.write_text(f'#!/bin/sh\nif [ "$1" = -m ]; then echo {machine}; else echo Linux; fi\n')
        u.chmod(0o755)
        return f"{d}:/usr/bin:/bin"

    return make


@pytest.fixture(scope="session")
def apt_sysroot() -> Iterator[Path]:
    """The extracted Debian bookworm arm64 sysroot of the apt provider (python + libraries)."""
    from athena.bundle import providers

    interp = providers.provide("apt", "aarch64", "3.11", env=os.environ)
    assert interp.sysroot is not None
    yield interp.sysroot
