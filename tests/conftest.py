from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

# Tests never use the user's own cache (~/.cache/athena): downloads and builds go to a cache of the checkout's
# (.athena/ is ignored by git), kept between runs so only the first one needs the network. Subprocesses inherit it.
os.environ["ATHENA_CACHE"] = str(REPO / ".athena" / "test-cache")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-goldens", action="store_true", default=False,
                     help="rewrite tests/golden/<feature>/expected.yaml and tests/golden/bootstrap.sh "
                          "from the current emitter (review the diff!)")


@pytest.fixture
def update_goldens(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-goldens"))
