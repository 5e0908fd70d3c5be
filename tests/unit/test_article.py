"""The parser: the seed article exactly, encodings, and every kind of file that is not an article."""

from __future__ import annotations

from pathlib import Path

import pytest

from support import SEED_ID, SEEDS, article_text
from reader.core.archive import is_article_name, scan
from reader.core.article import (
    MAX_TITLE_CHARS,
    REASON_BINARY,
    REASON_EMPTY,
    REASON_NO_TITLE,
    REASON_UNREADABLE,
    SkippedFile,
    parse_bytes,
    read_article,
    safe_text,
)


@pytest.fixture(scope="module")
def seed():
    return read_article(SEEDS / f"{SEED_ID}.txt")


def test_seed_title_and_id(seed) -> None:
    assert seed.id == SEED_ID
    assert seed.title == "Baby P: Ed Balls orders inspection of safeguarding in Haringey"
    assert seed.warnings == ()


def test_seed_sub_headings(seed) -> None:
    headings = [block.text for block in seed.blocks if block.kind == "heading"]
    assert headings == [
        "Coughlan seconded to Haringey",
        "Mother and step-father convicted",
        "Serious concerns about wider systems",
        "Haringey takeover",
        "Tragic",
    ]


def test_seed_bullet_lists(seed) -> None:
    lists = [block.items for block in seed.blocks if block.kind == "list"]
    assert [len(items) for items in lists] == [4, 2]
    assert lists[0][0].startswith("Each agency had singly and collectively failed")
    assert lists[0][3] == "There was inappropriate use of family friends as temporary carers for Baby P."
    assert lists[1][1].startswith("Ensure rigorous scrutiny")
    assert not any(item.startswith("•") for items in lists for item in items)
    # The list follows the paragraph that introduces it with ":-".
    kinds = [block.kind for block in seed.blocks]
    intro = seed.blocks[kinds.index("list") - 1]
    assert intro.kind == "paragraph" and intro.text.endswith(":-")


def test_seed_link_sections(seed) -> None:
    assert [(section.name, len(section.titles)) for section in seed.sections] == [
        ("Related articles", 4),
        ("Blogs", 2),
        ("More information", 1),
    ]
    assert seed.sections[0].titles[1] == "Baby P verdict: Haringey abuse case ‘worse than Climbié’"
    assert [link.position for link in seed.links] == list(range(7))


def test_seed_body_has_no_links_or_boilerplate(seed) -> None:
    body = seed.body_text()
    assert "Comments are closed" not in body
    assert "More from Community Care" not in body
    assert "Related articles" not in body
    assert "Recruitment impact" not in body
    assert body.startswith("The government has ordered an urgent inspection")
    assert body.rstrip().endswith("nationally and in Haringey.”")
    assert "\u00a0" not in seed.title


def test_paragraph_count_and_order(seed) -> None:
    paragraphs = [block for block in seed.blocks if block.kind == "paragraph"]
    assert len(paragraphs) == 15
    assert seed.blocks[0].text.startswith("The government")


def test_utf8_bom_and_crlf_read_the_same(tmp_path: Path) -> None:
    text = article_text("Crlf title", ["First paragraph here.", "Second one."], related=["Other"])
    plain = parse_bytes(text.encode(), tmp_path / "a.txt")
    crlf = parse_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode(), tmp_path / "a.txt")
    lone_cr = parse_bytes(text.replace("\n", "\r").encode(), tmp_path / "a.txt")
    assert plain.title == crlf.title == lone_cr.title == "Crlf title"
    assert plain.blocks == crlf.blocks == lone_cr.blocks
    assert plain.sections == crlf.sections == lone_cr.sections
    assert crlf.warnings == ()


def test_other_8bit_encoding_is_decoded_with_a_warning(tmp_path: Path) -> None:
    data = article_text("Caf\u00e9 society \u2013 a review", ["It costs \u00a3100."]).encode("cp1252")
    article = parse_bytes(data, tmp_path / "x.txt")
    assert article.title == "Café society – a review"
    assert article.blocks[0].text == "It costs £100."
    assert any("Windows-1252" in warning for warning in article.warnings)


