"""Deterministic generator of synthetic news-article archives in the reader's on-disk layout.

Usage:
    python benchmarks/gen_archive.py OUT_DIR --count N [--words 500] [--seed 1]

Each article is one UTF-8 file `NNNNNN_<16 hex>.txt` laid out like the seed article:
title line, blank line, paragraphs separated by blank lines, sub-headings, an optional
`...:-` intro followed by three blank lines and a `  • ` bullet block, then (after three
blank lines) optional `Related articles` / `Blogs` / `More information` link sections of one
title per paragraph, and the boilerplate `More from Community Care` / `Comments are closed.`
with no final newline.

Everything is a pure function of (count, words, seed): the vocabulary is fixed, titles come
from one seeded stream, and each article body from its own stream seeded by (seed, index), so
an article does not change when others do. Only article files are written into OUT_DIR, plus a
hidden `.complete` marker (ignored by the app) that makes a rerun with the same parameters a no-op.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import math
import multiprocessing
import os
import random
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

GENERATOR_VERSION = 1  # bump when the output for given parameters changes, so markers go stale
MARKER = ".complete"
NBSP = "\u00a0"
VOCAB_SIZE = 50_000
_VOCAB_SEED = 20081112  # fixed, so every archive shares one vocabulary and query lists carry over
_ZIPF_S = 1.0
_ZIPF_Q = 2.7  # Zipf-Mandelbrot offset: flattens the very top ranks a little, as in real text
_ARTICLE_NAME = re.compile(r"^\d{6,}_[0-9a-f]{16}\.txt$")

# Highest-ranked forms: real function words, so the most common tokens look like English.
STOPWORDS: tuple[str, ...] = (
    "the", "of", "and", "to", "a", "in", "for", "is", "on", "that", "by", "with", "was", "he",
    "it", "as", "at", "be", "from", "has", "his", "said", "have", "are", "an", "they", "which",
    "not", "this", "were", "their", "had", "who", "been", "will", "would", "or", "but", "its",
    "also", "after", "more", "there", "one", "we", "all", "she", "her", "than", "them", "can",
    "about", "into", "out", "when", "up", "our", "could", "other", "new", "some", "if", "no",
    "over", "should", "only", "what", "two", "any", "most", "such", "these", "those", "very",
)

# Real English word families, so that stemming changes what a query finds.
FAMILIES: tuple[tuple[str, ...], ...] = (
    ("safeguard", "safeguards", "safeguarding", "safeguarded"),
    ("inspect", "inspects", "inspected", "inspecting", "inspection", "inspections", "inspector",
     "inspectors", "inspectorate"),
    ("protect", "protects", "protected", "protecting", "protection", "protective"),
    ("child", "children", "childhood"),
    ("care", "cares", "cared", "caring", "carer", "carers"),
    ("review", "reviews", "reviewed", "reviewing", "reviewer"),
    ("report", "reports", "reported", "reporting"),
    ("council", "councils", "councillor", "councillors"),
    ("service", "services", "serving", "served"),
    ("work", "works", "worked", "working", "worker", "workers"),
    ("manage", "managed", "managing", "management", "manager", "managers"),
    ("fail", "fails", "failed", "failing", "failure", "failures"),
    ("investigate", "investigated", "investigating", "investigation", "investigations"),
    ("govern", "government", "governments", "governing"),
    ("fund", "funds", "funded", "funding"),
    ("assess", "assessed", "assessing", "assessment", "assessments"),
    ("train", "trained", "training", "trainee", "trainees"),
    ("recruit", "recruited", "recruiting", "recruitment"),
    ("employ", "employed", "employing", "employment", "employer", "employers"),
    ("commission", "commissioned", "commissioning", "commissioner", "commissioners"),
    ("regulate", "regulated", "regulating", "regulation", "regulations", "regulator"),
    ("improve", "improved", "improving", "improvement", "improvements"),
    ("develop", "developed", "developing", "development", "developments"),
    ("house", "houses", "housed", "housing"),
    ("organise", "organised", "organising", "organisation", "organisations"),
    ("adopt", "adopted", "adopting", "adoption", "adoptions"),
    ("foster", "fostered", "fostering"),
    ("abuse", "abused", "abusing", "abuser", "abusive"),
    ("neglect", "neglected", "neglecting", "neglectful"),
    ("support", "supports", "supported", "supporting", "supporter"),
    ("publish", "published", "publishing", "publication"),
    ("consult", "consulted", "consulting", "consultation", "consultations"),
    ("decide", "decided", "deciding", "decision", "decisions"),
    ("educate", "educated", "educating", "education", "educational"),
    ("practice", "practices", "practitioner", "practitioners"),
    ("family", "families"),
    ("parent", "parents", "parenting", "parental"),
    ("judge", "judges", "judged", "judging", "judgement", "judgements"),
    ("nurse", "nurses", "nursing"),
    ("nation", "national", "nationally", "nationwide"),
    ("disable", "disabled", "disability", "disabilities"),
    ("plan", "plans", "planned", "planning", "planner"),
    ("budget", "budgets", "budgeting", "budgetary"),
    ("pay", "pays", "paid", "paying", "payment", "payments"),
    ("charge", "charges", "charged", "charging"),
    ("accuse", "accused", "accusing", "accusation"),
    ("convict", "convicted", "convicting", "conviction", "convictions"),
    ("hospital", "hospitals", "hospitalised"),
    ("agency", "agencies"),
    ("vulnerable", "vulnerability", "vulnerabilities"),
    ("refer", "referred", "referring", "referral", "referrals"),
    ("visit", "visits", "visited", "visiting", "visitor", "visitors"),
    ("record", "records", "recorded", "recording"),
    ("monitor", "monitored", "monitoring"),
    ("intervene", "intervened", "intervening", "intervention", "interventions"),
    ("prevent", "prevented", "preventing", "prevention", "preventive"),
    ("resign", "resigned", "resigning", "resignation"),
    ("appoint", "appointed", "appointing", "appointment"),
    ("direct", "director", "directors", "directorate"),
    ("minister", "ministers", "ministerial", "ministry"),
    ("campaign", "campaigns", "campaigned", "campaigning", "campaigner", "campaigners"),
    ("volunteer", "volunteers", "volunteered", "volunteering", "voluntary"),
    ("community", "communities"),
)

# Proper names (capitalised, some accented) as the real archive has them.
PROPER_NOUNS: tuple[str, ...] = (
    "Haringey", "Ofsted", "Climbié", "Laming", "Hampshire", "Birmingham", "Leeds", "London",
    "Manchester", "Brontë", "Zoë", "Cafcass", "Barnardo", "Whitehall", "Westminster",
)

ONSETS = ("", "", "b", "bl", "br", "c", "ch", "cl", "cr", "d", "dr", "f", "fl", "fr", "g", "gl",
          "gr", "h", "j", "k", "l", "m", "n", "p", "pl", "pr", "qu", "r", "s", "sc", "sh", "sk",
          "sl", "sm", "sn", "sp", "st", "str", "t", "th", "tr", "v", "w", "wh", "y", "z")
NUCLEI = ("a", "e", "i", "o", "u", "a", "e", "i", "o", "ai", "ea", "ee", "ie", "oa", "oo", "ou")
CODAS = ("", "", "", "", "b", "ck", "d", "ft", "g", "k", "l", "ld", "lt", "m", "mp", "n", "nd",
         "ng", "nk", "nt", "p", "r", "rd", "rk", "rn", "rt", "s", "sk", "sp", "ss", "st", "t", "x")
_INNER_ONSETS = tuple(o for o in ONSETS if o)
_STOPSET = frozenset(STOPWORDS)
TITLE_GLUE = ("of", "in", "for", "on", "to", "the", "and", "over", "after", "as", "with")
BOILERPLATE = ("More from Community Care", "Comments are closed.")
_QUOTE_STYLES = (("\u2018", "\u2019"), ("\u201c", "\u201d"), ("'", "'"), ('"', '"'))
_TO_STRAIGHT = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


def normalise_title(title: str) -> str:
    """The form under which two titles count as the same: case, NBSP and curly quotes ignored."""
    return " ".join(title.translate(_TO_STRAIGHT).replace(NBSP, " ").casefold().split())


class Vocabulary:
    """~50,000 word forms in rank order with Zipf cumulative weights for fast weighted draws."""

    def __init__(self, size: int = VOCAB_SIZE) -> None:
        rng = random.Random(_VOCAB_SEED)
        real = [w for fam in FAMILIES for w in fam] + list(PROPER_NOUNS)
        taken = set(STOPWORDS) | {w.lower() for w in real}
        n_pseudo = size - len(STOPWORDS) - len(real)
        pseudo: list[str] = []
        while len(pseudo) < n_pseudo:
            w = self._pseudo_word(rng)
            if len(w) >= 2 and w not in taken:
                taken.add(w)
                pseudo.append(w)
        # Short forms tend to be frequent (Zipf's law of abbreviation); jitter keeps it loose.
        keyed: list[tuple[float, str]] = [(len(w) + rng.uniform(0.0, 6.0), w) for w in pseudo]
        keyed.sort()
        ranked: list[tuple[float, str]] = [(float(i), w) for i, (_, w) in enumerate(keyed)]
        # Real families land at log-uniform ranks 30..8000 (mid-frequency), forms of one family
        # close together with the first form the most common.
        for fam in FAMILIES:
            base = math.exp(rng.uniform(math.log(30), math.log(8000)))
            for k, w in enumerate(fam):
                ranked.append((base * (1 + 0.6 * k) * rng.uniform(0.8, 1.25) - 0.5, w))
        for w in PROPER_NOUNS:
            ranked.append((math.exp(rng.uniform(math.log(100), math.log(20000))) - 0.5, w))
        ranked.sort()
        self.words: list[str] = list(STOPWORDS) + [w for _, w in ranked]
        weights = [1.0 / (r + _ZIPF_Q) ** _ZIPF_S for r in range(len(self.words))]
        self.cum: list[float] = list(itertools.accumulate(weights))
        n_stop = len(STOPWORDS)
        # Content draws (titles, headings, query-like spans) skip the function words.
        self.content: list[str] = self.words[n_stop:]
        self.content_cum: list[float] = list(itertools.accumulate(weights[n_stop:]))

    @staticmethod
    def _pseudo_word(rng: random.Random) -> str:
        n_syll = rng.choices((1, 2, 3, 4), weights=(15, 45, 30, 10))[0]
        parts = []
        for k in range(n_syll):
            coda = rng.choice(CODAS) if k == n_syll - 1 or rng.random() < 0.3 else ""
            # Inner syllables need a consonant onset, or vowels pile up ("oao").
            onset = rng.choice(ONSETS if k == 0 else _INNER_ONSETS)
            parts.append(onset + rng.choice(NUCLEI) + coda)
        return "".join(parts)

    def draw(self, rng: random.Random, k: int) -> list[str]:
        return rng.choices(self.words, cum_weights=self.cum, k=k)

    def draw_content(self, rng: random.Random, k: int) -> list[str]:
        return rng.choices(self.content, cum_weights=self.content_cum, k=k)


_VOCAB: Vocabulary | None = None


def vocabulary() -> Vocabulary:
    """The shared vocabulary (built once per process, ~0.3 s)."""
    global _VOCAB
    if _VOCAB is None:
        _VOCAB = Vocabulary()
    return _VOCAB


def _cap(word: str) -> str:
    return word[:1].upper() + word[1:]


def make_title(rng: random.Random, vocab: Vocabulary) -> str:
    """A headline of 4-9 words; some with a `Name:` lead, quotes, possessives or a NBSP."""
    n = rng.randint(4, 9)
    words = vocab.draw_content(rng, n)
    for k in range(1, n - 1):
        if rng.random() < 0.2:
            words[k] = rng.choice(TITLE_GLUE)
    words[0] = _cap(words[0])
    if n >= 5 and rng.random() < 0.3:  # "Baby P: Ed Balls orders ..."
        words[1] = _cap(words[1]) + ":"
    if rng.random() < 0.12:  # ‘worse than Climbié’ and its straight-quoted cousins
        start = rng.randint(1, n - 2)
        end = min(n - 1, start + rng.randint(1, 2))
        opening, closing = rng.choice(_QUOTE_STYLES)
        words[start] = opening + words[start].rstrip(":")
        words[end] = words[end] + closing
    if rng.random() < 0.06:
        k = rng.randrange(n)
        if words[k][-1].isalpha() and words[k] not in _STOPSET:
            words[k] += rng.choice(("\u2019s", "'s"))
    seps = [" "] * (n - 1)
    if rng.random() < 0.2:  # like "Baby\u00a0P": usually the first gap
        seps[0 if rng.random() < 0.6 else rng.randrange(n - 1)] = NBSP
    return "".join(w + s for w, s in zip(words, [*seps, ""], strict=True))


def link_variant(title: str, rng: random.Random) -> str:
    """Same title under `normalise_title`, different bytes: swap NBSP/space and/or quote styles."""
    has_quotes = any(c in title for c in "'\"\u2018\u2019\u201c\u201d")
    swap_quotes = has_quotes and rng.random() < 0.7
    swap_space = not swap_quotes or rng.random() < 0.5
    out = title
    if swap_quotes:
        if any(c in out for c in "\u2018\u2019\u201c\u201d"):
            out = out.translate(_TO_STRAIGHT)
        else:
            out = _curl(out)
    if swap_space:
        if NBSP in out:
            out = out.replace(NBSP, " ")
        else:
            gaps = [m.start() for m in re.finditer(" ", out)]
            if gaps:
                g = rng.choice(gaps)
                out = out[:g] + NBSP + out[g + 1:]
    return out


def _curl(text: str) -> str:
    """Straight quotes to typographic ones: opening after a space or at the start."""
    chars = list(text)
    for k, c in enumerate(chars):
        opening = k == 0 or chars[k - 1] in (" ", NBSP)
        if c == "'":
            chars[k] = "\u2018" if opening else "\u2019"
        elif c == '"':
            chars[k] = "\u201c" if opening else "\u201d"
    return "".join(chars)


def make_titles(count: int, seed: int, vocab: Vocabulary) -> list[str]:
    """`count` titles unique under `normalise_title` (a ` (n)` suffix when a draw repeats)."""
    rng = random.Random(f"titles:{seed}")
    titles: list[str] = []
    seen: set[str] = set()
    for _ in range(count):
        title = make_title(rng, vocab)
        candidate, n = title, 1
        while normalise_title(candidate) in seen:
            n += 1
            candidate = f"{title} ({n})"
        seen.add(normalise_title(candidate))
        titles.append(candidate)
    return titles


def article_name(seed: int, index: int, count: int) -> str:
    """`NNNNNN_<16 hex>.txt`, the hex from a hash of (seed, index)."""
    digest = hashlib.sha1(f"{seed}:{index}".encode()).hexdigest()[:16]
    width = max(6, len(str(max(count - 1, 0))))
    return f"{index:0{width}d}_{digest}.txt"


class _Writer:
    """Builds article texts; holds what every article needs (titles, vocabulary)."""

    def __init__(self, titles: list[str], seed: int, words: int, vocab: Vocabulary) -> None:
        self.titles = titles
        self.keys = {normalise_title(t) for t in titles}
        self.seed = seed
        self.words = words
        self.vocab = vocab

    def _sentences(self, rng: random.Random, n_words: int) -> list[str]:
        tokens = self.vocab.draw(rng, max(n_words, 4))
        out: list[str] = []
        i = 0
        while i < len(tokens):
            length = rng.randint(6, 22)
            chunk = tokens[i:i + length]
            i += length
            if len(chunk) < 4 and out:  # fold a short tail into the previous sentence
                out[-1] = out[-1][:-1] + " " + " ".join(chunk) + "."
                continue
            roll = rng.random()
            if roll < 0.08:  # possessive with a curly apostrophe: children’s
                k = rng.randrange(1, len(chunk))
                if chunk[k] not in _STOPSET:
                    chunk[k] += "\u2019s"
            elif roll < 0.12:
                chunk[rng.randrange(1, len(chunk))] = str(rng.choice((rng.randint(2, 99), rng.randint(1990, 2009))))
            if len(chunk) > 8 and rng.random() < 0.3:
                chunk[rng.randrange(2, len(chunk) - 2)] += ","
            chunk[0] = _cap(chunk[0])
            text = " ".join(chunk) + "."
            if rng.random() < 0.15:  # stray NBSPs inside body text, as in the seed
                gaps = [m.start() for m in re.finditer(" ", text)]
                g = rng.choice(gaps)
                text = text[:g] + NBSP + text[g + 1:]
            out.append(text)
        return out

    def _heading(self, rng: random.Random) -> str:
        words = self.vocab.draw_content(rng, rng.randint(2, 5))
        words[0] = _cap(words[0])
        return " ".join(words)

    def _bullets(self, rng: random.Random) -> str:
        intro = self._sentences(rng, rng.randint(6, 14))[0][:-1] + ":-"
        lines = [
            "  \u2022 " + " ".join(self._sentences(rng, rng.randint(8, 24)))
            for _ in range(rng.randint(2, 5))
        ]
        return intro + "\n\n\n\n" + "\n".join(lines)

    def _pick_links(self, rng: random.Random, index: int, k: int, p_real: float) -> list[str]:
        count = len(self.titles)
        out: list[str] = []
        used = {index}
        for _ in range(k):
            if count > 1 and rng.random() < p_real:
                for _try in range(10):
                    # Stories cluster: most links point to neighbouring (same-week) articles.
                    if rng.random() < 0.6:
                        j = min(count - 1, max(0, index + rng.randint(-60, 60)))
                    else:
                        j = rng.randrange(count)
                    if j not in used:
                        break
                else:
                    continue
                used.add(j)
                text = self.titles[j]
                out.append(link_variant(text, rng) if rng.random() < 0.3 else text)
            else:
                while True:  # dangling: a plausible title that names no article here
                    title = make_title(rng, self.vocab)
                    if normalise_title(title) not in self.keys:
                        break
                out.append(title)
        return out

    def article(self, index: int) -> str:
        digest = hashlib.sha1(f"article:{self.seed}:{index}".encode()).digest()
        rng = random.Random(int.from_bytes(digest[:8], "big"))
        n_paras = rng.randint(3, 12)
        budget = self.words * rng.uniform(0.85, 1.15)
        shares = [rng.uniform(0.5, 1.5) for _ in range(n_paras)]
        scale = budget / sum(shares)
        blocks = [" ".join(self._sentences(rng, max(6, round(s * scale)))) for s in shares]
        if rng.random() < 0.3:
            blocks.insert(rng.randint(1, len(blocks)), self._bullets(rng))
        n_heads = min(rng.randint(1, 4), len(blocks) - 1)
        for pos in sorted(rng.sample(range(1, len(blocks)), n_heads), reverse=True):
            blocks.insert(pos, self._heading(rng))
        trailer: list[str] = []
        if rng.random() < 0.6:
            trailer += ["Related articles", *self._pick_links(rng, index, rng.randint(1, 5), 0.9)]
        if rng.random() < 0.1:
            trailer += ["Blogs", *self._pick_links(rng, index, rng.randint(1, 3), 0.5)]
        if rng.random() < 0.05:
            trailer += ["More information", *self._pick_links(rng, index, rng.randint(1, 2), 0.3)]
        trailer += BOILERPLATE
        return self.titles[index] + "\n\n" + "\n\n".join(blocks) + "\n\n\n\n" + "\n\n".join(trailer)


def _params(count: int, words: int, seed: int) -> dict[str, int]:
    return {"generator": GENERATOR_VERSION, "count": count, "words": words, "seed": seed}


def is_complete(out_dir: Path, count: int, words: int = 500, seed: int = 1) -> bool:
    """True when `out_dir` already holds a finished archive for these parameters."""
    try:
        return json.loads((out_dir / MARKER).read_text()) == _params(count, words, seed)
    except (OSError, ValueError):
        return False


_FORKED_WRITER: tuple[_Writer, Path, int] | None = None  # set before forking workers


def _write_chunk(bounds: tuple[int, int]) -> int:
    """Write articles [start, stop) with the writer inherited from the parent; return how many."""
    assert _FORKED_WRITER is not None
    writer, out_dir, count = _FORKED_WRITER
    start, stop = bounds
    for index in range(start, stop):
        path = out_dir / article_name(writer.seed, index, count)
        with open(path, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(writer.article(index))
    return stop - start


def generate(
    out_dir: Path,
    count: int,
    words: int = 500,
    seed: int = 1,
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
) -> Path:
    """Write `count` articles of about `words` words into `out_dir` and return it.

    A no-op when the `.complete` marker records the same parameters. Otherwise any article
    files left by an earlier run are removed first, and the marker is written last, so an
    interrupted run is redone. `progress(done, count)` is called every 1000 files and at the end.
    `workers` (default: all cores for 5,000+ articles) only changes speed, never the output,
    since each article draws from its own (seed, index) stream.
    """
    global _FORKED_WRITER
    out_dir = Path(out_dir)
    if count < 1 or words < 10:
        raise ValueError("count must be >= 1 and words >= 10")
    if is_complete(out_dir, count, words, seed):
        return out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / MARKER).unlink(missing_ok=True)
    for old in out_dir.iterdir():
        if _ARTICLE_NAME.match(old.name):
            old.unlink()
    vocab = vocabulary()
    writer = _Writer(make_titles(count, seed, vocab), seed, words, vocab)
    chunks = [(start, min(start + 1000, count)) for start in range(0, count, 1000)]
    if workers is None:
        workers = (os.cpu_count() or 1) if count >= 5000 else 1
    if "fork" not in multiprocessing.get_all_start_methods():
        workers = 1  # workers inherit the title list by fork; elsewhere stay serial
    _FORKED_WRITER = (writer, out_dir, count)
    done = 0
    try:
        if workers <= 1:
            results = map(_write_chunk, chunks)
            for n in results:
                done += n
                if progress is not None:
                    progress(done, count)
        else:
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                for n in pool.imap_unordered(_write_chunk, chunks):
                    done += n
                    if progress is not None:
                        progress(done, count)
    finally:
        _FORKED_WRITER = None
    (out_dir / MARKER).write_text(json.dumps(_params(count, words, seed)) + "\n")
    return out_dir


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--words", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=None, help="processes (default: all cores for 5,000+ articles)")
    args = parser.parse_args(argv)
    if is_complete(args.out_dir, args.count, args.words, args.seed):
        print(f"{args.out_dir}: already complete, nothing to do", file=sys.stderr)
        return 0
    start = time.perf_counter()

    def report(done: int, total: int) -> None:
        print(f"{done}/{total} files, {time.perf_counter() - start:.1f}s", file=sys.stderr)

    generate(args.out_dir, args.count, args.words, args.seed, report, args.workers)
    print(f"{args.out_dir}: {args.count} articles in {time.perf_counter() - start:.1f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
