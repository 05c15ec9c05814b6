"""One case per compile error: the code, the message, and the exact location (line and column).

Each case is a module body appended to PRELUDE; `at` is the source text the error must point at
(its first occurrence after the prelude, or the `nth` one).
"""

from __future__ import annotations

import itertools
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from athena import api, codes
from athena.config import Config
from athena.errors import CompileError, Diagnostic

PRELUDE = '''\
from __future__ import annotations
import enum
from dataclasses import dataclass
from typing import TypedDict
import athena
from athena import Outcome, Retry, TTL, container, fragment, workflow
from athena import Resources, SecretEnv, Toleration

@dataclass
class Point:
    x: int
    label: str

class Row(TypedDict):
    name: str

class Color(enum.Enum):
    RED = "red"

@container
def num(x: int) -> int:
    return x

@container
def text(s: str) -> str:
    return s

@container
def pt() -> Point:
    return Point(1, "a")

@container
def nothing() -> None:
    pass

@container
def flag() -> bool:
    return True

@container
def two(a: int, b: str = "x") -> str:
    return b

@container
def nums() -> list[int]:
    return [1]

@container
def takes_outcome(o: Outcome[int]) -> None:
    pass

@fragment
def helper() -> None:
    pass
'''


@dataclass(frozen=True)
class Case:
    code: str
    body: str
    at: str
    message: str
    nth: int = 1


