"""A check run beside the main work, in a forked child process: `reader search WORD` asks whether
the index matches the archive (at 100k files, a stat of each: 0.3 s of system time) while it opens
the index and runs the query, on the other core, and answers only once the check says the index
is current (else it refreshes and searches again, as it did before).

The child is forked before Whoosh is imported or any index file opened, runs nothing but the
check, sends its answer through a pipe and leaves with `os._exit` (none of the parent's exit
code, buffers or files are touched). Where a fork is not safe (no `os.fork`, another thread
running) there is no child, and the caller checks first, as always.
"""

from __future__ import annotations

import marshal
import os
import sys
from collections.abc import Callable

Answer = tuple[str, ...]
"""What the child sends: strings only (marshal, built into the interpreter, imports nothing)."""


def can_fork() -> bool:
    """Whether a child can be forked safely now: POSIX, and no other thread (a child of a threaded
    process may find a lock that thread held, held for ever)."""
    if not hasattr(os, "fork"):
        return False
    threading = sys.modules.get("threading")
    return threading is None or threading.active_count() == 1


class Beside:
    """`call()` running in a forked child; `answer()` waits for what it returned."""

    def __init__(self, call: Callable[[], Answer]) -> None:
        readable, writable = os.pipe()
        try:
            child = os.fork()
        except OSError:
            os.close(readable)
            os.close(writable)
            raise
        if child == 0:
            _run_child(call, readable, writable)  # never returns
        os.close(writable)
        self._child: int | None = child
        self._readable = readable

    def answer(self) -> Answer | None:
        """What `call()` returned in the child, or None when it raised or the child died (the
        caller then runs the call itself, and meets the same error the usual way)."""
        chunks = []
        try:
            while chunk := os.read(self._readable, 1 << 16):
                chunks.append(chunk)
        finally:
            self.close()
        try:
            value = marshal.loads(b"".join(chunks))
        except (EOFError, ValueError, TypeError):
            return None
        if not isinstance(value, tuple) or not value or value[0] != "ok" or not all(isinstance(v, str) for v in value):
            return None
        return value[1:]

    def close(self) -> None:
        """Reap the child, waiting for it to end: not killed, so that what it writes (a check
        may stamp the index) is never left half done. Ctrl+C at a terminal interrupts it too."""
        if self._child is None:
            return
        child, self._child = self._child, None
        os.close(self._readable)  # a child still writing its answer gets EPIPE and leaves
        try:
            os.waitpid(child, 0)
        except ChildProcessError:  # reaped already (a SIGCHLD handler of an embedding program)
            pass


def _run_child(call: Callable[[], Answer], readable: int, writable: int) -> None:
    code = 1
    try:
        os.close(readable)
        try:
            data = marshal.dumps(("ok", *call()))
        except BaseException:  # noqa: BLE001 - any failure: the parent runs the call itself
            data = marshal.dumps(("error",))
        view = memoryview(data)
        while view:
            view = view[os.write(writable, view):]
        code = 0
    finally:
        os._exit(code)
