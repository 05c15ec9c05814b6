"""``@workflow``, ``@container``, ``@fragment`` and the ``Template`` objects they make.

In a pod (``ATHENA_RUNTIME=1``) the decorators only record the function and its options: no source is
read, no AST is built, no annotation is evaluated. Outside pods, a workflow's body grammar is checked
when the decorator runs, and its types when it is first compiled.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Generic, Literal, ParamSpec, TypeVar, overload

from athena.runtime.protocol import ENV_RUNTIME

if TYPE_CHECKING:
    from athena.compile.options import TemplateOptions, Validated
    from athena.errors import CompileError
    from athena.option_types import (
        TTL,
        Cache,
        ConfigMapEnv,
        ConfigMapValue,
        Metric,
        Resources,
        Retry,
        SecretEnv,
        SecretFile,
        SecretValue,
        SemaphoreRef,
        Sidecar,
        Toleration,
        Volume,
    )
    from athena.outcome import Outcome

P = ParamSpec("P")
R = TypeVar("R")
Hook = Callable[[], object]
ContinueOn = Sequence[Literal["failed", "error"]]

_RUNTIME = os.environ.get(ENV_RUNTIME) == "1"

# While an app is loaded (athena.app), decoration errors are collected here instead of raised, so a module with
# eight mistakes is reported in one run, not eight. A plain `import` (tests, a REPL) still raises at once.
_DEFERRED: ContextVar[list[CompileError] | None] = ContextVar("athena_deferred_errors", default=None)
# While a compile applies values files: template -> (effective keywords, validated options), or None when no
# values file touches it (see athena.compile.values and `applying`).
Override = Callable[["Template[Any, Any]"], "tuple[Mapping[str, Any], Validated] | None"]
_OVERRIDE: ContextVar[Override | None] = ContextVar("athena_option_override", default=None)


def _override(t: Template[Any, Any]) -> tuple[Mapping[str, Any], Validated] | None:
    resolve = _OVERRIDE.get()
    return None if resolve is None else resolve(t)


@contextlib.contextmanager
def applying(resolve: Override) -> Iterator[None]:
    """Within the block, every template's options are ``resolve(template)`` where that is not None."""
    token = _OVERRIDE.set(resolve)
    try:
        yield
    finally:
        _OVERRIDE.reset(token)


@contextlib.contextmanager
def defer_errors() -> Iterator[list[CompileError]]:
    """Collect the decoration errors raised inside the block (the templates keep theirs as ``deferred_error``)."""
    sink: list[CompileError] = []
    token = _DEFERRED.set(sink)
    try:
        yield sink
    finally:
        _DEFERRED.reset(token)


