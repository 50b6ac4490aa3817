"""The schema, owned here alone, as numbered migrations (sqlite-utils Migrations).

`feedback init` applies whatever is pending, so an older database moves forward without
losing data. Never edit an applied migration: add the next number here. The bodies of
0001-0013 (the whole domain of PRODUCT.md, then the columns and indexes later features
needed) live in feedback.migrations_early and are registered first, in their order.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from feedback.migrations_early import EARLY, run_script

migrations = Migrations("feedback")
for _name, _body in EARLY:
    migrations(name=_name)(_body)


@migrations(name="0014_rating_reasons")
def rating_reasons(db: Database) -> None:
    """Why a villager is not satisfied (不满意), in their words, optional: a clerk reading 80
    不满意 a month needs to know which answers to go back to (issue 13)."""
    run_script(db, "ALTER TABLE opinions ADD COLUMN rating_reason TEXT;")


@migrations(name="0015_recurrences")
def recurrences(db: Database) -> None:
    """A suggestion opened because a closed problem came back names the one it follows, so
    both pages can point to each other (the lamps broke again)."""
    run_script(
        db, "ALTER TABLE suggestions ADD COLUMN follows_id INTEGER REFERENCES suggestions (id);"
    )


@migrations(name="0016_department_towns")
def department_towns(db: Database) -> None:
    """A town's own office (甲镇环保办) serves that town only; an office without a town (县交通
    运输局) serves every town (feedback.departments). Existing offices become county offices,
    as every town could pick them before. Names stay unique across the county, so that
    `--department NAME` names exactly one office."""
    run_script(
        db,
        """
        ALTER TABLE departments ADD COLUMN town TEXT REFERENCES towns (name);
        CREATE INDEX departments_town ON departments (town, active);
        """,
    )


@migrations(name="0017_department_accounts", transactional=False)
def department_accounts(db: Database) -> None:
    """Accounts of a department (承办单位): role 'department' with the office they work for.
    The role's CHECK constraint can only change by rebuilding the table (SQLite's ALTER TABLE
    cannot alter a CHECK), and sessions point at users, so the rebuild runs with foreign keys
    off, in its own transaction, and checks every foreign key before it commits: a failure
    leaves the old table exactly as it was. Not transactional in the Migrations sense because
    PRAGMA foreign_keys is ignored inside a transaction; a rerun after a crash between the
    commit and the record of it finds the column and does nothing."""
    if "department_id" in db["users"].columns_dict:
        return
    if db.conn.in_transaction:
        db.conn.commit()
    db.execute("PRAGMA foreign_keys=OFF")
    try:
        if db.execute("PRAGMA foreign_keys").fetchone()[0]:
            raise RuntimeError("foreign keys could not be switched off for the users rebuild")
        _rebuild_users(db)
    finally:
        db.execute("PRAGMA foreign_keys=ON")


def _rebuild_users(db: Database) -> None:
    kept = ", ".join(db["users"].columns_dict)
    db.execute("BEGIN IMMEDIATE")
    try:
        run_script(
            db,
            f"""
            CREATE TABLE users_rebuilt (
                id INTEGER PRIMARY KEY,
                username TEXT NOT NULL UNIQUE,
                password_hash TEXT NOT NULL,
                role TEXT NOT NULL CHECK (role IN ('admin', 'clerk', 'department')),
                town TEXT,
                active INTEGER NOT NULL DEFAULT 1,
                created_at TEXT NOT NULL,
                department_id INTEGER REFERENCES departments (id),
                CHECK (role != 'clerk' OR town IS NOT NULL),
                CHECK ((role = 'department') = (department_id IS NOT NULL))
            );
            INSERT INTO users_rebuilt ({kept}) SELECT {kept} FROM users;
            DROP TABLE users;
            ALTER TABLE users_rebuilt RENAME TO users;
            CREATE INDEX users_department ON users (department_id) WHERE department_id IS NOT NULL;
            """,
        )
        broken = db.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"foreign keys broken by the users rebuild: {broken[:3]}")
        db.conn.commit()
    except BaseException:
        db.conn.rollback()
        raise


@migrations(name="0018_online_handling")
def online_handling(db: Database) -> None:
    """Departments handle their suggestions online (feedback.handling).

    - suggestion_departments: who a suggestion is handed to now, the lead (主办, also in
      suggestions.department_id as before) and co-handlers (协办), each with when it was
      handed, by when it should be signed for (a working day by default) and when it was,
      and its text of the answer (the lead's is the answer; a co-handler's is its part).
      A department sees a suggestion while its row is here; a return deletes the row.
    - handling_events: the timeline, one row per act (handed over, signed for, returned,
      progress, extension asked and decided, part, answered, reviewed, urged), who and when;
      what the department figures count. handling_photos: a progress note's 现场照片.
    - suggestions gain the review state: the result class (A/B/C), when the answer was
      submitted (awaiting the clerk's review), a pending extension request and the reason of
      the last return, shown to the clerk while the item waits to be handed over again."""
    run_script(
        db,
        """
        CREATE TABLE suggestion_departments (
            suggestion_id INTEGER NOT NULL REFERENCES suggestions (id),
            department_id INTEGER NOT NULL REFERENCES departments (id),
            role TEXT NOT NULL CHECK (role IN ('lead', 'co')),
            handed_at TEXT NOT NULL,
            sign_due_at TEXT NOT NULL,
            signed_at TEXT,
            answer TEXT,
            answered_at TEXT,
            PRIMARY KEY (suggestion_id, department_id)
        ) WITHOUT ROWID;
        CREATE UNIQUE INDEX suggestion_departments_one_lead
            ON suggestion_departments (suggestion_id) WHERE role = 'lead';
        CREATE INDEX suggestion_departments_department
            ON suggestion_departments (department_id, suggestion_id);

        CREATE TABLE handling_events (
            id INTEGER PRIMARY KEY,
            suggestion_id INTEGER NOT NULL REFERENCES suggestions (id),
            kind TEXT NOT NULL CHECK (kind IN ('handover', 'sign', 'return', 'progress',
                'extension_ask', 'extension_grant', 'extension_refuse', 'part', 'answer',
                'accept', 'send_back', 'urge')),
            department_id INTEGER REFERENCES departments (id),
            actor TEXT NOT NULL,
            at TEXT NOT NULL,
            body TEXT NOT NULL DEFAULT '',
            new_date TEXT,
            result_class TEXT CHECK (result_class IN ('A', 'B', 'C'))
        );
        CREATE INDEX handling_events_suggestion ON handling_events (suggestion_id, id);
        CREATE INDEX handling_events_department ON handling_events (department_id, kind, at);

        CREATE TABLE handling_photos (
            id INTEGER PRIMARY KEY,
            event_id INTEGER NOT NULL REFERENCES handling_events (id),
            filename TEXT NOT NULL UNIQUE,
            width INTEGER NOT NULL,
            height INTEGER NOT NULL,
            bytes INTEGER NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE INDEX handling_photos_event ON handling_photos (event_id);

        ALTER TABLE suggestions ADD COLUMN result_class TEXT
            CHECK (result_class IN ('A', 'B', 'C'));
        ALTER TABLE suggestions ADD COLUMN submitted_at TEXT;
        ALTER TABLE suggestions ADD COLUMN extension_until TEXT;
        ALTER TABLE suggestions ADD COLUMN extension_reason TEXT;
        ALTER TABLE suggestions ADD COLUMN returned_reason TEXT;
        """,
    )


@migrations(name="0025_public_board")
def public_board(db: Database) -> None:
    """The town's public board (feedback.board) and "我也遇到" (feedback.supporters).

    - suggestions.public_title: the title written for the public by the clerk; NULL until
      written, when the board shows the neutral one made of the places and the category
      (never the staff title, which older drafts copied from an opinion).
    - suggestions_board: a town's suggestions newest first, a page at a time.
    - supporters: villagers who found their problem on the board. Counted once per phone
      (with consent, to be told of the answer) and once per browser (`device`: the SHA-256 of
      its long-lived cookie, or of the page's one-time token when it keeps no cookie); the
      phone follows the opinions' masking, reveal and retention purge."""
    run_script(
        db,
        """
        ALTER TABLE suggestions ADD COLUMN public_title TEXT;
        CREATE INDEX suggestions_board ON suggestions (town, id);

        CREATE TABLE supporters (
            id INTEGER PRIMARY KEY,
            suggestion_id INTEGER NOT NULL REFERENCES suggestions (id),
            phone TEXT,
            consent INTEGER NOT NULL DEFAULT 0,
            device TEXT,
            created_at TEXT NOT NULL
        );
        CREATE INDEX supporters_suggestion ON supporters (suggestion_id);
        CREATE UNIQUE INDEX supporters_phone ON supporters (suggestion_id, phone)
            WHERE phone IS NOT NULL;
        CREATE UNIQUE INDEX supporters_device ON supporters (suggestion_id, device)
            WHERE device IS NOT NULL;
        CREATE INDEX supporters_created ON supporters (created_at);
        """,
    )


@migrations(name="0026_opinion_additions")
def opinion_additions(db: Database) -> None:
    """补充说明 (feedback.additions): lines a villager adds to an open opinion from its status
    page, with photos kept in the photos table under the addition (addition_id), so they are
    served, swept and re-encoded exactly as the opinion's own. `token` makes a repeated POST
    return the first addition."""
    run_script(
        db,
        """
        CREATE TABLE opinion_additions (
            id INTEGER PRIMARY KEY,
            opinion_id INTEGER NOT NULL REFERENCES opinions (id),
            body TEXT NOT NULL,
            token TEXT UNIQUE,
            created_at TEXT NOT NULL
        );
        CREATE INDEX opinion_additions_opinion ON opinion_additions (opinion_id, id);
        ALTER TABLE photos ADD COLUMN addition_id INTEGER REFERENCES opinion_additions (id);
        """,
    )
