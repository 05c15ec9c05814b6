"""The test app, its fake bundle and how to emit it (shared by conftest.py and test_podman.py)."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from athena import api
from athena.config import Bootstrap, Config

IMAGE_BB = "localhost/athena-bb:1"
IMAGE_BB_ARM64 = "localhost/athena-bb-arm64:1"
IMAGE_DEBPY = "localhost/athena-debpy:1"

# ------------------------------------------------------------------------------------------- the test app

APP = '''
import athena
from athena import container

IMG = "localhost/athena-bb:1"


@container(image=IMG)
def echo_args(text: str, count: int, items: list[int], flag: bool = False) -> dict[str, int]:
    raise NotImplementedError("a fake bundle runs this")


@container(image=IMG)
def fail_with(code: int) -> None:
    raise NotImplementedError


@container(image=IMG, tmp_volume=False)
def no_tmp(x: int) -> int:
    raise NotImplementedError


@container(image=IMG)
def sleepy(seconds: int) -> None:
    raise NotImplementedError


@container(image=IMG)
def ports(label: str) -> str:
    athena.host("/var/cache/athena-emutest")
    athena.load_artifact_str("emutest/in.txt")
    athena.save_artifact_str("emutest/{workflow_uid}/out.txt", label)
    return label


@container(image="localhost/athena-debpy:1")
def with_python(count: int) -> list[int]:
    raise NotImplementedError
'''

# The fake runtime (`app-x86_64/run`): dispatches on ATHENA_ENTRY; only sh, uname and busybox applets.
RUN_X86 = r'''
case "$ATHENA_ENTRY" in
*:echo_args)
  printf '<<ARGS'; printf '\036%s' "$@"; printf 'ARGS>>\n'
  case "$1" in @/tmp/argo_arg_*) echo "argfile=$(wc -c < "${1#@}") argsenv=$ARGO_CONTAINER_ARGS_FILE" ;; esac
  echo "script=$0"
  echo "uid=$(id -u) gid=$(id -g)"
  echo "home=$HOME runtime=$ATHENA_RUNTIME template=$ATHENA_TEMPLATE argo=$ARGO_CONTAINER_NAME"
  if (echo ok > /tmp/athena-probe) 2>/dev/null; then echo "tmp=writable"; else echo "tmp=missing"; fi
  while read -r dev mnt fs opts rest; do [ "$mnt" = / ] && echo "rootfs=${opts%%,*}"; done < /proc/mounts
  printf '{"text": %s, "count": %s}\n' "$1" "$2" > /athena/result
  ;;
*:fail_with)
  echo "failing with $1" >&2
  exit "$1"
  ;;
*:no_tmp)
  if [ -d /tmp ]; then echo "tmp=present"; else echo "tmp=missing"; fi
  printf '%s' "$1" > /athena/result
  ;;
*:sleepy)
  echo "sleeping $1"
  sleep "$1"
  ;;
*:ports)
  cat "$IN" > "$HOSTDIR/seen.txt"
  mkdir -p "${OUT%/*}"
  printf '%s' "$1" > "$OUT"
  printf '"%s"' "$(cat "$IN")" > /athena/result
  ;;
*:with_python)
  exec python3 -I -c 'import json, os, sys; n = json.loads(sys.argv[1]); json.dump(list(range(n)), open("/athena/result", "w")); print("python", sys.version.split()[0], "uid", os.getuid())' "$@"
  ;;
*)
  echo "fake runtime: unknown entry $ATHENA_ENTRY" >&2; exit 2 ;;
esac
'''

RUN_AARCH64 = r'''
echo "script=$0 machine=$(uname -m) args=$#"
printf '"%s"' "$(uname -m)" > /athena/result
'''


def make_bundle(path: Path, arches: Mapping[str, str], *, loader: bool = True) -> Path:
    """A tarball shaped like athena's bundle: one top-level bin/, regular files only, 0755 loader and scripts."""
    loaders = {"x86_64": "ld-linux-x86-64.so.2", "aarch64": "ld-linux-aarch64.so.1"}
    with tarfile.open(path, "w:gz") as tf:
        def add(name: str, data: bytes | None, mode: int) -> None:
            ti = tarfile.TarInfo(name)
            ti.mode = mode
            ti.mtime = 1_700_000_000
            if data is None:
                ti.type = tarfile.DIRTYPE
                tf.addfile(ti)
            else:
                ti.size = len(data)
                tf.addfile(ti, io.BytesIO(data))

        add("bin", None, 0o755)
        add("bin/manifest.json", b'{"protocol": 1}', 0o644)
        for arch, script in arches.items():
            add(f"bin/app-{arch}", None, 0o755)
            add(f"bin/app-{arch}/run", script.encode(), 0o755)
            if loader:
                add(f"bin/app-{arch}/libc", None, 0o755)
                add(f"bin/app-{arch}/libc/{loaders[arch]}", b"\x7fELF (not a real loader)", 0o755)
    return path


def emit_templates(app_dir: Path, targets: list[str] | None = None) -> dict[str, dict[str, Any]]:
    config = Config() if targets is None else Config(bootstrap=Bootstrap(targets=targets))  # type: ignore[arg-type]
    docs = api.emit_documents(api.load_app(str(app_dir / "emutest_app.py"), config), config)
    return {d["metadata"]["name"]: d["spec"]["templates"][0] for d in docs if d["kind"] == "WorkflowTemplate"}
