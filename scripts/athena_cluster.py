"""A real Kubernetes control plane, kubelet and Argo workflow-controller on loopback: `scripts/cluster`.

Everything is built from source with the Go module proxy (etcd, kube-apiserver, kube-controller-manager,
kube-scheduler, kubelet, Argo's workflow-controller and argoexec) or comes from Debian (containerd, runc, the CNI
loopback plugin, socat); S3 is moto's server. Builds are cached under $ATHENA_CLUSTER_CACHE
(~/.cache/athena-cluster); the running cluster's files (PKI, etcd data, logs) live in $ATHENA_CLUSTER_STATE
($ATHENA_CLUSTER_CACHE/run). Every listener is on 127.0.0.1: see docs/cluster.md for how, and for what is
configured differently from a production cluster and why.

Only the standard library and PyYAML; tests import `Kube`, `load_env` and `STATE` from here.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tarfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

CACHE = Path(os.environ.get("ATHENA_CLUSTER_CACHE") or Path.home() / ".cache" / "athena-cluster")
STATE = Path(os.environ.get("ATHENA_CLUSTER_STATE") or CACHE / "run")
REPO = Path(__file__).resolve().parents[1]

K8S = "v1.34.4"
ETCD = "v3.6.17"
# The newest patch of each line that the Go module proxy serves (docs/cluster.md says how this was found).
ARGO: dict[str, tuple[str, str] | None] = {
    "3.6": ("github.com/argoproj/argo-workflows/v3", "v3.6.18"),
    "3.7": ("github.com/argoproj/argo-workflows/v3", "v3.7.18"),
    "4.0": ("github.com/argoproj/argo-workflows/v4", "v4.0.7"),
    "4.1": None,  # v4.1.0, v4.1.1, v4.1.2: "403 Forbidden: This module version is not available."
}
DEFAULT_ARGO = "3.7"

NAMESPACE = "athena"  # where workflows run
ARGO_NAMESPACE = "argo"  # the controller's own (its configmap, its leases)
BUCKET = "athena"
S3_SECRET = "athena-s3"
S3_KEY, S3_SECRET_KEY = "athena", "athena-secret"  # moto accepts any credentials
NODE = "localhost"  # the node name doubles as the address the API server dials for logs (see docs/cluster.md)
SERVICE_CIDR = "10.96.0.0/24"

NICE = int(os.environ.get("ATHENA_CLUSTER_NICE", "19"))
PORT_BASE = int(os.environ.get("ATHENA_CLUSTER_PORT_BASE", "31400"))
PORTS = {
    "etcd": PORT_BASE, "etcd-peer": PORT_BASE + 1, "kube-apiserver": PORT_BASE + 2, "s3": PORT_BASE + 3,
    "kube-controller-manager": PORT_BASE + 4, "kube-scheduler": PORT_BASE + 5, "kubelet": PORT_BASE + 6,
    "kubelet-healthz": PORT_BASE + 7, "containerd-stream": PORT_BASE + 8, "argo-server": PORT_BASE + 9,
}  # fmt: skip

# Start-up bounds per component, in seconds.
TIMEOUTS = {
    "s3": 30, "etcd": 30, "kube-apiserver": 120, "kube-controller-manager": 60, "kube-scheduler": 60,
    "containerd": 30, "kubelet": 120, "workflow-controller": 90, "apiserver-bridge": 10,
    "argo-server": 90, "argo-server-bridge": 10,
}  # fmt: skip


class ClusterError(Exception):
    pass


STEP = ["start-up"]  # the component being started, for error messages


def log(msg: str) -> None:
    print(f"cluster: {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------------------------
# building


def go_env(cgo: bool = True) -> dict[str, str]:
    env = dict(os.environ)
    env.update(GOMODCACHE=str(CACHE / "gomod"), GOCACHE=str(CACHE / "gobuild"), GOTOOLCHAIN="local",
               GOFLAGS="-p=1 -buildvcs=false -trimpath")  # fmt: skip
    if not cgo:
        env["CGO_ENABLED"] = "0"
    return env


def run(argv: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None, what: str = "",
        nice: bool = False, capture: bool = False) -> str:  # fmt: skip
    if nice:
        argv = ["nice", "-n", "19", *argv]
    proc = subprocess.run(argv, env=env, cwd=cwd, text=True, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE if capture else None,
                          stderr=subprocess.PIPE if capture else None)  # fmt: skip
    if proc.returncode != 0:
        detail = (proc.stderr or "")[-3000:] if capture else ""
        raise ClusterError(f"{what or argv[0]} failed (exit {proc.returncode}): {' '.join(argv)}\n{detail}")
    return proc.stdout or ""


def timed(label: str, fn: Callable[[], None]) -> None:
    t0 = time.monotonic()
    fn()
    log(f"{label}: {time.monotonic() - t0:.1f}s")


def bin_dir() -> Path:
    return CACHE / "bin"


def etcd_bin() -> Path:
    return bin_dir() / f"etcd-{ETCD}"


def k8s_bin(name: str) -> Path:
    return bin_dir() / f"k8s-{K8S}" / name


def argo_bin(line: str, name: str) -> Path:
    return bin_dir() / f"argo-{argo_version(line)[1]}" / name


def argo_version(line: str) -> tuple[str, str]:
    if line not in ARGO:
        raise ClusterError(f"unknown Argo line {line!r}; one of {', '.join(ARGO)}")
    mv = ARGO[line]
    if mv is None:
        raise ClusterError(f"Argo {line} cannot be built here: the Go module proxy serves no v{line}.x of "
                           "github.com/argoproj/argo-workflows/v4 (v4.1.0-v4.1.2 answer '403 Forbidden: This module "
                           "version is not available'); see docs/cluster.md")  # fmt: skip
    return mv


def build_etcd() -> None:
    if etcd_bin().exists():
        return
    src = CACHE / "src" / f"etcd-{ETCD}"
    src.mkdir(parents=True, exist_ok=True)
    (src / "go.mod").write_text("module athena.local/cluster/etcd\n\ngo 1.24\n")
    (src / "tools.go").write_text('//go:build tools\n\npackage tools\n\nimport _ "go.etcd.io/etcd/server/v3"\n')
    env = go_env()
    log(f"building etcd {ETCD} (go.etcd.io/etcd/server/v3)")
    run(["go", "get", f"go.etcd.io/etcd/server/v3@{ETCD}"], env=env, cwd=src, nice=True, what="go get etcd")
    run(["go", "build", "-o", str(etcd_bin()), "go.etcd.io/etcd/server/v3"], env=env, cwd=src, nice=True,
        what="building etcd")  # fmt: skip


K8S_COMMANDS = ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet")


def build_k8s() -> None:
    missing = [c for c in K8S_COMMANDS if not k8s_bin(c).exists()]
    if not missing:
        return
    src = CACHE / "src" / f"k8s-{K8S}"
    src.mkdir(parents=True, exist_ok=True)
    env = go_env()
    staging = "v0." + K8S.removeprefix("v1.")
    if not (src / "go.sum").exists():
        # k8s.io/kubernetes points its staging modules (k8s.io/api, k8s.io/client-go, ...) at ./staging paths that
        # are not in its module zip: pin each to the published release of the same version.
        run(["go", "mod", "download", f"k8s.io/kubernetes@{K8S}"], env=env, cwd=src, nice=True, what="go mod download")
        mod = (CACHE / "gomod" / "cache" / "download" / "k8s.io" / "kubernetes" / "@v" / f"{K8S}.mod").read_text()
        staged = [line.split()[0] for line in mod.splitlines() if "=> ./staging/" in line]
        lines = ["module athena.local/cluster/k8s", "", "go 1.24.0", "", f"require k8s.io/kubernetes {K8S}", "",
                 "replace ("] + [f"\t{m} => {m} {staging}" for m in staged] + [")", ""]  # fmt: skip
        (src / "go.mod").write_text("\n".join(lines))
        imports = "\n".join(f'\t_ "k8s.io/kubernetes/cmd/{c}"' for c in K8S_COMMANDS)
        (src / "tools.go").write_text(f"//go:build tools\n\npackage tools\n\nimport (\n{imports}\n)\n")
        run(["go", "mod", "tidy"], env=env, cwd=src, nice=True, what="go mod tidy (k8s)")
    minor = K8S.split(".")[1]
    ld = (f"-s -w -X k8s.io/component-base/version.gitVersion={K8S} -X k8s.io/component-base/version.gitMajor=1 "
          f"-X k8s.io/component-base/version.gitMinor={minor} -X k8s.io/component-base/version.gitTreeState=clean "
          f"-X k8s.io/client-go/pkg/version.gitVersion={K8S}")  # fmt: skip
    k8s_bin("x").parent.mkdir(parents=True, exist_ok=True)
    for c in missing:
        log(f"building {c} {K8S} (k8s.io/kubernetes/cmd/{c})")
        run(["go", "build", "-ldflags", ld, "-o", str(k8s_bin(c)), f"k8s.io/kubernetes/cmd/{c}"], env=env, cwd=src,
            nice=True, what=f"building {c}")  # fmt: skip


def argo_src(line: str) -> Path:
    mod, ver = argo_version(line)
    return CACHE / "gomod" / f"{mod}@{ver}"


def argo_tree(line: str) -> Path:
    """A writable copy of the Argo module with what the module zip lost put back: upstream's `signal_linux.go` is a
    symlink to `signal_darwin.go`, and Go module zips drop symlinks, so argoexec does not build for Linux from the
    module as served (`undefined: Setpgid`). The copy restores the symlink; nothing else differs."""
    mod, ver = argo_version(line)
    dst = CACHE / "src" / f"argo-{ver}"
    if not (dst / "go.mod").exists():
        if not argo_src(line).exists():
            run(["go", "mod", "download", f"{mod}@{ver}"], env=go_env(), cwd=CACHE, nice=True,
                what=f"downloading {mod}@{ver}")  # fmt: skip
        tmp = dst.with_name(dst.name + ".part")
        shutil.rmtree(tmp, ignore_errors=True)
        run(["cp", "-r", "--no-preserve=mode", str(argo_src(line)), str(tmp)], what="copying the Argo module")
        for d in ("workflow/executor/osspecific", "workflow/executor/os-specific"):
            darwin, linux = tmp / d / "signal_darwin.go", tmp / d / "signal_linux.go"
            if darwin.exists() and not linux.exists():
                linux.symlink_to("signal_darwin.go")
        tmp.rename(dst)
    return dst


def build_argo(line: str) -> None:
    mod, ver = argo_version(line)
    want = [argo_bin(line, "workflow-controller"), argo_bin(line, "argoexec")]
    if all(p.exists() for p in want):
        return
    env = go_env(cgo=False)  # argoexec runs in a busybox-less image: static
    tree = argo_tree(line)
    ld = f"-s -w -X {mod}.version={ver} -X {mod}.gitTreeState=clean -X {mod}.gitTag={ver}"
    want[0].parent.mkdir(parents=True, exist_ok=True)
    for p in want:
        if p.exists():
            continue
        log(f"building Argo {p.name} {ver}")
        # Built as the main module, in the copy: Argo's own go.mod, go.sum and replaces.
        run(["go", "build", "-ldflags", ld, "-o", str(p), f"./cmd/{p.name}"], env=env, cwd=tree, nice=True,
            what=f"building Argo {p.name} {ver}")  # fmt: skip


def build_argo_cli(line: str) -> Path:
    """Argo's own `argo` command, which holds `argo server` (the Argo Server: REST API + UI). Its UI is a webpack
    build that Go embeds from ui/dist/app, which the module zip does not carry; an index page stands in for the
    UI (only the API is used here), so the embed compiles. The server itself is upstream's, unchanged."""
    mod, ver = argo_version(line)
    out = argo_bin(line, "argo")
    if out.exists():
        return out
    tree = argo_tree(line)
    ui = tree / "ui" / "dist" / "app"
    if not (ui / "index.html").exists():
        ui.mkdir(parents=True, exist_ok=True)
        (ui / "index.html").write_text('<html><head><base href="/"></head><body>Argo UI not built (API only)'
                                       "</body></html>\n")
    log(f"building Argo argo (the CLI with `argo server`) {ver}")
    ld = f"-s -w -X {mod}.version={ver} -X {mod}.gitTreeState=clean -X {mod}.gitTag={ver}"
    out.parent.mkdir(parents=True, exist_ok=True)
    run(["go", "build", "-ldflags", ld, "-o", str(out), "./cmd/argo"], env=go_env(cgo=False), cwd=tree, nice=True,
        what=f"building Argo argo {ver}")  # fmt: skip
    return out


