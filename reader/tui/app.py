"""The reader TUI: the App, its history of places, and the worker that keeps the index fresh.

A thin layer over the core (`reader.core.library.Library`): screens ask the index from thread
workers and show what comes back; nothing here parses articles or touches Whoosh.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen, Screen
from textual.worker import Worker, WorkerState, get_current_worker

from reader.core.history import ArticlePlace, History, Place, Recent, SearchPlace
from reader.core.types import IndexBusy, RefreshSummary
from reader.tui.messages import (
    IndexProgress,
    IndexState,
    IndexUnusable,
    OpenArticle,
    OpenSearch,
)
from reader.tui.screens.search import SearchScreen

if TYPE_CHECKING:
    from reader.core.library import Library

# How long one attempt waits for another process that is writing the index, before saying so.
BUSY_WAIT_SECONDS = 2.0


def _titles_provider() -> type:
    from reader.tui.palette import (
        ArticleTitles,  # the palette's code loads when the palette first opens
    )

    return ArticleTitles


def _actions_provider() -> type:
    from reader.tui.palette import ReaderActions

    return ReaderActions


class _Stopped(Exception):
    """Raised inside a refresh when its worker was cancelled (the app is closing)."""


class ReaderApp(App[int]):
    """Search, read and follow links through an archive of stored articles."""

    CSS_PATH = "reader.tcss"
    TITLE = "reader"
    COMMANDS = App.COMMANDS | {_titles_provider, _actions_provider}

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,backspace,h,alt+left", "go_back", "Back", id="reader.back"),
        Binding("l,alt+right", "go_forward", "Forward", show=False, id="reader.forward"),
        Binding("question_mark,f1", "toggle_keys", "Keys", key_display="?", id="reader.keys"),
        Binding("ctrl+o", "open_by_title", "Open by title", show=False, id="reader.open_by_title"),
    ]

    def __init__(self, index: Library, notices: Iterable[str] = ()) -> None:
        super().__init__()
        self.index = index
        self.notices = list(notices)
        self.history: History[Place] = History()
        self.recent = Recent()
        self.index_state = IndexState("checking")
        self.search_screen: SearchScreen | None = None
        self._place_screen: Screen[None] | None = None
        self._rebuild_wanted = False

    def on_mount(self) -> None:
        self.search_screen = SearchScreen(self.index)
        self.install_screen(self.search_screen, "search")
        self.history.visit(SearchPlace())
        self._place_screen = self.search_screen
        self.push_screen(self.search_screen)
        for notice in self.notices:
            self.notify(notice, severity="warning", timeout=10, markup=False)
        # Nothing touches the index before the first screen is painted.
        self.call_after_refresh(self.refresh_index)

    # --- history ------------------------------------------------------------------------------------

    @on(OpenArticle)
    def _open_article(self, message: OpenArticle) -> None:
        self.navigate(ArticlePlace(message.article_id, message.terms, 0.0, message.notice))

    @on(OpenSearch)
    def _open_search(self, message: OpenSearch) -> None:
        if message.query is None and self.search_screen is not None:
            self.navigate(self.search_screen.place())  # the search as it was last left
        else:
            self.navigate(SearchPlace(message.query or ""))

    def open_article(self, article_id: str) -> None:
        """Show an article (the command palette's titles call this)."""
        self.navigate(ArticlePlace(article_id))

    def navigate(self, place: Place) -> None:
        """Go to a new place; the one we leave is remembered as it is now."""
        self._remember()
        self.history.visit(place)
        self._show(place)

    def _remember(self) -> None:
        screen = self._place_screen
        if screen is not None and screen.is_attached:
            self.history.replace(screen.place())  # type: ignore[attr-defined]

    def _show(self, place: Place) -> None:
        # A chooser or palette still open above the place we leave is closed with it.
        while len(self.screen_stack) > 2 and self.screen is not self._place_screen:
            self.pop_screen()
        if isinstance(place, SearchPlace):
            assert self.search_screen is not None
            screen: Screen[None] = self.search_screen
            self.search_screen.restore(place)
        else:
            from reader.tui.screens.article import (
                ArticleScreen,  # imported on first use: a faster first paint
            )

            screen = ArticleScreen(self.index, place, self.index_state)
            self.recent.add(place.article_id)
        self._place_screen = screen
        self.switch_screen(screen)
        if isinstance(screen, SearchScreen):
            screen.query_one("#query").focus()
        self.refresh_bindings()

    def _modal_open(self) -> bool:
        return isinstance(self.screen, ModalScreen)

    def action_go_back(self) -> None:
        if self._modal_open() or not self.history.can_go_back:
            return
        self._remember()
        place = self.history.back()
        if place is not None:
            self._show(place)

    def action_go_forward(self) -> None:
        if self._modal_open() or not self.history.can_go_forward:
            return
        self._remember()
        place = self.history.forward()
        if place is not None:
            self._show(place)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "go_back":
            return True if self.history.can_go_back else None  # None: shown, dimmed
        if action == "go_forward":
            return True if self.history.can_go_forward else None
        return True

    # --- keys and commands --------------------------------------------------------------------------

    def action_toggle_keys(self) -> None:
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()

    def action_open_by_title(self) -> None:
        from textual.command import CommandPalette

        from reader.tui.palette import ArticleTitlePicker

        if not CommandPalette.is_open(self):
            self.push_screen(CommandPalette(providers=[ArticleTitlePicker], placeholder="Open article by title…"))

    def action_new_search(self) -> None:
        self.post_message(OpenSearch())

    def action_rebuild_index(self) -> None:
        if self.index_state.busy:
            self.notify("The index is already being updated.", markup=False)
        else:
            self.refresh_index(rebuild=True)

    def extra_commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        """Palette commands that have no key (see commands.ReaderActions)."""
        return [
            ("Open article by title", "Fuzzy search over every title (Ctrl+O)", self.action_open_by_title),
            ("Search", "Go to the search screen", self.action_new_search),
            ("Rebuild the index", "Read every article again into a new index", self.action_rebuild_index),
        ]

    # --- the index ----------------------------------------------------------------------------------

    def _set_index_state(self, state: IndexState) -> None:
        self.index_state = state
        for screen in {self.search_screen, self._place_screen}:
            if screen is not None and screen.is_attached:
                screen.index_changed(state)  # type: ignore[attr-defined]

    @work(thread=True, exclusive=True, group="index", exit_on_error=False, description="Updating the index")
    def refresh_index(self, rebuild: bool = False) -> None:
        """Build or update the index if the archive changed (or `rebuild`), showing progress."""
        worker = get_current_worker()
        fresh = self.index.freshness()
        reason = "asked to rebuild" if rebuild else fresh.reason
        if not rebuild and fresh.current:
            self.call_from_thread(self._set_index_state, IndexState("ready"))
            return
        # A missing, damaged (files lost or cut short) or outdated index is built whole.
        building = rebuild or fresh.whole_build
        verb = "Building" if building else "Updating"
        phase = "building" if building else "updating"
        self.call_from_thread(self._set_index_state, IndexState(phase, f"{verb} the index ({reason})…"))

        def progress(done: int, total: int) -> None:
            if worker.is_cancelled:
                raise _Stopped
            self.post_message(IndexProgress(done, total))

        while True:
            try:
                summary = self.index.refresh(rebuild=rebuild, progress=progress, wait=BUSY_WAIT_SECONDS)
                break
            except IndexBusy:
                if worker.is_cancelled:
                    return
                waiting = IndexState("waiting", "Another reader process is updating the index; waiting for it…")
                self.call_from_thread(self._set_index_state, waiting)
            except _Stopped:
                return
        self.call_from_thread(self._refreshed, summary)

    def _refreshed(self, summary: RefreshSummary) -> None:
        self._set_index_state(IndexState("ready", changed=True))
        parts = [f"{summary.total:,} articles indexed"]
        if summary.skipped:
            parts.append(f"{len(summary.skipped):,} files skipped")
        self.notify("Index ready: " + ", ".join(parts) + ".", markup=False)

    @on(IndexProgress)
    def _progress(self, message: IndexProgress) -> None:
        state = self.index_state
        if state.busy:
            self._set_index_state(IndexState(state.phase, state.text, message.done, message.total))

    @on(IndexUnusable)
    def _unusable(self, message: IndexUnusable) -> None:
        if not self.index_state.busy:
            self.refresh_index(rebuild=message.damaged)
        elif message.damaged:
            self._rebuild_wanted = True  # once the refresh under way is done (unless it rebuilt)

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "index" and event.state == WorkerState.SUCCESS and self._rebuild_wanted:
            self._rebuild_wanted = False
            if not self.index_state.changed:  # a screen found it unreadable while it was checked
                self.refresh_index(rebuild=True)
        if event.worker.group == "index" and event.state == WorkerState.ERROR:
            error = event.worker.error
            text = str(error).splitlines()[0] if error is not None and str(error) else type(error).__name__
            self._set_index_state(IndexState("failed", f"The index could not be updated: {text}"))
            self.notify(f"The index could not be updated: {text}", severity="error", markup=False)


def run_tui(index: Library, notices: list[str]) -> int:
    """Run the TUI on `index` (the CLI calls this when `reader` has no subcommand); the exit code."""
    app = ReaderApp(index, notices)
    app.run()
    return app.return_code or 0
