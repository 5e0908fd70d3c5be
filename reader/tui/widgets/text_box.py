"""A text box whose editing keys act in the order they were typed.

Textual's Input inserts printable keys as they reach it, but runs its bound keys (Ctrl+U, Backspace,
Left, Home…) only after the key has bubbled up to the app. In a burst (`tmux send-keys`, keys sent
over a slow link) a bound key is then overtaken by the letters after it: Ctrl+U, "herd" left an
empty box. Here the box runs its own bindings when the key reaches it, before the next key.
"""

from __future__ import annotations

from textual import events
from textual.widgets import Input


class TextBox(Input):
    """An Input that handles each of its own bound keys before the next key."""

    async def _on_key(self, event: events.Key) -> None:
        await super()._on_key(event)  # printable keys
        if event.is_printable:
            return
        for binding in self._bindings.key_to_bindings.get(event.key, ()):
            # A priority binding was offered the key before it got here; the rest are the box's.
            if not binding.priority and await self.app.run_action(binding.action, self):
                event.stop()
                event.prevent_default()
                return
