"""Link sections are the article's closing sections of title-like lines (issue 14): a body
heading such as "MORE INFORMATION" followed by a signature is body text."""

from __future__ import annotations

from pathlib import Path

from reader.core.article import parse_bytes

SIGNED = """Selling my old modem

It still works and comes with its cable.

MORE INFORMATION

--

Enjoy!

John Smith
12 High Street
Springfield
"""


def test_a_signature_after_a_body_heading_is_body_text() -> None:
    article = parse_bytes(SIGNED.encode(), Path("x.txt"))
    assert article.sections == ()
    assert [block.kind for block in article.blocks] == ["paragraph", "heading", "paragraph", "paragraph", "paragraph"]
    assert article.blocks[1].text == "MORE INFORMATION"
    assert article.blocks[-1].text == "John Smith\n12 High Street\nSpringfield"


def test_closing_sections_are_still_links() -> None:
    text = SIGNED + "\nRelated articles\n\nModems for sale\n\n30826\n\nMore information\n\nThe shop's page\n"
    article = parse_bytes(text.encode(), Path("x.txt"))
    assert [(link.section, link.text) for link in article.links] == [
        ("Related articles", "Modems for sale"),
        ("Related articles", "30826"),  # a thread named by a number is still a title
        ("More information", "The shop's page"),
    ]
    assert article.blocks[1].text == "MORE INFORMATION"  # the body heading stays a heading


def test_a_section_name_with_nothing_after_it_is_a_heading() -> None:
    article = parse_bytes(b"Title\n\nBody text.\n\nRelated articles\n", Path("x.txt"))
    assert article.sections == ()
    assert article.blocks[-1].kind == "heading"


def test_a_section_name_followed_by_body_paragraphs_is_a_heading() -> None:
    text = "Title\n\nBlogs\n\nI keep two of them, and here is why.\nIt takes a while to explain.\n\nRelated articles\n\nA story\n"
    article = parse_bytes(text.encode(), Path("x.txt"))
    assert [(link.section, link.text) for link in article.links] == [("Related articles", "A story")]
    assert article.blocks[0] == article.blocks[0].__class__("heading", "Blogs")
