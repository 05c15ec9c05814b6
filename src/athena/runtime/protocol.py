"""What the emitted templates and the pod runtime must agree on: paths, env names, exit codes, bootstrap.

Imported by both sides, so it imports only the standard library.
"""

from __future__ import annotations

PROTOCOL_VERSION = 1

WORK_DIR = "/athena"
BUNDLE_DIR = "/athena/bin"
RESULT_PATH = "/athena/result"
HOME_DIR = "/athena/home"
MOUNTS_DIR = "/athena/mounts"
ARTIFACTS_DIR = "/athena/artifacts"
ARTIFACT_RETURN_PATH = "/athena/out/return"
ARTIFACT_INPUT_DIR = "/athena/in"

# Bundle layout, relative to BUNDLE_DIR (the unpacked tarball's single top-level `bin/`):
#   manifest.json                      MANIFEST: {"protocol", "digest", "project", "version", "python",
#                                                 "interpreter", "targets": [...]}
#   app-<arch>/run                     RUN_SCRIPT: sh launcher the bootstrap execs
#   app-<arch>/app/__athena_main__.py  MAIN_SCRIPT: puts app/ and site-packages/ on sys.path, runs the runtime
#   app-<arch>/site-packages/          the project, its dependencies and athena-workflows, for that platform
#   app-<arch>/python/, app-<arch>/libc/   the interpreter and its loader + libraries (absent for `image`)
MANIFEST = "manifest.json"
RUN_SCRIPT = "run"
MAIN_SCRIPT = "app/__athena_main__.py"
TMP_FALLBACK = "/athena/tmp"

BUNDLE_ARTIFACT = "athena-bundle"
WORK_VOLUME = "athena-work"
TMP_VOLUME = "athena-tmp"

ENV_TEMPLATE = "ATHENA_TEMPLATE"
ENV_ENTRY = "ATHENA_ENTRY"
ENV_BUNDLE = "ATHENA_BUNDLE"
ENV_RUNTIME = "ATHENA_RUNTIME"

EXIT_USER_ERROR = 1
EXIT_PROTOCOL_ERROR = 2
EXIT_UNSUPPORTED_ARCH = 70

DEFAULT_RUN_AS_USER = 8737

# uname -m spellings per bundle target.
ARCH_ALIASES = {
    "x86_64": ("x86_64", "amd64"),
    "aarch64": ("aarch64", "arm64", "armv8b", "armv8l"),
}


def bootstrap_script(targets: tuple[str, ...]) -> str:
    """The ``sh -c`` program of every container: needs only ``sh`` and ``uname``.

    Argv after it is ``-- <slot>...``; ``--`` becomes ``$0``, so ``"$@"`` is exactly the slots.
    """
    arms = "".join(f"  {'|'.join(ARCH_ALIASES[t])}) a={t} ;;\n" for t in targets)
    return (
        "set -e\n"
        'case "$(uname -m)" in\n'
        f"{arms}"
        '  *) echo "athena: unsupported architecture $(uname -m); this bundle has: '
        f'{" ".join(targets)}" >&2; exit {EXIT_UNSUPPORTED_ARCH} ;;\n'
        "esac\n"
        f"b={BUNDLE_DIR}/app-$a\n"
        '[ -d "$b" ] || { echo "athena: the bundle at '
        f'{BUNDLE_DIR} has no app-$a" >&2; exit {EXIT_UNSUPPORTED_ARCH}; }}\n'
        'for ld in "$b"/libc/ld-linux*; do [ -e "$ld" ] || continue; [ -x "$ld" ] || chmod +x "$ld"; done\n'
        f"export HOME={HOME_DIR} {ENV_RUNTIME}=1\n"
        f'[ -d {HOME_DIR} ] || mkdir -p {HOME_DIR} 2>/dev/null || :\n'
        'exec /bin/sh "$b/run" "$@"\n'
    )


def host_volume_name(path: str) -> str:
    return f"host-{host_key(path)}"


def host_key(path: str) -> str:
    import hashlib

    return hashlib.sha256(path.encode("utf-8")).hexdigest()[:16]


def host_mount_path(path: str) -> str:
    """Where ``athena.host(path)`` is mounted in the container (never at ``path`` itself)."""
    return f"{MOUNTS_DIR}/{host_key(path)}"




def artifact_port_name(key: str) -> str:
    """A deterministic, collision-free Argo artifact name for an S3 key.

    Unsafe runs become ``-``, lowercased, stripped (``a`` if empty); when that changed the key, ``-`` and 8 hex
    of its sha256 are appended so distinct keys never share a name. At most 128 characters.
    """
    import hashlib
    import re

    base = re.sub(r"[^a-zA-Z0-9-]+", "-", key).lower().strip("-") or "a"
    if base != key:
        base = f"{base}-{hashlib.sha256(key.encode('utf-8')).hexdigest()[:8]}"
    if len(base) > 128:
        base = f"{base[:119]}-{hashlib.sha256(base.encode('utf-8')).hexdigest()[:8]}"
    return base


def artifact_path(direction: str, key: str) -> str:
    """The file an artifact port reads (``in``) or writes (``out``)."""
    return f"{ARTIFACTS_DIR}/{direction}/{artifact_port_name(key)}"
