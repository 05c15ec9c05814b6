# docs/examples/ports.py
"""Host paths and S3 artifact ports, declared by calls in container and fragment bodies."""

import athena
from athena import container, fragment, workflow

MODEL_KEY = "models/current.bin"  # a module-level constant works as a key


@fragment
def load_model() -> bytes:
    cache = athena.host("/var/cache/models")  # hostPath volume; returns where it is mounted
    print(f"cache mounted at {cache}")
    data = athena.load_artifact(MODEL_KEY)  # S3 input port at this exact key
    assert data is not None
    return data


@container
def score(text: str) -> float:
    model = load_model()  # the fragment's host path and input port become this container's
    notes = athena.load_artifact_str("notes/extra.txt", optional=True)  # absent: None
    return float(len(model) + len(text) + len(notes or ""))


@container
def publish(value: float) -> None:
    if value > 0:  # every branch is scanned: the port exists even if this one is not taken
        athena.save_artifact_str("runs/{workflow_uid}/score.txt", str(value))  # one key per run


@workflow
def scoring(text: str) -> None:
    publish(score(text))