def test_utf16_with_bom(tmp_path: Path) -> None:
    article = parse_bytes(article_text("Sixteen bits").encode("utf-16"), tmp_path / "x.txt")
    assert article.title == "Sixteen bits"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", REASON_EMPTY),
        (b"  \n\n \t\r\n", REASON_EMPTY),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", REASON_BINARY),
        (bytes(range(1, 32)) * 40, REASON_BINARY),
        ("\u200b\u200b\n\n\u0301\n".encode(), REASON_NO_TITLE),
    ],
    ids=["empty", "blank", "png", "controls", "invisible-title"],
)
def test_files_that_are_not_articles_are_rejected_with_a_reason(tmp_path: Path, data: bytes, reason: str) -> None:
    with pytest.raises(SkippedFile) as caught:
        parse_bytes(data, tmp_path / "bad.txt")
    assert caught.value.reason.startswith(reason)


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(SkippedFile) as caught:
        read_article(tmp_path / "gone.txt")
    assert caught.value.reason.startswith(REASON_UNREADABLE)


def test_title_may_follow_leading_blank_lines_and_is_tidied(tmp_path: Path) -> None:
    article = parse_bytes(b"\n\n  Spaced\xc2\xa0 out   title  \n\nBody.", tmp_path / "x.txt")
    assert article.title == "Spaced out title"


def test_overlong_title_is_cut(tmp_path: Path) -> None:
    article = parse_bytes(("word " * 1000).encode(), tmp_path / "x.txt")
    assert len(article.title) == MAX_TITLE_CHARS
    assert article.warnings


def test_control_characters_become_visible(tmp_path: Path) -> None:
    text = "Title \x1b]52;c;SGVsbG8=\x07 here\n\nBody \x1b[31mred\x1b[0m and \x08\x9b2J."
    article = parse_bytes(text.encode(), tmp_path / "x.txt")
    everything = article.title + article.body_text()
    assert not any(ord(c) < 32 and c not in "\n" for c in everything)
    assert not any(0x7F <= ord(c) <= 0x9F for c in everything)
    assert "␛]52;c;SGVsbG8=␇" in article.title


def test_markup_is_kept_as_plain_characters(tmp_path: Path) -> None:
    article = parse_bytes(article_text("[bold]Not bold[/]", ["See [link=x]this[/link]."]).encode(), tmp_path / "x.txt")
    assert article.title == "[bold]Not bold[/]"
    assert article.blocks[0].text == "See [link=x]this[/link]."


def test_safe_text_expands_tabs_and_unifies_line_breaks() -> None:
    assert safe_text("a\tb\r\nc\u2028d") == "a       b\nc\nd"


def test_headings_need_no_final_punctuation_and_few_words(tmp_path: Path) -> None:
    paragraphs = ["A heading", "Not a heading.", "Quoted “speech”", "> quoted line", "one two three " * 6]
    article = parse_bytes(article_text("T", paragraphs).encode(), tmp_path / "x.txt")
    kinds = [block.kind for block in article.blocks]
    assert kinds == ["heading", "paragraph", "paragraph", "paragraph", "paragraph"]


def test_multiline_paragraph_keeps_its_line_breaks(tmp_path: Path) -> None:
    article = parse_bytes(b"Title\n\n> quoted one\n> quoted two\n\nEnd.", tmp_path / "x.txt")
    assert article.blocks[0].text == "> quoted one\n> quoted two"


def test_link_sections_and_boilerplate_only_at_the_end(tmp_path: Path) -> None:
    text = article_text(
        "T",
        ["More from the minister later.", "Body text."],
        related=["First story", "Second story"],
        blogs=["A blog"],
    )
    article = parse_bytes(text.encode(), tmp_path / "x.txt")
    assert article.blocks[0].text == "More from the minister later."
    assert [(link.section, link.text) for link in article.links] == [
        ("Related articles", "First story"),
        ("Related articles", "Second story"),
        ("Blogs", "A blog"),
    ]


def test_hidden_files_and_editor_leftovers_are_not_articles(tmp_path: Path) -> None:
    for name in ["001_a.txt", ".hidden.txt", ".#001_a.txt", "001_a.txt~", "001_a.txt.swp", "#001_a.txt#", "notes.md"]:
        (tmp_path / name).write_text("Title\n\nBody.")
    (tmp_path / "folder.txt").mkdir()
    assert list(scan(tmp_path)) == ["001_a.txt"]
    assert is_article_name("123_abc.txt") and not is_article_name(".x.txt")


def test_title_is_the_first_visible_line(tmp_path: Path) -> None:
    article = parse_bytes("\u200b\u200b\n\nReal title\n\nBody.".encode(), tmp_path / "x.txt")
    assert article.title == "Real title"
