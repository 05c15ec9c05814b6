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
    hint: str  # what to do; the compiler prints it after ``hint:``
    meaning: str = ""  # what the error means, for docs/errors.md


@dataclass(frozen=True, slots=True)
class Family:
    """A group of codes (``prefix`` + two digits) and what the errors reference says about when they arise."""

    prefix: str
    heading: str
    intro: str


FAMILIES: tuple[Family, ...] = (
    Family("ATH1", "ATH1xx: workflow body grammar",
           "The workflow body is read, not executed, and only the forms of the guide's \"workflow body\" "
           "section are accepted. These are raised when the `@workflow` (or `@container`) decorator runs, "
           "that is, when the module is imported outside a pod; the few that need to know the other "
           "templates (ATH126 unknown names, ATH133 recursion, ATH136 empty body) are raised when the "
           "workflow is first compiled."),
    Family("ATH2", "ATH2xx: types",
           "Raised when a workflow is first compiled (`athena check`, `athena emit`, the other `athena` "
           "commands that load an app, or a direct call of the workflow), because the templates it calls "
           "may be defined later in the module. Annotations are resolved then, exactly as the pod resolves"
           " them."),
    Family("ATH3", "ATH3xx: decorator arguments and options",
           "Most are raised when the decorator runs and point at the offending keyword of the decorator "
           "call; parameter injection (ATH304) and target-version checks (ATH307) are made at compile "
           "time."),
    Family("ATH4", "ATH4xx: names and Argo limits",
           "Argo's and Kubernetes' naming rules and size limits, checked before any YAML is written. A bad"
           " `name=` and a workflow's own parameter names are reported when the decorator runs; container "
           "parameter names, duplicate names and limits when the workflow is first compiled."),
    Family("ATH6", "ATH6xx: resources and artifacts",
           "Problems with the `athena.host()` / `athena.load_artifact()` / `athena.save_artifact()` calls "
           "that athena collects statically from container and fragment bodies, when the app is compiled."),
)


CATALOGUE: dict[str, Code] = {}


def _c(code: str, title: str, hint: str, meaning: str = "") -> str:
    assert code not in CATALOGUE, code
    CATALOGUE[code] = Code(code, title, hint, meaning)
    return code


# --- ATH1xx: the workflow body grammar
NO_SOURCE = _c("ATH100", "workflow source not available",
               "define workflows in a .py file; code from `python -c`, the REPL or exec() has no source to read",
               "athena reads a workflow's body from its source file. A workflow defined in `python -c`, "
               "the REPL or `exec()` has no file to read, so it cannot be compiled.")
FOR_LOOP = _c("ATH101", "`for` loop in a workflow body",
              "fan out with a comprehension instead: `ys = [t(x) for x in xs]`",
              "The workflow body contains a `for` (or `async for`) statement. The body describes a fixed "
              "graph of tasks; it is never run as a loop.")
WHILE_LOOP = _c("ATH102", "`while` loop in a workflow body",
                "a workflow is a DAG, not a program; repeat work with a fan-out or a retry",
                "The workflow body contains a `while` loop.")
MATCH = _c("ATH103", "`match` in a workflow body", "use `if`/`elif`/`else` with comparisons",
           "The workflow body contains a `match` statement.")
TRY = _c("ATH104", "`try` in a workflow body",
         "use `t.options(continue_on=[\"failed\"])(...)` to go on after a failure, or `on_failure=` hooks",
         "The workflow body contains `try` (or `try`/`except*`). Failures happen on the cluster, not in "
         "the body, so there is nothing for `except` to catch.")
WITH = _c("ATH105", "`with` in a workflow body", "move the work into a @container function",
          "The workflow body contains `with` (or `async with`).")
DEL = _c("ATH106", "`del` in a workflow body", "bindings cannot be deleted; just stop using it",
         "The workflow body contains `del`.")
GLOBAL = _c("ATH107", "`global`/`nonlocal` in a workflow body", "pass values as workflow inputs",
            "The workflow body contains `global` or `nonlocal`.")
AUG_ASSIGN = _c("ATH108", "augmented assignment in a workflow body",
                "arithmetic happens in containers: call a @container that computes the new value",
                "The workflow body contains an augmented assignment such as `x += 1`.")
WALRUS = _c("ATH109", "`:=` in a workflow body", "bind with a plain assignment: `x = t(...)`",
            "The workflow body contains an assignment expression (`:=`), anywhere.")
STAR_ARGS = _c("ATH110", "`*args`/`**kwargs` at a call site", "pass each argument explicitly",
               "A template call uses `*xs` or `**kw`. athena maps each argument to a parameter from the "
               "source, so every argument must be written out.")
NOT_A_TEMPLATE = _c("ATH111", "call of something that is not a template",
                    "only @container and @workflow functions can be called in a workflow body",
                    "The body calls something that is neither a `@container` nor a `@workflow`: a plain "
                    "function, a class, or a value (`x()` where `x` is a binding or an input).")
FRAGMENT_CALL = _c("ATH112", "call of a @fragment in a workflow body",
                   "fragments are helpers for containers: call it from a @container body",
                   "The body calls a `@fragment`. Fragments are helpers that run inside containers; they "
                   "are not tasks.")
