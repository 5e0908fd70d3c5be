"""A small invented archive for the TUI tests: every kind of link, a list, headings, markup look-alikes."""

from __future__ import annotations

import os
from pathlib import Path

# Every file gets this time (2026-01-15 12:00 UTC): what the screens show of a file's date stays the
# same in every run (snapshots).
FILE_TIME = 1768478400

ARTICLES: dict[str, str] = {
    "001_bridge": """Harbour bridge reopens after repairs

The harbour bridge reopened to traffic this morning after six weeks of repairs to its deck.

Engineers said the bridge is now safe for lorries again, and the ferry will return to its usual timetable.

What was repaired

  • The deck joints were replaced along the whole span.
  • New lighting was fitted on both footpaths, which had been dark since the spring storms damaged the old cables.
  • The toll booths were repainted.

Reaction from the town

Shopkeepers on the quay welcomed the news. One said trade had halved while the bridge was shut.

Related articles

Ferry timetable changes for the winter

Harbour bridge closure: announced

Council budget vote

The lost lighthouse of Port Ellen

Blogs

Notes from the ferry
""",
    "002_ferry": """Ferry timetable changes for the winter

The ferry company has published its winter timetable. Crossings will run every forty minutes.

The harbour bridge works meant extra sailings this autumn.

Related articles

Harbour bridge reopens after repairs
""",
    "003_closure": """Harbour bridge closure announced

The harbour bridge will close for six weeks of repairs, the council said today. The ferry will add sailings.
""",
    "004_budget": """Council budget vote

Councillors voted on the budget for the coming year. The harbour bridge repairs took a large share.
""",
    "005_budget": """Council budget vote

A second report of the vote: the budget passed by two votes after a long debate about the bridge.
""",
    "006_notes": """Notes from the ferry

Crossing the water twice a day gives you time to think about bridges and boats.

Related articles

Harbour bridge reopens after repairs
""",
    "007_markup": """Markup [bold]look-alikes[/] in a title

This paragraph holds [link=https://example.com]not a link[/link] and [/] and [red]plain words[/red].

Related articles

[b]Bracketed[/b] story that is not here
""",
}


def write_archive(folder: Path) -> Path:
    """Write the articles into `folder` (created) and return it."""
    folder.mkdir(parents=True, exist_ok=True)
    for stem, text in ARTICLES.items():
        path = folder / f"{stem}.txt"
        path.write_text(text, encoding="utf-8")
        os.utime(path, (FILE_TIME, FILE_TIME))
    return folder