def _build_argo_cli(line: str) -> None:
    build_argo_cli(line)


def build_pause() -> Path:
    out = bin_dir() / f"pause-{K8S}"
    if not out.exists():
        src = CACHE / "gomod" / f"k8s.io/kubernetes@{K8S}" / "build" / "pause" / "linux" / "pause.c"
        log("building pause (k8s.io/kubernetes build/pause/linux/pause.c, gcc -static)")
        run(["gcc", "-Os", "-static", f'-DVERSION="{K8S}"', "-o", str(out), str(src)], nice=True, what="gcc pause")
    return out


def _build_pause() -> None:
    build_pause()


def build_all(line: str) -> None:
    timed("build etcd", build_etcd)
    timed("build kubernetes", build_k8s)
    timed("build pause", _build_pause)
    timed(f"build argo {line}", lambda: build_argo(line))
    timed(f"build argo server {line}", lambda: _build_argo_cli(line))


# ---------------------------------------------------------------------------------------------------------------
# images (built with `podman import`, moved into containerd with `ctr import`; no registry)


def podman_has(image: str) -> bool:
    return subprocess.run(["podman", "image", "exists", image], stdin=subprocess.DEVNULL).returncode == 0


def make_image(name: str, files: dict[str, Path | None], changes: list[str]) -> None:
    """`podman import` a rootfs of `files` (path in image -> host file, None = a directory)."""
    if podman_has(name):
        return
    tar_path = CACHE / "images" / (name.replace("/", "_").replace(":", "_") + ".rootfs.tar")
    tar_path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(tar_path, "w") as tar:
        for dest, host in files.items():
            if host is None:
                info = tarfile.TarInfo(dest)
                info.type, info.mode = tarfile.DIRTYPE, 0o1777 if dest == "tmp" else 0o755
                tar.addfile(info)
            else:
                tar.add(str(host), arcname=dest)
    argv = ["podman", "import"]
    for c in changes:
        argv += ["--change", c]
    run([*argv, str(tar_path), name], what=f"podman import {name}", capture=True)


