"""Articles read from their files once per version of the file, and the plain text snippets are
cut from (result rows ask for the same few files again and again)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from reader.core.article import (
    LINK_SECTIONS,
    MAX_FILE_BYTES,
    Article,
    _looks_binary,
    decode,
    read_article,
    safe_text,
)


def body_text(path: Path) -> str:
    """An article's body, parsed once per version of the file (result rows ask again and again)."""
    return read_cached(path).body_text()


def snippet_text(path: Path) -> str:
    """The text snippets are cut from: the file after its title line, up to its first link
    section, decoded and made terminal-safe as the parser does, without parsing the layout
    (a fifth of the cost: result rows ask for a dozen files a keystroke)."""
    try:
        stat = path.stat()
    except OSError:
        return body_text(path)  # raises SkippedFile with the reason
    return _cached_snippet_text(str(path), stat.st_mtime_ns, stat.st_size)


_SECTION_STARTS = tuple("\n" + name.casefold() for name in LINK_SECTIONS)


_BULLETS = "•◦▪‣"


# Every character safe_text changes (controls, tab, CR, NEL, line and paragraph separators): a text
# without any is already terminal-safe, and not binary.
_UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]")


@lru_cache(maxsize=1024)
def _cached_snippet_text(path: str, mtime_ns: int, size: int) -> str:
    if size > MAX_FILE_BYTES:
        return body_text(Path(path))
    try:
        data = Path(path).read_bytes()
    except OSError:
        return body_text(Path(path))
    text, _ = decode(data)  # SkippedFile for binary files, as the parser says
    if _UNSAFE.search(text):
        if _looks_binary(text):
            return body_text(Path(path))
        text = safe_text(text)
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    _, _, body = text.lstrip().partition("\n")  # the title line
    lowered = body.casefold() if not body.isascii() else body.lower()
    if len(lowered) == len(body):
        ends = [at for at in (lowered.find(start) for start in _SECTION_STARTS) if at >= 0]
        if ends:
            body = body[: min(ends)]
    for bullet in _BULLETS:  # str.replace: translate() walks a non-ASCII text a character at a time
        if bullet in body:
            body = body.replace(bullet, "")
    return body


def read_cached(path: Path) -> Article:
    """`read_article`, parsed once per version of the file: opening an article, its similar
    articles and the snippets of result rows all read the same few files again and again."""
    try:
        stat = path.stat()
    except OSError:
        return read_article(path)  # raises SkippedFile with the reason
    return _cached_article(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=512)
def _cached_article(path: str, mtime_ns: int, size: int) -> Article:
    return read_article(Path(path))
