"""Helpers shared by the test modules (a plain module: `conftest` names collide across folders)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

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



def tree_snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file below `folder` with its bytes and mode: to prove nothing was changed."""
    return {
        str(path.relative_to(folder)): (path.read_bytes(), path.stat().st_mode)
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }
