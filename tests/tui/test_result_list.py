"""The virtual result list: 100,000 rows without 100,000 of anything until they are looked at."""

from __future__ import annotations

import time

from textual import on
from textual.app import App, ComposeResult

from reader.engines.whoosh.index import Hit, Snippet
from reader.tui.widgets.result_list import ResultList
from pilot_helpers import lines_of


class ListApp(App[None]):
    """The list alone, answering its requests for rows as a screen would."""

    def __init__(self, count: int) -> None:
        super().__init__()
        self.count = count
        self.wanted: list[tuple[int, int]] = []
        self.selected: list[int] = []

    def compose(self) -> ComposeResult:
        yield ResultList()

    def on_mount(self) -> None:
        results = self.query_one(ResultList)
        results.focus()
        results.show(self.count, {})

    @on(ResultList.RowsWanted)
    def _rows_wanted(self, message: ResultList.RowsWanted) -> None:
        self.wanted.append((message.first, message.last))
        rows = {
            index: Hit(f"id{index}", f"[b]Title {index}[/b]", f"{index}.txt", 0.0, Snippet(f"snippet of row {index}", ((0, 7),)))
            for index in range(message.first, message.last + 1)
        }
        message.result_list.add_rows(message.generation, rows)

    @on(ResultList.Selected)
    def _selected(self, message: ResultList.Selected) -> None:
        self.selected.append(message.index)


async def test_a_hundred_thousand_rows_scroll_and_load_only_what_is_seen() -> None:
    app = ListApp(100_000)
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(5):
            await pilot.pause()
        results = app.query_one(ResultList)
        assert app.wanted == [(0, 12)]  # 24 lines: 12 rows and the start of a 13th
        assert lines_of(results)[0].startswith(" [b]Title 0[/b]")
        assert lines_of(results)[1] == "   snippet of row 0"
        began = time.perf_counter()
        await pilot.press("end")
        await pilot.pause()
        assert time.perf_counter() - began < 1.0
        assert results.highlighted == 99_999
        assert app.wanted[-1][1] == 99_999
        assert lines_of(results)[-2].startswith(" [b]Title 99999[/b]")
        loaded = len(results._rows)
        assert loaded < 40  # two screenfuls, not the archive
        await pilot.press("pageup", "up", "enter")
        await pilot.pause()
        assert app.selected == [results.highlighted]
        assert results.highlighted == 99_999 - (results.scrollable_content_region.height // 2) - 1


async def test_old_answers_do_not_land_in_new_content() -> None:
    app = ListApp(10)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        results = app.query_one(ResultList)
        old = results.generation
        results.show(3, {})
        results.add_rows(old, {5: Hit("x", "x", "x", 0.0)}, count=50)
        assert results.count == 3 and results.hit_at(5) is None


async def test_clicking_a_row_selects_it() -> None:
    app = ListApp(5)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.click(ResultList, offset=(10, 7))  # line 7: the snippet line of row 3
        assert app.selected == [3]
