"""Values files: Helm's merge, the schema from the option table, layering over decorators, located errors."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from athena.compile.options import OPTIONS, options_for
from athena.compile.values import (
    EXCLUDED,
    FORMS,
    Leaf,
    Origin,
    ValuesError,
    _tree,
    load_values,
    merge,
    plain,
    values_schema,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "examples"
HERE = Origin("t.yaml", 1, "")


def tree(data: dict[str, Any]) -> Any:
    return _tree(data, lambda p: Origin("t.yaml", None, p), "")


# ------------------------------------------------------------------------------------------ Helm's merge

keys = st.sampled_from(["a", "b", "c"])
scalars = st.none() | st.integers(0, 3) | st.text("xy", max_size=2) | st.lists(st.integers(0, 2), max_size=2)
data = st.recursive(scalars, lambda inner: st.dictionaries(keys, inner, max_size=3), max_leaves=8)
maps = st.dictionaries(keys, data, max_size=3)


def helm(base: Any, over: Any) -> Any:
    """The reference: Helm's coalesce as its docs state it, on plain data."""
    if not isinstance(over, dict):
        return over
    out = dict(base) if isinstance(base, dict) else {}
    for k, v in over.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = helm(out.get(k), v)
    return out


def without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    return value


@given(maps, maps)
def test_merge_is_helms(base: dict[str, Any], over: dict[str, Any]) -> None:
    merged = merge(tree(without_nulls(base)), tree(over))
    assert (plain(merged) if merged is not None else None) == helm(without_nulls(base), over)


@given(maps)
def test_merge_with_nothing_is_identity(base: dict[str, Any]) -> None:
    clean = without_nulls(base)
    merged = merge(tree(clean), tree({}))
    assert merged is not None and plain(merged) == clean


def test_merge_rules_spelled_out() -> None:
    base = tree({"resources": {"cpu": "1", "memory": "1Gi"}, "env": {"A": "1", "B": "2"}, "tolerations": [1, 2]})
    over = tree({"resources": {"cpu": "2"}, "env": {"A": None}, "tolerations": [3]})
    merged = merge(base, over)
    assert merged is not None
    assert plain(merged) == {"resources": {"cpu": "2", "memory": "1Gi"}, "env": {"B": "2"}, "tolerations": [3]}
    kept = merge(tree({"runAsNonRoot": True}), tree({"runAsNonRoot": None}), keep_nulls=True)
    assert kept is not None and plain(kept) == {"runAsNonRoot": None}
    assert merge(tree({"x": 1}), Leaf(None, HERE)) is None  # an option set to null: as if never given


# ----------------------------------------------------------------------------------------- option table


def test_every_option_has_a_values_form_or_a_reason() -> None:
    for name, spec in OPTIONS.items():
        assert (name in FORMS) != (name in EXCLUDED), (
            f"option `{name}` (kinds {spec.kinds}): add its values-file form in compile/values.py (_form) "
            "or list it in EXCLUDED with the reason")


def test_forms_round_trip_the_decorator_values() -> None:
    """dump then load gives back what the decorator was given, for every form with a record or a union."""
    import athena

    samples: dict[str, Any] = {
        "retry": athena.Retry(limit=2, backoff="10s", on_exit_codes=[1, 2]),
        "ttl_if_root": athena.TTL(after_success="1h"),
        "resources": athena.Resources(cpu="500m", gpu=1),
        "cache": athena.Cache(max_age="1d"),
        "semaphore": athena.SemaphoreRef("sync", "k"),
        "volumes": [athena.ExistingClaim("d", mount="/d", read_only=True), athena.WorkflowClaim("s", mount="/s"),
                    athena.EmptyDir("w", mount="/w"), athena.ConfigMapVolume("c", mount="/c", items={"a": "b"}),
                    athena.SecretVolume("t", mount="/t"), athena.HuggingFaceCache(claim="hf")],
        "env": {"A": "x", "B": athena.SecretValue("s", "k"), "C": athena.ConfigMapValue("c", "k", optional=True)},
        "env_from": [athena.SecretEnv("s", prefix="P_"), athena.ConfigMapEnv("c")],
        "secret_files": [athena.SecretFile("tls", {"tls.crt": "/etc/tls.crt"})],
        "tolerations": [athena.Toleration(key="k", operator="Exists")],
    }
    for name, value in samples.items():
        form = FORMS[name]
        dumped = form.dump(value)
        json.dumps(dumped)  # plain data
        loaded = form.load(dumped)
        assert OPTIONS[name].validate(loaded) == OPTIONS[name].validate(value), name


