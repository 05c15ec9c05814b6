"""athena.toml / pyproject [tool.athena]: precedence, defaults and error messages (DESIGN §2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from athena.config import Config, Defaults, RepositoryRef, SecretRef, load_config
from athena.errors import ConfigError


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ATHENA_CONFIG", raising=False)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def error(text: str, name: str = "athena.toml") -> str:
    write(Path(name), text)
    with pytest.raises(ConfigError) as info:
        load_config()
    return str(info.value)


# -- defaults ------------------------------------------------------------------------------------------


def test_defaults_without_any_file(tmp_path: Path) -> None:
    config = load_config()
    assert config.source is None
    assert config.root == tmp_path
    assert config.project.name is None and config.project.app == [] and config.project.name_tag == ""
    assert config.artifact_repository.s3 is None
    assert config.artifact.key == "athena/{project}/{digest}/bundle.tar.gz"
    assert config.bootstrap.targets == ["x86_64", "aarch64"]
    assert (config.bootstrap.python, config.bootstrap.interpreter) == ("3.11", "pbs")
    assert config.bootstrap.default_image == "busybox:1.36"
    d = config.defaults
    assert (d.service_account, d.namespace, d.argo_version, d.argo_line, d.argo_patch) == (
        "default",
        None,
        "4.1",
        "4.1",
        None,
    )
    assert d.image_pull_secrets == [] and d.run_as_user == 8737
    assert config == Config(root=tmp_path)


def test_empty_file_is_all_defaults(tmp_path: Path) -> None:
    write(tmp_path / "athena.toml", "")
    config = load_config()
    assert config.source == tmp_path / "athena.toml"
    assert config.defaults == Defaults()


def test_full_example_from_design(tmp_path: Path) -> None:
    write(
        tmp_path / "athena.toml",
        """
[project]
name = "my-flows"
app = ["my_flows.pipeline"]
name_tag = "{version}"

[artifact_repository.s3]
endpoint = "minio.argo.svc.cluster.local:9000"
bucket = "athena-artifacts"
region = "us-east-1"
insecure = true
access_key_secret = { name = "athena-s3", key = "accessKey" }
secret_key_secret = { name = "athena-s3", key = "secretKey" }
use_sdk_creds = false

[artifact]
key = "athena/{project}/{version}/{digest}/bundle.tar.gz"

[bootstrap]
targets = ["aarch64"]
python = "3.12"
interpreter = "image"
default_image = "python:3.12-slim"

