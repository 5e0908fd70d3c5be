"""Where the archive and its index live, with the environment overrides tests and users rely on."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent  # reader/, beside the bundled seeds
# A checkout (or editable install) keeps the archive beside the package; a wheel carries a copy inside it.
_CHECKOUT_ROOT = PACKAGE_DIR.parent
_WHEEL_SEEDS = PACKAGE_DIR / "_bundled_seeds"

ARCHIVE_ENV = "READER_ARCHIVE"
INDEX_ENV = "READER_INDEX"


def bundled_archive() -> Path:
    """The sample archive shipped with reader."""
    if _WHEEL_SEEDS.is_dir():
        return _WHEEL_SEEDS
    return _CHECKOUT_ROOT / "seeds"


def default_archive() -> Path:
    """`$READER_ARCHIVE`, else the bundled archive."""
    env = os.environ.get(ARCHIVE_ENV)
    return Path(env).expanduser() if env else bundled_archive()


def _archive_slug(archive: Path) -> str:
    try:  # SHA-1 itself: hashlib loads OpenSSL too, a sixtieth of `reader search WORD`'s start
        from _sha1 import sha1
    except ImportError:  # an interpreter without the built-in module
        from hashlib import sha1

    resolved = archive.expanduser().resolve()
    digest = sha1(str(resolved).encode("utf-8", "surrogateescape")).hexdigest()[:12]
    name = "".join(c if c.isalnum() or c in "-_" else "_" for c in resolved.name)[:40] or "archive"
    return f"{name}-{digest}"


def default_index(archive: Path) -> Path:
    """Where the index of `archive` is kept unless `--index`/`$READER_INDEX` says otherwise.

    The bundled archive of a checkout indexes into the checkout's `index/` folder; any other
    archive into the user's cache, one folder per archive path, never inside the archive.
    """
    env = os.environ.get(INDEX_ENV)
    if env:
        return Path(env).expanduser()
    resolved = archive.expanduser().resolve()
    checkout_index = _CHECKOUT_ROOT / "index"
    if resolved == (_CHECKOUT_ROOT / "seeds").resolve() and (checkout_index / ".gitignore").is_file():
        return checkout_index
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "reader" / _archive_slug(archive)


def fallback_index(archive: Path) -> Path:
    """A writable place for the index when the chosen one is read-only."""
    import tempfile  # only then

    return Path(tempfile.gettempdir()) / f"reader-{os.getuid()}" / _archive_slug(archive)
