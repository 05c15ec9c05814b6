"""The option table, the decorator overloads, the inert pod stand-ins and the emitter's rules agree."""

from __future__ import annotations

import inspect
import typing
from typing import Any

import msgspec
import pytest

from athena import _inert, codes, decorators
from athena.argo.emit import options as emit_options
from athena.argo.emit.settings import EmitSettings
from athena.argo.facts import ArgoVersion, parse_version
from athena.compile.model import Container, Param, Workflow
from athena.compile.options import (
    OPTIONS,
    TTL,
    OptionInvalid,
    Retry,
    RetrySpec,
    TemplateOptions,
    TTLSpec,
    options_for,
    validate_options,
)
from athena.compile.typecheck import NONE, STR
from athena.errors import CompileError

KINDS = ("container", "workflow")


def overload_keywords(kind: str) -> dict[str, str]:
    """The keyword parameters of the options overload of ``@container``/``@workflow``, with annotation text."""
    found = [o for o in typing.get_overloads(getattr(decorators, kind))
             if any(p.kind is p.KEYWORD_ONLY for p in inspect.signature(o).parameters.values())]
    assert len(found) == 1, found
    return {p.name: str(p.annotation) for p in inspect.signature(found[0]).parameters.values()}


@pytest.mark.parametrize("kind", KINDS)
def test_overloads_declare_exactly_the_table(kind: str) -> None:
    keywords = overload_keywords(kind)
    assert sorted(keywords) == sorted(options_for(kind))
    for name, annotation in keywords.items():
        assert annotation == " | ".join([*OPTIONS[name].kinds, "None"]), name


def test_every_option_lands_in_template_options() -> None:
    fields = {f.name: f.type for f in msgspec.structs.fields(TemplateOptions)}
    assert sorted(fields) == sorted(s.field for s in OPTIONS.values())
    for name, annotation in fields.items():
        assert "Template" not in str(annotation) and "Any" not in str(annotation), name  # data only


def test_every_option_has_an_emit_rule() -> None:
    assert list(emit_options.RULES) == list(OPTIONS)
    for name, rule in emit_options.RULES.items():
        assert bool(rule.sites) != bool(rule.inline), f"{name}: emit fields at sites, or say where it is read"
    for site, order in emit_options.SITE_ORDER.items():
        assert sorted(order) == sorted(n for n, r in emit_options.RULES.items() if site in r.sites), site
    allowed = {"container": "container", "container_metadata": "container", "main": "container", "dag": "workflow",
               "document_metadata": "workflow", "workflow_root": "workflow"}
    for name, rule in emit_options.RULES.items():
        for site in rule.sites:
            if site in allowed:
                assert OPTIONS[name].allowed(allowed[site]), (name, site)


@pytest.mark.parametrize("kind", KINDS)
def test_inert_stand_ins_accept_every_option(kind: str) -> None:
    def fn() -> None:
        pass

    raw = {name: object() for name in options_for(kind)}
    t = getattr(_inert, kind)(**raw)(fn)
    assert t.raw_options == raw and t.kind == kind and t() is None
    assert t.options(on_exit=fn, continue_on=["failed"]) is t


# ---------------------------------------------------------------------------------------- validators


def test_validators_return_normalized_values() -> None:
    assert OPTIONS["timeout"].validate("1h30m") == 5400
    assert OPTIONS["labels"].validate({"b": "x", "a.io/k": "y"}) == (("a.io/k", "y"), ("b", "x"))
    assert OPTIONS["image_pull_secrets"].validate(["a", "b"]) == ("a", "b")
    assert OPTIONS["retry"].validate(Retry(limit="unlimited", backoff="1m", factor=2, cap="10m",
                                           on_exit_codes=[1, 2])) == RetrySpec(None, None, 60, 2, 600, None, (1, 2))
    assert OPTIONS["ttl_if_root"].validate(TTL(after_success="1d")) == TTLSpec(None, 86_400, None)
    assert OPTIONS["pod_gc_if_root"].validate("OnPodSuccess") == "OnPodSuccess"


def problems(name: str, value: Any) -> list[tuple[str | None, str]]:
    with pytest.raises(OptionInvalid) as info:
        OPTIONS[name].validate(value)
    return [(p.code, p.message) for p in info.value.problems]


