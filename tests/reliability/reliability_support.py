"""Helpers of the reliability tests (issue 5): running the real `reader` command, fingerprints of an
archive, what an index holds, and the figures the suite reports at its end."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from reader.core import manifest as manifest_file
from reader.core.archive import scan
from reader.core.article import SkippedFile, read_article
from reader.engines.whoosh.store import IndexStore

REPO = Path(__file__).resolve().parents[2]
READER = Path(sys.executable).parent / "reader"

# Tallies for the issue note ("files tried and skipped, queries tried, kills survived ..."),
# printed by conftest.pytest_terminal_summary.
FIGURES: Counter[str] = Counter()


def record(name: str, count: int = 1) -> None:
    FIGURES[name] += count


def reader_env(**extra: str) -> dict[str, str]:
    """The environment for a `reader` subprocess: no colour or width surprises from the caller."""
    env = {key: value for key, value in os.environ.items() if key not in ("READER_ARCHIVE", "READER_INDEX")}
    env.update({"COLUMNS": "120", "LC_ALL": "C.UTF-8", "PYTHONUTF8": "1"})
    env.pop("FORCE_COLOR", None)
    env.update(extra)
    return env


def run_reader(
    *args: str | bytes, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[bytes]:
    """Run the installed `reader` command; stdout and stderr stay bytes (the tests look at bytes)."""
    if not READER.exists():
        raise AssertionError(f"the reader command is not installed beside {sys.executable}: pip install -e .")
    return subprocess.run(
        [os.fsencode(READER), *(a if isinstance(a, bytes) else os.fsencode(a) for a in args)],
        capture_output=True,
        timeout=timeout,
        env=env or reader_env(),
    )


def stderr_lines(result: subprocess.CompletedProcess[bytes]) -> list[str]:
    return result.stderr.decode("utf-8", "replace").strip().splitlines()


def assert_clean_failure(result: subprocess.CompletedProcess[bytes], code: int = 2) -> str:
    """A user error: exit `code`, one line on stderr, no traceback. Returns the line."""
    lines = stderr_lines(result)
    assert result.returncode == code, (result.returncode, lines)
    assert len(lines) == 1, lines
    assert "Traceback" not in lines[0]
    return lines[0]


def assert_no_traceback(result: subprocess.CompletedProcess[bytes]) -> None:
    text = (result.stdout + result.stderr).decode("utf-8", "replace")
    assert "Traceback" not in text, text[-3000:]
    assert result.returncode in (0, 1, 2), (result.returncode, text[-3000:])


def archive_hashes(folder: Path) -> dict[bytes, str]:
    """sha256 of every file in the archive folder, by raw name: to prove nothing was written."""
    hashes: dict[bytes, str] = {}
    for entry in os.scandir(os.fsencode(folder)):
        if entry.is_file(follow_symlinks=False):
            with open(entry.path, "rb") as stream:
                hashes[entry.name] = hashlib.file_digest(stream, "sha256").hexdigest()
    return hashes


def expected_articles(archive: Path) -> dict[str, str]:
    """id -> title of every file the parser accepts (the files the index must hold, once each)."""
    expected: dict[str, str] = {}
    names: dict[str, str] = {}
    for name in sorted(scan(archive)):
        try:
            article = read_article(archive / name)
        except SkippedFile:
            continue
        if article.id in names:  # the indexer skips the later file of a duplicate id
            continue
        names[article.id] = name
        expected[article.id] = article.title
    return expected


def index_documents(index_dir: Path) -> list[tuple[str, str, str]]:
    """(id, title, file name) of every live document of the current generation, read with Whoosh."""
    from whoosh import index as whoosh_index

    folder = IndexStore(index_dir).current()
    assert folder is not None, f"no current generation in {index_dir}"
    ix = whoosh_index.open_dir(str(folder))
    with ix.searcher() as searcher:
        return [(fields["id"], fields["title"], fields["path"]) for fields in searcher.all_stored_fields()]


def check_index(archive: Path, index_dir: Path, expected: dict[str, str] | None = None) -> int:
    """The index holds exactly one document per good file, with the file's current title, and its
    manifest agrees. Returns the number of documents."""
    expected = expected_articles(archive) if expected is None else expected
    documents = index_documents(index_dir)
    counts = Counter(doc_id for doc_id, _, _ in documents)
    duplicates = {doc_id: n for doc_id, n in counts.items() if n > 1}
    assert not duplicates, f"documents indexed more than once: {list(duplicates.items())[:5]}"
    held = {doc_id: title for doc_id, title, _ in documents}
    missing = expected.keys() - held.keys()
    extra = held.keys() - expected.keys()
    assert not missing and not extra, f"missing {sorted(missing)[:5]}, extra {sorted(extra)[:5]}"
    stale = [doc_id for doc_id, title in expected.items() if held[doc_id] != title]
    assert not stale, f"documents with an old title: {stale[:5]}"
    folder = IndexStore(index_dir).current()
    assert folder is not None
    saved = manifest_file.load(folder)
    assert saved is not None, "no manifest after a completed run"
    assert {e.id for e in saved.indexed().values()} == expected.keys()
    return len(documents)


def leftovers(index_dir: Path) -> list[str]:
    """Half-built generations and temporary files left in an index folder, and files in the current
    generation that are neither Whoosh's live segments nor ours (a killed writer's)."""
    from whoosh import index as whoosh_index

    current = IndexStore(index_dir).current_name()
    found = []
    for entry in index_dir.iterdir():
        if entry.name.startswith("g-") and entry.name != current:
            found.append(entry.name)
        elif entry.name.startswith(".") and entry.name != ".gitignore":
            found.append(entry.name)
    if current:
        folder = index_dir / current
        ix = whoosh_index.open_dir(str(folder))
        live = {segment.segment_id() for segment in ix._segments()}
        toc = f"_MAIN_{ix.latest_generation()}.toc"
        ours = {"manifest.json", "manifest-changes.json", "manifest-stamp.json", "reader-schema", "MAIN_WRITELOCK", toc}
        for entry in folder.iterdir():
            segment = entry.name.split(".")[0]
            if entry.name not in ours and segment not in live:
                found.append(f"{current}/{entry.name}")
    return found


def cli_args(query: str) -> Sequence[str]:
    """`reader search` arguments for one query; `--` keeps a query starting with `-` a query."""
    return ["search", "--limit", "3", "--", query]
