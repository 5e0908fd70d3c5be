"""Word wrapping and hit positions of the article body (pure functions and the widget alone)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len
from textual.app import App, ComposeResult

from reader.core.article import Block
from reader.tui.widgets.article_body import ArticleBody, Hit, unit_texts, wrap_offsets
from pilot_helpers import lines_of


def wrapped(text: str, width: int) -> list[str]:
    starts = wrap_offsets(text, width)
    return [text[a:b].rstrip() for a, b in zip(starts, starts[1:] + [len(text)])]


def test_wraps_at_spaces_within_the_width() -> None:
    assert wrapped("the quick brown fox jumps", 10) == ["the quick", "brown fox", "jumps"]
    assert wrapped("", 10) == [""]
    assert wrapped("short", 10) == ["short"]


def test_folds_words_longer_than_the_width() -> None:
    assert wrapped("abcdefghij xy", 4) == ["abcd", "efgh", "ij", "xy"]


def test_counts_wide_characters_as_two_cells() -> None:
    assert wrapped("日本語 日本語", 6) == ["日本語", "日本語"]
    assert all(cell_len(line) <= 5 for line in wrapped("日本語日本語", 5))


@given(st.text(alphabet=st.sampled_from("ab cd日 \u00e9"), max_size=200), st.integers(min_value=1, max_value=30))
def test_wrapping_keeps_every_character_in_order_within_the_width(text: str, width: int) -> None:
    starts = wrap_offsets(text, width)
    assert starts[0] == 0 and starts == sorted(set(starts))
    pieces = [text[a:b] for a, b in zip(starts, starts[1:] + [len(text)])]
    assert "".join(pieces) == text
    assert all(cell_len(piece.rstrip()) <= max(width, 2) for piece in pieces)


class BodyApp(App[None]):
    def __init__(self, body: ArticleBody) -> None:
        super().__init__()
        self.body = body

    def compose(self) -> ComposeResult:
        yield self.body


BLOCKS = (
    Block("paragraph", "one two three four five six seven eight nine ten"),
    Block("heading", "A heading"),
    Block("list", items=("first item that is long enough to wrap", "second")),
    Block("paragraph", "line one\nline two"),
)


async def test_layout_of_units_and_the_line_of_each_hit() -> None:
    texts = unit_texts("Title", BLOCKS, "id · path")
    assert texts[1] == ""  # the subtitle is never searched
    body = ArticleBody("Title", BLOCKS, "id · path")
    app = BodyApp(body)
    async with app.run_test(size=(20, 30)) as pilot:
        await pilot.pause()
        assert lines_of(body)[:16] == [
            "Title",
            "id · path",
            "",
            "one two three four",
            "five six seven eight",
            "nine ten",
            "",
            "A heading",
            "",
            "• first item that is",
            "  long enough to",
            "  wrap",
            "• second",
            "",
            "line one",
            "line two",
        ]
        seven = texts[2].index("seven")
        wrap = texts[4].index("wrap")
        body.set_hits([Hit(4, wrap, wrap + 4), Hit(2, seven, seven + 5), Hit(6, 14, 17)])  # "two" of "line two"
        assert body.hit_count == 3
        assert [body.line_of_hit(i) for i in range(3)] == [4, 11, 15]  # in reading order
        assert body.set_current(1) == 11
        assert body.set_current(3) == 4  # wraps round
        await pilot.resize_terminal(40, 30)
        await pilot.pause()
        assert body.line_of_hit(0) == 3
