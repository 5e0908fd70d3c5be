"""The benchmark's report: each archive's figures judged against the issues' targets, shown as
tables in the terminal and written to latest.json and latest.md."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

from benchmarks.settings import ROW_KEYS, TARGET_KEYS, ArchiveSpec, Result

# --- targets --------------------------------------------------------------------------------------


def judge(result: Result) -> None:
    """The issue's targets (set for 100k synthetic articles on a 2-core machine)."""
    rows = result.rows

    def get(key: str, name: str) -> float | None:
        value = rows.get(key, {}).get(name)
        return float(value) if isinstance(value, (int, float)) and not math.isnan(value) else None

    def target(key: str, label: str, value: float | None, limit: float, unit: str, ratio: float | None = None,
               higher_is_better: bool = False, detail: str = "") -> None:
        if value is None:
            result.targets[key] = {"label": label, "limit": limit, "unit": unit, "value": None, "met": None,
                                   "detail": detail or "not measured"}
            return
        met = value >= limit if higher_is_better else value <= limit
        result.targets[key] = {"label": label, "limit": limit, "unit": unit, "value": value, "ratio": ratio,
                               "met": met, "detail": detail}

    def cpu_detail(key: str, name: str = "cpu_median_ms", ms: bool = False) -> str:
        value = get(key, name)
        if not value:
            return ""
        return f"CPU {value:.0f} ms" if ms else f"CPU {value / 1000:.2f} s"

    def p95_target(key: str, row: str, label: str, limit: float) -> None:
        cpu = get(row, "cpu_p95_ms")
        target(key, label, get(row, "p95_ms"), limit, "ms", detail=f"CPU p95 {cpu:.1f} ms" if cpu else "")

    # Issue 12: every query class fast, snippets for the visible rows included.
    p95_target("typeahead_p95", "typeahead.reader", "type-ahead p95, snippets included", 15)
    p95_target("phrase_p95", "phrase.reader", "phrase p95", 50)
    p95_target("boolean_p95", "boolean.reader", "boolean (AND, OR, NOT) p95", 50)
    p95_target("field_p95", "field.reader", "field (title:) p95", 50)
    p95_target("fuzzy_p95", "fuzzy.reader", "fuzzy (word~, word~2) p95", 100)
    p95_target("didyoumean_p95", "didyoumean.reader", "did you mean p95", 100)
    search, grep = get("start.search_command", "median_ms"), get("start.rg_word", "median_ms")
    target("search_command", "reader search WORD end to end (median; the limit is set for 10k)",
           search, 150, "ms", detail=cpu_detail("start.search_command", ms=True))
    target("search_command_vs_rg", "reader search WORD vs rg -i -l WORD (medians; faster at 100k)",
           grep / search if search and grep else None, 1, "x faster", higher_is_better=True,
           detail=f"rg {grep:.0f} ms, reader {search:.0f} ms" if search and grep else "")
    rg, ours = get("typeahead.rg", "median_ms"), get("typeahead.reader_rg_sample", "median_ms")
    target("typeahead_vs_rg", "type-ahead median vs rg -i -l, same searches", rg / ours if rg and ours else None,
           20, "x faster", higher_is_better=True,
           detail=f"rg {rg:.0f} ms, reader {ours:.1f} ms" if rg and ours else "")
    build, floor = get("build.reader", "seconds"), get("build.floor", "seconds")
    build_cpu, floor_cpu = get("build.reader", "cpu_seconds"), get("build.floor", "cpu_seconds")
    detail = f"reader {build:.1f} s, floor {floor:.1f} s" if build and floor else ""
    if build_cpu and floor_cpu:
        detail += f"; CPU {build_cpu:.0f} s vs {floor_cpu:.0f} s = {build_cpu / floor_cpu:.2f}x"
    target("build_vs_floor", "full build vs bare-Whoosh floor (no slower)", build / floor if build and floor else None,
           1.0, "x floor", detail=detail)
    # Issue 13: searchable in seconds, live while reader runs.
    target("first_results", "fresh archive: launch to first results (median)",
           _seconds(get("live.first_results", "median_ms")), 3.0, "s", detail=cpu_detail("live.first_results"))
    target("file_searchable", "file written to searchable in a running reader (median)",
           _seconds(get("live.file_searchable", "median_ms")), 2.0, "s")

    target("refresh_unchanged", "refresh, nothing changed (median)", _seconds(get("refresh.unchanged", "median_ms")),
           0.5, "s", detail=cpu_detail("refresh.unchanged"))
    target("refresh_changed10", "refresh, 10 files changed (median)", _seconds(get("refresh.changed10", "median_ms")),
           2.0, "s", detail=cpu_detail("refresh.changed10"))
    target("cold_start", "cold start to first paint (median)", _seconds(get("start.tui_first_paint", "median_ms")),
           0.6, "s", detail=cpu_detail("start.tui_first_paint"))
    open_cpu = get("open.total", "cpu_p95_ms")
    target("open_p95", "open an article with links, backlinks, more like this (p95)", get("open.total", "p95_ms"),
           30, "ms", detail=f"CPU p95 {open_cpu:.1f} ms" if open_cpu else "")
    target("tui_peak_rss", "TUI session peak memory", get("tui.session", "peak_rss_mb"), 300, "MB")


