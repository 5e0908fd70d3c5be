"""The screens of the reader TUI, one a file."""
