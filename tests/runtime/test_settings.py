"""Loading and decoding ``athena.Settings`` from environment variables (runtime/settings.py)."""

from __future__ import annotations

import dataclasses
import enum

import pytest
from hypothesis import given
from hypothesis import strategies as st

import athena
from athena.runtime import settings as rs


class Mode(enum.Enum):
    FAST = "fast"
    SAFE = "safe"


class DB(athena.Settings):
    host: str = "localhost"
    port: int = 5432
    password: athena.Secret[str]


class Train(athena.Settings):
    db: DB
    tags: list[str] = ["a"]  # noqa: RUF012 - Settings copies a mutable default per instance (ruff cannot know)
    rate: float = 0.5
    debug: bool = False
    mode: Mode = Mode.FAST
    limits: dict[str, int] = {}  # noqa: RUF012
    note: str | None = None


def test_names_types_defaults_and_secrets() -> None:
    got = [(v.name, v.type_name, v.default_text(), v.secret) for v in rs.variables(Train, "train")]
    assert got == [
        ("TRAIN__DB__HOST", "str", "localhost", False),
        ("TRAIN__DB__PORT", "int", "5432", False),
        ("TRAIN__DB__PASSWORD", "str", None, True),
        ("TRAIN__TAGS", "list[str]", '["a"]', False),
        ("TRAIN__RATE", "float", "0.5", False),
        ("TRAIN__DEBUG", "bool", "false", False),
        ("TRAIN__MODE", "Mode", '"fast"', False),
        ("TRAIN__LIMITS", "dict[str, int]", "{}", False),
        ("TRAIN__NOTE", "str | None", "null", False),
    ]


def test_str_is_raw_text_everything_else_is_json() -> None:
    s = rs.load(Train, "train", {"TRAIN__DB__PASSWORD": '"quoted" pw', "TRAIN__DB__HOST": "42",
                                 "TRAIN__DB__PORT": "5433", "TRAIN__TAGS": '["x"]', "TRAIN__MODE": '"safe"',
                                 "TRAIN__NOTE": '"n"', "TRAIN__RATE": "1"})
    assert (s.db.password, s.db.host, s.db.port, s.tags, s.mode, s.note, s.rate) == (
        '"quoted" pw', "42", 5433, ["x"], Mode.SAFE, "n", 1.0)
    assert s.debug is False and s.limits == {}


def test_every_problem_is_listed_and_secrets_are_not_shown() -> None:
    with pytest.raises(rs.SettingsError) as info:
        rs.load(Train, "train", {"TRAIN__DB__PORT": "5432.5", "TRAIN__TAGS": "a,b"})
    text = str(info.value)
    assert "TRAIN__DB__PASSWORD is not set (DB.password: str, required)" in text
    assert "TRAIN__DB__PORT='5432.5' is not a valid int (DB.port)" in text
    assert "TRAIN__TAGS='a,b' is not a valid list[str] (Train.tags)" in text
    assert isinstance(info.value, athena.AthenaError)


def test_instances_are_frozen_keyword_only_and_hide_secrets_in_repr() -> None:
    db = DB(password="hunter2")
    assert repr(db) == "DB(host='localhost', port=5432, password=***)"
    with pytest.raises(dataclasses.FrozenInstanceError):
        db.port = 1  # type: ignore[misc]
    with pytest.raises(TypeError):
        DB("h", 1, "p")  # type: ignore[misc]
    # a mutable default is copied per instance, never shared
    a, b = Train(db=db), Train(db=db)
    assert a.tags == ["a"] and a.tags is not b.tags


def test_settings_takes_only_settings_classes_and_only_inside_a_step(monkeypatch) -> None:
    with pytest.raises(athena.AthenaError, match=r"takes a subclass of athena\.Settings"):
        athena.settings(dict)  # type: ignore[type-var]
    monkeypatch.delenv("ATHENA_RUNTIME", raising=False)
    with pytest.raises(athena.AthenaError, match="works only inside a running container step"):
        athena.settings(DB)


def test_in_a_pod_the_step_is_the_entry_function(monkeypatch) -> None:
    monkeypatch.setenv("ATHENA_RUNTIME", "1")
    monkeypatch.setenv("ATHENA_ENTRY", "pkg.flows:Steps.fit_model")
    monkeypatch.setenv("FIT_MODEL__PASSWORD", "pw")
    assert athena.settings(DB) == DB(password="pw")


_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"))


@st.composite
def trains(draw: st.DrawFn) -> Train:
    db = DB(host=draw(_text), port=draw(st.integers(-(2**53) + 1, 2**53 - 1)), password=draw(_text))
    return Train(db=db, tags=draw(st.lists(_text, max_size=4)),
                 rate=draw(st.floats(allow_nan=False, allow_infinity=False)), debug=draw(st.booleans()),
                 mode=draw(st.sampled_from(Mode)), limits=draw(st.dictionaries(_text, st.integers(0, 10**6),
                                                                              max_size=3)),
                 note=draw(st.none() | _text))


@given(trains(), st.from_regex(r"[a-z_][a-z0-9_]{0,20}", fullmatch=True))
def test_an_instance_encoded_into_variables_loads_back_equal(obj: Train, step: str) -> None:
    env = rs.to_env(obj, step)
    assert all(name.startswith(step.upper() + "__") for name in env)
    assert rs.load(Train, step, env) == obj
