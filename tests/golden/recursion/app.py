"""Recursion guarded by a condition (Argo's coinflip-recursive): the workflow calls itself inside an `if` arm,
through a templateRef to its own WorkflowTemplate."""

import random

from athena import container, workflow


@container
def flip_coin() -> str:
    return random.choice(["heads", "tails"])


@container
def heads() -> None:
    print("it was heads")


@workflow
def coinflip() -> None:
    coin = flip_coin()
    if coin == "heads":
        heads()
    else:
        coinflip()
