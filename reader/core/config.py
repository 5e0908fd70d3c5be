"""The config file: a small TOML file in the platform's config folder (`--config FILE` or
`$READER_CONFIG` choose another), read with the standard library's `tomllib` (imported only when there is a file).

    archive = "~/news"              # the archive opened when no --archive / $READER_ARCHIVE is given
    theme = "nord"                  # a Textual theme; the app saves the one chosen in it here
    snippet_length = 120            # characters of snippet shown under a search result
    engine = "postgresql://reader@db/news"   # a shared archive, when no --engine / $READER_ENGINE

    [keymap]                        # binding id = keys, handed to Textual's App.set_keymap
    "reader.quit" = "q,ctrl+q"

A bad file is one clear line naming the key and the line, and reader goes on with the defaults.
Pure: no Textual.
"""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from reader.core.engine import EngineError, engine_scheme, without_password

CONFIG_ENV = "READER_CONFIG"
KEYS = ("archive", "theme", "snippet_length", "engine", "keymap")
# Longer snippets than this would not fit any terminal line; shorter than this say nothing.
SNIPPET_RANGE = (10, 1000)
_KEY_NAMES = r"^[A-Za-z0-9_+\-]+(,[A-Za-z0-9_+\-]+)*$"  # compiled when a keymap is read (re's cache)


@dataclass(frozen=True)
class Config:
    """The settings in force."""

    archive: Path | None = None
    """The archive to open when the command line and the environment name none."""
    theme: str | None = None
    """The Textual theme; None for Textual's default."""
    snippet_length: int | None = None
    """At most this many characters of snippet per search result; None: as wide as the screen."""
    engine: str | None = None
    """The engine URL (postgresql://…) when the command line and the environment name none."""
    keymap: dict[str, str] = field(default_factory=dict)
    """Binding id -> keys (comma-separated Textual key names)."""
    path: Path | None = None
    """The file these came from (or would be saved to)."""
    problem: str = ""
    """Why the file was not used, in one line ('' when it was, or there is none)."""

    def as_dict(self) -> dict[str, object]:
        """The settings as plain data (for `reader config --json`)."""
        return {
            "path": str(self.path) if self.path else None,
            "exists": bool(self.path and self.path.is_file()),
            "archive": str(self.archive) if self.archive else None,
            "theme": self.theme,
            "snippet_length": self.snippet_length,
            "engine": without_password(self.engine) if self.engine else None,
            "keymap": dict(self.keymap),
            "problem": self.problem or None,
        }


class ConfigError(ValueError):
    """A setting that cannot be used; the message names the key and the line."""


def config_path(explicit: str | Path | None = None) -> Path:
    """`explicit` (--config), else `$READER_CONFIG`, else `config.toml` in the platform's config folder."""
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get(CONFIG_ENV)
    if env:
        return Path(env).expanduser()
    return Path(_user_config_dir()) / "config.toml"


def _user_config_dir() -> str:
    """platformdirs' `user_config_dir("reader")`. On Linux, where it is `$XDG_CONFIG_HOME/reader`
    for an absolute $XDG_CONFIG_HOME, else `~/.config/reader` for an absolute $HOME, those are
    made here: importing platformdirs was a fortieth of `reader search WORD`. Elsewhere, and in
    the cases it decides otherwise (Android, a relative $HOME), platformdirs answers."""
    if sys.platform == "linux" and not hasattr(sys, "getandroidapilevel") and "ANDROID_DATA" not in os.environ:
        xdg = os.environ.get("XDG_CONFIG_HOME", "")
        if os.path.isabs(xdg):
            return os.path.join(xdg, "reader")
        home = os.environ.get("HOME", "")
        if not xdg.strip() and os.path.isabs(home):
            return os.path.join(os.path.expanduser("~/.config"), "reader")
    import platformdirs  # only without an override: tests never look at the real home

    return platformdirs.user_config_dir("reader", appauthor=False)


def load_config(explicit: str | Path | None = None) -> Config:
    """The settings of the config file; the defaults (with `problem` saying why) when it is bad."""
    path = config_path(explicit)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if explicit or os.environ.get(CONFIG_ENV):
            return Config(path=path, problem=f"config {path}: no such file; using the defaults")
        return Config(path=path)
    except (OSError, UnicodeDecodeError) as error:
        return Config(path=path, problem=f"config {path}: cannot be read ({error}); using the defaults")
    try:
        return parse_config(text, path)
    except ConfigError as error:
        return Config(path=path, problem=f"config {path}: {error}; using the defaults")


