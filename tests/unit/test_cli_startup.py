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

from reader.cli.main import build_parser, command_named
from reader.engines.whoosh.index import ArchiveIndex

# Never needed to answer a search: the other face, the other engine, what builds or links.
NEVER = (
    "textual", "reader.tui", "psycopg", "reader.engines.postgres",
    "reader.engines.whoosh.backlinks", "reader.engines.whoosh.similar", "reader.engines.whoosh.collecting",
    "reader.engines.whoosh.fast.spelling", "reader.engines.whoosh.parallel", "multiprocessing", "rapidfuzz",
    # Imported by Whoosh as it loads, used by nothing a search runs (patches.import_lean).
    "asyncio", "cached_property", "urllib.request", "http.client", "whoosh.lang.morph_en",
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
        "assert not {'asyncio', 'cached_property', 'urllib.request', 'whoosh.lang.morph_en'} & set(sys.modules)\n"
        "assert not patches.import_lean()  # once Whoosh is imported there is nothing to do\n"
        "import cached_property, urllib.request\n"
        "assert hasattr(cached_property, 'threaded_cached_property') and hasattr(urllib.request, 'urlopen')\n"
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
