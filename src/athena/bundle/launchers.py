"""The sh launchers and the Python entry script of a bundle target (DESIGN §5.1, packaging.md §3).

Every script runs with ``/bin/sh`` in an image that may hold nothing but ``sh`` and ``uname``: only shell
built-ins are used (``case``, ``[``, ``command -v``, ``exec``), paths come from ``${0%/*}``, and ``chmod``
is only reached when the loader lost its exec bit. The bundled interpreter is started through its own glibc
loader, so the image's libc (if any) is never used; ``--argv0`` makes ``sys.executable`` the ``python``
wrapper, so ``subprocess.run([sys.executable, ...])`` and multiprocessing re-execute the same way.

``__athena_main__.py`` puts ``app/`` first on ``sys.path`` (like a script's directory) and ``site-packages/``
(with its ``.pth`` files) right after the stdlib, ahead of any site directory of an image's own Python: a
PyPI backport named like a stdlib module cannot shadow the stdlib, and nothing installed in the image can
shadow the bundle.
"""

from __future__ import annotations

from athena.runtime import protocol

__all__ = ["PYTHON_FLAGS", "bundled_run_script", "image_run_script", "main_script", "python_wrapper"]

#: How the pod's interpreter runs: isolated (no PYTHON* env, no user site), never writing bytecode into
#: /athena/bin, unbuffered, UTF-8 without locales.
PYTHON_FLAGS = "-I -B -u -X utf8"

_HERE = 'case "$0" in */*) d=${0%/*} ;; *) d=. ;; esac\n'


def bundled_run_script(*, loader: str, python: str) -> str:
    """``app-<arch>/run`` for a bundled interpreter: the loader execs ``python/bin/python3.X`` directly."""
    return (
        "#!/bin/sh\n"
        "# athena: start the bundled CPython through its own glibc loader (written by athena build)\n"
        f"{_HERE}"
        f'ld="$d/libc/{loader}"\n'
        '[ -x "$ld" ] || chmod +x "$ld" 2>/dev/null || :\n'
        f'exec "$ld" --library-path "$d/libc:$d/python/lib" --argv0 "$d/python/bin/python" '
        f'"$d/python/bin/python{python}" {PYTHON_FLAGS} "$d/{protocol.MAIN_SCRIPT}" "$@"\n'
    )


def python_wrapper(*, loader: str, python: str) -> str:
    """``app-<arch>/python/bin/python``: what ``sys.executable`` names; any arguments pass through."""
    return (
        "#!/bin/sh\n"
        "# athena: the bundled CPython through its own glibc loader (written by athena build)\n"
        f"{_HERE}"
        f'ld="$d/../../libc/{loader}"\n'
        '[ -x "$ld" ] || chmod +x "$ld" 2>/dev/null || :\n'
        f'exec "$ld" --library-path "$d/../../libc:$d/../lib" --argv0 "$0" "$d/python{python}" "$@"\n'
    )


def image_run_script(*, python: str) -> str:
    """``app-<arch>/run`` for ``interpreter = "image"``: the image's ``python3.X`` (else ``python3``)."""
    return (
        "#!/bin/sh\n"
        "# athena: run with the image's own Python (written by athena build)\n"
        f"{_HERE}"
        f"for p in python{python} python3 python; do\n"
        '  if command -v "$p" >/dev/null 2>&1; then\n'
        f'    exec "$p" {PYTHON_FLAGS} "$d/{protocol.MAIN_SCRIPT}" "$@"\n'
        "  fi\n"
        "done\n"
        f'echo "athena: this image has no python{python} or python3 on PATH; the bundle was built with '
        f'interpreter = \\"image\\" and needs the image to provide Python {python}" >&2\n'
        f"exit {protocol.EXIT_UNSUPPORTED_ARCH}\n"
    )


def main_script(*, python: str, tmp_fallback: str = protocol.TMP_FALLBACK) -> str:
    """``app-<arch>/app/__athena_main__.py``: ``sys.path``, ``TMPDIR``, then the runtime.

    Written for any Python 3 so that a wrong image interpreter gets the version message, not a
    SyntaxError. Guarded by ``__name__`` so multiprocessing's spawn can import it without re-running.
    """
    major, minor = (int(x) for x in python.split("."))
    return f'''"""athena's pod entry point (written by athena build; DESIGN §5.1)."""
import os
import sys


def _writable(path):
    return bool(path) and os.path.isdir(path) and os.access(path, os.W_OK | os.X_OK)


def _setup():
    import site

    app = os.path.dirname(os.path.abspath(__file__))
    site_packages = os.path.join(os.path.dirname(app), "site-packages")
    if site_packages in sys.path:  # already set up (a multiprocessing child importing this file)
        return
    # app/ first (as a script's directory would be); site-packages/ (with its .pth files) right after the
    # stdlib, ahead of any site directory of the image's own Python
    end = len(sys.path)
    site.addsitedir(site_packages)
    added = sys.path[end:]
    del sys.path[end:]
    at = end
    for i, entry in enumerate(sys.path):
        if entry.endswith(("site-packages", "dist-packages")):
            at = i
            break
    sys.path[at:at] = added
    sys.path.insert(0, app)
    if not (_writable(os.environ.get("TMPDIR")) or _writable("/tmp")):
        try:
            os.makedirs({tmp_fallback!r}, exist_ok=True)
        except OSError:
            pass
        os.environ["TMPDIR"] = {tmp_fallback!r}


if sys.version_info[:2] != ({major}, {minor}):
    sys.stderr.write("athena: this bundle was built for Python {python} but %s runs Python %d.%d\\n"
                     % (sys.executable, sys.version_info[0], sys.version_info[1]))
    raise SystemExit({protocol.EXIT_PROTOCOL_ERROR})
_setup()

if __name__ == "__main__":
    from athena.runtime.main import main

    raise SystemExit(main())
'''