def test_validators_report_plain_messages() -> None:
    assert problems("image", "") == [(None, "`image` must be a non-empty string, got ''")]
    assert problems("pod_gc_if_root", "Never")[0][0] == codes.BAD_ENUM
    assert problems("timeout", "2x") == [(codes.BAD_DURATION,
                                          "timeout: '2x' is not a duration; use an int of seconds or a string "
                                          "like '90s', '1h30m', '2d'")]
    assert [c for c, _ in problems("labels", {"Bad Key": "x", "ok": "bad value"})] == [None, None]
    found = problems("retry", Retry(policy="Sometimes", backoff="2x"))
    assert [c for c, _ in found] == [codes.BAD_ENUM, codes.BAD_DURATION]
    assert found[1][1].startswith("Retry(backoff=...): '2x'")
    assert problems("parallelism", True)[0][1].startswith("`parallelism` must be an int ≥ 1")


def parse(text: str) -> ArgoVersion:
    version = parse_version(text)
    assert version is not None
    return version


def test_target_rule() -> None:
    spec = OPTIONS["retry"].validate(Retry(backoff="1s", cap="1m"))
    assert OPTIONS["retry"].target is not None
    assert OPTIONS["retry"].target(spec, parse("3.6")) == "Retry(cap=...) needs Argo 3.7 or later"
    assert OPTIONS["retry"].target(spec, parse("3.7.16")) is None


@decorators.container
def handler() -> None:
    pass


def test_references_stay_out_of_the_options() -> None:
    def fn() -> None:
        pass

    validated = validate_options("workflow", {"on_exit_if_root": handler, "steps": True}, fn)
    assert validated.options == TemplateOptions(steps=True)
    assert validated.references == {"on_exit_if_root": handler}


def test_unknown_option_suggests_a_close_one() -> None:
    def fn() -> None:
        pass

    with pytest.raises(CompileError) as info:
        validate_options("container", {"imag": "x"}, fn)
    [d] = info.value.diagnostics
    assert (d.code, d.message, d.hint) == (codes.BAD_OPTION, "@container has no argument `imag`",
                                           "did you mean `image`?")


# ------------------------------------------------------------------------------- emit rules, hand-built IR


SETTINGS = EmitSettings(targets=(), default_image="img", service_account=None, namespace=None, argo_line="4.1",
                        image_pull_secrets=(), run_as_user=None, name_tag="", s3={}, bundle_key="k", digest="d")


def test_root_rules_merge_pod_metadata() -> None:
    o = TemplateOptions(labels=(("a", "1"),), annotations=(("n", "v"),), node_selector=(("zone", "x"),),
                        on_exit_if_root="bye", pod_gc_if_root="OnPodSuccess")
    wf = Workflow(name="w", function="w", params=(), returns=NONE, tasks=(), options=o)
    assert emit_options.fields("workflow_root", wf, SETTINGS) == {
        "podMetadata": {"labels": {"a": "1"}, "annotations": {"n": "v"}},
        "nodeSelector": {"zone": "x"},
    }
    assert emit_options.fields("root", wf, SETTINGS) == {
        "hooks": {"exit": {"templateRef": {"name": "bye", "template": "bye"}}},
        "podGC": {"strategy": "OnPodSuccess"},
    }
    synthetic = msgspec.structs.replace(wf, options=msgspec.structs.replace(o, parallelism=2, retry=RetrySpec(
        1, None, None, None, None, None, ())), synthetic=True)
    assert emit_options.fields("dag", synthetic, SETTINGS) == {"nodeSelector": {"zone": "x"}}


def test_container_rules_inject_parameters() -> None:
    o = TemplateOptions(service_account="sa-{team}", timeout_seconds=90, pod_running_timeout_seconds=30)
    c = Container(name="c", entry="m:c", function="c", params=(Param("team", STR),), returns=NONE,
                  options=o)
    assert emit_options.fields("container", c, SETTINGS) == {
        "serviceAccountName": "sa-{{=fromJSON(inputs.parameters['team'])}}",
        "timeout": "90s",
        "activeDeadlineSeconds": 30,
    }



# ------------------------------------------------------------------------------- pod configuration (issue 9)


def test_quantities_parse_like_kubernetes() -> None:
    from fractions import Fraction

    from athena.compile.quantities import check_quantity, quantity_value

    assert quantity_value("500m") == Fraction(1, 2)
    assert quantity_value("1Gi") == 2**30 and quantity_value("1G") == 10**9 and quantity_value("1e3") == 1000
    assert quantity_value(".5") == Fraction(1, 2) and quantity_value("2") == 2
    for bad in ("", "1 Gi", "1GB", "1gi", "m", "1.2.3"):
        with pytest.raises(ValueError):
            check_quantity(bad, "cpu", positive=False)


