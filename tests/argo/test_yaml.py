"""athena.argo.yaml: quoting that every resolver agrees on, exact round trips, deterministic text."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from athena.argo.yaml import FrozenDict, FrozenList, dump_yaml, fast, frozen, load_yaml_documents
from athena.argo.yaml import io as yamlio
from athena.argo.yaml.scalars import Dumper, PyDumper

# Both emitters must agree: CSafeDumper in production, SafeDumper where libyaml is missing.
DUMPERS = [pytest.param(Dumper, id="fast"), pytest.param(PyDumper, id="python")]

AMBIGUOUS = [
    *"1e3 1E+3 0o17 0x1F 1_000 .5 yes ~ 2001-12-14 1:20 = null True on off n y NO 12 -3 +4 0.5 .inf .NaN "
    "1e-3 +1e3 1. 0b101 017 08 1_0.5 190:20:30 2001-12-14t21:59:43.10-05:00 2001-1-2 -.INF +.inf .nan "
    "Y N Yes ON Off FALSE NULL Null << ._5 -_1 0 -0 1.0e+3".split(),
    "",
]
PLAIN = ["hello", "my-flows-fetch", "/athena/bin", "argoproj.io/v1alpha1", "sh", "-c", "echo", "a_b", "v1"]

# go-yaml v2 (resolve.go): a plain scalar whose first character is a sign or digit, with every `_`
# removed, is an int when strconv.ParseInt/ParseUint(s, 0, 64) accepts it, a float when it matches
# this regex, and one starting with `.` is a float when strconv.ParseFloat accepts it.
GO_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
GO_INT = re.compile(r"^[-+]?(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$")
GO_MAP = {
    *"y Y yes Yes YES on On ON true True TRUE n N no No NO off Off OFF false False FALSE".split(),
    *"null Null NULL ~ .nan .NaN .NAN <<".split(),
    *(sign + inf for sign in ("", "+", "-") for inf in (".inf", ".Inf", ".INF")),
    "",
}


def go_yaml_v2_reads_as_non_string(s: str) -> bool:
    if s in GO_MAP:
        return True
    if s[:1] in set("+-0123456789"):
        plain = s.replace("_", "")
        return bool(GO_INT.match(plain) or GO_FLOAT.match(plain) or re.match(r"^\d{4}-\d{1,2}-\d{1,2}", s))
    if s[:1] == ".":
        return bool(GO_FLOAT.match(s))
    return False


def scalar_style(text: str) -> str | None:
    """The style the value of the single key `k` was written in (None = plain)."""
    node = yaml.compose(text)
    assert isinstance(node, yaml.MappingNode)
    value = node.value[0][1]
    assert isinstance(value, yaml.ScalarNode)
    return value.style


def dump_one(value: str, dumper: Any) -> str:
    return yamlio.dump_with([{"k": value}], dumper)


@pytest.mark.parametrize("dumper", DUMPERS)
@pytest.mark.parametrize("word", AMBIGUOUS)
def test_ambiguous_strings_are_single_quoted(word: str, dumper: Any) -> None:
    text = dump_one(word, dumper)
    assert text == f"k: '{word}'\n"
    assert load_yaml_documents(text) == [{"k": word}]
    assert yaml.safe_load(text) == {"k": word}  # stock PyYAML, timestamps on, agrees too


@pytest.mark.parametrize("dumper", DUMPERS)
@pytest.mark.parametrize("word", PLAIN)
def test_plain_identifiers_stay_plain(word: str, dumper: Any) -> None:
    assert dump_one(word, dumper) == f"k: {word}\n"


@pytest.mark.parametrize("word", AMBIGUOUS)
def test_ambiguous_keys_are_quoted_too(word: str) -> None:
    assert load_yaml_documents(dump_yaml([{word: 1}])) == [{word: 1}]


@pytest.mark.parametrize("value", ['"s"', "7", "true", "null", "[1, 2]", '{"a": 1}', "-1.5e3"])
def test_json_inside_a_yaml_string_stays_a_string(value: str) -> None:
    text = dump_yaml([{"value": value}])
    assert load_yaml_documents(text) == [{"value": value}]
    assert scalar_style(text) in ("'", '"')


@pytest.mark.parametrize("dumper", DUMPERS)
def test_shell_script_is_a_literal_block(dumper: Any) -> None:
    script = '#!/bin/sh\nset -eu\nexec python -m athena.runtime "$@"\n'
    text = dump_one(script, dumper)
    assert text == 'k: |\n  #!/bin/sh\n  set -eu\n  exec python -m athena.runtime "$@"\n'
    assert load_yaml_documents(text) == [{"k": script}]


@pytest.mark.parametrize("dumper", DUMPERS)
@pytest.mark.parametrize(
    ("value", "style"),
    [
        ("a\nb", "|"),  # no trailing newline: `|-`
        ("a\nb\n", "|"),
        ("a\nb\n\n", "|"),  # several: `|+`
        ("  indented\nnext\n", "|"),  # indentation indicator
        ("\nleading break", "|"),
        ("trailing space  \nnext", '"'),  # a space before a break cannot be a block scalar
        ("ends in space\n  ", '"'),
        ("crlf\r\nline", '"'),
        ("nel\x85line", '"'),  # single quotes would fold it into a space
        ("ls\u2028line\n", '"'),
        ("tab\tinside\nnext", '"'),  # the emitters never put a tab in a block scalar
        ("\n", "|"),
        ("\n\n", "|"),
    ],
)
def test_multiline_strings_round_trip_exactly(value: str, style: str, dumper: Any) -> None:
    text = dump_one(value, dumper)
    assert load_yaml_documents(text) == [{"k": value}]
    assert scalar_style(text) == style, text


def test_stream_layout_is_deterministic() -> None:
    shared = {"name": "x", "value": "1"}
    docs = [
        {"kind": "WorkflowTemplate", "z": 1, "a": [shared, shared], "t": ("a", 2)},
        {"kind": "CronWorkflow", "long": "word " * 200},
    ]
    text = dump_yaml(docs)
    first, second = text.split("---\n")
    assert first.startswith("kind: WorkflowTemplate\nz: 1\na:\n")  # insertion order, not sorted
    assert "&" not in text and "*" not in text  # shared objects are written out, never aliased
    assert second == f"kind: CronWorkflow\nlong: '{'word ' * 200}'\n"  # never folded
    assert load_yaml_documents(text) == [{**docs[0], "t": ["a", 2]}, docs[1]]
    assert dump_yaml(docs) == text == yamlio.dump_with(docs, PyDumper)
    assert dump_yaml([]) == ""


def test_unicode_is_written_as_is() -> None:
    assert dump_yaml([{"k": "héllo ☃"}]) == "k: héllo ☃\n"


def test_load_keeps_timestamps_and_equals_as_strings() -> None:
    text = "a: 2001-12-14\nb: 2001-12-14t21:59:43.10-05:00\nc: =\nd: 1e3\n---\n---\ne: [1]\n"
    assert load_yaml_documents(text) == [
        {"a": "2001-12-14", "b": "2001-12-14t21:59:43.10-05:00", "c": "=", "d": "1e3"},
        {"e": [1]},
    ]


def test_load_rejects_a_document_that_is_not_a_mapping() -> None:
    with pytest.raises(yaml.YAMLError, match="document 1 is a list"):
        load_yaml_documents("a: 1\n---\n- x\n")


@settings(max_examples=400, database=None, deadline=None)
@given(value=st.text())
@pytest.mark.parametrize("dumper", DUMPERS)
def test_any_text_round_trips(dumper: Any, value: str) -> None:
    assert load_yaml_documents(dump_one(value, dumper))[0]["k"] == value


NUMBERISH = st.one_of(
    st.from_regex(GO_FLOAT, fullmatch=True),
    st.from_regex(GO_INT, fullmatch=True),
    st.from_regex(r"[-+]?[0-9][0-9_]*(\.[0-9_]*)?([eE][-+]?[0-9_]+)?", fullmatch=True),
    st.from_regex(r"[-+]?_*[0-9][0-9_xXoObB]*", fullmatch=True),
    st.sampled_from(sorted(GO_MAP)),
)


@settings(max_examples=400, database=None, deadline=None)
@given(value=st.one_of(NUMBERISH, st.text(alphabet="0123456789.+-_eExXoObB:~yYnN ", max_size=8)))
def test_nothing_go_yaml_v2_reads_as_a_non_string_is_plain(value: str) -> None:
    text = dump_yaml([{"k": value}])
    if go_yaml_v2_reads_as_non_string(value):
        assert scalar_style(text) is not None, text
    assert load_yaml_documents(text)[0]["k"] == value


def test_go_yaml_model_matches_the_brief() -> None:
    # The reference model itself, on the cases named in DESIGN §3.
    for word in "1e3 1E+3 0o17 0x1F 1_000 .5 yes ~ 12 -3 +4 0.5 .inf y n".split():
        assert go_yaml_v2_reads_as_non_string(word), word
    for word in PLAIN:
        assert not go_yaml_v2_reads_as_non_string(word), word


# ----------------------------------------------------------------------------- the fast writer

from hypothesis import given as _given  # noqa: E402
from hypothesis import settings as _settings  # noqa: E402
from hypothesis import strategies as _st  # noqa: E402

_SCALARS = (_st.none() | _st.booleans() | _st.integers() | _st.floats()
            | _st.text() | _st.sampled_from([*AMBIGUOUS, *PLAIN, "a: b", "- x", "#c", "x #c", "it's", "\t",
                                             "multi\nline\n", "no end\nnewline", " lead\n", "\n\nx\n", "tail\n\n",
                                             "é\u2028x", "{{inputs.parameters.x}}", "'quoted'", '"dq"', "|", ">"]))
_DOCS = _st.recursive(_SCALARS, lambda c: _st.lists(c, max_size=4)
                      | _st.dictionaries(_st.text(max_size=6) | _st.sampled_from(["y", "1", "a b", ""]), c,
                                         max_size=4), max_leaves=25)


@_settings(max_examples=400, deadline=None)
@_given(_st.lists(_st.dictionaries(_st.text(max_size=5), _DOCS, max_size=5), min_size=1, max_size=3))
def test_fast_writer_is_byte_identical_to_pyyaml(docs: list[dict[str, Any]]) -> None:
    assert yamlio.dump_yaml(docs) == yamlio.dump_yaml_reference(docs)


# ------------------------------------------------------------------- frozen sub-documents, fast paths


@_settings(max_examples=200, deadline=None)
@_given(_st.lists(_st.dictionaries(_st.text(max_size=5), _DOCS, min_size=1, max_size=4), min_size=1, max_size=3))
def test_frozen_sub_documents_are_written_like_plain_ones(parts: list[dict[str, Any]]) -> None:
    # Each part shared at several depths and positions: a mapping value, first and later list items, a document.
    shared = [frozen(p) for p in parts]
    docs: list[dict[str, Any]] = [{"a": s, "b": [s, s, [s]], "c": {"d": [1, s]}} for s in shared] + shared
    plain = [{"a": p, "b": [p, p, [p]], "c": {"d": [1, p]}} for p in parts] + parts
    text = dump_yaml(docs)
    assert text == yamlio.dump_yaml_reference(plain) == yamlio.dump_with(docs, Dumper)
    assert dump_yaml(docs) == text  # the second call starts with an empty frozen-text cache
    assert load_yaml_documents(text) == load_yaml_documents(yamlio.dump_yaml_reference(plain))


def test_frozen_values_refuse_changes_and_behave_like_plain_ones() -> None:
    import copy
    import json
    import pickle

    f = frozen({"a": [1, {"b": "c"}], "e": {}})
    assert type(f) is FrozenDict and type(f["a"]) is FrozenList and type(f["a"][1]) is FrozenDict
    assert f == {"a": [1, {"b": "c"}], "e": {}} and isinstance(f, dict) and isinstance(f["a"], list)
    assert json.loads(json.dumps(f)) == {"a": [1, {"b": "c"}], "e": {}}
    assert copy.deepcopy(f) is f and copy.copy(f) is f
    assert pickle.loads(pickle.dumps(f)) == f
    for change in (lambda: f.__setitem__("x", 1), lambda: f.__delitem__("a"), f.clear, lambda: f.pop("a"),
                   f.popitem, lambda: f.setdefault("x", 1), lambda: f.update(x=1)):
        with pytest.raises(TypeError, match="cannot change"):
            change()
    g = f
    with pytest.raises(TypeError):
        g |= {"x": 1}
    items = f["a"]
    for change in (lambda: items.append(1), lambda: items.extend([1]), lambda: items.insert(0, 1), items.pop,
                   lambda: items.remove(1), items.clear, items.sort, items.reverse,
                   lambda: items.__setitem__(0, 2), lambda: items.__delitem__(0)):
        with pytest.raises(TypeError, match="cannot change"):
            change()
    with pytest.raises(TypeError):
        items += [1]
    assert f == {"a": [1, {"b": "c"}], "e": {}}
    assert dump_yaml([{"k": frozen({}), "l": frozen([])}]) == "k: {}\nl: []\n"


def test_the_writer_leaves_the_garbage_collector_as_it_found_it() -> None:
    import gc

    assert gc.isenabled()
    dump_yaml([{"a": 1}])
    assert gc.isenabled()
    gc.disable()
    try:
        dump_yaml([{"a": 1}])
        assert not gc.isenabled()
    finally:
        gc.enable()


@_settings(max_examples=400, deadline=None)
@_given(_st.from_regex(fast._PLAIN_SAFE, fullmatch=True) | _st.sampled_from(["y", "Null", "on", "a:b", "a:"]))
def test_the_plain_fast_path_agrees_with_pyyamls_analysis(value: str) -> None:
    for simple_key in (False, True):
        if simple_key and not fast._SIMPLE_KEY.match(value):
            continue
        expected = fast._style(value, simple_key)
        got = fast._string(value, 2, simple_key)
        assert (got == value) == (expected == ""), (value, got, expected)
    assert dump_yaml([{"k": value}]) == yamlio.dump_yaml_reference([{"k": value}])


@_settings(max_examples=400, deadline=None)
@_given(_st.from_regex(fast._QUOTE_SAFE, fullmatch=True)
        | _st.sampled_from(["{{inputs.parameters.x}}", "{{=sprig.int(1)}}", "[a, b]", "#x", "'q'", "|", "@ a"]))
def test_the_single_quote_fast_path_agrees_with_pyyamls_analysis(value: str) -> None:
    for simple_key in (False, True):
        assert fast._style(value, simple_key) == "'", value
    assert dump_yaml([{"k": value, "l": [value]}]) == yamlio.dump_yaml_reference([{"k": value, "l": [value]}])
