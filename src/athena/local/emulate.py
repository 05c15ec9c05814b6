"""Running one container step outside a cluster: typed ``-a`` arguments, the bundle, artifact ports.

The CLI's ``container emulate`` is a thin shell over :func:`emulate_step`.
"""

from __future__ import annotations

import difflib
import json
import os
import platform
import tempfile
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from athena.api import App, emit_documents
from athena.compile.model import Container
from athena.config import Config
from athena.errors import UsageError
from athena.runtime import codec, protocol


@dataclass(frozen=True)
class StepResult:
    exit_code: int
    result_json: str | None
    errors: tuple[str, ...]


def parse_arguments(fn: Callable[..., Any], pairs: Sequence[str], input_file: Path | None,
                    *, skip: Sequence[str] = (), require_all: bool = True) -> dict[str, str]:
    """``-a name=value`` and ``--input-file`` checked against the real signature; returns name → JSON text.

    Unknown (with did-you-mean) and wrong-kind arguments are errors before anything starts; so are missing ones
    unless ``require_all`` is False (``emit -a`` writes placeholders for them). A value of an Enum or Literal
    parameter is typed as the user sees it (``-a mode=fast``), JSON (``-a 'mode="fast"'``) also works.
    """
    import inspect

    hints = typing.get_type_hints(fn)
    params = {p.name: p for p in inspect.signature(fn).parameters.values() if p.name not in skip}
    given: dict[str, Any] = {}
    if input_file is not None:
        try:
            data = json.loads(input_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise UsageError(f"--input-file {input_file}: {exc}") from None
        if not isinstance(data, dict):
            raise UsageError(f"--input-file {input_file}: expected a JSON object of parameter values")
        for name, value in data.items():
            given[name] = ("json", json.dumps(value))
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep:
            raise UsageError(f"-a {pair!r}: write it as name=value")
        given[name] = ("cli", text)
    out: dict[str, str] = {}
    for name, (how, text) in given.items():
        if name not in params:
            close = difflib.get_close_matches(name, list(params), n=1)
            hint = f" (did you mean `{close[0]}`?)" if close else f" (parameters: {', '.join(params) or 'none'})"
            raise UsageError(f"`{fn.__qualname__}` has no parameter `{name}`{hint}")
        tp = hints.get(name, Any)
        try:
            value = _cli_choice(text, tp) if how == "cli" else codec.decode(text, tp)
            out[name] = codec.encode(value)
        except codec.CodecError as exc:
            source = f"-a {name}" if how == "cli" else f"--input-file {input_file}"
            raise UsageError(f"{source}: parameter `{name}` of `{fn.__qualname__}` expects {_type_name(tp)}, "
                             f"got {text!r} ({exc})") from None
    missing = [n for n, p in params.items() if n not in out and p.default is inspect.Parameter.empty]
    if missing and require_all:
        raise UsageError(f"`{fn.__qualname__}` needs {', '.join(f'`{m}`' for m in missing)}: pass -a name=value")
    return out


def _cli_choice(text: str, tp: Any) -> Any:
    """``-a`` text → value; for an Enum or Literal whose choices include the raw text as a string, that choice
    (the user types ``fast``, not ``"fast"``)."""
    import enum

    try:
        return codec.parse_cli_value(text, tp)
    except codec.CodecError:
        if typing.get_origin(tp) is typing.Literal:
            choices = list(typing.get_args(tp))
            if text in choices:
                return text
        elif isinstance(tp, type) and issubclass(tp, enum.Enum):
            for member in tp:
                if member.value == text:
                    return member
            choices = [m.value for m in tp]
        else:
            raise
        raise codec.CodecError(f"choose one of {', '.join(map(str, choices))}") from None


def _type_name(tp: Any) -> str:
    """``int``, ``list[str]``, ``str | None``: the annotation as the user wrote it."""
    return tp.__name__ if isinstance(tp, type) else str(tp).replace("typing.", "")


def container_template(app: App, config: Config, name: str) -> tuple[dict[str, Any], Any]:
    """The emitted container template named ``name`` (template or function name) and its function."""
    doc, fn, _ = _container(app, config, name)
    return doc, fn


def _container(app: App, config: Config, name: str) -> tuple[dict[str, Any], Any, Container]:
    from athena.api import compile_templates, find_template
    from athena.runtime.main import resolve_entry

    program = compile_templates(app.roots, config)
    ir = find_template(program, name, "container")
    assert isinstance(ir, Container)
    docs = emit_documents(app, config, program=program)
    doc = next(d for d in docs if d["spec"]["entrypoint"] == ir.name)
    return doc, resolve_entry(ir.entry), ir


def settings_env(ir: Container, environ: Mapping[str, str], template: Mapping[str, Any]) -> dict[str, str]:
    """The variables of ``environ`` that the step's ``athena.settings`` read, as a cluster would give them through
    ``env_from=`` (settings, issue 9); one the template's own ``env`` sets keeps the template's value."""
    if not ir.settings:
        return {}
    from athena.compile.settings import step_variables

    own = {e.get("name") for e in template.get("container", {}).get("env") or []}
    return {v.name: environ[v.name] for v in step_variables(ir) if v.name in environ and v.name not in own}


def host_target() -> str:
    machine = platform.machine().lower()
    target = protocol.normalize_arch(machine)
    if target is None:
        raise UsageError(f"this machine's architecture {machine} has no bundle target "
                         f"({', '.join(protocol.ARCH_ALIASES)})")
    return target


def image_target(doc: Mapping[str, Any], *, image: str | None = None, runtime: str | None = None,
                 containers_conf: Path | None = None) -> str:
    """The bundle target the step's image runs (``--image`` else the template's): an arm64 image needs an
    aarch64 build whatever this machine is (qemu-user runs it). The image is pulled if absent, as the run will."""
    from athena.local.pod.containers import detect_runtime
    from athena.local.pod.image import ensure_image

    ref = image or str(doc["spec"]["templates"][0]["container"].get("image") or "")
    if not ref or "{{" in ref:
        return host_target()  # an expression image: the run itself will ask for --image
    info = ensure_image(detect_runtime(runtime, containers_conf=containers_conf), ref, None, pull=True)
    arch = str(info.get("Architecture") or "")
    target = protocol.normalize_arch(arch) if arch else host_target()
    if target is None:
        raise UsageError(f"the image {ref} is for {arch}, which has no bundle target "
                         f"({', '.join(protocol.ARCH_ALIASES)}); pick another image with --image")
    return target


def obtain_bundle(app: App, config: Config, doc: Mapping[str, Any], *, tarball: Path | None, build: bool,
                  progress: Callable[[str, float], None] | None = None, image: str | None = None,
                  runtime: str | None = None, containers_conf: Path | None = None) -> Path:
    """The bundle tarball: a given file, a fresh local build for the image's architecture, or the one in S3."""
    if tarball is not None:
        if not tarball.is_file():
            raise UsageError(f"--tarball {tarball}: no such file")
        check_tarball(doc, tarball)
        return tarball
    if build:
        from athena.bundle.build import build_bundle

        target = image_target(doc, image=image, runtime=runtime, containers_conf=containers_conf)
        return build_bundle(app, config, targets=[target], progress=progress).path
    from athena.remote.publish import fetch_bundle

    arts = doc["spec"]["templates"][0]["inputs"]["artifacts"]
    key = next(a for a in arts if a["name"] == protocol.BUNDLE_ARTIFACT)["s3"]["key"]
    return fetch_bundle(config, key)


def check_tarball(doc: Mapping[str, Any], tarball: Path) -> None:
    """A ``--tarball`` built from other code than the YAML emitted now is stale: say so here, with both digests,
    rather than let the pod's generic bundle check fail inside the container."""
    env = doc["spec"]["templates"][0]["container"].get("env") or []
    expected = next((str(e.get("value")) for e in env if e.get("name") == protocol.ENV_BUNDLE), None)
    if expected is None:
        return
    try:
        manifest = protocol.read_manifest(str(tarball))
    except protocol.ManifestError as exc:
        raise UsageError(f"--tarball {tarball} is not an athena bundle ({exc}); build one with `athena build`, or "
                         "pass --build instead") from None
    have = (manifest or {}).get("digest")
    if have != expected:
        raise UsageError(f"--tarball {tarball} is stale: it holds bundle {have}, but the code as it is now expects "
                         f"bundle {expected}; rebuild it with `athena build` (or pass --build instead of --tarball)")


def emulate_step(app: App, config: Config, name: str, *, pairs: Sequence[str] = (), input_file: Path | None = None,
                 tarball: Path | None = None, build: bool = False, runtime: str | None = None,
                 skip_artifacts: bool = False, containers_conf: Path | None = None, image: str | None = None,
                 progress: Callable[[str, float], None] | None = None) -> StepResult:
    """Run one container exactly as Argo would; S3 artifact ports are synced unless ``skip_artifacts``."""
    from athena.local.pod import emulate

    doc, fn, ir = _container(app, config, name)
    template = doc["spec"]["templates"][0]
    artifact_params = [a["name"] for a in template["inputs"].get("artifacts", []) if "s3" not in a]
    # An Artifact[T] parameter arrives as a file: `-a name=@path/to/file`.
    files: dict[str, Path] = {}
    rest: list[str] = []
    for pair in pairs:
        key, _, value = pair.partition("=")
        if key in artifact_params:
            if not value.startswith("@") or not Path(value[1:]).is_file():
                raise UsageError(f"`{key}` is an Artifact parameter: pass a file with -a {key}=@path/to/file")
            files[key] = Path(value[1:])
        else:
            rest.append(pair)
    missing = [p for p in artifact_params if p not in files]
    if missing:
        raise UsageError(f"`{fn.__qualname__}` needs {', '.join(f'`{m}`' for m in missing)}: pass "
                         f"-a {missing[0]}=@path/to/file")
    args = parse_arguments(fn, rest, input_file, skip=artifact_params)
    bundle = obtain_bundle(app, config, doc, tarball=tarball, build=build, progress=progress, image=image,
                           runtime=runtime, containers_conf=containers_conf)
    with tempfile.TemporaryDirectory(prefix="athena-ports-") as ports:
        ports_dir = Path(ports)
        store = None
        in_keys = [a["s3"]["key"] for a in template["inputs"].get("artifacts", [])
                   if a["name"] != protocol.BUNDLE_ARTIFACT and "s3" in a]
        if not skip_artifacts and (in_keys or template.get("outputs", {}).get("artifacts")):
            from athena.remote.store import S3Store

            if config.artifact_repository.s3 is None:
                raise UsageError("this container has S3 artifact ports but [artifact_repository.s3] is not "
                                 "configured; configure it or pass --skip-artifacts")
            store = S3Store.from_config(config.artifact_repository.s3)
            for key in in_keys:
                if store.exists(key):
                    store.get_file(key, ports_dir / key)
        result = emulate(template, bundle=bundle, args=args, runtime=runtime, artifacts_dir=ports_dir,
                         env=settings_env(ir, os.environ, template) or None,
                         containers_conf=containers_conf, image=image, input_files=files or None,
                         argo_version=config.defaults.argo_version)
        if store is not None and result.exit_code == 0:
            for key, path in result.outputs.items():
                store.put_file(Path(path), key)
    return StepResult(result.exit_code, result.result_json, tuple(result.errors))