[defaults]
service_account = "runner"
namespace = "argo"
argo_version = "3.7.16"
image_pull_secrets = ["regcred"]
run_as_user = 1000
""",
    )
    config = load_config()
    assert config.project.app == ["my_flows.pipeline"] and config.project.name == "my-flows"
    s3 = config.artifact_repository.s3
    assert s3 is not None and s3.insecure and s3.bucket == "athena-artifacts"
    assert s3.access_key_secret == SecretRef(name="athena-s3", key="accessKey")
    assert s3.repository is None
    assert config.bootstrap.targets == ["aarch64"] and config.bootstrap.interpreter == "image"
    assert config.defaults.argo_version == "3.7.16"
    assert (config.defaults.argo_line, config.defaults.argo_patch) == ("3.7", 16)
    assert config.defaults.run_as_user == 1000 and config.defaults.namespace == "argo"


def test_app_as_a_single_string() -> None:
    write(Path("athena.toml"), '[project]\napp = "my_flows.pipeline"\n')
    assert load_config().project.app == ["my_flows.pipeline"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [('"default"', "default"), ('"inline"', "inline"), ('{ref = "my-repo"}', RepositoryRef(ref="my-repo"))],
)
def test_repository_forms(value: str, expected: object) -> None:
    write(Path("athena.toml"), f'[artifact_repository.s3]\nbucket = "b"\nrepository = {value}\n')
    s3 = load_config().artifact_repository.s3
    assert s3 is not None and s3.repository == expected


def test_repository_default_needs_no_bucket() -> None:
    write(Path("athena.toml"), '[artifact_repository.s3]\nrepository = "default"\n')
    s3 = load_config().artifact_repository.s3
    assert s3 is not None and s3.bucket is None


# -- precedence ----------------------------------------------------------------------------------------


def test_explicit_beats_env_and_discovery(tmp_path: Path) -> None:
    write(tmp_path / "athena.toml", '[project]\nname = "found"\n')
    write(tmp_path / "env.toml", '[project]\nname = "env"\n')
    write(tmp_path / "cli" / "c.toml", '[project]\nname = "cli"\n')
    config = load_config("cli/c.toml", env={"ATHENA_CONFIG": str(tmp_path / "env.toml")})
    assert config.project.name == "cli"
    assert config.source == tmp_path / "cli" / "c.toml"
    assert config.root == tmp_path / "cli"


def test_env_beats_discovery(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "athena.toml", '[project]\nname = "found"\n')
    write(tmp_path / "env.toml", '[project]\nname = "env"\n')
    assert load_config(env={"ATHENA_CONFIG": "env.toml"}).project.name == "env"
    monkeypatch.setenv("ATHENA_CONFIG", str(tmp_path / "env.toml"))
    assert load_config().project.name == "env"
    assert load_config(env={"ATHENA_CONFIG": ""}).project.name == "found"  # empty means unset


def test_missing_explicit_or_env_file_is_an_error() -> None:
    with pytest.raises(ConfigError, match=r"nope\.toml: configuration file not found \(-c\)"):
        load_config("nope.toml")
    with pytest.raises(ConfigError, match=r"gone\.toml: .*\$ATHENA_CONFIG"):
        load_config(env={"ATHENA_CONFIG": "gone.toml"})


def test_explicit_pyproject_reads_tool_athena(tmp_path: Path) -> None:
    write(tmp_path / "x" / "pyproject.toml", '[tool.athena.project]\nname = "from-tool"\n')
    assert load_config("x/pyproject.toml").project.name == "from-tool"
    write(tmp_path / "y" / "pyproject.toml", '[project]\nname = "dist"\n')
    with pytest.raises(ConfigError, match=r"pyproject\.toml: no \[tool\.athena\] table"):
        load_config("y/pyproject.toml")


def test_nearest_athena_toml_walking_up(tmp_path: Path) -> None:
    write(tmp_path / "athena.toml", '[project]\nname = "outer"\n')
    write(tmp_path / "a" / "athena.toml", '[project]\nname = "inner"\n')
    deep = tmp_path / "a" / "b" / "c"
    deep.mkdir(parents=True)
    config = load_config(start=deep)
    assert config.project.name == "inner"
    assert config.root == tmp_path / "a"


def test_pyproject_tool_athena_is_found(tmp_path: Path) -> None:
    write(
        tmp_path / "pyproject.toml",
        '[project]\nname = "dist-name"\n\n[tool.athena.project]\napp = ["m"]\n\n'
        '[tool.athena.defaults]\nnamespace = "ns"\n',
    )
    deep = tmp_path / "src" / "pkg"
    deep.mkdir(parents=True)
    config = load_config(start=deep)
    assert config.source == tmp_path / "pyproject.toml"
    assert config.project.app == ["m"] and config.defaults.namespace == "ns"
    assert config.project.name == "dist-name" and config.dist_name == "dist-name"


def test_pyproject_without_tool_athena_is_skipped(tmp_path: Path) -> None:
    write(tmp_path / "athena.toml", '[project]\nname = "outer"\n')
    write(
        tmp_path / "sub" / "pyproject.toml", '[project]\nname = "sub-dist"\n[tool.ruff]\nline-length = 99\n'
    )
    config = load_config(start=tmp_path / "sub")
    assert config.source == tmp_path / "athena.toml"
    assert config.project.name == "outer"  # the athena config's own name wins over PEP 621
    assert config.dist_name == "sub-dist"


def test_pyproject_source_uses_its_own_pep621_name(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[project]\nname = "top"\n[tool.athena.bootstrap]\npython = "3.12"\n')
    write(tmp_path / "sub" / "pyproject.toml", '[project]\nname = "sub-dist"\n')
    config = load_config(start=tmp_path / "sub")
    assert config.source == tmp_path / "pyproject.toml"
    assert config.project.name == "top" and config.dist_name == "top"


def test_nearer_pyproject_beats_farther_athena_toml(tmp_path: Path) -> None:
    write(tmp_path / "athena.toml", '[project]\nname = "outer"\n')
    write(tmp_path / "sub" / "pyproject.toml", '[tool.athena.project]\nname = "sub"\n')
    assert load_config(start=tmp_path / "sub").project.name == "sub"


def test_pep621_name_is_the_fallback_without_any_source(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[project]\nname = "my-dist"\n')
    config = load_config()
    assert config.source is None
    assert config.project.name == "my-dist" and config.dist_name == "my-dist"


def test_two_sources_in_one_directory_is_an_error(tmp_path: Path) -> None:
    write(tmp_path / "athena.toml", "")
    write(tmp_path / "pyproject.toml", "[tool.athena.project]\napp = []\n")
    with pytest.raises(ConfigError, match=r"athena\.toml and pyproject\.toml \[tool\.athena\] are both"):
        load_config(start=tmp_path)


def test_two_sources_only_matter_where_the_walk_stops(tmp_path: Path) -> None:
    write(tmp_path / "athena.toml", "")
    write(tmp_path / "pyproject.toml", "[tool.athena.project]\napp = []\n")
    write(tmp_path / "sub" / "athena.toml", "")
    assert load_config(start=tmp_path / "sub").source == tmp_path / "sub" / "athena.toml"


# -- errors --------------------------------------------------------------------------------------------


def test_unknown_key_with_suggestion() -> None:
    msg = error('[defaults]\nnamspace = "argo"\n')
    assert msg == "athena.toml: unknown key [defaults].namspace (did you mean namespace?)"


def test_unknown_table_with_suggestion() -> None:
    assert error("[bootstrp]\n") == "athena.toml: unknown key [bootstrp] (did you mean [bootstrap]?)"
    assert error("[artifact_repository.s4]\n").endswith(
        "unknown key [artifact_repository.s4] (did you mean [artifact_repository.s3]?)"
    )


def test_unknown_key_without_suggestion() -> None:
    assert error("[project]\nzzz = 1\n") == "athena.toml: unknown key [project].zzz"


def test_unknown_key_in_pyproject_names_the_tool_table() -> None:
    msg = error('[tool.athena.defaults]\nservice_acount = "x"\n', "pyproject.toml")
    assert msg == (
        "pyproject.toml: unknown key [tool.athena.defaults].service_acount (did you mean service_account?)"
    )


def test_unknown_key_in_inline_table() -> None:
    msg = error(
        '[artifact_repository.s3]\nbucket = "b"\naccess_key_secret = {name = "s", key = "k", kye = 1}\n'
    )
    assert (
        msg == "athena.toml: unknown key [artifact_repository.s3].access_key_secret.kye (did you mean key?)"
    )


def test_bad_target_names_the_index() -> None:
    msg = error('[bootstrap]\ntargets = ["x86_64", "arm"]\n')
    assert msg == "athena.toml: [bootstrap].targets[1]: expected one of x86_64, aarch64, got 'arm'"


def test_targets_empty_or_duplicated() -> None:
    assert "[bootstrap].targets: expected array of length >= 1" in error("[bootstrap]\ntargets = []\n")
    msg = error('[bootstrap]\ntargets = ["aarch64", "aarch64"]\n')
    assert msg == "athena.toml: [bootstrap].targets[1]: duplicate target 'aarch64'"


def test_bad_interpreter_and_python() -> None:
    msg = error('[bootstrap]\ninterpreter = "conda"\n')
    assert msg == "athena.toml: [bootstrap].interpreter: expected one of pbs, apt, local, image, got 'conda'"
    assert "[bootstrap].python: expected a Python version like" in error('[bootstrap]\npython = "2.7"\n')


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ("[project]\nname = 3\n", "athena.toml: [project].name: expected str, got int"),
        ("[project]\napp = [1]\n", "athena.toml: [project].app[0]: expected str, got int"),
        ('[artifact_repository.s3]\nbucket = "b"\ninsecure = "yes"\n', "[artifact_repository.s3].insecure: "),
        ("[defaults]\nrun_as_user = true\n", "athena.toml: [defaults].run_as_user: expected int, got bool"),
        ("[defaults]\nrun_as_user = 0\n", "athena.toml: [defaults].run_as_user: expected int >= 1"),
        ("defaults = 3\n", "athena.toml: [defaults]: expected table, got int"),
        ("[defaults]\nargo_version = 4.1\n", "expected str, got float (write it as a quoted string)"),
        (
            '[artifact_repository.s3]\nrepository = "elsewhere"\n',
            "repository: expected one of inline, default, or a table, got 'elsewhere'",
        ),
        (
            "[artifact_repository.s3]\nrepository = {}\n",
            "[artifact_repository.s3].repository: missing required key ref",
        ),
        ("[artifact_repository.s3]\n", "[artifact_repository.s3].bucket: required unless repository"),
    ],
)
def test_wrong_types(toml: str, expected: str) -> None:
    assert expected in error(toml)


def test_wrong_type_in_pyproject() -> None:
    msg = error('[tool.athena.bootstrap]\ntargets = "x86_64"\n', "pyproject.toml")
    assert msg == "pyproject.toml: [tool.athena.bootstrap].targets: expected array, got str"


def test_tool_athena_must_be_a_table() -> None:
    assert error("[tool]\nathena = 1\n", "pyproject.toml") == (
        "pyproject.toml: [tool].athena: expected a table, got int"
    )


@pytest.mark.parametrize("version", ["3.6", "3.6.19", "3.7", "3.7.16", "3.7.18", "4.0.7", "4.1", "4.1.0"])
def test_supported_argo_versions(version: str) -> None:
    write(Path("athena.toml"), f'[defaults]\nargo_version = "{version}"\n')
    d = load_config().defaults
    assert d.argo_version == version and d.argo_line == version[:3]


@pytest.mark.parametrize("version", ["4.2", "3.5", "4", "latest", "v4.1", "4.1.x"])
def test_invalid_argo_version(version: str) -> None:
    msg = error(f'[defaults]\nargo_version = "{version}"\n')
    assert msg.startswith("athena.toml: [defaults].argo_version: expected one of 3.6, 3.7, 4.0, 4.1")
    assert repr(version) in msg


@pytest.mark.parametrize("version", ["3.7.11", "3.7.15", "4.0.2", "4.0.6"])
def test_broken_patch_range_quotes_the_reason(version: str) -> None:
    msg = error(f'[defaults]\nargo_version = "{version}"\n')
    assert msg.startswith(f"athena.toml: [defaults].argo_version: Argo {version} is not supported: ")
    assert "hang forever on a reference to a Skipped task's output" in msg


@pytest.mark.parametrize(
    ("version", "floor"), [("3.6.18", "3.6.19"), ("3.7.3", "3.7.16"), ("4.0.1", "4.0.7")]
)
def test_below_supported_floor(version: str, floor: str) -> None:
    msg = error(f'[defaults]\nargo_version = "{version}"\n')
    assert "athena supports Argo 3.6.19+, 3.7.16+, 4.0.7+, 4.1.x" in msg
    assert f"use {floor} or later" in msg


def test_bad_toml_syntax_has_file_line_and_column() -> None:
    msg = error('[project]\nname = "ok"\napp = [\n[defaults]\n')
    assert msg.startswith("athena.toml:4:")
    assert "invalid TOML" in msg


def test_bad_toml_in_pyproject_on_the_walk(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[project\n")
    with pytest.raises(ConfigError, match=r"^pyproject\.toml:1:\d+: invalid TOML"):
        load_config()


def test_artifact_key_needs_digest() -> None:
    msg = error('[artifact]\nkey = "athena/{project}/{version}.tar.gz"\n')
    assert msg.startswith("athena.toml: [artifact].key: ")
    assert "must contain {digest}" in msg


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("athena/{name}/{digest}", "unknown placeholder {name}"),
        ("athena/{digest", "bad placeholder"),
    ],
)
def test_artifact_key_placeholders(key: str, expected: str) -> None:
    assert expected in error(f'[artifact]\nkey = "{key}"\n')


def test_error_names_the_file_outside_cwd(tmp_path: Path) -> None:
    elsewhere = tmp_path / "conf" / "team.toml"
    write(elsewhere, '[defaults]\nnamspace = "x"\n')
    with pytest.raises(ConfigError, match=r"conf/team\.toml: unknown key \[defaults\]\.namspace"):
        load_config(elsewhere)


# -- [metrics] (issue 9) ---------------------------------------------------------------------------------


def test_metrics_pushgateway() -> None:
    assert load_config().metrics.pushgateway is None
    write(Path("athena.toml"), '[metrics]\npushgateway = "http://pushgateway.monitoring:9091"\n')
    assert load_config().metrics.pushgateway == "http://pushgateway.monitoring:9091"


@pytest.mark.parametrize(("toml", "expected"), [
    ('[metrics]\npushgateway = "pushgateway:9091"\n',
     "athena.toml: [metrics].pushgateway: expected the Pushgateway's base URL"),
    ('[metrics]\npushgateway = "http://user:pw@gw:9091"\n',
     "athena.toml: [metrics].pushgateway: 'http://user:pw@gw:9091': give only scheme, host, port"),
    ('[metrics]\npushgateway = "http://gw:99999"\n', "[metrics].pushgateway: expected the Pushgateway's base URL"),
    ('[metrics]\npush_gateway = "http://gw:9091"\n',
     "athena.toml: unknown key [metrics].push_gateway (did you mean pushgateway?)"),
])
def test_metrics_pushgateway_errors(toml: str, expected: str) -> None:
    assert expected in error(toml)
