#!/usr/bin/env bash
# tests/cluster on a kind cluster with Argo's released install manifest and MinIO: for machines with a Docker engine
# and image pulls (docs/e2e.md). Where neither exists, use scripts/cluster (docs/cluster.md) instead.
#
#   scripts/e2e-kind.sh [--argo v3.7.18] [--name athena-e2e] [--keep] [-- PYTEST_ARGS...]   (default: tests/cluster)
#
# UNTESTED: written on a machine without a Docker engine or image pulls, so it has only been checked with `bash -n`
# and shellcheck. It gives tests/cluster what `scripts/cluster up` gives them: `$ATHENA_CLUSTER_STATE/env.json` with
# the variables `scripts/cluster env` prints (tests/cluster/conftest.py reads them through load_env()), a kubeconfig
# whose credentials are files (the tests' small client in scripts/athena_cluster.py reads file paths, kind writes
# inline data), namespace `athena` with Argo's executor Role bound to `default`, the S3 secret `athena-s3`, a bucket
# `athena`, and the test images of scripts/setup-podman loaded into the node.
#
# Needs: docker (with a running engine), kind, kubectl, curl, a Python with pytest, PyYAML and boto3 (the repo's
# .venv from scripts/test, or ATHENA_TEST_VENV), and the images localhost/athena-bb:1, localhost/athena-bb-arm64:1,
# localhost/athena-debpy:1 in docker or podman (scripts/setup-podman builds them with podman). The aarch64 test needs
# a qemu-aarch64 binfmt handler with the F flag on the host (scripts/setup-podman registers one).
# Environment: ATHENA_E2E_S3_PORT (host port of MinIO, default 31903), ATHENA_E2E_MINIO_IMAGE,
# KIND_NODE_IMAGE (kind's default when unset), ATHENA_CLUSTER_STATE (default ${TMPDIR:-/tmp}/athena-e2e-kind).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
argo=v3.7.18
name=athena-e2e
keep=""
pytest_args=()
while [ "$#" -gt 0 ]; do
  case "$1" in
    --argo) argo=$2; shift 2 ;;
    --name) name=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    --) shift; pytest_args=("$@"); break ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "e2e-kind: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ "${#pytest_args[@]}" -gt 0 ] || pytest_args=(tests/cluster)
case "$argo" in v*) ;; *) argo=v$argo ;; esac

die() { echo "e2e-kind: error: $*" >&2; exit 1; }
step() { echo "== $*" >&2; }

for tool in docker kind kubectl curl base64; do
  command -v "$tool" >/dev/null || die "$tool is not installed"
done
docker info >/dev/null 2>&1 || die "docker cannot reach its engine (docker info failed)"
py=""
for cand in "${ATHENA_TEST_VENV:-$repo/.venv}/bin/python" python3; do
  if "$cand" -c 'import pytest, yaml, boto3' >/dev/null 2>&1; then py=$cand; break; fi
done
[ -n "$py" ] || die "no Python with pytest, PyYAML and boto3 (create the venv with scripts/test, or set ATHENA_TEST_VENV)"

state=${ATHENA_CLUSTER_STATE:-${TMPDIR:-/tmp}/athena-e2e-kind}
s3_port=${ATHENA_E2E_S3_PORT:-31903}
minio_image=${ATHENA_E2E_MINIO_IMAGE:-quay.io/minio/minio:latest}
namespace=athena
bucket=athena
s3_secret=athena-s3
s3_key=athena-e2e
s3_secret_key=athena-e2e-secret # MinIO wants 8 characters or more
# As pods reach MinIO (cluster DNS); the host reaches it on 127.0.0.1:$s3_port through kind's port mapping.
s3_in_cluster=minio.$namespace.svc.cluster.local:9000
images=(localhost/athena-bb:1 localhost/athena-bb-arm64:1 localhost/athena-debpy:1)

kind get clusters 2>/dev/null | grep -qx "$name" && die "a kind cluster named $name exists: kind delete cluster --name $name"
rm -rf "$state"
mkdir -p "$state"
cleanup() {
  if [ -z "$keep" ]; then
    kind delete cluster --name "$name" >/dev/null 2>&1 || true
  else
    echo "e2e-kind: left running: kind cluster $name, KUBECONFIG=$state/kubeconfig" >&2
  fi
}
trap cleanup EXIT

