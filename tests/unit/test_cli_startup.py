"""What `reader search WORD` loads at start (issue 12 item 6: a command imports only what it
needs): run in a fresh process, it answers as before without the modules the search path never
uses; Whoosh's lean import leaves no stand-in behind; the command is found without building every
command's parser."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from reader.cli.main import build_parser, command_named, plain_search
from reader.core import config as config_module
from reader.engines.whoosh.index import ArchiveIndex

# Never needed to answer a search: the other face, the other engine, what builds or links.
NEVER = (
    "textual", "reader.tui", "psycopg", "reader.engines.postgres",
    "reader.engines.whoosh.backlinks", "reader.engines.whoosh.similar", "reader.engines.whoosh.collecting",
    "reader.engines.whoosh.fast.spelling", "reader.engines.whoosh.parallel", "multiprocessing", "rapidfuzz",
    # Imported by Whoosh as it loads, used by nothing a search runs (patches.import_lean).
    "asyncio", "cached_property", "urllib.request", "http.client", "whoosh.lang.morph_en", "html", "calendar",
    "locale", "queue", "tempfile", "random",
    # OpenSSL: SHA-1, BLAKE2 and Whoosh's MD5 come from the interpreter's own modules.
    "hashlib", "_hashlib",
    # A plain search line is read without argparse (cli.main.plain_search), the config folder
    # found without platformdirs (on Linux), and no link is resolved (reader.core.links, difflib).
    "argparse", "gettext", "platformdirs", "reader.core.links", "difflib",
    # The writer (and with it shutil, bz2, lzma): a search that finds the index current writes nothing.
    "reader.engines.whoosh.writing", "whoosh.writing", "shutil", "bz2", "lzma",
)

_RUN = (
    "import json, sys\n"
    "from reader.__main__ import main\n"
    "code = main(sys.argv[2:])\n"
    "with open(sys.argv[1], 'w', encoding='utf-8') as out:\n"
    "    json.dump(sorted(sys.modules), out)\n"
    "sys.exit(code)\n"
)


@pytest.fixture
def built(archive: Path, index_dir: Path, write: Callable[..., Path]) -> tuple[Path, Path]:
    write("001_coal", "Coal mines close", ["The last coal mine of the valley closed."])
    write("002_tea", "Tea prices", ["Tea and coffee prices rose again."])
    ArchiveIndex(archive, index_dir).refresh()
    return archive, index_dir


def _search(tmp_path: Path, archive: Path, index_dir: Path, *words: str) -> tuple[str, set[str]]:
    modules = tmp_path / "modules.json"
    result = subprocess.run(
        [sys.executable, "-c", _RUN, str(modules), "--archive", str(archive), "--index", str(index_dir),
         "search", *words],
        capture_output=True, text=True, check=True,
        env={**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config")},
    )
    return result.stdout, set(json.loads(modules.read_text(encoding="utf-8")))


def test_a_plain_search_imports_only_what_it_uses(tmp_path: Path, built: tuple[Path, Path]) -> None:
    archive, index_dir = built
    output, modules = _search(tmp_path, archive, index_dir, "coal")
    assert output.splitlines()[0] == "1 match for coal"
    assert "Coal mines close" in output and "«coal»" in output
    assert "whoosh.searching" in modules  # it did search
    assert not {name for name in modules if name.split(".")[0] in NEVER or name in NEVER}
    # Piped, Rich would print the text as it is: it is written without importing Rich.
    assert not {name for name in modules if name == "rich" or name.startswith("rich.")}
    if sys.platform == "linux":  # where $XDG_CONFIG_HOME places the config file
        assert "tomllib" not in modules  # no config file there to read


def test_search_as_json_prints_without_rich(tmp_path: Path, built: tuple[Path, Path]) -> None:
    archive, index_dir = built
    output, modules = _search(tmp_path, archive, index_dir, "coal", "--json")
    assert [row["title"] for row in json.loads(output)] == ["Coal mines close"]
    assert not {name for name in modules if name == "rich" or name.startswith("rich.")}


def test_the_lean_import_leaves_the_real_modules_to_everyone_else() -> None:
    # In a fresh process: the stand-ins are gone once Whoosh is loaded, and what Whoosh took from
    # them behaves as the real thing (the cached property is computed once and kept).
    code = (
        "import sys\n"
        "from reader.engines.whoosh import patches\n"
        "assert patches.import_lean()\n"
        "lean = {'asyncio', 'cached_property', 'urllib.request', 'whoosh.lang.morph_en', 'html', 'hashlib', 'calendar',\n"
        "        'queue', 'tempfile', 'random'}\n"
        "assert not lean & set(sys.modules), lean & set(sys.modules)\n"
        "assert not patches.import_lean()  # once Whoosh is imported there is nothing to do\n"
        "import cached_property, urllib.request, html, hashlib, calendar, queue, tempfile, random\n"
        "assert hasattr(cached_property, 'threaded_cached_property') and hasattr(urllib.request, 'urlopen')\n"
        "assert all(hasattr(m, '__file__') for m in (html, hashlib, calendar, queue, tempfile, random))\n"
        "from whoosh import compat, util\n"
        "from whoosh.filedb import filestore, filetables\n"
        "from whoosh.util import times\n"
        "assert compat.htmlescape('<a & b>') == html.escape('<a & b>')\n"
        "assert filetables.md5(b'key').hexdigest() == hashlib.md5(b'key').hexdigest()\n"
        "assert filetables.md5_hash(b'key') == int(hashlib.md5(b'key').hexdigest(), 16) & 0xFFFFFFFF\n"
        "assert times.calendar.monthrange(2024, 2) == calendar.monthrange(2024, 2)\n"
        "assert compat.queue.Queue is queue.Queue and filestore.tempfile.gettempdir() == tempfile.gettempdir()\n"
        "assert len(util.random_name(12)) == 12\n"
        "from whoosh.query import terms\n"
        "from whoosh.lang.morph_en import variations\n"
        "assert terms.variations('running') == variations('running') and 'runs' in variations('running')\n"
        "from whoosh.reading import SegmentReader\n"
        "calls = []\n"
        "class Probe:\n"
        "    @SegmentReader.deleted_docs_set.__class__\n"
        "    def docs(self):\n"
        "        calls.append(1)\n"
        "        return frozenset({3})\n"
        "probe = Probe()\n"
        "assert probe.docs == frozenset({3}) and probe.docs == frozenset({3}) and calls == [1]\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)


def test_an_index_is_built_and_searched_after_the_lean_import(tmp_path: Path) -> None:
    # Building uses what the stand-ins forward (random segment names, temporary files): a
    # process that imported Whoosh lean builds, refreshes and searches as any other.
    archive = tmp_path / "archive"
    archive.mkdir()
    (archive / "001_coal.txt").write_text("Coal mines close\n\nThe last coal mine closed.\n", encoding="utf-8")
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from reader.engines.whoosh import patches\n"
        "assert patches.import_lean()\n"
        "from reader.engines.whoosh.index import ArchiveIndex\n"
        "archive, index = Path(sys.argv[1]), Path(sys.argv[2])\n"
        "ix = ArchiveIndex(archive, index)\n"
        "assert ix.refresh().indexed == 1\n"
        "(archive / '002_tea.txt').write_text('Tea prices\\n\\nTea prices rose.\\n', encoding='utf-8')\n"
        "assert ix.needs_refresh() and ix.refresh().indexed == 1\n"
        "assert [h.title for h in ix.search('coal').hits] == ['Coal mines close']\n"
        "assert ix.search('tea').total == 1\n"
    )
    subprocess.run([sys.executable, "-c", code, str(archive), str(tmp_path / "index")], check=True,
                   capture_output=True, text=True)


def test_a_short_command_freezes_the_collector_at_exit(tmp_path: Path, built: tuple[Path, Path]) -> None:
    # Its objects are frozen before the interpreter's exit passes over them (reader.__main__);
    # the collector is on again for the caller meanwhile.
    archive, index_dir = built
    code = (
        "import atexit, gc, sys\n"
        "from reader.__main__ import main\n"
        "assert main(sys.argv[1:]) == 0\n"
        "assert gc.isenabled() and gc.get_freeze_count() == 0\n"
        "atexit._run_exitfuncs()\n"
        "assert gc.get_freeze_count() > 0\n"
    )
    subprocess.run([sys.executable, "-c", code, "--archive", str(archive), "--index", str(index_dir), "search", "coal"],
                   check=True, capture_output=True, text=True, env={**os.environ, "XDG_CONFIG_HOME": str(tmp_path)})


def test_no_lean_import_while_another_thread_runs() -> None:
    # Another thread could import urllib.request meanwhile and get the stand-in: Whoosh then
    # imports as it always does.
    code = (
        "import sys, threading\n"
        "from reader.engines.whoosh import patches\n"
        "stop = threading.Event()\n"
        "worker = threading.Thread(target=stop.wait)\n"
        "worker.start()\n"
        "assert not patches.import_lean()\n"
        "stop.set()\n"
        "worker.join()\n"
        "assert 'whoosh' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)


@pytest.mark.parametrize(("argv", "command"), [
    (["search", "coal"], "search"),
    (["--archive", "search", "show", "coal"], "show"),  # an archive folder named like a command
    (["--arch", "index", "search", "coal"], "search"),  # argparse's abbreviation of --archive
    (["--archive=index", "links", "--dangling"], "links"),
    (["--index", "i", "--engine", "e", "--config", "c", "bookmarks"], "bookmarks"),
    (["--", "config"], "config"),
    (["--help"], None),
    (["bogus", "search"], None),
    ([], None),
])
def test_the_command_is_found_before_parsing(argv: list[str], command: str | None) -> None:
    assert command_named(argv) == command


@pytest.mark.parametrize(("argv", "quick"), [
    (["search", "coal"], True),
    (["--archive", "a", "--index", "b", "--engine", "e", "--config", "c", "search", "two", "words"], True),
    (["--archive", "search", "search", "show"], True),
    (["search", "coal", "--json"], True),
    (["search", "a", "b", "--limit", "3"], True),
    (["search", "a", "--limit", "3", "--json"], True),
    (["search", "a", "--json", "--limit", " 4"], True),
    (["search", "a", "--limit", "1_0"], True),  # int() reads it, as argparse's type does
    (["search", ""], True),
    (["--archive", "", "search", "é", "naïve"], True),
    # Left to argparse: abbreviations, `=`, repeats, options before the words, `--`, other commands.
    (["--arch", "x", "search", "a"], False),
    (["--archive=x", "search", "a"], False),
    (["search", "a", "--lim", "3"], False),
    (["search", "a", "--json", "--json"], False),
    (["--archive", "x", "--archive", "y", "search", "a"], False),
    (["search", "a", "--limit", "3", "--limit", "4"], False),
    (["search", "--json", "a"], False),
    (["search", "a", "--"], False),
    (["index"], False),
    (["show", "coal"], False),
    ([], False),
])
def test_a_plain_search_is_read_as_argparse_reads_it(argv: list[str], quick: bool) -> None:
    read = plain_search(argv)
    assert (read is not None) == quick
    if read is not None:
        assert vars(read) == vars(build_parser(command_named(argv)).parse_args(argv))


@pytest.mark.parametrize("argv", [
    ["search", "a", "--limit", "0"], ["search", "a", "--limit", "x"], ["search", "a", "--limit", "-3"], ["search", "-a"],
    ["search", "a", "--json", "b"], ["search"], ["--archive", "-x", "search", "a"], ["--archive"], ["--", "search", "a"],
])
def test_what_argparse_refuses_is_left_to_it(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert plain_search(argv) is None
    with pytest.raises(SystemExit):
        build_parser(command_named(argv)).parse_args(argv)


@pytest.mark.parametrize("env", [
    {"XDG_CONFIG_HOME": "/x/config", "HOME": "/home/u"}, {"XDG_CONFIG_HOME": "/x/config/", "HOME": "/home/u"},
    {"HOME": "/home/u"}, {"HOME": "/home/u/"}, {"XDG_CONFIG_HOME": "", "HOME": "/home/u"},
    {"XDG_CONFIG_HOME": "  ", "HOME": "/home/u"}, {"XDG_CONFIG_HOME": "relative", "HOME": "/home/u"},
    {"XDG_CONFIG_HOME": "relative"}, {"HOME": "relative"},
])
def test_the_config_folder_is_platformdirs_own(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    platformdirs = pytest.importorskip("platformdirs")
    for name in ("XDG_CONFIG_HOME", "HOME"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    try:
        expected = platformdirs.user_config_dir("reader", appauthor=False)
    except RuntimeError:  # a home platformdirs cannot make absolute: it raises, and so does reader
        with pytest.raises(RuntimeError):
            config_module._user_config_dir()
        return
    assert config_module._user_config_dir() == expected


@pytest.mark.parametrize("argv", [
    ["search", "coal", "--limit", "3", "--json"],
    ["--archive", "a", "--index", "b", "search", "two", "words"],
    ["--arch", "index", "show", "Coal mines close"],
    ["index", "--rebuild"],
    ["links", "--dangling"],
    ["bookmarks", "--json"],
    ["config"],
])
def test_one_commands_parser_reads_as_every_commands_parser(argv: list[str]) -> None:
    assert build_parser(command_named(argv)).parse_args(argv) == build_parser().parse_args(argv)
