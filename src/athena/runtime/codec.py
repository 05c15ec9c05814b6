"""The one JSON codec: what the emitter writes as literals, what Argo passes, what pods decode and encode.

Shared by the pod runtime, the in-process runner and ``-a`` argument parsing. msgspec does the work;
it is imported on first use (the pod imports this module before it knows it needs msgspec), pydantic only
when a type uses it. Decoders are built once per annotation.
"""

from __future__ import annotations

import math

TYPE_CHECKING = False
if TYPE_CHECKING:  # the pod imports this module; `typing` costs it milliseconds
    from collections.abc import Callable
    from typing import Any

    Decoder = Callable[[str], Any]

MAX_SAFE_INT = 2**53 - 1


class CodecError(ValueError):
    """A value that cannot cross a step boundary; the message names where (``$.field[0]``) and why."""


def _uses_pydantic(tp: Any) -> bool:
    import typing

    if isinstance(tp, type):
        return any(b.__name__ == "BaseModel" and (b.__module__ or "").startswith("pydantic") for b in tp.__mro__)
    return any(_uses_pydantic(a) for a in typing.get_args(tp))


_decoders: dict[Any, Decoder] = {}


def decoder(annotation: Any) -> Decoder:
    """A function decoding JSON text into ``annotation`` (strict: ``"12"`` is not an int)."""
    try:
        hit = _decoders.get(annotation)
    except TypeError:  # unhashable annotation
        hit = None
    if hit is not None:
        return hit
    if annotation in _SCALARS:
        fn0 = _scalar_decoder(annotation)
        _decoders[annotation] = fn0
        return fn0
    if _uses_pydantic(annotation):
        from pydantic import TypeAdapter

        adapter = TypeAdapter(annotation)

        def via_pydantic(text: str) -> Any:
            from pydantic import ValidationError

            try:
                return adapter.validate_json(text)
            except ValidationError as exc:
                raise CodecError(str(exc).splitlines()[0] if str(exc) else repr(exc)) from None

        fn: Decoder = via_pydantic
    else:
        import msgspec

        dec = msgspec.json.Decoder(annotation)

        def via_msgspec(text: str) -> Any:
            try:
                return dec.decode(text)
            except msgspec.DecodeError as exc:  # ValidationError is a DecodeError
                raise CodecError(str(exc)) from None

        fn = via_msgspec
    if _hashable(annotation):
        _decoders[annotation] = fn
    return fn


def _hashable(x: Any) -> bool:
    try:
        hash(x)
    except TypeError:
        return False
    return True


_SCALARS = (str, int, float, bool, type(None))


def _scalar_decoder(tp: Any) -> Decoder:
    """JSON scalars without msgspec (and, for the common forms, without the `json` module and its `re`)."""
    name = "null" if tp is type(None) else tp.__name__

    def decode_scalar(text: str) -> Any:
        v = _quick_scalar(text)
        if v is _SLOW:
            import json

            try:
                v = json.loads(text)
            except ValueError:
                raise CodecError(f"Expected `{name}`, got invalid JSON") from None
        if tp is float and type(v) in (int, float):
            return float(v)
        if type(v) is not tp:
            got = "null" if v is None else type(v).__name__
            raise CodecError(f"Expected `{name}`, got `{got}`")
        return v

    return decode_scalar


_SLOW = object()
_PLAIN_CHARS = frozenset(chr(c) for c in range(0x20, 0x7F)) - {'"', "\\"}


def _quick_scalar(text: str) -> Any:
    """Strict JSON for the common scalar forms; ``_SLOW`` when the text needs the real parser."""
    if text in ("true", "false", "null"):
        return {"true": True, "false": False, "null": None}[text]
    digits = text[1:] if text[:1] == "-" else text
    if digits.isascii() and digits.isdigit() and (digits == "0" or digits[0] != "0"):
        return int(text)
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"' and _PLAIN_CHARS.issuperset(text[1:-1]):
        return text[1:-1]
    return _SLOW


def decode(text: str, annotation: Any) -> Any:
    """Typed decode; only when that fails and the type is exactly ``str`` is the raw text the value
    (values typed by hand, e.g. ``argo submit -p name=hello``)."""
    try:
        return decoder(annotation)(text)
    except CodecError:
        if annotation is str:
            return text
        raise


def _enc_hook(obj: Any) -> Any:
    dump = getattr(obj, "model_dump", None)
    if dump is not None:  # pydantic
        return dump(mode="json", by_alias=True)
    raise NotImplementedError(f"{type(obj).__qualname__} is not a JSON boundary type")


def to_builtins(value: Any) -> Any:
    """``value`` as plain JSON data, checked: ints within ±(2**53-1), no NaN or Infinity."""
    import datetime

    import msgspec

    try:
        # datetimes and times stay objects here so _check can refuse an offset JSON cannot carry
        data = msgspec.to_builtins(value, enc_hook=_enc_hook, order="deterministic",
                                   builtin_types=(datetime.datetime, datetime.time))
    except (msgspec.EncodeError, NotImplementedError, TypeError) as exc:
        raise CodecError(str(exc)) from None
    return _check(data, "$")


