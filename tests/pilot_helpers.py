"""Helpers for the Pilot tests (tests/tui, tests/reliability): wait on a running ReaderApp without
sleeping and hoping, and read what it shows."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot
from textual.widget import Widget


async def settle(pilot: Pilot) -> None:
    """Let every started worker finish and every message it posted be handled."""
    for _ in range(100):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        if not any(worker.is_running for worker in pilot.app.workers):
            return
    raise AssertionError("workers kept running")


async def wait_until(
    pilot: Pilot, condition: Callable[[], bool], timeout: float = 20.0, what: str = "", workers: bool = True
) -> None:
    """Poll `condition` (letting timers, workers and messages run) until it holds; fail after `timeout`.

    `workers=False` does not wait for workers to finish (for tests that hold one on purpose)."""
    loop_time = 0.0
    step = 0.02
    while not condition():
        if loop_time > timeout:
            raise AssertionError(f"timed out waiting for {what or condition}")
        await pilot.pause(step)
        if workers:
            await pilot.app.workers.wait_for_complete()
        loop_time += step
    if workers:
        await settle(pilot)


def lines_of(widget: Widget) -> list[str]:
    """What a Line API widget draws now, one string a line (a scrolling one: the lines in view)."""
    height = widget.scrollable_content_region.height if widget.is_scrollable else widget.size.height
    return [widget.render_line(y).text.rstrip() for y in range(height)]


def copy_index(built: tuple[Path, Path], target: Path) -> Path:
    """A copy of the session's index folder (for tests that damage or refresh an index)."""
    shutil.copytree(built[1], target)
    return target


def text_of(widget: Widget) -> str:
    """The plain text a Static (or any widget with `content`) shows."""
    content = getattr(widget, "content", None)
    plain = getattr(content, "plain", None)
    return plain if isinstance(plain, str) else str(content or "")


def screen_lines(pilot: Pilot) -> list[str]:  # type: ignore[type-arg]
    """Everything on the terminal now, one string a row: what a user sees."""
    return [strip.text for strip in pilot.app.screen._compositor.render_strips()]


def terminal_output(pilot: Pilot) -> str:  # type: ignore[type-arg]
    """What Textual would write to the terminal to draw the whole screen now, escape sequences
    and all (its own: cursor moves and colours)."""
    app = pilot.app
    return app.screen._compositor.render_full_update().render_segments(app.console)
