"""Shared fixtures: small archives written by the tests themselves, and where the shared corpora are."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from reader.search import ArchiveIndex

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"
SEED_ID = "000_74398830eb76dfcf"
# CI and developers keep the shared folder beside the clone; a user's fresh clone has none.
SHARED = REPO.parent / "shared"
NEWSGROUPS = SHARED / "corpora" / "20newsgroups"


def article_text(
    title: str,
    paragraphs: Sequence[str] = ("Some text about nothing in particular.",),
    related: Sequence[str] = (),
    blogs: Sequence[str] = (),
    more: Sequence[str] = (),
) -> str:
    """An article in the archive's layout (see seeds/), with the site boilerplate at the end."""
    parts = [title, *paragraphs]
    for name, titles in (("Related articles", related), ("Blogs", blogs), ("More information", more)):
        if titles:
            parts += [name, *titles]
    parts += ["More from Community Care", "Comments are closed."]
    return "\n\n".join(parts)


WriteArticle = Callable[..., Path]


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    folder = tmp_path / "archive"
    folder.mkdir()
    return folder


@pytest.fixture
def write(archive: Path) -> WriteArticle:
    """write(name, title, paragraphs=..., related=..., blogs=..., more=...) -> path of the new file."""

    def _write(name: str, title: str, *args: object, **kwargs: object) -> Path:
        path = archive / (name if name.endswith(".txt") else f"{name}.txt")
        path.write_text(article_text(title, *args, **kwargs), encoding="utf-8")  # type: ignore[arg-type]
        return path

    return _write


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    return tmp_path / "index"


@pytest.fixture
def make_index(archive: Path, index_dir: Path) -> Callable[[], ArchiveIndex]:
    """Refresh and return the index of the `archive` fixture."""

    def _make() -> ArchiveIndex:
        index = ArchiveIndex(archive, index_dir)
        index.refresh()
        return index

    return _make


def tree_snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file below `folder` with its bytes and mode: to prove nothing was changed."""
    return {
        str(path.relative_to(folder)): (path.read_bytes(), path.stat().st_mode)
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }
