"""The archive watcher (reader.core.watch): a burst of files is one or a few signals, renames and
removals are signalled, the folder may go and come back, and polling works where events do not."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from reader.core.watch import ChangeKind, archive_changes


class Recorder:
    def __init__(self, folder: Path, polling: bool) -> None:
        self.kinds: list[ChangeKind] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(folder, polling), daemon=True)
        self.thread.start()

    def _run(self, folder: Path, polling: bool) -> None:
        for kind in archive_changes(folder, self.stop, check_seconds=0.5, polling=polling):
            self.kinds.append(kind)

    def wait_for(self, condition: Callable[[list[ChangeKind]], bool], what: str, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while not condition(self.kinds):
            assert time.monotonic() < deadline, f"no {what}: {self.kinds}"
            time.sleep(0.05)

    def quiet(self, seconds: float = 1.2) -> int:
        """Wait until no signal came for `seconds`; the number of signals so far."""
        count = -1
        while count != len(self.kinds):
            count = len(self.kinds)
            time.sleep(seconds)
        return count

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)
        assert not self.thread.is_alive(), "the watcher did not stop"


@pytest.mark.parametrize("polling", [False, True], ids=["events", "polling"])
def test_bursts_renames_removals_and_a_folder_that_comes_back(tmp_path: Path, polling: bool) -> None:
    folder = tmp_path / "archive"
    folder.mkdir()
    watch = Recorder(folder, polling)
    try:
        watch.wait_for(lambda kinds: kinds == ["changed"], "catch-up signal at the start")
        start = watch.quiet()
        for i in range(1000):
            (folder / f"{i:04d}.txt").write_text(f"Title {i}\n\nText.\n", encoding="utf-8")
        watch.wait_for(lambda kinds: len(kinds) > start, "signal for the burst")
        after_burst = watch.quiet()
        assert after_burst - start <= 3, watch.kinds  # one or a few refreshes, not a thousand

        (folder / "0001.txt").rename(folder / "renamed.txt")
        watch.wait_for(lambda kinds: len(kinds) > after_burst, "signal for the rename")
        renamed = watch.quiet()
        (folder / "0002.txt").unlink()
        watch.wait_for(lambda kinds: len(kinds) > renamed, "signal for the removal")

        shutil.rmtree(folder)
        watch.wait_for(lambda kinds: "gone" in kinds, "signal that the folder went")
        folder.mkdir()
        (folder / "new.txt").write_text("New\n\nText.\n", encoding="utf-8")
        watch.wait_for(lambda kinds: "back" in kinds, "signal that it came back")
        back = watch.quiet()
        (folder / "newer.txt").write_text("Newer\n\nText.\n", encoding="utf-8")
        watch.wait_for(lambda kinds: len(kinds) > back, "signal from the folder made again")
    finally:
        watch.close()


def test_reader_index_watch_refreshes_per_change_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    import os
    import queue
    import signal
    import subprocess
    import sys

    archive, index_dir = tmp_path / "archive", tmp_path / "index"
    archive.mkdir()
    (archive / "001_ferry.txt").write_text("Ferry to the island\n\nThe ferry sails.\n", encoding="utf-8")
    reader = Path(sys.executable).parent / "reader"
    process = subprocess.Popen(
        [str(reader), "--archive", str(archive), "--index", str(index_dir), "index", "--watch"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
    )
    assert process.stdout is not None
    lines: queue.Queue[bytes] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()  # type: ignore[union-attr]
    try:
        assert lines.get(timeout=30).startswith(b"Index rebuilt")
        (archive / "002_zeppelin.txt").write_text("Zeppelin over the harbour\n\nA zeppelin.\n", encoding="utf-8")
        assert b"1 indexed" in lines.get(timeout=15)  # from the watch's catch-up or its event
        (archive / "002_zeppelin.txt").unlink()
        assert b"1 removed" in lines.get(timeout=15)
    finally:
        os.killpg(process.pid, signal.SIGINT)
        _, err = process.communicate(timeout=20)
    assert process.returncode == 130, err
    assert err.decode().strip().splitlines()[-1] == "reader: interrupted; the index is as it was"
    assert b"Traceback" not in err
