"""athena's configuration: ``athena.toml`` or ``pyproject.toml`` ``[tool.athena]`` (DESIGN §2).

Where the configuration comes from, first match wins:

1. ``load_config(explicit)`` (the CLI's ``-c FILE``);
2. ``$ATHENA_CONFIG``;
3. walking up from ``start`` (default: the working directory), the nearest directory holding an
   ``athena.toml`` or a ``pyproject.toml`` with a ``[tool.athena]`` table. A directory holding both is an
   error ("two sources at one level"); a ``pyproject.toml`` without ``[tool.athena]`` is not a source;
4. nothing found: every table at its default.

An explicit or ``$ATHENA_CONFIG`` file named ``pyproject.toml`` is read from its ``[tool.athena]`` table;
any other name is read as an ``athena.toml``.

``Config.dist_name`` is the PEP 621 ``[project].name`` of the source when it is a ``pyproject.toml``, else
of the nearest ``pyproject.toml`` naming one, walking up from ``start``. When the athena configuration
sets no ``[project].name``, ``Config.project.name`` is that name.

Every problem raises ``ConfigError`` naming the file and the TOML key, e.g.
``athena.toml: [bootstrap].targets[1]: expected one of x86_64, aarch64, got 'arm'``.
"""

from __future__ import annotations

import difflib
import os
import re
import string
import tomllib
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec

from athena.argo import facts
from athena.errors import ConfigError

__all__ = [
    "ARGO_LINES",
    "S3",
    "Artifact",
    "ArtifactRepository",
    "Bootstrap",
    "Config",
    "Defaults",
    "Metrics",
    "Project",
    "RepositoryRef",
    "SecretRef",
    "cache_dir",
    "load_config",
]

Arch = Literal["x86_64", "aarch64"]
Interpreter = Literal["pbs", "apt", "local", "image"]

#: Supported Argo lines and the first patch of each that athena accepts (DESIGN §0); the fact lives in
#: :mod:`athena.argo.facts`.
ARGO_LINES: Mapping[str, int] = facts.MIN_PATCH
_KEY_FIELDS = ("project", "version", "digest")


