"""``athena build``: the self-contained bundle a pod runs (DESIGN §5.2, reference/packaging.md).

Public API::

    build_bundle(app, config, *, targets=None, out=None, progress=None, env=None,
                 allow_python_mismatch=False) -> BuildResult
    manifest_of(tarball) -> dict          # bin/manifest.json of a built bundle
    default_output(config, digest, project) -> Path
    BundleError (an AthenaError), MissingWheelError, UnresolvedSonameError, InterpreterError
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from athena.bundle.errors import BundleError, InterpreterError, MissingWheelError, UnresolvedSonameError

if TYPE_CHECKING:
    from athena.bundle.build import BuildResult, TargetResult, build_bundle, default_output, manifest_of

# The builder needs pyelftools and pbs-installer (the `cli` extra); importing athena.bundle.identity for a
# digest (the compiler does) must not, so the builder's names load on first use.
_BUILD = frozenset({"BuildResult", "TargetResult", "build_bundle", "default_output", "manifest_of"})


def __getattr__(name: str) -> object:
    if name in _BUILD:
        return getattr(importlib.import_module("athena.bundle.build"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "BuildResult",
    "BundleError",
    "InterpreterError",
    "MissingWheelError",
    "TargetResult",
    "UnresolvedSonameError",
    "build_bundle",
    "default_output",
    "manifest_of",
]

