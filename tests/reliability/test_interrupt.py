"""Ctrl+C during a two-process build (issue 13): one line, exit 130, no traceback from the command
or its sub-writer processes, none of them left running, and the previous index still answers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from reliability_support import READER, reader_env, run_reader

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from support import article_text

from reader.core import manifest as manifest_file
from reader.engines.whoosh.store import IndexStore
from reader.engines.whoosh.writing import (
    FIRST_BATCH,
    FIRST_BATCH_MIN,
    PARALLEL_BUILD_MIN,
)

WORDS = ["ferry", "harbour", "council", "budget", "school", "nurse", "report", "review", "zeppelin", "river", "market"]


def _archive(folder: Path, count: int) -> None:
    folder.mkdir()
    for i in range(count):
        body = " ".join(WORDS[(i + k) % len(WORDS)] for k in range(40))
        text = article_text(f"Article number {i}", [body, f"Paragraph {i} ends here."])
        (folder / f"{i:05d}_{i:016x}.txt").write_text(text, encoding="utf-8")


def _group_gone(pgid: int, wait: float = 10.0) -> bool:
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="the two-process build needs two cores")
@pytest.mark.parametrize("phase", ["reading 1,000", "merging"])
def test_ctrl_c_during_a_two_process_build_leaves_the_index_as_it_was(tmp_path: Path, phase: str) -> None:
    archive, index_dir = tmp_path / "archive", tmp_path / "index"
    _archive(archive, PARALLEL_BUILD_MIN + 500)
    args = ["--archive", str(archive), "--index", str(index_dir)]
    assert run_reader(*args, "index").returncode == 0
    before = sorted(os.listdir(index_dir))

    # Its own process group, as a shell gives a command: Ctrl+C signals the sub-writers too.
    process = subprocess.Popen(
        [str(READER), *args, "index", "--rebuild"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        start_new_session=True, env=reader_env(READER_PROGRESS_SECONDS="0"),
    )
    assert process.stderr is not None
    seen = []
    for line in iter(process.stderr.readline, b""):
        seen.append(line)
        if phase.encode() in line:
            break
    else:
        pytest.fail(f"no {phase!r} line: {b''.join(seen)!r}")
    os.killpg(process.pid, signal.SIGINT)
    _, err = process.communicate(timeout=60)
    text = (b"".join(seen) + err).decode("utf-8", "replace")
    assert process.returncode == 130, text
    assert "Traceback" not in text and "KeyboardInterrupt" not in text, text
    assert err.decode().strip().splitlines()[-1] == "reader: interrupted; the index is as it was"
    assert _group_gone(process.pid), "a sub-writer outlived the interrupted build"

    assert sorted(os.listdir(index_dir)) == before  # no half-built generation left behind
    found = run_reader(*args, "search", "zeppelin")
    assert found.returncode == 0, found.stderr
    assert found.stdout.decode().startswith(f"{PARALLEL_BUILD_MIN + 500:,}")


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="the rest is added by the two-process writer")
def test_ctrl_c_after_a_first_builds_first_batch_says_what_is_kept(tmp_path: Path) -> None:
    """A fresh build of FIRST_BATCH_MIN files publishes FIRST_BATCH first: Ctrl+C after that keeps
    them, the message says so, and the next `reader index` reads only the rest."""
    archive, index_dir = tmp_path / "archive", tmp_path / "index"
    count = FIRST_BATCH_MIN
    _archive(archive, count)
    args = ["--archive", str(archive), "--index", str(index_dir)]
    process = subprocess.Popen(
        [str(READER), *args, "index"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        start_new_session=True, env=reader_env(READER_PROGRESS_SECONDS="0"),
    )
    assert process.stderr is not None
    seen = []
    for line in iter(process.stderr.readline, b""):
        seen.append(line)
        if b"searching the first" in line:
            break
    else:
        pytest.fail(f"no line saying the first batch is searchable: {b''.join(seen)!r}")
    os.killpg(process.pid, signal.SIGINT)
    _, err = process.communicate(timeout=60)
    text = (b"".join(seen) + err).decode("utf-8", "replace")
    assert process.returncode == 130, text
    assert "Traceback" not in text and "KeyboardInterrupt" not in text, text
    expected = f"reader: interrupted; {FIRST_BATCH:,} of {count:,} files are indexed, `reader index` adds the rest"
    assert err.decode().strip().splitlines()[-1] == expected
    assert _group_gone(process.pid), "a sub-writer outlived the interrupted build"

    # Not `reader search`: it would bring the index up to date first.
    folder = IndexStore(index_dir).current()
    assert folder is not None
    kept = manifest_file.load(folder)
    assert kept is not None and kept.indexed_count() == FIRST_BATCH

    rest = run_reader(*args, "index", "--json")
    assert rest.returncode == 0, rest.stderr
    summary = json.loads(rest.stdout)
    assert (summary["indexed"], summary["unchanged"], summary["rebuilt"]) == (count - FIRST_BATCH, FIRST_BATCH, False)
    assert summary["total"] == count