# ------------------------------------------------------------------------------------------ the schema


def test_schema_is_a_valid_2020_12_schema_and_accepts_the_example() -> None:
    import jsonschema
    import yaml

    schema = values_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    example = yaml.safe_load((EXAMPLES / "values.yaml").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(example)
    for bad in ({"defaults": {"resorces": {}}}, {"containers": {"x": {"resources": {"cpux": 1}}}},
                {"workflows": {"x": {"image": "i"}}}, {"extra": 1}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.Draft202012Validator(schema).validate(bad)


def test_the_documented_example_sets_every_key() -> None:
    import yaml

    example = yaml.safe_load((EXAMPLES / "values.yaml").read_text(encoding="utf-8"))
    container_keys = set(example["defaults"]) | {k for c in example["containers"].values() for k in c}
    workflow_keys = {k for w in example["workflows"].values() for k in w}
    assert set(example) == {"namespace", "defaults", "containers", "workflows"}
    assert {n for n in options_for("container") if n in FORMS} - container_keys == set()
    assert {n for n in options_for("workflow") if n in FORMS} - workflow_keys == set()


# --------------------------------------------------------------------------------- bad files, located


def write(tmp_path: Path, text: str, name: str = "v.yaml") -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return p


@pytest.mark.parametrize(("text", "expected"), [
    ("contaners: {}\n", "v.yaml:1: contaners: unknown top-level key `contaners` (did you mean `containers`?)"),
    ("defaults:\n  resorces: {cpu: 1}\n",
     "v.yaml:2: defaults.resorces: unknown @container option `resorces` (did you mean `resources`?)"),
    ("containers:\n  train:\n    resources: {cpu: 500 m}\n",
     "v.yaml:3: containers.train.resources: Resources(cpu=...) '500 m' is not a Kubernetes quantity"),
    ("containers:\n  train:\n    resources: {gpux: 1}\n",
     "v.yaml:3: containers.train.resources: unknown key `gpux` (did you mean `gpu`?)"),
    ("defaults:\n  env: {1BAD: x}\n",
     "v.yaml:2: defaults.env: `env` name '1BAD' is not a valid environment variable name"),
    ("defaults:\n  env:\n    DB_PASSWORD: hunter2\n",
     "v.yaml:2: defaults.env: `env` 'DB_PASSWORD': a credential written into the YAML"),
    ("workflows:\n  nightly:\n    schedule: '0 0 4 * * *'\n",
     "v.yaml:3: workflows.nightly.schedule: '0 0 4 * * *' has 6 fields"),
    ("workflows:\n  nightly:\n    image: x\n", "v.yaml:3: workflows.nightly.image: `image` applies to @container only"),
    ("containers:\n  f:\n    name: other\n",
     "v.yaml:3: containers.f.name: `name` cannot be set from a values file"),
    ("containers:\n  f:\n    volumes:\n      - {existing_claim: Bad_Name, mount: /d}\n",
     "v.yaml:3: containers.f.volumes: "),
    ("containers:\n  f:\n    volumes:\n      - {existing_clam: d, mount: /d}\n",
     "(did you mean `existing_claim`?)"),
    ("defaults: [1]\n", "v.yaml:1: defaults: must be a mapping"),
    ("- a\n", "v.yaml:1: a values file is a mapping"),
    ("defaults: {image: [\n", "v.yaml:2: not valid YAML"),
])
def test_bad_values_are_located(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ValuesError) as e:
        load_values([path])
    assert expected in str(e.value).replace(str(tmp_path) + "/", "")


def test_a_missing_file_is_one_message(tmp_path: Path) -> None:
    with pytest.raises(ValuesError, match="cannot read the values file"):
        load_values([tmp_path / "nope.yaml"])


def test_an_empty_file_sets_nothing(tmp_path: Path) -> None:
    assert load_values([write(tmp_path, "")]).tree == {}


# ------------------------------------------------------------------------------- layering on an app

APP = '''
from athena import Resources, Retry, container, workflow


@container(resources=Resources(cpu="1"), retry=Retry(limit=2), node_selector={"zone": "a"},
           security_context={"readOnlyRootFilesystem": True})
def prep(n: int) -> int:
    return n + 1


@container
def train(n: int) -> float:
    return n / 2


@workflow
def pipeline(n: int = 3) -> float:
    return train(prep(n))
'''


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Any]:
    from athena import api
    from athena.config import load_config

    (tmp_path / "vapp.py").write_text(APP, encoding="utf-8")
    saved = dict(sys.modules)
    config = load_config(start=tmp_path, env={})
    yield api.load_app(str(tmp_path / "vapp.py"), config), config
    for name in set(sys.modules) - set(saved):
        del sys.modules[name]


def compiled(app: Any, tmp_path: Path, text: str) -> Any:
    from athena.compile.program import compile_templates

    loaded, config = app
    return compile_templates(loaded.roots, config, load_values([write(tmp_path, text, "layer.yaml")]))


def test_layers_defaults_then_decorator_then_named(app: Any, tmp_path: Path) -> None:
    program = compiled(app, tmp_path, """
        defaults:
          resources: {cpu: 500m, memory: 1Gi}
        containers:
          prep:
            resources: {memory: 2Gi}
          train:
            resources: {gpu: 1}
        """)
    prep, train = program.templates["vapp-prep"].options, program.templates["vapp-train"].options
    assert prep.resources.requests == (("cpu", "1"), ("memory", "2Gi"))  # decorator over defaults, named over both
    assert train.resources.requests == (("cpu", "500m"), ("memory", "1Gi"))
    assert train.resources.limits == (("nvidia.com/gpu", "1"),)
    assert prep.retry is not None and prep.retry.limit == 2  # untouched options stay the decorator's


def test_null_deletes_a_decorator_value_but_not_inside_security_contexts(app: Any, tmp_path: Path) -> None:
    program = compiled(app, tmp_path, """
        containers:
          prep:
            node_selector: null
            retry: {limit: null}
            security_context: {readOnlyRootFilesystem: null, runAsNonRoot: null}
        """)
    prep = program.templates["vapp-prep"].options
    assert prep.node_selector is None or prep.node_selector == ()
    assert prep.retry is not None and prep.retry.limit == 3  # back to Retry()'s default
    assert json.loads(prep.security_context) == {"readOnlyRootFilesystem": None, "runAsNonRoot": None}


def test_without_values_the_decorators_are_untouched(app: Any, tmp_path: Path) -> None:
    from athena.compile.program import compile_templates

    loaded, config = app
    before = compile_templates(loaded.roots, config)
    compiled(app, tmp_path, "containers:\n  train:\n    image: other:1\n")
    after = compile_templates(loaded.roots, config)
    assert before == after and after.templates["vapp-train"].options.image is None


@pytest.mark.parametrize(("text", "expected"), [
    ("containers:\n  trian:\n    image: x\n",
     "layer.yaml:2: containers.trian: no @container of the app is named `trian` (did you mean `train`?)"),
    ("containers:\n  pipeline:\n    image: x\n",
     "layer.yaml:2: containers.pipeline: `pipeline` is a @workflow; put it under `workflows`"),
    ("containers:\n  train:\n    image: x\n  vapp-train:\n    image: y\n", "`train`, `vapp-train` all name"),
])
def test_names_that_match_nothing(app: Any, tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ValuesError) as e:
        compiled(app, tmp_path, text)
    assert expected in str(e.value)


def test_run_as_user_image_is_the_decorators_none(app: Any, tmp_path: Path) -> None:
    program = compiled(app, tmp_path, "containers:\n  train:\n    run_as_user: image\n  prep:\n    run_as_user: 1000\n")
    assert program.templates["vapp-train"].options.run_as_user == "image"
    assert program.templates["vapp-prep"].options.run_as_user == 1000


def test_later_files_win(app: Any, tmp_path: Path) -> None:
    from athena.compile.program import compile_templates

    loaded, config = app
    a = write(tmp_path, "defaults:\n  image: a:1\n  env: {A: '1', B: '2'}\n", "a.yaml")
    b = write(tmp_path, "defaults:\n  image: b:1\n  env: {B: null}\n", "b.yaml")
    program = compile_templates(loaded.roots, config, load_values([a, b]))
    train = program.templates["vapp-train"].options
    assert train.image == "b:1" and [e.name for e in train.env] == ["A"]


def test_explain_names_the_file_and_line_of_every_field(app: Any, tmp_path: Path) -> None:
    from athena.compile.program import compile_templates
    from athena.compile.values import explain

    loaded, config = app
    values = load_values([write(tmp_path, "defaults:\n  resources: {memory: 1Gi}\n", "e.yaml")])
    compile_templates(loaded.roots, config, values)
    rows = {path: (value, str(origin)) for path, value, origin in
            explain(values, values.templates["vapp-prep"], "vapp-prep")}
    assert rows["resources.memory"] == ("1Gi", f"{tmp_path}/e.yaml:2")
    assert rows["resources.cpu"][0] == "1" and rows["resources.cpu"][1].endswith("vapp.py:5")
    assert rows["retry.limit"][0] == 2


# ----------------------------------------------------------------------------------------------- CLI


def athena(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "athena.cli", *args], capture_output=True, text=True, cwd=cwd)