step "kind cluster $name (API server and MinIO on 127.0.0.1 only)"
cat >"$state/kind.yaml" <<EOF
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
networking:
  apiServerAddress: 127.0.0.1
nodes:
  - role: control-plane
    extraPortMappings:
      - containerPort: 30900
        hostPort: $s3_port
        listenAddress: 127.0.0.1
EOF
node_image=()
[ -z "${KIND_NODE_IMAGE:-}" ] || node_image=(--image "$KIND_NODE_IMAGE")
kind create cluster --name "$name" --config "$state/kind.yaml" --kubeconfig "$state/kind-kubeconfig" \
  "${node_image[@]}" --wait 180s

# scripts/athena_cluster.py's client loads the CA and the client certificate from files.
kcv() { kubectl --kubeconfig "$state/kind-kubeconfig" config view --raw --minify -o "jsonpath=$1"; }
server=$(kcv '{.clusters[0].cluster.server}')
kcv '{.clusters[0].cluster.certificate-authority-data}' | base64 -d >"$state/ca.crt"
kcv '{.users[0].user.client-certificate-data}' | base64 -d >"$state/admin.crt"
kcv '{.users[0].user.client-key-data}' | base64 -d >"$state/admin.key"
chmod 600 "$state/admin.key"
cat >"$state/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: $name
    cluster: {server: "$server", certificate-authority: "$state/ca.crt"}
users:
  - name: admin
    user: {client-certificate: "$state/admin.crt", client-key: "$state/admin.key"}
contexts:
  - name: $name
    context: {cluster: $name, user: admin}
current-context: $name
EOF
export KUBECONFIG=$state/kubeconfig
kubectl get --raw /readyz >/dev/null || die "the kubeconfig written to $KUBECONFIG does not reach the API server"

step "test images into the node: ${images[*]}"
for img in "${images[@]}"; do
  if docker image inspect "$img" >/dev/null 2>&1; then
    kind load docker-image "$img" --name "$name"
  elif command -v podman >/dev/null && podman image exists "$img"; then
    podman save --format docker-archive -o "$state/image.tar" "$img"
    kind load image-archive "$state/image.tar" --name "$name"
    rm -f "$state/image.tar"
  else
    die "image $img is neither in docker nor in podman: build it with scripts/setup-podman"
  fi
done

step "Argo $argo (the release's install.yaml)"
kubectl create namespace argo
# Server-side: the full CRDs of v4 are too large for the last-applied annotation of a client-side apply.
kubectl apply --server-side -n argo \
  -f "https://github.com/argoproj/argo-workflows/releases/download/$argo/install.yaml"
kubectl -n argo scale deployment/argo-server --replicas=0 # the UI/API server is not used by the tests

step "namespace $namespace: executor RBAC, S3 secret, MinIO"
kubectl apply --server-side --force-conflicts -f - <<EOF
apiVersion: v1
kind: Namespace
metadata: {name: $namespace}
---
# Argo's manifests/quick-start/base/executor/emissary/executor-role.yaml, as scripts/cluster installs it.
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: executor, namespace: $namespace}
rules:
  - apiGroups: [argoproj.io]
    resources: [workflowtaskresults]
    verbs: [create, patch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: executor-default, namespace: $namespace}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: executor}
subjects: [{kind: ServiceAccount, name: default, namespace: $namespace}]
---
apiVersion: v1
kind: Secret
metadata: {name: $s3_secret, namespace: $namespace}
stringData: {accessKey: $s3_key, secretKey: $s3_secret_key}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: minio, namespace: $namespace}
spec:
  replicas: 1
  selector: {matchLabels: {app: minio}}
  template:
    metadata: {labels: {app: minio}}
    spec:
      containers:
        - name: minio
          image: $minio_image
          args: [server, /data]
          env:
            - {name: MINIO_ROOT_USER, value: $s3_key}
            - {name: MINIO_ROOT_PASSWORD, value: $s3_secret_key}
          ports: [{containerPort: 9000}]
          readinessProbe: {httpGet: {path: /minio/health/ready, port: 9000}}
          volumeMounts: [{name: data, mountPath: /data}]
      volumes: [{name: data, emptyDir: {}}]
