"""Building and refreshing an archive's Whoosh index: a whole build into a new generation, or an
update of the files added, changed and removed, each committed or cancelled whole."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import (
    W3Codec,
)
from whoosh.writing import SegmentWriter

from reader.core import manifest as manifest_file
from reader.core import stamp as stamp_file
from reader.core.archive import FileStat, Scan, scan_folder
from reader.core.article import SkippedFile
from reader.core.touched import drop_touched, read_for_index
from reader.core.types import (
    Progress,
    ProgressPhase,
    ProgressReport,
    RefreshInterrupted,
    RefreshSummary,
    describe,
)
from reader.engines.whoosh import freshness, patches
from reader.engines.whoosh.freshness import (
    DAMAGED,
    VERSION_FILE,
    damage,
    index_files,
    load_manifest,
    no_index_reason,
    schema_version,
    unchanged_summary,
    version_reason,
)
from reader.engines.whoosh.merging import merge_tiers
from reader.engines.whoosh.schema import (
    SearchSchema,
    document_of,
)
from reader.engines.whoosh.store import IndexStore

# Below this many files one process builds faster than two (process start, merging).
PARALLEL_BUILD_MIN = 2000

# A first build of a big archive commits and publishes this many files first, so search answers
# within seconds instead of after the whole build, then adds the rest to that index. Fewer than
# PARALLEL_BUILD_MIN: one process, whose commit does not wait for two to finish their segments
# (2,000 through two processes on 20newsgroups: 16 s of merging before the first answer). 1,000
# took 16 s to the first answer at 10k on a loaded machine; 100 takes about 1.5 s (reading them,
# and Whoosh's commit of their segment, a second of it), so the first answer comes within 3 s.
# Not for fewer files than FIRST_BATCH_MIN: the second commit would cost more than it saves.
FIRST_BATCH = 100
FIRST_BATCH_MIN = 4000
# Each later batch of such a build is this many times the one before (100, 1,000, 10,000, …).
BATCH_GROWTH = 10


# A refresh keeps posting lists shorter than this inside the term's info instead of writing a
# block for each: in the small segment of a few changed files most terms have one posting, and
# their blocks (a pickle, zlib, a header each) were half of writing it. Not a build: 1,500 articles
# of the 10k benchmark archive took 4-5% less CPU to build so, in an index 19% larger.
INLINE_POSTINGS = 16


def _codec(inline: int) -> W3Codec:
    """Whoosh's codec, with short posting lists inlined when Whoosh's inlining is mended (patches)."""
    return W3Codec(inlinelimit=inline) if patches.installed() else W3Codec()


COMMITS = [0]  # commits (and cancelled ones) made by this process


class Damaged(Exception):
    pass


def rebuild_reason(folder: Path | None, saved: manifest_file.Manifest | None = None) -> str:
    if folder is None:
        return "no index yet"
    if schema_version(folder) != freshness.SCHEMA_VERSION:
        return version_reason(folder)
    problem = damage(folder, saved)
    if problem:
        return f"{DAMAGED} ({problem})"
    if not whoosh_index.exists_in(str(folder)):
        return "the index files are missing"
    return ""


def report(progress: Progress | None, phase: ProgressPhase, done: int = 0, total: int = 0) -> None:
    if progress is not None:
        progress(ProgressReport(phase, done, total))


def _overall(progress: Progress | None, offset: int, total: int, searchable: int) -> Progress | None:
    """The progress of one part of a build as a part of the whole: counts from `offset` of
    `total`, and `searchable` articles published already."""
    if progress is None:
        return None

    def shifted(part: ProgressReport) -> None:
        if part.phase == "reading":
            progress(ProgressReport("reading", offset + part.done, total, searchable))
        elif part.phase == "comparing":  # counted over the files compared, not the archive
            progress(ProgressReport("comparing", part.done, part.total, searchable))
        else:
            progress(ProgressReport(part.phase, searchable=searchable))

    return shifted


def commit_or_cancel(writer: SegmentWriter, write: Callable[[], None], **commit: object) -> None:
    """Run `write` with the writer, then commit; on any failure (a KeyboardInterrupt too) cancel,
    so the index stays as it was."""
    try:
        write()
        writer.commit(**commit)
    except BaseException:
        writer.cancel()
        raise
    finally:
        COMMITS[0] += 1  # every searcher of this process looks again (see _searching)


def record_manifest(folder: Path, saved: manifest_file.Manifest, generation: int, order: list[str] | None = None) -> None:
    """Save the manifest of a committed generation, with the sizes of its files (to spot damage),
    in the archive folder's `order` when it is written whole."""
    saved.generation = generation
    saved.files = index_files(folder)
    manifest_file.save(folder, saved, order)
    if order is not None:
        stamp_file.save(folder, saved, order)
    else:  # no scan to stamp it with: the old stamp names the old record, and goes
        (folder / stamp_file.STAMP_NAME).unlink(missing_ok=True)


