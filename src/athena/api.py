"""The library API behind the CLI: load an app, compile it, emit it. Never prints, never exits."""

from __future__ import annotations

import collections
import dataclasses
import hashlib
import importlib
import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from athena import codes
from athena.config import Config, load_config
from athena.decorators import Template
from athena.errors import CompileError, Diagnostic, UsageError
from athena.lower.signature import signature
from athena.lower.source import def_span, function_node
from athena.model import Container, Program, TemplateIR, Workflow

MAX_DAG_TASKS = 200
MAX_INPUT_PARAMS = 500
MAX_DEPTH = 100


@dataclass
class App:
    """What an APP argument names: its modules and the root templates defined in them."""

    modules: list[ModuleType]
    roots: list[Template[Any, Any]]


def import_module(spec: str, root: Path | None = None) -> ModuleType:
    """Import a module by dotted name or by file path."""
    path = Path(spec)
    if spec.endswith(".py") or path.is_file():
        path = path.resolve()
        if not path.is_file():
            raise UsageError(f"app file {spec} does not exist")
        parent = str(path.parent)
        if parent not in sys.path:
            sys.path.insert(0, parent)
        name = path.stem
        existing = sys.modules.get(name)
        if existing is not None and getattr(existing, "__file__", None) and \
                Path(existing.__file__ or "").resolve() == path:
            return existing
        mspec = importlib.util.spec_from_file_location(name, path)
        if mspec is None or mspec.loader is None:
            raise UsageError(f"cannot import {spec}")
        module = importlib.util.module_from_spec(mspec)
        sys.modules[name] = module
        try:
            mspec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop(name, None)
            raise
        return module
    if root is not None:
        # The project's own directory, and its src/ layout, are importable without installing it.
        for entry in (root / "src", root):
            if entry.is_dir() and str(entry) not in sys.path:
                sys.path.insert(0, str(entry))
    if "" not in sys.path and str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    try:
        return importlib.import_module(spec)
    except ModuleNotFoundError as exc:
        if exc.name and spec.startswith(exc.name):
            raise UsageError(f"cannot find app module `{spec}` (is it installed, or run from its directory?)") \
                from None
        raise


def templates_in(module: ModuleType) -> list[Template[Any, Any]]:
    return [v for v in vars(module).values()
            if isinstance(v, Template) and v.fn.__module__ == module.__name__]


def load_app(app: str | list[str] | None, config: Config) -> App:
    specs: list[str]
    if app is None:
        specs = list(config.project.app)
        if not specs:
            raise UsageError("no APP given and no [project].app in the configuration; "
                             "pass a module or file, e.g. `athena emit flows/pipeline.py`")
    else:
        specs = [app] if isinstance(app, str) else list(app)
    modules: list[ModuleType] = []
    roots: list[Template[Any, Any]] = []
    for spec in specs:
        pick: str | None = None
        base = spec
        if ":" in spec and not (len(spec) > 1 and spec[1] == ":"):
            base, pick = spec.rsplit(":", 1)
        module = import_module(base, config.root)
        modules.append(module)
        found = templates_in(module)
        if pick is not None:
            chosen = [t for t in found if t.fn.__name__ == pick or _safe_name(t) == pick]
            if not chosen:
                known = ", ".join(t.fn.__name__ for t in found) or "none"
                raise UsageError(f"`{pick}` is not a template in {base} (templates: {known})")
            found = chosen
        roots.extend(t for t in found if t not in roots)
    return App(modules, roots)


def _safe_name(t: Template[Any, Any]) -> str:
    try:
        return Namer(None).name(t)
    except Exception:  # a name error is reported by compile, not by lookup
        return ""


