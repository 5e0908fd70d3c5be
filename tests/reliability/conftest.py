"""Fixtures of the reliability tests, and the figures they report at the end of a run."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # `benchmarks` (archive generator, hostile query lists) is not installed
    sys.path.insert(0, str(REPO))

from reliability_support import FIGURES  # noqa: E402


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The issue's figures from this run: files tried and skipped, queries, kills, corruptions."""
    if not FIGURES:
        return
    terminalreporter.section("reliability figures")
    for name in sorted(FIGURES):
        terminalreporter.write_line(f"{name}: {FIGURES[name]:,}")


@pytest.fixture(scope="session")
def small_built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(archive, index folder): 200 generated articles, indexed once for the session. Tests that
    change either work on copies."""
    from benchmarks.gen_archive import generate

    from reader.engines.whoosh.index import ArchiveIndex

    root = tmp_path_factory.mktemp("reliability")
    archive = generate(root / "archive", 200, words=100)  # (its hidden .complete marker is ignored)
    index_dir = root / "index"
    ArchiveIndex(archive, index_dir).refresh()
    return archive, index_dir


@pytest.fixture
def copy(small_built: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path]:
    """(archive, index folder): private copies of `small_built`, for tests that change them."""
    archive, index_dir = small_built
    shutil.copytree(archive, tmp_path / "archive")
    shutil.copytree(index_dir, tmp_path / "index")
    return tmp_path / "archive", tmp_path / "index"