def pause_image() -> str:
    name = f"localhost/athena-pause:{K8S}"
    make_image(name, {"pause": build_pause()}, ['ENTRYPOINT ["/pause"]'])
    return name


def argoexec_image(line: str) -> str:
    ver = argo_version(line)[1]
    name = f"localhost/athena-argoexec:{ver}"
    passwd = CACHE / "images" / "passwd"
    passwd.parent.mkdir(parents=True, exist_ok=True)
    passwd.write_text("root:x:0:0:root:/root:/sbin/nologin\nargo:x:8737:8737:argo:/home/argo:/sbin/nologin\n")
    make_image(name, {"bin": None, "tmp": None, "etc": None, "etc/passwd": passwd,
                      "bin/argoexec": argo_bin(line, "argoexec")},
               ["ENV PATH=/bin:/usr/bin", 'ENTRYPOINT ["argoexec"]', "USER 8737"])  # fmt: skip
    return name


# The test images of scripts/setup-podman, made available to the kubelet when podman has them.
USER_IMAGES = ("localhost/athena-bb:1", "localhost/athena-bb-arm64:1", "localhost/athena-debpy:1")


# ---------------------------------------------------------------------------------------------------------------
# PKI and kubeconfigs


def pki(d: Path) -> None:
    d.mkdir(parents=True, exist_ok=True)
    ossl = ["openssl"]
    run([*ossl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(d / "ca.key"), "-out",
         str(d / "ca.crt"), "-days", "3650", "-subj", "/CN=athena-cluster-ca"], what="openssl CA", capture=True)  # fmt: skip
    run([*ossl, "genrsa", "-out", str(d / "sa.key"), "2048"], what="openssl sa key", capture=True)
    run([*ossl, "rsa", "-in", str(d / "sa.key"), "-pubout", "-out", str(d / "sa.pub")], what="openssl", capture=True)
    sans = ("IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,"
            "DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local")  # fmt: skip
    certs = {  # name: (CN, O, SANs)
        "apiserver": ("kube-apiserver", "", sans),
        "admin": ("athena-admin", "system:masters", ""),
        "apiserver-kubelet-client": ("kube-apiserver-kubelet-client", "system:masters", ""),
        "controller-manager": ("system:kube-controller-manager", "", "IP:127.0.0.1,DNS:localhost"),
        "scheduler": ("system:kube-scheduler", "", "IP:127.0.0.1,DNS:localhost"),
        "kubelet": (f"system:node:{NODE}", "system:nodes", "IP:127.0.0.1,DNS:localhost"),
    }
    for name, (cn, org, san) in certs.items():
        subj = f"/CN={cn}" + (f"/O={org}" if org else "")
        ext = d / f"{name}.ext"
        ext.write_text("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
                       "extendedKeyUsage=serverAuth,clientAuth\n" + (f"subjectAltName={san}\n" if san else ""))  # fmt: skip
        run([*ossl, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(d / f"{name}.key"), "-out",
             str(d / f"{name}.csr"), "-subj", subj], what=f"openssl {name}", capture=True)  # fmt: skip
        run([*ossl, "x509", "-req", "-in", str(d / f"{name}.csr"), "-CA", str(d / "ca.crt"), "-CAkey",
             str(d / "ca.key"), "-CAcreateserial", "-out", str(d / f"{name}.crt"), "-days", "3650", "-extfile",
             str(ext)], what=f"openssl sign {name}", capture=True)  # fmt: skip
    for f in d.iterdir():
        if f.suffix == ".key":
            f.chmod(0o600)


def kubeconfig(path: Path, user: str, namespace: str = "default") -> Path:
    p = STATE / "pki"
    server = f"https://127.0.0.1:{PORTS['kube-apiserver']}"
    doc = {
        "apiVersion": "v1", "kind": "Config", "current-context": "athena",
        "clusters": [{"name": "athena", "cluster": {"server": server, "certificate-authority": str(p / "ca.crt")}}],
        "users": [{"name": user, "user": {"client-certificate": str(p / f"{user}.crt"),
                                          "client-key": str(p / f"{user}.key")}}],
        "contexts": [{"name": "athena", "context": {"cluster": "athena", "user": user, "namespace": namespace}}],
    }  # fmt: skip
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


# ---------------------------------------------------------------------------------------------------------------
# a small Kubernetes client (admin certificate, JSON over HTTPS)

_PLURALS = {"Endpoints": "endpoints"}
_CLUSTER_SCOPED = {"Namespace", "Node", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition",
                   "ClusterWorkflowTemplate", "PriorityClass", "PersistentVolume", "StorageClass"}  # fmt: skip


class KubeError(Exception):
    def __init__(self, status: int, body: Any, what: str) -> None:
        msg = body.get("message") if isinstance(body, dict) else body
        super().__init__(f"{what}: HTTP {status}: {msg}")
        self.status, self.body = status, body


class Kube:
    """JSON over HTTPS to the API server with a client certificate, from a kubeconfig this script wrote."""

    def __init__(self, kubeconfig_path: Path | str) -> None:
        cfg = yaml.safe_load(Path(kubeconfig_path).read_text())
        cluster = cfg["clusters"][0]["cluster"]
        user = cfg["users"][0]["user"]
        self.server = cluster["server"].rstrip("/")
        self.ctx = ssl.create_default_context(cafile=cluster["certificate-authority"])
        self.ctx.load_cert_chain(user["client-certificate"], user["client-key"])

    def request(self, method: str, path: str, body: Any = None, *, content_type: str = "application/json",
                timeout: float = 30) -> Any:  # fmt: skip
        data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        req = urllib.request.Request(self.server + path, data=data, method=method,
                                     headers={"Content-Type": content_type, "Accept": "application/json"})  # fmt: skip
        try:
            with urllib.request.urlopen(req, context=self.ctx, timeout=timeout) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as e:
            raw = e.read()
            try:
                parsed: Any = json.loads(raw)
            except ValueError:
                parsed = raw.decode(errors="replace")
            raise KubeError(e.code, parsed, f"{method} {path}") from None
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            return raw.decode(errors="replace")

    def get(self, path: str, **kw: Any) -> Any:
        return self.request("GET", path, **kw)

    @staticmethod
    def path_of(doc: dict[str, Any], namespace: str | None = None, *, name: bool = True) -> str:
        api, kind = doc["apiVersion"], doc["kind"]
        prefix = "/api/v1" if api == "v1" else f"/apis/{api}"
        plural = _PLURALS.get(kind) or (kind.lower() + ("es" if kind.endswith("s") else "s"))
        ns = doc.get("metadata", {}).get("namespace") or namespace
        if kind not in _CLUSTER_SCOPED:
            if not ns:
                raise ClusterError(f"{kind} {doc['metadata'].get('name')} needs a namespace")
            prefix += f"/namespaces/{ns}"
        out = f"{prefix}/{plural}"
        return f"{out}/{doc['metadata']['name']}" if name else out

    def apply(self, doc: dict[str, Any], namespace: str | None = None, *, dry_run: bool = False) -> Any:
        """Server-side apply (creates or updates), with strict field validation."""
        q = "?fieldManager=athena-cluster&force=true&fieldValidation=Strict" + ("&dryRun=All" if dry_run else "")
        return self.request("PATCH", self.path_of(doc, namespace) + q, doc,
                            content_type="application/apply-patch+yaml")  # fmt: skip

    def create(self, doc: dict[str, Any], namespace: str | None = None, *, dry_run: bool = False) -> Any:
        q = "?fieldValidation=Strict" + ("&dryRun=All" if dry_run else "")
        return self.request("POST", self.path_of(doc, namespace, name=False) + q, doc)

    def delete(self, doc: dict[str, Any], namespace: str | None = None) -> None:
        try:
            self.request("DELETE", self.path_of(doc, namespace))
        except KubeError as e:
            if e.status != 404:
                raise


