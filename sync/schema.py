"""Provides the school server's schema, as `Migrations` (applied in order, once each), on SQLite or PostgreSQL.

One list for both engines (`sync.db`): each migration is plain SQL in SQLite's words, and on
PostgreSQL the few column forms they use are mapped as each statement runs (`INTEGER PRIMARY KEY`
→ an identity column, `INTEGER` → `BIGINT`, `STRICT` dropped; `sync.db.to_postgres`). A new
migration uses only `INTEGER PRIMARY KEY`, `TEXT`, `INTEGER`, `NOT NULL`, `DEFAULT`, `UNIQUE`,
`PRIMARY KEY (...)`, `REFERENCES` and plain or partial indexes, which read the same on both.
"""

from __future__ import annotations

from edge.web.audit import create_audit_table
from sync.db import Database, Migrations

migrations = Migrations("rollcall.server")


@migrations()
def m001_initial(db: Database) -> None:
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    # Every device's events, keyed by the stream they came in (device, epoch) and their seq there:
    # a replayed page inserts nothing, a re-imaged device's new epoch cannot collide with the old.
    # `device` is the server's name for the device (its config), the stream's name; `device_id`
    # is what the event says. STRICT: a wrongly typed field is refused by SQLite, not stored.
    db.execute(
        """
        CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            device TEXT NOT NULL,
            epoch TEXT NOT NULL,
            seq INTEGER NOT NULL,
            uuid TEXT NOT NULL,
            device_id TEXT NOT NULL,
            reader_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            card_uid TEXT NOT NULL,
            subject TEXT NOT NULL,
            outcome TEXT NOT NULL,
            reason TEXT NOT NULL,
            at TEXT NOT NULL,
            boot_id TEXT NOT NULL,
            boottime_ns INTEGER NOT NULL,
            clock_trusted INTEGER NOT NULL,
            actor TEXT NOT NULL,
            data TEXT NOT NULL,
            day TEXT NOT NULL,
            time_flag TEXT NOT NULL,
            rebased_at TEXT NOT NULL DEFAULT '',
            received_at TEXT NOT NULL,
            UNIQUE (device, epoch, seq)
        ) STRICT
        """
    )
    db.execute("CREATE INDEX events_day ON events (day)")
    # Only the few events still waiting for an anchor: a partial index costs nothing per tap.
    db.execute(
        "CREATE INDEX events_unplaced ON events (device, boot_id) WHERE time_flag IN ('untrusted', 'future')"
    )
    db.execute(
        """
        CREATE TABLE devices (
            device TEXT PRIMARY KEY,
            epoch TEXT NOT NULL,
            stopped TEXT NOT NULL DEFAULT '',
            stopped_at TEXT NOT NULL DEFAULT ''
        )
        """
    )
    # The cursor: the last seq of each stream that is on this disk. It moves in the transaction
    # that stores the events up to it, never in another one.
    db.execute(
        """
        CREATE TABLE streams (
            device TEXT NOT NULL,
            epoch TEXT NOT NULL,
            after INTEGER NOT NULL,
            head_seq INTEGER NOT NULL,
            started_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (device, epoch)
        )
        """
    )
    db.execute(
        """
        CREATE TABLE alarms (
            id INTEGER PRIMARY KEY,
            device TEXT NOT NULL,
            kind TEXT NOT NULL,
            detail TEXT NOT NULL,
            raised_at TEXT NOT NULL,
            resolved_at TEXT NOT NULL DEFAULT ''
        )
        """
    )
    db.execute(
        """
        CREATE TABLE anchors (
            device TEXT NOT NULL,
            boot_id TEXT NOT NULL,
            source TEXT NOT NULL,
            offset_ns INTEGER NOT NULL,
            error_ns INTEGER NOT NULL,
            taken_at TEXT NOT NULL,
            PRIMARY KEY (device, boot_id)
        )
        """
    )
    db.execute(
        """
        CREATE TABLE dataset_versions (
            name TEXT NOT NULL,
            version INTEGER NOT NULL,
            sha256 TEXT NOT NULL,
            body TEXT NOT NULL,
            created_at TEXT NOT NULL,
            source TEXT NOT NULL,
            PRIMARY KEY (name, version)
        )
        """
    )
    # What each device last said it has installed (its GET /datasets, or a PUT it accepted).
    db.execute(
        """
        CREATE TABLE deliveries (
            device TEXT NOT NULL,
            name TEXT NOT NULL,
            version INTEGER NOT NULL,
            sha256 TEXT NOT NULL,
            checked_at TEXT NOT NULL,
            PRIMARY KEY (device, name)
        )
        """
    )
    # Cards given out at a device's console: they go back down in the next cards snapshot.
    db.execute(
        """
        CREATE TABLE card_assignments (
            uid TEXT PRIMARY KEY,
            student TEXT NOT NULL,
            at TEXT NOT NULL,
            device TEXT NOT NULL,
            event_uuid TEXT NOT NULL
        )
        """
    )
    # One row per (target, alert), written before the first attempt: an alert is never queued twice.
    db.execute(
        """
        CREATE TABLE outbox (
            target TEXT NOT NULL,
            alert_key TEXT NOT NULL,
            kind TEXT NOT NULL,
            payload TEXT NOT NULL,
            created_at TEXT NOT NULL,
            status TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_at TEXT NOT NULL,
            sent_at TEXT NOT NULL DEFAULT '',
            last_error TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (target, alert_key)
        )
        """
    )
    db.execute("CREATE INDEX outbox_pending ON outbox (target, next_at) WHERE status = 'pending'")
    create_audit_table(db)  # type: ignore[arg-type]  # only its db.execute


