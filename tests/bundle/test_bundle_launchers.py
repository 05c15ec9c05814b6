"""The sh launchers, the Python entry script and the bootstrap, run for real with /bin/sh."""

from __future__ import annotations

import ast
import os
import sys
from collections.abc import Callable
from pathlib import Path

from bundle_support import run_sh

from athena.bundle import launchers
from athena.runtime import protocol

# A stand-in for the glibc loader / an interpreter: prints each argument on its own line.
ECHO_ARGS = '#!/bin/sh\nfor a in "$0" "$@"; do printf "%s\\n" "$a"; done\n'


def _executable(path: Path, text: str, mode: int = 0o755) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)
    return path


def _fake_bundled_target(root: Path, *, loader_mode: int = 0o755) -> Path:
    t = root / "app-x86_64"
    _executable(t / "libc" / "ld-linux-x86-64.so.2", ECHO_ARGS, loader_mode)
    _executable(t / "run", launchers.bundled_run_script(loader="ld-linux-x86-64.so.2", python="3.11"))
    _executable(t / "python" / "bin" / "python", launchers.python_wrapper(loader="ld-linux-x86-64.so.2",
                                                                            python="3.11"))
    return t


def test_run_script_execs_the_interpreter_through_the_bundled_loader(tmp_path: Path) -> None:
    t = _fake_bundled_target(tmp_path)
    proc = run_sh(["/bin/sh", str(t / "run"), "--", "a b", "", "$HOME"], env={"PATH": "/nonexistent"})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        f"{t}/libc/ld-linux-x86-64.so.2", "--library-path", f"{t}/libc:{t}/python/lib",
        "--argv0", f"{t}/python/bin/python", f"{t}/python/bin/python3.11",
        "-I", "-B", "-u", "-X", "utf8", f"{t}/app/__athena_main__.py", "--", "a b", "", "$HOME"]


def test_run_script_works_from_a_relative_path_and_restores_a_lost_exec_bit(tmp_path: Path) -> None:
    t = _fake_bundled_target(tmp_path, loader_mode=0o644)
    proc = run_sh(["/bin/sh", "app-x86_64/run", "x"], env={"PATH": "/usr/bin:/bin"}, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "app-x86_64/libc/ld-linux-x86-64.so.2"
    assert lines[-1] == "x"
    assert os.stat(t / "libc" / "ld-linux-x86-64.so.2").st_mode & 0o111


def test_python_wrapper_passes_its_own_path_as_argv0(tmp_path: Path) -> None:
    t = _fake_bundled_target(tmp_path)
    wrapper = t / "python" / "bin" / "python"
    proc = run_sh([str(wrapper), "-c", "pass"], env={"PATH": "/nonexistent"})  # exec'd directly (mode 0755)
    assert proc.returncode == 0, proc.stderr
    d = f"{t}/python/bin"
    assert proc.stdout.splitlines() == [
        f"{d}/../../libc/ld-linux-x86-64.so.2", "--library-path", f"{d}/../../libc:{d}/../lib",
        "--argv0", str(wrapper), f"{d}/python3.11", "-c", "pass"]


def test_scripts_use_only_shell_builtins() -> None:
    scripts = [launchers.bundled_run_script(loader="ld-linux-aarch64.so.1", python="3.13"),
               launchers.python_wrapper(loader="ld-linux-aarch64.so.1", python="3.13"),
               launchers.image_run_script(python="3.13")]
    for text in scripts:
        for tool in ("dirname", "readlink", "realpath", "basename", "ls ", "which", "sed", "awk"):
            assert tool not in text, (tool, text)
        assert "${0%/*}" in text


def test_image_run_script_prefers_the_configured_minor_version(tmp_path: Path) -> None:
    bindir = tmp_path / "image-bin"
    _executable(bindir / "python3", '#!/bin/sh\necho "wrong python3"\n')
    _executable(bindir / "python3.12", ECHO_ARGS)
    t = tmp_path / "app-x86_64"
    _executable(t / "run", launchers.image_run_script(python="3.12"))
    proc = run_sh(["/bin/sh", str(t / "run"), "--", "slot"], env={"PATH": str(bindir)})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        f"{bindir}/python3.12", "-I", "-B", "-u", "-X", "utf8", f"{t}/app/__athena_main__.py", "--", "slot"]


def test_image_run_script_without_python_exits_70(tmp_path: Path) -> None:
    t = tmp_path / "app-x86_64"
    _executable(t / "run", launchers.image_run_script(python="3.11"))
    proc = run_sh(["/bin/sh", str(t / "run")], env={"PATH": str(tmp_path / "empty")})
    assert proc.returncode == protocol.EXIT_UNSUPPORTED_ARCH
    assert "no python3.11 or python3" in proc.stderr


# ---------------------------------------------------------------------------------------------------------
# __athena_main__.py


