"""Handing an article to other tools: $PAGER and $EDITOR with the app suspended, the clipboard
(id, title, path, and text selected with the mouse); and the line that tells same-titled articles
apart in the chooser."""

from __future__ import annotations

import os
import shlex
import subprocess
import time
from typing import TYPE_CHECKING

from textual import events
from textual.app import SuspendNotSupported

from reader.core.article import Article, SkippedFile, safe_line

if TYPE_CHECKING:
    from textual.app import App

    from reader.core.library import Library


class HandOffs:
    """The article screen's hand-offs (a mixin of `ArticleScreen`)."""

    # Given by the Screen it is mixed into (declared only for type checkers: a stub here would
    # shadow the Screen's own methods).
    article: Article | None
    if TYPE_CHECKING:
        app: App[int]

        def notify(self, message: str, *, severity: str = "information", markup: bool = True) -> None: ...

        def get_selected_text(self) -> str | None: ...

    def action_pager(self) -> None:
        self._hand_off("PAGER", "less")

    def action_editor(self) -> None:
        self._hand_off("EDITOR", "vi")

    def _hand_off(self, variable: str, fallback: str) -> None:
        """Run $PAGER or $EDITOR on the article's file with the app suspended; back as it was."""
        article = self.article
        if article is None:
            return
        try:
            command = shlex.split(os.environ.get(variable) or fallback) + [str(article.path)]
        except ValueError as error:  # an unclosed quote in the variable
            self.notify(f"${variable} cannot be read: {error}.", severity="error", markup=False)
            return
        try:
            with self.app.suspend():
                subprocess.run(command, check=False)
        except FileNotFoundError:
            self.notify(f"${variable} cannot be run: {command[0]} not found.", severity="error", markup=False)
        except (SuspendNotSupported, OSError) as error:  # a web or headless driver; not executable
            self.notify(f"Cannot open {command[0]} here: {error or type(error).__name__}.", severity="error", markup=False)

    def action_copy(self, what: str) -> None:
        article = self.article
        if article is None:
            return
        text = {"id": article.id, "title": article.title, "path": str(article.path)}[what]
        self.app.copy_to_clipboard(text)
        self.notify(f"Copied the {what}: {safe_line(text)}", markup=False)

    def on_mouse_up(self, event: events.MouseUp) -> None:
        # Selecting body text with the mouse copies it (as a terminal's own selection would).
        self.call_after_refresh(self._copy_selection)

    def _copy_selection(self) -> None:
        text = self.get_selected_text()
        if text:
            self.app.copy_to_clipboard(text)
            self.notify(f"Copied {len(text):,} characters.", markup=False)


def target_detail(index: Library, article_id: str) -> str:
    """What tells one of several same-titled articles apart: its first line and file date."""
    try:
        article = index.read(article_id)
    except SkippedFile:
        return ""
    first = next((block.text or " ".join(block.items) for block in article.blocks), "")
    first = " ".join(first.split())
    if len(first) > 70:
        first = first[:69].rstrip() + "…"
    try:
        when = time.strftime("%Y-%m-%d", time.gmtime(article.path.stat().st_mtime))
    except OSError:
        when = ""
    # The date first: a narrow dialog cuts the end of the line.
    return " · ".join(part for part in (when, f"“{first}”" if first else "") if part)
