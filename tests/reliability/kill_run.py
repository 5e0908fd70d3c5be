"""Crash mid-write: `reader index` killed with SIGKILL during builds and updates, then run again.

After every kill: the next `reader index` completes; the index holds exactly one document per good
file (with its current title); no half-built generation or temporary file is left; no child
process of the killed one survives it; and no archive file changed (sha256 of every file).

Two kinds of kill:
- at a named point (killpoints.py): each crash window of the single-process build, the two-process
  build, the update, the manifest write and the CURRENT swap, hit for sure;
- at a random moment of a real `reader index` run (uniform over the time an uninterrupted run of
  the same kind took), as the issue asks.

The full run (issue 5: a 5,000-article archive, all 14 points and 24 random kills; about 50 min on
a quiet 2-core machine, well over an hour when other jobs share it):
    python -m tests.reliability.kill_run --count 5000 --random-builds 12 --random-updates 12
or through pytest: READER_FULL_KILL=1 python -m pytest tests/reliability/test_kill.py -k full
CI runs a small campaign (tests/reliability/test_kill.py). Kills between and during the batches of
a progressive first build, and of `reader index --watch` absorbing new files, are in
test_kill_progressive.py (with this module's Campaign).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

_HERE = Path(__file__).resolve().parent
_REPO = _HERE.parents[1]
for _path in (str(_HERE), str(_REPO)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

import psutil
from reliability_support import (
    READER,
    archive_hashes,
    check_index,
    expected_articles,
    leftovers,
    reader_env,
)

KILLPOINTS = _HERE / "killpoints.py"
RECOVERY_TIMEOUT = 1800.0

# (phase, point, parallel): every crash window, for the single-process build, the two-process
# build (sub-writers alive, and their segments being committed) and the update.
POINT_PLAN: list[tuple[str, str, bool]] = [
    ("build", "add", False),
    ("build", "toc", False),
    ("build", "clean", False),
    ("build", "manifest", False),
    ("build", "manifest-replace", False),
    ("build", "current-replace", False),
    ("build", "after-current", False),
    ("build", "add", True),
    ("build", "toc", True),
    ("update", "add", False),
    ("update", "toc", False),
    ("update", "clean", False),
    ("update", "manifest", False),
    ("update", "manifest-replace", False),
]

# Files that are not articles, kept in the archive: the index must skip them every time.
BAD_FILES = {
    "zz_empty.txt": b"",
    "zz_binary.txt": bytes(range(256)) * 8,
    "zz_nul.txt": b"Title\x00body",
}


@dataclass
class Outcome:
    """One kill and what followed it."""

    phase: str
    how: str
    killed: bool
    survived: bool = False
    detail: str = ""
    orphans: int = 0


@dataclass
class Campaign:
    """An archive and its index folder, killed and recovered again and again."""

    workdir: Path
    count: int
    log: Callable[[str], None] = print
    seed: int = 5
    words: int = 300
    """Words per generated article (about the size of the seed article's body)."""
    archive: Path = field(init=False)
    index_dir: Path = field(init=False)
    outcomes: list[Outcome] = field(default_factory=list)
    _mutations: int = 0

    def __post_init__(self) -> None:
        from benchmarks.gen_archive import generate

        self.rng = random.Random(self.seed)
        self.archive = self.workdir / "archive"
        self.index_dir = self.workdir / "index"
        started = time.perf_counter()
        generate(self.archive, self.count, words=self.words)
        for name, data in BAD_FILES.items():
            (self.archive / name).write_bytes(data)
        self.log(f"archive: {self.count:,} articles + {len(BAD_FILES)} bad files in {time.perf_counter() - started:.1f} s")
        self.durations: dict[str, float] = {}
        self.last_recovery = 0.0

    # --- running reader ---------------------------------------------------------------------------

    def _command(self, point: str | None, parallel: bool, rebuild: bool) -> list[str]:
        args = ["--archive", str(self.archive), "--index", str(self.index_dir), "index"]
        if rebuild:
            args.append("--rebuild")
        if point is None and not parallel:
            return [str(READER), *args]
        extra = ["--parallel-min", "100"] if parallel else []
        return [sys.executable, str(KILLPOINTS), point or "none", *extra, "--", *args]

    def run_index(self, rebuild: bool = False) -> float:
        """An uninterrupted `reader index`; its duration."""
        started = time.perf_counter()
        result = subprocess.run(
            self._command(None, False, rebuild), capture_output=True, timeout=RECOVERY_TIMEOUT, env=reader_env(), check=False
        )
        elapsed = time.perf_counter() - started
        text = (result.stdout + result.stderr).decode("utf-8", "replace")
        if result.returncode != 0 or "Traceback" in text:
            raise AssertionError(f"reader index failed ({result.returncode}): {text[-2000:]}")
        return elapsed

    def prepare(self) -> None:
        """A first complete build, timed; then a timed update, for the random kills' windows."""
        self.durations["build"] = self.run_index()
        self.check()
        self.mutate()
        self.durations["update"] = self.run_index()
        self.check()
        self.log(f"uninterrupted: build {self.durations['build']:.1f} s, update {self.durations['update']:.1f} s")

    # --- the archive changing between updates ----------------------------------------------------

    def mutate(self) -> None:
        """Change about 8% of the archive: rewritten (new title), added, deleted files."""
        self._mutations += 1
        names = sorted(name for name in os.listdir(self.archive) if name.endswith(".txt") and not name.startswith("zz_"))
        k = max(3, len(names) // 36)
        for name in self.rng.sample(names, k):
            path = self.archive / name
            text = path.read_text(encoding="utf-8")
            title, _, rest = text.partition("\n")
            path.write_text(f"{title.split(' [rev')[0]} [rev {self._mutations}]\n{rest}", encoding="utf-8")
        for name in self.rng.sample(names, k):
            (self.archive / name).unlink(missing_ok=True)
        for n in range(k):
            (self.archive / f"new_{self._mutations:03d}_{n:04d}.txt").write_text(
                f"Added article {self._mutations}-{n}\n\nA body about harbours and ferries number {n}.\n", encoding="utf-8"
            )

    # --- checks -----------------------------------------------------------------------------------

    def check(self, expected: dict[str, str] | None = None) -> int:
        documents = check_index(self.archive, self.index_dir, expected)
        left = leftovers(self.index_dir)
        assert not left, f"left in the index folder: {left}"
        return documents

    # --- killing ----------------------------------------------------------------------------------

    def _start(self, point: str | None, parallel: bool, rebuild: bool, env: dict[str, str]) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            self._command(point, parallel, rebuild), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
        )

    def _before_kill(self, phase: str, rebuild: bool) -> tuple[dict[bytes, str], bool]:
        if phase == "update":
            self.mutate()
            rebuild = False
        fresh = phase == "build" and not rebuild
        if fresh:
            shutil.rmtree(self.index_dir, ignore_errors=True)
        return archive_hashes(self.archive), fresh

    def kill_at_point(self, phase: str, point: str, parallel: bool) -> Outcome:
        rebuild = phase == "build" and (len(self.outcomes) % 2 == 1)
        hashes, _ = self._before_kill(phase, rebuild)
        expected_before = expected_articles(self.archive) if rebuild else None
        children_file = self.workdir / "children"
        children_file.unlink(missing_ok=True)
        files = len(expected_articles(self.archive)) if point == "add" else 0
        after = files // 2 if phase == "build" else max(1, self.count // 72)
        if parallel:  # the sub-writers start with the first batch of 100 documents sent to them
            after = max(after, min(files - 1, 110))
        env = reader_env(READER_KILL_CHILDREN=str(children_file), READER_KILL_AFTER=str(after))
        how = f"point {point}{' (2 processes)' if parallel else ''}{' (--rebuild)' if rebuild else ''}"
        process = self._start(point, parallel, rebuild and phase == "build", env)
        _, err = process.communicate(timeout=RECOVERY_TIMEOUT)
        children = [int(pid) for pid in children_file.read_text().split()] if children_file.exists() else []
        expect_children = parallel and point == "add"
        return self._after_kill(phase, how, process.returncode, err, children, hashes, expected_before, expect_children)

    def kill_at_random(self, phase: str) -> Outcome:
        rebuild = phase == "build" and self.rng.random() < 0.5
        hashes, fresh = self._before_kill(phase, rebuild)
        expected_before = expected_articles(self.archive) if rebuild else None
        window = self.durations[phase]
        delay = self.rng.uniform(0.1, 1.0) * window
        started = time.monotonic()
        process = self._start(None, False, rebuild, reader_env())
        deadline = started + delay
        children: set[int] = set()
        while time.monotonic() < deadline and process.poll() is None:
            try:
                children.update(child.pid for child in psutil.Process(process.pid).children(recursive=True))
            except psutil.Error:
                pass
            time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))
        if process.poll() is None:
            try:
                children.update(child.pid for child in psutil.Process(process.pid).children(recursive=True))
            except psutil.Error:
                pass
            os.kill(process.pid, signal.SIGKILL)  # the parent only: its sub-writers must follow it
        _, err = process.communicate(timeout=RECOVERY_TIMEOUT)
        how = f"random at {delay:.2f} s of {window:.1f} s{' (--rebuild)' if rebuild else ''}"
        outcome = self._after_kill(phase, how, process.returncode, err, sorted(children), hashes, expected_before, False)
        # The machine's speed drifts (shared cores): the window follows the last whole run of the kind.
        if not outcome.killed:
            self.durations[phase] = time.monotonic() - started
        elif phase == "update" or fresh:
            self.durations[phase] = self.last_recovery
        return outcome

    def _after_kill(
        self,
        phase: str,
        how: str,
        returncode: int,
        err: bytes,
        children: list[int],
        hashes: dict[bytes, str],
        expected_before: dict[str, str] | None,
        expect_children: bool,
    ) -> Outcome:
        outcome = Outcome(phase, how, killed=returncode == -signal.SIGKILL)
        if not outcome.killed:
            text = err.decode("utf-8", "replace")
            assert returncode == 0 and "Traceback" not in text, f"{how}: exit {returncode}: {text[-2000:]}"
            outcome.detail = "finished before the kill"
            self.log(f"  {phase:<6} {how}: finished before the kill (not counted)")
            self.outcomes.append(outcome)
            return outcome
        # No sub-writer outlives its parent.
        outcome.orphans = _survivors(children)
        assert not outcome.orphans, f"{how}: {outcome.orphans} child processes outlived the killed one"
        if expect_children:
            assert children, f"{how}: no sub-writers were running: the parallel path was not reached"
        # Until the next run, a killed rebuild left the old index whole and in use.
        if expected_before is not None:
            check_index(self.archive, self.index_dir, expected_before)
        self.last_recovery = self.run_index()
        documents = self.check()
        assert archive_hashes(self.archive) == hashes, f"{how}: an archive file changed"
        outcome.survived = True
        outcome.detail = f"next run {self.last_recovery:.1f} s, {documents:,} documents"
        self.log(f"  {phase:<6} {how}: killed; {outcome.detail}; nothing lost")
        self.outcomes.append(outcome)
        return outcome

    # --- the whole thing --------------------------------------------------------------------------

    def run(self, points: list[tuple[str, str, bool]], random_builds: int, random_updates: int) -> Counter[str]:
        self.prepare()
        for phase, point, parallel in points:
            self.kill_at_point(phase, point, parallel)
        for phase, wanted in (("build", random_builds), ("update", random_updates)):
            done = tries = 0
            while done < wanted and tries < wanted * 4:
                tries += 1
                done += self.kill_at_random(phase).killed
        return self.figures()

    def figures(self) -> Counter[str]:
        counts: Counter[str] = Counter()
        for outcome in self.outcomes:
            kind = "point" if outcome.how.startswith("point") else "random"
            if outcome.killed:
                counts[f"kills tried ({kind}, {outcome.phase})"] += 1
                counts[f"kills survived ({kind}, {outcome.phase})"] += outcome.survived
        counts["kills tried"] = sum(o.killed for o in self.outcomes)
        counts["kills survived"] = sum(o.survived for o in self.outcomes)
        return counts


