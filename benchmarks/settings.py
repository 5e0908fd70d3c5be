"""What every section of the benchmark shares: where things are, the rows and targets a run
writes, its settings, an archive's figures (`Result`), and the small helpers for timed commands."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.measure import summary

REPO = Path(__file__).resolve().parents[1]
CORPORA = REPO.parent / "shared" / "corpora"
RESULTS = REPO / "benchmarks" / "results"
BENCH_VERSION = 1  # bump when what is measured changes, so cached build figures are measured again

# What the TUI asks for, when its modules cannot be imported (they are read from it otherwise).
DEFAULT_PAGE_SIZE = 50
DEFAULT_FIRST_SNIPPETS = 12
DEFAULT_MORE_LIKE_THIS = 8
LAYOUT_WIDTH = 100  # columns the article body is laid out in

# Every row a run writes for each archive (the smoke test checks them all).
ROW_KEYS = (
    "build.reader", "build.floor", "build.fts5",
    "refresh.unchanged", "refresh.changed10", "refresh.touched_all",
    "open_index", "open_typeahead", "typeahead.reader", "typeahead.fts5", "typeahead.rg", "typeahead.reader_rg_sample",
    "phrase.reader", "phrase.fts5", "boolean.reader", "boolean.fts5", "fuzzy.reader", "field.reader",
    "didyoumean.reader",
    "open.read", "open.layout", "open.resolve_links", "open.backlinks", "open.more_like_this", "open.total",
    "start.python", "start.tui_first_paint", "start.search_command", "start.rg_word",
    "tui.session", "memory.query_process",
    "live.first_results", "live.file_searchable",
)
TARGET_KEYS = (
    "typeahead_p95", "phrase_p95", "boolean_p95", "field_p95", "fuzzy_p95", "didyoumean_p95",
    "search_command", "search_command_vs_rg", "typeahead_vs_rg",
    "first_results", "file_searchable", "refresh_unchanged", "refresh_changed10", "build_vs_floor",
    "cold_start", "open_p95", "tui_peak_rss",
)


@dataclass
class Settings:
    quick: bool
    work: Path
    rows: int
    page: int
    queries: int
    sequences: int
    rg_sample: int
    opens: int
    starts: int
    refresh_rounds: int
    fresh_build: bool
    sections: set[str]
    class_seconds: float = 180.0
    """Time allowed to one class of queries (fuzzy ones can take seconds each at 100k)."""
    keep_build: bool = False
    python: str = sys.executable


@dataclass
class ArchiveSpec:
    name: str
    kind: str  # "synthetic" or "corpus"
    path: Path
    size: int | None = None  # synthetic only


@dataclass
class Result:
    """The figures of one archive."""

    spec: ArchiveSpec
    articles: int = 0
    rows: dict[str, dict[str, object]] = field(default_factory=dict)
    targets: dict[str, dict[str, object]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    note_sections: dict[str, str] = field(default_factory=dict)
    """The section that wrote each note: a --merge run drops the notes of the sections it measures again."""

    def note(self, section: str, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)
        self.note_sections[text] = section

    def row(self, key: str, label: str, **values: object) -> dict[str, object]:
        row: dict[str, object] = {"label": label, **values}
        self.rows[key] = row
        return row

    def missing(self, key: str, label: str, reason: str) -> None:
        self.rows[key] = {"label": label, "n": 0, "unavailable": reason}

    def as_json(self) -> dict[str, object]:
        return {
            "kind": self.spec.kind,
            "path": str(self.spec.path),
            "articles": self.articles,
            "rows": self.rows,
            "targets": self.targets,
            "notes": self.notes,
            "note_sections": self.note_sections,
        }


# --- helpers --------------------------------------------------------------------------------------


def parse_size(text: str) -> int:
    text = text.strip().lower()
    factor = 1
    if text.endswith("k"):
        factor, text = 1000, text[:-1]
    elif text.endswith("m"):
        factor, text = 1_000_000, text[:-1]
    return int(float(text) * factor)


def size_name(count: int) -> str:
    if count >= 1000 and count % 1000 == 0:
        return f"{count // 1000}k"
    return str(count)


def ms_summary(seconds: Sequence[float], cpu: Sequence[float] | None = None) -> dict[str, object]:
    """Median, p95, mean and max in ms of wall times, and of CPU times when given."""
    s = summary(seconds)
    row: dict[str, object] = {"n": s["n"], "median_ms": s["median"] * 1000, "p95_ms": s["p95"] * 1000,
                              "mean_ms": s["mean"] * 1000, "max_ms": s["max"] * 1000}
    if cpu:
        c = summary(cpu)
        row.update({"cpu_median_ms": c["median"] * 1000, "cpu_p95_ms": c["p95"] * 1000})
    return row


def reader_cmd(settings: Settings, archive: Path, index_dir: Path, *args: str) -> list[str]:
    return [settings.python, "-m", "reader", "--archive", str(archive), "--index", str(index_dir), *args]


def clean_env() -> dict[str, str]:
    """The environment for timed commands: no archive or index override, and Python allowed to
    keep compiled bytecode (an installed package has it; some shells here turn it off, which
    made every start compile reader's source again)."""
    env = dict(os.environ)
    for name in ("READER_ARCHIVE", "READER_INDEX", "PYTHONDONTWRITEBYTECODE"):
        env.pop(name, None)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)
