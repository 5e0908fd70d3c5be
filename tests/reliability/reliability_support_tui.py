"""Waiting on a running ReaderApp in the reliability tests (Pilot), without sleeping and hoping."""

from __future__ import annotations

from collections.abc import Callable

from textual.pilot import Pilot
from textual.widget import Widget


async def settle(pilot: Pilot) -> None:  # type: ignore[type-arg]
    """Let every started worker finish and every message it posted be handled."""
    for _ in range(100):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        if not any(worker.is_running for worker in pilot.app.workers):
            return
    raise AssertionError("workers kept running")


async def wait_until(
    pilot: Pilot, condition: Callable[[], bool], timeout: float = 20.0, what: str = "", workers: bool = True  # type: ignore[type-arg]
) -> None:
    """Poll `condition`, letting timers, workers and messages run, until it holds."""
    waited = 0.0
    while not condition():
        if waited > timeout:
            raise AssertionError(f"timed out waiting for {what or condition}")
        await pilot.pause(0.02)
        if workers:
            await pilot.app.workers.wait_for_complete()
        waited += 0.02
    if workers:
        await settle(pilot)


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
