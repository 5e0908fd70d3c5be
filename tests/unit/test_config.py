"""The config file (reader.core.config): TOML settings, one clear line for a bad file, and saving
a theme without losing the user's other lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from reader.core.config import (
    CONFIG_ENV,
    Config,
    ConfigError,
    config_path,
    load_config,
    parse_config,
    save_setting,
)

GOOD = """\
# my settings
archive = "~/news"
theme = "nord"
snippet_length = 80

[keymap]
"reader.quit" = "x,ctrl+q"
"""


def test_every_setting_is_read(tmp_path: Path) -> None:
    config = parse_config(GOOD, tmp_path / "c.toml")
    assert config.archive == Path("~/news").expanduser()
    assert (config.theme, config.snippet_length) == ("nord", 80)
    assert config.keymap == {"reader.quit": "x,ctrl+q"}
    assert config.problem == ""


def test_the_path_comes_from_the_option_then_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CONFIG_ENV, str(tmp_path / "env.toml"))
    assert config_path() == tmp_path / "env.toml"
    assert config_path(tmp_path / "option.toml") == tmp_path / "option.toml"


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ('theme = "nord"\nsnippet_length = "long"\n', "line 2: snippet_length must be a whole number"),
        ('snippet_length = 5\n', "line 1: snippet_length must be a whole number from 10 to 1000"),
        ('theme = "nord"\n\ncolour = "red"\n', "line 3: unknown key 'colour'"),
        ('[keymap]\n"reader.quit" = 3\n', "line 2: keymap 'reader.quit' must be keys in quotes"),
        ('theme = nord\n', "not valid TOML: Invalid value (at line 1, column 9)"),
        ("archive = 12\n", "line 1: archive must be a folder name in quotes"),
    ],
)
def test_a_bad_file_is_one_line_naming_the_key_and_line(tmp_path: Path, text: str, said: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=said.replace("(", r"\(").replace(")", r"\)")):
        parse_config(text, path)
    config = load_config(path)
    assert config.problem.startswith(f"config {path}: ") and config.problem.endswith("; using the defaults")
    assert "\n" not in config.problem
    assert (config.theme, config.snippet_length, config.keymap, config.archive) == (None, None, {}, None)


def test_a_missing_file_is_the_defaults_and_said_only_when_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CONFIG_ENV, raising=False)
    named = load_config(tmp_path / "absent.toml")
    assert "no such file" in named.problem
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    default = load_config()
    assert default.problem == "" and default == Config(path=default.path)


def test_saving_the_theme_keeps_the_other_lines(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(GOOD, encoding="utf-8")
    save_setting(path, "theme", "dracula")
    text = path.read_text(encoding="utf-8")
    assert text == GOOD.replace('theme = "nord"', 'theme = "dracula"')
    fresh = tmp_path / "new" / "config.toml"
    save_setting(fresh, "theme", 'odd "name"')
    assert parse_config(fresh.read_text(encoding="utf-8")).theme == 'odd "name"'


def test_a_bad_file_is_never_rewritten(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("theme = \n", encoding="utf-8")
    with pytest.raises(ConfigError):
        save_setting(path, "theme", "nord")
    assert path.read_text(encoding="utf-8") == "theme = \n"


def test_the_engine_key_is_checked_and_never_shows_a_password(tmp_path) -> None:
    from reader.core.config import ConfigError, parse_config

    config = parse_config('engine = "postgresql://bob:secret@db.example:5433/news"\n')
    assert config.engine == "postgresql://bob:secret@db.example:5433/news"
    assert config.as_dict()["engine"] == "postgresql://bob:***@db.example:5433/news"
    import pytest

    with pytest.raises(ConfigError, match="line 2: unknown engine 'gopher'"):
        parse_config('theme = "nord"\nengine = "gopher://x"\n')
