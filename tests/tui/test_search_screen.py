"""The search screen: search as you type, counts, errors, "did you mean", moving and opening."""

from __future__ import annotations

from textual import events
from textual.content import Content
from textual.widgets import Input, Static

from reader.tui.app import ReaderApp
from reader.tui.screens.article import ArticleScreen
from reader.tui.screens.search import SearchScreen
from reader.tui.widgets.result_list import ResultList
from pilot_helpers import lines_of, settle, wait_until


def static_text(app: ReaderApp, selector: str) -> str:
    widget = app.screen.query_one(selector, Static)
    rendered = widget.render()
    assert isinstance(rendered, Content)
    return rendered.plain


async def type_query(pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press(*text)
    screen = pilot.app.screen
    assert isinstance(screen, SearchScreen)
    await wait_until(pilot, lambda: screen.shown_query == text, what=f"results for {text!r}")


def result_ids(app: ReaderApp) -> list[str]:
    results = app.screen.query_one(ResultList)
    return [hit.id for index in range(results.count) if (hit := results.hit_at(index)) is not None]


async def test_opens_focused_on_the_search_box_listing_the_archive(app: ReaderApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, SearchScreen) and app.screen.shown_query == "")
        assert isinstance(app.focused, Input) and app.focused.id == "query"
        assert static_text(app, "#hit-count") == "7 articles in the archive"
        results = app.screen.query_one(ResultList)
        assert results.count == 7
        drawn = lines_of(results)
        assert "Harbour bridge reopens after repairs" in drawn[0] and "001_bridge" in drawn[0]
        # Snippets of the rows on screen are fetched after the list is shown.
        await wait_until(pilot, lambda: all(results.hit_at(i) and results.hit_at(i).snippet for i in range(7)))
        assert "harbour bridge reopened" in lines_of(results)[1]