def _seconds(ms: float | None) -> float | None:
    return None if ms is None else ms / 1000


# --- output ---------------------------------------------------------------------------------------


def _fmt_ms(value: object) -> str:
    if not isinstance(value, (int, float)) or math.isnan(value):
        return "—"
    if value >= 10_000:
        return f"{value / 1000:,.1f} s"
    if value >= 100:
        return f"{value:,.0f} ms"
    if value >= 10:
        return f"{value:.1f} ms"
    return f"{value:.2f} ms"


def _row_cells(row: dict[str, object]) -> tuple[str, str, str, str, str]:
    """(n, median, p95, CPU median / p95, other figures) of a row, as text."""
    if "unavailable" in row:
        return "0", "n/a", "n/a", "", str(row["unavailable"])
    extra: list[str] = []
    cpu = ""
    if "seconds" in row and "median_ms" not in row:
        median = f"{row['seconds']:,.1f} s"
        p95 = ""
        if isinstance(row.get("cpu_seconds"), (int, float)):
            cpu = f"{row['cpu_seconds']:,.0f} s"
    else:
        median, p95 = _fmt_ms(row.get("median_ms")), _fmt_ms(row.get("p95_ms"))
        if "cpu_median_ms" in row:
            cpu = f"{_fmt_ms(row.get('cpu_median_ms'))} / {_fmt_ms(row.get('cpu_p95_ms'))}"
    for name, fmt in (("docs_per_s", "{:,.0f} docs/s"), ("peak_rss_mb", "peak RSS {:,.0f} MB"),
                      ("peak_rss_writers_mb", "writers {:,.0f} MB"), ("documents_in_memory_mb", "documents held {:,.0f} MB"),
                      ("maxrss_mb", "largest process {:,.0f} MB"),
                      ("index_mb", "index {:,.0f} MB"), ("rss_mb", "{:,.0f} MB"), ("empty_share", "{:.0%} with no hit")):
        value = row.get(name)
        if isinstance(value, (int, float)):
            extra.append(fmt.format(value))
    if "settings" in row and isinstance(row["settings"], dict):
        extra.append(", ".join(f"{k}={v}" for k, v in row["settings"].items()))
    if row.get("cached_from"):
        extra.append(f"measured {row['cached_from']}")
    return str(row.get("n", "")), median, p95, cpu, "; ".join(extra)


def _target_cells(t: dict[str, object]) -> tuple[str, str, str, str]:
    value, unit = t.get("value"), str(t["unit"])
    if value is None:
        shown = "—"
    elif unit in ("ms",):
        shown = f"{value:.1f} ms"
    elif unit == "s":
        shown = f"{value:.2f} s"
    elif unit == "MB":
        shown = f"{value:.0f} MB"
    else:
        shown = f"{value:.2f}{unit[0]}" + unit[1:]
    limit = f"{'≥' if unit == 'x faster' else '≤'} {t['limit']:g} {unit}"
    status = "not measured" if t.get("met") is None else ("met" if t["met"] else "NOT MET")
    return limit, shown, status, str(t.get("detail") or "")


