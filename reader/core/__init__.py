"""The pure core: parsing, archive scanning, links, history, query rules, result types and
locations. Imports no Textual, Rich or Whoosh (tests/unit/test_layers.py checks it)."""
