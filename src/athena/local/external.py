"""In-process runs of external templates (issue 13): the stand-in registered with ``stub.local(fn)``.

The stand-in gets the values an Argo template would get (decoded from the same JSON texts by the stub's
annotations) and its result crosses the same codec, so a value that would not survive the wire fails here too.
"""

from __future__ import annotations

import importlib
import typing
from collections.abc import Mapping
from typing import Any

from athena.errors import AthenaError
from athena.runtime import codec


def run_external(entry: str, args: Mapping[str, str]) -> str:
    module_name, _, qualname = entry.partition(":")
    stub: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        stub = getattr(stub, part)
    impl = getattr(stub, "implementation", None)
    if impl is None:
        raise AthenaError(f"`{qualname}` is the external template {stub.template_ref}/{stub.template}, which runs "
                          f"only in Argo; to run this workflow in-process, register a stand-in first: "
                          f"`{qualname}.local(fn)` (and `{qualname}.local(None)` to remove it)")
    hints = typing.get_type_hints(stub.fn)
    kwargs: dict[str, Any] = {}
    import inspect

    for p in inspect.signature(stub.fn).parameters.values():
        if p.name in args:
            kwargs[p.name] = codec.decode(args[p.name], hints.get(p.name, Any))
    result = impl(**kwargs)
    text = codec.encode(result)
    if "return" in hints:
        codec.check_result(text, hints["return"])
    return text
