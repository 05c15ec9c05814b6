# docs/examples/values.py
"""A pipeline whose deployment settings live in values files (docs/examples/values.yaml), not in the code."""

from athena import Resources, container, workflow


@container
def fetch(day: str) -> str:
    return f"/data/{day}.parquet"


@container(resources=Resources(cpu="2", memory="4Gi"))
def train(path: str, epochs: int = 3) -> float:
    return 1.0 / (len(path) + epochs)


@workflow
def nightly(day: str = "today", epochs: int = 3) -> float:
    return train(fetch(day), epochs)
