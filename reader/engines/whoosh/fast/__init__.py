"""The fast scorer: Whoosh's posting blocks scored without its matchers (see scorer.py)."""
