"""athena.ports.PORT_FUNCTIONS is the one list of port functions: the package, the compiler and athena agree."""

from __future__ import annotations

import athena
from athena import ports
from athena.compile import ports as compile_ports
from athena.compile.lower import base


def test_every_port_function_exists_and_is_exported() -> None:
    for name in ports.PORT_FUNCTIONS:
        assert callable(getattr(ports, name))
        assert name in athena.__all__ and getattr(athena, name) is getattr(ports, name)


def test_the_compiler_recognises_exactly_the_port_functions() -> None:
    assert base._PORT_FUNCS == frozenset(ports.PORT_FUNCTIONS)
    assert compile_ports._PORT_NAMES == frozenset(ports.PORT_FUNCTIONS)
    assert set(compile_ports._KINDS) == set(ports.PORT_FUNCTIONS)


def test_a_second_copy_of_the_ports_module_is_still_recognised() -> None:
    """Ports are found by qualified name: a reloaded ``athena.ports`` must not hide them."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("athena.ports", ports.__file__)
    assert spec is not None and spec.loader is not None
    copy = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(copy)
    assert copy.host is not ports.host
    assert compile_ports._kind(copy.host) == "host"
    assert compile_ports._kind(copy.save_artifact_str) == "out"
    assert compile_ports._kind(print) is None and compile_ports._kind("host") is None