def load_env() -> dict[str, str]:
    """The values `scripts/cluster env` prints, or {} when no cluster is up."""
    f = STATE / "env.json"
    return json.loads(f.read_text()) if f.exists() else {}


# ---------------------------------------------------------------------------------------------------------------
# processes


def _state_file() -> Path:
    return STATE / "state.json"


def read_state() -> dict[str, Any]:
    f = _state_file()
    return json.loads(f.read_text()) if f.exists() else {"procs": []}


def write_state(st: dict[str, Any]) -> None:
    _state_file().write_text(json.dumps(st, indent=1))


def _cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []


def _starttime(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


class Procs:
    def __init__(self) -> None:
        self.state = read_state()
        self.popen: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        STEP[0] = name
        # The machine is shared: every component (and so every pod, through containerd) runs at low priority.
        argv = ["nice", "-n", str(NICE), *argv]
        logf = open(STATE / "logs" / f"{name}.log", "ab")  # noqa: SIM115 - the child owns it
        p = subprocess.Popen(argv, stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                             start_new_session=True, env=env, cwd=STATE)  # fmt: skip
        logf.close()
        self.popen[name] = p
        self.state["procs"].append({"name": name, "pid": p.pid, "start": _starttime(p.pid)})
        write_state(self.state)
        return p

    def wait(self, name: str, check: Callable[[], bool], timeout: float | None = None) -> None:
        timeout = timeout or TIMEOUTS[name]
        p = self.popen[name]
        deadline, last = time.monotonic() + timeout, "not ready"
        t0 = time.monotonic()
        while True:
            if p.poll() is not None:
                raise ClusterError(f"{name} exited with code {p.returncode} during start-up\n{tail(name)}")
            try:
                if check():
                    log(f"{name} ready ({time.monotonic() - t0:.1f}s)")
                    return
            except Exception as e:  # a check that raises is "not ready yet"
                last = f"{type(e).__name__}: {e}"
            if time.monotonic() > deadline:
                raise ClusterError(f"{name} did not become ready within {timeout:.0f}s (last check: {last})\n"
                                   f"{tail(name)}")  # fmt: skip
            time.sleep(0.5)


def tail(name: str, n: int = 25) -> str:
    f = STATE / "logs" / f"{name}.log"
    if not f.exists():
        return f"(no log {f})"
    lines = f.read_text(errors="replace").splitlines()[-n:]
    return f"--- last lines of {f}:\n" + "\n".join(lines)


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _http_ok(url: str, ctx: ssl.SSLContext | None = None, expect: str | None = None) -> bool:
    with urllib.request.urlopen(url, timeout=3, context=ctx) as r:
        body = r.read().decode(errors="replace")
    return r.status == 200 and (expect is None or expect in body)


def _insecure() -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


# ---------------------------------------------------------------------------------------------------------------
# up


def moto_server() -> str:
    explicit = os.environ.get("ATHENA_CLUSTER_MOTO")
    if explicit:
        return explicit
    venv = Path(os.environ.get("ATHENA_TEST_VENV") or REPO / ".venv")
    for cand in (venv / "bin" / "moto_server", Path(sys.executable).parent / "moto_server"):
        if cand.exists():
            return str(cand)
    found = shutil.which("moto_server")
    if not found:
        raise ClusterError("s3: moto_server not found (the repo's test venv has it: scripts/test creates .venv)")
    return found


def containerd_sock() -> Path:
    return STATE / "containerd" / "containerd.sock"


def ctr(*args: str, capture: bool = True) -> str:
    return run(["ctr", "--address", str(containerd_sock()), "--namespace", "k8s.io", *args], capture=capture,
               what="ctr " + " ".join(args[:2]))  # fmt: skip


def import_image(name: str) -> None:
    """podman image -> docker-archive tar (cached by image id) -> containerd's k8s.io namespace."""
    if name in ctr("images", "ls", "-q").split():
        return
    iid = run(["podman", "image", "inspect", "--format", "{{.Id}}", name], capture=True, what="podman inspect").strip()
    tar = CACHE / "images" / f"{iid[:16]}.docker.tar"
    if not tar.exists():
        tmp = tar.with_suffix(".part")
        tmp.unlink(missing_ok=True)
        run(["podman", "save", "--format", "docker-archive", "-o", str(tmp), name], capture=True,
            what=f"podman save {name}")  # fmt: skip
        tmp.rename(tar)
    ctr("images", "import", "--all-platforms", str(tar))


def write_configs(line: str, apiserver_sock: Path) -> dict[str, Path]:
    s = STATE
    (s / "cni").mkdir(exist_ok=True)
    (s / "cni" / "10-athena-loopback.conflist").write_text(json.dumps(
        {"cniVersion": "0.4.0", "name": "athena-loopback", "plugins": [{"type": "loopback"}]}))  # fmt: skip
    containerd_conf = s / "containerd.toml"
    cri = '[plugins."io.containerd.grpc.v1.cri"'
    containerd_conf.write_text(f"""version = 2
root = "{CACHE / 'containerd'}"
state = "{s / 'containerd' / 'state'}"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
                    "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.devmapper",
                    "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]
[grpc]
  address = "{containerd_sock()}"
[ttrpc]
  address = "{containerd_sock()}.ttrpc"
[metrics]
  address = ""
[debug]
  address = ""
[plugins]
  {cri}]
    sandbox_image = "{pause_image()}"
    stream_server_address = "127.0.0.1"
    stream_server_port = "{PORTS['containerd-stream']}"
    disable_apparmor = true
    restrict_oom_score_adj = true
  {cri}.containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
  {cri}.containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
  {cri}.containerd.runtimes.runc.options]
    SystemdCgroup = false
    BinaryName = "{shutil.which('runc') or '/usr/sbin/runc'}"
  {cri}.cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "{s / 'cni'}"
  [plugins."io.containerd.internal.v1.opt"]
    path = "{s / 'containerd' / 'opt'}"
""")
    p = s / "pki"
    kubelet_conf = s / "kubelet.yaml"
    kubelet_conf.write_text(yaml.safe_dump({
        "apiVersion": "kubelet.config.k8s.io/v1beta1", "kind": "KubeletConfiguration",
        "address": "127.0.0.1", "port": PORTS["kubelet"], "readOnlyPort": 0,
        "healthzBindAddress": "127.0.0.1", "healthzPort": PORTS["kubelet-healthz"],
        "tlsCertFile": str(p / "kubelet.crt"), "tlsPrivateKeyFile": str(p / "kubelet.key"),
        "authentication": {"anonymous": {"enabled": False}, "webhook": {"enabled": False},
                           "x509": {"clientCAFile": str(p / "ca.crt")}},
        "authorization": {"mode": "AlwaysAllow"},
        "cgroupDriver": "cgroupfs", "cgroupsPerQOS": False, "enforceNodeAllocatable": [],
        "failSwapOn": False, "failCgroupV1": False,
        "containerRuntimeEndpoint": f"unix://{containerd_sock()}",
        "podLogsDir": str(s / "pod-logs"),
        "evictionHard": {"memory.available": "100Mi", "nodefs.available": "1%", "imagefs.available": "1%",
                         "nodefs.inodesFree": "1%"},
        "imageGCHighThresholdPercent": 100, "imageGCLowThresholdPercent": 99,
        "serializeImagePulls": False, "resolvConf": "/etc/resolv.conf",
        "clusterDomain": "cluster.local", "maxPods": 110,
    }, sort_keys=False))  # fmt: skip
    return {"containerd": containerd_conf, "kubelet": kubelet_conf}


def controller_configmap(line: str) -> dict[str, Any]:
    executor = {
        "imagePullPolicy": "Never",
        # Pods share the host's network namespace (workflowDefaults below), so the API server is on loopback;
        # the kubernetes Service's ClusterIP has no kube-proxy behind it.
        "env": [{"name": "KUBERNETES_SERVICE_HOST", "value": "127.0.0.1"},
                {"name": "KUBERNETES_SERVICE_PORT", "value": str(PORTS["kube-apiserver"])}],
        "securityContext": {"runAsNonRoot": True, "runAsUser": 8737, "allowPrivilegeEscalation": False,
                            "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}},
    }  # fmt: skip
    repo = {"s3": {"bucket": BUCKET, "endpoint": f"127.0.0.1:{PORTS['s3']}", "insecure": True, "region": "us-east-1",
                   "accessKeySecret": {"name": S3_SECRET, "key": "accessKey"},
                   "secretKeySecret": {"name": S3_SECRET, "key": "secretKey"}}}  # fmt: skip
    defaults = {"spec": {"hostNetwork": True}}
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "workflow-controller-configmap", "namespace": ARGO_NAMESPACE},
            "data": {"executor": yaml.safe_dump(executor), "artifactRepository": yaml.safe_dump(repo),
                     "workflowDefaults": yaml.safe_dump(defaults)}}  # fmt: skip


