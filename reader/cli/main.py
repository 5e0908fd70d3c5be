"""The `reader` command line: a thin layer over the core that prints with Rich, plain text when
piped, or JSON for scripts (reader/cli/output.py). Errors a user can cause end in one line on
stderr and a non-zero exit. A command imports what it uses, when it uses it: the start of
`reader search WORD` is most of its time.
"""

from __future__ import annotations

import gc
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, cast

from reader import __version__
from reader.cli import output
from reader.cli.fresh import ensure_fresh, fresh_then, refresh, summary_line
from reader.core.archive import ArchiveError
from reader.core.article import SkippedFile, safe_line, safe_text
from reader.core.engine import EngineError, engine_scheme
from reader.core.types import (
    REBUILD_HINT,
    IndexBusy,
    IndexDamaged,
    IndexLocationError,
    IndexMissing,
    RefreshInterrupted,
)

if TYPE_CHECKING:
    import argparse

    from rich.console import Console
    from rich.text import Text

    from reader.core.config import Config
    from reader.core.library import Library

EXIT_OK = 0
EXIT_NOT_FOUND = 1
EXIT_USAGE = 2


class UserError(Exception):
    """Something the user can fix; printed as one line, exit status `code`."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


_COMMAND_NAMES = ("index", "search", "show", "links", "bookmarks", "config")
# Options of `reader` itself that take a value (to find the command without building every parser).
_VALUED = ("--archive", "--index", "--engine", "--config")


def command_named(argv: Sequence[str]) -> str | None:
    """The command `argv` names (the first word that is not an option or an option's value), when
    it is one of reader's; else None (then every command's parser is built, for help and errors)."""
    words = iter(argv)
    for word in words:
        if word == "--":
            word = next(words, "")
            return word if word in _COMMAND_NAMES else None
        if word.startswith("--") and "=" not in word and any(name.startswith(word) for name in _VALUED):
            next(words, None)  # its value (argparse takes `--arch DIR` for --archive too)
        elif not word.startswith("-"):
            return word if word in _COMMAND_NAMES else None
    return None


def plain_search(argv: Sequence[str]) -> argparse.Namespace | None:
    """The arguments of a plain search, `reader [--archive DIR] [--index DIR] [--engine URL]
    [--config FILE] search WORD... [--limit N] [--json]`, read as argparse reads them, without
    argparse (its import, gettext's and the parser's making were a thirtieth of such a search);
    None for any other command line, and for anything argparse would read another way or refuse
    (abbreviations, `--opt=value`, a value or word starting with "-", an option given twice, an
    option between words, a bad limit): `build_parser` reads those, with argparse's own errors."""
    values: dict[str, str] = {}
    position = 0
    while position < len(argv) and argv[position] in _VALUED:
        option = argv[position]
        if option in values or position + 1 == len(argv) or argv[position + 1].startswith("-"):
            return None
        values[option] = argv[position + 1]
        position += 2
    if position == len(argv) or argv[position] != "search":
        return None
    rest = argv[position + 1 :]
    words = 0
    while words < len(rest) and not rest[words].startswith("-"):
        words += 1
    if not words:
        return None
    limit, as_json = 10, False
    options = rest[words:]
    while options:
        if options[0] == "--json" and not as_json:
            as_json, options = True, options[1:]
        elif options[0] == "--limit" and "--limit" not in values and len(options) > 1 and not options[1].startswith("-"):
            try:
                limit = int(options[1])  # as _positive reads it (int() takes " 3" and "1_0" too)
            except ValueError:
                return None
            if limit < 1:
                return None
            values["--limit"] = options[1]
            options = options[2:]
        else:
            return None
    archive, index = values.get("--archive"), values.get("--index")
    return cast("argparse.Namespace", SimpleNamespace(
        archive=Path(archive) if archive is not None else None, index=Path(index) if index is not None else None,
        engine=values.get("--engine"), config=values.get("--config"), command="search",
        query=list(rest[:words]), limit=limit, json=as_json,
    ))


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """reader's arguments; with `only`, that command's alone (each of the others cost as much to
    build as parsing took: a command line that names one has no use for them)."""
    import argparse  # only for what `plain_search` does not read

    parser = argparse.ArgumentParser(
        prog="reader",
        description="Read, search and follow the links of an archive of stored articles. "
        "Without a command, opens the terminal reader.",
    )
    parser.add_argument("--version", action="version", version=f"reader {__version__}")
    parser.add_argument(
        "--archive",
        type=Path,
        metavar="DIR",
        help="the archive folder (default: $READER_ARCHIVE, else the bundled sample archive)",
    )
    parser.add_argument(
        "--index",
        type=Path,
        metavar="DIR",
        help="where the index is kept (default: $READER_INDEX, else a folder per archive)",
    )
    parser.add_argument(
        "--engine",
        metavar="URL",
        help="the search engine: postgresql://USER@HOST/DB for a shared archive (default: $READER_ENGINE, "
        "else the embedded Whoosh index)",
    )
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="the config file (default: $READER_CONFIG, else config.toml in the platform's config folder)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    if only in (None, "index"):
        index = commands.add_parser("index", help="build or refresh the index", description="Index "
            "the archive: only added, changed and removed files are read, unless --rebuild.")
        index.add_argument("--rebuild", action="store_true", help="start over (into a new folder, then swapped in)")
        index.add_argument("--json", action="store_true", help="print the summary as JSON")
        index.add_argument("--watch", action="store_true",
                           help="then keep refreshing as files change in the archive, until Ctrl+C")
    if only in (None, "search"):
        search = commands.add_parser("search", help="search the archive", description="Search with "
            'Whoosh\'s query language: words (all must match), AND/OR/NOT, "phrases", prefix*, fuzzy~, '
            "title:word, id:…")
        search.add_argument("query", nargs="+", help="the query (several words are joined)")
        search.add_argument("--limit", type=_positive, default=10, metavar="N", help="results to show (default 10)")
        search.add_argument("--json", action="store_true", help="print results as JSON")
    if only in (None, "show"):
        show = commands.add_parser("show", help="print an article with its links and backlinks",
            description="Print an article by id or by title, with each link's resolution and its backlinks.")
        show.add_argument("article", metavar="ID-or-TITLE")
        show.add_argument("--json", action="store_true", help="print as JSON")
    if only in (None, "links"):
        links = commands.add_parser("links", help="report every link of the archive and where it leads",
            description="Every link of every article, resolved against the stored titles.")
        links.add_argument("--dangling", action="store_true", help="only links to stories not in the archive")
        links.add_argument("--json", action="store_true", help="print as JSON")
    if only in (None, "bookmarks"):
        bookmarks = commands.add_parser("bookmarks", help="print the bookmarked articles",
            description="The articles bookmarked in the reader (m in an article), the most recent first.")
        bookmarks.add_argument("--json", action="store_true", help="print as JSON")
    if only in (None, "config"):
        config = commands.add_parser("config", help="print the config file's path and the settings in force",
            description="Where the config file is (--config FILE or $READER_CONFIG choose another) and what it sets.")
        config.add_argument("--json", action="store_true", help="print as JSON")
    return parser


