"""Tests for athena.names: every generated name, its limits and the name checks."""

from __future__ import annotations

import hashlib
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from athena import names
from athena.names import (
    CRON_WORKFLOW_MAX,
    TEMPLATE_MAX,
    WORKFLOW_TEMPLATE_MAX,
    arm_name,
    artifact_port_name,
    check_dns_name,
    check_parameter_name,
    cron_name,
    env_name,
    host_mount_path,
    host_volume_name,
    is_yaml11_special,
    normalize,
    shorten,
    task_name,
    template_name,
    with_tag,
    wrapper_name,
)

ARGO_NAME = re.compile(r"[a-z0-9][-a-z0-9]*")
DNS_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")


def sha8(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def test_limits() -> None:
    assert (WORKFLOW_TEMPLATE_MAX, CRON_WORKFLOW_MAX, TEMPLATE_MAX) == (63, 52, 128)


# --- normalize ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("my.flows", "my-flows"),
        ("My_Flows", "my-flows"),
        ("fetch_data", "fetch-data"),
        ("fetch__data", "fetch-data"),
        ("a-_.b", "a-b"),
        ("_tmp", "tmp"),
        ("__init__", "init"),
        ("trailing_", "trailing"),
        ("--x--", "x"),
        ("Friendly.Bard", "friendly-bard"),  # PEP 503 example
        ("FrIeNdLy-._.-bArD", "friendly-bard"),  # PEP 503 example
        ("café", "cafe"),
        ("a b", "a-b"),
        ("_", ""),
        ("", ""),
        ("数据", ""),
        ("v2", "v2"),
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


# --- shorten ------------------------------------------------------------------------------------------


def test_shorten_short_names_are_unchanged() -> None:
    assert shorten("abc", 63) == "abc"
    assert shorten("a" * 63, 63) == "a" * 63


def test_shorten_long_name_is_exactly_limit_and_pinned() -> None:
    name = "a" * 64
    out = shorten(name, 63)
    assert len(out) == 63
    assert out == "a" * 54 + "-" + sha8(name)
    assert shorten(name, 63) == out  # deterministic


def test_shorten_distinct_long_names_stay_distinct() -> None:
    a, b = "x" * 70 + "a", "x" * 70 + "b"
    assert shorten(a, 63) != shorten(b, 63)
    assert shorten(a, 63)[:54] == shorten(b, 63)[:54]


def test_shorten_keeps_head_verbatim_even_when_it_ends_in_dash() -> None:
    name = "a" * 53 + "-" + "b" * 20
    out = shorten(name, 63)
    assert len(out) == 63
    assert out == "a" * 53 + "--" + sha8(name)
    assert not out.endswith("-")
    assert DNS_NAME.fullmatch(out)


@pytest.mark.parametrize("limit", [52, 63, 128])
def test_shorten_exact_length_at_each_limit(limit: int) -> None:
    assert len(shorten("q" * 500, limit)) == limit


def test_shorten_rejects_tiny_limit() -> None:
    with pytest.raises(ValueError, match="at least 10"):
        shorten("abcdefghijkl", 9)


# --- template / wrapper / arm / cron ------------------------------------------------------------------


def test_template_name() -> None:
    assert template_name("my.flows", "fetch_data") == "my-flows-fetch-data"
    assert template_name("My_Flows", "_private_step") == "my-flows-private-step"
    assert template_name("my-flows", "_") == "my-flows"
    assert template_name("", "") == "template"


def test_template_name_long_is_shortened_to_63() -> None:
    out = template_name("my-flows", "f" * 80)
    full = "my-flows-" + "f" * 80
    assert out == full[:54] + "-" + sha8(full)
    assert len(out) == 63


def test_template_name_override_is_verbatim() -> None:
    assert template_name("my.flows", "fetch_data", override="fetch") == "fetch"
    assert template_name("p", "f", override="9-lives") == "9-lives"
    assert template_name("p", "f", override="on") == "on"  # quoted when written, like every such scalar


@pytest.mark.parametrize(
    ("override", "fragment"),
    [
        ("My_Container", "must be lowercase letters, digits and '-'"),
        ("fetch.data", "must be lowercase letters, digits and '-'"),
        ("-fetch", "must start and end"),
        ("", "must not be empty"),
        ("a" * 64, "over the limit of 63"),
    ],
)
def test_template_name_invalid_override(override: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=re.escape(fragment)) as info:
        template_name("p", "f", override=override)
    assert str(info.value).startswith(f"name={override!r}: ")


def test_wrapper_and_arm_names() -> None:
    assert wrapper_name("my-flows-etl", 1) == "my-flows-etl-if1"
    assert arm_name("my-flows-etl-if1", 0) == "my-flows-etl-if1-arm0"
    assert arm_name(wrapper_name("my-flows-etl", 2), 3) == "my-flows-etl-if2-arm3"


def test_wrapper_and_arm_names_are_shortened() -> None:
    parent = "p" * 63
    w = wrapper_name(parent, 1)
    a = arm_name(w, 1)
    assert len(w) == len(a) == 63
    assert w == shorten(parent + "-if1", 63)
    assert wrapper_name(parent, 1) != wrapper_name(parent, 2)
    assert arm_name(w, 1) != arm_name(w, 2)


def test_cron_name() -> None:
    assert cron_name("my-flows-nightly") == "my-flows-nightly"
    root = "my-flows-" + "n" * 54  # a 63-character WorkflowTemplate name
    out = cron_name(root)
    assert len(out) == 52
    assert out == root[:43] + "-" + sha8(root)


# --- task names ---------------------------------------------------------------------------------------


def test_task_name_basic_and_records_taken() -> None:
    taken: set[str] = set()
    assert task_name("raw", taken) == "raw"
    assert task_name("fetch_data", taken) == "fetch-data"
    assert taken == {"raw", "fetch-data"}


def test_task_name_collisions_count_up() -> None:
    taken: set[str] = set()
    assert [task_name("summarize", taken) for _ in range(4)] == [
        "summarize",
        "summarize-2",
        "summarize-3",
        "summarize-4",
    ]


def test_task_name_collision_across_spellings() -> None:
    taken: set[str] = set()
    assert task_name("x_2", taken) == "x-2"
    assert task_name("x", taken) == "x"
    assert task_name("x", taken) == "x-3"  # "x-2" already taken by the binding x_2
    assert task_name("_x", taken) == "x-4"


def test_task_name_leading_underscore_digit_and_empty() -> None:
    taken: set[str] = set()
    assert task_name("_tmp", taken) == "tmp"
    assert task_name("__", taken) == "task"
    assert task_name("", taken) == "task-2"
    assert task_name("2nd_pass", taken) == "t-2nd-pass"
    assert task_name("_3", taken) == "t-3"


def test_task_name_long_is_shortened_and_collisions_stay_unique() -> None:
    taken: set[str] = set()
    base = "b" * 200
    first = task_name(base, taken)
    second = task_name(base, taken)
    assert len(first) == len(second) == 128
    assert first == shorten(base, 128)
    assert second == shorten(base + "-2", 128)
    assert first != second


# --- tags ---------------------------------------------------------------------------------------------


def test_with_tag() -> None:
    assert with_tag("my-flows-etl", "1.2.0") == "my-flows-etl-1-2-0"
    assert with_tag("my-flows-etl", "V2_RC") == "my-flows-etl-v2-rc"
    assert with_tag("my-flows-etl", "") == "my-flows-etl"
    assert with_tag("my-flows-etl", "..") == "my-flows-etl"


def test_with_tag_shortens_base_not_tag() -> None:
    name = "n" * 63
    out = with_tag(name, "1.2.0")
    assert len(out) == 63
    assert out.endswith("-1-2-0")
    assert out == shorten(name, 63 - 6) + "-1-2-0"


def test_with_tag_too_long() -> None:
    with pytest.raises(ValueError, match="name_tag 'x+' is too long".replace("+", "{53}")):
        with_tag("abc", "x" * 53)
    assert len(with_tag("a" * 63, "x" * 52)) == 63  # 10 characters left for the base


# --- env / artifact ports / host paths ----------------------------------------------------------------


def test_env_name() -> None:
    assert env_name("athena", "artifact-repository", "s3") == "ATHENA_ARTIFACT_REPOSITORY_S3"
    assert env_name("athena_defaults.namespace") == "ATHENA_DEFAULTS_NAMESPACE"
    assert env_name("a", "b c", "é") == "A_B_C__"


def test_artifact_port_name() -> None:
    assert artifact_port_name("model") == "model"
    assert artifact_port_name("train-x") == "train-x"
    assert artifact_port_name("Model") == f"model-{sha8('Model')}"
    assert artifact_port_name("train/x.bin") == f"train-x-bin-{sha8('train/x.bin')}"
    assert artifact_port_name("") == f"a-{sha8('')}"
    assert artifact_port_name("///") == f"a-{sha8('///')}"


def test_artifact_port_name_no_collisions() -> None:
    keys = ["model", "Model", "MODEL", "model/", "/model", "model-", "a", "", "a_b", "a.b", "a-b"]
    outs = [artifact_port_name(k) for k in keys]
    assert len(set(outs)) == len(keys)
    for out in outs:
        assert check_parameter_name(out) is None
        assert len(out) <= TEMPLATE_MAX


def test_artifact_port_name_long() -> None:
    out = artifact_port_name("k" * 300)
    assert len(out) == 128
    assert out == shorten("k" * 300, 128)


def test_host_paths() -> None:
    h = hashlib.sha256(b"/data/models").hexdigest()[:16]
    assert host_volume_name("/data/models") == f"host-{h}"
    assert host_mount_path("/data/models") == f"/athena/mounts/{h}"
    assert DNS_NAME.fullmatch(host_volume_name("/data/models"))
    assert host_volume_name("/a") != host_volume_name("/b")


# --- checks -------------------------------------------------------------------------------------------


def test_check_dns_name_ok() -> None:
    assert check_dns_name("fetch", 63) is None
    assert check_dns_name("9-lives", 63) is None
    assert check_dns_name("a" * 63, 63) is None
    assert check_dns_name("a" * 52, CRON_WORKFLOW_MAX) is None


def test_check_dns_name_messages() -> None:
    assert check_dns_name("My_Container", 63) == (
        "must be lowercase letters, digits and '-' (got 'My_Container'); Kubernetes rejects it; "
        "try 'my-container'"
    )
    msg = check_dns_name("-x-", 63)
    assert msg is not None and "must start and end" in msg and "try 'x'" in msg
    msg = check_dns_name("a" * 53, 52)
    assert msg is not None and "53 characters long, over the limit of 52" in msg
    assert check_dns_name("", 63) is not None
    msg = check_dns_name("数据", 63)
    assert msg is not None and "try" not in msg


def test_check_parameter_name() -> None:
    assert check_parameter_name("top_n") is None
    assert check_parameter_name("Top-N_2") is None
    msg = check_parameter_name("top n")
    assert msg is not None and "'top n'" in msg and "try 'top_n'" in msg
    assert check_parameter_name("") is not None
    assert check_parameter_name("a.b") is not None


@pytest.mark.parametrize(
    "word",
    [
        "y",
        "Y",
        "yes",
        "Yes",
        "YES",
        "yEs",
        "n",
        "N",
        "no",
        "NO",
        "on",
        "On",
        "off",
        "OFF",
        "true",
        "True",
        "false",
        "FALSE",
        "null",
        "Null",
        "~",
        "",
    ],
)
def test_yaml11_special(word: str) -> None:
    assert is_yaml11_special(word)


@pytest.mark.parametrize("word", ["yes-no", "nope", "y2", "none", "None", "t", "f", "0", "1", "x", "nul"])
def test_yaml11_not_special(word: str) -> None:
    assert not is_yaml11_special(word)


def test_module_is_pure_and_exports() -> None:
    for name in names.__all__:
        assert hasattr(names, name)


# --- properties ---------------------------------------------------------------------------------------

identifierish = st.one_of(
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,200}", fullmatch=True),
    st.from_regex(r"[A-Za-z0-9_.\-]{0,200}", fullmatch=True),
    st.text(max_size=150),
)


