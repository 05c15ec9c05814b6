"""Every name athena generates, and the checks for names users give (DESIGN §2, argo-semantics §3).

This is the ONE module that makes generated names; nothing else in athena may build a Kubernetes/Argo
name by string formatting. All functions are pure (no I/O, no global state) and deterministic: the same
inputs give the same name in every process, on every machine, in every Python version.

Limits (``validate.go``, every Argo version):

* WorkflowTemplate / Workflow name: DNS label, at most :data:`WORKFLOW_TEMPLATE_MAX` (63) characters;
* CronWorkflow name: at most :data:`CRON_WORKFLOW_MAX` (52), because the controller appends
  ``-<unix timestamp>`` to name each child Workflow;
* template / DAG task / step name: ``^[a-zA-Z0-9][-a-zA-Z0-9]*$``, at most :data:`TEMPLATE_MAX` (128),
  and a DAG task name must not start with a digit;
* parameter / artifact name: ``^[-a-zA-Z0-9_]+$`` (no length limit in Argo).

Shortening rule (:func:`shorten`): a name longer than its limit *n* keeps exactly its first *n − 9*
characters, then ``-``, then the first 8 hex digits of the sha256 of the *whole* unshortened name, so a
shortened name is exactly *n* characters long, still readable, deterministic, and distinct for distinct
long names. The kept head is never trimmed (so the length is always exactly *n*); a head that happens to
end in ``-`` gives ``--`` before the digest, which Argo and Kubernetes accept. Because the result ends in
hex digits it never ends in ``-``.

Errors: the ``check_*`` helpers return a message (what is wrong and how to fix it) or ``None``; callers
turn messages into located diagnostics. Functions that build names from user-chosen overrides raise
``ValueError`` with such a message when the override is invalid.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from athena.argo import facts
from athena.runtime import protocol

__all__ = [
    "CRON_WORKFLOW_MAX",
    "TEMPLATE_MAX",
    "WORKFLOW_TEMPLATE_MAX",
    "YAML11_SPECIAL_WORDS",
    "arm_name",
    "artifact_port_name",
    "check_dns_name",
    "check_parameter_name",
    "cron_name",
    "env_name",
    "host_mount_path",
    "host_volume_name",
    "is_yaml11_special",
    "normalize",
    "parameter_name",
    "shorten",
    "task_name",
    "template_name",
    "with_tag",
    "wrapper_name",
]

WORKFLOW_TEMPLATE_MAX = facts.MAX_OBJECT_NAME
"""Workflow / WorkflowTemplate / ClusterWorkflowTemplate ``metadata.name`` limit."""

CRON_WORKFLOW_MAX = facts.MAX_CRON_WORKFLOW_NAME
"""CronWorkflow ``metadata.name`` limit (children are named ``<name>-<unix ts>``)."""

TEMPLATE_MAX = facts.MAX_TEMPLATE_NAME
"""Template, DAG task and step name limit."""

YAML11_SPECIAL_WORDS: frozenset[str] = frozenset(
    {"y", "yes", "n", "no", "on", "off", "true", "false", "null", "~"}
)
"""Lower-cased plain scalars a YAML 1.1 parser (e.g. go-yaml v2 behind ``kubectl``) reads as bool/null."""

_DIGEST_HEX = 8
_SUFFIX_LEN = _DIGEST_HEX + 1  # "-" + 8 hex

_SEPARATORS = re.compile(r"[^a-z0-9]+")
_DNS_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", re.ASCII)
_PARAMETER_NAME = re.compile(r"[-a-zA-Z0-9_]+", re.ASCII)
_ENV_INVALID = re.compile(r"[^A-Za-z0-9]")


def _digest(text: str, n: int) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:n]


def _fit(name: str, limit: int) -> str:
    # shorten() for suggestions in messages, tolerating tiny limits
    return shorten(name, limit) if limit > _SUFFIX_LEN else name[:limit].strip("-")


# ---------------------------------------------------------------------------------------------------------
# building blocks


def normalize(segment: str) -> str:
    """Normalize one name segment, PEP 503 style, into ``[a-z0-9]+(-[a-z0-9]+)*`` (or ``""``).

    ``[-_.]+`` → ``-``, lowercase, leading/trailing ``-`` stripped: ``"My.Flows"`` → ``"my-flows"``,
    ``"_tmp"`` → ``"tmp"``, ``"fetch__data"`` → ``"fetch-data"``.

    Beyond PEP 503 (whose inputs are only ``[A-Za-z0-9._-]``, for which the result is identical): letters
    with accents are folded to ASCII (NFKD, ``"café"`` → ``"cafe"``) and any other run of characters Argo
    rejects counts as a separator too (``"a b"`` → ``"a-b"``), so the result is always usable in a name.
    May return ``""`` (for ``"_"``, ``"..."``, ``""``, or non-Latin text); callers supply a fallback.
    """
    folded = unicodedata.normalize("NFKD", segment).encode("ascii", "ignore").decode("ascii")
    return _SEPARATORS.sub("-", folded.lower()).strip("-")


def shorten(name: str, limit: int) -> str:
    """Return ``name`` if it has at most ``limit`` characters, else exactly ``limit`` characters.

    A long name keeps exactly its first ``limit - 9`` characters, then ``-``, then the first 8 hex digits
    of sha256(``name``): ``shorten("a" * 70, 63) == "a" * 54 + "-" + <8 hex>``. The head is not trimmed
    (a head ending in ``-`` yields ``--``, which is valid); the result never ends in ``-``.
    ``limit`` must be at least 10 so that one character of the original survives.
    """
    if limit < _SUFFIX_LEN + 1:
        raise ValueError(f"shorten: limit must be at least {_SUFFIX_LEN + 1}, got {limit}")
    if len(name) <= limit:
        return name
    return f"{name[: limit - _SUFFIX_LEN]}-{_digest(name, _DIGEST_HEX)}"


# ---------------------------------------------------------------------------------------------------------
# generated names


def template_name(prefix: str, function: str, override: str | None = None) -> str:
    """The name of a template and of the WorkflowTemplate holding it (they share it), ≤ 63 characters.

    Without ``override``: ``<normalize(prefix)>-<normalize(function)>``, shortened to 63, e.g.
    ``template_name("my.flows", "fetch_data") == "my-flows-fetch-data"``. A segment that normalizes to
    ``""`` is dropped (``("my-flows", "_")`` → ``"my-flows"``); if both are empty the name is ``"template"``.

    With ``override`` (the decorator's ``name=``): returned verbatim, never normalized or shortened; it
    must already be a valid name (lowercase letters, digits, ``-``, at most 63 characters) or ``ValueError``
    is raised with a message saying how to fix it. (A YAML 1.1 bool/null word such as ``on`` is fine: the
    YAML writer quotes every such scalar.)
    """
    if override is not None:
        problem = check_dns_name(override, WORKFLOW_TEMPLATE_MAX)
        if problem is not None:
            raise ValueError(f"name={override!r}: {problem}")
        return override
    parts = [p for p in (normalize(prefix), normalize(function)) if p]
    return shorten("-".join(parts) or "template", WORKFLOW_TEMPLATE_MAX)


def wrapper_name(parent: str, k: int) -> str:
    """The synthesized when-gated wrapper template for the ``k``-th if in ``parent``: ``<parent>-if<k>``.

    Shortened to 63 (``parent`` is a template name, itself valid).
    """
    return shorten(f"{parent}-if{k}", WORKFLOW_TEMPLATE_MAX)


def each_name(parent: str, k: int) -> str:
    """The per-element wrapper of the ``k``-th fan-out under continue_on in ``parent``: ``<parent>-each<k>``."""
    return shorten(f"{parent}-each{k}", WORKFLOW_TEMPLATE_MAX)


def arm_name(wrapper: str, j: int) -> str:
    """The ``j``-th arm template of a wrapper: ``<wrapper>-arm<j>``, shortened to 63."""
    return shorten(f"{wrapper}-arm{j}", WORKFLOW_TEMPLATE_MAX)


def parameter_name(binding: str) -> str:
    """The input parameter a wrapper/arm template gets for a captured binding (any Python identifier).

    A name Argo accepts (``^[-a-zA-Z0-9_]+$``) is kept verbatim. Any other (``"café"``, ``"数据"``) is
    folded to ASCII, every other character becomes ``_``, and ``-`` plus 8 hex digits of the sha256 of the
    original name are appended: ``"café"`` → ``"cafe-<8 hex>"``, ``"数据"`` → ``"p-<8 hex>"``. A mapped name
    contains ``-``, which no Python identifier does, so it cannot collide with a verbatim one; two mapped
    names differ unless their digests do.
    """
    if _PARAMETER_NAME.fullmatch(binding):
        return binding
    folded = unicodedata.normalize("NFKD", binding).encode("ascii", "ignore").decode("ascii")
    stem = re.sub(r"[^a-zA-Z0-9_]+", "_", folded).strip("_") or "p"
    return f"{stem}-{_digest(binding, _DIGEST_HEX)}"


def cron_name(root: str) -> str:
    """The CronWorkflow name for a root WorkflowTemplate ``root``: ``root`` shortened to 52."""
    return shorten(root, CRON_WORKFLOW_MAX)


# The kinds of `volumes=` entries, as the prefix of their volume names. athena's own volumes are `athena-work`,
# `athena-tmp` and `host-<hex>`: no prefix below is `athena` or `host`, so a user volume never takes their name.
VOLUME_PREFIXES = {"claim": "pvc", "workflow_claim": "wpvc", "empty_dir": "empty", "config_map": "cm",
                   "secret": "secret"}


def volume_name(kind: str, source: str) -> str:
    """The volume name of one ``volumes=`` entry: ``<kind prefix>-<source>``, a DNS label (≤ 63).

    Deterministic and injective enough: the same claim (ConfigMap, ...) mounted twice shares one volume; a
    source that normalizes to something else or is too long gets a digest of the original.
    """
    base = normalize(source) or "v"
    name = f"{VOLUME_PREFIXES[kind]}-{base}"
    if base != source:
        name = f"{name}-{_digest(source, _DIGEST_HEX)}"
    return shorten(name, 63)


def task_name(base: str, taken: set[str]) -> str:
    """A fresh DAG task/step name from a binding or function name; records it in ``taken``.

    ``base`` is normalized (``"_tmp"`` → ``"tmp"``, ``"fetch_data"`` → ``"fetch-data"``); an empty result
    becomes ``"task"``; a leading digit gets ``"t-"`` (``"2nd"`` → ``"t-2nd"``, Argo forbids a leading
    digit in DAG task names). If the name is in ``taken``, ``-2``, ``-3``, … is appended (first free one).
    Every candidate is shortened to 128. The chosen name is added to ``taken`` (mutated in place).
    """
    stem = normalize(base) or "task"
    if stem[0].isdigit():
        stem = f"t-{stem}"
    candidate = shorten(stem, TEMPLATE_MAX)
    n = 2
    while candidate in taken:
        candidate = shorten(f"{stem}-{n}", TEMPLATE_MAX)
        n += 1
    taken.add(candidate)
    return candidate


def with_tag(name: str, tag: str) -> str:
    """Append ``[project].name_tag`` to a WorkflowTemplate name: ``<name>-<normalize(tag)>``, ≤ 63.

    ``with_tag("my-flows-etl", "1.2.0") == "my-flows-etl-1-2-0"``. When the result would be too long the
    *base* is shortened (so the tag stays readable): ``shorten(name, 63 - 1 - len(tag)) + "-" + tag``.
    A tag that normalizes to ``""`` leaves ``name`` unchanged. A tag so long that fewer than 10
    characters remain for the base raises ``ValueError``.
    """
    suffix = normalize(tag)
    if not suffix:
        return name
    room = WORKFLOW_TEMPLATE_MAX - 1 - len(suffix)
    if room < _SUFFIX_LEN + 1:
        raise ValueError(
            f"name_tag {tag!r} is too long: it becomes '{suffix}' ({len(suffix)} characters), and "
            f"WorkflowTemplate names are limited to {WORKFLOW_TEMPLATE_MAX}; use a tag of at most "
            f"{WORKFLOW_TEMPLATE_MAX - _SUFFIX_LEN - 2} characters"
        )
    return f"{shorten(name, room)}-{suffix}"


def env_name(*parts: str) -> str:
    """An environment variable name: the parts joined with ``_``, every non-ASCII-alphanumeric → ``_``,
    uppercased: ``env_name("athena", "artifact-repository", "s3") == "ATHENA_ARTIFACT_REPOSITORY_S3"``."""
    return _ENV_INVALID.sub("_", "_".join(parts)).upper()


# Names the pod must agree on live in the runtime protocol; re-exported so this stays the one place to look.
artifact_port_name = protocol.artifact_port_name
host_volume_name = protocol.host_volume_name
host_mount_path = protocol.host_mount_path


# ---------------------------------------------------------------------------------------------------------
# checks for names users give


def check_dns_name(name: str, limit: int) -> str | None:
    """``None`` if ``name`` is a valid Argo/Kubernetes name of at most ``limit`` characters, else why not.

    Valid: ``^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`` (lowercase letters, digits, ``-``; starts and ends with a
    letter or digit). The message says what is wrong and suggests a fix, e.g. ``"must be lowercase
    letters, digits and '-' (got 'My_Container'); Kubernetes rejects it; try 'my-container'"``.
    """
    if not name:
        return "must not be empty; use lowercase letters, digits and '-'"
    if _DNS_NAME.fullmatch(name) is None:
        fixed = _fit(normalize(name), limit)
        hint = f"; try '{fixed}'" if fixed and fixed != name else ""
        if re.fullmatch(r"[-a-z0-9]+", name, re.ASCII):
            return (
                f"must start and end with a lowercase letter or digit (got '{name}'); "
                f"Kubernetes rejects it{hint}"
            )
        return f"must be lowercase letters, digits and '-' (got '{name}'); Kubernetes rejects it{hint}"
    if len(name) > limit:
        return (
            f"is {len(name)} characters long, over the limit of {limit} (got '{name}'); "
            f"Kubernetes rejects it; use a shorter name, e.g. '{_fit(name, limit)}'"
        )
    return None


def check_parameter_name(name: str) -> str | None:
    """``None`` if ``name`` is a valid Argo parameter/artifact name (``^[-a-zA-Z0-9_]+$``), else why not.

    YAML 1.1 bool/null words are a separate check (:func:`is_yaml11_special`).
    """
    if not name:
        return "must not be empty; use letters, digits, '_' and '-'"
    if _PARAMETER_NAME.fullmatch(name) is None:
        fixed = re.sub(r"[^-a-zA-Z0-9_]+", "_", name, flags=re.ASCII).strip("_")
        hint = f"; try '{fixed}'" if fixed else ""
        return f"must be letters, digits, '_' and '-' (got {name!r}); Argo rejects it{hint}"
    return None


def is_yaml11_special(word: str) -> bool:
    """True if a YAML 1.1 parser reads the plain scalar ``word`` as a bool or null.

    ``y yes n no on off true false null ~`` in any letter case, and the empty string.
    """
    return word.lower() in YAML11_SPECIAL_WORDS or word == ""