@migrations()
def m002_office(db: Database) -> None:
    """The office's pages (`sync.office`): staff accounts, their sessions, applications, leave, formation."""
    db.execute(
        """
        CREATE TABLE office_users (
            username TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            role TEXT NOT NULL,
            class_name TEXT NOT NULL DEFAULT '',
            room_id TEXT NOT NULL DEFAULT '',
            staff_id TEXT NOT NULL DEFAULT '',
            password_hash TEXT NOT NULL,
            created_at TEXT NOT NULL,
            changed_at TEXT NOT NULL
        )
        """
    )
    # A signed-in browser: the cookie holds a random token, the table only its SHA-256.
    db.execute(
        """
        CREATE TABLE office_sessions (
            token_sha256 TEXT PRIMARY KEY,
            username TEXT NOT NULL REFERENCES office_users (username) ON DELETE CASCADE,
            csrf TEXT NOT NULL,
            created_at TEXT NOT NULL,
            seen_at TEXT NOT NULL,
            expires_at TEXT NOT NULL
        )
        """
    )
    db.execute(
        """
        CREATE TABLE office_applications (
            id INTEGER PRIMARY KEY,
            student_id TEXT NOT NULL,
            class_name TEXT NOT NULL,
            service_id TEXT NOT NULL,
            periods TEXT NOT NULL DEFAULT '[]',
            consent_by TEXT NOT NULL,
            consent_relation TEXT NOT NULL,
            consent_on TEXT NOT NULL,
            state TEXT NOT NULL,
            returned_from TEXT NOT NULL DEFAULT '',
            reason TEXT NOT NULL DEFAULT '',
            group_name TEXT NOT NULL DEFAULT '',
            room_id TEXT NOT NULL DEFAULT '',
            recorded_by TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX office_applications_class ON office_applications (class_name, state)")
    db.execute("CREATE INDEX office_applications_student ON office_applications (student_id)")
    db.execute(
        """
        CREATE TABLE office_steps (
            id INTEGER PRIMARY KEY,
            application_id INTEGER NOT NULL,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            from_state TEXT NOT NULL,
            to_state TEXT NOT NULL,
            reason TEXT NOT NULL DEFAULT ''
        )
        """
    )
    db.execute("CREATE INDEX office_steps_application ON office_steps (application_id)")
    db.execute(
        """
        CREATE TABLE office_services (
            service_id TEXT PRIMARY KEY,
            deadline TEXT NOT NULL DEFAULT '',
            capacity INTEGER NOT NULL DEFAULT 0
        )
        """
    )
    db.execute("CREATE TABLE office_rooms (room_id TEXT PRIMARY KEY, capacity INTEGER NOT NULL)")
    db.execute(
        """
        CREATE TABLE office_leave (
            id INTEGER PRIMARY KEY,
            student_id TEXT NOT NULL,
            class_name TEXT NOT NULL,
            valid_from TEXT NOT NULL,
            valid_to TEXT NOT NULL,
            service_id TEXT NOT NULL DEFAULT '',
            reason TEXT NOT NULL,
            late INTEGER NOT NULL DEFAULT 0,
            recorded_by TEXT NOT NULL,
            recorded_at TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX office_leave_class ON office_leave (class_name, valid_from)")
    db.execute(
        """
        CREATE TABLE office_formations (
            id INTEGER PRIMARY KEY,
            service_id TEXT NOT NULL,
            groups TEXT NOT NULL,
            confirmed_by TEXT NOT NULL,
            confirmed_at TEXT NOT NULL,
            enrolments_version INTEGER NOT NULL
        )
        """
    )


@migrations()
def m003_activity_records(db: Database) -> None:
    """Plan 6's weekly activity records and plans 3/4's care notes (`sync.office.activity_rows`)."""
    # One record a group and ISO week ("2026-W49"): a second is refused, by the page and by this key.
    db.execute(
        """
        CREATE TABLE office_activity_records (
            id INTEGER PRIMARY KEY,
            group_id TEXT NOT NULL,
            week TEXT NOT NULL,
            teacher_id TEXT NOT NULL,
            teacher TEXT NOT NULL,
            categories TEXT NOT NULL,
            text TEXT NOT NULL,
            written_on TEXT NOT NULL,
            recorded_by TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            UNIQUE (group_id, week)
        )
        """
    )
    # Append-only: a later note on the same session adds a row, never edits one.
    db.execute(
        """
        CREATE TABLE office_care_notes (
            id INTEGER PRIMARY KEY,
            day TEXT NOT NULL,
            service_id TEXT NOT NULL,
            room_id TEXT NOT NULL,
            author_id TEXT NOT NULL,
            author TEXT NOT NULL,
            written_at TEXT NOT NULL,
            text TEXT NOT NULL,
            recorded_by TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX office_care_notes_day ON office_care_notes (day, room_id)")


@migrations()
def m004_rota(db: Database) -> None:
    """The duty rota (`sync.office.rota_store`): each build, swap and cover is a new row; the latest is the rota."""
    db.execute(
        """
        CREATE TABLE office_rota (
            id INTEGER PRIMARY KEY,
            action TEXT NOT NULL,
            week TEXT NOT NULL,
            coaches TEXT NOT NULL DEFAULT '[]',
            rota TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '{}',
            actor TEXT NOT NULL,
            at TEXT NOT NULL
        )
        """
    )


@migrations()
def m006_fees(db: Database) -> None:
    """Fees (`sync.office.fee_store`): rules, waivers and payments, each append-only; amounts in fen."""
    # A rule for a service and period; the latest row for (service, period) holds. `calendar_version`
    # is the calendar held when it was set: a holiday added later is a day the school cancelled.
    db.execute(
        """
        CREATE TABLE office_fee_rules (
            id INTEGER PRIMARY KEY,
            service_id TEXT NOT NULL,
            basis TEXT NOT NULL,
            fen INTEGER NOT NULL,
            lunch_fen INTEGER NOT NULL DEFAULT 0,
            period_first TEXT NOT NULL,
            period_last TEXT NOT NULL,
            calendar_version INTEGER NOT NULL DEFAULT 0,
            actor TEXT NOT NULL,
            at TEXT NOT NULL
        )
        """
    )
    # A waiver, or (revokes > 0) the revocation of the waiver with that id.
    db.execute(
        """
        CREATE TABLE office_fee_waivers (
            id INTEGER PRIMARY KEY,
            student_id TEXT NOT NULL,
            service_id TEXT NOT NULL DEFAULT '',
            category TEXT NOT NULL,
            percent INTEGER NOT NULL,
            approved_by TEXT NOT NULL,
            reason TEXT NOT NULL DEFAULT '',
            revokes INTEGER NOT NULL DEFAULT 0,
            actor TEXT NOT NULL,
            at TEXT NOT NULL
        )
        """
    )
    db.execute(
        """
        CREATE TABLE office_fee_payments (
            id INTEGER PRIMARY KEY,
            student_id TEXT NOT NULL,
            fen INTEGER NOT NULL,
            paid_on TEXT NOT NULL,
            receipt TEXT NOT NULL UNIQUE,
            period_first TEXT NOT NULL,
            period_last TEXT NOT NULL,
            actor TEXT NOT NULL,
            at TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX office_fee_payments_student ON office_fee_payments (student_id)")


@migrations()
def m005_staff_pay(db: Database) -> None:
    """Staff attendance corrections and pay rates (`sync.office.staff_store`): each an event, append-only."""
    # A correction of one person's mark on one post; the latest for a (person, post) wins. A tap is never edited.
    db.execute(
        """
        CREATE TABLE office_attendance_corrections (
            id INTEGER PRIMARY KEY,
            person_id TEXT NOT NULL,
            day TEXT NOT NULL,
            role TEXT NOT NULL,
            service_id TEXT NOT NULL DEFAULT '',
            room_id TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL,
            covered_by TEXT NOT NULL DEFAULT '',
            minutes_late INTEGER NOT NULL DEFAULT 0,
            reason TEXT NOT NULL,
            actor TEXT NOT NULL,
            actor_name TEXT NOT NULL,
            at TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX office_attendance_corrections_day ON office_attendance_corrections (day)")
    # A rate in fen a session served, per pay role and service ("" for a day role); the latest per pair holds.
    db.execute(
        """
        CREATE TABLE office_pay_rates (
            id INTEGER PRIMARY KEY,
            role TEXT NOT NULL,
            service_id TEXT NOT NULL DEFAULT '',
            fen INTEGER NOT NULL,
            actor TEXT NOT NULL,
            actor_name TEXT NOT NULL,
            at TEXT NOT NULL
        )
        """
    )


@migrations()
def m007_upward(db: Database) -> None:
    # The upward report's rows (sync.upward_feed) on PostgreSQL, where a publication sends them to the
    # district; a school on SQLite is pulled over HTTP and keeps no such table.
    if db.dialect == "postgresql":
        from sync.district.replication import TABLE

        db.execute(TABLE)
