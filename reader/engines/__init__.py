"""Search engines behind the one interface of reader.core.engine; each in its own package."""
