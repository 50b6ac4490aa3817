"""The schema, owned here alone, as numbered migrations (sqlite-utils Migrations).

`feedback init` applies whatever is pending, so an older database moves forward without
losing data. Never edit an applied migration: add the next number.

The first migration lays down the whole domain of PRODUCT.md so that later features add
columns rather than reshape tables:

- stations: where posters hang; town is a plain name, the unit of a clerk's scope.
- opinions: one villager's submission; channel says where it came from (form, paper...);
  the receipt code is what the villager keeps; submission_token makes a repeated POST
  return the first opinion.
- photos: re-encoded images of an opinion, stored under generated names.
- suggestions / suggestion_opinions: a formal item and the opinions merged into it. The
  link table never moves or rewrites an opinion, and an opinion is in at most one
  suggestion.
- departments, users, audit_log: handling offices, staff accounts, who did what.
- heartbeat: one row /healthz rewrites to prove the database takes writes.
"""

from __future__ import annotations

import sqlite3

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from feedback.labels import STATION_KINDS

migrations = Migrations("feedback")


@migrations(name="0001_initial")
def initial(db: Database) -> None:
    kinds = ", ".join(f"'{k}'" for k in STATION_KINDS)
    _run_script(
        db,
        f"""
        CREATE TABLE stations (
            id INTEGER PRIMARY KEY,
            code TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            town TEXT NOT NULL,
            village TEXT NOT NULL DEFAULT '',
            kind TEXT NOT NULL DEFAULT '其他' CHECK (kind IN ({kinds})),
            address TEXT NOT NULL DEFAULT '',
            active INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%S', 'now'))
        );
        CREATE INDEX stations_town ON stations (town, active);

        CREATE TABLE opinions (
            id INTEGER PRIMARY KEY,
            receipt TEXT NOT NULL UNIQUE,
            station_id INTEGER NOT NULL REFERENCES stations (id),
            body TEXT NOT NULL,
            category TEXT NOT NULL,
            name TEXT,
            phone TEXT,
            consent INTEGER NOT NULL DEFAULT 0,
            channel TEXT NOT NULL DEFAULT 'form',
            collected_by TEXT,
            status TEXT NOT NULL DEFAULT 'new'
                CHECK (status IN ('new', 'merged', 'answered', 'rejected', 'spam')),
            answer TEXT,
            answered_at TEXT,
            reject_reason TEXT,
            rating TEXT CHECK (rating IN ('满意', '基本满意', '不满意')),
            rated_at TEXT,
            submission_token TEXT UNIQUE,
            created_at TEXT NOT NULL
        );
        CREATE INDEX opinions_station_created ON opinions (station_id, created_at);
        CREATE INDEX opinions_status ON opinions (status, created_at);

        CREATE TABLE photos (
            id INTEGER PRIMARY KEY,
            opinion_id INTEGER NOT NULL REFERENCES opinions (id),
            filename TEXT NOT NULL UNIQUE,
            width INTEGER NOT NULL,
            height INTEGER NOT NULL,
            bytes INTEGER NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE INDEX photos_opinion ON photos (opinion_id);

        CREATE TABLE departments (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            active INTEGER NOT NULL DEFAULT 1
        );

        CREATE TABLE suggestions (
            id INTEGER PRIMARY KEY,
            town TEXT NOT NULL,
            year INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            number TEXT NOT NULL UNIQUE,
            title TEXT NOT NULL,
            body TEXT NOT NULL,
            category TEXT NOT NULL,
            tier TEXT NOT NULL DEFAULT '一般' CHECK (tier IN ('微事', '一般', '重大')),
            status TEXT NOT NULL DEFAULT '待交办'
                CHECK (status IN ('待交办', '已交办', '办理中', '已办结')),
            department_id INTEGER REFERENCES departments (id),
            deputies TEXT NOT NULL DEFAULT '',
            deadline TEXT,
            assigned_at TEXT,
            closed_at TEXT,
            answer TEXT,
            created_at TEXT NOT NULL,
            UNIQUE (town, year, seq)
        );
        CREATE INDEX suggestions_town_status ON suggestions (town, status);

        CREATE TABLE suggestion_opinions (
            opinion_id INTEGER PRIMARY KEY REFERENCES opinions (id),
            suggestion_id INTEGER NOT NULL REFERENCES suggestions (id),
            added_at TEXT NOT NULL
        );
        CREATE INDEX suggestion_opinions_suggestion ON suggestion_opinions (suggestion_id);

        CREATE TABLE suggestion_notes (
            id INTEGER PRIMARY KEY,
            suggestion_id INTEGER NOT NULL REFERENCES suggestions (id),
            body TEXT NOT NULL,
            author TEXT NOT NULL,
            created_at TEXT NOT NULL
        );

        CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            username TEXT NOT NULL UNIQUE,
            password_hash TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('admin', 'clerk')),
            town TEXT,
            active INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL,
            CHECK (role = 'admin' OR town IS NOT NULL)
        );

        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%S', 'now')),
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            object_type TEXT NOT NULL,
            object_id TEXT,
            detail TEXT NOT NULL DEFAULT '{{}}'
        );
        CREATE INDEX audit_log_object ON audit_log (object_type, object_id);

        CREATE TABLE heartbeat (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            at TEXT NOT NULL
        );
        """,
    )


