#!/usr/bin/env python3
"""Generate docs/errors.md from athena.codes.CATALOGUE.

    python scripts/gen_errors_doc.py           # (re)write docs/errors.md
    python scripts/gen_errors_doc.py --check   # exit 1 if docs/errors.md is not what this script writes

Each code gets its title, what it means (``MEANINGS`` below; the catalogue itself holds only the title
and the hint) and what to do (the catalogue's hint, which is also what the compiler prints after
``hint:``). A code missing from ``MEANINGS`` is still documented, with its title and hint only, and a
warning is printed so that someone writes the explanation.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "errors.md"

sys.path.insert(0, str(ROOT / "src"))

from athena.codes import CATALOGUE  # noqa: E402

FAMILIES: list[tuple[str, str, str]] = [
    ("ATH1", "ATH1xx: workflow body grammar",
     "The workflow body is read, not executed, and only the forms of the guide's \"workflow body\" section "
     "are accepted. These are raised when the `@workflow` (or `@container`) decorator runs, that is, when "
     "the module is imported outside a pod; the few that need to know the other templates (ATH126 unknown "
     "names, ATH133 recursion, ATH136 empty body) are raised when the workflow is first compiled."),
    ("ATH2", "ATH2xx: types",
     "Raised when a workflow is first compiled (`athena check`, `athena emit`, the other `athena` commands "
     "that load an app, or a direct call of the workflow), because the templates it calls may be defined "
     "later in the module. Annotations are resolved then, exactly as the pod resolves them."),
    ("ATH3", "ATH3xx: decorator arguments and options",
     "Most are raised when the decorator runs and point at the offending keyword of the decorator call; "
     "parameter injection (ATH304) and target-version checks (ATH307) are made at compile time."),
    ("ATH4", "ATH4xx: names and Argo limits",
     "Argo's and Kubernetes' naming rules and size limits, checked before any YAML is written. A bad "
     "`name=` and a workflow's own parameter names are reported when the decorator runs; container "
     "parameter names, duplicate names and limits when the workflow is first compiled."),
    ("ATH6", "ATH6xx: resources and artifacts",
     "Problems with the `athena.host()` / `athena.load_artifact()` / `athena.save_artifact()` calls that "
     "athena collects statically from container and fragment bodies, when the app is compiled."),
]

MEANINGS: dict[str, str] = {
    # --- ATH1xx
    "ATH100": "athena reads a workflow's body from its source file. A workflow defined in `python -c`, "
              "the REPL or `exec()` has no file to read, so it cannot be compiled.",
    "ATH101": "The workflow body contains a `for` (or `async for`) statement. The body describes a fixed "
              "graph of tasks; it is never run as a loop.",
    "ATH102": "The workflow body contains a `while` loop.",
    "ATH103": "The workflow body contains a `match` statement.",
    "ATH104": "The workflow body contains `try` (or `try`/`except*`). Failures happen on the cluster, "
              "not in the body, so there is nothing for `except` to catch.",
    "ATH105": "The workflow body contains `with` (or `async with`).",
    "ATH106": "The workflow body contains `del`.",
    "ATH107": "The workflow body contains `global` or `nonlocal`.",
    "ATH108": "The workflow body contains an augmented assignment such as `x += 1`.",
    "ATH109": "The workflow body contains an assignment expression (`:=`), anywhere.",
    "ATH110": "A template call uses `*xs` or `**kw`. athena maps each argument to a parameter from the "
              "source, so every argument must be written out.",
    "ATH111": "The body calls something that is neither a `@container` nor a `@workflow`: a plain "
              "function, a class, or a value (`x()` where `x` is a binding or an input).",
    "ATH112": "The body calls a `@fragment`. Fragments are helpers that run inside containers; they are "
              "not tasks.",
    "ATH113": "The body calls a method on a value (`a.upper()`), or reaches an attribute of an object that "
              "is neither a module nor an `Enum` class. In a workflow body a binding stands for a task's "
              "future output; it has no methods.",
    "ATH114": "An argument computes a value: arithmetic (`a + 1`), an f-string, a unary operator on a "
              "binding, or a comparison or `and`/`or` outside a condition.",
    "ATH115": "An argument converts a value with a builtin such as `str(x)`, `int(x)`, `len(x)`, "
              "`sorted(x)`.",
    "ATH116": "A `return` is not the last statement of the workflow body (a `return` inside an `if` arm "
              "counts as not last).",
    "ATH117": "A name bound inside an arm of a statement `if` is used after the `if`. Which arm ran is only "
              "known on the cluster, so the name may not exist.",
    "ATH118": "A list comprehension is not a fan-out of the supported shape: it has more than one `for`, "
              "an `if` filter, a loop target that is not a single name, or an element that is not one "
              "template call.",
    "ATH119": "An arm of a value-if (`x = a(...) if c else b(...)`) uses `.options(...)`.",
    "ATH120": "A binding made with `continue_on` (an `Outcome`) is returned from the workflow or used as "
              "a fan-out source.",
    "ATH121": "A statement that a workflow body cannot hold: `import`, `def`, `class`, `assert`, `raise`, "
              "an expression statement that is not a template call (such as an unbound fan-out), an "
              "assignment to several or unpacked targets, or a binding that does not take the result of a "
              "template call, a value-if or a fan-out (`a = b`).",
    "ATH122": "An argument (or returned value) that is not one of: a literal, a workflow input, a binding, "
              "a field of one, or a template call. Also: an inline value-if or fan-out (bind it first), a "
              "list or dict containing bindings, indexing with anything but a string key (`xs[0]`), a "
              "template call inside a fan-out's element or as a hook argument, and returning a literal.",
    "ATH123": "A condition uses a form athena cannot lower: `is` with something other than `None`, `in` "
              "with something other than a literal tuple or list, a comparison of lists or dicts, or "
              "another expression.",
    "ATH124": "A condition tests the truthiness of a value that is not a `bool` (`if n:` with `n: int`).",
    "ATH125": "A condition uses a chained comparison such as `1 < x < 3`.",
    "ATH126": "A name is not a workflow parameter, an earlier binding, a module-level constant or a "
              "template.",
    "ATH127": "A `@workflow` is an `async def`.",
    "ATH128": "A `@container` is an `async def` (or an async generator). athena does not run event loops "
              "for you.",
    "ATH129": "A decorated function is defined inside a function or a class. The pod imports every "
              "template as `module:qualname`, so it must be a module-level name.",
    "ATH130": "A `.options(...)` call is malformed: positional arguments, an unknown keyword, "
              "`.options(...)` not followed by the call's own arguments, or a `hooks=` that is not a dict "
              "literal with non-empty string keys.",
    "ATH131": "A hook target is not a template or a lambda calling one: a lambda with parameters, a lambda "
              "whose body is not one template call, a hook argument that uses a binding the hooked task "
              "does not depend on, or an `on_exit_if_root=` that is not a template.",
    "ATH132": "`athena.host()`, `load_artifact()` or `save_artifact()` (or the `_str` variants) is called "
              "in a workflow body.",
    "ATH133": "A workflow calls itself, directly or through other workflows.",
    "ATH134": "A string literal in the workflow body contains `{{` (or a condition literal contains `}}`). "
              "Argo would treat it as its own template syntax, and Argo has no escape for it.",
    "ATH136": "The workflow body calls no template (it holds only a docstring, `pass` or nothing).",
    "ATH137": "A fan-out element uses `continue_on` together with hooks (`on_exit=`, `on_failure=`, "
              "`hooks=`, ...). `continue_on` alone on a fan-out is supported.",
    # --- ATH2xx
    "ATH201": "A template parameter or its return value has no annotation.",
    "ATH202": "An annotation is not a type that can travel between steps as JSON: for example `object`, "
              "`complex`, a type variable, a class that is not a dataclass/TypedDict/NamedTuple/msgspec "
              "Struct/pydantic model, or a `dict` whose keys are not strings.",
    "ATH203": "A value passed to a template parameter does not have the parameter's type: a literal that "
              "does not decode as the type, or a binding whose type is not assignable to it. Also raised "
              "when an annotated binding (`x: T = t(...)`) disagrees with the callee's return type.",
    "ATH204": "A call passes more positional arguments than the template takes.",
    "ATH205": "A call passes a keyword the template has no parameter for.",
    "ATH206": "A call omits a parameter that has no default.",
    "ATH207": "A field access names a field the type does not declare, or reaches into a value that has "
              "no fields that travel as JSON (an `Optional` or union value, an `Enum`, a datetime, an "
              "`Outcome`).",
    "ATH208": "The result of a template that returns `None` is passed on.",
    "ATH209": "The arms of a value-if return different types.",
    "ATH210": "A fan-out iterates over something that is not a list (or tuple, or set), or over a literal "
              "that is not a list.",
    "ATH211": "The workflow's return value does not match its declared return type, or the workflow "
              "declares a return type but has no `return`.",
    "ATH212": "A `continue_on` binding (`Outcome[T]`) is passed to a parameter that is not typed "
              "`Outcome[...]`.",
    "ATH213": "A comparison in a condition mixes scalar types (a `str` with an `int`), compares a "
              "non-scalar, or an `in (...)` lists a literal the value can never equal.",
    "ATH214": "An annotation cannot be evaluated at compile time, typically a name imported only under "
              "`if TYPE_CHECKING:` or a typo. The pod would fail the same way.",
    "ATH215": "A hook target given bare (`on_exit=cleanup`), or an `on_exit_if_root=` target, has "
              "parameters without defaults. An exit handler gets no arguments.",
    "ATH216": "An integer literal lies outside ±(2**53-1). Argo's expressions decode numbers as float64, "
              "so larger integers would silently lose precision.",
    "ATH217": "A literal or default value is not JSON: bytes, complex numbers, a dict with non-string "
              "keys, NaN or infinity, or a module-level constant of such a value.",
    "ATH218": "The same parameter is given twice, positionally and by keyword.",
    "ATH219": "A template has `*args`, `**kwargs` or positional-only parameters.",
    # --- ATH3xx
    "ATH301": "A decorator argument does not exist (`@container has no argument ...`, with a suggestion), "
              "or has the wrong type or an invalid value (for example an empty `image`, `parallelism=0`, a "
              "label value Kubernetes rejects, `Retry(factor=...)` without `backoff=`).",
    "ATH302": "A duration is not a positive whole number of seconds in an accepted form.",
    "ATH303": "A value that must be one of a fixed set is not (`Retry(policy=...)`, `pod_gc_if_root=`).",
    "ATH304": "A `{...}` in `image=`, `service_account=` or `node_selector=` does not name a `str`, `int` "
              "or `float` parameter (or field of one) of this container.",
    "ATH305": "A container-only argument is given to `@workflow`, or a workflow-only argument to "
              "`@container`.",
    "ATH306": "`continue_on=` is not a literal list of `\"failed\"` and/or `\"error\"` without repeats.",
    "ATH307": "An option needs a newer Argo than `[defaults].argo_version` (`Retry(cap=...)` needs 3.7).",
    # --- ATH4xx
    "ATH401": "A `name=` is not a valid Kubernetes name: lowercase letters, digits and `-`, starting and "
              "ending with a letter or digit, at most 63 characters.",
    "ATH402": "A parameter name or `name=` is a word that YAML 1.1 parsers (kubectl's among them) read as a "
              "bool or null: `y yes n no on off true false null ~`, in any case.",
    "ATH403": "Two templates get the same name, for example two functions with one name in different "
              "modules that share a prefix, or two `name=` overrides.",
    "ATH404": "One workflow body has more than 200 tasks, Argo v4's limit for one DAG.",
    "ATH405": "A template has more than 500 parameters, Argo v4's limit.",
    "ATH406": "Workflows nest (workflow calling workflow) more than 100 levels deep.",
    # --- ATH6xx
    "ATH601": "The key of `load_artifact()` / `save_artifact()` or the path of `host()` is not a string "
              "literal or a module-level string constant, so it cannot be known without running the code.",
}

HEADER = """\
<!-- Generated by scripts/gen_errors_doc.py from athena.codes.CATALOGUE. Do not edit by hand:
     run `python scripts/gen_errors_doc.py` after changing the catalogue. -->

