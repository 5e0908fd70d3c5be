"""The `reader` command as a user runs it: the installed entry point, its output and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from support import SEED_ID, SEEDS, tree_snapshot

READER = Path(sys.executable).parent / "reader"


def run(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    if not READER.exists():
        pytest.fail(f"the reader command is not installed beside {sys.executable}: pip install -e .")
    return subprocess.run(
        [str(READER), *args], capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})}
    )


@pytest.fixture
def seeds_env(tmp_path: Path) -> dict[str, str]:
    """The bundled archive, with its index kept in a temporary folder."""
    return {"READER_INDEX": str(tmp_path / "index"), "READER_ARCHIVE": ""}


def test_search_finds_the_seed(seeds_env: dict[str, str]) -> None:
    result = run("search", "Haringey", env=seeds_env)
    assert result.returncode == 0, result.stderr
    assert "Baby P: Ed Balls orders inspection of safeguarding in Haringey" in result.stdout
    assert SEED_ID in result.stdout
    assert "«Haringey»" in result.stdout  # hits marked in plain (piped) output
    assert "\x1b" not in result.stdout


def test_search_json(seeds_env: dict[str, str]) -> None:
    rows = json.loads(run("search", "safeguarding", "--json", env=seeds_env).stdout)
    assert [row["id"] for row in rows] == [SEED_ID]
    row = rows[0]
    assert set(row) >= {"id", "title", "score", "snippet", "highlights"}
    assert row["score"] > 0
    assert all(row["snippet"][a:b].lower().startswith("safeguard") for a, b in row["highlights"])


def test_show_json_lists_seven_dangling_links(seeds_env: dict[str, str]) -> None:
    result = run("show", SEED_ID, "--json", env=seeds_env)
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["id"] == SEED_ID
    assert shown["title"].startswith("Baby P: Ed Balls")
    assert [link["section"] for link in shown["links"]] == ["Related articles"] * 4 + ["Blogs"] * 2 + ["More information"]
    assert all(link["targets"] == [] and link["approximate"] is False for link in shown["links"])
    assert shown["links"][0]["text"] == "Baby P: Poor practice caused protection failures"
    assert shown["backlinks"] == []
    assert [block["kind"] for block in shown["blocks"]].count("heading") == 5


def test_show_by_title_and_plain_text(seeds_env: dict[str, str]) -> None:
    result = run("show", "baby p: ed balls orders inspection of safeguarding in haringey", env=seeds_env)
    assert result.returncode == 0
    assert "Related articles" in result.stdout and "dangling" in result.stdout
    assert "  • There was inappropriate use of family friends" in result.stdout


def test_links_report(seeds_env: dict[str, str]) -> None:
    rows = json.loads(run("links", "--json", env=seeds_env).stdout)
    assert len(rows) == 7
    assert set(rows[0]) >= {"source", "section", "text", "targets", "approximate"}
    assert json.loads(run("links", "--dangling", "--json", env=seeds_env).stdout) == rows
    plain = run("links", env=seeds_env).stdout
    assert "7 links in the archive: 0 resolve (0 of them approximately), 7 dangle" in plain
    # Listing only the dangling links still counts every link (issue 14: it read as if none resolved).
    dangling = run("links", "--dangling", env=seeds_env).stdout
    assert "7 links in the archive: 0 resolve" in dangling and "the 7 dangling ones are listed above" in dangling


def test_index_command_is_incremental(tmp_path: Path, seeds_env: dict[str, str]) -> None:
    archive = tmp_path / "arch"
    archive.mkdir()
    (archive / "001_a.txt").write_text("First\n\nBody one.")
    first = run("--archive", str(archive), "index", env=seeds_env)
    assert first.returncode == 0 and "1 indexed" in first.stdout
    (archive / "002_b.txt").write_text("Second\n\nBody two.")
    (archive / "003_c.txt").write_bytes(b"")
    second = json.loads(run("--archive", str(archive), "index", "--json", env=seeds_env).stdout)
    assert (second["indexed"], second["unchanged"], second["removed"]) == (1, 1, 0)
    assert second["skipped"] == {"003_c.txt": "empty file"}
    rebuilt = run("--archive", str(archive), "index", "--rebuild", env=seeds_env)
    assert "rebuilt" in rebuilt.stdout and "skipped 003_c.txt: empty file" in rebuilt.stdout


@pytest.mark.parametrize(
    ("args", "message", "code"),
    [
        (("--archive", "/nonexistent/archive", "search", "x"), "archive folder not found: /nonexistent/archive", 2),
        (("search", '"unclosed'), "bad query: unclosed quote", 2),
        (("search", "(a"), "bad query: unbalanced parentheses", 2),
        (("show", "no-such-article"), "no article with id or title 'no-such-article'", 1),
        (("search", "x", "--limit", "0"), "must be at least 1", 2),
    ],
    ids=["missing-archive", "quote", "paren", "unknown-article", "bad-limit"],
)
def test_user_errors_are_one_line_and_non_zero(seeds_env: dict[str, str], args, message: str, code: int) -> None:
    result = run(*args, env=seeds_env)
    assert result.returncode == code
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    if code != 2 or "--limit" not in args:  # argparse prints its usage line first
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_archive_that_is_a_file(tmp_path: Path, seeds_env: dict[str, str]) -> None:
    result = run("--archive", str(SEEDS / f"{SEED_ID}.txt"), "index", env=seeds_env)
    assert result.returncode == 2 and "archive is not a folder" in result.stderr


@pytest.mark.parametrize("command", [[], ["index"], ["search"], ["show"], ["links"]])
def test_help_everywhere(command: list[str]) -> None:
    result = run(*command, "--help")
    assert result.returncode == 0 and result.stdout.startswith("usage: reader")


def test_did_you_mean(seeds_env: dict[str, str]) -> None:
    result = run("search", "haringy", env=seeds_env)
    assert result.returncode == 0
    assert "Did you mean: haringey" in result.stderr


def test_archive_from_environment(tmp_path: Path, seeds_env: dict[str, str]) -> None:
    archive = tmp_path / "env-archive"
    archive.mkdir()
    (archive / "001_a.txt").write_text("Walrus watching\n\nTusks everywhere.")
    result = run("search", "walrus", env={**seeds_env, "READER_ARCHIVE": str(archive)})
    assert "Walrus watching" in result.stdout


def test_reading_never_changes_the_archive(tmp_path: Path, seeds_env: dict[str, str]) -> None:
    before = tree_snapshot(SEEDS)
    run("index", "--rebuild", env=seeds_env)
    run("show", SEED_ID, env=seeds_env)
    assert tree_snapshot(SEEDS) == before
    assert not any(p.name != ".gitkeep" and p.suffix != ".txt" for p in SEEDS.iterdir())


def test_default_index_of_the_bundled_archive_is_the_checkout_index_folder() -> None:
    code = "from reader.core import paths; print(paths.default_index(paths.bundled_archive()))"
    env = {k: v for k, v in os.environ.items() if k not in ("READER_INDEX", "READER_ARCHIVE")}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert Path(result.stdout.strip()) == SEEDS.parent / "index"


def test_index_of_another_archive_is_outside_it(tmp_path: Path) -> None:
    code = f"from reader.core import paths; from pathlib import Path; print(paths.default_index(Path({str(tmp_path)!r})))"
    env = {k: v for k, v in os.environ.items() if k != "READER_INDEX"}
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert Path(result.stdout.strip()).parent == tmp_path / "cache" / "reader"


def test_index_inside_the_archive_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "arch"
    archive.mkdir()
    (archive / "001_a.txt").write_text("First\n\nBody one.")
    result = run("--archive", str(archive), "--index", str(archive / "idx"), "index")
    assert result.returncode == 2 and "is inside the archive" in result.stderr
    assert [p.name for p in archive.iterdir()] == ["001_a.txt"]


def test_index_with_nothing_changed_answers_without_whoosh(tmp_path: Path) -> None:
    """The quick path (reader.engines.whoosh.freshness) reports what the full refresh would, and a change still
    reaches the full refresh."""
    archive = tmp_path / "archive"
    archive.mkdir()
    for name in os.listdir(SEEDS):
        (archive / name).write_bytes((SEEDS / name).read_bytes())
    (archive / "900_empty.txt").write_bytes(b"")
    env = {"READER_INDEX": str(tmp_path / "index"), "READER_ARCHIVE": str(archive)}
    first = json.loads(run("index", "--json", env=env).stdout)
    assert first["rebuilt"] and first["total"] == 1 and list(first["skipped"]) == ["900_empty.txt"]
    code = (
        "import json, sys\n"
        "from reader.cli.main import main\n"
        "status = main(['index', '--json'])\n"
        "print(json.dumps({'status': status, 'whoosh': 'whoosh' in sys.modules}), file=sys.stderr)\n"
    )
    quiet = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                           env={**os.environ, **env})
    summary = json.loads(quiet.stdout)
    assert json.loads(quiet.stderr.strip().splitlines()[-1]) == {"status": 0, "whoosh": False}
    assert (summary["indexed"], summary["unchanged"], summary["removed"], summary["total"]) == (0, 1, 0, 1)
    assert list(summary["skipped"]) == ["900_empty.txt"] and not summary["rebuilt"]
    (archive / "901_new.txt").write_text("A new story\n\nIt was added after the first index.\n", encoding="utf-8")
    changed = json.loads(run("index", "--json", env=env).stdout)
    assert (changed["indexed"], changed["unchanged"], changed["total"]) == (1, 1, 2)