def _positive(value: str) -> int:
    import argparse  # imported already: only build_parser's parsers call this

    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def main(argv: Sequence[str] | None = None, tui: Callable[..., int] | None = None) -> int:
    """Run `reader` with `argv`; without a command, hand the opened library to `tui` (the TUI's
    runner, given by reader.__main__: the command line never imports the TUI)."""
    words = sys.argv[1:] if argv is None else list(argv)
    args = plain_search(words) or build_parser(command_named(words)).parse_args(words)
    if args.command in (None, "index"):
        gc.enable()  # reader.__main__ turns it off for short commands; these run long
    out, err = output.consoles()
    try:
        from reader.core.library import open_archive

        config = _load_config(args, err)
        if args.command == "config":
            return cmd_config(config, args, out)
        # The config's archive is the default of last resort: --archive and $READER_ARCHIVE come first.
        archive = args.archive if args.archive is not None or os.environ.get("READER_ARCHIVE") else config.archive
        engine = args.engine or os.environ.get("READER_ENGINE") or config.engine
        index = open_archive(archive, args.index, engine or None)
        args.embedded = engine_scheme(engine or None) == "whoosh"
        notices = index.notices
        for notice in notices:
            output.say(err, f"reader: {safe_line(notice)}", style="yellow")
        if args.command is None:
            if tui is None:
                raise UserError("no command given; see reader --help")
            return tui(index, notices, config)
        command: Callable[[Library, argparse.Namespace, Console, Console], int] = COMMANDS[args.command]
        try:
            return command(index, args, out, err)
        except IndexDamaged as error:
            # Whoosh could not read the index after all (its files were damaged in a way their
            # sizes do not show): say so in one line, rebuild it once and answer from the new one.
            detail = str(error).removesuffix(REBUILD_HINT)
            output.say(err, f"reader: {safe_line(detail)}; rebuilding it", style="yellow")
            refresh(index, err, rebuild=True)
            return command(index, args, out, err)
    except UserError as error:
        output.say(err, f"reader: {safe_line(str(error))}", style="red")
        return error.code
    except (ArchiveError, EngineError, IndexLocationError, IndexBusy, IndexDamaged, IndexMissing) as error:
        output.say(err, f"reader: {safe_line(str(error))}", style="red")
        return EXIT_USAGE
    except RefreshInterrupted as stopped:  # a first build's first batch was published before Ctrl+C
        err.print(output.line(f"reader: interrupted; {stopped.indexed:,} of {stopped.total:,} files are indexed, "
                       "`reader index` adds the rest", style="red"))
        return 130
    except KeyboardInterrupt:
        # Every write is committed whole or cancelled (its sub-writer processes ignore Ctrl+C).
        output.say(err, "reader: interrupted; the index is as it was", style="red")
        return 130
    except BrokenPipeError:
        # The reader of our output went away (`reader links | head`): not an error.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


