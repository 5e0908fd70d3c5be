"""Corruption: a truncated, emptied or deleted index file is noticed, said in one clear line, and
the index rebuilt (or its record repaired), never a traceback; results are as before."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from reader.cli import main as cli
from reader.engines.whoosh.freshness import DAMAGED
from reader.engines.whoosh.index import ArchiveIndex
from reader.engines.whoosh.store import IndexStore
from reliability_support import check_index, expected_articles, record, run_reader

# Words of the generated archive's first titles (found in every run: the generator is seeded).
WORDS = "blupaftzo OR pesp OR boamp"
QUERY = ["search", "--limit", "5", WORDS]


@pytest.fixture(scope="module")
def tiny_built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A 40-article archive and its index (every damage case rebuilds it: it must be quick)."""
    from benchmarks.gen_archive import generate

    root = tmp_path_factory.mktemp("corruption")
    archive = generate(root / "archive", 40, words=80)
    index_dir = root / "index"
    ArchiveIndex(archive, index_dir).refresh()
    titles = " ".join(expected_articles(archive).values()).lower()
    assert all(word in titles for word in WORDS.split(" OR ")), "the generator changed: pick other words"
    return archive, index_dir


def _generation_files(index_dir: Path) -> list[str]:
    folder = IndexStore(index_dir).current()
    assert folder is not None
    return sorted(p.name for p in folder.iterdir() if p.name != "MAIN_WRITELOCK")


def _truncate(path: Path) -> None:
    size = path.stat().st_size
    with open(path, "r+b") as stream:
        stream.truncate(size // 2)


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _delete(path: Path) -> None:
    path.unlink()


DAMAGE: dict[str, Callable[[Path], None]] = {"truncated": _truncate, "emptied": _empty, "deleted": _delete}


def _cases() -> list[tuple[str, str]]:
    # The file names of a generation are only known once built: name them by kind here, and
    # resolve them against the built index in the test (see _pick).
    kinds = [".toc", ".trm", ".pst", "_stored.col", "_title_len.col", "_body_len.col", "manifest.json", "reader-schema"]
    return [(kind, damage) for kind in kinds for damage in DAMAGE]


def _pick(files: list[str], kind: str) -> str:
    found = [name for name in files if name.endswith(kind)]
    assert found, f"no {kind} file in {files}"
    return found[0]


def _search(archive: Path, index_dir: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(["--archive", str(archive), "--index", str(index_dir), *QUERY])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("kind, damage", _cases(), ids=[f"{k}-{d}" for k, d in _cases()])
def test_damaged_index_file(
    tiny_built: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str, damage: str
) -> None:
    archive, built = tiny_built
    index_dir = tmp_path / "index"
    shutil.copytree(built, index_dir)
    code, before, _ = _search(archive, index_dir, capsys)
    assert code == 0

    name = _pick(_generation_files(index_dir), kind)
    DAMAGE[damage](IndexStore(index_dir).current() / name)  # type: ignore[operator]
    record("corruption: damaged index files tried")

    reason = ArchiveIndex(archive, index_dir).needs_refresh()
    assert reason.startswith(DAMAGED), reason
    code, after, err = _search(archive, index_dir, capsys)
    assert code == 0, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"reader: {DAMAGED} ("), err
    assert lines[0].endswith(("rebuilt it", "repaired it"))
    if kind not in ("manifest.json",):
        assert name in lines[0] or "reader-schema" in lines[0], lines[0]  # names the file
    assert "Traceback" not in err
    assert after == before and "000000_" in before  # the same hits as before the damage
    record("corruption: detected with a clear message")
    check_index(archive, index_dir)
    assert not ArchiveIndex(archive, index_dir).needs_refresh()
    record("corruption: index rebuilt or repaired, results as before")


@pytest.mark.parametrize(
    "damage",
    ["CURRENT emptied", "CURRENT garbage", "CURRENT names a missing generation", "CURRENT deleted", "generation deleted"],
)
def test_damaged_pointer(
    tiny_built: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], damage: str
) -> None:
    archive, built = tiny_built
    index_dir = tmp_path / "index"
    shutil.copytree(built, index_dir)
    _, before, _ = _search(archive, index_dir, capsys)
    current = index_dir / "CURRENT"
    if damage == "CURRENT emptied":
        current.write_bytes(b"")
    elif damage == "CURRENT garbage":
        current.write_bytes(b"\x00\xff/../../etc\n")
    elif damage == "CURRENT names a missing generation":
        current.write_text("g-1")
    elif damage == "CURRENT deleted":
        current.unlink()
    else:
        shutil.rmtree(IndexStore(index_dir).current())  # type: ignore[arg-type]
    record("corruption: damaged index files tried")
    code, after, err = _search(archive, index_dir, capsys)
    assert code == 0, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"reader: {DAMAGED} (") and "CURRENT" in lines[0], err
    assert after == before
    record("corruption: detected with a clear message")
    check_index(archive, index_dir)
    record("corruption: index rebuilt or repaired, results as before")