def _run_script(db: Database, script: str) -> None:
    """Run statements one by one: executescript() would COMMIT the migration's transaction."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            db.execute(statement)
            statement = ""


@migrations(name="0002_rate_counters")
def rate_counters(db: Database) -> None:
    _run_script(
        db,
        """
        CREATE TABLE rate_counters (
            bucket TEXT NOT NULL,
            window INTEGER NOT NULL,
            count INTEGER NOT NULL,
            PRIMARY KEY (bucket, window)
        ) WITHOUT ROWID;
        """,
    )


@migrations(name="0003_opinion_imports")
def opinion_imports(db: Database) -> None:
    """Opinions gathered offline (paper forms, market stalls, home visits) arrive in files;
    each file is recorded once per station so the same file is not imported twice."""
    _run_script(
        db,
        """
        CREATE TABLE opinion_imports (
            id INTEGER PRIMARY KEY,
            station_id INTEGER NOT NULL REFERENCES stations (id),
            sha256 TEXT NOT NULL,
            filename TEXT NOT NULL,
            rows INTEGER NOT NULL,
            channel TEXT NOT NULL,
            collected_by TEXT,
            actor TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE INDEX opinion_imports_station_sha ON opinion_imports (station_id, sha256);
        ALTER TABLE opinions ADD COLUMN import_id INTEGER REFERENCES opinion_imports (id);
        CREATE INDEX opinions_import ON opinions (import_id);
        """,
    )


@migrations(name="0004_opinion_search")
def opinion_search(db: Database) -> None:
    """Full-text search over opinion text. The trigram tokenizer finds any substring of three
    or more characters in Chinese text without a word segmenter; shorter queries (路灯) fall
    back to LIKE within the clerk's filters (see feedback.inbox)."""
    db["opinions"].enable_fts(["body"], tokenize="trigram", create_triggers=True)
    _run_script(
        db,
        """
        CREATE INDEX opinions_created ON opinions (created_at);
        CREATE INDEX opinions_category ON opinions (category, created_at);
        """,
    )


@migrations(name="0005_inbox_counts")
def inbox_counts(db: Database) -> None:
    """The inbox counts opinions per status within a town's stations; without these indexes
    each count read every opinion (~90 ms at 100,000)."""
    _run_script(
        db,
        """
        CREATE INDEX opinions_station_status ON opinions (station_id, status);
        CREATE INDEX opinions_status_station ON opinions (status, station_id);
        """,
    )


@migrations(name="0006_inbox_at_scale")
def inbox_at_scale(db: Database) -> None:
    """The inbox at a million opinions (bench/triage.py), where a town holds ~190,000.

    - opinion_counts keeps the number of opinions per station, status and category up to date
      through triggers, so the status tabs cost a few rows instead of a scan of the town
      (~35 ms at 190,000).
    - Two covering indexes let every filter of the inbox find and order its page from the
      index alone: per station by status then date (the default "new" view), and per station
      by date (date ranges); they replace the narrower (station_id, status) and
      (station_id, created_at) ones.
    - Two-character searches (路灯) cannot use the trigram index directly: they match the
      trigrams that begin with them, listed by the fts5vocab table, plus opinions whose text
      ends with them, found through an index on the last two characters.
    """
    _run_script(
        db,
        """
        CREATE INDEX opinions_inbox ON opinions (station_id, status, created_at, category);
        CREATE INDEX opinions_station_dates
            ON opinions (station_id, created_at, status, category);
        DROP INDEX opinions_station_status;
        DROP INDEX opinions_station_created;
        CREATE INDEX opinions_body_end ON opinions (lower(substr(body, -2)));
        CREATE VIRTUAL TABLE opinions_fts_terms USING fts5vocab(opinions_fts, 'row');

        CREATE TABLE opinion_counts (
            station_id INTEGER NOT NULL,
            status TEXT NOT NULL,
            category TEXT NOT NULL,
            n INTEGER NOT NULL,
            PRIMARY KEY (station_id, status, category)
        ) WITHOUT ROWID;
        INSERT INTO opinion_counts (station_id, status, category, n)
            SELECT station_id, status, category, count(*) FROM opinions GROUP BY 1, 2, 3;
        CREATE TRIGGER opinion_counts_ai AFTER INSERT ON opinions BEGIN
            INSERT INTO opinion_counts VALUES (new.station_id, new.status, new.category, 1)
                ON CONFLICT DO UPDATE SET n = n + 1;
        END;
        CREATE TRIGGER opinion_counts_ad AFTER DELETE ON opinions BEGIN
            UPDATE opinion_counts SET n = n - 1 WHERE station_id = old.station_id
                AND status = old.status AND category = old.category;
        END;
        CREATE TRIGGER opinion_counts_au AFTER UPDATE OF station_id, status, category ON opinions
        BEGIN
            UPDATE opinion_counts SET n = n - 1 WHERE station_id = old.station_id
                AND status = old.status AND category = old.category;
            INSERT INTO opinion_counts VALUES (new.station_id, new.status, new.category, 1)
                ON CONFLICT DO UPDATE SET n = n + 1;
        END;
        """,
    )


@migrations(name="0007_report_dates")
def report_dates(db: Database) -> None:
    """The monthly report counts ratings and answers by the month they were given in; without
    these it read every opinion (~90 ms for the 满意率 of a county at 100,000)."""
    _run_script(
        db,
        """
        CREATE INDEX opinions_rated ON opinions (rated_at) WHERE rated_at IS NOT NULL;
        CREATE INDEX opinions_answered ON opinions (answered_at) WHERE answered_at IS NOT NULL;
        """,
    )


@migrations(name="0008_sessions")
def sessions(db: Database) -> None:
    """Staff sign-ins kept server-side (feedback.sessions): the signed cookie carries only a
    random token, so logging out, a new password or a retired account ends a session for
    good, even if its cookie was copied. Only the token's SHA-256 is stored: a leaked backup
    holds no usable session."""
    _run_script(
        db,
        """
        CREATE TABLE sessions (
            id INTEGER PRIMARY KEY,
            token_hash TEXT NOT NULL UNIQUE,
            user_id INTEGER NOT NULL REFERENCES users (id),
            created_at TEXT NOT NULL,
            last_seen_at TEXT NOT NULL,
            ended_at TEXT,
            end_reason TEXT
        );
        CREATE INDEX sessions_user_open ON sessions (user_id) WHERE ended_at IS NULL;
        CREATE INDEX sessions_created ON sessions (created_at);
        """,
    )


@migrations(name="0009_opinion_vectors")
def opinion_vectors(db: Database) -> None:
    """Each opinion's sentence embedding (feedback.vectors), computed after it is stored and
    kept here so that a restart, a new worker or a restored backup never recomputes it.

    One row per opinion: int8 components (384 bytes for multilingual-e5-small), the model
    that made them named beside them so that another model's vectors are recomputed, not
    compared with these. The primary key is the opinion's id, so the rows are kept in id order
    and the newest is found at once."""
    _run_script(
        db,
        """
        CREATE TABLE opinion_vectors (
            opinion_id INTEGER PRIMARY KEY REFERENCES opinions (id),
            model TEXT NOT NULL,
            vector BLOB NOT NULL
        );
        """,
    )


@migrations(name="0010_china_stamps")
def china_stamps(db: Database) -> None:
    """Everything staff read is China time: the audit log's and stations' column defaults
    wrote UTC without an offset, shown raw beside China times. Those rows are rewritten as
    China stamps with their offset, as every other timestamp is stored; new rows are written
    so by the code (audit.record, stations)."""
    for table, column in (("audit_log", "at"), ("stations", "created_at")):
        db.execute(
            f"update {table} set {column} = "
            f"strftime('%Y-%m-%dT%H:%M:%S', {column}, '+8 hours') || '+08:00' "
            f"where {column} not like '%+__:__' and {column} not like '%Z'"
        )


@migrations(name="0011_suggestion_links_history")
def suggestion_links_history(db: Database) -> None:
    """A suggestion's history lists the opinions added to it and taken out of it, which are
    logged on the opinions (audit.suggestion_history): an index of the suggestion named in
    those entries finds them without reading the whole log."""
    db.execute(
        "CREATE INDEX audit_log_suggestion_links ON audit_log ("
        "coalesce(json_extract(detail, '$.after.suggestion'), "
        "json_extract(detail, '$.before.suggestion'))) "
        "WHERE action in ('opinion.merge', 'opinion.unmerge')"
    )


@migrations(name="0012_towns")
def towns(db: Database) -> None:
    """Towns as known things (feedback.towns): accounts name one from this table. Every
    town of a station is known, whichever path wrote the station (the CLI, the web, a CSV,
    a restored backup), through the triggers; an admin may add one ahead of its stations."""
    _run_script(
        db,
        """
        CREATE TABLE towns (
            name TEXT PRIMARY KEY,
            created_at TEXT NOT NULL
        );
        INSERT OR IGNORE INTO towns (name, created_at)
            SELECT town, min(created_at) FROM stations GROUP BY town;
        CREATE TRIGGER towns_of_new_stations AFTER INSERT ON stations BEGIN
            INSERT OR IGNORE INTO towns (name, created_at) VALUES
                (new.town, strftime('%Y-%m-%dT%H:%M:%S', 'now', '+8 hours') || '+08:00');
        END;
        CREATE TRIGGER towns_of_moved_stations AFTER UPDATE OF town ON stations BEGIN
            INSERT OR IGNORE INTO towns (name, created_at) VALUES
                (new.town, strftime('%Y-%m-%dT%H:%M:%S', 'now', '+8 hours') || '+08:00');
        END;
        """,
    )


@migrations(name="0013_unmerge_index")
def unmerge_index(db: Database) -> None:
    """The opinions clerks took out of a suggestion, found without reading the whole audit
    log: what feedback.judgements teaches the similarity that these are not one problem."""
    _run_script(
        db,
        """
        CREATE INDEX audit_log_unmerge ON audit_log (id) WHERE action = 'opinion.unmerge';
        """,
    )


@migrations(name="0014_department_towns")
def department_towns(db: Database) -> None:
    """A town's own office (甲镇环保办) serves that town only; an office without a town (县交通
    运输局) serves every town (feedback.departments). Existing offices become county offices,
    as every town could pick them before. Names stay unique across the county, so that
    `--department NAME` names exactly one office."""
    _run_script(
        db,
        """
        ALTER TABLE departments ADD COLUMN town TEXT REFERENCES towns (name);
        CREATE INDEX departments_town ON departments (town, active);
        """,
    )


@migrations(name="0015_department_accounts", transactional=False)
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
        _run_script(
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


@migrations(name="0016_online_handling")
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
    _run_script(
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
