"""The widgets of the reader TUI, one a file."""