def crd_flavour(line: str, override: str | None) -> str:
    # Each line's own default install: minimal CRDs (no schema) up to 3.7, full CRDs (CEL rules) from 4.0.
    return override or ("full" if line.startswith("4") else "minimal")


def install_argo(kube: Kube, line: str, crds: str) -> None:
    src = argo_tree(line) / "manifests"
    crd_dir = src / "base" / "crds" / crds
    names = []
    for f in sorted(crd_dir.glob("argoproj.io_*.yaml")):
        doc = yaml.safe_load(f.read_text())
        kube.apply(doc)
        names.append(doc["metadata"]["name"])
    deadline = time.monotonic() + 60
    for n in names:
        while True:
            crd = kube.get(f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{n}")
            conds = {c["type"]: c["status"] for c in (crd.get("status") or {}).get("conditions") or []}
            if conds.get("Established") == "True":
                break
            if time.monotonic() > deadline:
                raise ClusterError(f"argo CRDs: {n} not Established within 60s: {conds}")
            time.sleep(0.5)
    for ns in (ARGO_NAMESPACE, NAMESPACE):
        kube.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    role = yaml.safe_load((src / "quick-start" / "base" / "executor" / "emissary" / "executor-role.yaml").read_text())
    role["metadata"]["namespace"] = NAMESPACE
    kube.apply(role)
    kube.apply({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                "metadata": {"name": "executor-default", "namespace": NAMESPACE},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role["metadata"]["name"]},
                "subjects": [{"kind": "ServiceAccount", "name": "default", "namespace": NAMESPACE}]})  # fmt: skip
    kube.apply({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": S3_SECRET, "namespace": NAMESPACE},
                "stringData": {"accessKey": S3_KEY, "secretKey": S3_SECRET_KEY}})  # fmt: skip
    kube.apply(controller_configmap(line))


def wait_default_sa(kube: Kube) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            kube.get(f"/api/v1/namespaces/{NAMESPACE}/serviceaccounts/default")
            kube.get(f"/api/v1/namespaces/{NAMESPACE}/configmaps/kube-root-ca.crt")
            return
        except KubeError:
            if time.monotonic() > deadline:
                raise ClusterError("kube-controller-manager: no ServiceAccount 'default' or ConfigMap "
                                   f"'kube-root-ca.crt' in namespace {NAMESPACE} after 60s\n"
                                   f"{tail('kube-controller-manager')}") from None  # fmt: skip
            time.sleep(0.5)


def node_ready(kube: Kube) -> bool:
    node = kube.get(f"/api/v1/nodes/{NODE}")
    conds = {c["type"]: c for c in (node.get("status") or {}).get("conditions") or []}
    ready = conds.get("Ready", {})
    if ready.get("status") != "True":
        raise ClusterError(f"node {NODE}: Ready={ready.get('status')} {ready.get('message', '')}")
    return True


# Debian packages `up` installs when missing (what the tool needs -> its package).
DEBIAN = {"containerd": "containerd", "ctr": "containerd", "socat": "socat", "/usr/lib/cni/loopback":
          "containernetworking-plugins", "curl": "curl", "ip": "iproute2", "nsenter": "util-linux", "gcc": "gcc",
          "openssl": "openssl"}  # fmt: skip


def install_debian_packages() -> None:
    missing = sorted({pkg for tool, pkg in DEBIAN.items()
                      if not (Path(tool).exists() if tool.startswith("/") else shutil.which(tool))})  # fmt: skip
    if not missing:
        return
    log(f"installing Debian packages: {' '.join(missing)} (apt-get)")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    run(["apt-get", "update", "-qq"], env=env, what="apt-get update", capture=True)
    run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing], env=env,
        what=f"apt-get install {' '.join(missing)}", capture=True)  # fmt: skip