METHOD_CALL = _c("ATH113", "method call in a workflow body",
                 "values are placeholders for task outputs here; do the work in a @container",
                 "The body calls a method on a value (`a.upper()`), or reaches an attribute of an object "
                 "that is neither a module nor an `Enum` class. In a workflow body a binding stands for a "
                 "task's future output; it has no methods.")
ARITHMETIC = _c("ATH114", "arithmetic, f-string or operator on a value in a workflow body",
                "compute it in a @container and pass the result on",
                "An argument computes a value: arithmetic (`a + 1`), a unary operator on a binding, or a "
                "comparison or `and`/`or` outside a condition. (f-strings over str, int and bool values are "
                "values: see ATH183.)")
CONVERSION = _c("ATH115", "conversion such as str(x) in a workflow body",
                "declare the parameter with the type you need, or convert inside a @container",
                "An argument converts a value with a builtin such as `str(x)`, `int(x)`, `len(x)`, "
                "`sorted(x)`.")
RETURN_NOT_LAST = _c("ATH116", "`return` that is not the last statement",
                     "a workflow returns once, at its end",
                     "A `return` is not the last statement of the workflow body (a `return` inside an `if`"
                     " arm counts as not last).")
ARM_BINDING_ESCAPES = _c("ATH117", "binding made inside an `if` arm used after it",
                         "use a value-if instead: `x = a(...) if cond else b(...)`",
                         "A name bound inside an arm of a statement `if` is used after the `if`. Which arm"
                         " ran is only known on the cluster, so the name may not exist.")
COMPREHENSION_SHAPE = _c("ATH118", "unsupported comprehension",
                         "a fan-out is exactly `[t(x, ...) for x in xs]`: one `for`, no `if`, one template call",
                         "A list comprehension is not a fan-out of the supported shape: it has more than "
                         "one `for`, an `if` filter, a loop target that is not a single name, or an "
                         "element that is not one template call.")
HOOK_ON_VALUE_IF = _c("ATH119", "hooks or options on a value-if arm",
                      "bind the arm's call first, or move the options to a statement `if`",
                      "An arm of a value-if (`x = a(...) if c else b(...)`) uses `.options(...)`.")
OUTCOME_MISUSE = _c("ATH120", "returning or fanning over an `Outcome` binding",
                    "pass the binding to a container whose parameter is typed `Outcome[...]`",
                    "A binding made with `continue_on` (an `Outcome`) is returned from the workflow or "
                    "used as a fan-out source.")
UNSUPPORTED_STATEMENT = _c("ATH121", "statement not allowed in a workflow body",
                           "a workflow body holds template calls, bindings, `if` and `return` only",
                           "A statement that a workflow body cannot hold: `import`, `def`, `class`, "
                           "`assert`, `raise`, an expression statement that is not a template call (such "
                           "as an unbound fan-out), an assignment to several or unpacked targets, or a "
                           "binding that does not take the result of a template call, a value-if or a "
                           "fan-out (`a = b`).")
UNSUPPORTED_EXPRESSION = _c("ATH122", "expression not allowed as an argument",
                            "arguments are literals, workflow inputs, bindings, their fields, or template calls",
                            "An argument (or returned value) that is not one of: a literal, a workflow "
                            "input, a binding, a field of one, or a template call. Also: an inline "
                            "value-if or fan-out (bind it first), a list or dict containing bindings, "
                            "indexing with anything but a string key (`xs[0]`), a template call inside a "
                            "fan-out's element or as a hook argument, and returning a literal.")
BAD_CONDITION = _c("ATH123", "unsupported condition",
                   "conditions compare inputs, bindings, fields or template calls with literals "
                   "(`== != < <= > >=`, `is None`, `in (...)`) or use a bool value, joined by and/or/not",
                   "A condition uses a form athena cannot lower: `is` with something other than `None`, "
                   "`in` with something other than a literal tuple or list, a comparison of lists or "
                   "dicts, or another expression.")
TRUTHINESS = _c("ATH124", "truthiness of a non-bool value",
                "compare explicitly, e.g. `if n > 0:` or `if s != \"\":` or `if x is not None:`",
                "A condition tests the truthiness of a value that is not a `bool` (`if n:` with `n: int`).")
CHAINED_COMPARE = _c("ATH125", "chained comparison", "split it: `a < b and b < c`",
                     "A condition uses a chained comparison such as `1 < x < 3`.")
UNKNOWN_NAME = _c("ATH126", "unknown name in a workflow body",
                  "use a workflow parameter, an earlier binding, or a literal",
                  "A name is not a workflow parameter, an earlier binding, a module-level constant or a "
                  "template.")
ASYNC_WORKFLOW = _c("ATH127", "`async def` workflow", "write the workflow as a plain `def`",
                    "A `@workflow` is an `async def`.")
ASYNC_CONTAINER = _c("ATH128", "`async def` container",
                     "write the container as a plain `def`; call asyncio.run(...) inside it if you need async code",
                     "A `@container` is an `async def` (or an async generator). athena does not run event "
                     "loops for you.")
NOT_MODULE_LEVEL = _c("ATH129", "decorated function is not at module level",
                      "define it at the top level of a module: the pod imports it by `module:qualname`",
                      "A decorated function is defined inside a function or a class. The pod imports every"
                      " template as `module:qualname`, so it must be a module-level name.")
