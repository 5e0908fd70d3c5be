"""The floor of reader's index build: a bare Whoosh writer fed reader's own documents.

    python -m benchmarks.floor ARCHIVE OUT_DIR [--procs 2] [--multisegment] [--limitmb 96] ...

Every article is read and turned into the very field values reader indexes (`reader.engines.whoosh.index`'s
`document_of`, same `SearchSchema`) before the clock starts, so the time measured is Whoosh's alone:
creating the index, `add_document` for every article and the commit. Prints one JSON object:
seconds, docs, docs_per_s, the peak resident memory of the writer processes (and of this one before
writing, which holds the documents), and the index size.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

from benchmarks.measure import RssSampler, folder_bytes

# The best settings found on this machine kind (2 cores): see the README's Performance section.
BEST = {"procs": 2, "multisegment": True, "limitmb": 96, "batchsize": 100}


def load_documents(archive: Path) -> list[dict[str, object]]:
    """reader's documents for every article of `archive`, in file-name order."""
    from reader.core.archive import scan
    from reader.core.article import SkippedFile, read_article
    from reader.engines.whoosh.schema import document_of

    files = scan(archive)
    docs: list[dict[str, object]] = []
    seen: set[str] = set()
    for name in sorted(files):
        try:
            article = read_article(archive / name)
        except SkippedFile:
            continue
        if article.id in seen:
            continue
        seen.add(article.id)
        docs.append(document_of(article, name, files[name]))
    return docs


def build(docs: list[dict[str, object]], out: Path, procs: int, multisegment: bool, limitmb: int,
          batchsize: int, compound: bool = False) -> float:
    """Index `docs` into a new index in `out`; wall seconds."""
    from whoosh import index as whoosh_index
    from whoosh.multiproc import MpWriter

    from reader.engines.whoosh.schema import SearchSchema

    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    start = time.perf_counter()
    ix = whoosh_index.create_in(str(out), SearchSchema())
    if procs > 1:
        writer = MpWriter(ix, procs=procs, multisegment=multisegment, batchsize=batchsize, limitmb=limitmb,
                          compound=compound)
    else:
        writer = ix.writer(limitmb=limitmb, compound=compound)
    for doc in docs:
        writer.add_document(**doc)
    writer.commit()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("archive", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--procs", type=int, default=BEST["procs"])
    parser.add_argument("--multisegment", action=argparse.BooleanOptionalAction, default=BEST["multisegment"])
    parser.add_argument("--limitmb", type=int, default=BEST["limitmb"])
    parser.add_argument("--batchsize", type=int, default=BEST["batchsize"])
    parser.add_argument("--keep", action="store_true", help="keep the index (default: remove it after measuring)")
    args = parser.parse_args(argv)

    docs = load_documents(args.archive)
    import psutil

    before = psutil.Process().memory_info().rss
    import resource

    cpu_before = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    with RssSampler(os.getpid()) as sampler:
        seconds = build(docs, args.out, args.procs, args.multisegment, args.limitmb, args.batchsize)
        sampler.sample()
    cpu_after = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    cpu = sum(a.ru_utime - b.ru_utime + a.ru_stime - b.ru_stime for a, b in zip(cpu_after, cpu_before))
    size = folder_bytes(args.out)
    if not args.keep:
        shutil.rmtree(args.out, ignore_errors=True)
    json.dump({
        "seconds": seconds,
        "cpu_seconds": cpu,
        "docs": len(docs),
        "docs_per_s": len(docs) / seconds if seconds else 0.0,
        "peak_rss_total": sampler.peak_total,
        "rss_with_documents": before,
        "peak_rss_writers": max(0, sampler.peak_total - before),
        "index_bytes": size,
        "settings": {"procs": args.procs, "multisegment": args.multisegment, "limitmb": args.limitmb,
                     "batchsize": args.batchsize, "compound": False},
    }, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
