"""The start-up sections of the benchmark: the interpreter alone, `reader search WORD` end to end
beside rg, the TUI's first painted screen, and the peak memory of a scripted TUI session (both
through benchmarks/tui_probe.py)."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

from benchmarks import queries
from benchmarks.measure import mb, run_process
from benchmarks.references import ReferenceUnavailable, RipgrepRef
from benchmarks.settings import (
    ArchiveSpec,
    Result,
    Settings,
    clean_env,
    ms_summary,
    reader_cmd,
)


def bench_start(spec: ArchiveSpec, settings: Settings, result: Result, place: Path) -> None:
    index_dir = place / "index"
    env = clean_env()
    runs = [run_process([settings.python, "-c", "pass"], env=env, sample_rss=False) for _ in range(settings.starts)]
    result.row("start.python", "start: python -c pass (the interpreter alone)",
               **ms_summary([r.seconds for r in runs], [r.cpu_seconds for r in runs]))

    words = [q.split()[0] for q in queries.typeahead_queries(spec.path, n=settings.starts)]
    # One untimed run of each command first: bytecode compiled, files in the page cache.
    run_process(reader_cmd(settings, spec.path, index_dir, "search", words[0]), env=env, sample_rss=False)
    times: list[float] = []
    cpu: list[float] = []
    for word in words:
        run = run_process(reader_cmd(settings, spec.path, index_dir, "search", word), env=env, sample_rss=False)
        if run.returncode != 0:
            raise RuntimeError(f"reader search failed: {run.stderr.strip()[-2000:]}")
        times.append(run.seconds)
        cpu.append(run.cpu_seconds)
    result.row("start.search_command", "start: reader search WORD, end to end", **ms_summary(times, cpu))
    try:
        rg = RipgrepRef(spec.path)
        rg_runs = [run_process([rg.rg, "-i", "-l", "-F", "--glob", "*.txt", word, str(spec.path)], env=env,
                               sample_rss=False) for word in words]
        result.row("start.rg_word", "start: rg -i -l WORD over the files, the same words (reference)",
                   **ms_summary([r.seconds for r in rg_runs], [r.cpu_seconds for r in rg_runs]))
    except ReferenceUnavailable as error:
        result.missing("start.rg_word", "start: rg -i -l WORD (reference)", str(error))

    probe = [settings.python, "-m", "benchmarks.tui_probe", "start", "--archive", str(spec.path),
             "--index", str(index_dir)]
    times = []
    cpu = []
    error = ""
    run_process(probe, env=env, sample_rss=False, timeout=120)
    for _ in range(settings.starts):
        env["READER_PROBE_T0"] = repr(time.time())  # the probe measures from here to its first frame
        run = run_process(probe, env=env, sample_rss=False, timeout=120)
        painted = _probe_value(run.stdout, "wall_to_paint_s")
        if run.returncode != 0 or painted is None:
            error = (run.stderr.strip().splitlines() or ["no output"])[-1][:300]
            break
        times.append(painted)
        cpu.append(_probe_value(run.stdout, "cpu_to_paint_s") or math.nan)
    if times:
        result.row("start.tui_first_paint", "start: reader (TUI, headless) to its first painted screen",
                   **ms_summary(times, cpu))
    else:
        result.missing("start.tui_first_paint", "start: reader (TUI) to its first painted screen", error)


def _probe_value(stdout: str, name: str) -> float | None:
    for line in stdout.splitlines():
        if line.startswith("{"):
            try:
                value = json.loads(line).get(name)
            except ValueError:
                continue
            if value is not None:
                return float(value)
    return None


def bench_session(spec: ArchiveSpec, settings: Settings, result: Result, place: Path) -> None:
    cmd = [settings.python, "-m", "benchmarks.tui_probe", "session", "--archive", str(spec.path),
           "--index", str(place / "index")]
    run = run_process(cmd, env=clean_env(), timeout=600)
    report: dict[str, object] = {}
    for line in run.stdout.splitlines():
        if line.startswith("{"):
            try:
                report = json.loads(line)
            except ValueError:
                pass
    if run.returncode != 0 or not report.get("ok"):
        reason = str(report.get("error") or (run.stderr.strip().splitlines() or ["no output"])[-1])[:300]
        result.missing("tui.session", "TUI session (search, open, follow, back): peak memory", reason)
        return
    result.row("tui.session", "TUI session (search, open, follow, back): peak memory", n=1,
               peak_rss_mb=mb(run.peak_rss_total), maxrss_mb=float(report.get("maxrss_mb", 0)),
               seconds=run.seconds, steps=report.get("steps", []))
