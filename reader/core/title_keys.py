"""Article ids by title key, for `links.TitleTable`, filled for 100k titles at once.

Keying 100k titles one `defaultdict(list)` append at a time cost about 0.45 s of CPU, paid by the
first link resolved or backlink looked up in a session. Most keys belong to one article, so
`KeyedIds` holds a plain id per key, filled by `dict.update` in C, and a list only for the keys
that repeat. Lookups give what a list per key gives (tests/unit/test_title_keys.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence


class KeyedIds:
    """Article ids by key: one id, or several for a key that repeats."""

    def __init__(self) -> None:
        self._one: dict[str, str] = {}
        self._many: dict[str, list[str]] = {}

    def extend(self, keys: Sequence[str], ids: Sequence[str]) -> None:
        """Add `ids[n]` under `keys[n]` for every n."""
        one, many = self._one, self._many
        if not one and not many:
            one.update(zip(keys, ids))
            if len(one) == len(keys):
                return
            repeated = {key for key, count in Counter(keys).items() if count > 1}
            for key in repeated:
                del one[key]
                many[key] = []
            for key, article_id in zip(keys, ids):
                if key in repeated:
                    many[key].append(article_id)
            return
        for key, article_id in zip(keys, ids):
            if key in many:
                many[key].append(article_id)
            elif key in one:
                many[key] = [one.pop(key), article_id]
            else:
                one[key] = article_id

    def get(self, key: str) -> tuple[str, ...]:
        """The ids under `key`, sorted."""
        found = self._one.get(key)
        if found is not None:
            return (found,)
        return tuple(sorted(self._many.get(key, ())))

    def keys(self) -> list[str]:
        return [*self._one, *self._many]

    def ids_of(self, key: str) -> list[str]:
        found = self._one.get(key)
        return [found] if found is not None else list(self._many.get(key, ()))

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())
