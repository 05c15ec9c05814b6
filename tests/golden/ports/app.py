"""host() and artifact ports, found statically in container and fragment bodies."""

import athena
from athena import container, fragment, workflow

MODEL_KEY = "models/current.bin"


@fragment
def load_model() -> bytes:
    athena.host("/var/cache/models")
    data = athena.load_artifact(MODEL_KEY)
    assert data is not None
    return data


@container
def score(text: str) -> float:
    model = load_model()
    notes = athena.load_artifact_str("notes/extra.txt", optional=True)
    return float(len(model) + len(text) + len(notes or ""))


@container
def publish(value: float) -> None:
    athena.save_artifact_str("runs/{workflow_uid}/score.txt", str(value))
    athena.save_artifact("runs/latest.bin", b"x")


@workflow
def scoring(text: str) -> None:
    publish(score(text))