CASES: dict[str, Case] = {
    "for-loop": Case(codes.FOR_LOOP, """
@workflow
def w(xs: list[int]) -> None:
    for x in xs:
        num(x)
""", "for x in xs", "`for` loops"),
    "while-loop": Case(codes.WHILE_LOOP, """
@workflow
def w() -> None:
    while True:
        num(1)
""", "while True", "`while` loops"),
    "match": Case(codes.MATCH, """
@workflow
def w(s: str) -> None:
    match s:
        case _:
            text(s)
""", "match s", "`match`"),
    "try": Case(codes.TRY, """
@workflow
def w() -> None:
    try:
        num(1)
    except Exception:
        pass
""", "try:", "`try`"),
    "with": Case(codes.WITH, """
@workflow
def w() -> None:
    with open("x"):
        num(1)
""", "with open", "`with`"),
    "del": Case(codes.DEL, """
@workflow
def w() -> None:
    a = num(1)
    del a
""", "del a", "`del`"),
    "global": Case(codes.GLOBAL, """
@workflow
def w() -> None:
    global G
    num(1)
""", "global G", "`global`"),
    "aug-assign": Case(codes.AUG_ASSIGN, """
@workflow
def w() -> None:
    a = num(1)
    a += 1
""", "a += 1", "augmented assignment"),
    "walrus": Case(codes.WALRUS, """
@workflow
def w() -> None:
    num(b := 1)
""", "b := 1", "`:=`"),
    "star-args": Case(codes.STAR_ARGS, """
@workflow
def w(xs: list[int]) -> None:
    num(*xs)
""", "*xs", "`*args`"),
    "double-star": Case(codes.STAR_ARGS, """
@workflow
def w() -> None:
    num(**{"x": 1})
""", '{"x": 1}', "`**kwargs`"),
    "not-a-template": Case(codes.NOT_A_TEMPLATE, """
def plain(x: int) -> int:
    return x

@workflow
def w() -> None:
    plain(1)
""", "plain(1)", "is not a @container or @workflow"),
    "fragment-call": Case(codes.FRAGMENT_CALL, """
@workflow
def w() -> None:
    helper()
""", "helper()", "is a @fragment"),
    "method-call": Case(codes.METHOD_CALL, """
@workflow
def w() -> None:
    a = text("x")
    text(a.upper())
""", "a.upper", "calls a method"),
    "arithmetic": Case(codes.ARITHMETIC, """
@workflow
def w() -> None:
    a = num(1)
    num(a + 1)
""", "a + 1", "computes a value"),
    "fstring": Case(codes.FSTRING_VALUE, """
@workflow
def w() -> None:
    a = nums()
    text(f"{a}!")
""", 'a}!', "is list[int]: only str, int and bool values can be interpolated"),
    "fstring-float": Case(codes.FSTRING_VALUE, """
@container
def ratio() -> float:
    return 0.5

@workflow
def w() -> None:
    r = ratio()
    text(f"at {r}")
""", 'r}"', "a float prints differently in Argo (Go) and in Python"),
    "fstring-format": Case(codes.FSTRING_FORMAT, """
@workflow
def w(i: int) -> None:
    text(f"part-{i:03d}")
""", 'i:03d}', "`:03d` cannot format `i`"),
    "record-unknown-field": Case(codes.RECORD_FIELD, """
@workflow
def w() -> None:
    takes_point(Point(x=1, lable="a"))

@container
def takes_point(p: Point) -> None:
    pass
""", 'lable="a"', "`Point` has no field `lable`"),
    "record-missing-field": Case(codes.RECORD_MISSING, """
@workflow
def w() -> None:
    takes_point(Point(x=1))

@container
def takes_point(p: Point) -> None:
    pass
""", 'Point(x=1)', "`Point(...)` is missing field(s): `label`"),
    "record-field-type": Case(codes.RECORD_FIELD_TYPE, """
@workflow
def w(name: str) -> None:
    takes_point(Point(x=name, label="a"))

@container
def takes_point(p: Point) -> None:
    pass
""", 'name, label', "`Point` field `x` expects int, got str"),
    "range-step": Case(codes.RANGE_FANOUT, """
@workflow
def w(n: int) -> None:
    ys = [num(i) for i in range(0, n, 2)]
""", '2)]', "`range` with step 2"),
    "filter-call": Case(codes.FANOUT_FILTER, """
@workflow
def w(xs: list[int]) -> None:
    ys = [num(x) for x in xs if flag()]
""", 'flag()', "calls a template in a fan-out filter"),
    "wf-status-in-task": Case(codes.WF_FACT_CONTEXT, """
@workflow
def notify() -> None:
    text(athena.wf.status)

@workflow
def w() -> None:
    notify()
""", 'notify()', "reads athena.wf.status/failures", 2),
    "wf-unknown-fact": Case(codes.WF_FACT_UNKNOWN, """
@workflow
def w() -> None:
    text(athena.wf.namespace)
""", 'athena.wf.namespace', "`athena.wf` has no fact `namespace`"),
    "conversion": Case(codes.CONVERSION, """
@workflow
def w() -> None:
    a = num(1)
    text(str(a))
""", "str(a)", "converts a value"),
    "return-not-last": Case(codes.RETURN_NOT_LAST, """
@workflow
def w() -> int:
    return num(1)
    num(2)
""", "return num(1)", "last statement"),
    "arm-binding-escapes": Case(codes.ARM_BINDING_ESCAPES, """
@workflow
def w(v: int) -> None:
    if v > 1:
        a = num(v)
    num(a)
""", "a)", "bound inside an `if` arm"),
    "comprehension-two-for": Case(codes.COMPREHENSION_SHAPE, """
@workflow
def w(xs: list[int]) -> None:
    ys = [num(x) for x in xs for z in xs]
""", "[num(x)", "exactly one `for`"),
    "comprehension-if": Case(codes.CONDITION_TYPE, """
@workflow
def w(xs: list[int]) -> None:
    ys = [num(x) for x in xs if x > "1"]
""", 'x > "1"', "compares int with str"),
    "comprehension-not-call": Case(codes.COMPREHENSION_SHAPE, """
@workflow
def w(xs: list[int]) -> None:
    ys = [x for x in xs]
""", "x for", "one template call"),
    "hook-on-value-if": Case(codes.HOOK_ON_VALUE_IF, """
@workflow
def w(v: int) -> None:
    a = num.options(on_exit=nothing)(v) if v > 1 else num(2)
""", "num.options(on_exit=nothing)", "value-if arm"),
    "return-outcome": Case(codes.OUTCOME_MISUSE, """
@workflow
def w() -> Outcome[int]:
    a = num.options(continue_on=["failed"])(1)
    return a
""", "a\n", "cannot be returned"),
    "fan-over-outcome": Case(codes.OUTCOME_MISUSE, """
@workflow
def w() -> None:
    a = nums.options(continue_on=["failed"])()
    ys = [num(x) for x in a]
""", "a]", "fan out over a `continue_on`"),
    "unsupported-statement": Case(codes.UNSUPPORTED_STATEMENT, """
@workflow
def w() -> None:
    import os
    num(1)
""", "import os", "not allowed in a workflow body"),
    "binding-from-name": Case(codes.UNSUPPORTED_STATEMENT, """
@workflow
def w(v: int) -> None:
    a = v
""", "v\n", "must take the result of a template call"),
    "unsupported-expression": Case(codes.UNSUPPORTED_EXPRESSION, """
@workflow
def w(v: int) -> None:
    num(v if v else 1)
""", "v if v", "must be bound first"),
    "bad-condition": Case(codes.BAD_CONDITION, """
@workflow
def w(v: int) -> None:
    if v is True:
        num(v)
""", "v is True", "compares with None only"),
    "truthiness": Case(codes.TRUTHINESS, """
@workflow
def w(v: int) -> None:
    if v:
        num(v)
""", "v:\n", "is int, not bool"),
    "chained-compare": Case(codes.CHAINED_COMPARE, """
@workflow
def w(v: int) -> None:
    if 1 < v < 3:
        num(v)
""", "1 < v < 3", "chained"),
    "unknown-name": Case(codes.UNKNOWN_NAME, """
@workflow
def w() -> None:
    num(missing_thing)
""", "missing_thing", "is not a parameter"),
    "async-workflow": Case(codes.ASYNC_WORKFLOW, """
@workflow
async def w() -> None:
    num(1)
""", "w()", "`async def`"),
    "async-container": Case(codes.ASYNC_CONTAINER, """
@container
async def c() -> None:
    pass
""", "c()", "`async def`"),
    "not-module-level": Case(codes.NOT_MODULE_LEVEL, """
def outer() -> None:
    @container
    def inner() -> None:
        pass

outer()
""", "inner()", "not defined at module level"),
    "bad-options-call": Case(codes.BAD_OPTIONS_CALL, """
@workflow
def w() -> None:
    num.options(retries=3)(1)
""", "retries=3", "has no argument `retries`"),
    "hook-target": Case(codes.BAD_HOOK_TARGET, """
@workflow
def w() -> None:
    num.options(on_exit=lambda: 3)(1)
""", "lambda: 3", "must be one template call"),
    "artifact-in-workflow": Case(codes.ARTIFACT_IN_WORKFLOW, """
@workflow
def w() -> None:
    athena.host("/x")
""", "athena.host", "cannot be used in a workflow body"),
    "recursion": Case(codes.RECURSION, """
@workflow
def w(v: int) -> None:
    w(v)
""", "w(v)", "calls itself"),
    "braces": Case(codes.LITERAL_TEMPLATE_BRACES, """
@workflow
def w(s: str) -> None:
    if s == "a}}b":
        text(s)
""", 's == "a}}b"', "cannot contain `}}`"),
    "empty-body": Case(codes.EMPTY_BODY, """
@workflow
def w() -> None:
    pass
""", "w()", "calls no template"),
    "fanout-continue-on": Case(codes.FANOUT_CONTINUE_ON, """
@workflow
def w(xs: list[int]) -> None:
    ys = [num.options(continue_on=["failed"], on_exit=nothing)(x) for x in xs]
""", "num.options(continue_on", "are not supported"),
    "missing-annotation": Case(codes.MISSING_ANNOTATION, """
@container
def c(x) -> None:
    pass

@workflow
def w() -> None:
    c(1)
""", "x)", "has no type annotation"),
    "not-boundary-type": Case(codes.NOT_BOUNDARY_TYPE, """
@container
def c(x: object | complex) -> None:
    pass

@workflow
def w() -> None:
    c(1)
""", "x: object", "is not a JSON boundary type"),
    "arg-type-literal": Case(codes.ARG_TYPE, """
@workflow
def w() -> None:
    num("3")
""", '"3"', "parameter `x` expects int, got \"3\""),
    "arg-type-binding": Case(codes.ARG_TYPE, """
@workflow
def w() -> None:
    a = text("x")
    num(a)
""", "a)", "expects int, got str"),
    "arity": Case(codes.ARITY, """
@workflow
def w() -> None:
    num(1, 2)
""", "2)", "takes 1 positional argument"),
    "unknown-kwarg": Case(codes.UNKNOWN_KWARG, """
@workflow
def w() -> None:
    two(1, bb="x")
""", 'bb="x"', "has no parameter `bb`"),
    "missing-arg": Case(codes.MISSING_ARG, """
@workflow
def w() -> None:
    two(b="x")
""", 'two(b="x")', "missing argument(s): `a`"),
    "no-field": Case(codes.NO_FIELD, """
@workflow
def w() -> None:
    p = pt()
    num(p.y)
""", "p.y", "has no field `y`"),
    "none-consumed": Case(codes.NONE_CONSUMED, """
@workflow
def w() -> None:
    n = nothing()
    text(n)
""", "n)", "returns None"),
    "value-if-arms": Case(codes.VALUE_IF_ARMS, """
@workflow
def w(v: int) -> None:
    a = num(v) if v > 1 else text("x")
""", 'text("x")', "different types"),
    "fanout-source": Case(codes.FANOUT_SOURCE, """
@workflow
def w(v: int) -> None:
    ys = [num(x) for x in v]
""", "v]", "cannot fan out over"),
    "return-type": Case(codes.RETURN_TYPE, """
@workflow
def w() -> int:
    return text("x")
""", 'text("x")', "declares `-> int` but returns `str`"),
    "outcome-type": Case(codes.OUTCOME_TYPE, """
@workflow
def w() -> None:
    a = num.options(continue_on=["error"])(1)
    num(a)
""", "a)", "a `continue_on` binding"),
    "condition-type": Case(codes.CONDITION_TYPE, """
@workflow
def w(v: int) -> None:
    if v == "3":
        num(v)
""", 'v == "3"', "compares int with str"),
    "unresolved-annotation": Case(codes.UNRESOLVED_ANNOTATION, """
from typing import TYPE_CHECKING
if TYPE_CHECKING:
    from decimal import Decimal as Hidden

@container
def c(x: Hidden) -> None:
    pass

@workflow
def w() -> None:
    c("1")
""", "c(x: Hidden)", "cannot be resolved"),
    "hook-args": Case(codes.HOOK_ARGS, """
@workflow
def w() -> None:
    nothing.options(on_exit=num)()
""", "num)", "needs argument(s) x"),
    "int-range": Case(codes.INT_RANGE, """
@workflow
def w() -> None:
    num(9007199254740993)
""", "9007199254740993", "outside ±(2**53-1)"),
    "bad-literal": Case(codes.BAD_LITERAL, """
@workflow
def w() -> None:
    text(b"x")
""", 'b"x"', "is not a JSON value"),
    "duplicate-arg": Case(codes.DUPLICATE_ARG, """
@workflow
def w() -> None:
    num(1, x=2)
""", "x=2", "given twice"),
    "param-kind": Case(codes.SETTINGS_EXPLICIT, """
@container
def c(*xs: int) -> None:
    pass

@workflow
def w() -> None:
    c()
""", "xs: int", "templates take plain named parameters"),
    "bad-option": Case(codes.BAD_OPTION, """
@container(image="")
def c() -> None:
    pass
""", '""', "must be a non-empty string"),
    "bad-duration": Case(codes.BAD_DURATION, """
@container(timeout="2x")
def c() -> None:
    pass
""", '"2x"', "not a duration"),
    "bad-enum": Case(codes.BAD_ENUM, """
@container(retry=Retry(policy="Sometimes"))
def c() -> None:
    pass
""", 'Retry(policy="Sometimes")', "must be one of Always"),
    "retry-never-retries": Case(codes.RETRY_NEVER_RETRIES, """
@container(retry=Retry(limit=3, policy="OnError", on_exit_codes=[1]))
def c() -> None:
    pass
""", 'Retry(limit=3, policy="OnError", on_exit_codes=[1])', "never retries"),
    "bad-resource-quantity": Case(codes.BAD_QUANTITY, """
@container(resources=Resources(cpu="500 m", memory="1Gi"))
def c() -> None:
    pass
""", 'Resources(cpu="500 m", memory="1Gi")', "Resources(cpu=...) '500 m' is not a Kubernetes quantity"),
    "request-above-limit": Case(codes.BAD_QUANTITY, """
@container(resources=Resources(memory="2Gi", memory_limit="1Gi"))
def c() -> None:
    pass
""", 'Resources(memory="2Gi", memory_limit="1Gi")', "is above memory_limit='1Gi'"),
    "bad-env-name": Case(codes.BAD_ENV_NAME, """
@container(env={"LOG-LEVEL": "debug"})
def c() -> None:
    pass
""", '{"LOG-LEVEL": "debug"}', "'LOG-LEVEL' is not a valid environment variable name"),
    "credential-inline": Case(codes.CREDENTIAL_INLINE, """
@container(env={"DB_PASSWORD": "hunter2"})
def c() -> None:
    pass
""", '{"DB_PASSWORD": "hunter2"}', "`env` 'DB_PASSWORD': a credential written into the YAML"),
    "reserved-env-name": Case(codes.RESERVED_ENV_NAME, """
@container(env={"ATHENA_ENTRY": "x"})
def c() -> None:
    pass
""", '{"ATHENA_ENTRY": "x"}', "starts with ATHENA_, which athena and Argo reserve"),
    "reserved-env-prefix": Case(codes.RESERVED_ENV_NAME, """
@container(env_from=[SecretEnv("keys", prefix="ARGO_")])
def c() -> None:
    pass
""", '[SecretEnv("keys", prefix="ARGO_")]', "starts with ARGO_"),
    "bad-pull-policy": Case(codes.BAD_ENUM, """
@container(image_pull_policy="Sometimes")
def c() -> None:
    pass
""", '"Sometimes"', "`image_pull_policy` must be one of Always, IfNotPresent, Never"),
    "bad-toleration": Case(codes.BAD_ENUM, """
@workflow(tolerations=[Toleration(key="gpu", operator="Equals")])
def w() -> None:
    num(1)
""", '[Toleration(key="gpu", operator="Equals")]', "Toleration(operator=...) must be one of Equal, Exists"),
    "pod-spec-patch-not-a-mapping": Case(codes.BAD_POD_SPEC_PATCH, """
@container(pod_spec_patch="[1, 2]")
def c() -> None:
    pass
""", '"[1, 2]"', "`pod_spec_patch` must be a mapping of PodSpec fields, got [1, 2]"),
    "pod-spec-patch-unknown-field": Case(codes.BAD_POD_SPEC_PATCH, """
@container(pod_spec_patch={"terminationGracePeriod": 30})
def c() -> None:
    pass
""", '{"terminationGracePeriod": 30}', "did you mean 'terminationGracePeriodSeconds'?"),
    "bad-injection": Case(codes.BAD_INJECTION, """
@container(image="app:{missing}")
def c(tag: str) -> None:
    pass

@workflow
def w() -> None:
    c("v1")
""", '"app:{missing}"', "names no parameter"),
    "wrong-kind": Case(codes.OPTION_WRONG_KIND, """
@workflow(timeout=30)
def w() -> None:
    num(1)
""", "30", "applies to @container only"),
    "continue-on": Case(codes.CONTINUE_ON, """
@workflow
def w() -> None:
    num.options(continue_on=["failled"])(1)
""", '["failled"]', "literal list of"),
    # schedules (a CronWorkflow per scheduled root)
    "bad-cron": Case(codes.BAD_CRON, """
@workflow(schedule="0 25 * * *")
def w() -> None:
    nothing()
""", '"0 25 * * *"', "hour 25 is out of range 0-23"),
    "cron-seconds-field": Case(codes.BAD_CRON, """
@workflow(schedule=["@daily", "0 0 4 * * *"])
def w() -> None:
    nothing()
""", '["@daily", "0 0 4 * * *"]', "Argo 4 rejects a seconds field"),
    "bad-timezone": Case(codes.BAD_OPTION, """
@workflow(schedule="@daily", timezone="Europe/Atlantis")
def w() -> None:
    nothing()
""", '"Europe/Atlantis"', "is not an IANA time zone name"),
    "bad-concurrency-policy": Case(codes.BAD_ENUM, """
@workflow(schedule="@daily", concurrency_policy="Never")
def w() -> None:
    nothing()
""", '"Never"', "must be one of Allow, Forbid, Replace"),
    "cron-missing-argument": Case(codes.CRON_ARGUMENTS, """
@workflow(schedule="0 4 * * *")
def w(x: int, y: str = "a") -> None:
    num(x)
""", '"0 4 * * *"', "has no value for `x`"),
    "cron-argument-unknown": Case(codes.CRON_ARGUMENTS, """
@workflow(schedule="0 4 * * *", cron_arguments={"xx": 1})
def w(x: int = 1) -> None:
    num(x)
""", '{"xx": 1}', "names `xx`, which is not a parameter"),
    "cron-argument-type": Case(codes.CRON_ARGUMENTS, """
@workflow(schedule="0 4 * * *", cron_arguments={"x": "ten"})
def w(x: int) -> None:
    num(x)
""", '{"x": "ten"}', "does not fit its type int"),
    "schedule-on-container": Case(codes.OPTION_WRONG_KIND, """
@container(schedule="@daily")
def c() -> None:
    pass
""", '"@daily"', "applies to @workflow only"),
    "schedule-not-root": Case(codes.SCHEDULE_NOT_ROOT, """
@workflow(schedule="@hourly")
def inner() -> None:
    nothing()

@workflow
def outer() -> None:
    inner()
""", '"@hourly"', "is called from `"),
    "cron-option-without-schedule": Case(codes.BAD_OPTION, """
@workflow(timezone="UTC")
def w() -> None:
    nothing()
""", '"UTC"', "has no effect without `schedule=`"),
    "target-lacks-option": Case(codes.TARGET_LACKS_OPTION, """
@container(retry=Retry(backoff="10s", cap="1m"))
def c() -> None:
    pass
""", 'Retry(backoff="10s", cap="1m")', "needs Argo 3.7"),
    "bad-quantity": Case(codes.BAD_QUANTITY, """
@container(volumes=[athena.WorkflowClaim("scratch", mount="/scratch", size="10GB")])
def c() -> None:
    pass
""", '[athena.WorkflowClaim(', "is not a Kubernetes quantity"),
    "bad-mount": Case(codes.BAD_MOUNT, """
@container(volumes=[athena.EmptyDir("cache", mount="/athena/cache")])
def c() -> None:
    pass
""", '[athena.EmptyDir(', "under /athena"),
    "claim-conflict": Case(codes.CLAIM_CONFLICT, """
@container(volumes=[athena.WorkflowClaim("scratch", mount="/scratch", size="1Gi")])
def a() -> None:
    pass

@container(volumes=[athena.WorkflowClaim("scratch", mount="/scratch", size="2Gi")])
def b() -> None:
    pass

@workflow
def w() -> None:
    a()
    b()
""", '[athena.WorkflowClaim(', "with a different size", nth=2),
    "bad-name": Case(codes.BAD_NAME, """
@container(name="My_Container")
def c() -> None:
    pass
""", '"My_Container"', "Kubernetes rejects it"),
    "duplicate-template": Case(codes.DUPLICATE_TEMPLATE, """
@container(name="same")
def c1() -> None:
    pass

@container(name="same")
def c2() -> None:
    pass
""", "c2()", "are both named `same`"),
    # issue 13: a body above 200 tasks is split on v4 (no ATH404); a part may not need more than 500 inputs
    "split-too-many-inputs": Case(codes.SPLIT_TOO_MANY_INPUTS, "\n@container\ndef three(a: int, b: int, c: int) "
        "-> None:\n    pass\n\n@workflow\ndef w() -> None:\n" + "".join(
        f"    v{i} = num({i})\n" for i in range(600)) + "".join(
        f"    three(v{3 * j}, v{3 * j + 1}, v{3 * j + 2})\n" for j in range(200)), "w()",
        "part 4 then reads 600 values from outside, above Argo's 500 input parameters"),
    "unencodable-string": Case(codes.UNENCODABLE_STRING, """
@workflow
def w() -> None:
    text("a\\ud800")
""", '"a\\ud800"', "lone surrogate"),
    "enum-values": Case(codes.ENUM_VALUES, """
class Mixed(enum.Enum):
    A = "a"
    B = 1

@container
def takes(m: Mixed) -> None:
    pass
""", "m: Mixed", "Enum `Mixed` mixes member values of types int, str"),
    "artifact-list": Case(codes.ARTIFACT_LIST, """
@container
def gather(files: list[athena.Artifact[str]]) -> None:
    pass
""", "files: list", "nests an Artifact"),
    "resource-key": Case(codes.RESOURCE_KEY, """
@container
def c(k: str) -> None:
    athena.load_artifact(k)
""", "k)", "needs a string literal"),
    "host-path": Case(codes.HOST_PATH, """
@container
def c() -> None:
    athena.host("/x/../../etc")
""", '"/x/../../etc"', "contains a `..` segment"),
    "artifact-key": Case(codes.ARTIFACT_KEY, """
@container
def c() -> None:
    athena.save_artifact("../../etc/passwd", b"")
""", '"../../etc/passwd"', "contains a `..` segment"),
    # run_as_user= (issue 9, pod security)
    "bad-run-as-user": Case(codes.BAD_RUN_AS_USER, """
@container(run_as_user=True)
def c() -> None:
    pass
""", "True)", "`run_as_user` must be a UID (an int from 1 to 2147483647) or None, got True"),
    "root-run-as-user": Case(codes.BAD_RUN_AS_USER, """
@container(run_as_user=0)
def c() -> None:
    pass
""", "0)", "got 0"),
    # settings (issue 9)
    "settings-argument": Case(codes.SETTINGS_ARGUMENT, """
class Cfg(athena.Settings):
    host: str = "h"

@container
def c() -> None:
    kind = Cfg
    athena.settings(kind)
""", "kind)", "`kind` is not a module-level name"),
    "settings-argument-call": Case(codes.SETTINGS_ARGUMENT, """
def pick() -> type:
    return int

@container
def c() -> None:
    athena.settings(pick())
""", "pick())", "takes one argument, the Settings class by name"),
    "not-settings": Case(codes.NOT_SETTINGS, """
class Plain:
    host: str = "h"

@container
def c() -> None:
    athena.settings(Plain)
""", "Plain)", "`Plain` is the class `Plain`, not a subclass of athena.Settings"),
    "settings-in-workflow": Case(codes.SETTINGS_IN_WORKFLOW, """
class Cfg(athena.Settings):
    host: str = "h"

@workflow
def w() -> None:
    athena.settings(Cfg)
""", "athena.settings(Cfg)", "cannot be used in a workflow body"),
    "settings-clash": Case(codes.SETTINGS_CLASH, """
class A(athena.Settings):
    host: str = "a"

class B(athena.Settings):
    host: str = "b"

@fragment
def more() -> None:
    athena.settings(B)

@container
def c() -> None:
    athena.settings(A)
    more()
""", "B)", "step `c` reads `C__HOST` for both `A.host` and `B.host`"),
    "settings-field-type": Case(codes.SETTINGS_FIELD_TYPE, """
class Lock:
    pass

class Odd(athena.Settings):
    lock: Lock

@container
def c() -> None:
    athena.settings(Odd)
""", "lock:", "settings field `Odd.lock` has type Lock"),
    # metrics= (issue 9)
    "bad-metric-name": Case(codes.BAD_METRIC_NAME, """
@container(metrics=[athena.Counter("job:runs", help="runs")])
def c() -> None:
    pass
""", '[athena.Counter("job:runs"', "Counter name 'job:runs' is not a metric name Argo accepts"),
    "duplicate-metric-name": Case(codes.BAD_METRIC_NAME, """
@workflow(metrics=[athena.Counter("runs", help="a"), athena.Gauge("runs", help="b", value=1)])
def w() -> None:
    num(1)
""", '[athena.Counter("runs"', "two metrics of this template are named 'runs'"),
    "bad-metric-label": Case(codes.BAD_METRIC_LABEL, """
@container(metrics=[athena.Counter("runs", help="runs", labels={"1st": "x"})])
def c() -> None:
    pass
""", '[athena.Counter("runs"', "label name '1st' is not one Argo accepts"),
    "metric-help": Case(codes.METRIC_HELP, """
@container(metrics=[athena.Counter("runs")])
def c() -> None:
    pass
""", '[athena.Counter("runs")]', "Counter('runs') has no help= text"),
    "metric-value": Case(codes.BAD_METRIC_VALUE, """
@container(metrics=[athena.Gauge("last", help="last duration")])
def c() -> None:
    pass
""", '[athena.Gauge("last"', "Gauge('last') needs value="),
    "metric-buckets": Case(codes.BAD_METRIC_BUCKETS, """
@container(metrics=[athena.Histogram("secs", help="durations", value="{{duration}}", buckets=[10, 1])])
def c() -> None:
    pass
""", '[athena.Histogram("secs"', "buckets= must be strictly increasing, got [10, 1]"),
    "too-many-metrics": Case(codes.TOO_MANY_METRICS, """
@container(metrics=[athena.Counter(f"m{i}", help="x") for i in range(101)])
def c() -> None:
    pass
""", '[athena.Counter(f"m{i}"', "101 metrics on one template; Argo 4.1 accepts at most 100"),
    # issue 13 (ordering without data, status dependencies, guarded recursion)
    "after-not-a-task": Case(codes.BAD_AFTER, """
@workflow
def w(v: int) -> None:
    num.options(after=[v])(1)
""", "v]", "`v` is a workflow input, not a task to wait for"),
    "after-any-steps": Case(codes.AFTER_ANY_STEPS, """
@workflow(steps=True)
def w() -> None:
    h = nothing()
    num.options(after_any=[h])(1)
""", "num.options(after_any", "uses `after_any=` in a `steps=True` workflow"),
    "after-any-continue-on": Case(codes.AFTER_ANY_CONTINUE_ON, """
@workflow
def w() -> None:
    h = nothing()
    num.options(after_any=[h])(1)
    num.options(continue_on=["failed"])(2)
""", 'num.options(continue_on', "uses `continue_on` but no later task waits for it"),
    "parallel-dependent": Case(codes.PARALLEL_GROUP, """
@workflow(steps=True)
def w() -> None:
    with athena.parallel():
        a = num(1)
        num(a)
""", "num(a)", "uses or waits for `a` of the same `with athena.parallel():` block"),
    # issue 13: external templates, suspend and approval
    "external-stub-body": Case(codes.EXTERNAL_STUB_BODY, """
@athena.external(template_ref="tools", template="notify")
def notify(channel: str) -> str:
    return channel
""", "return channel", "its body must be `...`"),
    "external-ref": Case(codes.BAD_EXTERNAL_REF, """
@athena.external(template_ref="Tools_1", template="notify")
def notify(channel: str) -> str: ...
""", '"Tools_1"', "template_ref='Tools_1' is not a WorkflowTemplate name"),
    "external-artifact": Case(codes.EXTERNAL_ARTIFACT, """
@athena.external(template_ref="tools", template="load")
def load(key: str) -> athena.Artifact[bytes]: ...

@workflow
def w() -> None:
    load("k")
""", 'load("k")', "returns Artifact[bytes]"),
    "suspend-duration": Case(codes.BAD_SUSPEND, """
@workflow
def w() -> None:
    num(1)
    athena.suspend("soon")
""", '"soon"', "the duration"),
    "approval-default": Case(codes.BAD_APPROVAL, """
@workflow
def w() -> None:
    ok = athena.approval("deploy?", default="no")
    if ok:
        num(1)
""", '"no"', "`default=` must be True or False, got 'no'"),
}

