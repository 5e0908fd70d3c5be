"""The build's cheaper run files (parallel.RunPool, issue 13): a writer whose postings outgrow its
memory limit writes the very same index with them as with Whoosh's own pool, and the pool gives
back every posting in order however many runs it spilled and merged."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

import pytest
from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage
from whoosh.writing import PostingPool

from reader.engines.whoosh import parallel
from reader.engines.whoosh.schema import SearchSchema


def _documents(count: int) -> list[dict[str, object]]:
    rng = random.Random(7)
    words = [f"w{n}ord" for n in range(400)] + ["harbour", "ferries", "dawn"]
    docs = []
    for n in range(count):
        body = " ".join(rng.choice(words) for _ in range(120))
        docs.append({"id": f"a{n:04d}", "path": f"a{n:04d}.txt", "title": f"Ferry {n} {rng.choice(words)}",
                     "body": body, "link_words": rng.choice(words), "links": "[]", "mtime": n, "size": len(body)})
    return docs


def _build(folder: Path, docs: list[dict[str, object]], run_pool: bool) -> dict[str, str]:
    """sha256 of each file of the segment written (by its name without the segment's random id)."""
    folder.mkdir()
    ix = whoosh_index.create_in(str(folder), SearchSchema())
    writer = ix.writer(limitmb=1, compound=False)  # 1 MB: the postings spill to several runs
    if run_pool:
        parallel.cheaper_runs(writer)
        assert isinstance(writer.pool, parallel.RunPool)
    for doc in docs:
        writer.add_document(**doc)
    writer.commit()
    return {entry.name.split(".", 1)[1]: hashlib.sha256(entry.read_bytes()).hexdigest()
            for entry in folder.iterdir() if entry.name.startswith("MAIN_") and "LOCK" not in entry.name}


def test_the_run_pool_writes_the_same_segment_as_whooshs(tmp_path: Path) -> None:
    docs = _documents(600)
    theirs = _build(tmp_path / "whoosh", docs, run_pool=False)
    ours = _build(tmp_path / "ours", docs, run_pool=True)
    assert len(ours) >= 5 and ours == theirs


@pytest.mark.parametrize("maxfiles", [2, 128])
def test_the_run_pool_gives_back_every_posting_in_order(maxfiles: int, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    # maxfiles=2 makes the pool merge runs into runs first (Whoosh's reduce_to), through _write_run;
    # records of 64 postings: several in each run.
    monkeypatch.setattr(parallel, "RUN_RECORD", 64)
    rng = random.Random(3)
    postings = [(rng.choice(["body", "title"]), f"t{rng.randrange(5000)}".encode(), rng.randrange(10000),
                 rng.random(), rng.choice([None, b"\x00\x01"])) for _ in range(7000)]
    pool = parallel.RunPool(FileStorage(str(tmp_path)), None, limitmb=1)
    pool.limit = 60_000  # about 300 postings a run
    for posting in postings:
        pool.add(posting)
    assert len(pool.runs) > 10
    assert list(pool.items(maxfiles=maxfiles)) == sorted(postings)
    assert pool.fieldnames == {"body", "title"}
    assert not list(tmp_path.iterdir())  # every run file removed once read


def test_a_pool_with_runs_in_whooshs_format_is_not_swapped(tmp_path: Path) -> None:
    pool = PostingPool(FileStorage(str(tmp_path)), None, limitmb=1)
    pool.add(("body", b"x", 0, 1.0, None))
    pool.save()  # a run pickled Whoosh's way: a RunPool could not read it back

    class Writer:
        pass

    writer = Writer()
    writer.pool = pool  # type: ignore[attr-defined]
    parallel.cheaper_runs(writer)  # type: ignore[arg-type]
    assert type(pool) is PostingPool