BAD_OPTIONS_CALL = _c("ATH130", "malformed `.options(...)` call",
                      "use `t.options(continue_on=[...], on_exit=..., on_success=..., on_failure=..., "
                      "on_error=..., hooks={...}, after=[...], after_any=[...])(args)`",
                      "A `.options(...)` call is malformed: positional arguments, an unknown keyword, "
                      "`.options(...)` not followed by the call's own arguments, or a `hooks=` that is not"
                      " a dict literal with non-empty string keys.")
BAD_HOOK_TARGET = _c("ATH131", "hook target is not a template",
                     "a hook is a template (`on_exit=cleanup`) or a lambda calling one (`lambda: record(\"x\")`)",
                     "A hook target is not a template or a lambda calling one: a lambda with parameters, a"
                     " lambda whose body is not one template call, a hook argument that uses a binding the"
                     " hooked task does not depend on, or an `on_exit_if_root=` that is not a template.")
ARTIFACT_IN_WORKFLOW = _c("ATH132", "artifact or host call in a workflow body",
                          "host(), load_artifact() and save_artifact() belong in @container or @fragment bodies",
                          "`athena.host()`, `load_artifact()` or `save_artifact()` (or the `_str` "
                          "variants) is called in a workflow body.")
RECURSION = _c("ATH133", "unguarded recursive workflow",
               "put the recursive call inside an `if` arm whose condition ends the recursion",
               "A workflow calls itself, directly or through other workflows, outside an `if` arm: it would "
               "never stop. A recursive call inside an `if`/`elif`/`else` arm (or a value-if arm) is allowed; "
               "Argo stops it at 100 nested templates.")
LITERAL_TEMPLATE_BRACES = _c("ATH134", "condition literal containing `}}`",
                             "compare with a workflow input holding the text instead",
                             "A string literal in a condition contains `}}`. A condition becomes one Argo "
                             "expression tag, `{{= ... }}`, which ends at the first `}}`. (Values may hold "
                             "`{{`, `}}` and `$`: athena escapes them in every value it writes.)")
EMPTY_BODY = _c("ATH136", "workflow body with no tasks", "call at least one template in the workflow body",
                "The workflow body calls no template (it holds only a docstring, `pass` or nothing).")
FANOUT_CONTINUE_ON = _c("ATH137", "hooks with continue_on on a fan-out",
                        "hook the tasks that consume the fan-out instead",
                        "A fan-out element uses `continue_on` together with hooks (`on_exit=`, "
                        "`on_failure=`, `hooks=`, ...). `continue_on` alone on a fan-out is supported.")

# issue 13 (ordering without data, status dependencies, guarded recursion): ATH170-ATH179
BAD_AFTER = _c("ATH170", "`after=` / `after_any=` item that is not a task of this body",
               "name earlier calls of this body: `h = setup()` then `train.options(after=[h])(data)`",
               "An item of `after=` or `after_any=` is not the name of an earlier task of the same body: a "
               "literal or expression, an unknown name, a workflow input, a fan-out's loop variable, a handle "
               "bound inside an `if` arm (it cannot be ordered against from outside the arm), or the task's "
               "own name. `after=` must be a literal list of names.")
AFTER_ANY_STEPS = _c("ATH171", "`after_any=` in a `steps=True` workflow",
                     "drop `steps=True` (a DAG can wait for any of several tasks), or use `after=`",
                     "`after_any=` lowers to Argo's `depends`, which only DAG templates have; in a steps "
                     "workflow every step already waits for all earlier groups.")
AFTER_ANY_CONTINUE_ON = _c("ATH172", "`continue_on` on a last task of a workflow that uses `after_any=`",
                           "let a later task consume the `continue_on` task, or move the `after_any=` task "
                           "into a workflow of its own",
                           "A workflow that uses `after_any=` is emitted with Argo's `depends`, and Argo forbids "
                           "`continueOn` next to `depends`; athena writes `continue_on` into the dependents' "
                           "`depends` instead (`t.Failed`). A `continue_on` task that nothing in the body "
                           "waits for would then fail the workflow when it fails, so it is rejected.")
PARALLEL_GROUP = _c("ATH173", "misused `with athena.parallel():` block",
                    "put independent template calls in the block: `with athena.parallel(): a(); b()`",
                    "A `with athena.parallel():` block is malformed: it has `as`, another context manager, a "
                    "nested block or a `return`, it is empty, or one of its calls uses (or is ordered after) "
                    "another call of the same block, which a parallel steps group cannot do.")
# issue 13 (record values, f-strings, range fan-outs, filters, workflow facts): ATH180-ATH189
RECORD_FIELD = _c("ATH180", "unknown or misplaced field in a record value",
                  "give each field of the record once, by its name (or positionally for a dataclass, NamedTuple "
                  "or msgspec.Struct)",
                  "A record value (`Config(limit=3)` of a dataclass, NamedTuple, TypedDict, msgspec.Struct or "
                  "pydantic model) names a field the type does not have, gives one twice, or passes more "
                  "positional values than the type has fields (TypedDict and pydantic take names only).")