def _survivors(pids: list[int], wait: float = 10.0) -> int:
    """How many of `pids` are still alive (zombies count as dead) after up to `wait` seconds."""
    deadline = time.monotonic() + wait
    while True:
        alive = []
        for pid in pids:
            try:
                if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                    alive.append(pid)
            except psutil.NoSuchProcess:
                pass
        if not alive or time.monotonic() > deadline:
            return len(alive)
        time.sleep(0.1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5000, help="articles in the generated archive (default 5000)")
    parser.add_argument("--random-builds", type=int, default=12, help="random kills during builds (default 12)")
    parser.add_argument("--random-updates", type=int, default=12, help="random kills during updates (default 12)")
    parser.add_argument("--no-points", action="store_true", help="random kills only")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--workdir", type=Path, default=None, help="keep the archive and index here (default: a temporary folder)")
    args = parser.parse_args(argv)
    if not READER.exists():
        print(f"the reader command is not installed beside {sys.executable}", file=sys.stderr)
        return 2
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="reader-kill-"))
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()

    def log(line: str) -> None:
        print(f"[{time.perf_counter() - started:7.1f} s] {line}", flush=True)

    campaign = Campaign(workdir, args.count, log, args.seed)
    try:
        figures = campaign.run([] if args.no_points else POINT_PLAN, args.random_builds, args.random_updates)
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    print()
    for name, value in sorted(figures.items()):
        print(f"{name}: {value}")
    print(f"archive of {args.count:,} articles; {time.perf_counter() - started:.0f} s in all; nothing lost")
    return 0 if figures["kills tried"] == figures["kills survived"] else 1


if __name__ == "__main__":
    sys.exit(main())
