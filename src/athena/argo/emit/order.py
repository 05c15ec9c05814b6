"""Orders over the program's templateRef graph."""

from __future__ import annotations

from athena.compile.model import Program


def callees_first(program: Program) -> list[str]:
    """Reverse topological order over templateRef edges, ties by name (the Argo Server checks refs)."""
    out: list[str] = []
    done: set[str] = set()

    def visit(n: str) -> None:
        if n in done:
            return
        done.add(n)
        for c in sorted(set(program.callees(n))):
            if c in program.templates:
                visit(c)
        out.append(n)

    for n in sorted(program.templates):
        visit(n)
    return out


def reachable(program: Program, name: str) -> list[str]:
    seen: list[str] = []
    stack = [name]
    while stack:
        n = stack.pop()
        if n in seen or n not in program.templates:
            continue
        seen.append(n)
        stack.extend(program.callees(n))
    return seen