def print_tables(results: Sequence[Result], meta: dict[str, object]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(stderr=False, highlight=False)
    for result in results:
        table = Table(title=f"{result.spec.name}: {result.articles:,} articles", title_justify="left")
        for name, justify in (("measure", "left"), ("n", "right"), ("median", "right"), ("p95", "right"),
                              ("CPU median / p95", "right"), ("also", "left")):
            table.add_column(name, justify=justify)  # type: ignore[arg-type]
        for key in ROW_KEYS:
            if key in result.rows:
                row = result.rows[key]
                table.add_row(str(row["label"]), *_row_cells(row))
        console.print(table)
        targets = Table(title=f"{result.spec.name}: targets (set for 100k synthetic articles)", title_justify="left")
        for name in ("target", "limit", "measured", "status", "detail"):
            targets.add_column(name)
        for key in TARGET_KEYS:
            if key in result.targets:
                t = result.targets[key]
                limit, shown, status, detail = _target_cells(t)
                style = "green" if t.get("met") else ("red" if t.get("met") is False else "yellow")
                targets.add_row(str(t["label"]), limit, shown, f"[{style}]{status}[/]", detail)
        console.print(targets)
        for note in result.notes:
            console.print(f"note: {note}")
    console.print(f"machine: {_machine_line(meta)}")


def _machine_line(meta: dict[str, object]) -> str:
    m = meta["machine"]  # type: ignore[index]
    return (f"{m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB, {m['os']}, Python {m['python']}, "  # type: ignore[index]
            f"load average at start {m['load_average_at_start']}")  # type: ignore[index]


def markdown(results: Sequence[Result], meta: dict[str, object]) -> str:
    lines = [f"Measured {meta['date']} with `{meta['command']}` on {_machine_line(meta)}."]
    for earlier in meta.get("merged_from", []) or []:  # type: ignore[union-attr]
        lines.append(f"Rows not measured by it come from `{earlier['command']}` ({earlier['date']}, load average "
                     f"at start {earlier['load_average_at_start']}).")
    lines.append("")
    for result in results:
        lines += [f"### {result.spec.name} ({result.articles:,} articles)", "",
                  "| measure | n | median | p95 | CPU median / p95 | also |", "|---|---:|---:|---:|---:|---|"]
        for key in ROW_KEYS:
            if key in result.rows:
                row = result.rows[key]
                lines.append("| " + " | ".join([str(row["label"]), *_row_cells(row)]).replace("\n", " ") + " |")
        lines += ["", "| target (set for 100k) | limit | measured | status | detail |", "|---|---|---:|---|---|"]
        for key in TARGET_KEYS:
            if key in result.targets:
                t = result.targets[key]
                limit, shown, status, detail = _target_cells(t)
                lines.append(f"| {t['label']} | {limit} | {shown} | {'**' + status + '**' if status == 'NOT MET' else status} | {detail} |")
        lines += [f"- note: {note}" for note in result.notes]
        lines.append("")
    return "\n".join(lines)


def write_results(results: Sequence[Result], meta: dict[str, object], out: Path, merge: bool = False) -> None:
    """latest.json and latest.md in `out`; with `merge`, the archives only an earlier run measured are kept."""
    out.mkdir(parents=True, exist_ok=True)
    archives = {r.spec.name: r.as_json() for r in results}
    if merge:  # keep the archives an earlier run measured and this one did not
        try:
            earlier = json.loads((out / "latest.json").read_text(encoding="utf-8"))["archives"]
        except (OSError, ValueError, KeyError):
            earlier = {}
        archives = {**{k: v for k, v in earlier.items() if k not in archives}, **archives}
    data = {"meta": meta, "row_keys": list(ROW_KEYS), "target_keys": list(TARGET_KEYS), "archives": archives}
    (out / "latest.json").write_text(json.dumps(_finite(data), indent=1, default=str) + "\n", encoding="utf-8")
    everything = [_result_of(name, archive) for name, archive in archives.items()]
    (out / "latest.md").write_text(markdown(everything, meta) + "\n", encoding="utf-8")


def _result_of(name: str, archive: dict[str, object]) -> Result:
    spec = ArchiveSpec(name, str(archive.get("kind", "")), Path(str(archive.get("path", ""))))
    result = Result(spec, int(archive.get("articles", 0)), dict(archive.get("rows", {})),  # type: ignore[arg-type]
                    dict(archive.get("targets", {})), list(archive.get("notes", [])),  # type: ignore[arg-type]
                    dict(archive.get("note_sections", {})))  # type: ignore[arg-type]
    return result


def _finite(value: object) -> object:
    """`value` with NaN and infinities as null: JSON has no such numbers."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value
