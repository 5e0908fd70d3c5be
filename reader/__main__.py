"""Entry point of the `reader` command and of `python -m reader`."""

from __future__ import annotations

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
