"""The command line a newcomer meets (issue 8, "Messages" and "Consistency"): run as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EX = ROOT / "examples"


def athena(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "athena.cli", *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, **(env or {})})


FLOWS = textwrap.dedent('''\
    from athena import Retry, container, workflow

    @container(retry=Retry(limit=3, backoff="10s"), timeout="5m")
    def send(report: str) -> None:
        print(report)

    @container
    def build_report(month: str, top: int = 5) -> str:
        return f"{month}:{top}"

    @workflow
    def monthly(month: str = "2024-01", top: int = 3) -> None:
        send(build_report(month, top))
    ''')


@pytest.fixture
def flows(tmp_path: Path) -> Path:
    (tmp_path / "flows.py").write_text(FLOWS)
    return tmp_path


# ------------------------------------------------------------------------------------------ 1. --app everywhere


def test_emit_and_check_take_app_as_option_or_argument(flows: Path) -> None:
    by_option = athena("emit", "--app", "flows.py", cwd=flows)
    assert by_option.returncode == 0, by_option.stderr
    assert by_option.stdout == athena("emit", "flows.py", cwd=flows).stdout
    assert athena("check", "--app", "flows.py", cwd=flows).returncode == 0
    both = athena("emit", "flows.py", "--app", "other.py", cwd=flows)
    assert both.returncode == 2 and "two apps given" in both.stderr


def test_every_app_command_takes_app() -> None:
    for cmd in (["emit"], ["check"], ["build"], ["publish"], ["container", "ls"], ["container", "describe"],
                ["container", "emulate"], ["workflow", "ls"], ["workflow", "describe"], ["workflow", "graph"]):
        r = athena(*cmd, "--help")
        assert "--app APP" in r.stdout, cmd


def test_an_app_given_as_name_is_understood(flows: Path) -> None:
    graph = athena("workflow", "graph", "flows.py", cwd=flows)
    assert graph.returncode == 0, graph.stderr
    assert graph.stdout == athena("workflow", "graph", "monthly", "--app", "flows.py", cwd=flows).stdout
    described = athena("container", "describe", "flows.py:send", cwd=flows)
    assert described.returncode == 0, described.stderr
    assert json.loads(described.stdout)["name"] == "flows-send"
    by_module = athena("container", "describe", "flows:send", cwd=flows)
    assert json.loads(by_module.stdout)["name"] == "flows-send"


def test_an_app_with_several_templates_given_as_name_gets_the_command(flows: Path) -> None:
    r = athena("container", "describe", "flows.py", cwd=flows)
    assert r.returncode == 1
    assert "has 2 containers" in r.stderr
    assert "`athena container describe send --app flows.py`" in r.stderr


# ------------------------------------------------------------------------------------------ 2. name lookup


def test_did_you_mean_over_function_names(flows: Path) -> None:
    r = athena("workflow", "describe", "montly", "--app", "flows.py", cwd=flows)
    assert r.returncode == 1
    assert "no workflow named `montly`; did you mean `monthly`?" in r.stderr


def test_a_name_of_the_other_kind_says_so(flows: Path) -> None:
    r = athena("workflow", "describe", "send", "--app", "flows.py", cwd=flows)
    assert r.returncode == 1
    assert ("`send` is a container, not a workflow: see it with `athena container describe send --app flows.py`"
            in r.stderr)
    r = athena("container", "describe", "monthly", "--app", "flows.py", cwd=flows)
    assert "`monthly` is a workflow, not a container: see it with `athena workflow describe monthly" in r.stderr


# ------------------------------------------------------------------------------------- 3. apps that do not load


def test_an_app_without_templates_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "empty.py").write_text("x = 1\n")
    r = athena("emit", "empty.py", cwd=tmp_path)
    assert r.returncode == 1 and r.stdout == ""
    assert "app `empty.py`" in r.stderr and "defines no @workflow or @container" in r.stderr


def test_a_misspelled_configured_app_names_the_configuration(tmp_path: Path) -> None:
    (tmp_path / "athena.toml").write_text('[project]\napp = ["flowz"]\n')
    r = athena("emit", cwd=tmp_path)
    assert r.returncode == 1
    assert f"{tmp_path / 'athena.toml'}: [project].app: cannot find app module `flowz`" in r.stderr


@pytest.mark.parametrize("how", ["file", "module"])
def test_a_syntax_error_shows_only_the_users_file(tmp_path: Path, how: str) -> None:
    (tmp_path / "bad.py").write_text("from athena import workflow\n\nx = (1,\n")
    r = athena("emit", "bad.py" if how == "file" else "bad", cwd=tmp_path)
    assert r.returncode == 1
    assert f'File "{tmp_path / "bad.py"}", line 3' in r.stderr and "^" in r.stderr
    assert "SyntaxError" in r.stderr
    assert "importlib" not in r.stderr and "athena/" not in r.stderr.replace("athena: ", "")


# ---------------------------------------------------------------------------------------------- 4. output


def test_check_says_what_it_validated_in_emits_words(flows: Path) -> None:
    emitted = athena("emit", "flows.py", cwd=flows).stdout.count("kind: WorkflowTemplate")
    r = athena("check", "flows.py", cwd=flows)
    assert r.returncode == 0, r.stderr
    assert r.stderr.strip() == f"ok: {emitted} WorkflowTemplates and 1 Workflow validated against Argo 4.1"


def test_container_describe_shows_image_retry_and_timeouts(flows: Path) -> None:
    from athena.config import Bootstrap

    info = json.loads(athena("container", "describe", "send", "--app", "flows.py", cwd=flows).stdout)
    ls = json.loads(athena("container", "ls", "--app", "flows.py", "--json", cwd=flows).stdout)
    assert info["image"] == Bootstrap().default_image == next(r["image"] for r in ls if r["name"] == "flows-send")
    assert info["retry"] == {"limit": 3, "backoff": "10s"}
    assert info["timeout"] == "300s" and info["pod_running_timeout"] is None
    plain = json.loads(athena("container", "describe", "build_report", "--app", "flows.py", cwd=flows).stdout)
    assert plain["retry"] is None and plain["timeout"] is None


def test_workflow_describe_shows_defaults(flows: Path) -> None:
    info = json.loads(athena("workflow", "describe", "monthly", "--app", "flows.py", cwd=flows).stdout)
    assert info["parameters"] == [{"name": "month", "type": "str", "default": "2024-01"},
                                  {"name": "top", "type": "int", "default": 3}]


def test_graph_draws_the_arms_of_an_if_else() -> None:
    app = str(EX / "features.py")
    mer = athena("workflow", "graph", "everything", "--app", app)
    assert mer.returncode == 0, mer.stderr
    assert "everything-if" not in mer.stdout  # no opaque wrapper node
    lines = mer.stdout.splitlines()

    def node(label: str) -> str:
        return next(ln.split("[")[0].split("{")[0].strip() for ln in lines if f'"{label}"' in ln)

    decision, upload = node("if"), node("upload: examples-upload")
    assert f'    {decision}{{"if"}}' in lines
    assert f'    {decision} -->|"if cond"| {upload}' in lines
    assert any(ln.startswith(f'    {decision} -->|"elif threshold in (1, 2, 3)"|') for ln in lines)
    assert any(ln.startswith(f'    {decision} -->|"else"|') for ln in lines)
    picked = node("picked = if")
    assert f'    {picked} -->|"if threshold > 5 and tag != \'dev\'"| {node("left-path: examples-left-path")}' in lines
    assert f"    {node('left-path: examples-left-path')} --> {decision}" in lines  # `if` uses `picked`
    dot = athena("workflow", "graph", "everything", "--app", app, "--format", "dot").stdout
    assert '[label="if", shape=diamond];' in dot and '[label="elif threshold in (1, 2, 3)"];' in dot


# ---------------------------------------------------------------------------------------------- 5. publish


def test_publish_without_a_bucket_builds_nothing(flows: Path) -> None:
    r = athena("publish", "--app", "flows.py", cwd=flows)
    assert r.returncode == 1
    assert "publish needs [artifact_repository.s3] with a bucket" in r.stderr
    assert "building" not in r.stderr and not (flows / ".athena").exists()


@pytest.fixture
def moto() -> Iterator[str]:
    server_mod = pytest.importorskip("moto.server")
    boto3 = pytest.importorskip("boto3")
    server = server_mod.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing",
                 aws_secret_access_key="testing").create_bucket(Bucket="bkt")
    try:
        yield endpoint
    finally:
        server.stop()


def test_publish_of_an_existing_key_builds_nothing(flows: Path, moto: str) -> None:
    import boto3

    (flows / "athena.toml").write_text('[artifact_repository.s3]\nbucket = "bkt"\nendpoint = "unused:9000"\n')
    env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_ENDPOINT_URL": moto}
    url = athena("publish", "--app", "flows.py", "--print", cwd=flows, env=env).stdout.strip()
    assert url.startswith("s3://bkt/athena/flows/")  # the project is the templates' prefix (item 6)
    boto3.client("s3", endpoint_url=moto, region_name="us-east-1", aws_access_key_id="testing",
                 aws_secret_access_key="testing").put_object(Bucket="bkt", Key=url[len("s3://bkt/"):], Body=b"x")
    r = athena("publish", "--app", "flows.py", cwd=flows, env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == url
    assert r.stderr.strip() == f"already published {url} (same digest); nothing built"
    assert not (flows / ".athena").exists()


# --------------------------------------------------------------------------------------- 6. one name for an app


def test_without_a_project_name_templates_and_bundle_agree(tmp_path: Path) -> None:
    (tmp_path / "etl.py").write_text(FLOWS)
    docs = athena("emit", "etl.py", cwd=tmp_path)
    assert docs.returncode == 0, docs.stderr
    assert "name: etl-send" in docs.stdout
    assert "key: athena/etl/" in docs.stdout and "athena/app/" not in docs.stdout
    assert athena("publish", "--app", "etl.py", "--print", cwd=tmp_path).stdout.startswith(
        "s3://<default repository>/athena/etl/")


# ---------------------------------------------------------------------------------------------- 7. emulate


def test_emulate_argument_type_error_names_parameter_and_type(flows: Path) -> None:
    # The arguments are checked before any bundle or container runtime is needed.
    r = athena("container", "emulate", "build_report", "--app", "flows.py", "-a", "month=x", "-a", "top=7.5",
               "--tarball", str(flows / "flows.py"), cwd=flows)
    assert r.returncode == 1
    assert "-a top: parameter `top` of `build_report` expects int, got '7.5'" in r.stderr


def test_guide_documents_artifact_arguments_to_emulate() -> None:
    guide = (ROOT / "docs" / "guide.md").read_text(encoding="utf-8")
    assert "cannot be given on the command line yet" not in guide
    assert "-a doc=@path/to/file" in guide
    reference = (ROOT / "docs" / "reference.md").read_text(encoding="utf-8")
    assert "cannot be supplied yet" not in reference
