"""Template names: ``<prefix>-<function>`` unless ``name=`` overrides (DESIGN §2).

The formatting itself lives in :mod:`athena.names`; this module decides the prefix of a decorated function.
"""

from __future__ import annotations

import sys
from typing import Any

from athena import names
from athena.config import Config
from athena.decorators import Template

__all__ = ["Namer", "template_name"]


class Namer:
    def __init__(self, config: Config | None) -> None:
        self.config = config
        self._dists: dict[str, list[str]] | None = None
        self._cache: dict[int, str] = {}

    def prefix(self, t: Template[Any, Any]) -> str:
        return self.module_prefix(t.fn.__module__)

    def module_prefix(self, module: str) -> str:
        """The prefix of the templates defined in ``module`` (also the bundle's project name without
        ``[project].name``, so one app has one name everywhere)."""
        top = module.split(".")[0]
        if not _installed(module):
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
        hit = self._cache.get(id(t))
        if hit is not None:
            return hit
        override = t.decorator_validated().options.name  # `name` is never set by a values file
        n = override if override else names.template_name(self.prefix(t), t.fn.__name__)
        self._cache[id(t)] = n
        return n


def _installed(name: str) -> bool:
    module = sys.modules.get(name)
    f = getattr(module, "__file__", None) or ""
    return "site-packages" in f or "dist-packages" in f


def template_name(t: Template[Any, Any], config: Config | None) -> str:
    """The template name of ``t`` under ``config`` (one-off; compile uses a shared :class:`Namer`)."""
    return Namer(config).name(t)
