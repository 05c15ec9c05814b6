"""End to end, as a user runs it: build a bundle with a C-extension dependency, publish it to an S3 server
(moto on loopback), emulate steps in the busybox-only image (x86_64, and aarch64 under qemu-user) with the
bundle pulled from S3, and round-trip an artifact port between two emulated containers through the bucket.

Needs podman and the images of scripts/setup-podman (scripts/test runs it); fails, never skips, without them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "bundle" / "fixtures" / "msgspec_app"
CONF = ROOT / "tests" / "podman" / "containers.conf"
BB, BB_ARM = "localhost/athena-bb:1", "localhost/athena-bb-arm64:1"

PORTS_APP = '''
import athena
from athena import container


@container
def produce(text: str) -> str:
    athena.save_artifact("shared/greeting.txt", text.upper())
    return "saved"


@container
def consume() -> str:
    return athena.load_artifact_str("shared/greeting.txt") or ""


@container
def explode(x: int) -> int:
    raise ValueError(f"bad {x}")


@container
def unencodable() -> float:
    return float("nan")


@container
def size_of(doc: athena.Artifact[bytes]) -> int:
    return len(doc.load())


@container
def shout(text: str) -> athena.Artifact[str]:
    return athena.Artifact.of(text.upper())


@container
def echo(text: str) -> str:
    return text


@container
def digest(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode("utf-8")).hexdigest()
'''


def _require_podman() -> None:
    if shutil.which("podman") is None:
        pytest.fail("podman is missing: run scripts/setup-podman (as root) first")
    images = subprocess.run(["podman", "images", "--format", "{{.Repository}}:{{.Tag}}"], capture_output=True,
                            text=True).stdout.split()
    for image in (BB, BB_ARM):
        if image not in images:
            pytest.fail(f"image {image} is missing: run scripts/setup-podman (as root) first")


def athena(project: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "athena.cli", *args], cwd=project, env=env, capture_output=True,
                          text=True, timeout=600)


def s3_table(endpoint: str, bucket: str) -> str:
    host = endpoint.removeprefix("http://")
    return (f'\n[tool.athena.artifact_repository.s3]\nendpoint = "{host}"\nbucket = "{bucket}"\n'
            'insecure = true\n')


@pytest.fixture(scope="module")
def cli_env(moto_endpoint: str, s3_client: Any) -> dict[str, str]:
    _require_podman()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ATHENA_"))}
    env.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
                "AWS_ENDPOINT_URL": moto_endpoint, "ATHENA_CONTAINERS_CONF": str(CONF)})
    return env


@pytest.fixture(scope="module")
def e2e_bucket(s3_client: Any) -> str:
    name = "athena-e2e"
    s3_client.create_bucket(Bucket=name)
    return name


@pytest.fixture(scope="module")
def msgspec_project(tmp_path_factory: pytest.TempPathFactory, moto_endpoint: str, e2e_bucket: str) -> Path:
    project = tmp_path_factory.mktemp("e2e") / "msgspec_app"
    shutil.copytree(FIXTURE, project)
    with (project / "pyproject.toml").open("a") as f:
        f.write(s3_table(moto_endpoint, e2e_bucket))
    return project


@pytest.fixture(scope="module")
def published(msgspec_project: Path, cli_env: dict[str, str]) -> tuple[Path, str]:
    tarball = msgspec_project / "bundle.tar.gz"
    built = athena(msgspec_project, cli_env, "build", "--out", str(tarball))
    assert built.returncode == 0, built.stderr
    pub = athena(msgspec_project, cli_env, "publish", "--tarball", str(tarball))
    assert pub.returncode == 0, pub.stderr
    url = pub.stdout.strip()
    assert url.startswith("s3://athena-e2e/") and url.endswith("/bundle.tar.gz")
    return tarball, url


def test_bundle_from_s3_runs_in_busybox_x86_64(msgspec_project: Path, cli_env: dict[str, str],
                                               published: tuple[Path, str]) -> None:
    r = athena(msgspec_project, cli_env, "container", "emulate", "add", "--image", BB,
               "-a", 'point={"x": 2, "y": 3}', "-a", "scale=10")
    assert r.returncode == 0, r.stderr
    line = next(x for x in r.stdout.splitlines() if x.startswith("return: "))
    value = json.loads(line.removeprefix("return: "))
    assert value["sum"] == 50 and value["encoded"] == '{"x":2,"y":3}'  # msgspec's C extension ran in the pod


def test_same_bundle_runs_on_aarch64_under_qemu(msgspec_project: Path, cli_env: dict[str, str],
                                                published: tuple[Path, str]) -> None:
    tarball, _ = published
    r = athena(msgspec_project, cli_env, "container", "emulate", "add", "--tarball", str(tarball),
               "--image", BB_ARM, "-a", 'point={"x": 1, "y": 1}', "-a", "scale=3")
    assert r.returncode == 0, r.stderr
    assert '"sum":6' in r.stdout


def test_republish_is_a_no_op(msgspec_project: Path, cli_env: dict[str, str], published: tuple[Path, str]) -> None:
    tarball, url = published
    again = athena(msgspec_project, cli_env, "publish", "--tarball", str(tarball))
    assert again.returncode == 0 and again.stdout.strip() == url
    assert "already published" in again.stderr


def test_missing_bundle_in_s3(tmp_path: Path, cli_env: dict[str, str], moto_endpoint: str, e2e_bucket: str) -> None:
    project = tmp_path / "fresh"
    shutil.copytree(FIXTURE, project)
    (project / "src" / "msgspec_app" / "extra.py").write_text("# changes the digest\n")
    with (project / "pyproject.toml").open("a") as f:
        f.write(s3_table(moto_endpoint, e2e_bucket))
    r = athena(project, cli_env, "container", "emulate", "add", "--image", BB, "-a", 'point={"x":1,"y":1}',
               "-a", "scale=1")
    assert r.returncode == 1
    assert "not found" in r.stderr and "athena publish" in r.stderr and "Traceback" not in r.stderr


# ------------------------------------------------------------------------- ports and bad inputs


@pytest.fixture(scope="module")
def ports_project(tmp_path_factory: pytest.TempPathFactory, moto_endpoint: str, e2e_bucket: str,
                  cli_env: dict[str, str]) -> Path:
    project = tmp_path_factory.mktemp("ports")
    (project / "ports_app.py").write_text(PORTS_APP)
    (project / "athena.toml").write_text(
        '[project]\nname = "ports"\napp = ["ports_app"]\n[bootstrap]\ninterpreter = "apt"\ntargets = ["x86_64"]\n'
        + s3_table(moto_endpoint, e2e_bucket).replace("[tool.athena.", "["))
    built = athena(project, cli_env, "build", "--out", str(project / "bundle.tar.gz"))
    assert built.returncode == 0, built.stderr
    return project


def emulate(project: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return athena(project, env, "container", "emulate", *args, "--tarball", str(project / "bundle.tar.gz"),
                  "--image", BB)


def test_artifact_port_round_trips_through_the_bucket(ports_project: Path, cli_env: dict[str, str],
                                                     s3_client: Any, e2e_bucket: str) -> None:
    first = emulate(ports_project, cli_env, "produce", "-a", "text=hello")
    assert first.returncode == 0, first.stderr
    stored = s3_client.get_object(Bucket=e2e_bucket, Key="shared/greeting.txt")["Body"].read()
    assert stored == b"HELLO"
    second = emulate(ports_project, cli_env, "consume")
    assert second.returncode == 0, second.stderr
    assert 'return: "HELLO"' in second.stdout


def test_user_exception_exits_1_with_traceback(ports_project: Path, cli_env: dict[str, str]) -> None:
    r = emulate(ports_project, cli_env, "explode", "-a", "x=3", "--skip-artifacts")
    assert r.returncode == 1
    assert "ValueError: bad 3" in r.stderr and "return:" not in r.stdout
    # the cause comes first, once more after the streamed output; not the result file Argo would never read
    report = r.stderr[r.stderr.index("athena: the container exited with code 1; the last lines of its stderr:"):]
    assert "ValueError: bad 3" in report
    assert "/athena/result" not in r.stderr and "output parameter" not in r.stderr


def test_a_stale_tarball_is_told_to_rebuild(ports_project: Path, cli_env: dict[str, str], tmp_path: Path) -> None:
    changed = tmp_path / "changed"
    shutil.copytree(ports_project, changed)
    with (changed / "ports_app.py").open("a") as f:
        f.write("\n# an edit after the build: the code now has another digest\n")
    r = athena(changed, cli_env, "container", "emulate", "consume", "--tarball", str(ports_project / "bundle.tar.gz"),
               "--image", BB, "--skip-artifacts")
    assert r.returncode == 1, r.stderr
    msg = r.stderr
    assert "is stale: it holds bundle " in msg and "expects bundle " in msg
    assert "rebuild it with `athena build` (or pass --build instead of --tarball)" in msg
    assert "publish" not in msg and "Traceback" not in msg
    have, want = msg.split("holds bundle ")[1].split(",")[0], msg.split("expects bundle ")[1].split(";")[0]
    assert len(have) == len(want) and have != want


def test_unencodable_result_exits_2(ports_project: Path, cli_env: dict[str, str]) -> None:
    r = emulate(ports_project, cli_env, "unencodable", "--skip-artifacts")
    assert r.returncode == 2
    assert "the return value cannot be encoded" in r.stderr and "not a finite number" in r.stderr


def test_wrong_argument_type_is_refused_before_start(ports_project: Path, cli_env: dict[str, str]) -> None:
    r = emulate(ports_project, cli_env, "explode", "-a", "x=three")
    assert r.returncode == 1
    assert "-a x: parameter `x` of `explode` expects int, got 'three'" in r.stderr


def test_corrupt_tarball(ports_project: Path, cli_env: dict[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.tar.gz"
    bad.write_bytes(b"\x1f\x8b not really gzip")
    r = athena(ports_project, cli_env, "container", "emulate", "consume", "--tarball", str(bad), "--image", BB,
               "--skip-artifacts")
    assert r.returncode == 1
    assert "Traceback" not in r.stderr and "bundle" in r.stderr.lower()


def test_artifact_parameter_from_a_file_and_artifact_return(ports_project: Path, cli_env: dict[str, str],
                                                            tmp_path: Path) -> None:
    doc = tmp_path / "doc.bin"
    doc.write_bytes(b"x" * 1234)
    r = emulate(ports_project, cli_env, "size_of", "-a", f"doc=@{doc}", "--skip-artifacts")
    assert r.returncode == 0, r.stderr
    assert "return: 1234" in r.stdout
    missing = emulate(ports_project, cli_env, "size_of", "--skip-artifacts")
    assert missing.returncode == 1 and "-a doc=@path/to/file" in missing.stderr


# ------------------------------------------------------------------------- values arrive byte-exact (§5.1.7)

HOSTILE = "cost $$5 $(HOME) {{workflow.name}} {{inputs.parameters.x}}"


def _result(stdout: str) -> tuple[str, Any]:
    line = next(ln for ln in stdout.splitlines() if ln.startswith("return: "))
    text = line.removeprefix("return: ")
    return text, json.loads(text)


def test_a_value_with_dollars_and_tags_round_trips_byte_exact(ports_project: Path, cli_env: dict[str, str]) -> None:
    # Argo substitutes {{...}} again over the pod spec and the kubelet expands $$ and $(VAR): the emulator does
    # both, so the value only arrives (and comes back) unchanged because athena escapes `$` and `{{`.
    r = emulate(ports_project, cli_env, "echo", "-a", f"text={HOSTILE}", "--skip-artifacts")
    assert r.returncode == 0, r.stderr
    text, value = _result(r.stdout)
    assert value == HOSTILE
    assert "$" not in text and "{{" not in text  # the result is safe to pass on to the next step


def test_an_offloaded_value_with_dollars_and_tags_arrives_byte_exact(ports_project: Path, cli_env: dict[str, str],
                                                                     tmp_path: Path) -> None:
    import hashlib

    from athena.runtime import codec

    big = (HOSTILE + " é\n") * 2200
    assert len(codec.encode(big).encode("utf-8")) > 131071  # above 128 KiB: offloaded, so no kubelet step
    inputs = tmp_path / "inputs.json"
    inputs.write_text(json.dumps({"text": big}), encoding="utf-8")
    r = emulate(ports_project, cli_env, "digest", "--input-file", str(inputs), "--skip-artifacts")
    assert r.returncode == 0, r.stderr
    assert _result(r.stdout)[1] == hashlib.sha256(big.encode("utf-8")).hexdigest()
