"""Bringing the index up to date before a command answers: the progress shown meanwhile, the
lines said after, and `fresh_then`, which checks freshness in a forked child beside the answer
(reader/cli/beside.py) where it can."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from reader.cli import output
from reader.cli.beside import Beside, can_fork
from reader.core.archive import core_free
from reader.core.article import safe_line
from reader.core.types import Freshness, IndexBusy, Progress, RefreshSummary

if TYPE_CHECKING:
    from rich.console import Console

    from reader.core.library import Library

T = TypeVar("T")

# An archive folder of at least this size (its entries' bytes: about 2,500 files on ext4) has its
# freshness checked beside the answer, when a core is free to do it. In a smaller one the scan is
# a few milliseconds, less than the child costs the parent (its pages copied as the parent writes
# them). At 10k files (20newsgroups, a 512 KB folder) on an idle machine the child took the wall
# median from 240 to 200 ms for about 15 ms more CPU; on a busy one it cost 248 ms of CPU against
# 222 ms checking first, which is why `core_free` is asked too.
BESIDE_MIN_FOLDER_BYTES = 128 << 10


@contextmanager
def _progress(err: Console, label: str) -> Iterator[Progress]:
    """A progress bar on a terminal; a plain line every few seconds when stderr is piped."""
    from reader.cli.progress import shown

    with shown(err, label) as progress:
        yield progress


def refresh(index: Library, err: Console, rebuild: bool = False) -> RefreshSummary:
    with _progress(err, "indexing") as progress:
        return index.refresh(rebuild=rebuild, progress=progress)


def ensure_fresh(index: Library, err: Console, fresh: Freshness | None = None) -> None:
    """Build a missing index, or refresh a stale one, before answering a command (`fresh`: the
    index's freshness when it was just found)."""
    if fresh is None:
        fresh = index.freshness()
    if fresh.current:
        return
    reason = fresh.reason
    try:
        summary = refresh(index, err)
    except IndexBusy:
        if fresh.whole_build:  # no complete index to answer from
            raise
        output.say(err, "reader: another process is updating the index; using the last complete one", style="yellow")
        return
    if fresh.damaged:  # said even when stderr is piped: the user should know
        done = "rebuilt it" if summary.rebuilt else "repaired it"
        output.say(err, f"reader: {safe_line(reason)}; {done}", style="yellow")
    elif summary.changed and output.is_terminal(err):
        output.say(err, f"reader: index updated ({reason}): " + summary_line(summary), style="dim")


def _checked_beside(index: Library, embedded: bool) -> Beside | None:
    """The index's freshness checked in a forked child (reader/cli/beside.py), for the embedded
    index only (`embedded`: a database engine's connection is not the child's to use); None where the check
    must come first."""
    if not embedded or index.archive is None or not can_fork() or not _worth_a_child(index.archive):
        return None

    def check() -> tuple[str, str]:
        # A big folder's scan may still share its stats with a helper of its own: the parent's
        # answer takes a tenth of a second, then it waits, and the scan is what the user waits
        # for (100k files, interleaved runs: 530 ms wall median with the scan in this child
        # alone, 436 ms shared).
        fresh = index.freshness()
        return fresh.state, fresh.reason

    try:
        return Beside(check)
    except OSError:  # no process or pipe to be had: check first
        return None


def _worth_a_child(archive: Path) -> bool:
    """Whether the archive's scan is long enough to be worth a child, and a core is free to run it
    (on a machine kept busy the two would only take turns on the same cores)."""
    try:
        return os.stat(archive).st_size >= BESIDE_MIN_FOLDER_BYTES and core_free()
    except OSError:  # the check itself says what is wrong with the folder
        return False


def fresh_then(index: Library, embedded: bool, err: Console, answer: Callable[[], T]) -> T:
    """`answer()` from an index found current, refreshed first when it is not: as `ensure_fresh`
    then `answer()`, with the check made beside the answer where it can be. The early answer is
    kept only when the check says the index is current (then it is the answer from that index);
    else, or when it failed, the index is refreshed and asked again, as without the child."""
    beside = _checked_beside(index, embedded)
    if beside is None:
        ensure_fresh(index, err)
        return answer()
    try:
        try:
            early: list[T] = [answer()]
        except Exception:  # noqa: BLE001 - from a stale, missing or damaged index: asked again below
            early = []
        found = beside.answer()
    finally:
        beside.close()
    fresh = Freshness(found[0], found[1]) if found is not None and len(found) == 2 else None  # type: ignore[arg-type]
    if fresh is not None and fresh.current and early:
        return early[0]
    ensure_fresh(index, err, fresh)
    return answer()


def summary_line(summary: RefreshSummary) -> str:
    unchanged = f"{summary.unchanged:,} unchanged"
    if summary.touched:  # a new time, the same bytes: not read again
        unchanged += f" ({summary.touched:,} of them with only a new time)"
    parts = [f"{summary.indexed:,} indexed", unchanged, f"{summary.removed:,} removed",
             f"{len(summary.skipped):,} skipped"]
    return ", ".join(parts)