# Errors

Every compile error athena reports has a stable code, a message, the place in your source and a hint:

```text
/src/flows/pipeline.py:12:36: error[ATH203]: `summarize` parameter `top_n` expects int, got "3"
 12 |     summary = summarize(raw, top_n="3")
    |                                    ^^^
hint: pass a value of the declared type

athena: 1 error
```

All errors found in one pass are reported together. Codes never change meaning and are never reused.
In Python they arrive as `athena.CompileError`; its `.diagnostics` hold the code, message, span and hint
of each one, and `.codes` lists the codes.

**When.** Most grammar errors (ATH1xx) and decorator-argument errors (ATH3xx) are raised when the
decorator runs, that is, when your module is imported outside a pod (inside a pod the decorators check
nothing). Type errors (ATH2xx) and most name, limit and resource errors (ATH4xx, ATH6xx) are raised when a
workflow is first compiled: by `athena check`, `athena emit` and the other commands that load an app, or
by a direct call of the workflow. Each section below says which.

"""

FOOTER = """\
## Configuration errors

Problems in `athena.toml` or `pyproject.toml` `[tool.athena]` raise `athena.ConfigError` (the CLI prints
`athena: <message>` and exits 1). They have no code; the message names the file and the TOML key:

| message (examples) | what to do |
|---|---|
| `athena.toml: unknown key [projekt] (did you mean [project]?)` | fix the key; unknown tables and keys are errors |
| `athena.toml: [bootstrap].targets[0]: expected one of x86_64, aarch64, got 'arm'` | use an accepted value |
| `athena.toml: [defaults].namespace: expected str, got int` | quote the value |
| `athena.toml: [artifact].key: '...' must contain {digest} so that different bundles never share a key` | keep `{digest}` in the key |
| `athena.toml: [artifact].key: unknown placeholder {x} (allowed: {project}, {version}, {digest})` | use only those placeholders |
| `athena.toml: [artifact_repository.s3].bucket: required unless repository names Argo's own` | set `bucket`, or drop the `[artifact_repository.s3]` table to use Argo's default artifact repository |
| `athena.toml: [defaults].argo_version: Argo 3.7.12 is not supported: ...` | use a supported version (3.6.19+, 3.7.16+, 4.0.7+, 4.1.x) |
| `athena.toml: [bootstrap].python: expected a Python version like "3.11", got ...` | write `"3.X"` as a string |
| `athena.toml:3:7: invalid TOML: ...` | fix the TOML syntax at that line and column |
| `athena.toml and pyproject.toml [tool.athena] are both athena configuration; keep one of them` | one directory may hold only one of the two |
| `nope.toml: configuration file not found (-c)` | fix the path given to `-c` or `$ATHENA_CONFIG` |
| `pyproject.toml: no [tool.athena] table` | a `pyproject.toml` named by `-c`/`$ATHENA_CONFIG` must have one |

