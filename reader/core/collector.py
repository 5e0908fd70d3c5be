"""The cyclic garbage collector's settings for a long-running interactive process (the TUI).

What a reader reads to answer its first key (the index's term lists, every title) lives as long
as the process, and with Python's default thresholds every full collection walked it again: on
the 100k archive, 15-16 full collections of about 150 ms each over 1,963 type-ahead keys, each
landing on some key. Measured with `/tmp/ta100k_gc.py` (CPU per key, interleaved runs): p95 81.8
ms with the defaults, 73 ms with only `gc.freeze()`, 54-69 ms with these settings. A short command
has its own settings (reader.__main__: no collection at all).
"""

from __future__ import annotations

import gc

YOUNG = 10_000
"""Allocations between collections of the youngest objects (Python's default: 700)."""
OLDER = (10, 10)
"""Younger collections between those of the next generation (the defaults)."""


def settle() -> None:
    """Call once what lives for the whole session is read (after the first listing and the
    warm-up): it is moved out of every later collection's walk, and young collections, which
    free the short-lived cycles of a key's answer, come less often."""
    gc.freeze()
    gc.set_threshold(YOUNG, *OLDER)