def _valid(name: str, limit: int) -> None:
    assert ARGO_NAME.fullmatch(name), name
    assert not name.endswith("-"), name
    assert len(name) <= limit, name


@given(prefix=identifierish, function=identifierish)
def test_prop_template_name(prefix: str, function: str) -> None:
    out = template_name(prefix, function)
    _valid(out, WORKFLOW_TEMPLATE_MAX)
    assert check_dns_name(out, WORKFLOW_TEMPLATE_MAX) is None
    assert template_name(prefix, function) == out
    w = wrapper_name(out, 12)
    _valid(w, WORKFLOW_TEMPLATE_MAX)
    _valid(arm_name(w, 3), WORKFLOW_TEMPLATE_MAX)
    _valid(cron_name(out), CRON_WORKFLOW_MAX)
    _valid(with_tag(out, "1.2.0"), WORKFLOW_TEMPLATE_MAX)


@given(bases=st.lists(identifierish, max_size=12))
def test_prop_task_names(bases: list[str]) -> None:
    taken: set[str] = set()
    outs = [task_name(b, taken) for b in bases]
    assert len(set(outs)) == len(outs)
    assert taken == set(outs)
    for out in outs:
        _valid(out, TEMPLATE_MAX)
        assert not out[0].isdigit()


@given(name=st.from_regex(r"[a-z0-9]([-a-z0-9]{0,300}[a-z0-9])?", fullmatch=True), limit=st.integers(10, 200))
def test_prop_shorten(name: str, limit: int) -> None:
    out = shorten(name, limit)
    assert len(out) == min(len(name), limit)
    assert DNS_NAME.fullmatch(out)
    assert out == shorten(name, limit)


@given(a=st.text(max_size=80), b=st.text(max_size=80))
def test_prop_artifact_port_names_distinct(a: str, b: str) -> None:
    pa, pb = artifact_port_name(a), artifact_port_name(b)
    assert check_parameter_name(pa) is None
    assert (pa == pb) == (a == b)