RECORD_MISSING = _c("ATH181", "record value without a required field",
                    "give every field that has no default",
                    "A record value leaves out a field that has no default; the step would fail to decode it.")
RECORD_FIELD_TYPE = _c("ATH182", "record field of the wrong type",
                       "pass a value of the field's declared type",
                       "A field of a record value gets a literal or a value whose type does not fit the field's "
                       "annotation.")
FSTRING_VALUE = _c("ATH183", "f-string over a value that cannot be printed there",
                   "interpolate str, int or bool values; build other text in a @container",
                   "An f-string in a workflow body interpolates a value whose text Argo cannot produce exactly "
                   "as Python would: a float (Go prints `1e+06` where Python prints `1000000.0`), a list, a "
                   "dict, a record or an Optional.")
FSTRING_FORMAT = _c("ATH184", "format spec or conversion on a run-time value",
                    "interpolate the plain value (`{x}`), or format it in a @container",
                    "An f-string applies a format spec (`{x:03d}`) or a conversion (`{x!r}`) to a value known "
                    "only at run time. (On literals and module constants they work: those are formatted at "
                    "compile time.)")
RANGE_FANOUT = _c("ATH185", "unsupported `range(...)` fan-out source",
                  "fan out over `range(n)` or `range(start, stop)` with int values",
                  "A fan-out over `range(...)` uses a step other than 1, keyword arguments, or a value that is "
                  "not an int. Argo's `withSequence` counts by one.")
FANOUT_FILTER = _c("ATH186", "unsupported fan-out filter",
                   "filter on the loop variable, inputs and bindings; bind template calls before the fan-out",
                   "The `if` of a filtered fan-out (`[t(x) for x in xs if cond]`) calls a template (a filter "
                   "is evaluated per element, where no task can be hoisted), or filters a fan-out that uses "
                   "`continue_on`.")
WF_FACT_CONTEXT = _c("ATH187", "`athena.wf.status`/`failures` outside an exit handler",
                     "read them in the workflow named by `on_exit_if_root=`, and pass them on as arguments",
                     "A template that reads `athena.wf.status` or `athena.wf.failures` is called as a task or "
                     "a task hook. Argo sets `{{workflow.status}}` and `{{workflow.failures}}` only while the "
                     "workflow's exit handler runs; anywhere else the expression is never resolved.")
WF_FACT_UNKNOWN = _c("ATH188", "unknown `athena.wf` fact",
                     "use one of athena.wf.name, uid, scheduled_time, duration, status, failures",
                     "A workflow body reads an attribute of `athena.wf` that is not one of its facts.")
# --- issue 13 (external templates, suspend and approval): ATH190-ATH199
EXTERNAL_STUB_BODY = _c("ATH190", "external template stub with a body",
                        "write the stub's body as `...`: the template runs in Argo, not here",
                        "A function decorated with `@athena.external(...)` declares a template that lives outside "
                        "Python (a WorkflowTemplate or ClusterWorkflowTemplate); its body must be `...` (a docstring "
                        "may come first). To run it in-process, register a local implementation with "
                        "`stub.local(fn)`.")
BAD_EXTERNAL_REF = _c("ATH191", "invalid external template reference",
                      "template_ref= names the WorkflowTemplate, template= one of its templates; cluster_scope= "
                      "is True or False",
                      "`template_ref=` must be a Kubernetes object name (lowercase letters, digits, `-`, `.`, at "
                      "most 253 characters), `template=` an Argo template name (letters, digits and `-`, at most "
                      "128), and `cluster_scope=` a bool.")
EXTERNAL_ARTIFACT = _c("ATH192", "external template stub that takes or returns an Artifact",
                       "pass values as JSON parameters; an external template receives only parameters",
                       "A call of an external template passes JSON text parameters and reads a `return` output "
                       "parameter, so its stub cannot use `athena.Artifact[T]`.")
BAD_SUSPEND = _c("ATH193", "invalid `athena.suspend(...)`",
                 "write `athena.suspend(\"1h\")` (a duration literal) or `athena.suspend()` as a statement",
                 "`athena.suspend()` is a statement of a workflow body: it takes one optional duration (an int of "
                 "seconds or a string like `\"90s\"`, `\"1h\"`, `\"2d\"`), written as a literal, and returns "
                 "nothing.")
BAD_APPROVAL = _c("ATH194", "invalid `athena.approval(...)`",
                  "write `ok: bool = athena.approval(\"deploy?\", default=False)`",
                  "`athena.approval()` takes a prompt (a string literal), an optional `default=` (a bool literal, "
                  "False when omitted), and its result must be bound to a name: `ok = athena.approval(...)`.")

# --- ATH2xx: types
MISSING_ANNOTATION = _c("ATH201", "missing type annotation", "annotate every parameter and the return type",
                        "A template parameter or its return value has no annotation.")
NOT_BOUNDARY_TYPE = _c("ATH202", "type cannot cross a step boundary",
                       "use JSON types: str, int, float, bool, None, list/dict/tuple/set of them, dataclasses, "
                       "TypedDict, NamedTuple, Enum, Literal, msgspec.Struct, pydantic models",
                       "An annotation is not a type that can travel between steps as JSON: for example "
                       "`object`, `complex`, a type variable, a class that is not a "
                       "dataclass/TypedDict/NamedTuple/msgspec Struct/pydantic model, or a `dict` whose "
                       "keys are not strings.")
