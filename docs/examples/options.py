# docs/examples/options.py
"""Decorator arguments on containers and workflows, and workflows calling workflows."""

from dataclasses import dataclass

from athena import TTL, Retry, container, workflow


@dataclass
class Profile:
    disk: str
    cores: int


@container(
    image="ghcr.io/acme/trainer:{tag}",  # parameter injection: the container's own `tag` argument
    node_selector={"disktype": "{profile.disk}"},  # ... or a str/int/float field of one
    service_account="trainer",
    image_pull_secrets=["ghcr-pull"],
    retry=Retry(limit=3, backoff="30s", factor=2, max_duration="10m", on_exit_codes=[75]),
    timeout="2h",  # Argo `timeout`: from the node's start, Pending time included
    pod_running_timeout="1h30m",  # the pod's activeDeadlineSeconds, from the pod's start
    labels={"team": "ml"},
    annotations={"acme.io/owner": "ml-platform"},
)
def train(tag: str, profile: Profile, epochs: int = 3) -> str:
    return f"model-{tag}-{epochs}"


@container(tmp_volume=False)  # for images that ship files in /tmp
def evaluate(model: str) -> float:
    return 0.9


@container
def notify(text: str) -> None:
    print(text)


@container
def on_done() -> None:
    print("workflow finished")


@workflow(steps=True)  # `steps:` groups instead of a `dag:`
def evaluate_and_tell(model: str) -> None:
    evaluate(model)
    notify(model)


@workflow(
    parallelism=2,  # at most 2 of this DAG's tasks at once
    node_selector={"pool": "batch"},
    retry=Retry(limit=1, policy="Always"),  # on a workflow: re-runs the whole sub-graph
    labels={"app": "trainer"},
    # effective only when this template is the submitted root:
    parallelism_if_root=10,
    on_exit_if_root=on_done,
    ttl_if_root=TTL(after_success="1d", after_failure="7d"),
    pod_gc_if_root="OnWorkflowSuccess",
    active_deadline_if_root="6h",
)
def training(tag: str, profile: Profile) -> str:
    model = train(tag, profile)
    evaluate_and_tell(model)  # a called workflow becomes a nested DAG
    return model
