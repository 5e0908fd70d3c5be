"""Crash mid-write (issue 13): SIGKILL a first build between and during its progressive batches
(100 files, 1,000 more, then the rest through two processes) and `reader index --watch` while it
absorbs new files, at named points and at random moments.

After each kill: the index opens and answers a search; it holds exactly the batches that committed
(never part of one) and every article of them is findable; no archive file changed (sha256); no
sub-writer outlived the killed process; and the next `reader index` completes to the full count.
The archive is 4,100 small generated articles, so the build's real batch sizes apply; each kill
and its recovery is about one build of it (18 s of CPU on 2 cores)."""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from kill_run import KILLPOINTS, Campaign, _survivors
from reliability_support import (
    READER,
    archive_hashes,
    index_documents,
    reader_env,
    record,
)

from reader.core.archive import scan_folder
from reader.core.article import SkippedFile, read_article
from reader.engines.whoosh import writing
from reader.engines.whoosh.index import ArchiveIndex
from reader.engines.whoosh.store import IndexStore

pytestmark = pytest.mark.slow

COUNT = 4100  # > FIRST_BATCH_MIN: batches of 100, 1,000 and the remaining 3,003 (two processes)
WORDS = 20
BURST = 300  # files a watched refresh absorbs (one process, one commit)
WATCHED_LINE = " refreshed: "  # "12:00:01 refreshed: 300 indexed, …" (cli/watching.py)


def batch_ends(total: int) -> list[int]:
    """How many of the scan's files are in the index after each batch of a first build."""
    ends, done, size = [], 0, writing.FIRST_BATCH
    ends.append(min(total, size))
    done = ends[0]
    while done < total:
        size *= writing.BATCH_GROWTH
        done = min(total, done + size)
        ends.append(done)
    return ends


def good_articles(archive: Path, names: list[str]) -> list[tuple[str, str, str]]:
    """(name, id, title) of the files of `names` the index takes, in that order."""
    found, seen = [], set()
    for name in names:
        try:
            article = read_article(archive / name)
        except SkippedFile:
            continue
        if article.id not in seen:
            seen.add(article.id)
            found.append((name, article.id, article.title))
    return found


def held(index_dir: Path) -> dict[str, str]:
    """id -> title of what the index holds now (nothing when no generation was published)."""
    if IndexStore(index_dir).current() is None:
        return {}
    documents = index_documents(index_dir)
    ids = [doc_id for doc_id, _, _ in documents]
    assert len(ids) == len(set(ids)), "an article is indexed twice"
    return {doc_id: title for doc_id, title, _ in documents}


def assert_findable(archive: Path, index_dir: Path, articles: list[tuple[str, str, str]], rng: random.Random) -> None:
    """The index opens and answers; a sample of `articles` is found by its title's words."""
    index = ArchiveIndex(archive, index_dir)
    searched = 0
    try:
        for _, doc_id, title in rng.sample(articles, min(8, len(articles))):
            words = re.findall(r"[A-Za-z]{3,}", title)
            if not words:
                continue
            page = index.search(" ".join(words), limit=50)
            assert page.error is None, page.error
            assert doc_id in {hit.id for hit in page.hits}, f"{doc_id} ({title!r}) not found by its title"
            searched += 1
    finally:
        index.close()
    assert searched, "no article to search for"


