"""Provides the names people read for places and actors: a reader's display name, who took an action.

A reader's configured `name` ("东门入口") wins; without one, it is said from its role and room
("校门入口", "301教室门口"), never as its id (`gate-in`, `room-r301`). An event's actor
(`guard:demo-guard`, `rollcall`) is said by its role in the reader's language, and the token's
name when it has one ("门卫 王师傅").
"""

from __future__ import annotations

from edge.core.i18n import t


def reader_label(role: str, room_name: str = "", name: str = "", lang: str = "zh") -> str:
    """What a screen shows for a reader: its configured name, else its role and room in `lang`."""
    if name:
        return name
    if role == "room":
        return t("place.room", lang, room=room_name) if room_name else t("place.room_any", lang)
    text = t(f"place.{role}", lang)
    return text if text != f"place.{role}" else t("place.reader", lang)


def actor_label(actor: str, lang: str = "zh") -> str:
    """`guard:王师傅` -> "门卫 王师傅"; `rollcall` (the device itself) -> "系统"; a bare role -> its word."""
    role, _, name = actor.partition(":")
    word = t(f"actor.{role}", lang)
    if word == f"actor.{role}":
        word = t("actor.other", lang)
    return f"{word} {name}" if name and not _generated(name) else word


def _generated(name: str) -> bool:
    """A token name made by a program (`demo-guard`), not a person's: the role alone says more."""
    return name.isascii() and "-" in name
