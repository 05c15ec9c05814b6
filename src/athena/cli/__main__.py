"""``python -m athena.cli``."""

from __future__ import annotations

import sys

from athena.cli import main

if __name__ == "__main__":
    sys.exit(main())