class Progressive:
    """A 5,000-article archive whose first build is killed and resumed."""

    def __init__(self, workdir: Path) -> None:
        self.campaign = Campaign(workdir, COUNT, log=lambda line: None, words=WORDS)
        self.archive, self.index_dir = self.campaign.archive, self.campaign.index_dir
        self.rng = random.Random(13)
        self.kills = 0
        self.children = 0  # sub-writers seen alive when a build was killed
        self.log: list[str] = []

    def command(self, point: str | None, *args: str) -> list[str]:
        reader_args = ["--archive", str(self.archive), "--index", str(self.index_dir), *args]
        if point is None:
            return [str(READER), *reader_args]
        return [sys.executable, str(KILLPOINTS), point, "--", *reader_args]

    def fresh(self) -> None:
        import shutil

        shutil.rmtree(self.index_dir, ignore_errors=True)

    def killed_build(self, point: str | None, delay: float = 0.0, **env: str) -> int | None:
        """Start a first build (killed at `point`, or after `delay` seconds); check what it left.
        Returns how many of the scan's files the committed batches hold (None: not killed)."""
        started = time.monotonic()
        self.fresh()
        names = scan_folder(self.archive).names  # the build's order: the folder's, unchanged
        hashes = archive_hashes(self.archive)
        children_file = self.campaign.workdir / "children"
        children_file.unlink(missing_ok=True)
        process = subprocess.Popen(self.command(point, "index"), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                   env=reader_env(READER_KILL_CHILDREN=str(children_file), **env))
        children = _kill_after(process, delay) if point is None else set()
        _, err = process.communicate(timeout=600)
        if children_file.exists():
            children.update(int(pid) for pid in children_file.read_text().split())
        if process.returncode != -signal.SIGKILL:
            assert process.returncode == 0, err.decode("utf-8", "replace")[-2000:]
            self.log.append("finished before the kill")
            return None
        self.kills += 1
        assert not _survivors(sorted(children)), "a sub-writer outlived the killed build"
        self.children += len(children)
        now = held(self.index_dir)
        ends = [0, *batch_ends(len(names))]
        prefixes = {end: good_articles(self.archive, names[:end]) for end in ends}
        committed = [end for end in ends if {doc_id for _, doc_id, _ in prefixes[end]} == now.keys()]
        assert committed, f"the index holds {len(now)} articles: not a whole number of batches {ends}"
        if now:
            assert_findable(self.archive, self.index_dir, prefixes[committed[0]], self.rng)
        assert archive_hashes(self.archive) == hashes, "an archive file changed"
        self.recover()
        self.log.append(f"{point or 'random'}: {committed[0]} files' batches committed ({time.monotonic() - started:.0f} s)")
        return committed[0]

    def recover(self) -> None:
        """The next `reader index` completes: one document per good file, nothing left over."""
        self.campaign.run_index()
        documents = self.campaign.check()
        assert documents == len(good_articles(self.archive, scan_folder(self.archive).names))


def _kill_after(process: subprocess.Popen[bytes], delay: float) -> set[int]:
    """SIGKILL `process` (not its children: they must follow it) after `delay` seconds; the ids of
    the children seen meanwhile."""
    import psutil

    children: set[int] = set()
    deadline = time.monotonic() + delay
    while process.poll() is None:
        try:
            children.update(child.pid for child in psutil.Process(process.pid).children(recursive=True))
        except psutil.Error:
            pass
        if time.monotonic() >= deadline:
            os.kill(process.pid, signal.SIGKILL)
            break
        time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))
    return children


def test_first_build_killed_between_and_during_its_batches(tmp_path: Path) -> None:
    build = Progressive(tmp_path)
    ends = batch_ends(len(scan_folder(build.archive).names))
    assert len(ends) == 3 and ends[-1] - ends[-2] >= writing.PARALLEL_BUILD_MIN  # the real batches
    # Batch 1 committed and published; batch 2 starting.
    assert build.killed_build("add", READER_KILL_AFTER=str(ends[0])) == ends[0]
    # Mid batch 2 (one process).
    assert build.killed_build("add", READER_KILL_AFTER=str(ends[0] + 500)) == ends[0]
    # Batch 2 committed by Whoosh, its manifest not yet written (the next run reads the index).
    assert build.killed_build("manifest", READER_KILL_SKIP="1") == ends[1]
    # Mid batch 3, its two sub-writers busy: they die with the build.
    assert build.killed_build("add", READER_KILL_AFTER=str(ends[1] + 1500)) == ends[1]
    assert build.children >= 2, "no sub-writers were running: the two-process batch was not reached"
    print(build.log)
    record("kills survived (progressive first build, at a point)", build.kills)


def test_first_build_killed_at_random(tmp_path: Path) -> None:
    """At random moments of a whole first build (timed uninterrupted first)."""
    build = Progressive(tmp_path)
    started = time.monotonic()
    build.fresh()
    build.recover()
    window = time.monotonic() - started
    for _ in range(2):
        build.killed_build(None, delay=build.rng.uniform(0.05, 1.0) * window)
    print(build.log)
    record("kills survived (progressive first build, at random)", build.kills)


