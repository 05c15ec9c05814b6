"""A workflow calling a workflow: a nested DAG by templateRef, emitted callee first."""

from athena import container, workflow


@container
def train(tag: str) -> str:
    return f"model-{tag}"


@container
def evaluate(model: str) -> float:
    return 0.9


@workflow
def evaluate_model(model: str) -> float:
    return evaluate(model)


@workflow
def training(tag: str) -> float:
    model = train(tag)
    return evaluate_model(model)