class Namer:
    """Template names: ``<prefix>-<function>`` unless ``name=`` overrides (DESIGN §2)."""

    def __init__(self, config: Config | None) -> None:
        self.config = config
        self._dists: dict[str, list[str]] | None = None
        self._cache: dict[int, str] = {}

    def prefix(self, t: Template[Any, Any]) -> str:
        top = t.fn.__module__.split(".")[0]
        if not _installed(t):
            # A module of the project being worked on: scanning every installed distribution (slow) cannot
            # name it; an editable install is found through [project].name / pyproject's PEP 621 name instead.
            if self.config is not None and self.config.project.name:
                return self.config.project.name
            return top
        if self._dists is None:
            import importlib.metadata

            self._dists = dict(importlib.metadata.packages_distributions())
        dists = self._dists.get(top)
        if dists:
            return dists[0]
        if self.config is not None and self.config.project.name:
            return self.config.project.name
        return top

    def name(self, t: Template[Any, Any]) -> str:
        from athena.argo import names

        hit = self._cache.get(id(t))
        if hit is not None:
            return hit
        override = t.options_.name
        n = override if override else names.template_name(self.prefix(t), t.fn.__name__)
        self._cache[id(t)] = n
        return n


def _installed(t: Template[Any, Any]) -> bool:
    module = sys.modules.get(t.fn.__module__)
    f = getattr(module, "__file__", None) or ""
    return "site-packages" in f or "dist-packages" in f


def compile_templates(roots: list[Template[Any, Any]], config: Config | None = None) -> Program:
    """Lower and type-check everything reachable from ``roots``."""
    config = config or load_config()
    namer = Namer(config)
    from athena import resources
    from athena.lower.body import Lowerer

    templates: dict[str, TemplateIR] = {}
    owners: dict[str, Template[Any, Any]] = {}
    diags: list[Diagnostic] = []
    queue = collections.deque(roots)
    seen: set[int] = set()
    while queue:
        t = queue.popleft()
        if id(t) in seen:
            continue
        seen.add(id(t))
        try:
            name = namer.name(t)
            if name in owners and owners[name] is not t:
                other = owners[name]
                diags.append(codes.diag(codes.DUPLICATE_TEMPLATE, f"`{t.entry}` and `{other.entry}` are both named "
                                        f"`{name}`", def_span(t.fn)))
                continue
            owners[name] = t
            ir: TemplateIR
            if t.kind == "container":
                sig = signature(t)
                ir = Container(name=name, entry=t.entry, function=t.fn.__qualname__, params=sig.params,
                               returns=sig.returns, options=t.options_, doc=t.fn.__doc__,
                               resources=resources.collect(t), span=def_span(t.fn))
                _check_params(ir, diags)
                _check_container_options(t, ir, config, diags)
                templates[name] = ir
            else:
                found = function_node(t.fn)
                if found is None:  # pragma: no cover - the decorator already required source
                    raise CompileError([codes.diag(codes.NO_SOURCE, f"no source for `{t.entry}`", None)])
                lowered = Lowerer(t, found[0], found[1], resolve=True, name_of=namer.name).lower()
                assert lowered.workflow is not None
                _check_target(t, config, diags)
                _check_workflow_selector(t, diags)
                for wf in [lowered.workflow, *lowered.synthetic]:
                    if wf.name in templates:
                        diags.append(codes.diag(codes.DUPLICATE_TEMPLATE, f"`{wf.name}` is generated twice "
                                                f"(from `{t.entry}`)", wf.span or def_span(t.fn)))
                    templates[wf.name] = wf
                    _check_limits(wf, diags)
                queue.extend(lowered.callees)
            hook = t.options_.on_exit_if_root
            if isinstance(hook, Template):
                required = [p.name for p in signature(hook).params if not p.has_default]
                if required:
                    from athena.lower.source import decorator_keyword_span

                    diags.append(codes.diag(codes.HOOK_ARGS, f"`on_exit_if_root` target `{hook.fn.__qualname__}` "
                                            f"needs argument(s) {', '.join(required)}",
                                            decorator_keyword_span(t.fn, "on_exit_if_root"),
                                            hint="an exit handler gets no arguments; give its parameters defaults"))
                queue.append(hook)
                ir_t = templates[name]
                templates[name] = dataclasses.replace(
                    ir_t, options=dataclasses.replace(ir_t.options, on_exit_if_root=namer.name(hook)))
        except CompileError as exc:
            diags.extend(exc.diagnostics)
    if diags:
        raise CompileError(diags)
    program = Program(templates, tuple(namer.name(r) for r in roots))
    _check_cycles(program, owners)
    return program


