"""The pod runtime: decode argv slots, call the function, write its JSON result (DESIGN §5.1).

Started by the bundle's launcher as ``python -I -B -u -X utf8 __athena_main__.py -- <slots>``. It imports
only the module named by ``ATHENA_ENTRY`` (decorators are inert because ``ATHENA_RUNTIME=1``), nothing of
athena's compiler side, no YAML and no CLI.

Exit codes: 0 ok · 1 the function raised (traceback printed) · 2 protocol error (bad slot, wrong slot count,
bundle mismatch, unencodable or oversized result) · 70 unsupported architecture (the bootstrap) ·
``SystemExit(n)`` → n without a result.
"""

from __future__ import annotations

import os
import sys

from athena.runtime import protocol

TYPE_CHECKING = False
if TYPE_CHECKING:  # the pod must not pay for `typing` unless the user's code imports it
    from typing import Any

MAX_VALUE_BYTES = protocol.MAX_VALUE_BYTES  # kept importable here; the wire value lives in protocol


class ProtocolError(Exception):
    """The template and the pod disagree: the message names the template and the parameter."""


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def _fail(message: str, code: int = protocol.EXIT_PROTOCOL_ERROR) -> int:
    sys.stderr.write(f"athena: {message}\n")
    sys.stderr.flush()
    return code


def _check_bundle(template: str) -> None:
    expected = _env(protocol.ENV_BUNDLE)
    if not expected:
        return
    root = _env(protocol.ENV_BUNDLE_DIR, protocol.BUNDLE_DIR) or protocol.BUNDLE_DIR
    try:
        manifest = protocol.read_manifest(root)
    except protocol.ManifestError as exc:
        raise ProtocolError(f"template {template}: the bundle at {root}: {exc}") from None
    if manifest is None:
        return  # a local process run has no unpacked bundle
    if manifest.get("digest") != expected:
        raise ProtocolError(f"template {template} expects bundle {expected}, but {root} holds "
                            f"{manifest.get('digest')}; publish the bundle this YAML was emitted with")
    want = manifest.get("python")
    have = f"{sys.version_info.major}.{sys.version_info.minor}"
    if want and want != have:
        raise ProtocolError(f"template {template}: the bundle was built for Python {want}, this interpreter is "
                            f"{have} (the image's python3 with the `image` provider?)")


def resolve_entry(entry: str) -> Any:
    """The function ``module:qualname`` names (``ATHENA_ENTRY``); the in-process runner and emulate use it too."""
    module_name, _, qualname = entry.partition(":")
    if not module_name or not qualname:
        raise ProtocolError(f"{protocol.ENV_ENTRY}={entry!r} is not `module:function`")
    import importlib

    obj: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return getattr(obj, "fn", obj)  # a Template wraps the function


def _hints(fn: Any) -> dict[str, Any]:
    """The resolved annotations; plain ``typing`` evaluation only when some are strings (postponed)."""
    ann = getattr(fn, "__annotations__", {})
    if any(isinstance(v, str) for v in ann.values()):
        import typing

        return typing.get_type_hints(fn)
    return dict(ann)


OFFLOAD_INDEX_BASE = protocol.OFFLOAD_INDEX_BASE


def _slot_text(slot: str, k: int) -> str:
    """Argo ≥ 3.7.10/4.0.1 passes an argument above 128 KiB as ``@/tmp/argo_arg_<k+3>.txt`` — exactly that.

    The emissary writes the argument's bytes as they are: read bytes and decode UTF-8 strictly, with no newline
    translation (text mode would turn a ``\r\n`` inside a value into ``\n``)."""
    if os.environ.get(protocol.ENV_ARGS_FILE) and slot == protocol.offloaded_slot(k):
        path = slot[1:]
        local_tmp = os.environ.get(protocol.ENV_TMP_DIR)
        if local_tmp:  # a local process run: the pod's /tmp is this directory
            path = os.path.join(local_tmp, path[len(protocol.TMP_DIR) + 1:])
        with open(path, "rb") as f:
            data = f.read()
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise OSError(f"{slot[1:]} is not UTF-8: {exc}") from None
    return slot


def artifact_type(annotation: Any) -> Any:
    """The ``T`` of ``Artifact[T]``, or None when ``annotation`` is not an Artifact."""
    loaded = sys.modules.get("athena.outcome")
    if loaded is None:  # nothing imported Artifact, so no annotation can be one
        return None
    import typing

    Artifact = loaded.Artifact
    if annotation is Artifact:
        return bytes
    if typing.get_origin(annotation) is Artifact:
        return typing.get_args(annotation)[0]
    return None


def _is_settings_error(exc: BaseException) -> bool:
    """``athena.settings()`` could not load: without importing the settings module (a step that never loaded it
    cannot have raised its error)."""
    loaded = sys.modules.get("athena.runtime.settings")
    return loaded is not None and isinstance(exc, loaded.SettingsError)


