# docs/examples/recursion.py
"""Recursion guarded by a condition: Argo's coinflip-recursive."""

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
        coinflip()                           # runs again until the coin says heads
