"""The catalogue of compile-error codes. ``docs/errors.md`` is generated from it.

Codes never change meaning and are never reused.
ATH1xx body grammar · ATH2xx types · ATH3xx decorator arguments and options · ATH4xx names and Argo limits ·
ATH6xx resources and artifacts.
"""

from __future__ import annotations

from dataclasses import dataclass

from athena.errors import Diagnostic, Note, Span


@dataclass(frozen=True, slots=True)
class Code:
    code: str
    title: str
    hint: str


CATALOGUE: dict[str, Code] = {}


def _c(code: str, title: str, hint: str) -> str:
    assert code not in CATALOGUE, code
    CATALOGUE[code] = Code(code, title, hint)
    return code


# --- ATH1xx: the workflow body grammar
NO_SOURCE = _c("ATH100", "workflow source not available",
               "define workflows in a .py file; code from `python -c`, the REPL or exec() has no source to read")
FOR_LOOP = _c("ATH101", "`for` loop in a workflow body",
              "fan out with a comprehension instead: `ys = [t(x) for x in xs]`")
WHILE_LOOP = _c("ATH102", "`while` loop in a workflow body",
                "a workflow is a DAG, not a program; repeat work with a fan-out or a retry")
MATCH = _c("ATH103", "`match` in a workflow body", "use `if`/`elif`/`else` with comparisons")
TRY = _c("ATH104", "`try` in a workflow body",
         "use `t.options(continue_on=[\"failed\"])(...)` to go on after a failure, or `on_failure=` hooks")
WITH = _c("ATH105", "`with` in a workflow body", "move the work into a @container function")
DEL = _c("ATH106", "`del` in a workflow body", "bindings cannot be deleted; just stop using it")
GLOBAL = _c("ATH107", "`global`/`nonlocal` in a workflow body", "pass values as workflow inputs")
AUG_ASSIGN = _c("ATH108", "augmented assignment in a workflow body",
                "arithmetic happens in containers: call a @container that computes the new value")
WALRUS = _c("ATH109", "`:=` in a workflow body", "bind with a plain assignment: `x = t(...)`")
STAR_ARGS = _c("ATH110", "`*args`/`**kwargs` at a call site", "pass each argument explicitly")
NOT_A_TEMPLATE = _c("ATH111", "call of something that is not a template",
                    "only @container and @workflow functions can be called in a workflow body")
FRAGMENT_CALL = _c("ATH112", "call of a @fragment in a workflow body",
                   "fragments are helpers for containers: call it from a @container body")
METHOD_CALL = _c("ATH113", "method call in a workflow body",
                 "values are placeholders for task outputs here; do the work in a @container")
ARITHMETIC = _c("ATH114", "arithmetic, f-string or operator on a value in a workflow body",
                "compute it in a @container and pass the result on")
CONVERSION = _c("ATH115", "conversion such as str(x) in a workflow body",
                "declare the parameter with the type you need, or convert inside a @container")
RETURN_NOT_LAST = _c("ATH116", "`return` that is not the last statement",
                     "a workflow returns once, at its end")
ARM_BINDING_ESCAPES = _c("ATH117", "binding made inside an `if` arm used after it",
                         "use a value-if instead: `x = a(...) if cond else b(...)`")
COMPREHENSION_SHAPE = _c("ATH118", "unsupported comprehension",
                         "a fan-out is exactly `[t(x, ...) for x in xs]`: one `for`, no `if`, one template call")
HOOK_ON_VALUE_IF = _c("ATH119", "hooks or options on a value-if arm",
                      "bind the arm's call first, or move the options to a statement `if`")
OUTCOME_MISUSE = _c("ATH120", "returning or fanning over an `Outcome` binding",
                    "pass the binding to a container whose parameter is typed `Outcome[...]`")
UNSUPPORTED_STATEMENT = _c("ATH121", "statement not allowed in a workflow body",
                           "a workflow body holds template calls, bindings, `if` and `return` only")
UNSUPPORTED_EXPRESSION = _c("ATH122", "expression not allowed as an argument",
                            "arguments are literals, workflow inputs, bindings, their fields, or template calls")
BAD_CONDITION = _c("ATH123", "unsupported condition",
                   "conditions compare inputs, bindings, fields or template calls with literals "
                   "(`== != < <= > >=`, `is None`, `in (...)`) or use a bool value, joined by and/or/not")
TRUTHINESS = _c("ATH124", "truthiness of a non-bool value",
                "compare explicitly, e.g. `if n > 0:` or `if s != \"\":` or `if x is not None:`")
CHAINED_COMPARE = _c("ATH125", "chained comparison", "split it: `a < b and b < c`")
UNKNOWN_NAME = _c("ATH126", "unknown name in a workflow body",
                  "use a workflow parameter, an earlier binding, or a literal")
ASYNC_WORKFLOW = _c("ATH127", "`async def` workflow", "write the workflow as a plain `def`")
ASYNC_CONTAINER = _c("ATH128", "`async def` container",
                     "write the container as a plain `def`; call asyncio.run(...) inside it if you need async code")
NOT_MODULE_LEVEL = _c("ATH129", "decorated function is not at module level",
                      "define it at the top level of a module: the pod imports it by `module:qualname`")
BAD_OPTIONS_CALL = _c("ATH130", "malformed `.options(...)` call",
                      "use `t.options(continue_on=[...], on_exit=..., on_success=..., on_failure=..., "
                      "on_error=..., hooks={...})(args)`")
BAD_HOOK_TARGET = _c("ATH131", "hook target is not a template",
                     "a hook is a template (`on_exit=cleanup`) or a lambda calling one (`lambda: record(\"x\")`)")
