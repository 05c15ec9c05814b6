"""The ``athena`` command: a thin shell over ``athena.api``. Data on stdout, messages on stderr.

``main(argv) -> int`` runs one command and returns its exit code (it never exits the process);
``console()`` is the console script that does. This module imports neither click nor athena's compiler, so
a missing command-line dependency is explained here, before anything needs it.

Exit codes: 0 success; 1 a user error (a message, no traceback) or a command's own failure (``check``
found problems); 2 a command-line usage error (click's); 70 an internal error (``EX_SOFTWARE``:
"athena: internal error, please report it", the traceback only with ``--debug``); ``container emulate``
exits with the container's code.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

__all__ = ["INSTALL_HINT", "console", "main", "missing_dependency"]

#: How to get the command line's dependencies (they are the ``cli`` extra, not core dependencies).
INSTALL_HINT = "pip install 'athena-workflows[cli]'"


def missing_dependency(module: str | None) -> str:
    """The message for a command-line dependency that is not installed."""
    what = f"`{module}`" if module else "a dependency"
    return f"athena: the command line needs {what}, which is not installed; install it with: {INSTALL_HINT}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``athena ARGV...`` and return the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        from athena.cli.boundary import run
    except ModuleNotFoundError as exc:  # click (or another extra) is missing: say how to install it
        if exc.name and exc.name.split(".")[0] != "athena":
            print(missing_dependency(exc.name), file=sys.stderr)
            return 1
        raise
    return run(args)


def console() -> None:
    """The ``athena`` console script."""
    sys.exit(main())