_counter = itertools.count()


def compile_source(tmp_path: Path, body: str, argo_version: str = "4.1") -> tuple[str, Path]:
    source = PRELUDE + body
    path = tmp_path / f"case_{next(_counter)}.py"
    path.write_text(source, encoding="utf-8")
    import msgspec

    config = msgspec.structs.replace(Config(), defaults=msgspec.structs.replace(
        Config().defaults, argo_version=argo_version))
    try:
        app = api.load_app(str(path), config)
        api.compile_templates(app.roots, config)
    finally:
        sys.modules.pop(path.stem, None)
    return source, path


def location(source: str, at: str, nth: int) -> tuple[int, int]:
    start = len(PRELUDE)
    idx = start - 1
    for _ in range(nth):
        idx = source.index(at, idx + 1)
    line = source.count("\n", 0, idx) + 1
    col = idx - (source.rfind("\n", 0, idx) + 1)
    return line, col


@pytest.mark.parametrize("name", sorted(CASES))
def test_compile_error(name: str, tmp_path: Path) -> None:
    case = CASES[name]
    with pytest.raises(CompileError) as info:
        compile_source(tmp_path, case.body, "3.6" if name == "target-lacks-option" else "4.1")
    source = PRELUDE + case.body
    diag = info.value.diagnostics[0]
    assert diag.code == case.code, info.value.render()
    assert case.message in diag.message, info.value.render()
    assert diag.span is not None
    assert (diag.span.line, diag.span.col) == location(source, case.at, case.nth), info.value.render()
    assert diag.hint, "every diagnostic carries a hint"


