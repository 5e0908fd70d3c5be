"""A refresh's progress as people read it: the phase, how many articles of how many, the rate and
the time left, from the engine's `ProgressReport`s. Pure: the clock is passed in for tests.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from reader.core.types import ProgressPhase, ProgressReport, RefreshSummary

# The rate is measured over the last seconds, not since the start: the first files are read from a
# cold page cache, and a rate since the start would keep promising that pace. Not over fewer: the
# build stalls for seconds while its writers spill to disk, and a short window swings with them.
RATE_WINDOW_SECONDS = 15.0
# Below this span of samples the rate is noise (the first 50 files of a run).
RATE_MIN_SPAN_SECONDS = 0.5

PHASE_LABELS: dict[ProgressPhase, str] = {
    "scanning": "Scanning the archive",
    "comparing": "Comparing with the index",
    "reading": "Reading",
    "writing": "Writing the index",
    "merging": "Merging the index writers' output",
    "committing": "Committing",
}


def clock_text(seconds: float) -> str:
    """`1:40`, `0:07`, `1:02:03`: a duration as a clock, for the TUI bar."""
    whole = max(0, round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes}:{secs:02}"


def words_text(seconds: float) -> str:
    """`7 s`, `1 min 40 s`, `2 h 5 min`: a duration in words, for plain log lines."""
    whole = max(0, round(seconds))
    if whole < 60:
        return f"{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


class ProgressModel:
    """The latest report of a refresh, with the rate and time left of its reading phase."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.report: ProgressReport | None = None
        self.phase_started = clock()
        # (time, done) of the phase's recent reports. A tuple replaced whole: a bar's refresh
        # thread reads it while the refresh's thread updates it.
        self._samples: tuple[tuple[float, int], ...] = ()

    def update(self, report: ProgressReport) -> None:
        now = self._clock()
        samples = self._samples
        if self.report is None or report.phase != self.report.phase:
            self.phase_started = now
            samples = ()
        start = 0
        while len(samples) - start > 1 and now - samples[start][0] > RATE_WINDOW_SECONDS:
            start += 1
        self._samples = (*samples[start:], (now, report.done))
        self.report = report

    @property
    def phase(self) -> ProgressPhase | None:
        return self.report.phase if self.report is not None else None

    @property
    def counted(self) -> bool:
        """Whether the phase has a count (reading); the others show an indeterminate bar."""
        return self.report is not None and self.report.total > 0

    @property
    def rate(self) -> float | None:
        """Articles per second over the last few seconds; None until it can be told."""
        samples = self._samples
        if len(samples) < 2:
            return None
        (start, first), (end, last) = samples[0], samples[-1]
        if end - start < RATE_MIN_SPAN_SECONDS:
            return None
        return (last - first) / (end - start)

    @property
    def seconds_left(self) -> float | None:
        """Time left in the reading phase at the current rate; None when it cannot be told."""
        rate = self.rate
        if self.report is None or not self.counted or not rate:
            return None
        return max(0, self.report.total - self.report.done) / rate

    def elapsed(self) -> float:
        """Seconds since the phase began."""
        return self._clock() - self.phase_started

    def line(self) -> str:
        """`Reading 12,400 of 100,000 articles · 850/s · 1:40 left`, for the TUI."""
        return " · ".join(self._parts(clock_text, capital=True))

    def plain(self) -> str:
        """`reading 4,000 of 9,962 articles, 820/s, 7 s left`, for a log line."""
        return ", ".join(self._parts(words_text, capital=False))

    def _parts(self, duration: Callable[[float], str], capital: bool) -> list[str]:
        report = self.report
        if report is None:
            return []
        label = PHASE_LABELS[report.phase]
        label = label if capital else label[0].lower() + label[1:]
        if not self.counted:
            # No count in these phases: say how long it has taken so far, so it is seen moving.
            elapsed = self.elapsed()
            parts = [label + "…"] + ([f"{duration(elapsed)} so far"] if elapsed >= 1 else [])
        else:
            parts = [f"{label} {report.done:,} of {report.total:,} articles"]
            rate = self.rate
            if rate is not None:
                parts.append(f"{rate:,.0f}/s")
            left = self.seconds_left
            if left is not None and left >= 0.5:  # "0 s left" would promise the end; merging follows
                parts.append(f"{duration(left)} left")
        if report.searchable:  # a big first build publishes its first batch early
            parts.append(f"searching the first {report.searchable:,}")
        return parts


class Throttle:
    """When to write a plain progress line: every `interval` seconds, and at a new phase once the
    run has lasted that long (short runs print none; long silent phases are announced)."""

    def __init__(self, interval: float = 3.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self._clock = clock
        self._started = clock()
        self._last: float | None = None
        self._phase: ProgressPhase | None = None

    def due(self, phase: ProgressPhase) -> bool:
        """Whether a report of `phase` that just came should be written."""
        new_phase = phase != self._phase
        self._phase = phase
        return self._due(new_phase)

    def quiet_due(self) -> bool:
        """Whether to write the line again though no report came (a long phase with no count)."""
        return self._phase is not None and self._due(False)

    def _due(self, new_phase: bool) -> bool:
        now = self._clock()
        since = now - (self._last if self._last is not None else self._started)
        if since >= self.interval or (new_phase and now - self._started >= self.interval):
            self._last = now
            return True
        return False


def changes_text(summary: RefreshSummary) -> str:
    """`3 articles added, 1 changed, 2 removed`: what an update found, for the status line after a
    watched change ('' when nothing changed). The first count names its unit."""
    counts = [(summary.added, "added"), (max(summary.indexed - summary.added, 0), "changed"),
              (summary.removed, "removed")]
    parts = []
    for count, what in counts:
        if count:
            unit = "" if parts else (" article" if count == 1 else " articles")
            parts.append(f"{count:,}{unit} {what}")
    return ", ".join(parts)


def ago_text(seconds: float) -> str:
    """`just now`, `5 min ago`, `2 h ago`: how long ago something happened, for a status line."""
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    return f"{int(seconds // 3600)} h ago"