ARG_TYPE = _c("ATH203", "argument type mismatch", "pass a value of the declared type",
              "A value passed to a template parameter does not have the parameter's type: a literal that "
              "does not decode as the type, or a binding whose type is not assignable to it. Also raised "
              "when an annotated binding (`x: T = t(...)`) disagrees with the callee's return type.")
ARITY = _c("ATH204", "wrong number of arguments", "match the callee's signature",
           "A call passes more positional arguments than the template takes.")
UNKNOWN_KWARG = _c("ATH205", "unknown keyword argument", "use one of the callee's parameter names",
                   "A call passes a keyword the template has no parameter for.")
MISSING_ARG = _c("ATH206", "missing argument", "pass every parameter that has no default",
                 "A call omits a parameter that has no default.")
NO_FIELD = _c("ATH207", "no such field", "use a field the type declares",
              "A field access names a field the type does not declare, or reaches into a value that has no"
              " fields that travel as JSON (an `Optional` or union value, an `Enum`, a datetime, an "
              "`Outcome`).")
NONE_CONSUMED = _c("ATH208", "consuming a template that returns None",
                   "give the producer a return type, or call it without binding its result",
                   "The result of a template that returns `None` is passed on.")
VALUE_IF_ARMS = _c("ATH209", "value-if arms of different types", "make both arms return the same type",
                   "The arms of a value-if return different types.")
FANOUT_SOURCE = _c("ATH210", "fan-out over a value that is not a list", "fan out over a list-typed value",
                   "A fan-out iterates over something that is not a list (or tuple, or set), or over a "
                   "literal that is not a list.")
RETURN_TYPE = _c("ATH211", "workflow return type mismatch", "return a value of the declared return type",
                 "The workflow's return value does not match its declared return type, or the workflow "
                 "declares a return type but has no `return`.")
OUTCOME_TYPE = _c("ATH212", "`Outcome` binding passed to a non-Outcome parameter",
                  "type the parameter `Outcome[T]`, or drop `continue_on`",
                  "A `continue_on` binding (`Outcome[T]`) is passed to a parameter that is not typed "
                  "`Outcome[...]`.")
CONDITION_TYPE = _c("ATH213", "condition operands of different types", "compare values of the same scalar type",
                    "A comparison in a condition mixes scalar types (a `str` with an `int`), compares a "
                    "non-scalar, or an `in (...)` lists a literal the value can never equal.")
UNRESOLVED_ANNOTATION = _c("ATH214", "annotation cannot be resolved",
                           "import the names used in signatures at run time, not only under TYPE_CHECKING",
                           "An annotation cannot be evaluated at compile time, typically a name imported "
                           "only under `if TYPE_CHECKING:` or a typo. The pod would fail the same way.")
HOOK_ARGS = _c("ATH215", "hook target takes arguments",
               "wrap it in a lambda that passes them: `on_exit=lambda: cleanup(x)`",
               "A hook target given bare (`on_exit=cleanup`), or an `on_exit_if_root=` target, has "
               "parameters without defaults. An exit handler gets no arguments.")
INT_RANGE = _c("ATH216", "integer literal outside ±(2**53-1)",
               "Argo's expressions decode numbers as float64; pass big integers as str",
               "An integer literal lies outside ±(2**53-1). Argo's expressions decode numbers as float64, "
               "so larger integers would silently lose precision.")
BAD_LITERAL = _c("ATH217", "literal that is not JSON", "use str, int, float, bool, None, lists, dicts and tuples",
                 "A literal or default value is not JSON: bytes, complex numbers, a dict with non-string "
                 "keys, NaN or infinity, or a module-level constant of such a value.")
DUPLICATE_ARG = _c("ATH218", "argument given twice", "pass each parameter once",
                   "The same parameter is given twice, positionally and by keyword.")
SETTINGS_EXPLICIT = _c("ATH219", "unsupported parameter kind",
                       "use plain positional-or-keyword parameters (no *args, **kwargs or positional-only)",
                       "A template has `*args`, `**kwargs` or positional-only parameters.")
UNENCODABLE_STRING = _c("ATH220", "string that is not valid Unicode text",
                        "remove the lone surrogate (`\\ud800`…`\\udfff`); pass bytes as base64 text or an "
                        "Artifact",
                        "A string literal, module constant, Enum member or parameter default contains a lone "
                        "surrogate code point (`\"\\ud800\"`). Python allows it in a `str`, but it is not "
                        "Unicode text: it cannot be written to YAML or JSON as UTF-8, so it cannot reach Argo.")
ENUM_VALUES = _c("ATH221", "Enum whose values cannot cross a step boundary",
                 "give every member a str value, or every member an int value",
                 "An Enum used as a parameter or return type, or passed as a value, has members whose "
                 "values are not all `str` or all `int` (for example a mix of both, floats, None, lists), "
                 "or a value that is not JSON. The pod decodes Enums by value and supports only these two "
                 "kinds, so the step would fail at run time.")