---
apiVersion: v1
kind: Service
metadata: {name: minio, namespace: $namespace}
spec:
  type: NodePort
  selector: {app: minio}
  ports: [{port: 9000, targetPort: 9000, nodePort: 30900}]
---
# What scripts/cluster's controller_configmap() sets, less what only its loopback cluster needs (host network,
# KUBERNETES_SERVICE_HOST, imagePullPolicy Never): the restricted executor and the artifact repository.
apiVersion: v1
kind: ConfigMap
metadata: {name: workflow-controller-configmap, namespace: argo}
data:
  executor: |
    securityContext:
      runAsNonRoot: true
      runAsUser: 8737
      allowPrivilegeEscalation: false
      capabilities: {drop: [ALL]}
      seccompProfile: {type: RuntimeDefault}
  artifactRepository: |
    s3:
      bucket: $bucket
      endpoint: $s3_in_cluster
      insecure: true
      region: us-east-1
      accessKeySecret: {name: $s3_secret, key: accessKey}
      secretKeySecret: {name: $s3_secret, key: secretKey}
EOF
kubectl -n argo rollout restart deployment/workflow-controller
kubectl -n argo rollout status deployment/workflow-controller --timeout=300s
kubectl -n "$namespace" rollout status deployment/minio --timeout=300s
for _ in $(seq 60); do
  kubectl -n "$namespace" get serviceaccount default >/dev/null 2>&1 && break
  sleep 1
done
kubectl -n "$namespace" get serviceaccount default >/dev/null || die "no ServiceAccount default in $namespace"

export AWS_ENDPOINT_URL=http://127.0.0.1:$s3_port AWS_ACCESS_KEY_ID=$s3_key AWS_SECRET_ACCESS_KEY=$s3_secret_key
export AWS_REGION=us-east-1
"$py" - "$bucket" <<'EOF'
import os, sys, time
import boto3
s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
for attempt in range(60):
    try:
        s3.create_bucket(Bucket=sys.argv[1])
        break
    except Exception as e:  # MinIO answers a moment after it reports ready through the NodePort
        if attempt == 59:
            raise SystemExit(f"e2e-kind: error: cannot create bucket {sys.argv[1]} on MinIO: {e}")
        time.sleep(2)
EOF

# What `scripts/cluster env` prints; tests/cluster read it from $ATHENA_CLUSTER_STATE/env.json (load_env()).
k8s=$(kubectl version -o json | "$py" -c 'import json, sys; print(json.load(sys.stdin)["serverVersion"]["gitVersion"])')
case "$argo" in v4*) crds=full ;; *) crds=minimal ;; esac
export ATHENA_CLUSTER_S3_ENDPOINT=$s3_in_cluster ATHENA_CLUSTER_S3_BUCKET=$bucket ATHENA_CLUSTER_S3_SECRET=$s3_secret
export ATHENA_CLUSTER_NAMESPACE=$namespace ATHENA_CLUSTER_ARGO=$argo ATHENA_CLUSTER_K8S=$k8s ATHENA_CLUSTER_CRDS=$crds
"$py" - "$state/env.json" <<'EOF'
import json, os, sys
keys = ["KUBECONFIG", "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION",
        "ATHENA_CLUSTER_S3_ENDPOINT", "ATHENA_CLUSTER_S3_BUCKET", "ATHENA_CLUSTER_S3_SECRET",
        "ATHENA_CLUSTER_NAMESPACE", "ATHENA_CLUSTER_ARGO", "ATHENA_CLUSTER_K8S", "ATHENA_CLUSTER_CRDS"]
env = {k: os.environ[k] for k in keys}
with open(sys.argv[1], "w") as f:
    json.dump(env, f, indent=1)
for k in keys:
    print(f"export {k}={env[k]}", file=sys.stderr)
EOF

step "pytest ${pytest_args[*]} against kind cluster $name (Argo $argo, Kubernetes $k8s)"
export ATHENA_CLUSTER_STATE=$state
unset ATHENA_CLUSTER # the cluster is up; the fixture must not try to start scripts/cluster's own
cd "$repo"
PYTHONPATH="$repo/src${PYTHONPATH:+:$PYTHONPATH}" "$py" -m pytest -p no:cacheprovider "${pytest_args[@]}"
