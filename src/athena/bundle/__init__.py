"""``athena build``: the self-contained bundle a pod runs (DESIGN §5.2, reference/packaging.md).

Public API::

    build_bundle(app, config, *, targets=None, out=None, progress=None, env=None,
                 allow_python_mismatch=False) -> BuildResult
    manifest_of(tarball) -> dict          # bin/manifest.json of a built bundle
    default_output(config, digest, project) -> Path
    BundleError (an AthenaError), MissingWheelError, UnresolvedSonameError, InterpreterError
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from athena.bundle.errors import BundleError, InterpreterError, MissingWheelError, UnresolvedSonameError

if TYPE_CHECKING:
    from athena.bundle.build import BuildResult, TargetResult, build_bundle, default_output, manifest_of

# Loaded on first use: `athena emit` imports `athena.bundle.identity`, and the builder's imports (ELF
# reader, HTTP, wheels) would otherwise cost it a third of its start-up.
_BUILD = frozenset({"BuildResult", "TargetResult", "build_bundle", "default_output", "manifest_of"})

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


def __getattr__(name: str) -> Any:
    if name in _BUILD:
        from athena.bundle import build

        return getattr(build, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