ARTIFACT_LIST = _c("ATH222", "`Artifact` inside a collection",
                   "pass each artifact to its own parameter, or return one Artifact holding the collection "
                   "(e.g. an archive or a JSON list)",
                   "A parameter or return type nests `Artifact[T]` inside a list, dict, tuple, union or "
                   "field (`list[Artifact[T]]`). An artifact travels as one Argo artifact per parameter, so "
                   "a fan-in of artifacts cannot be passed as one value.")

# --- ATH3xx: decorator arguments and options
BAD_OPTION = _c("ATH301", "invalid decorator argument", "see docs/reference.md for the accepted values",
                "A decorator argument does not exist (`@container has no argument ...`, with a "
                "suggestion), or has the wrong type or an invalid value (for example an empty `image`, "
                "`parallelism=0`, a label value Kubernetes rejects, `Retry(factor=...)` without "
                "`backoff=`).")
BAD_DURATION = _c("ATH302", "invalid duration", "use an int of seconds or a string like '90s', '1h30m', '2d'",
                  "A duration is not a positive whole number of seconds in an accepted form.")
BAD_ENUM = _c("ATH303", "value not among the accepted choices", "pick one of the listed values",
              "A value that must be one of a fixed set is not (`Retry(policy=...)`, `pod_gc_if_root=`).")
BAD_INJECTION = _c("ATH304", "invalid parameter injection",
                   "`{name}` or `{name.field}` must name a str/int/float parameter of this container; "
                   "`{{...}}` passes through to Argo",
                   "A `{...}` in `image=`, `service_account=` or `node_selector=` does not name a `str`, "
                   "`int` or `float` parameter (or field of one) of this container.")
OPTION_WRONG_KIND = _c("ATH305", "argument not valid for this kind of template",
                       "check the table of decorator arguments in docs/reference.md",
                       "A container-only argument is given to `@workflow`, or a workflow-only argument to "
                       "`@container`.")
CONTINUE_ON = _c("ATH306", "invalid continue_on", "use continue_on=[\"failed\"], [\"error\"] or both, once",
                 "`continue_on=` is not a literal list of `\"failed\"` and/or `\"error\"` without repeats.")
TARGET_LACKS_OPTION = _c("ATH307", "option not supported by the target Argo version",
                         "raise [defaults].argo_version or drop the option",
                         "An option needs a newer Argo than `[defaults].argo_version` (`Retry(cap=...)` "
                         "needs 3.7).")
RETRY_NEVER_RETRIES = _c("ATH308", "retry that can never retry",
                         "drop policy= (with on_exit_codes Argo then retries on any failure whose exit code is "
                         "listed) or drop on_exit_codes=",
                         "`Retry(policy=\"OnError\", on_exit_codes=[...])`: an exit code comes from the main "
                         "container, and a non-zero one makes the node Failed, not Errored; Argo checks the "
                         "policy first (OnError retries only Errored nodes) and never evaluates the exit-code "
                         "expression, so no attempt is ever retried.")

# volumes=, mutex=/semaphore=, cache= (issue 9); numbered from 320 to leave room for the other option families
BAD_QUANTITY = _c("ATH320", "invalid Kubernetes quantity",
                  "write a number with an optional suffix, e.g. \"500m\", \"2\", \"10Gi\", \"500Mi\", \"1.5G\"",
                  "A size (`WorkflowClaim(size=...)`, `EmptyDir(size_limit=...)`) is not a Kubernetes quantity "
                  "greater than zero, or a value of `Resources(...)` is not a non-negative quantity or is a request "
                  "above its limit, so Kubernetes would reject the workflow at submit time.")
BAD_MOUNT = _c("ATH321", "volume mounted where it cannot be",
               "mount it at an absolute path of its own, outside /athena (and not at /tmp unless "
               "tmp_volume=False)",
               "A `volumes=` entry has a relative mount path, two entries share one path, or a path is at "
               "or under `/athena` (athena's bundle and work directory) or is `/tmp` while athena mounts its "
               "own `/tmp` volume there.")
CLAIM_CONFLICT = _c("ATH322", "one workflow claim declared twice differently",
                    "give both WorkflowClaim(...) the same size, storage class and access modes, or different "
                    "names",
                    "Two containers of one app declare `WorkflowClaim(\"name\", ...)` with one name but different "
                    "specs. The claim is created once per run from the root's `volumeClaimTemplates`, so it can "
                    "have only one size, storage class and access modes.")
BAD_CRON = _c("ATH309", "invalid cron schedule",
              "write 5 fields (minute hour day-of-month month day-of-week), e.g. \"0 4 * * *\", or @daily",
              "A `schedule=` is not a cron expression every supported Argo line accepts: a wrong number of "
              "fields (Argo 4 rejects a sixth, seconds, field), a value out of range, an unknown month or "
              "weekday name, or an unknown `@` descriptor.")
CRON_ARGUMENTS = _c("ATH310", "scheduled workflow without a value for a parameter",
                    "give the parameter a default or a value in cron_arguments={...}",
                    "A CronWorkflow starts its root with no one to pass arguments, so every parameter needs a "
                    "default or a `cron_arguments=` entry; an entry must name a parameter and fit its type.")