def _check_container_options(t: Template[Any, Any], ir: Container, config: Config,
                             diags: list[Diagnostic]) -> None:
    from athena.argo.inject import InjectionError, render
    from athena.lower.source import decorator_keyword_span

    o = ir.options
    fields = [("image", o.image), ("service_account", o.service_account)]
    fields += [("node_selector", v) for _, v in o.node_selector]
    for key, value in fields:
        if value is None:
            continue
        try:
            render(value, ir.params)
        except InjectionError as exc:
            diags.append(codes.diag(codes.BAD_INJECTION, str(exc), decorator_keyword_span(t.fn, key)))
    _check_target(t, config, diags)


def _check_workflow_selector(t: Template[Any, Any], diags: list[Diagnostic]) -> None:
    import re

    from athena.lower.source import decorator_keyword_span

    for _, value in t.options_.node_selector:
        if re.search(r"(?<!\{)\{[^{}]*\}(?!\})", value):
            diags.append(codes.diag(codes.BAD_INJECTION, f"node_selector value {value!r}: a @workflow cannot inject "
                                    "its parameters; only containers can", decorator_keyword_span(t.fn, "node_selector"),
                                    hint="move the selector to the containers, or use Argo's own `{{...}}`"))


def _check_target(t: Template[Any, Any], config: Config, diags: list[Diagnostic]) -> None:
    from athena.lower.source import decorator_keyword_span

    r = t.options_.retry
    if r is not None and r.cap_seconds is not None and config.defaults.argo_line == "3.6":
        diags.append(codes.diag(codes.TARGET_LACKS_OPTION, "Retry(cap=...) needs Argo 3.7 or later; "
                                f"[defaults].argo_version is {config.defaults.argo_version}",
                                decorator_keyword_span(t.fn, "retry")))


def _check_params(ir: TemplateIR, diags: list[Diagnostic]) -> None:
    if len(ir.params) > MAX_INPUT_PARAMS:
        diags.append(codes.diag(codes.TOO_MANY_PARAMS, f"`{ir.name}` has {len(ir.params)} parameters; Argo v4 "
                                f"accepts {MAX_INPUT_PARAMS}", ir.span))


def _check_limits(wf: Workflow, diags: list[Diagnostic]) -> None:
    _check_params(wf, diags)
    if len(wf.tasks) > MAX_DAG_TASKS:
        diags.append(codes.diag(codes.TOO_MANY_TASKS, f"`{wf.function}` has {len(wf.tasks)} tasks in one DAG; "
                                f"Argo v4 accepts {MAX_DAG_TASKS}", wf.span))


def _check_cycles(program: Program, owners: dict[str, Template[Any, Any]]) -> None:
    state: dict[str, int] = {}
    depth: dict[str, int] = {}

    def visit(n: str, stack: list[str]) -> int:
        if state.get(n) == 2:
            return depth[n]
        if state.get(n) == 1:
            first = stack.index(n)
            cycle = " → ".join([*stack[first:], n])
            owner = owners.get(stack[first])
            raise CompileError([codes.diag(codes.RECURSION, f"workflows call each other in a cycle: {cycle}",
                                           def_span(owner.fn) if owner else None)])
        state[n] = 1
        d = 0
        for c in program.callees(n):
            if c in program.templates:
                d = max(d, visit(c, [*stack, n]))
        state[n] = 2
        depth[n] = d + 1
        return d + 1

    for root in program.templates:
        if visit(root, []) > MAX_DEPTH:
            raise CompileError([codes.diag(codes.TOO_DEEP, f"`{root}` nests templates more than {MAX_DEPTH} "
                                           "levels deep", None)])


