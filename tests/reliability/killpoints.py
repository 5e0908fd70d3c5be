"""Run the `reader` command with a fault injected: SIGKILL at one named point of an index build
or update, so each crash window is hit for sure (random kills hit the short ones by luck only).

Usage (what kill_run.py does):
    python tests/reliability/killpoints.py POINT [--parallel-min N] -- READER-ARGUMENTS...

POINT is one of KILL_POINTS. `--parallel-min` lowers the archive size at which a build uses the
two-process writer, to reach that path with a small archive. When $READER_KILL_CHILDREN names a
file, the ids of this process's children are written there just before it dies (the test then
checks they die too: parallel.py sets PR_SET_PDEATHSIG in the sub-writers). $READER_KILL_AFTER is how
many documents `add` lets through first (counted over the whole run: a progressive first build's
batches, or every refresh of `reader index --watch`); $READER_KILL_SKIP is how many times any other
point is passed before it kills (0: the first; 1: a progressive build's second batch, ...).
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path

KILL_POINTS = {
    "add": "while documents are added (sub-writers busy in a parallel build)",
    "toc": "segment files written, before Whoosh writes its table of contents",
    "clean": "table of contents written, before Whoosh deletes superseded files",
    "manifest": "index committed, before the manifest is written",
    "manifest-replace": "manifest written to its temporary file, before it replaces the old one",
    "current-replace": "generation renamed into place, before CURRENT points at it",
    "after-current": "CURRENT replaced, before the old generation is removed",
}


def _die() -> None:
    record = os.environ.get("READER_KILL_CHILDREN")
    if record:
        import psutil

        pids = [child.pid for child in psutil.Process().children(recursive=True)]
        Path(record).write_text(" ".join(map(str, pids)))
    os.kill(os.getpid(), signal.SIGKILL)


def _due() -> Callable[[], bool]:
    """A function that is True at the (READER_KILL_SKIP + 1)-th call, and False before it."""
    calls = [int(os.environ.get("READER_KILL_SKIP", "0"))]

    def due() -> bool:
        calls[0] -= 1
        return calls[0] < 0

    return due


def install(point: str) -> None:
    """Patch reader (and Whoosh under it) to SIGKILL this process at `point`."""
    import whoosh.index
    import whoosh.writing

    from reader.core import manifest
    from reader.engines.whoosh import writing

    if point == "none":  # only --parallel-min
        return
    due = _due()
    if point == "add":
        limit = int(os.environ.get("READER_KILL_AFTER", "50"))
        original_document = writing.document_of
        added = 0

        def document(*args: object, **kwargs: object) -> dict[str, object]:
            nonlocal added
            added += 1
            if added > limit:
                _die()
            return original_document(*args, **kwargs)  # type: ignore[arg-type]

        writing.document_of = document  # type: ignore[assignment]
    elif point == "toc":
        original_toc = whoosh.writing.SegmentWriter._commit_toc

        def toc(self: whoosh.writing.SegmentWriter, segments: list[object]) -> None:
            if due():
                _die()
            original_toc(self, segments)

        whoosh.writing.SegmentWriter._commit_toc = toc  # type: ignore[method-assign]
    elif point == "clean":
        original_clean = whoosh.index.clean_files

        def clean(*args: object, **kwargs: object) -> None:
            if due():
                _die()
            original_clean(*args, **kwargs)

        whoosh.index.clean_files = clean
    elif point == "manifest":
        original_save = manifest.save

        def save(*args: object, **kwargs: object) -> None:
            if due():
                _die()
            original_save(*args, **kwargs)  # type: ignore[arg-type]

        manifest.save = save  # type: ignore[assignment]
    elif point in ("manifest-replace", "current-replace", "after-current"):
        original_replace = os.replace

        def replace(source: object, target: object, **kwargs: object) -> None:
            name = Path(os.fsdecode(target)).name  # type: ignore[arg-type]
            if point == "manifest-replace" and name in (manifest.MANIFEST_NAME, manifest.CHANGES_NAME) and due():
                _die()
            if point == "current-replace" and name == "CURRENT" and due():
                _die()
            original_replace(source, target, **kwargs)  # type: ignore[arg-type]
            if point == "after-current" and name == "CURRENT" and due():
                _die()

        os.replace = replace  # type: ignore[assignment]
    else:
        raise SystemExit(f"unknown kill point {point!r}; one of {', '.join(KILL_POINTS)}")


def main(argv: list[str]) -> int:
    point, rest = argv[0], argv[1:]
    if rest[:1] == ["--parallel-min"]:
        from reader.engines.whoosh import writing

        writing.PARALLEL_BUILD_MIN = int(rest[1])
        rest = rest[2:]
    if rest[:1] == ["--"]:
        rest = rest[1:]
    install(point)
    from reader.cli.main import main as reader_main

    return reader_main(rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
