"""Runs the real `reader` command (reader.__main__.main, as the console script does) with its TUI
headless, for two measurements:

    python -m benchmarks.tui_probe start   --archive A --index I
    python -m benchmarks.tui_probe session --archive A --index I

`start` exits at the first painted screen and prints {"first_paint_s": ..., "wall_to_paint_s": ...}:
seconds from this process's start (from the launcher's clock when it sets READER_PROBE_T0 just
before spawning) to the moment the first frame was composed and turned into what a terminal would
be sent. `session` drives the app with keys as a user would: type a query letter by letter, open
the first hit, follow the article's first link (or a "more like this" one), go back, go back
again; it prints {"ok": true, "maxrss_mb": ..., "steps": [...]}.

Only Textual's `App.run` (headless, with an autopilot) and `App._display` (to see the first frame)
are wrapped; everything else is the product as it ships.
"""

from __future__ import annotations

import time

_STARTED = time.time()

import argparse
import json
import os
import resource
import sys
from collections.abc import Awaitable, Callable
from typing import Any

SIZE = (120, 40)


def _t0() -> float:
    try:
        return float(os.environ["READER_PROBE_T0"])
    except (KeyError, ValueError):
        return _STARTED


def _maxrss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024  # Linux reports KiB


def _patch_app(on_paint: Callable[[Any], None] | None, auto_pilot: Callable[[Any], Awaitable[None]] | None) -> None:
    from textual.app import App

    original_run = App.run
    original_display = App._display

    def run(self: Any, *args: Any, **kwargs: Any) -> Any:
        kwargs["headless"] = True
        kwargs.setdefault("size", SIZE)
        if auto_pilot is not None:
            kwargs["auto_pilot"] = auto_pilot
        return original_run(self, *args, **kwargs)

    def display(self: Any, screen: Any, renderable: Any) -> None:
        original_display(self, screen, renderable)
        if on_paint is not None and renderable is not None and not self._batch_count and self._running:
            try:  # what a real terminal would be sent (skipped when headless)
                renderable.render_segments(self.console)
            except Exception:  # noqa: BLE001, S110 - headless, there may be nothing to send it to
                pass
            on_paint(self)

    App.run = run  # type: ignore[method-assign]
    App._display = display  # type: ignore[method-assign]


def start(archive: str, index: str) -> int:
    painted: dict[str, float] = {}

    def on_paint(app: Any) -> None:
        if not painted:
            painted["at"] = time.time()
            usage = resource.getrusage(resource.RUSAGE_SELF)
            painted["cpu"] = usage.ru_utime + usage.ru_stime
            app.exit(0)

    _patch_app(on_paint, None)
    from reader.__main__ import main

    code = main(["--archive", archive, "--index", index])
    if not painted:
        print(json.dumps({"error": f"the app ended (exit {code}) without painting"}))
        return 1
    print(json.dumps({"first_paint_s": painted["at"] - _STARTED, "wall_to_paint_s": painted["at"] - _t0(),
                      "cpu_to_paint_s": painted["cpu"], "exit_s": time.time() - _t0()}))
    return 0


async def _wait(pilot: Any, condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await pilot.pause(0.05)


def session(archive: str, index: str, query: str) -> int:
    steps: list[dict[str, object]] = []
    report: dict[str, object] = {"ok": False, "steps": steps}

    def step(name: str, began: float) -> None:
        steps.append({"step": name, "seconds": round(time.monotonic() - began, 3), "maxrss_mb": round(_maxrss_mb(), 1)})

    async def drive(pilot: Any) -> None:
        app = pilot.app
        try:
            began = time.monotonic()
            await _wait(pilot, lambda: getattr(app, "index_state", None) is None or
                        getattr(app.index_state, "phase", "ready") in ("ready", "failed"), 600, "the index")
            step("index ready", began)

            began = time.monotonic()
            for char in query:
                await pilot.press(char if char != " " else "space")
            screen = app.screen
            await _wait(pilot, lambda: getattr(screen, "_shown_query", query) == query, 60, "the results")
            await pilot.pause(0.2)
            step(f"typed {query!r}", began)

            began = time.monotonic()
            search_screen = app.screen
            await pilot.press("enter")
            await _wait(pilot, lambda: app.screen is not search_screen and getattr(app.screen, "article", None) is not None,
                        60, "the article")
            await _wait(pilot, lambda: getattr(app.screen, "_related_done", True), 60, "backlinks and more like this")
            await pilot.pause(0.2)
            first = app.screen
            step(f"opened {getattr(first.article, 'id', '?')}", began)

            began = time.monotonic()
            links = [item for item in getattr(first, "_numbered", []) if item.is_attached]
            backs = 1
            if links:
                await pilot.press("1")
                await _wait(pilot, lambda: app.screen is not first, 60, "the followed link")
                await pilot.pause(0.3)
                if getattr(app.screen, "article", None) is None and app.screen.is_modal:
                    await pilot.press("enter")  # a chooser (several targets) or a "search for it?" offer
                    await pilot.pause(0.3)
                await _wait(pilot, lambda: getattr(app.screen, "article", None) is not None or
                            type(app.screen).__name__ == "SearchScreen", 60, "the linked article")
                await pilot.pause(0.3)
                step(f"followed link 1 to {getattr(getattr(app.screen, 'article', None), 'id', type(app.screen).__name__)}", began)
                backs = 2
            else:
                step("the article has no link to follow", began)

            for _ in range(backs):
                began = time.monotonic()
                before = app.screen
                await pilot.press("escape")
                await _wait(pilot, lambda before=before: app.screen is not before, 30, "going back")
                await pilot.pause(0.2)
                step(f"back to {type(app.screen).__name__}", began)
            report["ok"] = True
        except Exception as error:  # noqa: BLE001 - reported, not raised: the launcher shows it as "n/a"
            report["error"] = f"{type(error).__name__}: {error}"
        finally:
            app.exit(0)

    _patch_app(None, drive)
    from reader.__main__ import main

    main(["--archive", archive, "--index", index])
    report["maxrss_mb"] = round(_maxrss_mb(), 1)
    print(json.dumps(report))
    return 0 if report["ok"] else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("start", "session"))
    parser.add_argument("--archive", required=True)
    parser.add_argument("--index", required=True)
    parser.add_argument("--query", default="report", help="what the session types")
    args = parser.parse_args(argv)
    if args.mode == "start":
        return start(args.archive, args.index)
    return session(args.archive, args.index, args.query)


if __name__ == "__main__":
    sys.exit(main())
