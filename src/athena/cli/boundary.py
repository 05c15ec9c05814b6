"""The one error boundary: every exception a command raises becomes a message and an exit code here.

* an :class:`~athena.errors.AthenaError` is the user's to fix: one message, exit 1 (a CompileError keeps
  its rendered diagnostics and the "athena: N errors" footer; an AppImportError shows the user's frames);
* a module missing from athena's own imports means the ``cli`` extra is not installed: how to install it, 1;
* click's usage errors: click's message, exit 2;
* anything else is athena's bug: "athena: internal error, please report it: <type>: <message>", exit 70
  (``EX_SOFTWARE``), the traceback only with ``--debug``.
"""

from __future__ import annotations

import click

from athena.cli import missing_dependency
from athena.cli.state import State
from athena.errors import AthenaError, CompileError

__all__ = ["EXIT_INTERNAL", "EXIT_USER", "run"]

EXIT_USER = 1
EXIT_INTERNAL = 70  # sysexits.h EX_SOFTWARE


def run(argv: list[str]) -> int:
    """Parse ``argv``, run the command, and turn whatever it raised into a message and an exit code."""
    from athena.cli.root import cli

    state = State()
    try:
        result = cli.main(args=argv, prog_name="athena", standalone_mode=False, obj=state)
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.Abort:
        click.echo("Aborted!", err=True)
        return 1
    except SystemExit as exc:  # click exits by itself on a broken stdout pipe
        return exc.code if isinstance(exc.code, int) else 1
    except CompileError as exc:
        n = len(exc.diagnostics)
        click.echo(f"{exc.render()}\n\nathena: {n} error{'s' if n != 1 else ''}", err=True)
        return EXIT_USER
    except AthenaError as exc:
        click.echo(f"athena: {exc}", err=True)
        return EXIT_USER
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.split(".")[0] != "athena":
            click.echo(missing_dependency(exc.name), err=True)
            return EXIT_USER
        return _internal(exc, state.debug)
    except Exception as exc:
        return _internal(exc, state.debug)
    return result if isinstance(result, int) else 0


def _internal(exc: Exception, debug: bool) -> int:
    if debug:
        import traceback

        click.echo("".join(traceback.format_exception(exc)).rstrip(), err=True)
    click.echo(f"athena: internal error, please report it: {type(exc).__name__}: {exc}", err=True)
    if not debug:
        click.echo("athena: run again with --debug for the traceback", err=True)
    return EXIT_INTERNAL
