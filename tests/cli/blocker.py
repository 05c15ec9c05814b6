"""Run a Python snippet with some top-level modules made unimportable, as if they were not installed.

Usage: python blocker.py MOD[,MOD...] SNIPPET
"""

from __future__ import annotations

import importlib.abc
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType


class Blocker(importlib.abc.MetaPathFinder):
    def __init__(self, names: set[str]) -> None:
        self.names = names

    def find_spec(self, fullname: str, path: Sequence[str] | None = None,
                  target: ModuleType | None = None) -> ModuleSpec | None:
        if fullname.split(".")[0] in self.names:
            raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)
        return None


if __name__ == "__main__":
    blocked = set(sys.argv[1].split(","))
    for loaded in [m for m in sys.modules if m.split(".")[0] in blocked]:
        del sys.modules[loaded]
    sys.meta_path.insert(0, Blocker(blocked))
    snippet = sys.argv[2]
    sys.argv = ["-c"]
    exec(compile(snippet, "<snippet>", "exec"), {"__name__": "__main__"})
