"""Provides the audit log (who read personal data or overrode the rules) and the retention purge.

Both write through the store's one owner thread (the recorder's), each in one transaction. The
audit table comes from the store's migration `m002_audit`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from edge.device.store import Store
from edge.web.audit import append_audit

# The server's acknowledgement: the highest `after` its token asked the change feed for. Every
# event up to it is on the server, so only those may be purged.
SERVER_ACK = "server_ack"


def audit(store: Store, entry: Mapping[str, str]) -> None:
    """Append one audit row durably."""
    append_audit(store.db, entry)


def audit_rows(store: Store, after: int = 0) -> list[dict[str, Any]]:
    cursor = store.db.execute("SELECT * FROM audit WHERE id > ? ORDER BY id", [after])
    columns = [c[0] for c in cursor.description]
    return [dict(zip(columns, values, strict=True)) for values in cursor]


def acknowledged(store: Store) -> int:
    text = store.meta(SERVER_ACK)
    return int(text) if text else 0


def acknowledge(store: Store, seq: int) -> int:
    """Raise the server's acknowledgement to `seq` (never lower it, never past the log's head)."""
    current = acknowledged(store)
    new = min(seq, store.head_seq())
    if new > current:
        store.set_meta(SERVER_ACK, str(new))
        return new
    return current


_PURGE_EVENTS = """
    DELETE FROM events
    WHERE seq <= ? AND substr(at, 1, 10) < ? AND kind != 'assign_card'
      AND seq NOT IN (SELECT MAX(seq) FROM events WHERE kind = 'reader' GROUP BY reader_id)
"""


def purge(store: Store, before: str) -> dict[str, int]:
    """Delete events and audit rows dated before the day `before` (YYYY-MM-DD), in one transaction.

    Only events the server has pulled (seq <= its acknowledgement) go, and only whole days: the
    cut moves back to the day of the oldest event the server does not have yet, so every
    projection row that is kept still equals a replay of the events that are kept (`db check`).
    Rows of no day are the projection's too: every card assignment and each reader's latest
    state change are kept whatever their age, so a replay still knows the card and the reader.
    Returns how many events, audit rows and projection rows were deleted.
    """
    db = store.db
    with db.atomic():
        pulled = acknowledged(store)
        # Dates compare as text: `at` is ISO 8601 in the device's zone, its first 10 characters the
        # local day, the same day the projection keys its rows by.
        oldest_unpulled = db.execute(
            "SELECT MIN(substr(at, 1, 10)) FROM events WHERE seq > ?", [pulled]
        ).fetchone()[0]
        cut = min(before, oldest_unpulled) if oldest_unpulled else before
        events = db.execute(_PURGE_EVENTS, [pulled, cut]).rowcount
        audited = db.execute("DELETE FROM audit WHERE substr(at, 1, 10) < ?", [before]).rowcount
        stale = [key for (key,) in db.execute("SELECT key FROM projection") if (_day(key) or cut) < cut]
        for key in stale:
            db.execute("DELETE FROM projection WHERE key = ?", [key])
    return {"events": events, "audit": audited, "projection": len(stale)}


def _day(key: str) -> str | None:
    """The date a projection row belongs to: whereabouts|DAY|…, attendance|SESSION|…, signoff|SESSION,
    alert|KIND:SESSION:… (session ids begin with their date); None for rows of no day (card, reader)."""
    kind, _, rest = key.partition("|")
    if kind == "alert":
        rest = rest.partition(":")[2]
    if kind in ("whereabouts", "attendance", "signoff", "alert"):
        return rest[:10]
    return None
