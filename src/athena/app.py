"""Loading an app: what an APP argument names (a module, a file, either with ``:name``) and template lookup."""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from athena.compile.model import Container, Program, TemplateIR, Workflow
from athena.config import Config
from athena.decorators import Template, defer_errors
from athena.errors import AppImportError, AthenaError, CompileError, UsageError

__all__ = ["App", "find_template", "import_module", "load_app", "templates_in"]


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
        except BaseException as exc:
            sys.modules.pop(name, None)
            _reraise_from_user_code(spec, exc)
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
        _reraise_from_user_code(spec, exc)
        raise
    except BaseException as exc:
        _reraise_from_user_code(spec, exc)
        raise


_ATHENA_DIR = str(Path(__file__).resolve().parent) + os.sep
#: importlib's own files (``import_module`` is a real file, its bootstrap is frozen): noise in the user's report.
_IMPORTLIB_DIR = str(Path(importlib.__file__).resolve().parent) + os.sep


def _reraise_from_user_code(spec: str, exc: BaseException) -> None:
    """Raise :class:`AppImportError` for an ordinary exception from the user's module; athena's own errors
    (a grammar error found at decoration) and SystemExit/KeyboardInterrupt pass through unchanged."""
    if isinstance(exc, AthenaError) or not isinstance(exc, Exception):
        return
    # Only the user's frames: importlib's machinery and athena's loader are noise to them.
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if not f.filename.startswith(("<frozen importlib", _ATHENA_DIR, _IMPORTLIB_DIR))
              and not str(Path(f.filename).resolve()).startswith((_ATHENA_DIR, _IMPORTLIB_DIR))]
    text = "Traceback (most recent call last):\n" if frames else ""
    text += "".join(traceback.format_list(frames)) + "".join(traceback.format_exception_only(exc))
    raise AppImportError(spec, text) from exc


def templates_in(module: ModuleType) -> list[Template[Any, Any]]:
    return [v for v in vars(module).values()
            if isinstance(v, Template) and v.kind != "external" and v.fn.__module__ == module.__name__]


def load_app(app: str | list[str] | None, config: Config) -> App:
    """Import what ``app`` names (default: ``[project].app``); each module must define a template."""
    specs: list[str]
    if app is None:
        specs = list(config.project.app)
        if not specs:
            raise UsageError("no APP given and no [project].app in the configuration; "
                             "pass a module or file, e.g. `athena emit flows/pipeline.py`")
    else:
        specs = [app] if isinstance(app, str) else list(app)
    # Where the specs came from, for messages: a typo in the configuration is fixed there, not on the command line.
    origin = f"{config.source or 'the configuration'}: [project].app: " if app is None else ""
    modules: list[ModuleType] = []
    roots: list[Template[Any, Any]] = []
    with defer_errors() as deferred:
        _load(specs, origin, config, modules, roots)
    if deferred:
        # Report every mistake of the app in one run: the decoration errors, and what compiling the rest finds.
        from athena.compile.program import compile_templates

        compile_templates(roots, config)  # raises: the deferred templates report their errors there
        raise CompileError([d for exc in deferred for d in exc.diagnostics])
    return App(modules, roots)


def _load(specs: list[str], origin: str, config: Config, modules: list[ModuleType],
          roots: list[Template[Any, Any]]) -> None:
    for spec in specs:
        pick: str | None = None
        base = spec
        if ":" in spec and not (len(spec) > 1 and spec[1] == ":"):
            base, pick = spec.rsplit(":", 1)
        try:
            module = import_module(base, config.root)
        except UsageError as exc:
            if origin:
                raise UsageError(f"{origin}{exc}") from None
            raise
        modules.append(module)
        found = templates_in(module)
        if not found:
            where = getattr(module, "__file__", None)
            raise UsageError(
                f"{origin}app `{base}`{f' ({where})' if where and where != base else ''} defines no @workflow "
                "or @container; name the module or file that defines them (templates imported from "
                "another module count only there)")
        if pick is not None:
            chosen = [t for t in found if t.fn.__name__ == pick or _safe_name(t) == pick]
            if not chosen:
                known = ", ".join(t.fn.__name__ for t in found) or "none"
                raise UsageError(f"`{pick}` is not a template in {base} (templates: {known})")
            found = chosen
        roots.extend(t for t in found if t not in roots)


def _safe_name(t: Template[Any, Any]) -> str:
    from athena.compile.naming import template_name

    try:
        return template_name(t, None)
    except Exception:  # a name error is reported by compile, not by lookup
        return ""


def _describe(kind: str, name: str) -> str:
    return f"athena {kind} describe {name}"


def find_template(program: Program, name: str, kind: str,
                  command: Callable[[str, str], str] = _describe) -> TemplateIR:
    """The template of ``kind`` that ``name`` means: its template name, function name, or ``module:function``.

    A miss says what ``name`` is when it names a template of the other kind, else the closest template or
    function name ("did you mean"). ``command(kind, name)`` spells the command that shows a template.
    """
    matches = _matching(program, name, kind)
    if len(matches) > 1:
        raise UsageError(f"`{name}` is ambiguous: {', '.join(t.name for t in matches)}; use the template name")
    if matches:
        return matches[0]
    other = "workflow" if kind == "container" else "container"
    elsewhere = _matching(program, name, other)
    if elsewhere:
        raise UsageError(f"`{name}` is a {other}, not a {kind}: see it with `{command(other, name)}`")
    guess = _closest(program, name, kind)
    if guess is not None:
        raise UsageError(f"no {kind} named `{name}`; did you mean `{guess}`?")
    guess = _closest(program, name, other)
    if guess is not None:
        raise UsageError(f"no {kind} named `{name}`; did you mean the {other} `{guess}` "
                      f"(`{command(other, guess)}`)?")
    known = sorted(t.name for t in program.templates.values() if t.kind == kind and not _synthetic(t))
    raise UsageError(f"no {kind} named `{name}` (known: {', '.join(known) or 'none'})")


def _synthetic(t: TemplateIR) -> bool:
    return isinstance(t, Workflow) and t.synthetic


def _matching(program: Program, name: str, kind: str) -> list[TemplateIR]:
    return [t for t in program.templates.values() if t.kind == kind and (
        name in (t.name, t.function) or (isinstance(t, Container)
                                           and (t.entry == name or (":" in name and t.entry.endswith(name)))))]


def _closest(program: Program, name: str, kind: str) -> str | None:
    """The template or function name of ``kind`` closest to ``name`` (users type either), if any is close."""
    import difflib

    spellings = sorted({s for t in program.templates.values() if t.kind == kind and not _synthetic(t)
                        for s in (t.name, t.function)})
    close = difflib.get_close_matches(name, spellings, n=1)
    return close[0] if close else None
