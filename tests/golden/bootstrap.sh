set -e
case "$(uname -m)" in
  x86_64|amd64) a=x86_64 ;;
  aarch64|arm64|armv8b|armv8l) a=aarch64 ;;
  *) echo "athena: unsupported architecture $(uname -m); this bundle has: x86_64 aarch64" >&2; exit 70 ;;
esac
b=/athena/bin/app-$a
[ -d "$b" ] || { echo "athena: the bundle at /athena/bin has no app-$a" >&2; exit 70; }
for ld in "$b"/libc/ld-linux*; do [ -e "$ld" ] || continue; [ -x "$ld" ] || chmod +x "$ld"; done
export HOME=/athena/home ATHENA_RUNTIME=1
[ -d /athena/home ] || mkdir -p /athena/home 2>/dev/null || :
exec /bin/sh "$b/run" "$@"
