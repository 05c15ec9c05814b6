"""Per-target wheel resolution: pip's flags, the pod's dependency selection, sdist-only requirements."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from bundle_support import env_with

from athena.bundle import BundleError, MissingWheelError, wheels


def test_pip_flags_for_a_target() -> None:
    cmd = wheels.pip_install_command(target=Path("/t/site"), python="3.11", arch="aarch64", glibc=(2, 36),
                                     requirements=["a.whl", "b==1"], find_links=[Path("/wh")], interpreter="py")
    assert cmd[:6] == ["py", "-m", "pip", "install", "--target", "/t/site"]
    assert "--only-binary=:all:" in cmd
    joined = " ".join(cmd)
    assert "--implementation cp --python-version 3.11 --abi cp311 --abi abi3 --abi none" in joined
    platforms = [cmd[i + 1] for i, a in enumerate(cmd) if a == "--platform"]
    assert platforms == [f"manylinux_2_{m}_aarch64" for m in range(36, 16, -1)] + ["manylinux2014_aarch64"]
    assert "--find-links /wh" in joined and "--no-compile" in cmd
    assert cmd[-2:] == ["a.whl", "b==1"]


def test_platform_tags_stop_at_manylinux2014() -> None:
    assert wheels.platform_tags("x86_64", (2, 17)) == ["manylinux_2_17_x86_64", "manylinux2014_x86_64"]
    assert wheels.platform_tags("x86_64", (2, 12)) == []
    with pytest.raises(BundleError, match="older than manylinux2014"):
        wheels.pip_install_command(target=Path("/t"), python="3.11", arch="x86_64", glibc=(2, 12), requirements=[])


def test_pip_env_clears_the_global_constraint() -> None:
    env = wheels.pip_env({"PIP_CONSTRAINT": "/etc/xdg/pip/constraints.txt", "PYTHONPATH": "/x", "HOME": "/h",
                          "PIP_FIND_LINKS": "/opt/wheels"})
    assert env["PIP_CONSTRAINT"] == ""
    assert "PYTHONPATH" not in env
    assert env["HOME"] == "/h" and env["PIP_FIND_LINKS"] == "/opt/wheels"


def _item(name: str, requires: list[str], *, requested: bool = False, extras: list[str] | None = None,
          url: str = "https://x/y.whl", direct: bool = False) -> dict[str, object]:
    item: dict[str, object] = {"metadata": {"name": name, "version": "1.0", "requires_dist": requires},
                               "requested": requested, "is_direct": direct, "download_info": {"url": url}}
    if extras:
        item["requested_extras"] = extras
    return item


def test_select_drops_athenas_cli_extra_unless_the_project_needs_it() -> None:
    report = [
        _item("athena-workflows", ["msgspec>=0.18", 'PyYAML>=6; extra == "cli"', 'obstore; extra == "cli"',
                                   'click; extra == "cli"'], requested=True,
              url="file:///w/athena_workflows-0.1.0-py3-none-any.whl", direct=True),
        _item("my-app", ["athena-workflows", "click>=8", "rich[jupyter]; python_version >= '3.8'"], requested=True,
              url="file:///w/my_app-1.0-py3-none-any.whl", direct=True),
        _item("msgspec", ['pyyaml; extra == "yaml"', 'tomli; extra == "toml"']),
        _item("PyYAML", []),
        _item("obstore", []),
        _item("click", []),
        _item("rich", ['ipywidgets; extra == "jupyter"', 'pygments']),
        _item("ipywidgets", []),
        _item("pygments", []),
    ]
    chosen = dict(wheels.select(report))
    assert sorted(chosen) == ["athena-workflows==1.0", "click==1.0", "ipywidgets==1.0", "msgspec==1.0",
                              "my-app==1.0", "pygments==1.0", "rich==1.0"]
    assert chosen["my-app==1.0"] == "/w/my_app-1.0-py3-none-any.whl"  # local wheels install by path
    assert chosen["msgspec==1.0"] == "msgspec==1.0"


def test_native_evidence(packages_dir: Path) -> None:
    assert wheels.native_evidence(packages_dir / "athena_purefix-1.0.tar.gz") is None
    assert wheels.native_evidence(packages_dir / "athena_fakenative-1.0.tar.gz") == "athena_fakenative/fast.c"


def _find_links(packages_dir: Path) -> dict[str, str]:
    return env_with(PIP_FIND_LINKS=f"{os.environ.get('PIP_FIND_LINKS', '')} {packages_dir}".strip())


def test_a_pure_sdist_becomes_a_wheel_for_any_target(packages_dir: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    installed = wheels.install(site_packages=site, python="3.11", arch="aarch64", glibc=(2, 36),
                               requirements=["athena-purefix"], wheelhouse=tmp_path / "wh", env=_find_links(packages_dir))
    assert installed == ["athena-purefix==1.0"]
    assert (site / "athena_purefix" / "__init__.py").read_text() == "VALUE = 42\n"
    assert [p.name for p in (tmp_path / "wh").iterdir()] == ["athena_purefix-1.0-py3-none-any.whl"]
    assert not list(site.rglob("direct_url.json")) and not (site / "bin").exists()


def test_an_sdist_with_native_code_fails_naming_package_and_target(packages_dir: Path, tmp_path: Path) -> None:
    env = _find_links(packages_dir)
    # x86_64 has a wheel …
    wheels.install(site_packages=tmp_path / "x86", python="3.11", arch="x86_64", glibc=(2, 36),
                   requirements=["athena-fakenative"], wheelhouse=tmp_path / "wh", env=env)
    assert (tmp_path / "x86" / "athena_fakenative" / "__init__.py").is_file()
    # … aarch64 only the sdist with C code
    with pytest.raises(MissingWheelError) as info:
        wheels.install(site_packages=tmp_path / "arm", python="3.11", arch="aarch64", glibc=(2, 36),
                       requirements=["athena-fakenative"], wheelhouse=tmp_path / "wh", env=env)
    assert (info.value.package, info.value.target) == ("athena-fakenative", "aarch64")
    assert "athena-fakenative has no wheel for target aarch64" in str(info.value)
    assert "fast.c" in str(info.value)


def test_a_package_that_does_not_exist(tmp_path: Path) -> None:
    with pytest.raises(MissingWheelError, match="no-such-package-athena-test has no wheel for target x86_64"):
        wheels.install(site_packages=tmp_path / "s", python="3.11", arch="x86_64", glibc=(2, 36),
                       requirements=["no-such-package-athena-test"], wheelhouse=tmp_path / "wh", env=dict(os.environ))