def manifest_from_index(ix: object) -> manifest_file.Manifest:
    """Rebuild the manifest from the stored fields (after a crash between commit and manifest)."""
    saved = manifest_file.Manifest(ix.latest_generation())  # type: ignore[attr-defined]
    with ix.searcher() as searcher:  # type: ignore[attr-defined]
        for fields in searcher.all_stored_fields():
            entry = manifest_file.Entry(int(fields.get("mtime") or 0), int(fields.get("size") or 0), fields["id"], fields["title"])
            saved.put(fields["path"], entry)
    return saved


class Writer:
    """Writes the index of one archive folder, one writer at a time (the store's lock)."""

    def __init__(self, archive: Path, store: IndexStore) -> None:
        self.archive = archive
        self.store = store

    def refresh(self, rebuild: bool = False, progress: Progress | None = None, wait: float = 10.0,
                scanned: Scan | None = None) -> RefreshSummary:
        """Bring the index up to date with the archive: only added, changed and removed files are
        read, unless `rebuild` (or a missing, damaged or outdated index) starts over. `scanned` is
        a scan of the archive the caller has just made (a 100k-file scan is half a second)."""
        with self.store.writing(wait=wait):
            if scanned is None:
                report(progress, "scanning")
            files = scanned if scanned is not None else scan_folder(self.archive)
            folder = self.store.current()
            loaded = load_manifest(folder) if folder is not None else None
            saved = loaded.copy() if loaded is not None else None  # _update changes it
            if rebuild:
                reason = "asked to rebuild"
            elif folder is None:
                reason = no_index_reason(self.store)  # none yet, or its CURRENT pointer damaged
            else:
                reason = rebuild_reason(folder, saved)  # includes files found missing or cut short
            if not reason and folder is not None:
                try:
                    if saved is not None and len(files) - len(saved) >= FIRST_BATCH_MIN:
                        resumed = self._add_in_batches(folder, files, progress, saved)
                        if resumed is not None:
                            return resumed
                    summary = self._update(folder, files, progress, saved)
                except Damaged as damage:
                    reason = f"the index was damaged ({damage})"
                else:
                    return summary
            if folder is None and len(files) >= FIRST_BATCH_MIN:
                # No index to answer from meanwhile (a --rebuild of one keeps it until the end).
                summary = self._build_first_batch_early(files, progress)
            else:
                summary = self._build(files, progress)
            summary.rebuild_reason = reason
            return summary

    def _build_first_batch_early(self, found: Scan, progress: Progress | None) -> RefreshSummary:
        """Build and publish the first `FIRST_BATCH` files, then add the rest in batches ten times
        larger each (two processes for a big one), each published as it commits: search answers
        within seconds and from more of the archive as the build goes on. Progress counts the
        whole archive, and says what is searchable."""
        total = len(found)
        first = _head(found, FIRST_BATCH)
        summary = self._build(first, _overall(progress, 0, total, 0))
        done, size = len(first), FIRST_BATCH
        while done < total:
            size *= BATCH_GROWTH
            part = _head(found, min(total, done + size))
            folder = self.store.current()
            loaded = load_manifest(folder) if folder is not None else None
            saved = loaded.copy() if loaded is not None else None  # _update changes it (a cached one)
            if folder is None or saved is None:  # cannot happen after a publish; build it whole then
                return self._build(found, progress)
            try:
                # The files of `part` the record lacks are added; none is removed (all the
                # record holds is in `part`).
                rest = self._update(folder, part, _overall(progress, done, total, summary.total), saved)
            except Damaged:
                return self._build(found, progress)
            except KeyboardInterrupt:
                # This batch is cancelled whole; those published before it stay: say so.
                raise RefreshInterrupted(done, total) from None
            summary.indexed += rest.indexed
            summary.skipped.update(rest.skipped)
            summary.warnings.update(rest.warnings)
            summary.total = rest.total
            done = len(part)
        summary.added = 0  # a build: nothing was there before
        summary.unchanged = 0  # all of them were read by this build
        summary.rebuilt = True
        return summary

    def _add_in_batches(self, folder: Path, files: Scan, progress: Progress | None,
                        saved: manifest_file.Manifest) -> RefreshSummary | None:
        """Thousands of files the index lacks (a first build stopped part way, a big copy into the
        archive): add them in batches of 1,000, 10,000… each published as it commits, as a first
        build does, so search finds more of them as they come instead of all at the end. None when
        the files the index lacks are too few for batches (the caller updates in one go)."""
        _, changed = saved.compare(files)
        pending = [name for name in files.names if name in changed and saved.get(name) is None]
        if len(pending) < FIRST_BATCH_MIN:
            return None
        searchable = saved.indexed_count()
        summary = RefreshSummary()
        done, size = 0, FIRST_BATCH
        while done < len(pending):
            size *= BATCH_GROWTH
            later = set(pending[done + size:])
            # The scan without the files of later batches: removals and changes go with the first.
            keep = Scan(*map(list, zip(*(row for row in zip(files.names, files.mtimes, files.sizes)
                                         if row[0] not in later)))) if later else files
            current = self.store.current()
            loaded = load_manifest(current) if current is not None else None
            record = loaded.copy() if loaded is not None else None
            try:
                # Counted over the whole archive, as a first build counts: "1,100 of 100,000".
                counts = _overall(progress, len(files) - len(pending) + done, len(files), searchable)
                part = self._update(current or folder, keep, counts, record)
            except KeyboardInterrupt:
                # This batch is cancelled whole; those published before it stay: say so.
                raise RefreshInterrupted(len(files) - len(pending) + done, len(files)) from None
            if not done:  # later batches count the earlier ones as unchanged
                summary.unchanged, summary.touched = part.unchanged, part.touched
            summary.added += part.added
            summary.removed += part.removed
            summary.indexed += part.indexed
            summary.skipped.update(part.skipped)
            summary.warnings.update(part.warnings)
            summary.total = searchable = part.total
            done = min(len(pending), done + size)
        return summary

    def _build(self, found: Scan, progress: Progress | None) -> RefreshSummary:
        building = self.store.new_generation()
        ix = whoosh_index.create_in(str(building), SearchSchema())
        (building / VERSION_FILE).write_text(str(freshness.SCHEMA_VERSION), encoding="ascii")
        files = found.files
        # Imported when writing (see the refresh below).
        from reader.engines.whoosh.parallel import BuildWriter, cheaper_runs

        parallel = len(files) >= PARALLEL_BUILD_MIN and (os.cpu_count() or 1) > 1
        writer = (
            BuildWriter(ix, procs=2, multisegment=True, limitmb=96, compound=False)
            if parallel
            else cheaper_runs(ix.writer(limitmb=96, compound=False))
        )
        summary = RefreshSummary(rebuilt=True)
        saved = manifest_file.Manifest()

        def write() -> None:
            self._add_files(writer, files, sorted(files), saved, summary, progress)
            # With two processes the commit waits for both to write their segments: the long
            # silent part of a big build, so it gets a phase of its own.
            report(progress, "merging" if parallel else "writing")

        try:
            commit_or_cancel(writer, write)
        except BaseException:
            # Cancelled (Ctrl+C) or failed: the half-built generation goes now, not at the next
            # build (which removes those of builders that died).
            shutil.rmtree(building, ignore_errors=True)
            raise
        report(progress, "committing")
        record_manifest(building, saved, ix.latest_generation(), found.names)
        self.store.publish(building)
        COMMITS[0] += 1
        summary.total = saved.indexed_count()
        return summary
    def _update(
        self, folder: Path, files: Scan, progress: Progress | None,
        saved: manifest_file.Manifest | None = None,
    ) -> RefreshSummary:
        try:
            ix = whoosh_index.open_dir(str(folder))
            generation = ix.latest_generation()
        except Exception as error:  # noqa: BLE001 (Whoosh raises many kinds on damaged files)
            raise Damaged(describe(error)) from None
        recovered = saved is None or saved.generation != generation
        if recovered:
            try:
                saved = manifest_from_index(ix)  # a crash between the commit and the manifest
            except Exception as error:  # noqa: BLE001 (its stored fields cannot be read either)
                raise Damaged(describe(error)) from None
        removed, changed = saved.compare(files)  # changed: added or changed, with their stamps
        touched = drop_touched(self.archive, saved, changed, progress) if changed else 0
        if not removed and not changed:
            # Write the record only when it was rebuilt from the index, is in an older format or
            # has new times: reading the 100k-entry file again to see whether it is there was a
            # second of every `reader index`.
            if touched or recovered or saved.outdated:
                record_manifest(folder, saved, generation, files.names)
            elif stamp_file.load(folder) is None:  # an index made before stamps: the next check is quick
                stamp_file.save(folder, saved, files.names)
            unchanged = unchanged_summary(files, saved)
            unchanged.touched = touched
            return unchanged
        summary = RefreshSummary(unchanged=len(files) - len(changed), touched=touched)
        gone = set(removed)
        for name, reason in saved.skipped().items():
            if name not in gone and name not in changed:
                summary.skipped[name] = reason
                summary.unchanged -= 1
        new = {name for name in changed if saved.get(name) is None}
        # Thousands of new files and none to delete (the rest of a first build, a big copy): the
        # build's two processes.
        parallel = len(new) >= PARALLEL_BUILD_MIN and len(new) == len(changed) and not removed and (os.cpu_count() or 1) > 1
        # Imported when writing: parallel.py brings multiprocessing (7 ms), which searches,
        # importing this module for describe and the rebuild checks, never use.
        from reader.engines.whoosh.parallel import BuildWriter, cheaper_runs

        try:
            if parallel:
                writer = BuildWriter(ix, procs=2, multisegment=True, limitmb=96, compound=False)
            else:
                writer = cheaper_runs(ix.writer(codec=_codec(INLINE_POSTINGS), limitmb=64, compound=False))
        except Exception as error:  # noqa: BLE001 (Whoosh raises many kinds on damaged files)
            raise Damaged(describe(error)) from None

        def write() -> None:
            for name in removed + list(changed):
                old = saved.remove(name)
                if old is not None and not old.skipped:
                    writer.delete_by_term("path", name)
            self._add_files(writer, changed, sorted(changed), saved, summary, progress)
            report(progress, "merging" if parallel else "writing")

        summary.removed = len(removed)
        commit_or_cancel(writer, write, mergetype=merge_tiers)
        summary.added = len(new) - len(new.intersection(summary.skipped))
        report(progress, "committing")
        record_manifest(folder, saved, ix.latest_generation(), files.names)
        summary.total = saved.indexed_count()
        return summary
    def _add_files(
        self,
        writer: SegmentWriter,
        files: dict[str, FileStat],
        names: list[str],
        saved: manifest_file.Manifest,
        summary: RefreshSummary,
        progress: Progress | None,
    ) -> None:
        seen_ids = saved.ids()
        total = len(names)
        report(progress, "reading", 0, total)
        for done, name in enumerate(names, 1):
            stat = files[name]
            try:
                article, digest = read_for_index(self.archive / name)
                if article.id in seen_ids and seen_ids[article.id] != name:
                    raise SkippedFile(f"duplicate id {article.id!r} (also {seen_ids[article.id]})")
            except SkippedFile as skip:
                saved.put(name, manifest_file.Entry(stat.mtime_ns, stat.size, skipped=skip.reason))
                summary.skipped[name] = skip.reason
            else:
                writer.add_document(**document_of(article, name, stat))
                saved.put(name, manifest_file.Entry(stat.mtime_ns, stat.size, article.id, article.title, digest=digest))
                seen_ids[article.id] = name
                summary.indexed += 1
                if article.warnings:
                    summary.warnings[name] = article.warnings
            if progress is not None and (done % 50 == 0 or done == total):
                progress(ProgressReport("reading", done, total))


def _head(found: Scan, count: int) -> Scan:
    """The first `count` files of a scan, in its order."""
    return Scan(found.names[:count], found.mtimes[:count], found.sizes[:count])