async def test_results_follow_typing_with_count_and_highlighted_snippet(app: ReaderApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await type_query(pilot, "ferry")
        ids = result_ids(app)
        assert set(ids) == {"001_bridge", "002_ferry", "003_closure", "006_notes"}
        assert static_text(app, "#hit-count") == "4 matches"
        results = app.screen.query_one(ResultList)
        first = results.hit_at(0)
        assert first is not None and first.snippet is not None
        start, end = first.snippet.spans[0]
        assert first.snippet.text[start:end].lower().startswith("ferr")
        # A prefix of a word being typed already finds it (type-ahead).
        await pilot.press("ctrl+u")
        await type_query(pilot, "timeta")
        assert result_ids(app) == ["002_ferry", "001_bridge"]  # the title hit first


async def test_a_stale_answer_is_dropped(app: ReaderApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await type_query(pilot, "budget")
        screen = app.screen
        assert isinstance(screen, SearchScreen)
        stale = app.index.search("ferry", typeahead=True)
        screen.post_message(SearchScreen.Searched("ferry", stale))
        await settle(pilot)
        assert set(result_ids(app)) == {"004_budget", "005_budget"}
        assert screen.shown_query == "budget"


async def test_typing_fast_shows_only_the_last_query(app: ReaderApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press(*"budg")
        await pilot.press("ctrl+u", *"lighthouse")
        await wait_until(pilot, lambda: app.screen.shown_query == "lighthouse")
        assert result_ids(app) == []
        assert static_text(app, "#hit-count") == "No match"


async def test_bad_query_shows_its_error_under_the_box(app: ReaderApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        # An opening quote being typed is the phrase so far, not an error (issue 12).
        await type_query(pilot, '"bridge')
        assert static_text(app, "#query-error") == ""
        await pilot.press(*["backspace"] * 7)
        # A ) with no ( is a mistake made, not one being typed: it is said under the box.
        await type_query(pilot, "bridge)")
        assert "unbalanced parentheses" in static_text(app, "#query-error")
        assert app.screen.query_one("#query-error").display
        assert app.screen.query_one(ResultList).count == 0
        await pilot.press("enter")  # nothing to open: stays, no crash
        await settle(pilot)
        assert isinstance(app.screen, SearchScreen)
        await pilot.press("backspace", "backspace", "backspace", "backspace", "backspace", "backspace", "backspace")
        await type_query(pilot, "ferry")
        assert static_text(app, "#query-error") == ""
        assert not app.screen.query_one("#query-error").display


async def test_did_you_mean_is_taken_with_enter(app: ReaderApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await type_query(pilot, "harbor")
        assert result_ids(app) == []
        # The empty page shows first; the suggestion follows it.
        await wait_until(pilot, lambda: "Did you mean harbour?" in static_text(app, "#suggestion"), what="did you mean")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen.shown_query == "harbour")
        assert app.screen.query_one("#query", Input).value == "harbour"
        assert set(result_ids(app)) == {"001_bridge", "002_ferry", "003_closure", "004_budget"}


async def test_did_you_mean_keeps_the_word_being_typed(app: ReaderApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        # "bri" starts "bridge": the start of a word, not a typo; "harbor" is one.
        await type_query(pilot, "harbor bri")
        await wait_until(pilot, lambda: "Did you mean harbour bri?" in static_text(app, "#suggestion"), what="did you mean")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen.shown_query == "harbour bri")
        assert "001_bridge" in result_ids(app)


async def test_up_down_move_and_enter_opens_the_highlighted_hit(app: ReaderApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await type_query(pilot, "budget")
        results = app.screen.query_one(ResultList)
        assert results.highlighted == 0
        await pilot.press("down")
        assert results.highlighted == 1
        await pilot.press("down")  # stays on the last row
        assert results.highlighted == 1
        await pilot.press("up", "down")
        second = results.hit_at(1)
        assert second is not None
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ArticleScreen)
        assert app.screen.article_id == second.id


async def test_enter_right_after_typing_opens_the_first_hit_of_that_query(app: ReaderApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press(*"timetable", "enter")  # before the debounced search has run
        await wait_until(pilot, lambda: isinstance(app.screen, ArticleScreen))
        assert app.screen.article_id == "002_ferry"


async def test_enter_sent_with_the_query_in_one_burst_opens_that_querys_hit(app: ReaderApp) -> None:
    # tmux send-keys C-u "text" Enter, or keys over a slow link: every key is queued before the app
    # handles the first. Ctrl+U must clear before the letters after it, Enter open what they make.
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await type_query(pilot, "budget")
        assert "002_ferry" not in result_ids(app)
        for key in ["ctrl+u", *"timetable", "enter"]:
            app.post_message(events.Key(key, key if len(key) == 1 else None))
        await wait_until(pilot, lambda: isinstance(app.screen, ArticleScreen))
        assert app.screen.article_id == "002_ferry"


async def test_clicking_a_result_opens_it(app: ReaderApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await type_query(pilot, "budget")
        results = app.screen.query_one(ResultList)
        second = results.hit_at(1)
        assert second is not None
        await pilot.click(ResultList, offset=(5, 2))  # row 1 starts on line 2
        await settle(pilot)
        assert isinstance(app.screen, ArticleScreen)
        assert app.screen.article_id == second.id


async def test_slash_types_into_the_box(app: ReaderApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press(*"a/b")
        assert app.screen.query_one("#query", Input).value == "a/b"


async def test_rows_past_the_first_page_are_fetched_as_they_come_into_view(app: ReaderApp, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import reader.tui.screens.search as search_module

    monkeypatch.setattr(search_module, "PAGE_SIZE", 2)
    expected = [hit.id for hit in app.index.search("bridge", limit=10, typeahead=True).hits]
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await type_query(pilot, "bridge")
        results = app.screen.query_one(ResultList)
        assert results.count == 6
        await wait_until(pilot, lambda: len(result_ids(app)) == 6, what="every row")
        assert result_ids(app) == expected
        assert all(results.hit_at(i).snippet for i in range(6))


async def test_an_estimated_total_grows_the_list_until_the_hits_run_out(app: ReaderApp, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    import reader.tui.screens.search as search_module

    monkeypatch.setattr(search_module, "PAGE_SIZE", 2)
    real_search = app.index.search

    def estimating(*args, **kwargs):  # type: ignore[no-untyped-def]
        page = real_search(*args, **kwargs)
        return dataclasses.replace(page, total=1, total_is_estimate=True)  # as Whoosh may answer

    monkeypatch.setattr(app.index, "search", estimating)
    async with app.run_test(size=(80, 40)) as pilot:
        await settle(pilot)
        await type_query(pilot, "bridge")
        assert static_text(app, "#hit-count") == "about 2 matches"
        results = app.screen.query_one(ResultList)
        await wait_until(pilot, lambda: results.count == 6 and len(result_ids(app)) == 6, what="the real end")


async def test_did_you_mean_is_taken_with_a_click_or_ctrl_y(app: ReaderApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await type_query(pilot, "harbor")
        await wait_until(pilot, lambda: "Did you mean" in static_text(app, "#suggestion"), what="did you mean")
        await pilot.click("#suggestion")
        await wait_until(pilot, lambda: app.screen.shown_query == "harbour")
        await pilot.press("ctrl+u")
        # "ferri budget" would find nothing (no story has both): no suggestion is a dead end.
        await type_query(pilot, "ferri budgit")
        await settle(pilot)
        assert static_text(app, "#suggestion") == ""
        await pilot.press("ctrl+u")
        await type_query(pilot, "harbour budgit")
        await wait_until(pilot, lambda: "Did you mean" in static_text(app, "#suggestion"), what="did you mean")
        await pilot.press("ctrl+y")
        await wait_until(pilot, lambda: app.screen.shown_query == "harbour budget")
        assert result_ids(app) == ["004_budget"]


async def test_while_a_first_build_publishes_batches_counts_say_how_much_is_indexed(app: ReaderApp) -> None:
    from reader.tui.messages import IndexState

    async with app.run_test(size=(100, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, SearchScreen) and app.screen.shown_query == "")
        screen = app.screen
        assert isinstance(screen, SearchScreen)
        screen.index_changed(IndexState("building", "Building the index…", 150, 100_000, searchable=100))
        assert static_text(app, "#hit-count") == "100 of 100,000 articles indexed so far; the rest are on their way"
        # The writing phases report no total: the line keeps the one the reading gave.
        screen.index_changed(IndexState("building", "Building the index…", searchable=100))
        assert static_text(app, "#hit-count") == "100 of 100,000 articles indexed so far; the rest are on their way"
        await type_query(pilot, "harbour")
        assert static_text(app, "#hit-count").endswith(" so far, in 100 of 100,000 articles indexed")
        screen.index_changed(IndexState("ready"))
        assert "so far" not in static_text(app, "#hit-count")


async def test_the_first_listing_reads_ahead_what_the_first_key_needs(app: ReaderApp) -> None:
    # Library.warm: the term lists (the first key read them, 0.8 s of CPU at 100k) and the
    # title keys (the first link resolved) are read while the archive is on screen.
    engine = app.index.engine
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, SearchScreen) and app.screen.shown_query == "")
        assert isinstance(app.focused, Input) and app.focused.value == ""  # nothing typed
        await wait_until(pilot, lambda: bool(engine.loaded()._lexicons), what="the term lists read")
        assert not app.index.titles()._unkeyed  # every title keyed