class Watcher:
    """`reader index --watch` on an indexed archive, new files written into it meanwhile."""

    def __init__(self, build: Progressive, point: str | None, **env: str) -> None:
        self.build = build
        self.out = build.campaign.workdir / "watch.out"
        self.err = build.campaign.workdir / "watch.err"
        with open(self.out, "wb") as out, open(self.err, "wb") as err:
            self.process = subprocess.Popen(build.command(point, "index", "--watch"), stdout=out, stderr=err,
                                            env=reader_env(**env))
        self._wait_for(self.err, "watching")

    def _wait_for(self, path: Path, text: str, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while text not in path.read_text(encoding="utf-8", errors="replace"):
            assert self.process.poll() is None or text in path.read_text(encoding="utf-8", errors="replace"), (
                f"the watcher ended: {self.err.read_text()[-2000:]}")
            assert time.monotonic() < deadline, f"no {text!r} from the watcher"
            time.sleep(0.05)

    def refreshed(self) -> bool:
        """Whether a watched refresh finished (its line; the first refresh's summary is another)."""
        return WATCHED_LINE in self.out.read_text(encoding="utf-8", errors="replace")


def _write_burst(archive: Path, tag: str, written: dict[bytes, str]) -> None:
    """BURST new articles, ten at a time (the watcher sees them arrive over a second or so); their
    sha256 go into `written`."""
    import hashlib

    for n in range(BURST):
        word = "q" + "".join(chr(ord("a") + int(digit)) for digit in f"{n:04d}")  # its own title word
        data = f"Watched {tag} arrival {word}\n\nA body about harbours and ferries number {n}.\n".encode()
        name = f"w{tag}_{n:04d}.txt"
        (archive / name).write_bytes(data)
        written[name.encode()] = hashlib.sha256(data).hexdigest()
        if n % 10 == 9:
            time.sleep(0.03)


def _watched_kill(build: Progressive, tag: str, point: str | None, delay: float = 0.0, **env: str) -> str:
    """Kill a watcher while it absorbs a burst of new files; check what it left. Returns what was
    found, for the log."""
    before = held(build.index_dir)
    expected_hashes = archive_hashes(build.archive)
    watcher = Watcher(build, point, **env)
    writer = threading.Thread(target=_write_burst, args=(build.archive, tag, expected_hashes))
    writer.start()
    if point is None:
        _kill_after(watcher.process, delay)
    watcher.process.wait(timeout=300)
    writer.join()
    if watcher.process.returncode != -signal.SIGKILL:  # a random kill may come after it stopped: only by us
        raise AssertionError(f"the watcher ended by itself ({watcher.process.returncode}): {watcher.err.read_text()[-2000:]}")
    finished = watcher.refreshed()
    now = held(build.index_dir)
    assert before.keys() <= now.keys(), "articles indexed before the watch were lost"
    new = now.keys() - before.keys()
    burst_ids = {Path(name.decode()).stem for name in expected_hashes if name.startswith(f"w{tag}_".encode())}
    assert new <= burst_ids, f"unexpected articles: {sorted(new - burst_ids)[:5]}"
    if new:
        articles = good_articles(build.archive, [f"{doc_id}.txt" for doc_id in sorted(new)])
        assert_findable(build.archive, build.index_dir, articles, build.rng)
    else:
        assert_findable(build.archive, build.index_dir, good_articles(build.archive, sorted(
            name for name in os.listdir(build.archive) if name.endswith(".txt"))[:200]), build.rng)
    assert archive_hashes(build.archive) == expected_hashes, "an archive file changed"
    build.recover()
    return f"{len(new)} of the burst indexed{', after a refresh line' if finished else ''}"


def test_watch_killed_while_absorbing_new_files(tmp_path: Path) -> None:
    build = Progressive(tmp_path)
    build.recover()  # a whole index first: the watcher's first refresh finds nothing to do
    outcomes = [
        _watched_kill(build, "a", "add", READER_KILL_AFTER=str(BURST // 3)),  # its refresh reading the burst
        _watched_kill(build, "b", "toc"),  # the burst's segment written, before its table of contents
        _watched_kill(build, "c", "manifest"),  # committed, before the manifest
    ]
    # At random moments of a watched burst: the window is how long the watcher took to absorb one.
    watcher = Watcher(build, None)
    started = time.monotonic()
    _write_burst(build.archive, "t", {})
    watcher._wait_for(watcher.out, WATCHED_LINE)
    window = time.monotonic() - started
    watcher.process.kill()  # (Ctrl+C is test_interrupt's; here only the window was wanted)
    watcher.process.wait(timeout=60)
    build.recover()
    for tag in ("r", "s"):
        outcomes.append(_watched_kill(build, tag, None, delay=build.rng.uniform(0.1, 1.0) * window))
    print(outcomes)
    record("kills survived (watch)", len(outcomes))
