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
TMP_DIR = "/tmp"  # the athena-tmp volume's mount path; Argo's emissary writes offloaded args here
# Where the pod's TMP_DIR is when the runtime runs as a plain local process (tests, `athena run --runtime
# process`): offloaded args are read below it instead. Never set in a pod.
ENV_TMP_DIR = "ATHENA_TMP_DIR"
#: The tarball's single top-level directory (unpacked at BUNDLE_DIR) and the manifest's member name in it.
BUNDLE_ROOT = "bin"
MANIFEST_MEMBER = f"{BUNDLE_ROOT}/{MANIFEST}"
#: Fields every manifest has (``athena build`` writes them; publish and emulate rely on them).
MANIFEST_FIELDS = ("protocol", "digest", "project", "version", "python", "interpreter", "targets")
MAX_MANIFEST_BYTES = 1024 * 1024


def app_dir(target: str) -> str:
    """The per-target directory of the bundle, relative to BUNDLE_DIR: ``app-x86_64``."""
    return f"app-{target}"

BUNDLE_ARTIFACT = "athena-bundle"
WORK_VOLUME = "athena-work"
TMP_VOLUME = "athena-tmp"

# Env vars between the emitter, the pod runtime, the emulator and the in-process runner.
ENV_TEMPLATE = "ATHENA_TEMPLATE"  # the template's name, for messages
ENV_ENTRY = "ATHENA_ENTRY"  # module:qualname of the container function
ENV_BUNDLE = "ATHENA_BUNDLE"  # the bundle digest the template was emitted with
ENV_RUNTIME = "ATHENA_RUNTIME"  # "1" inside a pod: decorators are inert
ENV_RESULT = "ATHENA_RESULT"  # where the runtime writes the result JSON (default RESULT_PATH)
ENV_BUNDLE_DIR = "ATHENA_BUNDLE_DIR"  # where the unpacked bundle is (default BUNDLE_DIR)
ENV_MAX_VALUE_BYTES = "ATHENA_MAX_VALUE_BYTES"  # the result size limit (default MAX_VALUE_BYTES)
ENV_RETURN_KEY = "ATHENA_RETURN_KEY"  # the S3 key an Artifact return value is uploaded to
ENV_ARTIFACT_RETURN = "ATHENA_ARTIFACT_RETURN"  # where an Artifact return value is written (ARTIFACT_RETURN_PATH)
ENV_LOCAL_STORE = "ATHENA_LOCAL_STORE"  # the in-process runner's artifact directory
ENV_CONTAINERS_CONF = "ATHENA_CONTAINERS_CONF"  # the containers.conf the emulator gives podman

# Pod-side metrics (DESIGN §4 "Metrics"): with ENV_PUSHGATEWAY set, the runtime pushes each step's duration and
# outcome to a Prometheus Pushgateway (runtime/metrics.py, imported only then). The emitter sets all four when
# `[metrics].pushgateway` is configured; the grouping key is template, workflow, run id and pod, so the children
# of a fan-out and the retries of one step (each its own pod) never overwrite each other.
ENV_PUSHGATEWAY = "ATHENA_PUSHGATEWAY"  # the Pushgateway's base URL, http://host:port
ENV_RUN_ID = "ATHENA_RUN_ID"  # {{workflow.uid}}
ENV_POD = "ATHENA_POD"  # {{pod.name}} (default: the hostname, which is the pod name in Kubernetes)
ENV_WORKFLOW = "ATHENA_WORKFLOW"  # {{workflow.name}}
METRICS_JOB = "athena"  # the Pushgateway `job` of every push
METRICS_GROUPING = ("template", "workflow", "run_id", "pod")  # the grouping labels after `job`, in URL order
METRIC_STEP_DURATION = "athena_step_duration_seconds"  # histogram: runtime start to exit
METRIC_STEP_RUNS = "athena_step_runs_total"  # counter, label `outcome`
METRIC_STEP_FINISHED = "athena_step_finished_timestamp_seconds"  # gauge: Unix time the step ended
#: Histogram upper bounds in seconds: from a quick step to a long training run.
METRIC_STEP_BUCKETS = (0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0, 21600.0)
#: `outcome` label values by exit code: 0 succeeded, EXIT_PROTOCOL_ERROR error (template and pod disagree),
#: anything else failed (the function raised or exited non-zero).
OUTCOME_SUCCEEDED, OUTCOME_FAILED, OUTCOME_ERROR = "succeeded", "failed", "error"
PUSH_TIMEOUT_SECONDS = 3.0  # a slow or absent Pushgateway delays the step's exit at most this long

