"""The two-process build writer: Whoosh's MpWriter whose worker processes die with their parent,
leave Ctrl+C to it, and are stopped when it cancels; and the cheaper run files of every writer
that builds (`RunPool`)."""

from __future__ import annotations

import ctypes
import marshal
import os
import signal
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import IO

from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.writing import PostingPool, SegmentWriter

# Postings written to a run file per marshal record (about 200 bytes each in memory): a run is read
# back one record at a time, so a merge of 70 runs (a sub-writer's share of 100k) holds 70 records.
RUN_RECORD = 2000
# Writers use RunPool (False: Whoosh's own pool, to measure the difference).
RUN_POOL = True


class RunPool(PostingPool):
    """Whoosh's posting pool with its run files written as marshal records of RUN_RECORD postings
    instead of one pickle per posting: a writer whose postings outgrow `limitmb` sorts them into
    runs on disk and merges them back at the end, and pickling and unpickling each posting alone
    was a sixth of a sub-writer's CPU (10k benchmark archive: 3.3 million postings per sub-writer,
    in 7 runs; 162 s of the sub-writers' CPU became 135 s). The postings, their order and the
    segment written are the same; the merge holds a record per run (some 400 KB) instead of one
    posting."""

    def add(self, item: tuple[str, bytes, int, float, bytes | None]) -> None:
        # Whoosh's add, without its two type assertions on every posting; the same size estimate.
        self.fieldnames.add(item[0])
        self.currentsize += 150 + len(item[0]) + 2 * len(item[1]) + len(item[4] or b"")
        if self.currentsize > self.limit:
            self.save()
        self.current.append(item)

    def _write_run(self, f: IO[bytes], items: Iterable[tuple[object, ...]]) -> None:
        items = iter(items)  # a sorted list, or a merge of runs (reduce_to)
        try:
            while record := list(islice(items, RUN_RECORD)):
                marshal.dump(record, f)
        finally:
            f.close()

    def _read_run(self, path: str) -> Iterator[tuple[object, ...]]:
        f = self._open_run(path)
        try:
            while True:
                try:
                    record = marshal.load(f)
                except EOFError:
                    return
                yield from record
        finally:
            f.close()
            self._remove_run(path)


def cheaper_runs(writer: SegmentWriter) -> SegmentWriter:
    """`writer` with its posting pool a RunPool (same state, cheaper run files); returns it."""
    pool = writer.pool
    if RUN_POOL and type(pool) is PostingPool and not pool.runs:  # no run in Whoosh's format to read back
        pool.__class__ = RunPool
    return writer


def _die_with_parent(parent: int) -> None:
    """Ask Linux to kill this process when its parent dies, so a killed build leaves no orphans."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the parent died before the request took effect: nobody will send it
        os._exit(1)


def _run_pool_in_this_process() -> None:
    """Make every SegmentWriter this (forked, sub-writer) process creates use a RunPool: Whoosh's
    SubWriterTask.run creates its writer itself, by the module's name of the pool class."""
    import whoosh.writing

    whoosh.writing.PostingPool = RunPool  # type: ignore[misc]


class _SubWriterTask(SubWriterTask):
    parent_pid = 0
    """The building process (set before start; the child is forked with it)."""

    def run(self) -> None:
        _die_with_parent(self.parent_pid)
        # Ctrl+C reaches the whole process group: the parent cancels the build and stops this
        # process, which would otherwise print its own KeyboardInterrupt traceback.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if RUN_POOL:
            _run_pool_in_this_process()
        super().run()


class BuildWriter(MpWriter):
    def _new_task(self) -> SubWriterTask:
        task = _SubWriterTask(
            self.storage, self.indexname, self.jobqueue, self.resultqueue, self.subargs, self.multisegment
        )
        task.parent_pid = os.getpid()
        self.tasks.append(task)
        task.start()
        return task

    def cancel(self) -> None:
        # Whoosh's cancel only flags its own copies of the tasks: the processes would wait on the
        # job queue for ever, and the parent's exit would wait for them.
        try:
            super().cancel()
        finally:
            self.jobqueue.cancel_join_thread()  # do not wait to hand over jobs nobody will read
            for task in self.tasks:
                if task.is_alive():
                    task.terminate()
            for task in self.tasks:
                task.join(timeout=5)
