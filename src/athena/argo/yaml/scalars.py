"""How each string is written, and the PyYAML classes that write and read it (DESIGN §3).

Output is read by at least three resolvers: PyYAML (YAML 1.1), YAML 1.2-core tools, and go-yaml v2
inside kubectl / the Argo CLI (``sigs.k8s.io/yaml``). They disagree about which plain scalars are
strings (go-yaml v2 reads ``1e3`` and ``0o17`` as numbers and ``y``/``n`` as bools; PyYAML leaves the
first two plain when dumping), so every string that *any* of them could read as something else is
quoted. The rule is deliberately broad: a string that starts like a number is always quoted.

Both writers use these rules: PyYAML's representer (:class:`Dumper`, :class:`PyDumper`) and the fast
writer in :mod:`athena.argo.yaml.fast`, which must stay byte-identical to it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any, Final

import yaml
from yaml.nodes import ScalarNode
from yaml.representer import SafeRepresenter
from yaml.resolver import Resolver

from athena.argo.yaml.frozen import FrozenDict, FrozenList

try:
    from yaml import CSafeDumper as _FastBase
except ImportError:  # pragma: no cover - libyaml missing: the pure-Python emitter writes the same text
    from yaml import SafeDumper as _FastBase  # type: ignore[assignment]

__all__ = ["BREAKS", "WIDTH", "Dumper", "Loader", "PyDumper", "needs_quotes", "requested_style"]

_STR: Final = "tag:yaml.org,2002:str"
_TIMESTAMP: Final = "tag:yaml.org,2002:timestamp"
_VALUE: Final = "tag:yaml.org,2002:value"
# libyaml's maximum; anything narrower makes the emitter fold long strings.
WIDTH: Final = 2**31 - 1

# Words some resolver reads as bool/null/merge/value. Compared case-insensitively: no resolver
# accepts `yEs`, but quoting it costs nothing.
_KEYWORDS: Final = frozenset(
    {"", "~", "=", "<<", "y", "n", "yes", "no", "true", "false", "on", "off", "null"}
)
# Every int, float, timestamp and sexagesimal form of YAML 1.1, 1.2 and go-yaml v2 begins like
# this. go-yaml v2 deletes every `_` before strconv.ParseInt(s, 0, 64) once the first character is a
# sign or digit (`-_1` is -1); PyYAML reads `._5` as a float.
_NUMBER_START: Final = re.compile(r"[-+]?[._]*[0-9]|[-+]?\._")
_SPECIAL_FLOAT: Final = re.compile(r"[-+]?\.?(?:inf|infinity|nan)", re.IGNORECASE)
BREAKS: Final = re.compile("[\n\r\x85\u2028\u2029]")
# Breaks that YAML 1.1 loaders normalize (or fold, in single quotes) or that YAML 1.2 does not
# count as breaks at all; only a double-quoted escape keeps them exact everywhere.
_ODD_BREAKS: Final = re.compile("[\r\x85\u2028\u2029]")

# PyYAML's own 1.1 resolver, as a backstop for anything the rules above miss (typed here because
# the stubs leave `resolve` unannotated).
_resolve: Final[Callable[[type[ScalarNode], str, tuple[bool, bool]], str]] = Resolver().resolve


class Dumper(_FastBase):
    """The reference writer: libyaml's emitter behind PyYAML's representer."""

    def ignore_aliases(self, data: Any) -> bool:
        # Anchors/aliases for shared sub-objects are legal YAML but unreadable; always expand.
        return True


class PyDumper(yaml.SafeDumper):
    """The pure-Python twin of :class:`Dumper`; tests run both."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


class Loader(yaml.SafeLoader):
    """SafeLoader that, like Kubernetes' JSON view, keeps dates as strings and reads ``=`` as text."""


Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_TIMESTAMP, _VALUE)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@functools.lru_cache(maxsize=8192)
def needs_quotes(value: str) -> bool:
    """True when some resolver could read ``value``, written plain, as something other than a string."""
    return (
        value.lower() in _KEYWORDS
        or _NUMBER_START.match(value) is not None
        or _SPECIAL_FLOAT.fullmatch(value) is not None
        or _resolve(ScalarNode, value, (True, False)) != _STR
    )


def requested_style(value: str, dumper: type[SafeRepresenter] = Dumper) -> str | None:
    """The style athena asks the emitter for: ``|``, ``"``, ``'``, or None (plain if the emitter allows)."""
    if BREAKS.search(value):
        # Double quotes spell breaks as `\n`; multi-line single quotes fold them into blank lines.
        return "|" if _literal_round_trips(value, dumper) else '"'
    if needs_quotes(value):
        return "'"
    return None


_ROUND_TRIPS: dict[tuple[str, type[SafeRepresenter]], bool] = {}


def _literal_round_trips(value: str, dumper: type[SafeRepresenter]) -> bool:
    # Cached: the same bootstrap script appears in every container template.
    hit = _ROUND_TRIPS.get((value, dumper))
    if hit is None:
        hit = _ROUND_TRIPS[(value, dumper)] = _try_literal(value, dumper)
    return hit


def _try_literal(value: str, dumper: type[SafeRepresenter]) -> bool:
    # The emitters' block-scalar rules (indentation indicators, chomping, trailing spaces) have
    # enough corner cases that trying it is more reliable than predicting it.
    if _ODD_BREAKS.search(value):
        return False
    node = yaml.MappingNode(
        "tag:yaml.org,2002:map", [(ScalarNode(_STR, "k"), ScalarNode(_STR, value, style="|"))]
    )
    text: str = yaml.serialize(node, Dumper=dumper, allow_unicode=True, width=WIDTH)
    try:
        loaded = yaml.load(text, Loader=Loader)
    except yaml.YAMLError:
        return False
    return isinstance(loaded, dict) and loaded.get("k") == value


def _represent_str(representer: SafeRepresenter, value: str) -> ScalarNode:
    return representer.represent_scalar(_STR, value, style=requested_style(value, type(representer)))


for _cls in (Dumper, PyDumper):
    _cls.add_representer(str, _represent_str)
    _cls.add_representer(tuple, SafeRepresenter.represent_list)
    _cls.add_representer(FrozenDict, SafeRepresenter.represent_dict)
    _cls.add_representer(FrozenList, SafeRepresenter.represent_list)