def test_every_code_has_a_case() -> None:
    covered = {c.code for c in CASES.values()}
    # Codes that need an environment no module can build (no source file, >100 nested templates, >500 params)
    # are covered by dedicated tests below or in test_api.py.
    # ATH404 is no longer raised: big DAGs are split (issue 13, tests/argo/test_split.py).
    exempt = {codes.NO_SOURCE, codes.TOO_DEEP, codes.TOO_MANY_PARAMS, codes.TOO_MANY_TASKS}
    missing = set(codes.CATALOGUE) - covered - exempt
    assert not missing, f"codes without a compile-fail case: {sorted(missing)}"


def test_rendered_error_has_location_caret_and_hint(tmp_path: Path) -> None:
    with pytest.raises(CompileError) as info:
        compile_source(tmp_path, CASES["arg-type-literal"].body)
    text = info.value.render()
    lines = text.splitlines()
    assert lines[0].endswith('error[ATH203]: `num` parameter `x` expects int, got "3"')
    assert ':' in lines[0] and lines[0].split(":")[1].isdigit()
    assert lines[1].strip().endswith('num("3")')
    assert lines[2].strip().endswith("^^^")
    assert lines[-1].startswith("hint: ")


def test_no_source_is_a_clear_error() -> None:
    with pytest.raises(CompileError) as info:
        exec(compile("from athena import workflow\n@workflow\ndef w() -> None:\n    pass\n", "<string>", "exec"), {})
    assert info.value.codes == [codes.NO_SOURCE]