def up(line: str, crds: str | None, keep: bool, control_plane_only: bool = False, argo_server: bool = False) -> None:
    t_start = time.monotonic()
    _, ver = argo_version(line)
    st = read_state()
    live = [p for p in st["procs"] if _ours(p)]
    if live:
        env = load_env()
        if (env.get("ATHENA_CLUSTER_ARGO") == ver and len(live) == len(st["procs"])
                and bool(st.get("control_plane_only")) == control_plane_only
                and bool(st.get("argo_server")) == argo_server):
            log(f"already up (Argo {ver})")
            print(env["KUBECONFIG"])
            return
        raise ClusterError(f"a cluster is already (partly) running with Argo {env.get('ATHENA_CLUSTER_ARGO')}: "
                           "run scripts/cluster down first")  # fmt: skip
    if os.geteuid() != 0 and not control_plane_only:
        raise ClusterError("scripts/cluster up needs root (containerd, the kubelet and its mounts)")
    # --control-plane-only: etcd, kube-apiserver, Argo's CRDs (and S3); nothing that needs root or the host's
    # cgroups, so it can run beside a full instance (another ATHENA_CLUSTER_PORT_BASE / _STATE).
    if not control_plane_only:
        install_debian_packages()
    tools = ("go", "openssl") if control_plane_only else (
        "go", "gcc", "openssl", "podman", "containerd", "ctr", "runc", "socat", "unshare", "nsenter", "curl", "ip")
    if argo_server:
        if os.geteuid() != 0:
            raise ClusterError("--argo-server needs root (the server runs in a network namespace of its own)")
        tools = (*tools, "socat", "unshare", "ip")
    for tool in tools:
        if shutil.which(tool) is None:
            raise ClusterError(f"{tool} is not installed (docs/cluster.md lists the Debian packages)")
    if not control_plane_only and not Path("/usr/lib/cni/loopback").exists():
        raise ClusterError("/usr/lib/cni/loopback is missing: apt-get install containernetworking-plugins")
    moto = moto_server()
    busy = [f"{n} ({p})" for n, p in PORTS.items() if not _port_free(p)]
    if busy:
        raise ClusterError(f"ports in use on 127.0.0.1: {', '.join(busy)} (set ATHENA_CLUSTER_PORT_BASE)")

    if control_plane_only:
        build_etcd()
        build_k8s()
        build_argo(line)
    else:
        build_all(line)
    if argo_server:
        timed(f"build argo server {line}", lambda: _build_argo_cli(line))
    t_built = time.monotonic()

    _wipe_state()
    for d in ("logs", "pki", "etcd", "kubelet", "containerd", "pod-logs"):
        (STATE / d).mkdir(parents=True, exist_ok=True)
    procs = Procs()
    procs.state["control_plane_only"] = control_plane_only
    procs.state["argo_server"] = argo_server
    write_state(procs.state)
    try:
        try:
            _start(procs, line, ver, crds, moto, control_plane_only)
            if argo_server:
                start_argo_server(procs, line)
        except (ClusterError, KeyboardInterrupt):
            raise
        except Exception as e:
            import traceback

            where = traceback.extract_tb(e.__traceback__)[-1]
            raise ClusterError(f"{STEP[0]}: unexpected {type(e).__name__}: {e} (at {Path(where.filename).name}:"
                               f"{where.lineno})") from e  # fmt: skip
    except BaseException:
        if not keep:
            log("start-up failed: stopping what was started (--keep leaves it running)")
            down(quiet=True)
        raise
    log(f"up in {time.monotonic() - t_start:.1f}s (build/check {t_built - t_start:.1f}s, "
        f"start {time.monotonic() - t_built:.1f}s)")  # fmt: skip
    print(load_env()["KUBECONFIG"])


def _start(procs: Procs, line: str, ver: str, crds: str | None, moto: str, control_plane_only: bool = False) -> None:
    p = STATE / "pki"
    pki(p)
    admin_kc = kubeconfig(STATE / "kubeconfig", "admin", NAMESPACE)
    ctrl_kc = kubeconfig(STATE / "controller.kubeconfig", "admin", ARGO_NAMESPACE)
    kcm_kc = kubeconfig(STATE / "controller-manager.kubeconfig", "controller-manager")
    sched_kc = kubeconfig(STATE / "scheduler.kubeconfig", "scheduler")
    kubelet_kc = kubeconfig(STATE / "kubelet.kubeconfig", "kubelet")
    apiserver_sock = STATE / "apiserver.sock"
    confs = write_configs(line, apiserver_sock)

    # S3
    s3 = f"http://127.0.0.1:{PORTS['s3']}"
    procs.start("s3", [moto, "-H", "127.0.0.1", "-p", str(PORTS["s3"])])
    procs.wait("s3", lambda: _http_ok(s3 + "/moto-api/"))
    urllib.request.urlopen(urllib.request.Request(f"{s3}/{BUCKET}", method="PUT"), timeout=10).read()

    # etcd
    etcd_url = f"http://127.0.0.1:{PORTS['etcd']}"
    procs.start("etcd", [str(etcd_bin()), "--name", "athena", "--data-dir", str(STATE / "etcd"),
                         "--listen-client-urls", etcd_url, "--advertise-client-urls", etcd_url,
                         "--listen-peer-urls", f"http://127.0.0.1:{PORTS['etcd-peer']}",
                         "--initial-advertise-peer-urls", f"http://127.0.0.1:{PORTS['etcd-peer']}",
                         "--initial-cluster", f"athena=http://127.0.0.1:{PORTS['etcd-peer']}",
                         "--listen-metrics-urls", "", "--unsafe-no-fsync", "--quota-backend-bytes", str(2 << 30),
                         "--log-level", "warn"])  # fmt: skip
    procs.wait("etcd", lambda: _http_ok(etcd_url + "/health", expect='"health":"true"'))

    # kube-apiserver
    procs.start("kube-apiserver", [
        str(k8s_bin("kube-apiserver")), "--etcd-servers", etcd_url,
        "--bind-address", "127.0.0.1", "--advertise-address", "127.0.0.1", "--secure-port", str(PORTS["kube-apiserver"]),
        "--tls-cert-file", str(p / "apiserver.crt"), "--tls-private-key-file", str(p / "apiserver.key"),
        "--client-ca-file", str(p / "ca.crt"), "--cert-dir", str(STATE / "pki"),
        "--service-account-issuer", "https://kubernetes.default.svc.cluster.local",
        "--service-account-key-file", str(p / "sa.pub"), "--service-account-signing-key-file", str(p / "sa.key"),
        "--service-cluster-ip-range", SERVICE_CIDR, "--authorization-mode", "Node,RBAC",
        "--enable-admission-plugins", "NodeRestriction",
        "--kubelet-client-certificate", str(p / "apiserver-kubelet-client.crt"),
        "--kubelet-client-key", str(p / "apiserver-kubelet-client.key"),
        "--kubelet-preferred-address-types", "Hostname", "--profiling=false", "--v=1",
    ])  # fmt: skip
    kube = Kube(admin_kc)
    procs.wait("kube-apiserver", lambda: kube.get("/readyz") is not None)
    if control_plane_only:
        flavour = crd_flavour(line, crds)
        install_argo(kube, line, flavour)
        log(f"control plane only: Argo {ver} CRDs ({flavour}); no controller-manager, kubelet or controller")
        _write_env(admin_kc, s3, ver, flavour)
        return

    # controller-manager (service accounts, kube-root-ca.crt, garbage collection) and scheduler
    procs.start("kube-controller-manager", [
        str(k8s_bin("kube-controller-manager")), "--kubeconfig", str(kcm_kc),
        "--authentication-kubeconfig", str(kcm_kc), "--authorization-kubeconfig", str(kcm_kc),
        "--bind-address", "127.0.0.1", "--secure-port", str(PORTS["kube-controller-manager"]),
        "--service-account-private-key-file", str(p / "sa.key"), "--root-ca-file", str(p / "ca.crt"),
        "--use-service-account-credentials=true", "--leader-elect=false", "--cert-dir", str(STATE / "pki"),
        "--controllers", "*,-nodeipam,-cloud-node-lifecycle,-service-lb-controller,-route", "--v=1",
    ])  # fmt: skip
    kcm = f"https://127.0.0.1:{PORTS['kube-controller-manager']}/healthz"
    procs.wait("kube-controller-manager", lambda: _http_ok(kcm, _insecure()))
    procs.start("kube-scheduler", [
        str(k8s_bin("kube-scheduler")), "--kubeconfig", str(sched_kc),
        "--authentication-kubeconfig", str(sched_kc), "--authorization-kubeconfig", str(sched_kc),
        "--bind-address", "127.0.0.1", "--secure-port", str(PORTS["kube-scheduler"]), "--leader-elect=false",
        "--cert-dir", str(STATE / "pki"), "--v=1",
    ])  # fmt: skip
    sched = f"https://127.0.0.1:{PORTS['kube-scheduler']}/healthz"
    procs.wait("kube-scheduler", lambda: _http_ok(sched, _insecure()))

    # containerd, the images, the kubelet
    procs.start("containerd", ["containerd", "--config", str(confs["containerd"])])
    procs.wait("containerd", lambda: bool(ctr("version")))
    t0 = time.monotonic()
    STEP[0] = "importing images into containerd"
    images = [pause_image(), argoexec_image(line)] + [i for i in USER_IMAGES if podman_has(i)]
    for image in images:
        import_image(image)
    log(f"images in containerd ({time.monotonic() - t0:.1f}s): {', '.join(images)}")
    procs.start("kubelet", [
        str(k8s_bin("kubelet")), "--config", str(confs["kubelet"]), "--kubeconfig", str(kubelet_kc),
        "--root-dir", str(STATE / "kubelet"), "--hostname-override", NODE, "--v=1",
    ])  # fmt: skip
    procs.wait("kubelet", lambda: node_ready(kube))

    # Argo
    flavour = crd_flavour(line, crds)
    STEP[0] = f"installing Argo {ver} (CRDs, RBAC, configmap)"
    t0 = time.monotonic()
    install_argo(kube, line, flavour)
    wait_default_sa(kube)
    log(f"Argo {ver} CRDs ({flavour}), RBAC, secret, configmap installed ({time.monotonic() - t0:.1f}s)")
    # The controller listens on :6060 and :9090 on every interface, so it runs in a network namespace of its own
    # with only a loopback; socat carries its API traffic over a unix socket to the API server on loopback.
    port = PORTS["kube-apiserver"]
    procs.start("apiserver-bridge", ["socat", f"UNIX-LISTEN:{apiserver_sock},fork,mode=600",
                                     f"TCP:127.0.0.1:{port}"])  # fmt: skip
    procs.wait("apiserver-bridge", lambda: apiserver_sock.exists())
    inner = (f"ip link set lo up && (socat TCP-LISTEN:{port},bind=127.0.0.1,fork,reuseaddr UNIX-CONNECT:{apiserver_sock} &) "
             f"&& exec {argo_bin(line, 'workflow-controller')} --kubeconfig {ctrl_kc} --namespace {ARGO_NAMESPACE} "
             f"--executor-image {argoexec_image(line)} --executor-image-pull-policy Never --loglevel info")  # fmt: skip
    env = dict(os.environ, LEADER_ELECTION_DISABLE="true")
    ctl = procs.start("workflow-controller", ["unshare", "--net", "--", "sh", "-c", inner], env=env)

    def healthy() -> bool:
        out = subprocess.run(["nsenter", "--target", str(ctl.pid), "--net", "--", "curl", "-sf", "-o", "/dev/null",
                              "-w", "%{http_code}", "http://127.0.0.1:6060/healthz"],
                             capture_output=True, text=True, timeout=10)  # fmt: skip
        return out.stdout.strip() == "200"

    procs.wait("workflow-controller", healthy)

    _write_env(admin_kc, s3, ver, flavour)


