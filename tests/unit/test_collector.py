"""The TUI's collector settings (reader.core.collector), in a process of their own."""

from __future__ import annotations

import subprocess
import sys


def test_settle_freezes_what_was_read_and_spaces_the_collections() -> None:
    code = (
        "import gc\n"
        "from reader.core import collector\n"
        "kept = [[n] for n in range(1000)]  # what a session reads once and keeps\n"
        "assert gc.get_freeze_count() == 0\n"
        "collector.settle()\n"
        "assert gc.get_freeze_count() >= 1000\n"
        "assert gc.get_threshold() == (collector.YOUNG, *collector.OLDER)\n"
        "assert collector.YOUNG > 700 and gc.isenabled()  # collections still run, less often\n"
        "cycle = []; cycle.append(cycle); del cycle\n"
        "assert gc.collect() >= 1  # a cycle made after is still freed\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