def _check(data: Any, path: str) -> Any:
    """``data`` checked (and its datetimes/times turned into text); CodecError names where and why."""
    if isinstance(data, bool) or data is None:
        return data
    if isinstance(data, str):
        if not data.isascii():
            _check_text(data, path)
        return data
    if isinstance(data, int):
        if abs(data) > MAX_SAFE_INT:
            raise CodecError(f"{data} at `{path}` is outside ±(2**53-1): Argo's expressions read numbers as "
                             "float64 and would change it; use str for big integers")
        return data
    if isinstance(data, float):
        if not math.isfinite(data):
            raise CodecError(f"{data} at `{path}` is not a finite number; JSON has no NaN or Infinity")
        return data
    if isinstance(data, (list, tuple)):  # msgspec keeps tuples (NamedTuples, tuple fields) as tuples
        items = [_check(v, f"{path}[{i}]") for i, v in enumerate(data)]
        return items if isinstance(data, list) else tuple(items)
    if isinstance(data, dict):
        for k, v in data.items():
            if isinstance(k, str) and not k.isascii():
                _check_text(k, f"{path} (a key)")
            data[k] = _check(v, f"{path}.{k}")
        return data
    if hasattr(data, "utcoffset"):  # a datetime or time, left as an object by to_builtins
        return _time_text(data, path)
    return data


def _check_text(text: str, path: str) -> None:
    for ch in text:
        if "\ud800" <= ch <= "\udfff":
            raise CodecError(f"the string at `{path}` contains the lone surrogate \\u{ord(ch):04x}, which is "
                             "not Unicode text and cannot be written as UTF-8; return valid text (or bytes in "
                             "an Artifact)")


def _time_text(value: Any, path: str) -> Any:
    """A datetime or time as msgspec writes it (RFC 3339), unless its UTC offset has seconds: RFC 3339
    offsets are whole minutes, and msgspec would silently drop the seconds (shifting the instant)."""
    import msgspec

    offset = value.utcoffset()
    if offset is not None and (offset.seconds % 60 or offset.microseconds):
        raise CodecError(f"the {type(value).__name__} at `{path}` has the UTC offset {offset}, which is not a "
                         "whole number of minutes; JSON (RFC 3339) cannot carry it: convert it with "
                         ".astimezone(datetime.timezone.utc) first")
    return msgspec.to_builtins(value)


def argo_safe_json(text: str) -> str:
    """``text`` (JSON) with ``$`` written ``\\u0024``, ``{{`` written ``{\\u007b`` and DEL written ``\\u007f``.

    Argo substitutes ``{{...}}`` a second time over the pod spec after inserting parameter values, and the
    kubelet expands ``$(VAR)`` and ``$$`` in args and env (DESIGN §5.1.7); Argo also inserts a value with Go's
    ``strconv.Quote``, which writes DEL as ``\\x7f``, an escape the pod spec's JSON cannot hold. All three can
    only stand inside a JSON string (none is JSON syntax, and ``{`` is never part of an escape), so the result
    is valid JSON that decodes to the same value and reaches the pod byte-exact.
    """
    if "$" in text:
        text = text.replace("$", "\\u0024")
    if "{{" in text:
        text = text.replace("{{", "{\\u007b")
    if "\x7f" in text:
        text = text.replace("\x7f", "\\u007f")
    return text


def encode(value: Any) -> str:
    """The JSON text of ``value`` (compact, dict keys and sets in a stable order; UTF-8 kept), safe from
    Argo's second substitution and the kubelet (:func:`argo_safe_json`)."""
    t = type(value)
    if t in _SCALARS:
        _check(value, "$")
        if t is bool:
            return "true" if value else "false"
        if value is None:
            return "null"
        if t is int:
            return str(value)
        if t is str and _PLAIN_CHARS.issuperset(value):
            return argo_safe_json(f'"{value}"')
        import json

        return argo_safe_json(json.dumps(value, ensure_ascii=False))
    import msgspec

    return argo_safe_json(msgspec.json.encode(to_builtins(value)).decode("utf-8"))


def check_result(text: str, annotation: Any) -> None:
    """The encoded result of a step must decode strictly as its declared return type (a container
    declared ``-> int`` that returns ``"x"`` must not pass): CodecError otherwise."""
    decoder(annotation)(text)


def type_name(annotation: Any) -> str:
    """An annotation as users write it: ``int``, ``Optional[str]``, ``list[Point]``."""
    if isinstance(annotation, type) and type(annotation).__name__ != "GenericAlias":
        return annotation.__qualname__
    return repr(annotation).replace("typing.", "")


def parse_cli_value(text: str, annotation: Any) -> Any:
    """``-a name=value``: for a ``str`` parameter the raw text unless it is a JSON string literal;
    otherwise JSON decoded against the parameter's type."""
    if annotation is str:
        if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
            try:
                return decoder(str)(text)
            except CodecError:
                return text
        return text
    return decoder(annotation)(text)