# --- index ----------------------------------------------------------------------------------------


def cmd_index(index: Library, args: argparse.Namespace, out: Console, err: Console) -> int:
    started = time.perf_counter()
    summary = refresh(index, err, rebuild=args.rebuild)
    seconds = time.perf_counter() - started
    if args.json:
        output.print_json(out, {
            "indexed": summary.indexed, "unchanged": summary.unchanged, "touched": summary.touched, "removed": summary.removed,
            "skipped": summary.skipped, "warnings": {k: list(v) for k, v in summary.warnings.items()},
            "rebuilt": summary.rebuilt, "total": summary.total, "seconds": round(seconds, 3),
            "index": index.location,
        })
        return EXIT_OK
    how = f"rebuilt ({summary.rebuild_reason})" if summary.rebuilt else "refreshed"
    output.say(out, f"Index {how} in {seconds:.1f} s: {summary_line(summary)}; "
                    f"{summary.total:,} articles in {index.location}")
    for name, reason in sorted(summary.skipped.items()):
        output.say(out, f"  skipped {safe_line(name)}: {reason}", style="yellow")
    for name, warnings in sorted(summary.warnings.items()):
        for warning in warnings:
            output.say(out, f"  warning {safe_line(name)}: {warning}", style="yellow")
    if args.watch and index.archive is not None:
        from reader.cli.watching import watch_index

        return watch_index(index.archive, output.made(out), output.made(err), lambda: refresh(index, err), summary_line)
    return EXIT_OK


# --- search ---------------------------------------------------------------------------------------