def python_mismatch(config: Config) -> str | None:
    """A warning when this interpreter is not the pod's: code may use syntax or wheels the pod lacks."""
    host = f"{sys.version_info.major}.{sys.version_info.minor}"
    if host != config.bootstrap.python:
        return (f"this Python is {host} but [bootstrap].python is {config.bootstrap.python}: the pods run "
                f"{config.bootstrap.python}, so check with that version (`athena build` will refuse the mismatch)")
    return None


def bundle_digest(app: App, config: Config) -> str:
    """A digest of the bundle's source inputs, computable without building (DESIGN §5.2)."""
    h = hashlib.sha256()
    files: set[Path] = set()
    for m in app.modules:
        f = getattr(m, "__file__", None)
        if not f:
            continue
        p = Path(f).resolve()
        if m.__name__.split(".")[0] != m.__name__ or p.name == "__init__.py":
            pkg = sys.modules.get(m.__name__.split(".")[0])
            pf = getattr(pkg, "__file__", None)
            if pf:
                files.update(Path(pf).resolve().parent.rglob("*.py"))
                continue
        files.add(p)
    for p in sorted(files):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    b = config.bootstrap
    h.update(f"{b.python}|{b.interpreter}|{','.join(b.targets)}".encode())
    h.update(_athena_identity().encode())
    # The declared dependency set (resolution per target happens at build; its inputs are these files).
    for name in ("pyproject.toml", "requirements.txt", "uv.lock", "poetry.lock"):
        f = config.root / name
        if f.is_file():
            h.update(name.encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:16]


_ATHENA_ID: str | None = None


def _athena_identity() -> str:
    """athena itself goes into every bundle: its version, and its sources when it runs from a checkout."""
    global _ATHENA_ID
    if _ATHENA_ID is None:
        import athena

        pkg = Path(athena.__file__).resolve().parent
        h = hashlib.sha256(athena.__version__.encode())
        if "site-packages" not in str(pkg) and "dist-packages" not in str(pkg):
            for f in sorted(pkg.rglob("*.py")):
                h.update(f.relative_to(pkg).as_posix().encode())
                h.update(f.read_bytes())
        _ATHENA_ID = h.hexdigest()
    return _ATHENA_ID


def find_template(program: Program, name: str, kind: str) -> TemplateIR:
    """The template of ``kind`` that ``name`` means: its template name, function name, or ``module:function``."""
    import difflib

    matches = [t for t in program.templates.values() if t.kind == kind and (
        name in (t.name, t.function) or (isinstance(t, Container)
                                           and (t.entry == name or (":" in name and t.entry.endswith(name)))))]
    if not matches:
        known = sorted(t.name for t in program.templates.values() if t.kind == kind)
        close = difflib.get_close_matches(name, known, n=1)
        hint = f" (did you mean {close[0]}?)" if close else f" (known: {', '.join(known) or 'none'})"
        raise UsageError(f"no {kind} named `{name}`{hint}")
    if len(matches) > 1:
        raise UsageError(f"`{name}` is ambiguous: {', '.join(t.name for t in matches)}; use the template name")
    return matches[0]


def emit_documents(app: App, config: Config, *, with_workflow: bool = False, namespace: str | None = None,
                   program: Program | None = None) -> list[dict[str, Any]]:
    """Compile (unless ``program`` is given, already compiled) and emit the Argo documents of ``app``."""
    from athena.argo.emit import EmitSettings, emit_program

    program = program or compile_templates(app.roots, config)
    settings = EmitSettings.from_config(config, digest=bundle_digest(app, config), namespace=namespace)
    return emit_program(program, settings, with_workflow=with_workflow)