def test_reader_index_names_the_damage(tiny_built: tuple[Path, Path], tmp_path: Path) -> None:
    """`reader index` on a damaged index: rebuilt, and its summary line says why."""
    archive, built = tiny_built
    index_dir = tmp_path / "index"
    shutil.copytree(built, index_dir)
    name = _pick(_generation_files(index_dir), ".pst")
    _truncate(IndexStore(index_dir).current() / name)  # type: ignore[operator]
    result = run_reader("--archive", str(archive), "--index", str(index_dir), "index")
    assert result.returncode == 0 and b"Traceback" not in result.stderr
    first = result.stdout.decode().splitlines()[0]
    assert first.startswith(f"Index rebuilt ({DAMAGED} ({name} has "), first
    check_index(archive, index_dir)


def test_unreadable_index_is_rebuilt_by_the_command(tiny_built: tuple[Path, Path], tmp_path: Path) -> None:
    """Damage that sizes do not show (garbage in the table of contents, same length): Whoosh fails
    to open it; the command says so in one line, rebuilds, and answers."""
    archive, built = tiny_built
    index_dir = tmp_path / "index"
    shutil.copytree(built, index_dir)
    toc = IndexStore(index_dir).current() / _pick(_generation_files(index_dir), ".toc")  # type: ignore[operator]
    toc.write_bytes(b"\x00" * toc.stat().st_size)
    result = run_reader("--archive", str(archive), "--index", str(index_dir), *QUERY)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and "cannot be read" in lines[0] and lines[0].endswith("rebuilding it"), lines
    assert b"Traceback" not in result.stderr
    check_index(archive, index_dir)
    record("corruption: damaged index files tried")
    record("corruption: detected with a clear message")
    record("corruption: index rebuilt or repaired, results as before")


async def test_tui_rebuilds_a_damaged_index(tiny_built: tuple[Path, Path], tmp_path: Path) -> None:
    """The TUI on a damaged index: no crash, it rebuilds, and search answers from the new index."""
    from textual.widgets import Input

    from reader.tui.app import ReaderApp
    from pilot_helpers import wait_until

    archive, built = tiny_built
    index_dir = tmp_path / "index"
    shutil.copytree(built, index_dir)
    _empty(IndexStore(index_dir).current() / _pick(_generation_files(index_dir), ".trm"))  # type: ignore[operator]
    app = ReaderApp(ArchiveIndex(archive, index_dir), [])
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.index_state.phase == "ready", what="the rebuilt index")
        app.screen.query_one("#query", Input).value = WORDS + " "  # the space: no word being typed
        screen = app.screen
        await wait_until(pilot, lambda: screen.shown_query == WORDS + " ")
        assert screen._page is not None and screen._page.hits and not screen._page.error
    check_index(archive, index_dir)
    record("corruption: damaged index files tried")
    record("corruption: detected with a clear message")
    record("corruption: index rebuilt or repaired, results as before")
