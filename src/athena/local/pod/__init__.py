"""The pod executor: one Argo container template run with podman or docker, as Argo's controller, kubelet and
executor would run its pod. ``container emulate`` (:mod:`athena.local.emulate`) and ``athena run --runtime podman``
share it.

Modules, one concern each: :mod:`.containers` (the container CLI), :mod:`.kubelet` (``$(VAR)`` and env),
:mod:`.image` (pull, inspect, user and ``runAsNonRoot``), :mod:`.volumes` (volumes, mounts, input artifacts),
:mod:`.unpack` (Argo's artifact unpacking), :mod:`.offload` (args above 128 KiB), :mod:`.outputs` (parameters,
result, artifacts), :mod:`.template` (picking, values, substitution, deadline) and :mod:`.executor` (one pod).
"""

from __future__ import annotations

from athena.local.pod.containers import Runtime, detect_runtime
from athena.local.pod.executor import EmulateResult, PodOptions, emulate, run_pod
from athena.local.pod.kubelet import k8s_expand

__all__ = ["EmulateResult", "PodOptions", "Runtime", "detect_runtime", "emulate", "k8s_expand", "run_pod"]
