"""Data edges: a binding, a keyword argument, a nested call and a workflow input, in one DAG."""

from athena import container, workflow


@container
def fetch(url: str) -> str:
    return url


@container
def today() -> str:
    return "2024-01-01"


@container
def summarize(data: str, day: str, top_n: int = 5) -> str:
    return data[:top_n] + day


@container
def publish(report: str) -> None:
    print(report)


@workflow
def pipeline(url: str) -> str:
    raw = fetch(url)
    summary = summarize(raw, today(), top_n=3)
    publish(summary)
    return summary