def start_argo_server(procs: Procs, line: str) -> None:
    """Argo's real `argo server` (REST API), TLS with its self-signed certificate, auth modes `server` (no
    Authorization header: the server's own admin kubeconfig) and `client` (the caller's bearer token is its
    Kubernetes token). It listens on every interface, so, like the controller, it runs in a network namespace of
    its own; socat carries the API server in and the server's port out, both over unix sockets, to loopback."""
    port, inner_port = PORTS["argo-server"], 2746
    api_port = PORTS["kube-apiserver"]
    apiserver_sock, server_sock = STATE / "apiserver.sock", STATE / "argo-server.sock"
    if "apiserver-bridge" not in procs.popen:
        procs.start("apiserver-bridge", ["socat", f"UNIX-LISTEN:{apiserver_sock},fork,mode=600",
                                         f"TCP:127.0.0.1:{api_port}"])  # fmt: skip
        procs.wait("apiserver-bridge", lambda: apiserver_sock.exists())
    kc = STATE / "controller.kubeconfig"
    inner = (f"ip link set lo up "
             f"&& (socat TCP-LISTEN:{api_port},bind=127.0.0.1,fork,reuseaddr UNIX-CONNECT:{apiserver_sock} &) "
             f"&& (socat UNIX-LISTEN:{server_sock},fork,mode=600 TCP:127.0.0.1:{inner_port} &) "
             # client mode builds each caller's REST config from $KUBECONFIG (the default loading rules), not
             # from --kubeconfig: both are needed.
             f"&& exec env KUBECONFIG={kc} {argo_bin(line, 'argo')} server --kubeconfig {kc} "
             f"--namespace {ARGO_NAMESPACE} "
             f"--port {inner_port} --auth-mode server --auth-mode client --x-frame-options DENY --loglevel info")
    procs.start("argo-server", ["unshare", "--net", "--", "sh", "-c", inner])
    procs.wait("argo-server", lambda: server_sock.exists())
    procs.start("argo-server-bridge", ["socat", f"TCP-LISTEN:{port},bind=127.0.0.1,fork,reuseaddr",
                                       f"UNIX-CONNECT:{server_sock}"])  # fmt: skip
    url = f"https://127.0.0.1:{port}"
    procs.wait("argo-server-bridge", lambda: _http_ok(url + "/api/v1/version", _insecure(), expect='"version"'))
    env = load_env()
    env["ATHENA_CLUSTER_ARGO_SERVER"] = url
    (STATE / "env.json").write_text(json.dumps(env, indent=1))


def _write_env(admin_kc: Path, s3: str, ver: str, flavour: str) -> None:
    env_out = {
        "KUBECONFIG": str(admin_kc),
        "AWS_ENDPOINT_URL": s3, "AWS_ACCESS_KEY_ID": S3_KEY, "AWS_SECRET_ACCESS_KEY": S3_SECRET_KEY,
        "AWS_REGION": "us-east-1",
        "ATHENA_CLUSTER_S3_ENDPOINT": f"127.0.0.1:{PORTS['s3']}", "ATHENA_CLUSTER_S3_BUCKET": BUCKET,
        "ATHENA_CLUSTER_S3_SECRET": S3_SECRET, "ATHENA_CLUSTER_NAMESPACE": NAMESPACE,
        "ATHENA_CLUSTER_ARGO": ver, "ATHENA_CLUSTER_K8S": K8S, "ATHENA_CLUSTER_CRDS": flavour,
    }  # fmt: skip
    (STATE / "env.json").write_text(json.dumps(env_out, indent=1))


