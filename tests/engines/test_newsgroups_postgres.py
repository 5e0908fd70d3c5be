"""The issue's check on a real archive: the 20 Newsgroups corpus indexed into PostgreSQL, and
`reader --engine URL --archive … links --json` resolving all 13,843 links exactly as the Whoosh
engine does (skipped where ../shared/corpora is absent)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import NEWSGROUPS

from reader.cli.main import main

pytestmark = [pytest.mark.corpus, pytest.mark.slow]


def test_every_newsgroups_link_resolves_as_with_whoosh(pg_url: str, newsgroups_index_dir: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--engine", pg_url, "--archive", str(NEWSGROUPS), "index", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["total"] == 9962
    assert main(["--engine", pg_url, "--archive", str(NEWSGROUPS), "links", "--json"]) == 0
    postgres = capsys.readouterr().out
    assert main(["--archive", str(NEWSGROUPS), "--index", str(newsgroups_index_dir), "links", "--json"]) == 0
    whoosh = capsys.readouterr().out
    assert len(json.loads(postgres)) == 13843
    assert postgres == whoosh
