"""Errors of ``athena build``: each message says what is wrong and what to do about it."""

from __future__ import annotations

from athena.errors import AthenaError

__all__ = ["BundleError", "InterpreterError", "MissingWheelError", "UnresolvedSonameError",
           "use_interpreter"]


class BundleError(AthenaError):
    """The bundle cannot be built; the message names the target and the input at fault."""


class InterpreterError(BundleError):
    """An interpreter provider cannot supply Python for a target (download, apt, tarball, version)."""


class MissingWheelError(BundleError):
    """A requirement has no binary wheel for a target and cannot be built as a pure-Python wheel."""

    def __init__(self, message: str, *, package: str, target: str) -> None:
        super().__init__(message)
        self.package = package
        self.target = target


class UnresolvedSonameError(BundleError):
    """An ELF file of the bundle needs a shared library that none of the search directories holds."""

    def __init__(self, message: str, *, soname: str, needed_by: str, target: str) -> None:
        super().__init__(message)
        self.soname = soname
        self.needed_by = needed_by
        self.target = target


def use_interpreter(*providers: str) -> str:
    """The hint that switches the interpreter provider, naming the exact key and both files it may live in:
    ``set [bootstrap].interpreter = "apt" in athena.toml (or interpreter = "apt" under [tool.athena.bootstrap] in
    pyproject.toml)``."""
    values = " or ".join(f'"{p}"' for p in providers)
    return (f"set [bootstrap].interpreter = {values} in athena.toml (or interpreter = {values} under "
            "[tool.athena.bootstrap] in pyproject.toml)")