def test_pod_configuration_validators() -> None:
    from athena.compile.options import EnvFromSpec, EnvVarSpec, ResourcesSpec, TolerationSpec
    from athena.option_types import ConfigMapEnv, Resources, SecretValue, Toleration

    assert OPTIONS["resources"].validate(Resources(cpu=1, memory_limit="1Gi", gpu=2)) == ResourcesSpec(
        (("cpu", "1"),), (("memory", "1Gi"), ("nvidia.com/gpu", "2")))
    assert OPTIONS["env"].validate({"A": "1", "B": SecretValue("s", "k")}) == (
        EnvVarSpec("A", "1"), EnvVarSpec("B", source="secret", ref_name="s", ref_key="k"))
    assert OPTIONS["env_from"].validate([ConfigMapEnv("cm", prefix="X_")]) == (
        EnvFromSpec("configMap", "cm", "X_", True),)
    assert OPTIONS["tolerations"].validate([Toleration(operator="Exists")]) == (
        TolerationSpec(None, "Exists", None, None, None),)
    assert OPTIONS["pod_spec_patch"].validate("priority: 5\n") == "priority: 5\n"  # the user's text, checked
    assert OPTIONS["security_context"].validate({"runAsUser": None}) == '{"runAsUser":null}'
    assert [c for c, _ in problems("resources", Resources(cpu="1x", memory="lots"))] == [codes.BAD_QUANTITY] * 2
    assert problems("resources", Resources())[0][1].startswith("Resources() sets nothing")
    assert problems("env", {"PORT": 8080})[0][1].endswith('(write numbers as text: "8080")')
    assert problems("tolerations", [Toleration(key="k", seconds=5)])[0][1].startswith(
        'Toleration(seconds=...) needs effect="NoExecute"')
    assert problems("affinity", {"nodeAfinity": {}})[0][1] == \
        "`affinity` has no field 'nodeAfinity'; did you mean 'nodeAffinity'?"
    assert problems("security_context", {"privileged": object()})[0][1].startswith(
        "`security_context`: security_context.privileged = <object")


def test_security_contexts_merge_like_values_files() -> None:
    merged = emit_options.merge_over(
        {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}, "runAsNonRoot": True},
        {"capabilities": {"add": ["NET_ADMIN"]}, "runAsNonRoot": None, "privileged": False})
    assert merged == {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"], "add": ["NET_ADMIN"]},
                      "privileged": False}


# ------------------------------------------------------------------------------- metrics= (issue 9)


def test_metrics_validate_normalize_and_know_the_v4_limits() -> None:
    from athena.compile.options import MetricSpec
    from athena.option_types import Counter, Gauge, Histogram

    assert OPTIONS["metrics"].validate([Counter("runs", help="h", labels={"a": "b"}),
                                        Gauge("g", help="h", value=2.5, operation="Add"),
                                        Histogram("s", help="h", value="{{duration}}", buckets=(1, 2.5))]) == (
        MetricSpec("counter", "runs", "h", (("a", "b"),), "1"),
        MetricSpec("gauge", "g", "h", (), "2.5", operation="Add"),
        MetricSpec("histogram", "s", "h", (), "{{duration}}", buckets=(1, 2.5)))
    assert [c for c, _ in problems("metrics", [Gauge("g", help="h", value=1, operation="Mul")])] == [codes.BAD_ENUM]
    assert problems("metrics", [Gauge("g", help="h", value="{{resourcesDuration.cpu}}", realtime=True)])[0][0] == \
        codes.BAD_METRIC_VALUE
    assert problems("metrics", [Gauge("g", help="h", value="1", realtime=True)])[0][1].startswith(
        "Gauge('g'): a realtime gauge's value must be \"{{duration}}\"")
    assert OPTIONS["metrics"].validate([Gauge("g", help="h", value="{{ duration }}", realtime=True)])[0].realtime
    assert problems("metrics", [Histogram("s", help="h", value=1)])[0][0] == codes.BAD_METRIC_BUCKETS
    assert problems("metrics", [Histogram("s", help="h", value=1, buckets=[1, True])])[0][0] == codes.BAD_METRIC_BUCKETS
    assert problems("metrics", Counter("runs", help="h"))[0][1].startswith("`metrics` must be a list")
    target = OPTIONS["metrics"].target
    assert target is not None
    many = OPTIONS["metrics"].validate([Counter(f"m{i}", help="h") for i in range(101)])
    assert target(many, parse("3.7")) is None and target(many[:100], parse("4.0")) is None
    lacks = target(many, parse("4.0.10"))
    assert not isinstance(lacks, str) and lacks is not None and lacks.code == codes.TOO_MANY_METRICS
    long_gauge = OPTIONS["metrics"].validate([Gauge("g", help="h", value="x" * 257)])
    assert target(long_gauge, parse("3.6")) is None
    lacks = target(long_gauge, parse("4.1"))
    assert lacks is not None and not isinstance(lacks, str) and lacks.code == codes.BAD_METRIC_VALUE
