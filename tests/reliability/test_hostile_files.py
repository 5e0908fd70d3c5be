"""Hostile files: the parser returns an article or a documented reason for any input, and indexing
an archive mixed with such files indexes the good ones and lists every other with its reason."""

from __future__ import annotations

import json
import os
import re
import time
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reader.core import article as article_module
from reader.core.article import Article, SkippedFile, parse_bytes, parse_text, read_article
from reliability_support import (
    archive_hashes,
    check_index,
    expected_articles,
    record,
    run_reader,
)

REASONS = (
    article_module.REASON_EMPTY,
    article_module.REASON_BINARY,
    article_module.REASON_NO_TITLE,
    article_module.REASON_TOO_LARGE,
    article_module.REASON_UNREADABLE,
    article_module.REASON_BAD_NAME,
)
# What may reach a terminal from an article: no C0/C1 control but newline (inside paragraphs), no
# lone surrogate, no line or paragraph separator.
_UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029]")
_UNSAFE_IN_LINE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029]")

# Pieces that have broken text handling somewhere: terminal controls, line-break look-alikes,
# direction marks, combining marks, BOMs, the archive's own keywords.
PIECES = [
    "\x00", "\x07", "\x08", "\x1b", "\x1b[31m", "\x1b]52;c;aGVsbG8=\x07", "\x1b]0;title\x1b\\", "\x9b2J",
    "\r", "\r\n", "\n", "\n\n", "\n\n\n", "\t", "\x0b", "\x0c", "\x85", "\u2028", "\u2029",
    "\u200e", "\u200f", "\u202e", "\u2066", "\u200b", "\u200d", "\ufeff", "\u00a0", "\u3000",
    "\u0301", "\u0301\u0301\u0301", "e\u0301", "\ufe0f", "😀", "👩\u200d👩\u200d👧",
    "\udc80", "\udcff", "\ud800",
    "Related articles", "Blogs", "More information", "More from Community Care",
    "Comments are closed.", "• ", "  • item", "[bold red]markup[/]", "Title", "word",
    " ", "  ", ".", ":", "-",
]


def _check(result: Article | SkippedFile) -> None:
    """The contract of the parser, for any input."""
    if isinstance(result, SkippedFile):
        assert result.reason.startswith(REASONS), result.reason
        return
    assert isinstance(result, Article)
    assert result.title and result.title == result.title.strip()
    assert any(unicodedata.category(c)[0] in "LNPS" for c in result.title), repr(result.title)
    assert not _UNSAFE_IN_LINE.search(result.title), repr(result.title)
    assert not _UNSAFE_IN_LINE.search(result.id), repr(result.id)
    for block in result.blocks:
        for text in (block.text, *block.items):
            assert not _UNSAFE.search(text), repr(text)
    for section in result.sections:
        for title in section.titles:
            assert not _UNSAFE_IN_LINE.search(title), repr(title)
    result.body_text().encode("utf-8")  # printable and indexable as UTF-8
    result.title.encode("utf-8")


def parse(call, *args) -> Article | SkippedFile:  # type: ignore[no-untyped-def]
    try:
        return call(*args)
    except SkippedFile as skip:
        return skip


PATH = Path("archive/x.txt")