def test_errors_are_collected_per_body(tmp_path: Path) -> None:
    with pytest.raises(CompileError) as info:
        compile_source(tmp_path, """
@workflow
def w() -> None:
    num("a")
    text(1)
""")
    assert info.value.codes == [codes.ARG_TYPE, codes.ARG_TYPE]


def test_every_statement_kind_is_lowered_or_rejected() -> None:
    """New Python syntax must break this test rather than slip through (pyflakes' ERROR_UNKNOWN, made permanent)."""
    import ast

    from athena.compile.lower.base import _REJECTED_STMTS

    handled = {ast.Expr, ast.Assign, ast.AnnAssign, ast.If, ast.Return, ast.Pass}
    default_denied = {ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom, ast.Raise,
                      ast.Assert, ast.Break, ast.Continue}
    if hasattr(ast, "TypeAlias"):
        default_denied.add(ast.TypeAlias)
    every = {c for c in vars(ast).values() if isinstance(c, type) and issubclass(c, ast.stmt) and c is not ast.stmt}
    assert every == handled | set(_REJECTED_STMTS) | default_denied


@pytest.mark.parametrize("stmt", ["def f(): pass", "class C: pass", "import os", "raise ValueError()",
                                  "assert True", "from os import path"])
def test_default_denied_statements(tmp_path: Path, stmt: str) -> None:
    with pytest.raises(CompileError) as info:
        compile_source(tmp_path, f"\n@workflow\ndef w() -> None:\n    {stmt}\n    num(1)\n")
    assert info.value.codes == [codes.UNSUPPORTED_STATEMENT]


