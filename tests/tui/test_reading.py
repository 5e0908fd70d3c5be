"""Reading as in less, mutt and newsboat (issue 14): quitting, pager keys, help, every hit marked
with "hit i of n", read marks, bookmarks, positions, the table of contents, hand-offs, the config
file (theme, keymap) and the chooser that tells same-titled articles apart."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from pilot_helpers import screen_lines, settle, text_of, wait_until
from test_article_screen import open_article
from test_palette import palette_prompts
from textual.command import CommandPalette
from textual.widgets import Input, OptionList

from reader.core.config import Config, load_config
from reader.core.library import Library
from reader.core.state import ReadingState
from reader.tui.app import ReaderApp
from reader.tui.screens.article import ArticleScreen
from reader.tui.screens.bookmarks import BookmarksScreen
from reader.tui.screens.chooser import ChooserScreen
from reader.tui.screens.search import SearchScreen
from reader.tui.screens.toc import TocScreen
from reader.tui.widgets.article_body import ArticleBody
from reader.tui.widgets.link_item import LinkItem
from reader.tui.widgets.pager import Pager
from reader.tui.widgets.result_list import ResultList


def footer_text(pilot) -> str:  # type: ignore[no-untyped-def]
    return screen_lines(pilot)[-1]


@pytest.fixture
def state(tmp_path: Path, index: Library) -> ReadingState:
    """A reading state kept in a file of a temporary data folder."""
    return ReadingState.for_library(index, tmp_path / "data")


def make_app(index: Library, state: ReadingState, config: Config | None = None) -> ReaderApp:
    return ReaderApp(index, [], config, state)


# --- quitting and help ---------------------------------------------------------------------------


async def test_q_quits_where_no_text_box_has_focus_and_the_footer_says_how(app: ReaderApp) -> None:
    async with app.run_test(size=(100, 24)) as pilot:
        await settle(pilot)
        # The search box has focus: q types, and the Footer names Ctrl+Q and F1 instead of q and ?.
        await pilot.press("q", "question_mark")
        assert app.screen.query_one("#query", Input).value == "q?"
        assert "^q Quit" in footer_text(pilot) and "f1 Keys" in footer_text(pilot)
        assert app.is_running
        await pilot.press("ctrl+u")
        await open_article(pilot, "002_ferry")
        assert "q Quit" in footer_text(pilot) and "? Keys" in footer_text(pilot)
        await pilot.press("q")
        await pilot.pause()
    assert not app.is_running and app.return_code in (0, None)


@pytest.mark.parametrize("dialog", ["t", "3"])
async def test_q_quits_from_a_dialog_too(app: ReaderApp, dialog: str) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await open_article(pilot, "001_bridge")
        await pilot.press(dialog)  # the table of contents, the chooser
        await wait_until(pilot, lambda: isinstance(app.screen, (TocScreen, ChooserScreen)))
        await pilot.press("q")
        await pilot.pause()
    assert not app.is_running


async def test_ctrl_q_quits_even_from_the_search_box(app: ReaderApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert not app.is_running


async def test_question_mark_opens_help_on_the_article_and_f1_on_the_search(app: ReaderApp) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        assert app.screen.query("HelpPanel")
        await pilot.press("f1")
        assert not app.screen.query("HelpPanel")
        await open_article(pilot, "002_ferry")
        await pilot.press("question_mark")
        assert app.screen.query("HelpPanel")


# --- pager keys ----------------------------------------------------------------------------------


async def test_pager_keys_move_at_once(app: ReaderApp) -> None:
    async with app.run_test(size=(60, 12)) as pilot:
        screen = await open_article(pilot, "001_bridge")
        pager = screen.query_one("#article", Pager)
        page = pager.scrollable_content_region.height
        assert pager.max_scroll_y > page  # a few pages long at this size
        await pilot.press("space")
        assert pager.scroll_y == page - 1
        await pilot.press("b")
        assert pager.scroll_y == 0
        await pilot.press("pagedown")
        assert pager.scroll_y == page - 1
        await pilot.press("pageup", "j", "j")
        assert pager.scroll_y == 2
        await pilot.press("k")
        assert pager.scroll_y == 1
        await pilot.press("ctrl+d")
        assert pager.scroll_y == 1 + page // 2
        await pilot.press("ctrl+u")
        assert pager.scroll_y == 1
        # End and G land at the bottom at once (no second-long animation), Home and g at the top.
        await pilot.press("end")
        assert pager.scroll_y == pager.max_scroll_y
        await pilot.press("g")
        assert pager.scroll_y == 0
        await pilot.press("G")
        assert pager.scroll_y == pager.max_scroll_y
        await pilot.press("home")
        assert pager.scroll_y == 0


# --- hits ----------------------------------------------------------------------------------------


async def test_every_hit_is_marked_and_n_p_say_hit_i_of_n(app: ReaderApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        terms = app.index.search("bridge").terms
        screen = await open_article(pilot, "001_bridge", terms)
        body = screen.query_one(ArticleBody)
        assert body.hit_count == 4
        hit_style = body.get_visual_style("article-body--hit")
        plain = body.visual_style
        # A background of its own (a partial style had lost it: only the current hit showed).
        assert hit_style.background is not None and hit_style.background != plain.background
        assert hit_style.background.a == 1 and hit_style.underline
        marked = [
            y for y in range(len(body.plain_lines()))
            if any(span.style == hit_style for span in body.line_content(y).spans)
        ]
        assert len(marked) >= 3  # every hit styled before n is pressed, not only the current one
        status = screen.query_one("#hit-status")
        assert "4 hits of the search marked" in text_of(status)
        await pilot.press("n", "n")
        assert text_of(status) == "hit 2 of 4"
        await pilot.press("p", "p")
        assert text_of(status) == "hit 4 of 4"


# --- read marks, bookmarks, positions, recent ----------------------------------------------------


async def test_read_articles_are_dimmed_in_results_and_link_lists(index: Library, state: ReadingState) -> None:
    app = make_app(index, state)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_article(pilot, "002_ferry")
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, SearchScreen))
        results = app.screen.query_one(ResultList)
        rows = {results.hit_at(i).id: i for i in range(results.count) if results.hit_at(i) is not None}
        read_style = results.get_visual_style("result-list--read", partial=True)
        assert read_style.dim
        assert state.is_read("002_ferry") and not state.is_read("003_closure")
        screen = await open_article(pilot, "001_bridge")
        items = {item.target.text: item for item in screen.query(LinkItem)}
        assert items["Ferry timetable changes for the winter"].has_class("-read")
        assert not items["Notes from the ferry"].has_class("-read")
        assert "002_ferry" in rows


async def test_m_toggles_a_bookmark_the_screen_lists_them_and_they_survive_a_restart(
    index: Library, state: ReadingState
) -> None:
    app = make_app(index, state)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_article(pilot, "002_ferry")
        await pilot.press("m")
        assert state.is_bookmarked("002_ferry")
        assert "★ bookmarked" in screen.query_one(ArticleBody).plain_lines()[1]
        await open_article(pilot, "006_notes")
        await pilot.press("m")
        await pilot.press("B")
        await wait_until(pilot, lambda: isinstance(app.screen, BookmarksScreen))
        options = app.screen.query_one("#bookmarks", OptionList)
        assert options.option_count == 2
        assert str(options.get_option_at_index(0).prompt).startswith("Notes from the ferry")
    # A new process: the same file in the data folder.
    again = ReadingState.for_library(index, state.path.parent.parent)
    app = make_app(index, again)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+b")  # from the search box too
        await wait_until(pilot, lambda: isinstance(app.screen, BookmarksScreen))
        options = app.screen.query_one("#bookmarks", OptionList)
        assert [options.get_option_at_index(i).id for i in range(options.option_count)] == ["006_notes", "002_ferry"]
        await pilot.press("d")
        assert options.option_count == 1 and not again.is_bookmarked("006_notes")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ArticleScreen) and app.screen.article_id == "002_ferry")
        await pilot.press("m")  # toggles off
        assert not again.is_bookmarked("002_ferry")


async def test_the_position_in_an_article_and_the_recent_list_are_remembered(index: Library, state: ReadingState) -> None:
    app = make_app(index, state)
    async with app.run_test(size=(60, 12)) as pilot:
        screen = await open_article(pilot, "001_bridge")
        await pilot.press("space")
        where = screen.query_one("#article", Pager).scroll_y
        assert where > 0
        await pilot.press("q")
        await pilot.pause()
    again = ReadingState.for_library(index, state.path.parent.parent)
    assert again.position("001_bridge") == where
    assert again.recent == ["001_bridge"]
    app = make_app(index, again)
    async with app.run_test(size=(60, 12)) as pilot:
        await settle(pilot)
        app.open_article("001_bridge")  # from the palette, as a reader coming back would
        await wait_until(pilot, lambda: isinstance(app.screen, ArticleScreen) and app.screen.article is not None)
        await settle(pilot)
        assert app.screen.query_one("#article", Pager).scroll_y == where
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette) and palette_prompts(app))
        assert palette_prompts(app)[0] == "Harbour bridge reopens after repairs"


# --- table of contents ---------------------------------------------------------------------------


async def test_t_lists_the_sub_headings_and_enter_jumps_there(app: ReaderApp) -> None:
    async with app.run_test(size=(60, 12)) as pilot:
        screen = await open_article(pilot, "001_bridge")
        await pilot.press("t")
        await wait_until(pilot, lambda: isinstance(app.screen, TocScreen))
        options = app.screen.query_one("#toc-list", OptionList)
        assert [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)] == [
            "What was repaired",
            "Reaction from the town",
        ]
        await pilot.press("down", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ArticleScreen))
        pager = screen.query_one("#article", Pager)
        body = screen.query_one(ArticleBody)
        top = body.plain_lines()[int(pager.scroll_y) - body.virtual_region.y]
        assert top == "Reaction from the town"


# --- hand-offs -----------------------------------------------------------------------------------


async def test_copy_keys_put_the_id_title_and_path_on_the_clipboard(app: ReaderApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_article(pilot, "002_ferry")
        await pilot.press("y")
        assert app.clipboard == "002_ferry"
        await pilot.press("Y")
        assert app.clipboard == "Ferry timetable changes for the winter"
        await pilot.press("f")
        assert app.clipboard == str(screen.article.path)


async def test_selecting_body_text_with_the_mouse_copies_it(app: ReaderApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_article(pilot, "002_ferry")
        body = screen.query_one(ArticleBody)
        line = body.plain_lines().index("The harbour bridge works meant extra sailings this autumn.")
        y = body.region.y + line
        x = body.region.x
        await pilot.mouse_down(offset=(x + 4, y))
        await pilot.hover(offset=(x + 10, y))
        await pilot.mouse_up(offset=(x + 10, y))
        await settle(pilot)
        assert app.clipboard == "harbour"  # from the cell pressed to the cell released


async def test_pager_and_editor_run_with_the_app_suspended(
    app: ReaderApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran: list[list[str]] = []
    suspended: list[bool] = []

    @contextlib.contextmanager
    def suspend():  # type: ignore[no-untyped-def]
        suspended.append(True)
        yield

    monkeypatch.setenv("PAGER", "less -R")
    monkeypatch.setenv("EDITOR", "nano")
    monkeypatch.setattr("reader.tui.screens.handoffs.subprocess.run", lambda command, check: ran.append(command))
    async with app.run_test(size=(80, 24)) as pilot:
        monkeypatch.setattr(app, "suspend", suspend)
        screen = await open_article(pilot, "002_ferry")
        await pilot.press("v")
        await pilot.press("e")
        path = str(screen.article.path)
        assert ran == [["less", "-R", path], ["nano", path]]
        assert suspended == [True, True]
        assert isinstance(app.screen, ArticleScreen) and app.screen is screen  # back as it was


# --- config: theme, keymap, snippets, a bad file ----------------------------------------------------


async def test_a_theme_chosen_in_the_app_is_saved_and_applied_next_time(index: Library, state: ReadingState, tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("# mine\nsnippet_length = 40\n", encoding="utf-8")
    app = make_app(index, state, load_config(path))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.theme = "nord"
        await settle(pilot)
    assert path.read_text(encoding="utf-8") == '# mine\nsnippet_length = 40\ntheme = "nord"\n'
    app = make_app(index, state, load_config(path))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.theme == "nord"


async def test_the_keymap_remaps_bindings_by_id(index: Library, state: ReadingState, tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[keymap]\n"reader.article.bookmark" = "x"\n"reader.quit" = "Q,ctrl+q"\n', encoding="utf-8")
    config = load_config(path)
    assert config.problem == ""
    app = make_app(index, state, config)
    async with app.run_test(size=(100, 24)) as pilot:
        await open_article(pilot, "002_ferry")
        await pilot.press("m")
        assert not state.is_bookmarked("002_ferry")
        await pilot.press("x")
        assert state.is_bookmarked("002_ferry")
        assert "Q Quit" in footer_text(pilot)
        await pilot.press("q")
        assert app.is_running
        await pilot.press("Q")
        await pilot.pause()
    assert not app.is_running


async def test_snippet_length_cuts_the_snippets(index: Library, state: ReadingState) -> None:
    app = make_app(index, state, Config(snippet_length=20))
    async with app.run_test(size=(100, 24)) as pilot:
        await settle(pilot)
        await pilot.press(*"ferry")
        await wait_until(
            pilot,
            lambda: (hit := app.screen.query_one(ResultList).hit_at(0)) is not None and hit.snippet is not None,
        )
        await settle(pilot)
        snippet_rows = [line for line in screen_lines(pilot) if line.startswith("    ")]
        assert snippet_rows and all(len(line.strip()) <= 20 for line in snippet_rows)


async def test_a_bad_config_file_is_one_notice_and_the_defaults(index: Library, state: ReadingState, tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('theme = "nord"\nsnippet_length = "long"\n', encoding="utf-8")
    app = make_app(index, state, load_config(path))
    async with app.run_test(size=(100, 24)) as pilot:
        await settle(pilot)
        notices = [n.message for n in app._notifications]
        assert any("line 2: snippet_length must be a whole number" in n for n in notices)
        assert app.theme != "nord"
        app.theme = "dracula"
        await settle(pilot)
    assert path.read_text(encoding="utf-8") == 'theme = "nord"\nsnippet_length = "long"\n'  # never rewritten


# --- the chooser, narrow terminals, small things -------------------------------------------------


async def test_the_chooser_tells_same_titles_apart_and_fits_at_40x12(app: ReaderApp) -> None:
    async with app.run_test(size=(40, 12)) as pilot:
        await open_article(pilot, "001_bridge")
        await pilot.press("3")
        await wait_until(pilot, lambda: isinstance(app.screen, ChooserScreen))
        await settle(pilot)
        lines = screen_lines(pilot)
        assert sum("Council budget vote" in line for line in lines) >= 2  # the link text and both titles
        assert any("2026-01-15 · “Councillors" in line for line in lines)
        assert any("2026-01-15 · “A second" in line for line in lines)  # the second option is not clipped


async def test_narrow_result_rows_give_the_title_the_width(app: ReaderApp) -> None:
    async with app.run_test(size=(40, 12)) as pilot:
        await settle(pilot)
        await pilot.press(*"ferry")
        await wait_until(pilot, lambda: app.screen.query_one(ResultList).hit_at(0) is not None)
        await settle(pilot)
        row = next(line for line in screen_lines(pilot) if "Ferry timetable" in line)
        assert "Ferry timetable changes" in row  # 23 of its letters, where 16 fitted before
        assert "002_ferry" in row or "002_fe…" in row


async def test_the_palette_has_one_open_by_title_and_the_new_actions(app: ReaderApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await open_article(pilot, "002_ferry")
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette) and palette_prompts(app))
        prompts = palette_prompts(app)
        assert prompts.count("Open article by title") == 1 and "Open by title" not in prompts
        for action in ("Quit", "Bookmark", "Bookmarks", "Contents", "Open in $PAGER", "Open in $EDITOR",
                       "Copy id", "Copy title", "Copy file path", "Page down", "Top", "Bottom", "Next hit",
                       "Previous hit", "Keys"):
            assert action in prompts, action


async def test_reading_state_survives_a_rebuild_and_a_rewritten_file(own_archive: tuple[Path, Path], tmp_path: Path) -> None:
    from reader.engines.whoosh import DeferredIndex
    from reader.engines.whoosh.index import ArchiveIndex

    archive, index_dir = own_archive
    ArchiveIndex(archive, index_dir).refresh()
    library = Library(DeferredIndex(archive, index_dir))
    state = ReadingState.for_library(library, tmp_path / "data")
    app = make_app(library, state)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_article(pilot, "002_ferry")
        await pilot.press("m")
    path = archive / "002_ferry.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("forty minutes", "half an hour"), encoding="utf-8")
    ArchiveIndex(archive, index_dir).refresh(rebuild=True)
    again = ReadingState.for_library(Library(DeferredIndex(archive, index_dir)), tmp_path / "data")
    assert again.is_bookmarked("002_ferry") and again.is_read("002_ferry")
    app = make_app(Library(DeferredIndex(archive, index_dir)), again)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_article(pilot, "002_ferry")
        assert "★ bookmarked" in screen.query_one(ArticleBody).plain_lines()[1]
        assert any("half an hour" in line for line in screen.query_one(ArticleBody).plain_lines())
