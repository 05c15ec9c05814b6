"""Every hint that switches the interpreter provider names the exact key and the files it lives in (issue 8: the
default provider, pbs, fails offline and the hint did not say where to set `interpreter = "apt"`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from athena.bundle import InterpreterError, apt, providers

KEY = r'set \[bootstrap\]\.interpreter = "{}" in athena\.toml \(or interpreter = "{}" under \[tool\.athena\.bootstrap\] in pyproject\.toml\)'


@pytest.mark.filterwarnings("ignore:open_text is deprecated:DeprecationWarning")  # inside pbs-installer
def test_an_offline_pbs_download_names_the_apt_key(tmp_path: Path) -> None:
    env = {"ATHENA_CACHE": str(tmp_path), "ATHENA_PBS_MIRROR": "http://127.0.0.1:9"}  # nothing listens there
    with pytest.raises(InterpreterError, match=r"cannot download python-build-standalone") as info:
        providers.provide("pbs", "x86_64", "3.11", env=env)
    assert "\nhint: offline, " + 'set [bootstrap].interpreter = "apt" in athena.toml (or interpreter = "apt" under ' \
        "[tool.athena.bootstrap] in pyproject.toml)" in str(info.value)


def test_the_local_provider_for_another_arch_names_the_key() -> None:
    other = "aarch64" if providers.host_arch() == "x86_64" else "x86_64"
    with pytest.raises(InterpreterError, match=KEY.format('apt" or "pbs', 'apt" or "pbs')):
        providers.provide("local", other, "3.11", env={})


def test_the_apt_provider_without_a_release_names_the_key() -> None:
    with pytest.raises(InterpreterError, match=KEY.format('pbs" or "local', 'pbs" or "local')):
        apt.suite_for("3.7")