@pytest.mark.parametrize(("body", "code", "message"), [
    ("""
@container
def blob() -> athena.Artifact[bytes]:
    raise NotImplementedError

@container
def use(b: athena.Artifact[bytes]) -> None:
    pass

@workflow
def w() -> None:
    use("not an artifact")
""", codes.ARG_TYPE, "pass the binding of a template that returns an Artifact"),
    ("""
@workflow(node_selector={"pool": "{x}"})
def w(x: str) -> None:
    text(x)
""", codes.BAD_INJECTION, "a @workflow cannot inject"),
    ("""
@workflow
def w() -> None:
    num(1e999)
""", codes.BAD_LITERAL, "not a finite number"),
    ("""
@container
def c(größe: int) -> None:
    pass

@workflow
def w() -> None:
    c(1)
""", codes.BAD_NAME, "parameter `größe`"),
])
def test_more_errors(tmp_path: Path, body: str, code: str, message: str) -> None:
    with pytest.raises(CompileError) as info:
        compile_source(tmp_path, body)
    assert info.value.codes[0] == code, info.value.render()
    assert message in info.value.diagnostics[0].message


def test_signature_errors_are_reported_once(tmp_path: Path) -> None:
    with pytest.raises(CompileError) as info:
        compile_source(tmp_path, """
@container
def c(size) -> None:
    pass

@workflow
def w() -> None:
    c(1)
    c(2)
""")
    assert info.value.codes == [codes.MISSING_ANNOTATION]


