"""Whole builds: apt (x86_64 + aarch64 with msgspec), local, pbs, image; run the x86_64 half on the host."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest
from bundle_support import (
    HOST_PYTHON,
    argo_unpack,
    env_with,
    load_project,
    needs_py311,
    needs_x86_64,
    pod_env,
    run_sh,
)

from athena.bundle import (
    BuildResult,
    BundleError,
    InterpreterError,
    MissingWheelError,
    build_bundle,
    elf,
    manifest_of,
)
from athena.bundle.identity import project_identity
from athena.runtime import protocol

MB = 1_000_000


# ---------------------------------------------------------------------------------------------------------
# apt: x86_64 + aarch64 in one tarball


def test_manifest_and_result(apt_build: tuple[BuildResult, list[tuple[str, float]]], msgspec_project: Path) -> None:
    result, _ = apt_build
    assert result.targets == ("x86_64", "aarch64")
    _, config = load_project(msgspec_project)
    project, version = project_identity(config)  # the identity emit and publish use, so the keys agree
    assert project == "msgspec-app"
    assert result.manifest == {
        "protocol": protocol.PROTOCOL_VERSION, "digest": result.digest, "project": project,
        "version": version, "python": "3.11", "interpreter": "apt",
        "targets": ["x86_64", "aarch64"]}
    assert manifest_of(result.path) == result.manifest
    assert result.size_bytes == result.path.stat().st_size
    assert result.sha256 == hashlib.sha256(result.path.read_bytes()).hexdigest()
    for arch in result.targets:
        d = result.details[arch]
        assert d.python_version.startswith("3.11.") and d.glibc == (2, 36)
        assert any(p.startswith("msgspec==") for p in d.packages)
        assert any(p.startswith("athena-workflows==") for p in d.packages)
        # athena's command-line dependencies stay out of the pod
        assert not any(p.split("==")[0].lower() in ("obstore", "click", "jsonschema", "pyelftools") for p in d.packages)
        assert 5 * MB < result.target_sizes[arch] <= 15 * MB, (arch, result.target_sizes[arch])


def test_progress_is_monotonic_and_ends_at_one(apt_build: tuple[BuildResult, list[tuple[str, float]]]) -> None:
    _, calls = apt_build
    fractions = [f for _, f in calls]
    assert fractions == sorted(fractions)
    assert calls[-1] == ("done", 1.0)
    assert {"dependencies for aarch64", "writing the tarball", "byte-compiling"} <= {s for s, _ in calls}


def test_tarball_rules(apt_build: tuple[BuildResult, list[tuple[str, float]]]) -> None:
    result, _ = apt_build
    with tarfile.open(result.path, "r:gz") as tf:
        members = tf.getmembers()
    names = [m.name for m in members]
    assert names[0] == "bin" and all(n == "bin" or n.startswith("bin/") for n in names)
    assert names == sorted(names, key=lambda n: n.split("/"))
    modes = {}
    for m in members:
        assert m.isreg() or m.isdir(), m.name  # no symlinks, no hard links
        assert (m.mtime, m.uid, m.gid) == (315532800, 0, 0)
        modes[m.name] = m.mode
    for arch, loader in (("x86_64", "ld-linux-x86-64.so.2"), ("aarch64", "ld-linux-aarch64.so.1")):
        t = f"bin/app-{arch}"
        for exe in (f"{t}/libc/{loader}", f"{t}/run", f"{t}/python/bin/python", f"{t}/python/bin/python3.11",
                    f"{t}/libc/libc.so.6"):
            assert modes[exe] == 0o755, exe
        assert modes[f"{t}/app/__athena_main__.py"] == 0o644
        assert f"{t}/python/lib/python3.11/os.pyc" in modes and f"{t}/python/lib/python3.11/os.py" not in modes
        assert f"{t}/site-packages/msgspec_app/flows.py" in modes  # app code keeps its source …
        assert any(n.startswith(f"{t}/site-packages/msgspec_app/__pycache__/flows.cpython-311") for n in modes)
    assert "bin/manifest.json" in modes


def test_each_half_is_built_for_its_machine(apt_root: Path) -> None:
    for arch, machine in (("x86_64", "EM_X86_64"), ("aarch64", "EM_AARCH64")):
        t = apt_root / f"app-{arch}"
        assert elf.read_elf(t / "python" / "bin" / "python3.11").machine == machine
        so = next((t / "site-packages" / "msgspec").glob("_core.*.so"))
        assert elf.read_elf(so).machine == machine
        assert f"-{arch}-linux-gnu" in so.name


def test_pyc_record_the_pod_path(apt_root: Path) -> None:
    import marshal

    pyc = apt_root / "app-aarch64" / "python" / "lib" / "python3.11" / "json" / "__init__.pyc"
    data = pyc.read_bytes()
    assert int.from_bytes(data[4:8], "little") == 0b01  # hash-based, unchecked
    code = marshal.loads(data[16:])
    assert code.co_filename == "/athena/bin/app-aarch64/python/lib/python3.11/json/__init__.py"


@needs_x86_64
def test_the_x86_64_interpreter_starts_through_its_own_loader(apt_root: Path) -> None:
    t = apt_root / "app-x86_64"
    code = (f"import sys; sys.path[:0] = [{str(t / 'site-packages')!r}]\n"
            "import msgspec, ssl, sqlite3, ctypes, lzma, bz2, uuid, decimal, subprocess\n"
            "print(sys.version_info[:2], msgspec.__version__, sys.executable, sys.prefix)\n"
            "print(subprocess.run([sys.executable, '-c', 'print(6 * 7)'], capture_output=True, text=True).stdout)\n")
    proc = run_sh(["/bin/sh", str(t / "python" / "bin" / "python"), "-I", "-c", code], env=pod_env())
    assert proc.returncode == 0, proc.stderr
    first, second = proc.stdout.splitlines()[:2]
    assert first.startswith("(3, 11) ")
    assert f" {t}/python/bin/python {t}/python" in first  # sys.executable is the wrapper; prefix found by argv0
    assert second == "42"  # sys.executable re-executes through the loader


@needs_x86_64
def test_run_calls_the_step_like_a_pod(apt_root: Path, apt_build: tuple[BuildResult, list[tuple[str, float]]],
                                       tmp_path: Path) -> None:
    t = apt_root / "app-x86_64"
    result_file = tmp_path / "result"
    env = pod_env(ATHENA_ENTRY="msgspec_app.flows:add", ATHENA_TEMPLATE="msgspec-app-add",
                  ATHENA_RESULT=str(result_file), ATHENA_BUNDLE=apt_build[0].digest,
                  ATHENA_BUNDLE_DIR=str(apt_root), HOME=str(tmp_path))
    proc = run_sh(["/bin/sh", str(t / protocol.RUN_SCRIPT), "--", '{"x": 2, "y": 3}', "10"], env=env)
    assert proc.returncode == 0, proc.stderr
    [bundled] = [p.split("==")[1] for p in apt_build[0].details["x86_64"].packages if p.startswith("msgspec==")]
    assert json.loads(result_file.read_text()) == {"sum": 50, "encoded": '{"x":2,"y":3}', "msgspec": bundled}


@needs_x86_64
def test_the_bundled_interpreter_byte_compiles(apt_root: Path, tmp_path: Path) -> None:
    """What a build does when the host Python is another minor version: compile with the bundled one."""
    from athena.bundle.build import interpreter_command
    from athena.bundle.bytecode import CompileJob, compile_trees

    cmd = interpreter_command(apt_root / "app-x86_64")
    tree = tmp_path / "tree"
    (tree / "pkg").mkdir(parents=True)
    (tree / "pkg" / "ok.py").write_text("x = {'a', 'b'}\n")
    (tree / "pkg" / "bad.py").write_text("def f(:\n")
    warnings = compile_trees(cmd, [CompileJob(tree, "/athena/bin/app-x86_64/t")], target="x86_64")
    assert len(warnings) == 1 and "/athena/bin/app-x86_64/t/pkg/bad.py" in warnings[0]
    assert (tree / "pkg" / "__pycache__" / "ok.cpython-311.pyc").is_file()
    with pytest.raises(BundleError, match="does not compile"):
        compile_trees(cmd, [CompileJob(tree, "/x", strict=True)], target="x86_64")


def test_same_inputs_same_bytes(apt_build: tuple[BuildResult, list[tuple[str, float]]], msgspec_project: Path,
                                tmp_path: Path) -> None:
    first, _ = apt_build
    app, config = load_project(msgspec_project)
    again = build_bundle(app, config, out=tmp_path / "again.tar.gz")
    assert again.digest == first.digest
    assert again.sha256 == first.sha256


# ---------------------------------------------------------------------------------------------------------
# local: the running interpreter's prefix, loose modules


@needs_x86_64
def test_local_build_of_loose_modules_runs(local_build: BuildResult, tmp_path: Path) -> None:
    assert local_build.targets == ("x86_64",)
    assert local_build.manifest["interpreter"] == "local"
    root = argo_unpack(local_build.path, tmp_path / "athena" / "bin")
    t = root / "app-x86_64"
    assert (t / "app" / "hello.py").is_file()
    assert not (t / "site-packages" / "hello.py").exists()
    assert (root / "manifest.json").is_file() and (t / "libc" / "libc.so.6").is_file()
    proc = run_sh(["/bin/sh", str(t / "python" / "bin" / "python"), "-I", "-c",
                   "import sys, platform; print(platform.python_version())"], env=pod_env())
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == local_build.details["x86_64"].python_version
    env = pod_env(ATHENA_ENTRY="hello:greet", ATHENA_TEMPLATE="hello-greet", ATHENA_RESULT=str(tmp_path / "r"))
    proc = run_sh(["/bin/sh", str(t / "run"), "--", "pod"], env=env)
    assert proc.returncode == 0, proc.stderr
    assert json.loads((tmp_path / "r").read_text()) == f"hello pod from {HOST_PYTHON}"


def test_local_refuses_another_python(hello_project: Path) -> None:
    app, config = load_project(hello_project, python="3.9")
    with pytest.raises(BundleError, match=r"this Python is 3\.\d+ but \[bootstrap\]\.python is 3\.9"):
        build_bundle(app, config, allow_python_mismatch=True)


def test_local_is_host_arch_only(hello_project: Path) -> None:
    app, config = load_project(hello_project, python=HOST_PYTHON, targets=["x86_64", "aarch64"])
    other = "aarch64" if os.uname().machine == "x86_64" else "x86_64"
    with pytest.raises(InterpreterError, match=f"not for {other}"):
        build_bundle(app, config, targets=[other])


def test_unknown_target(hello_project: Path) -> None:
    app, config = load_project(hello_project, python=HOST_PYTHON)
    with pytest.raises(BundleError, match="unknown target 'riscv64'"):
        build_bundle(app, config, targets=["riscv64"])


# ---------------------------------------------------------------------------------------------------------
# pbs: against a python-build-standalone-like tarball made from Debian's python


def _pbs_like_tarball(apt_root: Path, arch: str, dest: Path) -> Path:
    """python/bin/python3.11 + python/lib/python3.11 + (as PBS links them statically) the non-libc libraries
    in python/lib, from the Debian packages the apt provider unpacked."""
    from athena.bundle import providers

    interp = providers.provide("apt", arch, "3.11", env=os.environ)
    assert interp.prefix is not None and interp.sysroot is not None
    stage = dest.parent / f"pbs-{arch}"
    shutil.copytree(interp.prefix / "lib" / "python3.11", stage / "python" / "lib" / "python3.11",
                    ignore_dangling_symlinks=True)
    (stage / "python" / "bin").mkdir(parents=True)
    shutil.copyfile(interp.executable, stage / "python" / "bin" / "python3.11")
    (stage / "python" / "bin" / "python3.11").chmod(0o755)
    (stage / "python" / "bin" / "python3").symlink_to("python3.11")
    libs = apt_root / f"app-{arch}" / "libc"
    for lib in ("libexpat.so.1", "libssl.so.3", "libcrypto.so.3", "libsqlite3.so.0", "libffi.so.8", "liblzma.so.5",
                "libbz2.so.1.0", "libuuid.so.1"):
        shutil.copyfile(libs / lib, stage / "python" / "lib" / lib)
    with tarfile.open(dest, "w:gz") as tf:
        tf.add(stage / "python", "python")
    return dest


@needs_py311
@needs_x86_64
def test_pbs_build_from_a_local_tarball(hello_project: Path, apt_root: Path, tmp_path: Path) -> None:
    tarball = _pbs_like_tarball(apt_root, "x86_64", tmp_path / "cpython-3.11.2+20990101-x86_64-unknown-linux-gnu-install_only_stripped.tar.gz")
    app, config = load_project(hello_project, interpreter="pbs", python="3.11")
    env = env_with(ATHENA_PBS_TARBALL_X86_64=str(tarball))
    result = build_bundle(app, config, out=tmp_path / "pbs.tar.gz", env=env)
    assert result.manifest["interpreter"] == "pbs"
    assert result.details["x86_64"].python_version == "3.11.2"
    root = argo_unpack(result.path, tmp_path / "athena" / "bin")
    t = root / "app-x86_64"
    assert (t / "python" / "lib" / "libssl.so.3").is_file()  # the interpreter's own libraries stay in python/lib
    assert (t / "libc" / "libc.so.6").is_file() and not (t / "libc" / "libssl.so.3").exists()
    proc = run_sh(["/bin/sh", str(t / "python" / "bin" / "python"), "-I", "-c", "import ssl, sqlite3; print('ok')"],
                  env=pod_env())
    assert (proc.returncode, proc.stdout.strip()) == (0, "ok"), proc.stderr


def test_pbs_corrupt_tarball(hello_project: Path, tmp_path: Path) -> None:
    bad = tmp_path / "cpython-3.11.9-x86_64.tar.gz"
    bad.write_bytes(b"\x1f\x8b\x08\x00not really gzip at all")
    app, config = load_project(hello_project, interpreter="pbs", python=HOST_PYTHON)
    env = env_with(ATHENA_PBS_TARBALL_X86_64=str(bad), ATHENA_CACHE=str(tmp_path / "cache"))
    with pytest.raises(InterpreterError, match="is not a readable python-build-standalone archive"):
        build_bundle(app, config, targets=["x86_64"], env=env)


def test_pbs_tarball_without_the_interpreter(hello_project: Path, tmp_path: Path) -> None:
    odd = tmp_path / "odd.tar.gz"
    (tmp_path / "x" / "python" / "bin").mkdir(parents=True)
    (tmp_path / "x" / "python" / "bin" / "python3.99").write_text("")
    with tarfile.open(odd, "w:gz") as tf:
        tf.add(tmp_path / "x" / "python", "python")
    app, config = load_project(hello_project, interpreter="pbs", python=HOST_PYTHON)
    env = env_with(ATHENA_PBS_TARBALL_X86_64=str(odd), ATHENA_CACHE=str(tmp_path / "cache"))
    with pytest.raises(InterpreterError, match=rf"no python/bin/python{HOST_PYTHON} \(found: python3.99\)"):
        build_bundle(app, config, targets=["x86_64"], env=env)


# ---------------------------------------------------------------------------------------------------------
# image: no interpreter in the bundle


def test_image_bundle_ships_no_interpreter(hello_project: Path, tmp_path: Path,
                                           fake_uname: Callable[[str], str]) -> None:
    app, config = load_project(hello_project, interpreter="image", python=HOST_PYTHON)
    result = build_bundle(app, config, targets=["x86_64", "aarch64"], out=tmp_path / "image.tar.gz")
    assert result.manifest["interpreter"] == "image" and result.manifest["python"] == HOST_PYTHON
    with tarfile.open(result.path) as tf:
        names = tf.getnames()
    assert not [n for n in names if "/python/" in n or "/libc/" in n]
    assert "bin/app-aarch64/run" in names and "bin/app-x86_64/site-packages/msgspec/__init__.py" in names
    assert result.size_bytes < 3 * MB
    root = argo_unpack(result.path, tmp_path / "athena" / "bin")
    proc = run_sh(["/bin/sh", str(root / "app-x86_64" / "run")], env={"PATH": str(tmp_path / "no-python")})
    assert proc.returncode == 70 and "has no python" in proc.stderr


# ---------------------------------------------------------------------------------------------------------
# bad inputs


def test_missing_wheel_for_one_target_names_package_and_target(hello_project: Path, packages_dir: Path,
                                                               tmp_path: Path) -> None:
    project = tmp_path / "native"
    shutil.copytree(hello_project, project)
    (project / "athena.toml").unlink()
    (project / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=68"]\nbuild-backend = "setuptools.build_meta"\n\n'
        '[project]\nname = "native-app"\nversion = "0.1"\ndependencies = ["athena-fakenative"]\n\n'
        '[tool.setuptools]\npy-modules = ["hello"]\n\n'
        '[tool.athena.project]\napp = ["hello"]\n\n[tool.athena.bootstrap]\ninterpreter = "image"\n'
        f'python = "{HOST_PYTHON}"\n')
    app, config = load_project(project)
    env = env_with(PIP_FIND_LINKS=f"{os.environ.get('PIP_FIND_LINKS', '')} {packages_dir}".strip())
    with pytest.raises(MissingWheelError) as info:
        build_bundle(app, config, env=env, out=tmp_path / "b.tar.gz")
    assert (info.value.package, info.value.target) == ("athena-fakenative", "aarch64")
    assert "athena-fakenative has no wheel for target aarch64" in str(info.value)


def test_project_code_the_target_python_cannot_compile_fails_the_build(msgspec_project: Path, tmp_path: Path) -> None:
    project = tmp_path / "broken"
    shutil.copytree(msgspec_project, project, ignore=shutil.ignore_patterns("build", "*.egg-info", ".athena"))
    (project / "src" / "msgspec_app" / "later.py").write_text("def f(:\n    pass\n")  # never imported on the host
    app, config = load_project(project, interpreter="image", python=HOST_PYTHON)
    with pytest.raises(BundleError) as info:
        build_bundle(app, config, targets=["x86_64"], out=tmp_path / "b.tar.gz")
    assert "does not compile with the target's Python (target x86_64)" in str(info.value)
    assert "/athena/bin/app-x86_64/site-packages/msgspec_app/later.py" in str(info.value)
