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
    assert {f.__name__ for f in compile_ports._FUNCS} == set(ports.PORT_FUNCTIONS)
