"""Typed settings a container step reads from environment variables (``athena.Settings``, ``athena.settings``).

    class DB(athena.Settings):
        host: str = "localhost"
        port: int = 5432
        password: athena.Secret[str]

    @container
    def train() -> None:
        db = athena.settings(DB)        # TRAIN__HOST, TRAIN__PORT, TRAIN__PASSWORD

A field ``f`` of the class passed to ``athena.settings`` inside the container function ``train`` is read from
``TRAIN__F`` (upper case); a field whose type is itself a ``Settings`` class is a group whose fields are read
from ``TRAIN__F__<FIELD>``. A ``str`` field takes the variable's text as it is; every other type takes JSON text
decoded by the runtime's codec (``TRAIN__PORT=5433``, ``TRAIN__TAGS=["a","b"]``), so a value means here what it
means as a parameter.

Pod-safe (stdlib + msgspec through the codec) and imported only by a pod whose code uses settings: the runtime
itself never imports this module (``tests/runtime`` pins it).
"""

from __future__ import annotations

import os
import typing
from contextvars import ContextVar

from athena.errors import AthenaError
from athena.runtime import codec, protocol

if typing.TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

__all__ = ["Secret", "Settings", "SettingsError", "Variable", "settings", "to_env", "variables"]

SEP = "__"  # between the step's name, group names and the field name


class _SecretMarker:
    """The metadata ``Secret[T]`` carries in ``Annotated``: what ``--gen-env`` and messages must not print."""

    def __repr__(self) -> str:
        return "athena.secret"


SECRET = _SecretMarker()
_T = typing.TypeVar("_T")

if typing.TYPE_CHECKING:
    #: ``password: athena.Secret[str]``: the value is a plain ``str`` (type checkers see ``str``); athena never
    #: prints it: not in ``inspect --gen-env`` (not even its default), not in an error, not in the repr.
    Secret = typing.Annotated[_T, SECRET]
else:

    class Secret:
        """``Secret[T]`` is ``Annotated[T, athena.secret]``: a ``T`` that athena never prints. A class (not the bare
        alias) so that ``athena.Secret`` has a name of its own."""

        __slots__ = ()

        def __class_getitem__(cls, tp: Any) -> Any:
            return typing.Annotated[tp, SECRET]


# dataclass_transform tells type checkers that subclasses get a keyword-only, frozen __init__ from their fields;
# at run time __init_subclass__ below makes each subclass exactly that dataclass.
@typing.dataclass_transform(kw_only_default=True, frozen_default=True)
class Settings:
    """Base class of a group of settings: typed fields with optional defaults, read from the environment by
    :func:`settings` inside a container. Instances are frozen dataclasses; their repr hides secret fields."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        import dataclasses
        import inspect

        # `tags: list[str] = ["a"]` reads naturally; dataclasses refuse a mutable default, so each instance
        # gets its own copy through a factory instead.
        for name in inspect.get_annotations(cls):
            value = cls.__dict__.get(name)
            if value is not None and not isinstance(value, dataclasses.Field) and type(value).__hash__ is None:
                setattr(cls, name, dataclasses.field(default_factory=_copier(value)))
        dataclasses.dataclass(frozen=True, kw_only=True, repr=False)(cls)

    def __repr__(self) -> str:
        shown = []
        for v in variables(type(self), "", nested=False):
            value = getattr(self, v.field)
            shown.append(f"{v.field}={'***' if v.secret else repr(value)}")
        return f"{type(self).__qualname__}({', '.join(shown)})"


def _copier(value: Any) -> Callable[[], Any]:
    def copy_default() -> Any:
        import copy

        return copy.deepcopy(value)

    return copy_default


class SettingsError(AthenaError):
    """Settings that cannot be loaded: the message names every variable that is missing or malformed."""


_MISSING: Any = object()


class Variable:
    """One environment variable a settings class reads under a step's prefix."""

    __slots__ = ("default", "field", "name", "owner", "path", "secret", "type")

    def __init__(self, name: str, path: tuple[str, ...], owner: type, tp: Any, default: Any, secret: bool) -> None:
        self.name = name  # TRAIN__DB__HOST
        self.path = path  # ("db", "host"): attribute path from the class given to athena.settings
        self.field = path[-1]
        self.owner = owner  # the class that declares the field
        self.type = tp  # the field's type, without the Secret marker
        self.default = default  # the field's default, or MISSING
        self.secret = secret

    @property
    def required(self) -> bool:
        return self.default is _MISSING

    @property
    def where(self) -> str:
        """``DB.host`` (a nested field: ``Train.db.host``): the field as the user's code names it."""
        return f"{self.owner.__qualname__}.{self.field}"

    @property
    def type_name(self) -> str:
        return codec.type_name(self.type)

    def default_text(self) -> str | None:
        """The default as the variable's text (what setting the variable to it means), None when required."""
        return None if self.required else encode_value(self.default, self.type)

    def decode(self, text: str) -> Any:
        """The value of the variable's ``text``: as it is for a ``str`` field, JSON for any other type."""
        if self.type is str:
            return text
        return codec.decoder(self.type)(text)


def is_settings_class(obj: Any) -> bool:
    return isinstance(obj, type) and issubclass(obj, Settings) and obj is not Settings


