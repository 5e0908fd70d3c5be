"""The terminal face: the Textual app, its screens, widgets, palette and messages."""
