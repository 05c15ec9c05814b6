"""The root's result as the Python value it is: what ``athena run`` and ``athena submit --watch`` show on stderr
beside ``return: <json>`` (stdout keeps the JSON, DESIGN §6), decoded with the root's declared return type."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

__all__ = ["show_decoded"]


def show_decoded(fn: Callable[..., Any] | None, text: str) -> None:
    """``returned <type>: <repr>`` on stderr when ``fn`` (the root's Python function) declares a JSON return type;
    a warning when ``text`` does not decode as it (a template edited by hand, a Workflow of another app)."""
    import typing

    from athena.runtime import codec
    from athena.runtime.main import artifact_type

    if fn is None:
        return
    try:
        annotation = typing.get_type_hints(fn).get("return")
    except Exception:  # unresolvable annotations are the compiler's to report, not this courtesy's
        return
    if annotation is None or annotation is type(None) or artifact_type(annotation) is not None:
        return
    name = codec.type_name(annotation)
    try:
        value = codec.decode(text, annotation)
    except codec.CodecError as exc:
        click.echo(f"athena: warning: the result does not decode as {name} (the root's return type): {exc}",
                   err=True)
        return
    click.echo(f"returned {name}: {value!r}", err=True)
