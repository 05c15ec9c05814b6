"""cache=Cache(max_age=...): memoize keyed by the bundle digest and every input parameter."""

from athena import Cache, container, workflow


@container(cache=Cache(max_age="1h", config_map="athena-cache"))
def embed(text: str, model: str = "small") -> int:
    return len(text)


@container(cache=Cache(max_age=90))
def constant() -> int:
    return 1


@workflow
def pipeline(text: str) -> int:
    constant()
    return embed(text)