def cmd_search(index: Library, args: argparse.Namespace, out: Console, err: Console) -> int:
    text = " ".join(args.query)
    page = fresh_then(index, getattr(args, "embedded", False), err, lambda: index.search(text, limit=args.limit, snippets=args.limit))
    if page.error:
        raise UserError(f"bad query: {page.error}")
    if args.json:
        rows = [
            {"id": hit.id, "title": hit.title, "score": round(hit.score, 4), "path": str(index.archive / hit.path) if index.archive else hit.path,
             "snippet": hit.snippet.text if hit.snippet else "",
             "highlights": [list(span) for span in hit.snippet.spans] if hit.snippet else []}
            for hit in page.hits
        ]
        output.print_json(out, rows)
    else:
        count = f"about {page.total:,}" if page.total_is_estimate else f"{page.total:,}"  # an estimate is within 25%
        output.say(out, f"{count} match{'es' if page.total != 1 else ''} for {safe_line(text)}", style="bold")
        styled = output.is_terminal(out)
        for hit in page.hits:
            output.print_line(out, [(hit.title, "bold cyan"), (f"  {hit.id}  ", "dim"), (f"{hit.score:.2f}", "dim")])
            if hit.snippet and hit.snippet.text:
                output.print_line(out, [("    ", ""), *output.marked_pieces(hit.snippet.text, hit.snippet.spans, styled)])
    if not page.hits and page.suggestion:
        output.say(err, f"Did you mean: {safe_text(page.suggestion)}", style="yellow")
    return EXIT_OK


# --- show -----------------------------------------------------------------------------------------


def cmd_show(index: Library, args: argparse.Namespace, out: Console, err: Console) -> int:
    from rich.text import Text  # Rich is imported only when something is printed

    ensure_fresh(index, err)
    ids = index.find(args.article)
    if not ids:
        raise UserError(f"no article with id or title {safe_text(args.article)!r}", EXIT_NOT_FOUND)
    if len(ids) > 1 and not args.json:
        err.print(Text(f"reader: {len(ids)} articles have that title; showing {ids[0]} (also: {', '.join(ids[1:])})", style="yellow"))
    try:
        article = index.read(ids[0])
    except SkippedFile as skip:
        raise UserError(f"cannot read article {ids[0]}: {skip.reason}", EXIT_NOT_FOUND) from None
    resolved = index.links(article)
    backlinks = index.backlinks(article.id)
    titles = index.titles()
    if args.json:
        output.print_json(out, {
            "id": article.id, "title": article.title, "path": str(article.path),
            "blocks": [{"kind": b.kind, "text": b.text, "items": list(b.items)} for b in article.blocks],
            "links": [{"section": link.section, "text": link.text, "targets": list(res.targets),
                       "approximate": res.approximate} for link, res in resolved],
            "backlinks": backlinks,
            "warnings": list(article.warnings),
        })
        return EXIT_OK
    out.print(Text(article.title, style="bold"))
    out.print(Text(f"{article.id}  {safe_line(str(article.path))}", style="dim"))
    for block in article.blocks:
        out.print()
        if block.kind == "heading":
            out.print(Text(block.text, style="bold underline"))
        elif block.kind == "list":
            for item in block.items:
                out.print(Text("  • ") + Text(item))
        else:
            out.print(Text(block.text))
    section = None
    for number, (link, res) in enumerate(resolved, 1):
        if link.section != section:
            section = link.section
            out.print()
            out.print(Text(section, style="bold"))
        out.print(Text(f" {number:>2}. ") + Text(link.text) + Text("  ") + _resolution(res, titles, out.is_terminal))
    out.print()
    out.print(Text("Linked from", style="bold"))
    if not backlinks:
        out.print(Text("  no stored article links here", style="dim"))
    for source in backlinks:
        out.print(Text(f"  {source}  ", style="dim") + Text(titles.title_of(source) or ""))
    return EXIT_OK


def _resolution(res: object, titles: object, styled: bool) -> Text:
    from rich.text import Text  # Rich is imported only when something is printed

    targets = res.targets  # type: ignore[attr-defined]
    if not targets:
        return Text("(dangling: not in this archive)", style="red")
    label = "≈ " if res.approximate else "→ "  # type: ignore[attr-defined]
    text = Text(label + ", ".join(targets), style="green" if label == "→ " else "yellow")
    if res.approximate:  # type: ignore[attr-defined]
        text.append(" (approximate)")
    return text


# --- links ----------------------------------------------------------------------------------------


