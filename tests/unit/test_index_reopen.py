"""An index kept open in one process sees what another process's refresh wrote: added, changed
and removed articles (a TUI left open while `reader index` runs in another terminal)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from reader.engines.whoosh.index import ArchiveIndex


def _refresh_elsewhere(archive: Path, index_dir: Path) -> None:
    subprocess.run([sys.executable, "-m", "reader", "--archive", str(archive), "--index", str(index_dir), "index"],
                   check=True, capture_output=True, timeout=120)


def test_an_open_index_sees_another_processs_changes(archive: Path, index_dir: Path, write) -> None:
    write("001_a", "Harbour news", ["The zebrafish came back."])
    write("002_b", "Quiet day", ["Nothing happened at the harbour."])
    write("003_c", "Weather", ["Rain over the harbour."])
    kept = ArchiveIndex(archive, index_dir)
    kept.refresh()
    assert [hit.id for hit in kept.search("zebrafish").hits] == ["001_a"]
    assert kept.search("harbour").total == 3
    (archive / "001_a.txt").unlink()
    write("004_d", "Ferry news", ["A ferry and a zebrafish."])
    _refresh_elsewhere(archive, index_dir)
    kept._checked = (float("-inf"), -1)  # look for another process's commit now
    assert [hit.id for hit in kept.search("zebrafish").hits] == ["004_d"]
    assert {hit.id for hit in kept.search("harbour").hits} == {"002_b", "003_c"}
    assert [hit.id for hit in kept.search("zebraf", typeahead=True).hits] == ["004_d"]
    assert kept.search("harbour").total == 2
