"""The decorators as a pod sees them (``ATHENA_RUNTIME=1``): record the function, nothing else.

Kept free of ``typing`` so a pod's start pays only for what the user's own module imports. Options are
recorded unchecked, so every option of ``compile.options.OPTIONS`` is accepted (a test pins it).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class Template:
    __slots__ = ("__dict__", "fn", "kind", "raw_options")

    def __init__(self, fn: Any, kind: str, raw: dict[str, Any]) -> None:
        self.fn = fn
        self.kind = kind
        self.raw_options = raw
        self.__wrapped__ = fn
        self.__name__ = fn.__name__
        self.__qualname__ = fn.__qualname__
        self.__module__ = fn.__module__
        self.__doc__ = fn.__doc__

    @property
    def entry(self) -> str:
        return f"{self.fn.__module__}:{self.fn.__qualname__}"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.fn(*args, **kwargs)

    def options(self, **_: Any) -> Template:
        return self


class Fragment:
    __slots__ = ("__dict__", "fn")

    def __init__(self, fn: Any) -> None:
        self.fn = fn
        self.__wrapped__ = fn

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.fn(*args, **kwargs)


def _split(fn: Any, opts: dict[str, Any], kind: str) -> Any:
    if fn is not None:
        return Template(fn, kind, opts)
    return lambda f: Template(f, kind, opts)


def container(fn: Any = None, /, **opts: Any) -> Any:
    return _split(fn, opts, "container")


def workflow(fn: Any = None, /, **opts: Any) -> Any:
    return _split(fn, opts, "workflow")


def fragment(fn: Any = None, /) -> Any:
    return Fragment if fn is None else Fragment(fn)


# --- external templates (issue 13): in a pod a stub only records itself (a step never calls one)


class External(Template):
    __slots__ = ("cluster_scope", "implementation", "template", "template_ref")
    template_ref: str
    template: str
    cluster_scope: bool
    implementation: Any

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.implementation is None:
            raise RuntimeError(f"{self.fn.__qualname__} is an external Argo template; a step cannot call it")
        return self.implementation(*args, **kwargs)

    def local(self, implementation: Any) -> Any:
        self.implementation = implementation
        return implementation


def external(*, template_ref: str, template: str, cluster_scope: bool = False) -> Any:
    def wrap(fn: Any) -> External:
        e = External(fn, "external", {})
        e.template_ref, e.template, e.cluster_scope, e.implementation = template_ref, template, cluster_scope, None
        return e

    return wrap