def parse_config(text: str, path: Path | None = None) -> Config:
    """Settings from the text of a config file; `ConfigError` naming the key and line when bad."""
    import tomllib  # only when there is a file: a command without one never parses TOML

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"not valid TOML: {error}") from None
    for key in data:
        if key not in KEYS:
            raise ConfigError(f"line {_line_of(text, key)}: unknown key {key!r} (known: {', '.join(KEYS)})")
    archive = data.get("archive")
    if archive is not None and (not isinstance(archive, str) or not archive.strip()):
        raise ConfigError(f"line {_line_of(text, 'archive')}: archive must be a folder name in quotes")
    theme = data.get("theme")
    if theme is not None and (not isinstance(theme, str) or not theme.strip()):
        raise ConfigError(f"line {_line_of(text, 'theme')}: theme must be a theme name in quotes")
    length = data.get("snippet_length")
    low, high = SNIPPET_RANGE
    if length is not None and (not isinstance(length, int) or isinstance(length, bool) or not low <= length <= high):
        raise ConfigError(
            f"line {_line_of(text, 'snippet_length')}: snippet_length must be a whole number from {low} to {high}, "
            f"not {length!r}"
        )
    engine = data.get("engine")
    if engine is not None:
        if not isinstance(engine, str) or not engine.strip():
            raise ConfigError(f"line {_line_of(text, 'engine')}: engine must be a URL in quotes, e.g. \"postgresql://reader@db/news\"")
        try:
            engine_scheme(engine.strip())
        except EngineError as error:
            raise ConfigError(f"line {_line_of(text, 'engine')}: {error}") from None
    keymap = data.get("keymap", {})
    if not isinstance(keymap, dict):
        raise ConfigError(f"line {_line_of(text, 'keymap')}: keymap must be a table ([keymap])")
    for binding_id, keys in keymap.items():
        if not isinstance(keys, str) or not re.match(_KEY_NAMES, keys.replace(" ", "")):
            raise ConfigError(
                f"line {_line_of(text, binding_id)}: keymap {binding_id!r} must be keys in quotes, "
                f"e.g. \"q,ctrl+q\", not {keys!r}"
            )
    return Config(
        archive=Path(archive).expanduser() if archive else None,
        theme=theme.strip() if theme else None,
        snippet_length=length,
        engine=engine.strip() if engine else None,
        keymap={str(k): v.replace(" ", "") for k, v in keymap.items()},
        path=path,
    )


def _line_of(text: str, key: str) -> int:
    """The line (from 1) where `key` is set, bare or quoted; 1 when it cannot be found."""
    pattern = re.compile(rf"^\s*(?:{re.escape(key)}|\"{re.escape(key)}\"|'{re.escape(key)}')\s*[=.]")
    for number, line in enumerate(text.splitlines(), 1):
        if pattern.match(line) or line.strip() == f"[{key}]":
            return number
    return 1


def toml_value(value: str | int) -> str:
    """A TOML value for a flat key: a basic string (JSON's escapes are TOML's) or an integer."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise TypeError(f"only strings and integers are written, not {type(value).__name__}")
    return str(value) if isinstance(value, int) else json.dumps(value, ensure_ascii=False)


def save_setting(path: Path, key: str, value: str | int) -> None:
    """Set a top-level `key` in the config file, keeping every other line (comments too); the
    file is written atomically. Raises `ConfigError` rather than touch a file that is not valid."""
    if key not in KEYS or key == "keymap":
        raise ConfigError(f"{key!r} cannot be saved")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    parse_config(text, path)  # never rewrite a file the user has to mend first
    line = f"{key} = {toml_value(value)}"
    lines = text.splitlines()
    setting = re.compile(rf"^\s*{re.escape(key)}\s*=")
    first_table = next((i for i, old in enumerate(lines) if old.lstrip().startswith("[")), len(lines))
    for number, old in enumerate(lines[:first_table]):
        if setting.match(old):
            lines[number] = line
            break
    else:
        lines.insert(first_table, line)
    new_text = "\n".join(lines) + "\n"
    parse_config(new_text, path)
    # Imported only to save: every command loads the config, and a save is rare.
    from reader.core.state import write_atomically

    write_atomically(path, new_text)
