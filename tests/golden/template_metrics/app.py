"""Argo's template-level Prometheus metrics (emitted by the workflow controller): counter, gauge, histogram."""

from athena import Counter, Gauge, Histogram, container, workflow


@container(metrics=[
    Counter("train_runs_total", help="Training runs by outcome", labels={"status": "{{status}}"}),
    Gauge("train_duration_seconds", help="Duration of the last training run", value="{{duration}}"),
    Gauge("train_elapsed_seconds", help="Time the training has run", value="{{duration}}", realtime=True,
          operation="Set"),
    Histogram("train_seconds", help="Training durations", value="{{duration}}", buckets=[1, 10, 60, 600.5],
              when="{{status}} == Succeeded"),
])
def train(epochs: int) -> int:
    return epochs


@workflow(metrics=[Counter("pipeline_failures_total", help="Failed pipelines", value=1,
                           when="{{status}} == Failed")])
def pipeline(epochs: int) -> int:
    return train(epochs)