def _raw(text: str) -> bytes:
    """UTF-8, with escaped bytes (U+DC80-U+DCFF) back as the raw bytes they stand for, and any
    other lone surrogate as the invalid 3-byte sequence some tools write."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.binary(max_size=4096))
def test_random_bytes(data: bytes) -> None:
    record("parser: random byte strings tried")
    result = parse(parse_bytes, data, PATH)
    record("parser: random byte strings rejected" if isinstance(result, SkippedFile) else "parser: random byte strings accepted")
    _check(result)


@FAST
@given(st.text(alphabet=st.characters(codec=None), max_size=2000))
def test_random_unicode_text(text: str) -> None:
    """Any code point, surrogates included (what decoding a file name with surrogateescape gives)."""
    record("parser: random Unicode texts tried")
    _check(parse(parse_text, text, PATH))
    _check(parse(parse_bytes, text.encode("utf-8", "surrogatepass"), PATH))


@FAST
@given(st.lists(st.sampled_from(PIECES) | st.text(max_size=12), max_size=60))
def test_hostile_pieces(pieces: list[str]) -> None:
    """Texts built from the pieces that break parsers, as text and as bytes in several encodings."""
    record("parser: hostile texts tried")
    text = "".join(pieces)
    _check(parse(parse_text, text, PATH))
    for encoded in (
        _raw(text),
        text.encode("utf-16", "surrogatepass"),
        text.encode("cp1252", "replace"),
        b"\xef\xbb\xbf" + text.encode("utf-8", "replace"),
    ):
        _check(parse(parse_bytes, encoded, PATH))


@FAST
@given(st.lists(st.sampled_from(PIECES[:40]), min_size=1, max_size=8).map("".join))
def test_hostile_file_names(stem: str) -> None:
    """The id comes from the file name: it must be as safe as the text."""
    record("parser: hostile file names tried")
    path = Path("archive") / f"{stem}.txt".replace("/", "_")
    _check(parse(parse_text, "A title\n\nA body.", path))


TEN_MB = {
    "one word": lambda: b"Title\n\n" + b"x" * 10_000_000,
    "words": lambda: b"Title\n\n" + b"word " * 2_000_000,
    "title": lambda: b"t" * 10_000_000 + b"\n\nbody",
    "combining marks": lambda: b"Title\n\n" + "\u0301".encode() * 5_000_000,
    "CR": lambda: b"Title" + b"\r" * 10_000_000,
    "U+2028": lambda: "Title".encode() + "\u2028".encode() * 3_300_000,
    "escape sequences": lambda: b"Title\n\n" + b"\x1b[31m" * 2_000_000,
    "direction marks": lambda: b"Title\n\n" + "\u202e\u200f".encode() * 1_600_000,
    "bullets": lambda: b"Title\n\n" + "\u2022 a\n".encode() * 1_600_000,
    "blank lines": lambda: b"\n" * 10_000_000 + b"Late title",
    "spaces": lambda: b" " * 10_000_000,
}


@pytest.mark.parametrize("name", list(TEN_MB))
def test_ten_megabyte_lines(name: str) -> None:
    """10 MB in one line (or one run of one thing): parsed or refused in seconds, never stuck."""
    data = TEN_MB[name]()
    record("parser: 10 MB files tried")
    started = time.perf_counter()
    result = parse(parse_bytes, data, PATH)
    _check(result)
    assert time.perf_counter() - started < 60, f"{name}: parsing took minutes"
    if isinstance(result, Article):
        assert len(result.title) <= article_module.MAX_TITLE_CHARS


# --- an archive mixed with hostile files -----------------------------------------------------------

GOOD = {
    f"good_{n:02d}.txt": f"Good article number {n}\n\nA paragraph about topic{n} and the harbour.\n\n"
    "Related articles\n\nGood article number 1\n"
    for n in range(12)
}
# name -> bytes of files that are not articles, each with the reason the index must give.
BAD: dict[bytes, tuple[bytes, str]] = {
    b"empty.txt": (b"", article_module.REASON_EMPTY),
    b"blank.txt": (b" \n\r\n\t \n", article_module.REASON_EMPTY),
    b"nul.txt": (b"Title\x00\n\nbody", article_module.REASON_BINARY),
    b"controls.txt": (bytes(range(1, 32)) * 40, article_module.REASON_BINARY),
    b"invisible.txt": ("\u200b\u200f\u202e\n\u0301\u0301\n".encode(), article_module.REASON_NO_TITLE),
    b"utf16-bad.txt": (b"\xff\xfe\x00\xd8", article_module.REASON_BINARY),
    b"bad name \xff\xfe.txt": (b"A title\n\nbody", article_module.REASON_BAD_NAME),
}


def _write_mixed_archive(folder: Path, seed: int = 7) -> dict[bytes, str]:
    """Good files, known-bad files, and random hostile files (whatever the parser makes of them)."""
    import random

    folder.mkdir()
    for name, text in GOOD.items():
        (folder / name).write_text(text, encoding="utf-8")
    for name, (data, _) in BAD.items():
        with open(os.path.join(os.fsencode(folder), name), "wb") as stream:
            stream.write(data)
    # A file over the size limit, written sparse.
    with open(folder / "huge.txt", "wb") as stream:
        stream.truncate(article_module.MAX_FILE_BYTES + 1)
    rng = random.Random(seed)
    for n in range(40):
        kind = n % 4
        if kind == 0:
            data = rng.randbytes(rng.randint(1, 3000))
        elif kind == 1:
            data = _raw("".join(rng.choice(PIECES) for _ in range(rng.randint(1, 80))))
        elif kind == 2:
            data = ("Title " + "".join(rng.choice(PIECES[:20]) for _ in range(30))).encode("utf-8", "replace")
        else:
            data = bytes(rng.choice([0x1B, 0x07, 0x08, 0x0D, 0x9B, 0x41, 0x0A]) for _ in range(rng.randint(1, 500)))
        stem = "".join(rng.choice(["h", "\x1b", "\x07", "\r", "\n", "\t", " ", "[b]", "é", "\u202e"]) for _ in range(6))
        (folder / f"hostile_{n:02d}_{stem}.txt").write_bytes(data)
    # Things that are not files or not articles by name: never read.
    (folder / "a folder.txt").mkdir()
    (folder / "dangling.txt").symlink_to(folder / "nowhere")
    os.mkfifo(folder / "fifo.txt")
    (folder / ".hidden.txt").write_text("Hidden\n\nnot an article")
    return archive_hashes(folder)


def test_index_an_archive_mixed_with_hostile_files(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    before = _write_mixed_archive(archive)
    index_dir = tmp_path / "index"
    result = run_reader("--archive", str(archive), "--index", str(index_dir), "index", "--json")
    assert result.returncode == 0, result.stderr.decode("utf-8", "replace")
    assert b"Traceback" not in result.stderr
    summary = json.loads(result.stdout.decode("utf-8"))

    expected = expected_articles(archive)
    assert all(f"good_{n:02d}" in expected for n in range(12))
    check_index(archive, index_dir, expected)
    assert summary["total"] == len(expected)

    # Every file that is not indexed is listed once, with a documented reason.
    tried = [name for name in os.listdir(os.fsencode(archive)) if name.endswith(b".txt") and not name.startswith(b".")]
    regular = [name for name in tried if os.path.isfile(os.path.join(os.fsencode(archive), name)) and not os.path.islink(os.path.join(os.fsencode(archive), name))]
    skipped = {os.fsencode(name): reason for name, reason in summary["skipped"].items()}
    assert len(regular) == len(expected) + len(skipped)
    for name, reason in skipped.items():
        assert reason.startswith(REASONS), (name, reason)
    for name, (_, reason) in BAD.items():
        assert skipped[name].startswith(reason), (name, skipped.get(name))
    assert skipped[b"huge.txt"].startswith(article_module.REASON_TOO_LARGE)

    # The plain summary names every skipped file on one line of its own, safely.
    plain = run_reader("--archive", str(archive), "--index", str(index_dir), "index", "--rebuild")
    assert plain.returncode == 0
    lines = plain.stdout.decode("utf-8").splitlines()
    assert sum(1 for line in lines if line.startswith("  skipped ")) == len(skipped)
    assert not re.search(rb"[\x00-\x09\x0b-\x1f\x7f]", plain.stdout)

    assert archive_hashes(archive) == before
    record("archive: files tried", len(regular))
    record("archive: files skipped with a reason", len(skipped))


def test_parser_never_writes(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"Title\r\n\r\nbody \x1b[31m\r\n")
    stat = path.stat()
    read_article(path)
    assert path.read_bytes() == b"Title\r\n\r\nbody \x1b[31m\r\n"
    assert path.stat().st_mtime_ns == stat.st_mtime_ns


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("Title\n\nbody")
    path.chmod(0)
    with pytest.raises(SkippedFile) as skip:
        read_article(path)
    assert skip.value.reason.startswith(article_module.REASON_UNREADABLE)


NEWSGROUPS = Path(__file__).resolve().parents[3] / "shared" / "corpora" / "20newsgroups"


@pytest.mark.skipif(not NEWSGROUPS.is_dir(), reason=f"the shared corpus is not at {NEWSGROUPS}")
def test_real_corpus_parses_within_the_contract() -> None:
    """Every file of the 20newsgroups corpus (real mail, real encodings): an article or a reason."""
    tried = skipped = 0
    for path in sorted(NEWSGROUPS.iterdir()):
        if not path.is_file():
            continue
        tried += 1
        result = parse(read_article, path)
        skipped += isinstance(result, SkippedFile)
        _check(result)
    assert tried > 1000
    record("parser: 20newsgroups files tried", tried)
    record("parser: 20newsgroups files skipped with a reason", skipped)
