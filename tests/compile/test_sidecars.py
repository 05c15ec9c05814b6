"""sidecars= (issue 13): validation of athena.Sidecar entries, and the emitted `sidecars` list."""

from __future__ import annotations

import pytest

from athena import Resources, Sidecar, codes, container
from athena.compile.options import OptionInvalid, _sidecars
from athena.errors import CompileError


def test_a_valid_sidecar_is_normalized() -> None:
    (spec,) = _sidecars([Sidecar("db", image="postgres:16", env={"A": "1"}, ports=[5432],
                                 readiness={"tcpSocket": {"port": 5432}}, resources=Resources(cpu=1))])
    assert (spec.name, spec.ports, spec.readiness) == ("db", (5432,), '{"tcpSocket":{"port":5432}}')
    assert spec.env[0].name == "A" and spec.resources is not None


@pytest.mark.parametrize(("value", "message"), [
    (Sidecar("db", image="x"), "must be a list"),
    (["db"], "items must be athena.Sidecar"),
    ([Sidecar("Db_1", image="x")], "DNS label"),
    ([Sidecar("main", image="x")], "one of Argo's own containers"),
    ([Sidecar("db", image="x"), Sidecar("db", image="y")], "two sidecars are named 'db'"),
    ([Sidecar("db", image="")], "image= must be a non-empty str"),
    ([Sidecar("db", image="x", command="run")], "command= must be a list of str"),
    ([Sidecar("db", image="x", ports=[0])], "is not a port number"),
    ([Sidecar("db", image="x", readiness={"tcp": {"port": 1}})], "has no field 'tcp'"),
    ([Sidecar("db", image="x", env={"1X": "v"})], "Sidecar 'db'"),
])
def test_bad_sidecars_are_rejected(value: object, message: str) -> None:
    with pytest.raises(OptionInvalid) as info:
        _sidecars(value)
    assert message in str(info.value)


def test_a_bad_sidecar_is_reported_at_the_keyword() -> None:
    with pytest.raises(CompileError) as info:
        container(sidecars=[Sidecar("wait", image="busybox")])(_step)
    d = info.value.diagnostics[0]
    assert d.code == codes.BAD_OPTION and d.span is not None and "Argo's own containers" in d.message


def _step() -> None:
    pass