class Project(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    name: str | None = None
    app: list[str] = msgspec.field(default_factory=list)  # a single string is accepted too
    name_tag: str = ""


class SecretRef(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A Kubernetes secret key reference (``{name = ..., key = ...}``)."""

    name: str
    key: str


class RepositoryRef(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """``repository = {ref = "..."}``: an ``artifactRepositoryRef`` config map key."""

    ref: str


class S3(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """``[artifact_repository.s3]``. ``bucket`` is required unless ``repository`` names Argo's own."""

    endpoint: str | None = None
    bucket: str | None = None
    region: str = "us-east-1"
    insecure: bool = False
    access_key_secret: SecretRef | None = None
    secret_key_secret: SecretRef | None = None
    use_sdk_creds: bool = False
    repository: Literal["inline", "default"] | RepositoryRef | None = None


class ArtifactRepository(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    s3: S3 | None = None


class Artifact(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    key: str = "athena/{project}/{digest}/bundle.tar.gz"  # placeholders {project} {version} {digest}


def _default_targets() -> list[Arch]:
    return ["x86_64", "aarch64"]


class Bootstrap(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    targets: Annotated[list[Arch], msgspec.Meta(min_length=1)] = msgspec.field(
        default_factory=_default_targets
    )
    python: str = "3.11"
    interpreter: Interpreter = "pbs"
    default_image: str = "busybox:1.36"


class Defaults(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    service_account: str = "default"
    namespace: str | None = None
    argo_version: str = "4.1"  # "X.Y" or "X.Y.Z", see argo_line / argo_patch
    image_pull_secrets: list[str] = msgspec.field(default_factory=list)
    run_as_user: Annotated[int, msgspec.Meta(ge=1)] | None = 8737

    @property
    def argo(self) -> facts.ArgoVersion:
        """``argo_version`` parsed (it was checked when the configuration was loaded)."""
        parsed = facts.parse_version(self.argo_version)
        if parsed is None:  # only a hand-built Defaults gets here
            raise ValueError(f"argo_version {self.argo_version!r}: use X.Y or X.Y.Z")
        return parsed

    @property
    def argo_line(self) -> str:
        """The Argo release line, ``"X.Y"`` (``"3.7"`` for ``argo_version = "3.7.16"``)."""
        return self.argo.line

    @property
    def argo_patch(self) -> int | None:
        """The patch number when ``argo_version`` gave one, else None (meaning: the line's newest)."""
        return self.argo.patch


class Metrics(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """``[metrics]``: pod-side metrics. With ``pushgateway`` set every container pushes its step's duration and
    outcome there (the runtime reads ``ATHENA_PUSHGATEWAY``, which the emitter then writes)."""

    pushgateway: str | None = None

class _File(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """The tables of one configuration source, as written."""

    project: Project = msgspec.field(default_factory=Project)
    artifact_repository: ArtifactRepository = msgspec.field(default_factory=ArtifactRepository)
    artifact: Artifact = msgspec.field(default_factory=Artifact)
    bootstrap: Bootstrap = msgspec.field(default_factory=Bootstrap)
    defaults: Defaults = msgspec.field(default_factory=Defaults)
    metrics: Metrics = msgspec.field(default_factory=Metrics)


class Config(msgspec.Struct, frozen=True, kw_only=True):
    """The whole configuration. ``project.name`` already holds the PEP 621 fallback when one applies."""

    project: Project = msgspec.field(default_factory=Project)
    artifact_repository: ArtifactRepository = msgspec.field(default_factory=ArtifactRepository)
    artifact: Artifact = msgspec.field(default_factory=Artifact)
    bootstrap: Bootstrap = msgspec.field(default_factory=Bootstrap)
    defaults: Defaults = msgspec.field(default_factory=Defaults)
    metrics: Metrics = msgspec.field(default_factory=Metrics)
    source: Path | None = None  # the file read, None when running on defaults
    root: Path = msgspec.field(default_factory=Path.cwd)  # the source's directory, else the start directory
    dist_name: str | None = None  # the PEP 621 [project].name found (see the module docstring)


# ---------------------------------------------------------------------------------------------------------
# Finding and reading sources


def load_config(
    explicit: str | Path | None = None,
    *,
    start: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> Config:
    """Find, read and check the configuration (see the module docstring for the precedence)."""
    env = os.environ if env is None else env
    start = Path.cwd() if start is None else start
    chosen = explicit if explicit is not None else (env.get("ATHENA_CONFIG") or None)
    if chosen is not None:
        path = Path(chosen).absolute()
        if not path.is_file():
            how = "-c" if explicit is not None else "$ATHENA_CONFIG"
            raise ConfigError(f"{_show(path)}: configuration file not found ({how})")
        raw = _read_source(path)
        if raw is None:
            raise ConfigError(f"{_show(path)}: no [tool.athena] table")
        source: tuple[Path, dict[str, Any]] | None = (path, raw)
    else:
        source = _discover(start.absolute())
    if source is None:
        return _with_dist_name(Config(root=start.absolute()), start.absolute())
    path, raw = source
    tables = _convert(raw, path)
    config = Config(
        project=tables.project,
        artifact_repository=tables.artifact_repository,
        artifact=tables.artifact,
        bootstrap=tables.bootstrap,
        defaults=tables.defaults,
        metrics=tables.metrics,
        source=path,
        root=path.parent,
    )
    return _with_dist_name(config, path.parent if path.name == "pyproject.toml" else start.absolute())


def _discover(start: Path) -> tuple[Path, dict[str, Any]] | None:
    for directory in (start, *start.parents):
        toml = directory / "athena.toml"
        py = directory / "pyproject.toml"
        py_raw = _read_source(py) if py.is_file() else None
        if toml.is_file():
            if py_raw is not None:
                raise ConfigError(
                    f"{_show(toml)} and {_show(py)} [tool.athena] are both athena configuration; "
                    "keep one of them"
                )
            raw = _read_source(toml)
            assert raw is not None  # an athena.toml is always a source
            return toml, raw
        if py_raw is not None:
            return py, py_raw
    return None


def _read_source(path: Path) -> dict[str, Any] | None:
    """The athena tables in *path*; None for a pyproject.toml without ``[tool.athena]``."""
    data = _parse(path)
    if path.name != "pyproject.toml":
        return data
    tool = data.get("tool")
    athena = tool.get("athena") if isinstance(tool, dict) else None
    if athena is None:
        return None
    if not isinstance(athena, dict):
        raise ConfigError(f"{_show(path)}: [tool].athena: expected a table, got {_tname(athena)}")
    return athena


def _parse(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{_show(path)}: cannot read: {exc}") from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        where = re.search(r"\s*\(at line (\d+), column (\d+)\)$", msg)
        if where:
            loc = f"{_show(path)}:{where[1]}:{where[2]}"
            msg = msg[: where.start()]
        else:
            loc = f"{_show(path)}:{text.count(chr(10)) + 1}"
            msg = re.sub(r"\s*\(at end of document\)$", " at end of file", msg)
        raise ConfigError(f"{loc}: invalid TOML: {msg}") from exc


def _with_dist_name(config: Config, start: Path) -> Config:
    for directory in (start, *start.parents):
        py = directory / "pyproject.toml"
        if not py.is_file():
            continue
        project = _parse(py).get("project")
        name = project.get("name") if isinstance(project, dict) else None
        if isinstance(name, str) and name:
            project_table = config.project
            if project_table.name is None:
                project_table = msgspec.structs.replace(project_table, name=name)
            return msgspec.structs.replace(config, project=project_table, dist_name=name)
    return config


def _show(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


# ---------------------------------------------------------------------------------------------------------
# Checking

_Seg = str | int


def _convert(raw: dict[str, Any], path: Path) -> _File:
    prefix = ("tool", "athena") if path.name == "pyproject.toml" else ()
    project = raw.get("project")
    if isinstance(project, dict) and isinstance(project.get("app"), str):
        raw = {**raw, "project": {**project, "app": [project["app"]]}}
    try:
        tables = msgspec.convert(raw, _File)
        _check(tables)
    except msgspec.ValidationError as exc:
        raise ConfigError(f"{_show(path)}: {_translate(str(exc), raw, prefix)}") from None
    except _Invalid as exc:
        raise ConfigError(f"{_show(path)}: {_key(exc.at, prefix)}: {exc.message}") from None
    return tables


class _Invalid(Exception):
    def __init__(self, at: tuple[_Seg, ...], message: str) -> None:
        super().__init__(message)
        self.at = at
        self.message = message


def _check(f: _File) -> None:
    """The rules msgspec's types cannot say."""
    s3 = f.artifact_repository.s3
    if s3 is not None and s3.repository in (None, "inline") and not s3.bucket:
        raise _Invalid(("artifact_repository", "s3", "bucket"), "required unless repository names Argo's own")
    _check_key(f.artifact.key)
    seen: set[str] = set()
    for i, target in enumerate(f.bootstrap.targets):
        if target in seen:
            raise _Invalid(("bootstrap", "targets", i), f"duplicate target {target!r}")
        seen.add(target)
    if not re.fullmatch(r"3\.\d+", f.bootstrap.python):
        raise _Invalid(
            ("bootstrap", "python"), f'expected a Python version like "3.11", got {f.bootstrap.python!r}'
        )
    _check_argo(f.defaults.argo_version)
    if f.metrics.pushgateway is not None:
        _check_pushgateway(f.metrics.pushgateway)


def _check_pushgateway(url: str) -> None:
    """An http(s) base URL the pod runtime can PUT to (it appends ``/metrics/job/...``)."""
    from urllib.parse import urlsplit

    at = ("metrics", "pushgateway")
    try:
        parts = urlsplit(url)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        parts, port_ok = None, False
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
        raise _Invalid(at, f'expected the Pushgateway\'s base URL, like "http://pushgateway.monitoring:9091", '
                           f"got {url!r}")
    if parts.username is not None or parts.query or parts.fragment:
        raise _Invalid(at, f"{url!r}: give only scheme, host, port and an optional path prefix (no credentials, "
                           "query or fragment)")


def _check_key(key: str) -> None:
    at = ("artifact", "key")
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(key) if name is not None]
    except ValueError as exc:
        raise _Invalid(at, f"bad placeholder in {key!r}: {exc}") from None
    for name in names:
        if name not in _KEY_FIELDS:
            raise _Invalid(
                at, f"unknown placeholder {{{name}}} (allowed: {{project}}, {{version}}, {{digest}})"
            )
    if "digest" not in names:
        raise _Invalid(at, f"{key!r} must contain {{digest}} so that different bundles never share a key")


def _check_argo(version: str) -> None:
    at = ("defaults", "argo_version")
    v = facts.parse_version(version)
    if v is None or v.line not in ARGO_LINES:
        lines = ", ".join(ARGO_LINES)
        raise _Invalid(at, f'expected one of {lines} (or with a patch, e.g. "3.7.16"), got {version!r}')
    if v.patch is None:
        return
    line, patch = v.line, v.patch
    if patch < ARGO_LINES[line]:
        reason = facts.HANG_REASON if facts.hangs_on_skipped_outputs(v) else facts.SUPPORTED_TEXT
        raise _Invalid(
            at, f"Argo {version} is not supported: {reason}; use {line}.{ARGO_LINES[line]} or later"
        )


def _translate(message: str, raw: dict[str, Any], prefix: tuple[str, ...]) -> str:
    """A msgspec ValidationError message, in TOML terms."""
    text, _, where = message.partition(" - at `")
    at = _segments(where.rstrip("`") or "$")
    if m := re.fullmatch(r"Object contains unknown field `(.+)`", text):
        name = m[1]
        is_table = isinstance(_value_at(raw, (*at, name)), dict)
        shown = _key((*at, name), prefix, header=is_table)
        fields = [f.encode_name for f in msgspec.structs.fields(_struct_at(at))]
        close = difflib.get_close_matches(name, fields, n=1, cutoff=0.5)
        if not close:
            return f"unknown key {shown}"
        better = _key((*at, close[0]), prefix, header=True) if is_table else close[0]
        return f"unknown key {shown} (did you mean {better}?)"
    if m := re.fullmatch(r"Object missing required field `(.+)`", text):
        return f"{_key(at, prefix)}: missing required key {m[1]}"
    if m := re.fullmatch(r"Invalid enum value (.+)", text):
        choices, table = _choices(_type_at(at))
        expected = ", ".join(choices) + (", or a table" if table else "")
        return f"{_key(at, prefix)}: expected one of {expected}, got {m[1]}"
    text = text.replace("`object`", "`table`").replace(" | null`", "`").replace("`", "")
    text = text[0].lower() + text[1:]
    if text.startswith("expected str, got float"):
        text += " (write it as a quoted string)"
    return f"{_key(at, prefix)}: {text}"


def _segments(path: str) -> tuple[_Seg, ...]:
    return tuple(
        int(index) if index else name for name, index in re.findall(r"\.([^.\[]+)|\[(\d+)\]", path[1:])
    )


_TABLES = {(), ("project",), ("artifact_repository",), ("artifact_repository", "s3"), ("artifact",),
           ("bootstrap",), ("defaults",), ("metrics",)}  # fmt: skip


def _key(at: tuple[_Seg, ...], prefix: tuple[str, ...], *, header: bool = False) -> str:
    """``[bootstrap].targets[1]``, ``[tool.athena.defaults].namespace``, ``[artifact_repository.s4]``."""
    cut = max(n for n in range(len(at) + 1) if at[:n] in _TABLES)
    table = [*prefix, *map(str, at[:cut])]
    rest = at[cut:]
    if header and len(rest) == 1:
        return f"[{'.'.join([*table, str(rest[0])])}]"
    tail = "".join(f"[{s}]" if isinstance(s, int) else f".{s}" for s in rest)
    return f"[{'.'.join(table)}]{tail}" if table else tail.lstrip(".")


def _value_at(raw: Any, at: tuple[_Seg, ...]) -> Any:
    for seg in at:
        try:
            raw = raw[seg]
        except (KeyError, IndexError, TypeError):
            return None
    return raw


def _type_at(at: tuple[_Seg, ...]) -> Any:
    tp: Any = _File
    for seg in at:
        options = [_unwrap(t) for t in _members(tp)]
        if isinstance(seg, int):
            tp = next(typing.get_args(t)[0] for t in options if typing.get_origin(t) is list)
        else:
            struct = next(t for t in options if isinstance(t, type) and issubclass(t, msgspec.Struct))
            tp = next(f.type for f in msgspec.structs.fields(struct) if f.encode_name == seg)
    return tp


def _struct_at(at: tuple[_Seg, ...]) -> type[msgspec.Struct]:
    for t in _members(_type_at(at)):
        t = _unwrap(t)
        if isinstance(t, type) and issubclass(t, msgspec.Struct):
            return t
    raise AssertionError(at)  # msgspec only reports unknown fields on structs


def _members(tp: Any) -> list[Any]:
    tp = _unwrap(tp)
    return list(typing.get_args(tp)) if typing.get_origin(tp) in (typing.Union, types.UnionType) else [tp]


def _unwrap(tp: Any) -> Any:
    return typing.get_args(tp)[0] if typing.get_origin(tp) is Annotated else tp


def _choices(tp: Any) -> tuple[list[str], bool]:
    values: list[str] = []
    table = False
    for t in _members(tp):
        t = _unwrap(t)
        if typing.get_origin(t) is Literal:
            values.extend(str(v) for v in typing.get_args(t))
        elif isinstance(t, type) and issubclass(t, msgspec.Struct):
            table = True
    return values, table


def _tname(value: object) -> str:
    return {"dict": "table", "list": "array"}.get(type(value).__name__, type(value).__name__)


def cache_dir(env: Mapping[str, str] | None = None) -> Path:
    """athena's cache (interpreters, Debian packages, wheels, downloaded bundles): ``$ATHENA_CACHE``, else
    ``$XDG_CACHE_HOME/athena``, else ``~/.cache/athena``."""
    env = os.environ if env is None else env
    if env.get("ATHENA_CACHE"):
        return Path(env["ATHENA_CACHE"]).expanduser()
    if env.get("XDG_CACHE_HOME"):
        return Path(env["XDG_CACHE_HOME"]).expanduser() / "athena"
    return Path.home() / ".cache" / "athena"