def _fake_target_with_runtime(root: Path, *, tmp_fallback: str | None = None) -> Path:
    t = root / "app-x86_64"
    kwargs = {"tmp_fallback": tmp_fallback} if tmp_fallback else {}
    py = f"{sys.version_info[0]}.{sys.version_info[1]}"
    (t / "app").mkdir(parents=True)
    (t / protocol.MAIN_SCRIPT).write_text(launchers.main_script(python=py, **kwargs))
    (t / "app" / "mymod.py").write_text("WHERE = 'app'\n")
    site = t / "site-packages"
    (site / "athena" / "runtime").mkdir(parents=True)
    (site / "athena" / "__init__.py").write_text("")
    (site / "athena" / "runtime" / "__init__.py").write_text("")
    (site / "athena" / "runtime" / "main.py").write_text(
        "import os, sys\n"
        "def main(argv=None):\n"
        "    argv = sys.argv[1:] if argv is None else argv\n"
        "    import mymod, extra\n"
        "    print('ARGV', argv)\n"
        "    print('PATH', repr(sys.path))\n"
        "    print('EXTRA', extra.__file__)\n"
        "    print('TMPDIR', os.environ.get('TMPDIR'))\n"
        "    return 7\n")
    (site / "extra-dir").mkdir()
    (site / "extra-dir" / "extra.py").write_text("")
    (site / "zz.pth").write_text("extra-dir\n")
    return t


def test_main_script_sets_up_paths_and_calls_the_runtime(tmp_path: Path) -> None:
    t = _fake_target_with_runtime(tmp_path)
    proc = run_sh([sys.executable, "-I", "-B", str(t / protocol.MAIN_SCRIPT), "--", "x"],
                  env={"PATH": "/usr/bin:/bin", "TMPDIR": str(tmp_path)})
    assert proc.returncode == 7, proc.stderr
    out = dict(line.split(" ", 1) for line in proc.stdout.splitlines())
    assert out["ARGV"] == "['--', 'x']"
    path = ast.literal_eval(out["PATH"])
    assert path[0] == str(t / "app")
    ours = path.index(str(t / "site-packages"))
    dynload = next(i for i, p in enumerate(path) if p.endswith("lib-dynload"))
    assert ours == dynload + 1  # after the stdlib: a backport on PyPI cannot shadow it …
    host_site = [i for i, p in enumerate(path) if p.endswith("-packages") and not p.startswith(str(t))]
    assert all(ours < i for i in host_site)  # … and nothing of the image's Python shadows the bundle
    assert path[ours + 1] == str(t / "site-packages" / "extra-dir")  # .pth entries follow site-packages
    assert out["EXTRA"] == str(t / "site-packages" / "extra-dir" / "extra.py")  # .pth files processed
    assert out["TMPDIR"] == str(tmp_path)


def test_main_script_falls_back_to_athena_tmp_when_no_tmp_is_writable(tmp_path: Path) -> None:
    fallback = tmp_path / "athena-tmp"
    t = _fake_target_with_runtime(tmp_path, tmp_fallback=str(fallback))
    # root may write anywhere, so make /tmp look read-only to os.access only
    code = ("import os, runpy, sys; real = os.access\n"
            "os.access = lambda p, m, **k: False if p == '/tmp' else real(p, m, **k)\n"
            f"sys.argv = [{str(t / protocol.MAIN_SCRIPT)!r}]\n"
            f"runpy.run_path({str(t / protocol.MAIN_SCRIPT)!r}, run_name='__main__')\n")
    proc = run_sh([sys.executable, "-I", "-B", "-c", code], env={"PATH": "/usr/bin:/bin",
                                                                "TMPDIR": str(tmp_path / "missing")})
    assert proc.returncode == 7, proc.stderr
    assert f"TMPDIR {fallback}" in proc.stdout
    assert fallback.is_dir()


def test_main_script_refuses_another_python_version(tmp_path: Path) -> None:
    script = tmp_path / "__athena_main__.py"
    script.write_text(launchers.main_script(python="3.9"))
    proc = run_sh([sys.executable, "-I", str(script)], env={"PATH": "/usr/bin:/bin"})
    assert proc.returncode == protocol.EXIT_PROTOCOL_ERROR
    assert "built for Python 3.9" in proc.stderr


# ---------------------------------------------------------------------------------------------------------
# the bootstrap of every container (runtime.protocol), with a fake uname


def _bootstrap(root: Path) -> str:
    """protocol.bootstrap_script with /athena moved under ``root``."""
    return protocol.bootstrap_script(("x86_64", "aarch64")).replace(protocol.WORK_DIR, str(root / "athena"))


def test_bootstrap_unknown_machine_exits_70(tmp_path: Path, fake_uname: Callable[[str], str]) -> None:
    proc = run_sh(["/bin/sh", "-c", _bootstrap(tmp_path), "--", "slot"], env={"PATH": fake_uname("riscv64")})
    assert proc.returncode == 70
    assert "unsupported architecture riscv64" in proc.stderr


def test_bootstrap_without_that_target_exits_70(tmp_path: Path, fake_uname: Callable[[str], str]) -> None:
    (tmp_path / "athena" / "bin" / "app-x86_64").mkdir(parents=True)
    proc = run_sh(["/bin/sh", "-c", _bootstrap(tmp_path), "--"], env={"PATH": fake_uname("arm64")})
    assert proc.returncode == 70
    assert "has no app-aarch64" in proc.stderr


def test_bootstrap_execs_the_targets_run_script(tmp_path: Path, fake_uname: Callable[[str], str]) -> None:
    t = _fake_bundled_target(tmp_path / "athena" / "bin", loader_mode=0o644)
    (t.parent / "app-aarch64").mkdir()
    proc = run_sh(["/bin/sh", "-c", _bootstrap(tmp_path), "--", "s1", "s 2"], env={"PATH": fake_uname("amd64")})
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == f"{t}/libc/ld-linux-x86-64.so.2"
    assert lines[-2:] == ["s1", "s 2"]
    assert (tmp_path / "athena" / "home").is_dir()