def test_cli_emit_with_values_validates_on_every_line() -> None:
    from athena.argo.lint import SUPPORTED, lint_text

    r = athena("emit", "docs/examples/values.py", "--with-workflow", "--values", "docs/examples/values.yaml")
    assert r.returncode == 0, r.stderr
    assert "namespace: ml-prod" in r.stdout and "kind: CronWorkflow" in r.stdout
    assert "secretKeyRef" in r.stdout and "nvidia.com/gpu" in r.stdout
    assert not lint_text(r.stdout, SUPPORTED)


def test_cli_check_reports_a_bad_file_without_a_traceback(tmp_path: Path) -> None:
    bad = write(tmp_path, "containers:\n  train:\n    resources: {cpu: lots}\n")
    r = athena("check", "docs/examples/values.py", "-f", str(bad))
    assert r.returncode != 0 and "Traceback" not in r.stderr
    assert f"{bad}:3: containers.train.resources: Resources(cpu=...) 'lots' is not a Kubernetes quantity" in r.stderr


def test_cli_values_schema_and_explain() -> None:
    r = athena("values", "schema")
    assert r.returncode == 0 and json.loads(r.stdout)["additionalProperties"] is False
    r = athena("values", "explain", "train", "--app", "docs/examples/values.py", "-f", "docs/examples/values.yaml")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "my-flows-train (@container values:train)"
    gpu = next(line for line in lines if line.strip().startswith("resources.gpu "))
    assert "docs/examples/values.yaml:42  containers.train.resources.gpu" in gpu
    cpu = next(line for line in lines if line.strip().startswith("resources.cpu "))
    assert "values.py:12  @container(resources=...)" in cpu
