# docs/examples/settings.py
"""Typed settings a step reads from its environment: TRAIN__DB__HOST, TRAIN__EPOCHS, ..."""

import athena
from athena import container, workflow


class Database(athena.Settings):
    host: str = "localhost"
    port: int = 5432
    password: athena.Secret[str]  # required; never printed


class TrainSettings(athena.Settings):
    db: Database  # a group: TRAIN__DB__HOST, TRAIN__DB__PORT, TRAIN__DB__PASSWORD
    epochs: int = 3
    tags: tuple[str, ...] = ("nightly",)


@container
def train(dataset: str) -> str:
    cfg = athena.settings(TrainSettings)  # read from TRAIN__* when the step runs
    return f"{dataset} -> {cfg.db.host}:{cfg.db.port}, {cfg.epochs} epochs, tags {list(cfg.tags)}"


@workflow
def nightly(dataset: str = "s3://data/today") -> str:
    return train(dataset)