# ---------------------------------------------------------------------------------------------------------------
# down


def _mounts_under(root: Path) -> list[str]:
    out = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        mp = line.split()[4].replace("\\040", " ")
        if mp == str(root) or mp.startswith(str(root) + "/"):
            out.append(mp)
    return out


def _our_shims() -> list[int]:
    """containerd-shim processes of *our* containerd (their command line names our socket), by pid."""
    sock = str(containerd_sock())
    pids = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            cmd = _cmdline(int(d.name))
            if cmd and "containerd-shim" in cmd[0] and sock in cmd:
                pids.append(int(d.name))
    return pids


def _ours(p: dict[str, Any]) -> bool:
    """Still the process we started (same pid *and* start time), and running."""
    return _alive(p["pid"]) and _starttime(p["pid"]) == p["start"]


def _stop(p: dict[str, Any], grace: float = 10) -> None:
    pid, name = p["pid"], p["name"]
    if not _ours(p):
        return  # gone, or the pid now belongs to someone else
    try:
        os.killpg(pid, signal.SIGTERM)  # its own session and group (start_new_session)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.2)
    if _alive(pid):
        log(f"{name} (pid {pid}) ignored SIGTERM for {grace:.0f}s: SIGKILL")
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)


def _reap_containers() -> None:
    if not containerd_sock().exists():
        return
    try:
        for task in ctr("tasks", "ls", "-q").split():
            subprocess.run(["ctr", "--address", str(containerd_sock()), "-n", "k8s.io", "tasks", "kill", "-s", "SIGKILL",
                            task], capture_output=True, timeout=20)  # fmt: skip
        time.sleep(1)
        for task in ctr("tasks", "ls", "-q").split():
            subprocess.run(["ctr", "--address", str(containerd_sock()), "-n", "k8s.io", "tasks", "rm", "-f", task],
                           capture_output=True, timeout=20)  # fmt: skip
        for c in ctr("containers", "ls", "-q").split():
            subprocess.run(["ctr", "--address", str(containerd_sock()), "-n", "k8s.io", "containers", "rm", c],
                           capture_output=True, timeout=20)  # fmt: skip
    except (ClusterError, subprocess.TimeoutExpired) as e:
        log(f"cleaning containers: {e}")


def down(quiet: bool = False) -> int:
    st = read_state()
    procs = st.get("procs", [])
    order = {n: i for i, n in enumerate(p["name"] for p in procs)}
    # The kubelet first (so it restarts nothing), then the containers, then containerd and the rest.
    for p in sorted(procs, key=lambda p: (p["name"] != "workflow-controller", p["name"] != "kubelet",
                                          -order[p["name"]])):  # fmt: skip
        if p["name"] == "containerd":
            _reap_containers()
        _stop(p)
    for pid in _our_shims():
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    for mp in sorted(_mounts_under(STATE) + _mounts_under(CACHE / "containerd"), key=len, reverse=True):
        if subprocess.run(["umount", mp], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", mp], capture_output=True)
    if not st.get("control_plane_only"):  # it started nothing that writes outside its state directory
        _clean_host_leftovers()
    left = [f"{p['name']} (pid {p['pid']})" for p in procs if _ours(p)] + [
        f"containerd-shim (pid {pid})" for pid in _our_shims()]
    mounts = _mounts_under(STATE) + _mounts_under(CACHE / "containerd")
    if _state_file().exists():
        _state_file().unlink()
    (STATE / "env.json").unlink(missing_ok=True)
    if left or mounts:
        log(f"still running: {left}; still mounted: {mounts}")
        return 1
    if not quiet:
        log(f"down: stopped {len(procs)} processes; logs kept in {STATE / 'logs'}")
    return 0


def _clean_host_leftovers() -> None:
    """What the kubelet and containerd write outside our directories: /var/log/containers symlinks into our pod
    logs, and the (empty, once the containers are gone) `k8s.io` cgroups of containerd's namespace."""
    logs = Path("/var/log/containers")
    if logs.is_dir():
        for link in logs.iterdir():
            if link.is_symlink() and os.readlink(link).startswith(str(STATE) + "/"):
                link.unlink()
    for ctl in Path("/sys/fs/cgroup").iterdir():
        top = ctl / "k8s.io"
        if not top.is_dir():
            continue
        for d in [*sorted((p for p in top.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True), top]:
            with contextlib.suppress(OSError):  # not empty (someone's processes): leave it
                d.rmdir()


def _wipe_state() -> None:
    if _mounts_under(STATE):
        raise ClusterError(f"mounts left under {STATE}: run scripts/cluster down")
    if STATE.exists():
        logs = STATE / "logs"
        prev = STATE.parent / (STATE.name + "-last-logs")
        if logs.exists():
            shutil.rmtree(prev, ignore_errors=True)
            logs.rename(prev)
        shutil.rmtree(STATE)
    STATE.mkdir(parents=True)


# ---------------------------------------------------------------------------------------------------------------


def status() -> int:
    st = read_state()
    env = load_env()
    if not st["procs"]:
        print("no cluster")
        return 1
    for p in st["procs"]:
        print(f"{p['name']:24} pid {p['pid']:>7}  {'running' if _ours(p) else 'DEAD'}")
    if env:
        print(f"Argo {env['ATHENA_CLUSTER_ARGO']}, Kubernetes {env['ATHENA_CLUSTER_K8S']}, KUBECONFIG={env['KUBECONFIG']}")
    return 0 if all(_ours(p) for p in st["procs"]) else 1


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="scripts/cluster")
    sub = ap.add_subparsers(dest="cmd", required=True)
    u = sub.add_parser("up")
    u.add_argument("--argo", default=os.environ.get("ATHENA_CLUSTER_ARGO_LINE", DEFAULT_ARGO), choices=list(ARGO))
    u.add_argument("--crds", choices=["full", "minimal"], default=None,
                   help="default: the line's own default install (minimal for 3.x, full for 4.x)")
    u.add_argument("--keep", action="store_true", help="leave a failed start-up running, to look at it")
    u.add_argument("--control-plane-only", action="store_true",
                   help="only S3, etcd, kube-apiserver and Argo's CRDs (no root needed; coexists with a full instance)")
    u.add_argument("--argo-server", action="store_true",
                   help="also run Argo's real `argo server` (its REST API, TLS, auth modes server and client)")
    b = sub.add_parser("build")
    b.add_argument("--argo", default=DEFAULT_ARGO, choices=list(ARGO))
    sub.add_parser("down")
    sub.add_parser("env")
    sub.add_parser("status")
    a = ap.parse_args(argv)
    try:
        if a.cmd == "up":
            up(a.argo, a.crds, a.keep, a.control_plane_only, a.argo_server)
        elif a.cmd == "build":
            t0 = time.monotonic()
            build_all(a.argo)
            log(f"built in {time.monotonic() - t0:.1f}s")
        elif a.cmd == "down":
            return down()
        elif a.cmd == "env":
            env = load_env()
            if not env:
                log("no cluster is up (scripts/cluster up)")
                return 1
            for k, v in env.items():
                print(f"export {k}={v}")
        elif a.cmd == "status":
            return status()
    except ClusterError as e:
        log(f"error: {e}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