ARTIFACT_IN_WORKFLOW = _c("ATH132", "artifact or host call in a workflow body",
                          "host(), load_artifact() and save_artifact() belong in @container or @fragment bodies")
RECURSION = _c("ATH133", "recursive workflow", "a workflow cannot call itself, directly or through others")
LITERAL_TEMPLATE_BRACES = _c("ATH134", "string literal containing `{{`",
                             "Argo would substitute it; pass the text as a workflow input instead")
EMPTY_BODY = _c("ATH136", "workflow body with no tasks", "call at least one template in the workflow body")
FANOUT_CONTINUE_ON = _c("ATH137", "hooks with continue_on on a fan-out",
                        "hook the tasks that consume the fan-out instead")

# --- ATH2xx: types
MISSING_ANNOTATION = _c("ATH201", "missing type annotation", "annotate every parameter and the return type")
NOT_BOUNDARY_TYPE = _c("ATH202", "type cannot cross a step boundary",
                       "use JSON types: str, int, float, bool, None, list/dict/tuple/set of them, dataclasses, "
                       "TypedDict, NamedTuple, Enum, Literal, msgspec.Struct, pydantic models")
ARG_TYPE = _c("ATH203", "argument type mismatch", "pass a value of the declared type")
ARITY = _c("ATH204", "wrong number of arguments", "match the callee's signature")
UNKNOWN_KWARG = _c("ATH205", "unknown keyword argument", "use one of the callee's parameter names")
MISSING_ARG = _c("ATH206", "missing argument", "pass every parameter that has no default")
NO_FIELD = _c("ATH207", "no such field", "use a field the type declares")
NONE_CONSUMED = _c("ATH208", "consuming a template that returns None",
                   "give the producer a return type, or call it without binding its result")
VALUE_IF_ARMS = _c("ATH209", "value-if arms of different types", "make both arms return the same type")
FANOUT_SOURCE = _c("ATH210", "fan-out over a value that is not a list", "fan out over a list-typed value")
RETURN_TYPE = _c("ATH211", "workflow return type mismatch", "return a value of the declared return type")
OUTCOME_TYPE = _c("ATH212", "`Outcome` binding passed to a non-Outcome parameter",
                  "type the parameter `Outcome[T]`, or drop `continue_on`")
CONDITION_TYPE = _c("ATH213", "condition operands of different types", "compare values of the same scalar type")
UNRESOLVED_ANNOTATION = _c("ATH214", "annotation cannot be resolved",
                           "import the names used in signatures at run time, not only under TYPE_CHECKING")
HOOK_ARGS = _c("ATH215", "hook target takes arguments",
               "wrap it in a lambda that passes them: `on_exit=lambda: cleanup(x)`")
INT_RANGE = _c("ATH216", "integer literal outside ±(2**53-1)",
               "Argo's expressions decode numbers as float64; pass big integers as str")
BAD_LITERAL = _c("ATH217", "literal that is not JSON", "use str, int, float, bool, None, lists, dicts and tuples")
DUPLICATE_ARG = _c("ATH218", "argument given twice", "pass each parameter once")
SETTINGS_EXPLICIT = _c("ATH219", "unsupported parameter kind",
                       "use plain positional-or-keyword parameters (no *args, **kwargs or positional-only)")

# --- ATH3xx: decorator arguments and options
BAD_OPTION = _c("ATH301", "invalid decorator argument", "see docs/reference.md for the accepted values")
BAD_DURATION = _c("ATH302", "invalid duration", "use an int of seconds or a string like '90s', '1h30m', '2d'")
BAD_ENUM = _c("ATH303", "value not among the accepted choices", "pick one of the listed values")
BAD_INJECTION = _c("ATH304", "invalid parameter injection",
                   "`{name}` or `{name.field}` must name a str/int/float parameter of this container; "
                   "`{{...}}` passes through to Argo")
OPTION_WRONG_KIND = _c("ATH305", "argument not valid for this kind of template",
                       "check the table of decorator arguments in docs/reference.md")
CONTINUE_ON = _c("ATH306", "invalid continue_on", "use continue_on=[\"failed\"], [\"error\"] or both, once")
TARGET_LACKS_OPTION = _c("ATH307", "option not supported by the target Argo version",
                         "raise [defaults].argo_version or drop the option")

# --- ATH4xx: names and Argo limits
BAD_NAME = _c("ATH401", "name Argo or Kubernetes rejects", "use lowercase letters, digits and '-'")
YAML_SPECIAL = _c("ATH402", "name a YAML 1.1 parser reads as a bool or null",
                  "rename it: `yes`, `no`, `on`, `off`, `y`, `n`, `true`, `false`, `null` and `~` are not strings "
                  "to every YAML parser")
DUPLICATE_TEMPLATE = _c("ATH403", "two templates with one name", "give one of them `name=\"...\"`")
TOO_MANY_TASKS = _c("ATH404", "DAG above Argo's task limit", "split the workflow into smaller @workflow functions")
TOO_MANY_PARAMS = _c("ATH405", "template above Argo's input-parameter limit", "group parameters into a dataclass")
TOO_DEEP = _c("ATH406", "workflow nesting above Argo's recursion limit", "flatten the nesting of workflows")

# --- ATH6xx: resources and artifacts
RESOURCE_KEY = _c("ATH601", "artifact key or host path is not a literal",
                  "pass a string literal or a module-level string constant")


def diag(code: str, message: str, span: Span | None, *, hint: str | None = None,
         notes: tuple[Note, ...] = ()) -> Diagnostic:
    """A diagnostic whose hint defaults to the catalogue's."""
    return Diagnostic(code, message, span, hint if hint is not None else CATALOGUE[code].hint, notes)
