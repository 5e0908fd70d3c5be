"""The reader TUI: the App, its history of places, and the worker that keeps the index fresh.

A thin layer over the core (`reader.core.library.Library`): screens ask the index from thread
workers and show what comes back; nothing here parses articles or touches Whoosh.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen, Screen
from textual.theme import Theme
from textual.widgets import Input
from textual.worker import Worker, WorkerState, get_current_worker

from reader.core.config import Config, ConfigError, save_setting
from reader.core.history import ArticlePlace, History, Place, SearchPlace
from reader.core.progress import ProgressModel, changes_text
from reader.core.state import ReadingState
from reader.core.types import (
    EngineUnavailable,
    IndexBusy,
    IndexDamaged,
    IndexMissing,
    ProgressReport,
    RefreshSummary,
)
from reader.tui.messages import (
    IndexProgress,
    IndexState,
    IndexUnusable,
    OpenArticle,
    OpenSearch,
)
from reader.tui.reconnecting import Reconnector
from reader.tui.screens.search import SearchScreen
from reader.tui.watching import ArchiveWatch

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
        # Ctrl+Q quits too, always (Textual's own priority binding); `q` where no text box has focus.
        Binding("q,ctrl+q", "quit", "Quit", id="reader.quit"),
        Binding("escape,backspace,h,alt+left", "go_back", "Back", id="reader.back"),
        Binding("l,alt+right", "go_forward", "Forward", show=False, id="reader.forward"),
        Binding("question_mark,f1", "toggle_keys", "Keys", id="reader.keys"),
        Binding("B,ctrl+b", "bookmarks", "Bookmarks", show=False, id="reader.bookmarks"),
        Binding("ctrl+o", "open_by_title", "Open article by title", show=False, id="reader.open_by_title"),
    ]

    def __init__(
        self,
        index: Library,
        notices: Iterable[str] = (),
        config: Config | None = None,
        state: ReadingState | None = None,
        watch: bool = False,
    ) -> None:
        super().__init__()
        self.index = index
        self.notices = list(notices)
        self.config = config or Config()
        """The settings in force (the defaults when there is no config file)."""
        self.state = state or ReadingState()
        """Read marks, bookmarks, positions and the recent list (in memory only when not given)."""
        self.history: History[Place] = History()
        self.index_state = IndexState("checking")
        self.search_screen: SearchScreen | None = None
        self._place_screen: Screen[None] | None = None
        self._rebuild_wanted = False
        self._refreshed_once = False
        """A refresh has ended since launch: later updates are told of in the status line, not a toast."""
        self._last_change = ("", 0.0)
        """What the last quiet update changed and when (monotonic): kept across checks that find nothing."""
        self.archive_watch = ArchiveWatch(self, index.archive, lambda: self.refresh_index(watched=True)) if watch else None
        """With `watch`: refresh the index as files change in the archive folder."""
        self.reconnector = Reconnector(self, index.freshness, self._set_index_state)
        """Asks a shared archive's lost server again until it answers."""
        self._index_threads = 0
        self._index_idle = threading.Condition()
        """Counts the index workers' threads still running (a cancelled one runs on to its next report)."""

    @property
    def recent(self) -> list[str]:
        """Recently opened article ids, most recent first (kept in the reading state)."""
        return self.state.recent

    def _apply_config(self) -> None:
        config = self.config
        if config.problem:
            self.notices.append(config.problem)
        if config.keymap:
            self.set_keymap(config.keymap)
        if config.theme:
            if config.theme in self.available_themes:
                self.theme = config.theme
            else:
                self.notices.append(f"config {config.path}: theme {config.theme!r} is not a theme; using the default")
        if self.state.problem:
            self.notices.append(self.state.problem)
        self.theme_changed_signal.subscribe(self, self._theme_changed)

    def _theme_changed(self, theme: Theme) -> None:
        """A theme chosen in the app is saved in the config file (unless that file has to be mended)."""
        config = self.config
        if config.path is None or config.problem or theme.name == config.theme:
            return
        try:
            save_setting(config.path, "theme", theme.name)
        except (ConfigError, OSError) as error:
            self.notify(f"The theme could not be saved in {config.path}: {error}", severity="warning", markup=False)
            return
        self.config = replace(config, theme=theme.name)

    def get_key_display(self, binding: Binding) -> str:
        """The first key of one of reader's app-wide bindings (as remapped by the keymap); while a
        text box has focus, where a printable key types (`?`, `q`), its first other key (F1, ^q)."""
        # Textual hands over one key of a "q,ctrl+q" binding, in no set order: look the rest up.
        keys_text = getattr(self, "_keymap", {}).get(binding.id or "") or _APP_KEYS.get(binding.id or "")
        if keys_text and binding.key_display is None:
            keys = [key.strip() for key in keys_text.split(",") if key.strip()]
            if keys:
                wanted = keys[0]
                if isinstance(self.focused, Input):
                    wanted = next((key for key in keys if not _printable(key)), wanted)
                return super().get_key_display(replace(binding, key=wanted))
        return super().get_key_display(binding)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("go_back", "go_forward") and self._overlay_open():
            return False  # the bookmarks screen (above the place) closes with its own Esc
        if action == "go_back":
            return True if self.history.can_go_back else None  # None: shown, dimmed
        if action == "go_forward":
            return True if self.history.can_go_forward else None
        return True

    def on_mount(self) -> None:
        self._apply_config()
        self.search_screen = SearchScreen(self.index, self.state, self.config.snippet_length)
        self.install_screen(self.search_screen, "search")
        self.history.visit(SearchPlace())
        self._place_screen = self.search_screen
        self.push_screen(self.search_screen)
        for notice in self.notices:
            self.notify(notice, severity="warning", timeout=10, markup=False)
        # Nothing touches the index before the first screen is painted.
        self.call_after_refresh(self.refresh_index)
        if self.archive_watch is not None:
            self.call_after_refresh(self.archive_watch.start)

    # --- history ------------------------------------------------------------------------------------

    @on(OpenArticle)
    def _open_article(self, message: OpenArticle) -> None:
        self.navigate(ArticlePlace(message.article_id, message.terms, self._resume(message.article_id, message.terms), message.notice))

    def _resume(self, article_id: str, terms: tuple[str, ...] = ()) -> float:
        # Where the reader left the article last time; a search leads to its hits instead.
        return 0.0 if terms else self.state.position(article_id)

    @on(OpenSearch)
    def _open_search(self, message: OpenSearch) -> None:
        if message.query is None and self.search_screen is not None:
            self.navigate(self.search_screen.place())  # the search as it was last left
        else:
            self.navigate(SearchPlace(message.query or ""))

    def open_article(self, article_id: str) -> None:
        """Show an article (the command palette's titles call this)."""
        self.navigate(ArticlePlace(article_id, (), self._resume(article_id)))

    def navigate(self, place: Place) -> None:
        """Go to a new place; the one we leave is remembered as it is now."""
        self._remember()
        self.history.visit(place)
        self._show(place)

    def _remember(self) -> None:
        screen = self._place_screen
        if screen is not None and screen.is_attached:
            place = screen.place()  # type: ignore[attr-defined]
            self.history.replace(place)
            if isinstance(place, ArticlePlace):
                self.state.set_position(place.article_id, place.scroll_y)
                self.state.save()

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

            screen = ArticleScreen(self.index, place, self.index_state, self.state)
            self.state.add_recent(place.article_id)
            self.state.mark_read(place.article_id)
            self.state.save()
        self._place_screen = screen
        self.switch_screen(screen)
        if isinstance(screen, SearchScreen):
            screen.query_one("#query").focus()
        self.refresh_bindings()

    def _overlay_open(self) -> bool:
        from reader.tui.screens.bookmarks import BookmarksScreen

        return isinstance(self.screen, BookmarksScreen)

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

    async def action_quit(self) -> None:
        """Leave, remembering where the open article was read to."""
        self._remember()
        self.state.save()
        self.exit()

    def action_bookmarks(self) -> None:
        from reader.tui.screens.bookmarks import BookmarksScreen

        if isinstance(self.screen, BookmarksScreen):
            return
        try:
            table = self.index.titles()
            titles = {b.id: table.title_of(b.id) or b.title for b in self.state.bookmarks}
        except (IndexMissing, IndexDamaged):  # no usable index yet: the titles saved with the bookmarks
            titles = {}
        self.push_screen(BookmarksScreen(self.state, titles))

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
            ("Bookmarks", "The bookmarked articles (Ctrl+B)", self.action_bookmarks),
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
    def refresh_index(self, rebuild: bool = False, watched: bool = False) -> None:
        """Build or update the index if the archive changed (or `rebuild`), showing progress.
        `watched`: the watcher saw a change; the refresh looks at once and the line says
        "Updating" only if it finds work (a separate check first was a second scan of the
        archive, half a second at 100k files, for each change)."""
        with self._index_idle:
            self._index_threads += 1
        try:
            self._refresh_index(rebuild, watched)
        finally:
            with self._index_idle:
                self._index_threads -= 1
                self._index_idle.notify_all()

    def index_idle(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for the index workers' threads to end; whether they did."""
        with self._index_idle:
            return self._index_idle.wait_for(lambda: self._index_threads == 0, timeout)

    def _refresh_index(self, rebuild: bool, watched: bool) -> None:
        worker = get_current_worker()
        announced = not watched

        model = ProgressModel()  # in this thread: its clock times the engine's reports

        def progress(report: ProgressReport) -> None:
            nonlocal announced
            if worker.is_cancelled:
                raise _Stopped
            if not announced:
                announced = True
                self.call_from_thread(self._set_index_state, IndexState("updating", "Updating the index (the archive changed)…"))
            model.update(report)
            self.post_message(IndexProgress(report.done, report.total, model.line(), report.searchable))

        if watched and not rebuild:
            self._refresh_until_done(rebuild, progress, worker)
            return
        fresh = self.index.freshness()
        reason = "asked to rebuild" if rebuild else fresh.reason
        if not rebuild and fresh.current:
            self._refreshed_once = True
            self.call_from_thread(self._set_index_state, self._ready_state())
            return
        # A missing, damaged (files lost or cut short) or outdated index is built whole.
        building = rebuild or fresh.whole_build
        verb = "Building" if building else "Updating"
        phase = "building" if building else "updating"
        self.call_from_thread(self._set_index_state, IndexState(phase, f"{verb} the index ({reason})…"))
        self._refresh_until_done(rebuild, progress, worker)

    def _refresh_until_done(self, rebuild: bool, progress: Callable[[ProgressReport], None], worker: Worker[None]) -> None:
        """The refresh of the worker `refresh_index`, waiting for another process's writer."""
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
        first, self._refreshed_once = not self._refreshed_once, True
        self.call_from_thread(self._refreshed, summary, first)

    def _ready_state(self, changed: bool = False) -> IndexState:
        text, since = self._last_change
        return IndexState("ready", text, changed=changed, since=since)

    def _refreshed(self, summary: RefreshSummary, first: bool = True) -> None:
        if not first and not summary.rebuilt:
            # A watched change (or a file seen to change): a toast after each would be noise.
            if summary.changed:
                self._last_change = (changes_text(summary), time.monotonic())
            self._set_index_state(self._ready_state(changed=summary.changed))
            return
        self._last_change = ("", 0.0)
        self._set_index_state(IndexState("ready", changed=True))
        parts = [f"{summary.total:,} {'article' if summary.total == 1 else 'articles'} indexed"]
        if summary.skipped:
            skipped = len(summary.skipped)
            parts.append(f"{skipped:,} {'file' if skipped == 1 else 'files'} skipped")
        if summary.touched:  # a corpus copied again: say why it took a second, not minutes
            parts.append(f"{summary.touched:,} with only a new time, not read again")
        self.notify("Index ready: " + ", ".join(parts) + ".", markup=False)

    @on(IndexProgress)
    def _progress(self, message: IndexProgress) -> None:
        state = self.index_state
        if state.busy:
            if message.searchable and not state.searchable:
                # A big first build published its first batch: screens search it now ("results so
                # far"), and again when the build is done.
                self._set_index_state(IndexState("ready", changed=True))
            self._set_index_state(IndexState(state.phase, state.text, message.done, message.total,
                                             detail=message.detail, searchable=message.searchable))

    @on(IndexUnusable)
    def _unusable(self, message: IndexUnusable) -> None:
        if message.unreachable:  # a shared archive's server: nothing to build, ask again later
            self.reconnector.lost(message.reason)
            return
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
            if isinstance(error, EngineUnavailable):
                self.reconnector.lost(text)
                return
            self._set_index_state(IndexState("failed", f"The index could not be updated: {text}"))
            self.notify(f"The index could not be updated: {text}", severity="error", markup=False)
        if event.worker.group == "index" and event.worker.is_finished and self.archive_watch is not None:
            self.archive_watch.refresh_ended()


# Keys that name no printable character: they never type into a text box.
_NAMED_KEYS = frozenset(
    ["escape", "enter", "tab", "backspace", "delete", "insert", "home", "end", "pageup", "pagedown", "up", "down",
     "left", "right"]
)


# The keys of the app's own bindings as written (the first is the one the Footer shows).
_APP_KEYS = {
    binding.id: binding.key for binding in ReaderApp.BINDINGS if isinstance(binding, Binding) and binding.id
}


def _printable(key: str) -> bool:
    if "+" in key or key in _NAMED_KEYS:
        return False
    return not (key.startswith("f") and key[1:].isdigit())
