# docs/examples/quickstart.py
"""The smallest useful athena program: three containers wired into one DAG."""

from athena import container, workflow


@workflow
def pipeline() -> None:
    raw = fetch("https://example.com/data")  # a @container call = an Argo task
    summary = summarize(raw, top_n=3)  # data dependency = a DAG edge
    publish(summary)


@container(image="python:3.12-slim")
def fetch(url: str) -> str:
    return f"data-from:{url}"  # this really runs in the pod


@container
def summarize(data: str, top_n: int = 5) -> str:
    return data[: top_n * 10]


@container
def publish(report: str) -> None:
    print(f"publishing {report}")
