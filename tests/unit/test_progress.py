"""The progress model: phases, counts, rate over the last seconds, time left, and when a piped run
writes a line."""

from __future__ import annotations

from reader.core.progress import ProgressModel, Throttle, ago_text, changes_text, clock_text, words_text
from reader.core.types import ProgressReport, RefreshSummary


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_durations_read_as_a_clock_and_in_words() -> None:
    assert clock_text(100) == "1:40"
    assert clock_text(7.4) == "0:07"
    assert clock_text(3723) == "1:02:03"
    assert words_text(7) == "7 s"
    assert words_text(100) == "1 min 40 s"
    assert words_text(120) == "2 min"
    assert words_text(7500) == "2 h 5 min"


def test_reading_shows_count_rate_and_time_left() -> None:
    clock = Clock()
    model = ProgressModel(clock)
    model.update(ProgressReport("reading", 0, 100_000))
    assert model.line() == "Reading 0 of 100,000 articles"  # no rate from one sample
    clock.now += 2
    model.update(ProgressReport("reading", 1_700, 100_000))
    assert model.rate == 850
    assert model.line() == "Reading 1,700 of 100,000 articles · 850/s · 1:56 left"
    assert model.plain() == "reading 1,700 of 100,000 articles, 850/s, 1 min 56 s left"


def test_the_rate_is_that_of_the_last_seconds() -> None:
    clock = Clock()
    model = ProgressModel(clock)
    model.update(ProgressReport("reading", 0, 10_000))
    for _ in range(20):  # slow start: 100/s for 20 s
        clock.now += 1
        model.update(ProgressReport("reading", (model.report.done if model.report else 0) + 100, 10_000))
    for _ in range(20):  # then 1,000/s
        clock.now += 1
        model.update(ProgressReport("reading", (model.report.done if model.report else 0) + 1_000, 10_000))
    assert model.rate == 1_000


def test_phases_without_a_count_say_how_long_so_far() -> None:
    clock = Clock()
    model = ProgressModel(clock)
    model.update(ProgressReport("reading", 2_000, 2_000))
    assert model.line() == "Reading 2,000 of 2,000 articles"
    model.update(ProgressReport("merging"))
    assert not model.counted and model.rate is None and model.seconds_left is None
    assert model.line() == "Merging the index writers' output…"
    clock.now += 12
    assert model.line() == "Merging the index writers' output… · 0:12 so far"
    assert model.plain() == "merging the index writers' output…, 12 s so far"


def test_a_piped_run_writes_a_line_every_few_seconds_and_at_late_phases() -> None:
    clock = Clock()
    throttle = Throttle(3.0, clock)
    assert not throttle.due("scanning")
    clock.now += 1
    assert not throttle.due("reading")  # a short run writes nothing
    clock.now += 2.5
    assert throttle.due("reading")
    clock.now += 1
    assert not throttle.due("reading")
    assert throttle.due("merging")  # a new phase once the run is long: announced at once
    clock.now += 3
    assert throttle.quiet_due()  # no report for a while: written again anyway
    assert not throttle.quiet_due()


def test_a_stall_lowers_the_rate_without_swinging_it_to_nothing() -> None:
    clock = Clock()
    model = ProgressModel(clock)
    for done in range(0, 5_001, 500):  # 500/s for 10 s
        model.update(ProgressReport("reading", done, 10_000))
        clock.now += 1
    clock.now += 5  # the writers spill to disk
    model.update(ProgressReport("reading", 5_050, 10_000))
    assert model.rate is not None and 250 < model.rate < 500


def test_what_a_watched_update_changed_reads_in_a_few_words() -> None:
    assert changes_text(RefreshSummary(indexed=4, added=3)) == "3 articles added, 1 changed"
    assert changes_text(RefreshSummary(indexed=1)) == "1 article changed"
    assert changes_text(RefreshSummary(indexed=1, added=1, removed=2)) == "1 article added, 2 removed"
    assert changes_text(RefreshSummary(removed=1)) == "1 article removed"
    assert changes_text(RefreshSummary(unchanged=10)) == ""


def test_how_long_ago_reads_in_minutes_then_hours() -> None:
    assert [ago_text(s) for s in (0, 59, 60, 3599, 7300)] == ["just now", "just now", "1 min ago", "59 min ago", "2 h ago"]