def cmd_links(index: Library, args: argparse.Namespace, out: Console, err: Console) -> int:
    from rich.text import Text  # Rich is imported only when something is printed

    ensure_fresh(index, err)
    every = list(index.link_report())
    rows = [row for row in every if not row.resolution.targets] if args.dangling else every
    if args.json:
        output.print_json(out, [
            {"source": row.source, "section": row.link.section, "text": row.link.text,
             "targets": list(row.resolution.targets), "approximate": row.resolution.approximate}
            for row in rows
        ])
        return EXIT_OK
    # Counted over every link of the archive, also when only the dangling ones are listed.
    resolved = sum(1 for row in every if row.resolution.targets and not row.resolution.approximate)
    approximate = sum(1 for row in every if row.resolution.approximate)
    dangling = sum(1 for row in every if not row.resolution.targets)
    titles = index.titles()
    for row in rows:
        line = Text(f"{row.source}  ", style="dim") + Text(f"{row.link.section}: ") + Text(row.link.text)
        line.append("  ")
        line.append_text(_resolution(row.resolution, titles, out.is_terminal))
        out.print(line)
    summary = (f"{len(every):,} links in the archive: {resolved + approximate:,} resolve "
               f"({approximate:,} of them approximately), {dangling:,} dangle (lead to no stored article)")
    if args.dangling:
        summary += f"; the {dangling:,} dangling ones are listed above" if dangling else "; nothing to list"
    out.print(Text(summary, style="bold"))
    return EXIT_OK


# --- bookmarks and config --------------------------------------------------------------------------


def _load_config(args: argparse.Namespace, err: Console) -> Config:
    """The config file's settings; a bad file is one line on stderr, and the defaults."""
    from reader.core.config import load_config

    config = load_config(args.config)
    if config.problem and args.command != "config":  # `reader config` says it on stdout
        output.say(err, f"reader: {safe_line(config.problem)}", style="yellow")
    return config


def cmd_bookmarks(index: Library, args: argparse.Namespace, out: Console, err: Console) -> int:
    from rich.text import Text  # Rich is imported only when something is printed

    from reader.core.state import ReadingState

    state = ReadingState.for_library(index)
    if state.problem:
        err.print(Text(f"reader: {safe_line(state.problem)}", style="yellow"))
    bookmarks = state.bookmarks
    if args.json:
        output.print_json(out, [
            {"id": b.id, "title": b.title, "added": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(b.added)),
             "read": state.is_read(b.id)}
            for b in bookmarks
        ])
        return EXIT_OK
    if not bookmarks:
        out.print(Text("No bookmarks yet (press m in an article of the reader to add one)."))
        return EXIT_OK
    out.print(Text(f"{len(bookmarks):,} bookmark{'s' if len(bookmarks) != 1 else ''}", style="bold"))
    for b in bookmarks:
        out.print(Text(f"{safe_line(b.id)}  ", style="dim") + Text(safe_line(b.title)))
    return EXIT_OK


def cmd_config(config: Config, args: argparse.Namespace, out: Console) -> int:
    from rich.text import Text  # Rich is imported only when something is printed

    data = config.as_dict()
    if args.json:
        output.print_json(out, data)
        return EXIT_OK
    state = "" if data["exists"] else "  (no such file: the defaults are in force)"
    out.print(Text(f"config file: {safe_line(str(config.path))}{state}", style="bold"))
    if config.problem:
        out.print(Text(f"not used: {safe_line(config.problem)}", style="yellow"))
    for key in ("archive", "theme", "snippet_length", "engine"):
        value = data[key]
        out.print(Text(f"{key} = {safe_line(str(value)) if value is not None else '(default)'}"))
    keymap = config.keymap
    out.print(Text("keymap = " + (", ".join(f"{k}={v}" for k, v in keymap.items()) if keymap else "(default)")))
    return EXIT_OK


COMMANDS: dict[str, Callable[[Library, argparse.Namespace, Console, Console], int]] = {
    "index": cmd_index,
    "search": cmd_search,
    "show": cmd_show,
    "links": cmd_links,
    "bookmarks": cmd_bookmarks,
}