def test_calls_of_non_templates_say_what_works(tmp_path: Path) -> None:
    """Issue 8: a record constructor, a plain function and an undefined name each get a hint that helps."""
    def first(body: str) -> Diagnostic:
        with pytest.raises(CompileError) as info:
            compile_source(tmp_path, body)
        return info.value.diagnostics[0]

    record = first('@workflow\ndef w() -> None:\n    Point(x=1, label="a")\n    num(1)\n')
    assert record.code == codes.NOT_A_TEMPLATE and "builds a `Point` record value" in record.message
    assert record.hint and "bind it" in record.hint
    wrong = first('@workflow\ndef w() -> None:\n    num(Point(x=1, label="a"))\n')  # issue 13: a value, type-checked
    assert wrong.code == codes.ARG_TYPE and "expects int, got Point" in wrong.message
    plain = first('def helper(x: int) -> int:\n    return x\n\n@workflow\ndef w() -> None:\n    helper(1)\n')
    assert plain.code == codes.NOT_A_TEMPLATE and plain.hint and "nested template calls" in plain.hint
    typo = first('@workflow\ndef w() -> None:\n    numm(1)\n')
    assert typo.code == codes.UNKNOWN_NAME and "no template, function or import" in typo.message
    assert typo.hint == "did you mean `num`?"


def test_a_rejected_statement_causes_no_follow_on_errors(tmp_path: Path) -> None:
    """Issue 8: the `return y` after a rejected `for` that bound `y` is not a second error; a name rebound for
    real later is checked again."""
    with pytest.raises(CompileError) as info:
        compile_source(tmp_path, '''
@workflow
def w(xs: list[int]) -> int:
    for x in xs:
        y = num(x)
    return y
''')
    assert info.value.codes == [codes.FOR_LOOP]
    with pytest.raises(CompileError) as info:
        compile_source(tmp_path, '''
@workflow
def w(xs: list[int]) -> None:
    for x in xs:
        y = num(x)
    y = num(1)
    num(*y)
''')
    assert info.value.codes == [codes.FOR_LOOP, codes.STAR_ARGS]


def test_a_body_above_200_tasks_compiles_on_every_line(tmp_path: Path) -> None:
    """Issue 13: ATH404 is gone; v4 targets split the DAG at emit, v3 targets need no split."""
    body = "\n@workflow\ndef w() -> None:\n" + "".join("    num(1)\n" for _ in range(201))
    for line in ("3.6", "3.7", "4.0", "4.1"):
        compile_source(tmp_path, body, argo_version=line)