class Template(Generic[P, R]):
    """A decorated ``@container`` or ``@workflow`` function.

    Calling a container runs its body (plain unit testing). Calling a workflow runs it in-process.
    """

    kind: Literal["container", "workflow", "external"]

    def __init__(self, fn: Callable[P, R], kind: Literal["container", "workflow"], raw: Mapping[str, Any]) -> None:
        self.fn = fn
        self.kind = kind
        self.decorator_options = dict(raw)  # the keywords as written (values files may override: options_)
        self.__wrapped__ = fn
        self.__name__ = fn.__name__
        self.__qualname__ = fn.__qualname__
        self.__module__ = fn.__module__
        self.__doc__ = fn.__doc__
        self._validated: Validated | None = None
        self.body: Any = None  # the checked AST of a workflow body (compiler side)
        self.deferred_error: CompileError | None = None  # a decoration error kept while an app loads
        if not _RUNTIME:
            self._check_at_decoration()

    @property
    def entry(self) -> str:
        """``module:qualname``: how the pod imports this function."""
        return f"{self.fn.__module__}:{self.fn.__qualname__}"

    @property
    def raw_options(self) -> Mapping[str, Any]:
        """The keywords in effect: the decorator's, with values files applied while they are (see ``applying``)."""
        override = _override(self)
        return self.decorator_options if override is None else override[0]

    @property
    def options_(self) -> TemplateOptions:
        """The validated options (plain data; a template named by an option is in ``references``)."""
        return self._validate().options

    @property
    def references(self) -> Mapping[str, Template[Any, Any]]:
        """The templates options name, by option name (``on_exit_if_root``), for the compiler to resolve."""
        refs: Mapping[str, Template[Any, Any]] = self._validate().references
        return refs

    def decorator_validated(self) -> Validated:
        """The decorator's own options, validated (values files not applied)."""
        if self._validated is None:
            from athena.compile.options import validate_options

            self._validated = validate_options(self.kind, self.decorator_options, self.fn)
        return self._validated

    def _validate(self) -> Validated:
        override = _override(self)
        return self.decorator_validated() if override is None else override[1]

    def _check_at_decoration(self) -> None:
        from athena.compile.lower.grammar import check_decorated
        from athena.errors import CompileError

        self._validated = None
        try:
            check_decorated(self)
            _ = self.options_
        except CompileError as exc:
            sink = _DEFERRED.get()
            if sink is None:
                raise
            # Loading an app: keep going, so one run reports every template's mistakes (see defer_errors).
            self.deferred_error = exc
            sink.append(exc)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        if self.kind == "container":
            from athena.runtime.settings import STEP

            token = STEP.set(self.fn.__name__)  # a direct call is a step too: athena.settings() reads os.environ
            try:
                return self.fn(*args, **kwargs)
            finally:
                STEP.reset(token)
        from athena.local.inprocess import run

        result: R = run(self, args, kwargs)
        return result

    @overload
    def options(
        self,
        *,
        continue_on: None = None,
        on_exit: Hook | None = None,
        on_success: Hook | Sequence[Hook] | None = None,
        on_failure: Hook | Sequence[Hook] | None = None,
        on_error: Hook | Sequence[Hook] | None = None,
        hooks: Mapping[str, Hook] | None = None,
        after: Sequence[object] | None = None,
        after_any: Sequence[object] | None = None,
    ) -> Callable[P, R]: ...

    @overload
    def options(
        self,
        *,
        continue_on: ContinueOn,
        on_exit: Hook | None = None,
        on_success: Hook | Sequence[Hook] | None = None,
        on_failure: Hook | Sequence[Hook] | None = None,
        on_error: Hook | Sequence[Hook] | None = None,
        hooks: Mapping[str, Hook] | None = None,
        after: Sequence[object] | None = None,
        after_any: Sequence[object] | None = None,
    ) -> Callable[P, Outcome[R]]: ...

    def options(
        self,
        *,
        continue_on: ContinueOn | None = None,
        on_exit: Hook | None = None,
        on_success: Hook | Sequence[Hook] | None = None,
        on_failure: Hook | Sequence[Hook] | None = None,
        on_error: Hook | Sequence[Hook] | None = None,
        hooks: Mapping[str, Hook] | None = None,
        after: Sequence[object] | None = None,
        after_any: Sequence[object] | None = None,
    ) -> Callable[P, R] | Callable[P, Outcome[R]]:
        """Per-task options. Read by the compiler from the workflow body; a direct call just runs the body."""
        return self

    def __repr__(self) -> str:
        return f"<athena {self.kind} {self.entry}>"