def _split_secret(tp: Any) -> tuple[Any, bool]:
    if typing.get_origin(tp) is typing.Annotated:
        meta = getattr(tp, "__metadata__", ())
        return tp.__origin__, any(m is SECRET for m in meta)
    return tp, False


def variables(cls: type, step: str, *, nested: bool = True) -> list[Variable]:
    """Every variable ``cls`` reads inside the step (function) named ``step``, in field order; a group field
    contributes its own fields (unless ``nested`` is False). Raises NameError/TypeError for bad annotations."""
    import dataclasses

    prefix = step.upper()
    hints = typing.get_type_hints(cls, include_extras=True)
    out: list[Variable] = []

    def walk(c: type, hints: dict[str, Any], names: tuple[str, ...], path: tuple[str, ...]) -> None:
        for f in dataclasses.fields(c):
            tp, secret = _split_secret(hints[f.name])
            if nested and is_settings_class(tp):
                walk(tp, typing.get_type_hints(tp, include_extras=True), (*names, f.name.upper()), (*path, f.name))
                continue
            if f.default is not dataclasses.MISSING:
                default = f.default
            elif f.default_factory is not dataclasses.MISSING:
                default = f.default_factory()
            else:
                default = _MISSING
            name = SEP.join((*names, f.name.upper()))
            out.append(Variable(name, (*path, f.name), c, tp, default, secret))

    walk(cls, hints, (prefix,) if prefix else (), ())
    return out


def encode_value(value: Any, tp: Any) -> str:
    """The variable text that decodes to ``value`` (the inverse of :meth:`Variable.decode`)."""
    if tp is str and isinstance(value, str):
        return value
    return codec.encode(value)


def to_env(obj: Settings, step: str) -> dict[str, str]:
    """The environment that makes ``athena.settings(type(obj))`` inside step ``step`` return ``obj``."""
    out: dict[str, str] = {}
    for v in variables(type(obj), step):
        value: Any = obj
        for part in v.path:
            value = getattr(value, part)
        out[v.name] = encode_value(value, v.type)
    return out


def problems(cls: type, step: str, environ: Mapping[str, str]) -> list[str]:
    """What keeps ``cls`` from loading in step ``step`` from ``environ``, one line per variable (empty: it loads).

    A secret's value is never part of a message."""
    lines: list[str] = []
    for v in variables(cls, step):
        text = environ.get(v.name)
        if text is None:
            if v.required:
                lines.append(f"{v.name} is not set ({v.where}: {v.type_name}, required)")
            continue
        try:
            v.decode(text)
        except codec.CodecError as exc:
            shown = "(secret value hidden)" if v.secret else repr(text if len(text) <= 80 else text[:77] + "...")
            lines.append(f"{v.name}={shown} is not a valid {v.type_name} ({v.where}): {exc}"
                         + ("" if v.type is str else "; the value is read as JSON text"))
    return lines


def load(cls: type[_S], step: str, environ: Mapping[str, str]) -> _S:
    """An instance of ``cls`` from the variables of step ``step`` in ``environ`` (SettingsError lists every
    problem at once)."""
    found = problems(cls, step, environ)
    if found:
        listing = "\n  ".join(found)
        raise SettingsError(f"step `{step}` cannot load settings {cls.__qualname__} from its environment:\n  "
                            f"{listing}\nset the variables in the step's environment (env=, env_from=, a values "
                            f"file), or give the fields defaults; `athena inspect --gen-env` lists them all")

    def build(c: type, names: tuple[str, ...]) -> Any:
        import dataclasses

        hints = typing.get_type_hints(c, include_extras=True)
        kwargs: dict[str, Any] = {}
        for f in dataclasses.fields(c):
            tp, _ = _split_secret(hints[f.name])
            if is_settings_class(tp):
                kwargs[f.name] = build(tp, (*names, f.name.upper()))
                continue
            text = environ.get(SEP.join((*names, f.name.upper())))
            if text is not None:
                kwargs[f.name] = text if tp is str else codec.decoder(tp)(text)
        return c(**kwargs)

    value: _S = build(cls, (step.upper(),))
    return value


_S = typing.TypeVar("_S", bound=Settings)

#: The step (container function name) running in this context; set by in-process runs and direct calls. In a
#: pod the step is the function ``ATHENA_ENTRY`` names.
STEP: ContextVar[str | None] = ContextVar("athena_settings_step", default=None)


def current_step() -> str | None:
    step = STEP.get()
    if step is not None:
        return step
    if os.environ.get(protocol.ENV_RUNTIME) == "1":
        entry = os.environ.get(protocol.ENV_ENTRY) or ""
        return entry.rpartition(":")[2].rpartition(".")[2] or None
    return None


def settings(cls: type[_S]) -> _S:
    """The settings ``cls`` of the running container step, read from ``<FUNCTION>__<FIELD>`` variables.

    Call it inside a ``@container`` body (or a ``@fragment`` it calls) with the class itself, so the compiler
    knows which variables the step reads (``athena inspect --gen-env``)."""
    if not is_settings_class(cls):
        raise AthenaError(f"athena.settings() takes a subclass of athena.Settings, got {cls!r}")
    step = current_step()
    if step is None:
        raise AthenaError("athena.settings() works only inside a running container step (a pod, athena container "
                          "emulate, a @workflow run in-process, or a direct call of the @container); the step's "
                          "function name is the prefix of its variables")
    return load(cls, step, os.environ)
