"""Provides `tr` (the console's words in the guard's language) and `localise` (key bindings' labels).

All the words live in `edge.core.i18n`'s one catalogue under `tui.*`; this module only finds the
language of the running app, so a widget need not be handed it.
"""

from __future__ import annotations

from dataclasses import replace

from textual.dom import DOMNode

from edge.core.i18n import t


def tr(node: DOMNode, key: str, **params: object) -> str:
    """`key`'s text in the language of `node`'s app (Chinese unless the app says otherwise)."""
    return t(key, str(getattr(node.app, "lang", "zh")), **params)


def localise(node: DOMNode) -> None:
    """Replace each of `node`'s key bindings' descriptions, written as catalogue keys, by their text.

    Textual reads a binding's footer label from `Binding.description`, fixed when the class is
    defined; the language is chosen when the console starts, so each instance translates its copy.
    """
    table = node._bindings.key_to_bindings  # the instance's own copy (DOMNode.__init__)
    for key, bindings in table.items():
        table[key] = [replace(b, description=tr(node, b.description)) if b.description else b for b in bindings]