SCHEDULE_NOT_ROOT = _c("ATH311", "schedule on a workflow that is called by another",
                       "schedule the outermost workflow, or split the called workflow from a scheduled root",
                       "`schedule=` (and the other CronWorkflow arguments) belong to a root @workflow; this "
                       "one is also called from another workflow's body, where a schedule means nothing.")
# pod configuration (issue 9): ATH330-ATH339 (ATH320 BAD_QUANTITY above covers Resources too)
BAD_ENV_NAME = _c("ATH330", "invalid environment variable name",
                  "use letters, digits and '_', not starting with a digit (for example MY_SETTING)",
                  "An `env=` name, or an `env_from=` prefix, is not a C identifier. Kubernetes accepts more, "
                  "but a shell and most programs cannot read such a variable.")
RESERVED_ENV_NAME = _c("ATH331", "reserved environment variable name",
                       "rename the variable: ATHENA_* belongs to athena's pod protocol, ARGO_* to Argo's executor",
                       "An `env=` name (or an `env_from=` prefix) starts with `ATHENA_` or `ARGO_`: the pod "
                       "runtime and Argo's executor set and read those, so a user value would break the step.")
BAD_POD_SPEC_PATCH = _c("ATH332", "invalid pod_spec_patch",
                        "give a dict, or YAML/JSON text whose top level is a mapping of PodSpec fields",
                        "`pod_spec_patch=` is not a mapping (or text that parses into one), or holds a value that "
                        "is not JSON data, so Argo could not merge it into the pod spec.")
CREDENTIAL_INLINE = _c("ATH333", "credential written into the YAML",
                       "put it in a Secret and use SecretValue(name, key); if it is not a credential, rename the "
                       "variable",
                       "An `env=` value is literal text under a name that holds a credential by convention (one "
                       "containing PASSWORD, PASSWD, SECRET, TOKEN, API_KEY, PRIVATE_KEY or ACCESS_KEY, unless it "
                       "ends in _FILE, _PATH, _DIR, _ID, _URL, _URI, _ENDPOINT, _NAME, _HOST, _PORT or _TYPE). The "
                       "text would be stored in the WorkflowTemplate, readable by anyone who can read workflows. "
                       "An empty value, a `{parameter}` and a `$(VAR)` reference are allowed.")
# run_as_user= (issue 9, pod security defaults): ATH350-ATH359
BAD_RUN_AS_USER = _c("ATH350", "invalid run_as_user",
                     "give a UID such as run_as_user=1000, or run_as_user=None for an image that must run as root",
                     "`run_as_user=` is not a UID Kubernetes accepts for a non-root pod (an int from 1 to "
                     "2147483647; `True`/`False` are not UIDs) and not `None`. `None` written explicitly drops "
                     "runAsUser, runAsGroup and runAsNonRoot from the pod's securityContext, so the image's own "
                     "user applies; UID 0 is refused because athena's pods are non-root by default.")
# settings (issue 9): ATH360-ATH369, `athena.settings(Class)` calls collected from container bodies
SETTINGS_ARGUMENT = _c("ATH360", "settings class not known before the step runs",
                       "pass the Settings subclass itself, defined at module level: `athena.settings(DB)`",
                       "The argument of `athena.settings()` is not a class name (or `module.Class`) that "
                       "resolves at module level: a variable, a call, a class defined inside the function, or "
                       "no argument. athena reads the call without running it, to know which environment "
                       "variables the step reads (`athena inspect --gen-env`).")
NOT_SETTINGS = _c("ATH361", "settings argument is not an athena.Settings subclass",
                  "declare the class as `class DB(athena.Settings):` with typed fields",
                  "The name passed to `athena.settings()` resolves, but not to a subclass of "
                  "`athena.Settings`, so it has no typed fields to read from the environment.")
SETTINGS_IN_WORKFLOW = _c("ATH362", "settings read in a workflow body",
                          "call `athena.settings(...)` inside the @container that needs the values; pass what a "
                          "workflow decides as parameters",
                          "A `@workflow` body is compiled into YAML, not run in a pod, so it has no environment "
                          "to read settings from.")
SETTINGS_CLASH = _c("ATH363", "two settings fields read one environment variable",
                    "rename one of the fields, or nest one class as a field of a group (`db: DB` reads "
                    "`<STEP>__DB__<FIELD>`)",
                    "Two settings classes read in one step (or two fields of one class, such as `host` and "
                    "`Host`) map to the same `<FUNCTION>__<FIELD>` variable, so one value would silently "
                    "set both.")
SETTINGS_FIELD_TYPE = _c("ATH364", "settings field of a type the environment cannot carry",
                         "use JSON types for settings fields: str, int, float, bool, lists, dicts, dataclasses, "
                         "enums, or another athena.Settings class for a group",
                         "A field of a settings class has an annotation that does not resolve, or a type the "
                         "runtime's codec cannot decode from JSON text.")
# metrics= (issue 9, Argo's template-level Prometheus metrics): ATH340-ATH349
BAD_METRIC_NAME = _c("ATH340", "invalid metric name",
                     "use letters, digits and '_', not starting with a digit (e.g. step_duration_seconds), once per "
                     "template",
                     "A `metrics=` entry's name is not a metric name every supported Argo line accepts (letters, "
                     "digits and `_`, not starting with a digit; Argo 3.6 and later reject `:`), or two metrics "
                     "of one template share a name.")