## Exit codes of the `athena` command

| code | meaning |
|---|---|
| 0 | success |
| 1 | an error: compile errors (printed with their codes, then `athena: N errors`), a configuration error, an unknown app or template name, a failure while importing your module (its traceback is printed), `check` / `lint` finding schema problems, or a failed `build`, `publish` or download (the message says what to check) |
| 2 | a usage error reported by the command-line parser (unknown option, missing argument), or `athena` run without a command |

`athena container emulate` exits with the emulated container's exit code (see the reference's
[Pod exit codes](reference.md#pod-exit-codes)), or 1 when the container exited 0 but Argo would still fail
the step (a required output is missing) or the container could not be started.
"""


def render() -> str:
    for code in sorted(set(MEANINGS) - set(CATALOGUE)):
        print(f"gen_errors_doc: warning: {code} is in MEANINGS but not in the catalogue", file=sys.stderr)
    out = [HEADER]
    seen: set[str] = set()
    for prefix, heading, intro in FAMILIES:
        codes = sorted(c for c in CATALOGUE if c.startswith(prefix))
        if not codes:
            continue
        out.append(f"## {heading}\n\n{intro}\n\n")
        for code in codes:
            seen.add(code)
            out.append(_entry(code))
    rest = sorted(set(CATALOGUE) - seen)
    if rest:
        out.append("## Other codes\n\n")
        out.extend(_entry(code) for code in rest)
    out.append(FOOTER)
    return "".join(out)


def _entry(code: str) -> str:
    c = CATALOGUE[code]
    lines = [f"### {code}: {c.title}\n\n"]
    meaning = MEANINGS.get(code)
    if meaning is None:
        print(f"gen_errors_doc: warning: no explanation for {code} in MEANINGS", file=sys.stderr)
    else:
        lines.append(f"{meaning}\n\n")
    lines.append(f"**What to do:** {_sentence(c.hint)}\n\n")
    return "".join(lines)


def _sentence(text: str) -> str:
    text = text.strip()
    text = text[0].upper() + text[1:] if text and text[0].islower() else text
    return text if text.endswith((".", "!", "?", "`")) else text + "."


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/errors.md is stale")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = DOC.read_text(encoding="utf-8") if DOC.is_file() else ""
        if current == text:
            return 0
        diff = difflib.unified_diff(current.splitlines(keepends=True), text.splitlines(keepends=True),
                                    "docs/errors.md", "generated")
        sys.stderr.write("".join(diff))
        print("docs/errors.md is stale: run `python scripts/gen_errors_doc.py`", file=sys.stderr)
        return 1
    DOC.write_text(text, encoding="utf-8")
    print(f"wrote {DOC.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
