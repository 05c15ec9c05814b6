"""``athena build``: the self-contained bundle a pod runs (DESIGN §5.2, reference/packaging.md).

Public API::

    build_bundle(app, config, *, targets=None, out=None, progress=None, env=None,
                 allow_python_mismatch=False) -> BuildResult
    manifest_of(tarball) -> dict          # bin/manifest.json of a built bundle
    default_output(config, digest, project) -> Path
    BundleError (an AthenaError), MissingWheelError, UnresolvedSonameError, InterpreterError
"""

from __future__ import annotations

from athena.bundle.build import BuildResult, TargetResult, build_bundle, default_output, manifest_of
from athena.bundle.errors import BundleError, InterpreterError, MissingWheelError, UnresolvedSonameError

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
