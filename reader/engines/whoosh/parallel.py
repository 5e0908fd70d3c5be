"""The two-process build writer: Whoosh's MpWriter whose worker processes die with their parent,
leave Ctrl+C to it, and are stopped when it cancels."""

from __future__ import annotations

import ctypes
import os
import signal

from whoosh.multiproc import MpWriter, SubWriterTask


def _die_with_parent(parent: int) -> None:
    """Ask Linux to kill this process when its parent dies, so a killed build leaves no orphans."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the parent died before the request took effect: nobody will send it
        os._exit(1)


class _SubWriterTask(SubWriterTask):
    parent_pid = 0
    """The building process (set before start; the child is forked with it)."""

    def run(self) -> None:
        _die_with_parent(self.parent_pid)
        # Ctrl+C reaches the whole process group: the parent cancels the build and stops this
        # process, which would otherwise print its own KeyboardInterrupt traceback.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
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