class Fragment(Generic[P, R]):
    """A ``@fragment``: a plain helper for containers that carries their pod-resource declarations."""

    def __init__(self, fn: Callable[P, R]) -> None:
        self.fn = fn
        self.__wrapped__ = fn
        self.__name__ = fn.__name__
        self.__qualname__ = fn.__qualname__
        self.__module__ = fn.__module__
        self.__doc__ = fn.__doc__

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return self.fn(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<athena fragment {self.fn.__module__}:{self.fn.__qualname__}>"


def _split(fn: Any, opts: dict[str, Any], kind: Literal["container", "workflow"]) -> Any:
    if fn is not None:
        return Template(fn, kind, opts)

    def wrap(f: Any) -> Any:
        return Template(f, kind, opts)

    return wrap


@overload
def container(fn: Callable[P, R], /) -> Template[P, R]: ...


# The keywords of the two options overloads below are the rows of `compile.options.OPTIONS` allowed for
# that kind, typed with the row's `kinds`; tests/compile/test_option_table.py keeps them equal.
@overload
def container(
    *,
    name: str | None = None,
    image: str | None = None,
    service_account: str | None = None,
    image_pull_secrets: Sequence[str] | None = None,
    node_selector: Mapping[str, str] | None = None,
    retry: Retry | None = None,
    timeout: int | str | None = None,
    pod_running_timeout: int | str | None = None,
    annotations: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
    on_exit_if_root: Template[[], Any] | None = None,
    ttl_if_root: TTL | None = None,
    pod_gc_if_root: str | None = None,
    active_deadline_if_root: int | str | None = None,
    tmp_volume: bool | None = None,
    volumes: Sequence[Volume] | None = None,
    mutex: str | None = None,
    semaphore: SemaphoreRef | None = None,
    cache: Cache | None = None,
    resources: Resources | None = None,
    env: Mapping[str, str | SecretValue | ConfigMapValue] | None = None,
    env_from: Sequence[SecretEnv | ConfigMapEnv] | None = None,
    secret_files: Sequence[SecretFile] | None = None,
    image_pull_policy: str | None = None,
    priority_class: str | None = None,
    pod_spec_patch: Mapping[str, Any] | str | None = None,
    tolerations: Sequence[Toleration] | None = None,
    affinity: Mapping[str, Any] | None = None,
    security_context: Mapping[str, Any] | None = None,
    pod_security_context: Mapping[str, Any] | None = None,
    # run_as_user= (issue 9): a UID, or None written explicitly for the image's own user; omitted: the default
    run_as_user: int | None = None,
    metrics: Sequence[Metric] | None = None,
    # sidecars= (issue 13)
    sidecars: Sequence[Sidecar] | None = None,
) -> Callable[[Callable[P, R]], Template[P, R]]: ...


def container(fn: Any = None, /, **opts: Any) -> Any:
    """Mark a function as one Argo container template. Its body runs in a pod."""
    return _split(fn, opts, "container")


@overload
def workflow(fn: Callable[P, R], /) -> Template[P, R]: ...


@overload
def workflow(
    *,
    name: str | None = None,
    steps: bool | None = None,
    parallelism: int | None = None,
    parallelism_if_root: int | None = None,
    node_selector: Mapping[str, str] | None = None,
    retry: Retry | None = None,
    annotations: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
    on_exit_if_root: Template[[], Any] | None = None,
    ttl_if_root: TTL | None = None,
    pod_gc_if_root: str | None = None,
    active_deadline_if_root: int | str | None = None,
    mutex: str | None = None,
    semaphore: SemaphoreRef | None = None,
    schedule: str | Sequence[str] | None = None,
    timezone: str | None = None,
    concurrency_policy: str | None = None,
    starting_deadline: int | str | None = None,
    suspend: bool | None = None,
    successful_jobs_history_limit: int | None = None,
    failed_jobs_history_limit: int | None = None,
    cron_arguments: Mapping[str, Any] | None = None,
    tolerations: Sequence[Toleration] | None = None,
    affinity: Mapping[str, Any] | None = None,
    metrics: Sequence[Metric] | None = None,
) -> Callable[[Callable[P, R]], Template[P, R]]: ...


def workflow(fn: Any = None, /, **opts: Any) -> Any:
    """Mark a function as an Argo DAG. Its body is read, never executed."""
    return _split(fn, opts, "workflow")


@overload
def fragment(fn: Callable[P, R], /) -> Fragment[P, R]: ...


@overload
def fragment() -> Callable[[Callable[P, R]], Fragment[P, R]]: ...


def fragment(fn: Any = None, /) -> Any:
    """Mark a helper called from containers; its resource declarations reach every caller."""
    if fn is None:
        return Fragment
    return Fragment(fn)


# --- external templates (issue 13): a typed stub for a template that lives outside Python


class External(Template[P, R]):
    """A WorkflowTemplate / ClusterWorkflowTemplate template declared by a typed stub (``@athena.external``).

    Calls in a workflow body are checked against the stub and emitted as ``templateRef``; it is never emitted
    itself. Called in-process (a direct call, or a workflow run in-process) it runs the implementation given
    to :meth:`local`, and raises without one: athena cannot run a template it has not got.
    """

    def __init__(self, fn: Callable[P, R], template_ref: str, template: str, cluster_scope: bool) -> None:
        self.fn = fn
        self.kind = "external"
        self.decorator_options = {}
        self.__wrapped__ = fn
        self.__name__ = fn.__name__
        self.__qualname__ = fn.__qualname__
        self.__module__ = fn.__module__
        self.__doc__ = fn.__doc__
        self._validated = None
        self.body = None
        self.deferred_error = None
        self.template_ref = template_ref
        self.template = template
        self.cluster_scope = cluster_scope
        self.implementation: Callable[P, R] | None = None
        if not _RUNTIME:
            self._check_stub()

    def _check_stub(self) -> None:
        from athena.compile.lower.external import check_stub
        from athena.errors import CompileError

        try:
            check_stub(self)
        except CompileError as exc:
            sink = _DEFERRED.get()
            if sink is None:
                raise
            self.deferred_error = exc
            sink.append(exc)

    def local(self, implementation: Callable[P, R] | None) -> Callable[P, R] | None:
        """Register the function in-process runs stand in for this template with (None removes it); returns
        it, so it also works as a decorator. Process-wide: tests should remove it when done."""
        self.implementation = implementation
        return implementation

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        if self.implementation is None:
            from athena.errors import AthenaError

            raise AthenaError(
                f"`{self.fn.__qualname__}` is the external template {self.template_ref}/{self.template}, which "
                f"runs only in Argo; to run it in-process, register a stand-in: `{self.fn.__name__}.local(fn)`")
        return self.implementation(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<athena external {self.template_ref}/{self.template} ({self.entry})>"


def external(*, template_ref: str, template: str, cluster_scope: bool = False
             ) -> Callable[[Callable[P, R]], External[P, R]]:
    """Declare a template of an existing WorkflowTemplate (``cluster_scope=True``: ClusterWorkflowTemplate) by a
    typed stub whose body is ``...``. Its parameters arrive as athena's JSON texts; it returns by an output
    parameter named ``return`` holding JSON (or the stub returns None)."""

    def wrap(fn: Callable[P, R]) -> External[P, R]:
        return External(fn, template_ref, template, cluster_scope)

    return wrap