def _write_result(text: str) -> None:
    path = _env(protocol.ENV_RESULT, protocol.RESULT_PATH) or protocol.RESULT_PATH
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, exist_ok=True)
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    # The wait container may run as another UID: the result must be world-readable.
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def _save_artifact(value: Any) -> str:
    from athena.outcome import Artifact
    from athena.runtime import codec

    path = _env(protocol.ENV_ARTIFACT_RETURN, protocol.ARTIFACT_RETURN_PATH) or protocol.ARTIFACT_RETURN_PATH
    os.makedirs(os.path.dirname(path), exist_ok=True)
    data: bytes
    if isinstance(value, Artifact) and value.has_value:
        value = value.load()
    elif isinstance(value, Artifact):
        with open(value.path, "rb") as f:
            data = f.read()
        value = data
    if isinstance(value, bytes):
        data = value
    elif isinstance(value, str):
        data = value.encode("utf-8")
    else:
        data = codec.encode(value).encode("utf-8")
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, 0o644)
    return codec.encode({"key": _env(protocol.ENV_RETURN_KEY, "") or ""})


def run(argv: list[str]) -> int:
    template = _env(protocol.ENV_TEMPLATE) or "?"
    entry = _env(protocol.ENV_ENTRY)
    if not entry:
        return _fail(f"{protocol.ENV_ENTRY} is not set; this program runs inside an athena container")
    if argv and argv[0] == "--":
        argv = argv[1:]
    try:
        _check_bundle(template)
        fn = resolve_entry(entry)
        hints = _hints(fn)
        code = fn.__code__
        names = list(code.co_varnames[: code.co_argcount + code.co_kwonlyargcount])
    except ProtocolError as exc:
        return _fail(str(exc))
    except Exception as exc:  # importing the user's module failed: that is the user's code
        import traceback

        traceback.print_exc()
        return _fail(f"template {template}: importing {entry} failed: {exc}", protocol.EXIT_USER_ERROR)
    from athena.runtime import codec

    value_params = [n for n in names if artifact_type(hints.get(n)) is None]
    if len(argv) != len(value_params):
        return _fail(f"template {template}: argv has {len(argv)} slot(s), {entry} takes {len(value_params)} "
                     f"({', '.join(value_params) or 'none'}); the template and the bundle are from different "
                     "versions")
    kwargs: dict[str, Any] = {}
    for k, (name, slot) in enumerate(zip(value_params, argv, strict=True)):
        try:
            kwargs[name] = codec.decode(_slot_text(slot, k), hints.get(name, object))
        except (codec.CodecError, OSError) as exc:
            return _fail(f"template {template}: parameter `{name}` cannot be decoded as "
                         f"{codec.type_name(hints.get(name, object))}: {exc}")
    for name in names:
        inner = artifact_type(hints.get(name))
        if inner is not None:
            from athena.outcome import Artifact

            kwargs[name] = Artifact(f"{protocol.ARTIFACT_INPUT_DIR}/{name}", kind=inner)
    try:
        result = fn(**kwargs)
    except SystemExit as exc:
        code_ = exc.code
        if isinstance(code_, int):
            return code_
        if code_ is None:
            return 0
        sys.stderr.write(f"{code_}\n")  # what Python itself prints for sys.exit("message")
        return protocol.EXIT_USER_ERROR
    except BaseException as exc:
        if _is_settings_error(exc):  # the step's environment is wrong, not its code: the message says it all
            return _fail(f"template {template}: {exc}", protocol.EXIT_USER_ERROR)
        import traceback

        traceback.print_exc()
        sys.stderr.flush()
        return protocol.EXIT_USER_ERROR
    try:
        if artifact_type(hints.get("return")) is not None:
            text = _save_artifact(result)
        else:
            text = codec.encode(result)
    except (codec.CodecError, OSError) as exc:
        return _fail(f"template {template}: the return value cannot be encoded: {exc}")
    if "return" in hints and artifact_type(hints["return"]) is None:
        try:  # what the next step will decode: a `-> int` that returned "x" fails here, not downstream
            codec.check_result(text, hints["return"])
        except codec.CodecError as exc:
            return _fail(f"template {template}: the return value does not match the declared return type "
                         f"{codec.type_name(hints['return'])}: {exc}")
    limit = int(_env(protocol.ENV_MAX_VALUE_BYTES, str(MAX_VALUE_BYTES)) or MAX_VALUE_BYTES)
    size = len(text.encode("utf-8"))
    if size > limit:
        return _fail(f"template {template}: the return value is {size} bytes of JSON, above the {limit}-byte limit "
                     "for a parameter; return athena.Artifact[T] for large values")
    try:
        _write_result(text)
    except OSError as exc:
        return _fail(f"template {template}: cannot write the result: {exc}")
    return 0


# The in-process runner still imports the old private spellings (local/inprocess.py, not this module's owner).


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not os.environ.get(protocol.ENV_PUSHGATEWAY):
        return run(args)  # no metrics: nothing of them is imported
    import time

    start = time.monotonic()
    code = protocol.EXIT_USER_ERROR  # if run() itself raises, the step failed
    try:
        code = run(args)
    finally:
        from athena.runtime import metrics

        metrics.push_step(code, time.monotonic() - start)
    return code


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
