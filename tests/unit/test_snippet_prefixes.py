"""A short prefix that an engine looks up as one term of the words' beginnings comes to the
snippets as `pr*`: the words that start so are marked, as the stems it is given are."""

from __future__ import annotations

from reader.core.snippets import PREFIX, highlight_spans, make_snippet


def _stem(word: str) -> str:
    return word.removesuffix("s")


def test_words_starting_with_a_prefix_are_marked() -> None:
    text = "Press the Presidents; oppress no one. Prices rose."
    spans = highlight_spans(text, {"pr" + PREFIX}, _stem)
    assert [text[start:end] for start, end in spans] == ["Press", "Presidents", "Prices"]


def test_a_prefix_beside_stems_and_a_lower_case_longer_letter() -> None:
    text = "İstanbul prices and pressed trades"  # İ lower-cases to two characters
    spans = highlight_spans(text, {"pr" + PREFIX, "trade"}, _stem)
    assert [text[start:end] for start, end in spans] == ["prices", "pressed", "trades"]


def test_the_snippet_window_holds_the_prefixed_words() -> None:
    text = ("Nothing here. " * 30) + "A stable launch of the station. " + ("Nothing here. " * 30)
    snippet = make_snippet(text, {"sta" + PREFIX}, _stem, width=60)
    marked = [snippet.text[start:end] for start, end in snippet.spans]
    assert marked == ["stable", "station"]