BAD_METRIC_LABEL = _c("ATH341", "invalid metric label",
                      "label names use letters, digits and '_' (not starting with a digit); values are strings",
                      "A `labels=` key of a metric is not a label name Argo accepts, or a value is not a string.")
METRIC_HELP = _c("ATH342", "metric without help text", "describe the metric: help=\"...\"",
                 "Argo rejects a metric without `help` (the Prometheus HELP line).")
BAD_METRIC_VALUE = _c("ATH343", "invalid metric value",
                      "give value= as a number or an Argo expression such as \"{{duration}}\" or "
                      "\"{{status}}\"",
                      "A `Gauge` or `Histogram` has no `value=`, a value is neither text nor a number, a "
                      "`Gauge(realtime=True)` has a value other than `\"{{duration}}\"` (the only one Argo "
                      "updates while a template runs), or a gauge value is longer than Argo v4 accepts (256 "
                      "characters).")
BAD_METRIC_BUCKETS = _c("ATH344", "invalid histogram buckets",
                        "give a non-empty list of increasing numbers, e.g. buckets=[1, 5, 30, 120, 600]",
                        "A `Histogram(buckets=...)` is empty, holds something that is not a number, or is not "
                        "strictly increasing.")
TOO_MANY_METRICS = _c("ATH345", "too many metrics on one template",
                      "keep at most 100 metrics per template (Argo v4's limit), e.g. by using labels",
                      "A template declares more than 100 `metrics=` entries, which Argo v4's CRD rejects.")

# --- ATH4xx: names and Argo limits
BAD_NAME = _c("ATH401", "name Argo or Kubernetes rejects", "use lowercase letters, digits and '-'",
              "A `name=` is not a valid Kubernetes name: lowercase letters, digits and `-`, starting and "
              "ending with a letter or digit, at most 63 characters.")
DUPLICATE_TEMPLATE = _c("ATH403", "two templates with one name", "give one of them `name=\"...\"`",
                        "Two templates get the same name, for example two functions with one name in "
                        "different modules that share a prefix, or two `name=` overrides.")
TOO_MANY_TASKS = _c("ATH404", "DAG above Argo's task limit", "split the workflow into smaller @workflow functions",
                    "No longer raised: a body with more than 200 tasks (Argo v4's limit for one DAG) is split "
                    "into nested DAG templates when `[defaults].argo_version` is a v4 line, and v3 lines have no "
                    "such limit.")
TOO_MANY_PARAMS = _c("ATH405", "template above Argo's input-parameter limit", "group parameters into a dataclass",
                     "A template has more than 500 parameters, Argo v4's limit.")
TOO_DEEP = _c("ATH406", "workflow nesting above Argo's recursion limit", "flatten the nesting of workflows",
              "Workflows nest (workflow calling workflow) more than 100 levels deep.")
# issue 13: splitting big DAGs (ATH407-ATH409)
SPLIT_TOO_MANY_INPUTS = _c("ATH407", "part of a split DAG above Argo's input-parameter limit",
                           "pass fewer separate values into the tasks of the big body (group them into a "
                           "dataclass, or move groups of tasks into their own @workflow)",
                           "A body with more than 200 tasks is split into nested DAGs of at most 200 tasks on "
                           "Argo v4; each part receives the values its tasks read from outside it as input "
                           "parameters, and one part would need more than 500.")

# --- ATH6xx: resources and artifacts
RESOURCE_KEY = _c("ATH601", "artifact key or host path is not a literal",
                  "pass a string literal or a module-level string constant",
                  "The key of `load_artifact()` / `save_artifact()` or the path of `host()` is not a "
                  "string literal or a module-level string constant, so it cannot be known without running"
                  " the code.")
HOST_PATH = _c("ATH602", "host path that cannot be mounted safely",
               "pass an absolute path to the directory the container needs, e.g. `athena.host(\"/var/cache/models\")`",
               "The path of `host()` is relative, contains a `..` segment, or is the node's root `/`. A "
               "hostPath volume exposes that directory of the node to the container; `..` makes the mounted "
               "directory differ from the one the source names, and `/` exposes the whole node. Paths are "
               "normalized (repeated slashes, `.` segments and a trailing slash are dropped). A path at or "
               "around the container runtime's socket, the kubelet's directory, `/etc`, `/proc`, `/sys` or "
               "`/dev` is accepted with a warning on stderr.")
ARTIFACT_KEY = _c("ATH603", "artifact key that is not a plain relative key",
                  "use a relative key of non-empty segments, e.g. `\"runs/{workflow_uid}/out.txt\"`",
                  "The key of `load_artifact()` / `save_artifact()` is empty, absolute, or has an empty, `.` or "
                  "`..` segment. Such a key names a different object on S3 than it seems to, and would "
                  "leave the local artifact store of in-process runs and `container emulate`.")


def diag(code: str, message: str, span: Span | None, *, hint: str | None = None,
         notes: tuple[Note, ...] = ()) -> Diagnostic:
    """A diagnostic whose hint defaults to the catalogue's."""
    return Diagnostic(code, message, span, hint if hint is not None else CATALOGUE[code].hint, notes)
