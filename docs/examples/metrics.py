# docs/examples/metrics.py
from athena import Counter, Gauge, Histogram, container, workflow


@container(metrics=[
    Counter("train_runs_total", help="Training runs by result", labels={"status": "{{status}}"}),
    Histogram("train_seconds", help="Training time", value="{{duration}}", buckets=[10, 60, 600, 3600]),
    Gauge("train_elapsed_seconds", help="Time the training has run", value="{{duration}}", realtime=True),
])
def train(epochs: int) -> float:
    return 0.1 * epochs


@workflow(metrics=[Counter("nightly_failures_total", help="Failed nightly runs", when="{{status}} == Failed")])
def nightly(epochs: int = 10) -> float:
    return train(epochs)