#: The largest value (a result's JSON, one argv slot), in bytes. Linux's per-string exec limit MAX_ARG_STRLEN is
#: 128 KiB *including* the terminating NUL, so a 131,072-byte argument fails exec (E2BIG) on every Argo line: Argo's
#: emissary offloads only arguments strictly above 131,072 bytes (DESIGN §5.1.8). Larger values: Artifact[T].
MAX_VALUE_BYTES = 128 * 1024 - 1

# Argo's large-argument offload (3.7.10+/4.0.1+, :func:`athena.argo.facts.offloads_large_args`): the controller
# puts the args into a ConfigMap key mounted under ARGO_CONFIG_DIR and names it in ENV_ARGS_FILE; the emissary
# writes each argument above 131,072 bytes to ``offloaded_arg_path(i)`` and passes ``@<path>`` instead.
ENV_ARGS_FILE = "ARGO_CONTAINER_ARGS_FILE"
ARGO_CONFIG_DIR = "/argo/config"
#: ``i`` counts the emissary's argv after the command's first element: for the emitted ``command: [/bin/sh, -c]``
#: and ``args: [<bootstrap>, --, slot0, ...]``, "-c" is 0, so slot k is k + 3.
#: (The emissary splits ``name, args := args[0], args[1:]`` and numbers ``args`` from 0:
#: argo@v4.1.2 cmd/argoexec/commands/emissary.go:99,118-120; argo@v3.7.10 the same at :65,84-86.)
OFFLOAD_INDEX_BASE = 3


def offloaded_arg_path(i: int) -> str:
    """The file the emissary writes argument ``i`` to: ``/tmp/argo_arg_<i>.txt``."""
    return f"{TMP_DIR}/argo_arg_{i}.txt"


def offloaded_slot(k: int) -> str:
    """What slot ``k`` reads when Argo offloaded it: ``@/tmp/argo_arg_<k + 3>.txt``."""
    return "@" + offloaded_arg_path(k + OFFLOAD_INDEX_BASE)

EXIT_USER_ERROR = 1
EXIT_PROTOCOL_ERROR = 2
EXIT_UNSUPPORTED_ARCH = 70

DEFAULT_RUN_AS_USER = 8737

# Architectures. A bundle target is ``x86_64`` or ``aarch64`` (uname -m); ARCH_ALIASES lists every spelling of
# each (uname -m, Go/OCI, Debian); PLATFORM_ARCH is the OCI/Go/Debian name (the three agree for both targets).
ARCH_ALIASES = {
    "x86_64": ("x86_64", "amd64"),
    "aarch64": ("aarch64", "arm64", "armv8b", "armv8l"),
}
PLATFORM_ARCH = {"x86_64": "amd64", "aarch64": "arm64"}


def normalize_arch(name: str) -> str | None:
    """The bundle target for any spelling of an architecture (``arm64`` → ``aarch64``), else None."""
    low = name.strip().lower()
    for target, spellings in ARCH_ALIASES.items():
        if low in spellings:
            return target
    return None


def platform_arch(name: str) -> str:
    """The OCI/Debian name for any spelling (``aarch64`` → ``arm64``); an unknown name is returned as given."""
    target = normalize_arch(name)
    return PLATFORM_ARCH[target] if target is not None else name


class ManifestError(ValueError):
    """A bundle's manifest is missing or unreadable; the message says why (no path: the caller adds it)."""


def parse_manifest(raw: bytes) -> dict[str, object]:
    """The manifest's JSON object; :class:`ManifestError` when it is not one."""
    import json

    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ManifestError(f"{MANIFEST_MEMBER} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ManifestError(f"{MANIFEST_MEMBER} must hold a JSON object")
    return data


def read_manifest(bundle: str) -> dict[str, object] | None:
    """The manifest of a bundle: an unpacked bundle directory (BUNDLE_DIR in a pod; None when it has no
    manifest, as for a local process run) or a bundle tarball (:class:`ManifestError` when it has none).

    The one reader for the pod, ``athena build``, publish and emulate.
    """
    import os

    if os.path.isdir(bundle):
        path = os.path.join(bundle, MANIFEST)
        if not os.path.exists(path):
            return None
        with open(path, "rb") as f:
            return parse_manifest(f.read())
    import tarfile

    try:
        with tarfile.open(bundle, "r:*") as tar:
            member = next((m for m in tar if m.name.removeprefix("./") == MANIFEST_MEMBER), None)
            if member is None or not member.isfile() or member.size > MAX_MANIFEST_BYTES:
                raise ManifestError(f"no {MANIFEST_MEMBER}")
            handle = tar.extractfile(member)
            assert handle is not None  # a regular file
            raw = handle.read()
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ManifestError(f"cannot read the bundle tarball: {exc}") from None
    return parse_manifest(raw)


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
