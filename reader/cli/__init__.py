"""The command-line face: arguments, and output with Rich, plain text or JSON."""
