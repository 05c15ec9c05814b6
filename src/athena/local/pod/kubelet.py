"""What the kubelet does to a container's env, command and args: ``$(VAR)`` expansion and env resolution."""

from __future__ import annotations

import json
import platform
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from athena.errors import AthenaError

__all__ = ["k8s_expand", "resolve_env"]


def k8s_expand(text: str, env: Mapping[str, str]) -> str:
    """The kubelet's ``$(VAR)`` expansion of command, args and env values (``expansion.Expand``): ``$$`` is
    ``$``, ``$(NAME)`` the variable's value (kept as written when unknown or unclosed), any other ``$x`` kept.

    Go works on bytes: after a ``$`` it copies the next byte as a rune, so a non-ASCII character after ``$``
    comes out altered (its bytes are returned surrogate-escaped, as ``os.fsencode`` passes them to the runtime).
    athena's own values never hold ``$`` (DESIGN §5.1.7).
    """
    if "$" not in text:
        return text
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c != "$" or i + 1 >= n:
            out.append(c)
            i += 1
            continue
        nxt = text[i + 1]
        if nxt == "$":  # escaped operator
            out.append("$")
            i += 2
        elif nxt == "(":
            close = text.find(")", i + 2)
            if close < 0:  # incomplete reference: kept
                out.append("$(")
                i += 2
            else:
                name = text[i + 2:close]
                out.append(env.get(name, f"$({name})"))
                i = close + 1
        elif nxt.isascii():
            out.append("$" + nxt)
            i += 2
        else:  # Go reads one *byte* after `$` and writes it back as a rune: `$é` becomes `$Ã` + a stray byte
            raw = nxt.encode("utf-8", "surrogateescape")
            out.append("$" + chr(raw[0]) + raw[1:].decode("utf-8", "surrogateescape"))
            i += 2
    return "".join(out)


def resolve_env(env_list: Sequence[Mapping[str, Any]], name: str, pod_name: str, namespace: str,
                service_account: str, supplied: Mapping[str, str] | None = None) -> dict[str, str]:
    """The container's environment: values expanded in order (a later one may use ``$(EARLIER)``), a ``fieldRef``
    of the pod's own metadata filled in; a Secret or ConfigMap value cannot be read without a cluster, so it is
    taken from ``supplied`` (``athena run``: the environment it runs in) under the variable's own name."""
    fields = {"metadata.name": pod_name, "metadata.namespace": namespace, "metadata.uid": str(uuid.uuid4()),
              "spec.serviceAccountName": service_account, "spec.nodeName": platform.node(),
              "status.podIP": "127.0.0.1", "status.hostIP": "127.0.0.1"}
    out: dict[str, str] = {}
    for e in env_list:
        n = str(e["name"])
        if "value" in e or "valueFrom" not in e:
            out[n] = k8s_expand(str(e.get("value") or ""), out)
            continue
        src = e["valueFrom"] or {}
        if "fieldRef" in src and src["fieldRef"].get("fieldPath") in fields:
            out[n] = fields[src["fieldRef"]["fieldPath"]]
            continue
        ref = src.get("secretKeyRef") or src.get("configMapKeyRef")
        if ref is not None and supplied is not None and n in supplied:
            out[n] = supplied[n]
            continue
        if ref is not None and ref.get("optional"):
            continue
        raise AthenaError(f"{name}: env var {n} comes from {json.dumps(src)}, which cannot be read without a cluster; "
                          f"`athena run`: set {n} in the environment it runs in; `container emulate`: pass "
                          f"env={{{n!r}: ...}}")
    return out
