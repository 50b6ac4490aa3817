"""The bodies of migrations 0014 onwards (feedback.schema registers them after
feedback.migrations_early's, in this order): ratings' reasons, recurrences, departments
and their accounts, online handling, deputies, text messages, the public board, return
visits and the figures' indexes. Never edit one that has been applied: add the next.
"""

from __future__ import annotations

from sqlite_utils import Database

from feedback.labels import DEPUTY_LEVELS, DUTY_ACTIVITIES
from feedback.migrations_early import run_script


def rating_reasons(db: Database) -> None:
    """Why a villager is not satisfied (不满意), in their words, optional: a clerk reading 80
    不满意 a month needs to know which answers to go back to (issue 13)."""
    run_script(db, "ALTER TABLE opinions ADD COLUMN rating_reason TEXT;")


def recurrences(db: Database) -> None:
    """A suggestion opened because a closed problem came back names the one it follows, so
    both pages can point to each other (the lamps broke again)."""
    run_script(
        db, "ALTER TABLE suggestions ADD COLUMN follows_id INTEGER REFERENCES suggestions (id);"
    )


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
    _rebuild(db, "users", USERS_0017, INDEXES_0017)


USERS_0017 = """
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
"""
INDEXES_0017 = """
    CREATE INDEX users_department ON users (department_id) WHERE department_id IS NOT NULL;
"""


def _rebuild(db: Database, table: str, create: str, indexes: str) -> None:
    """Copy `table` into the table `create` makes (<table>_rebuilt), swap it in, add
    `indexes`, and commit only when every foreign key still holds. Foreign keys are off
    meanwhile (other tables point at this one) and PRAGMA foreign_keys is ignored inside a
    transaction, so this runs outside the Migrations' transaction, in its own."""
    if db.conn.in_transaction:
        db.conn.commit()
    db.execute("PRAGMA foreign_keys=OFF")
    try:
        if db.execute("PRAGMA foreign_keys").fetchone()[0]:
            raise RuntimeError(f"foreign keys could not be switched off for the {table} rebuild")
        _copy_into_rebuilt(db, table, create, indexes)
    finally:
        db.execute("PRAGMA foreign_keys=ON")


def _copy_into_rebuilt(db: Database, table: str, create: str, indexes: str) -> None:
    kept = ", ".join(db[table].columns_dict)
    db.execute("BEGIN IMMEDIATE")
    try:
        run_script(
            db,
            create
            + f"""
            INSERT INTO {table}_rebuilt ({kept}) SELECT {kept} FROM {table};
            DROP TABLE {table};
            ALTER TABLE {table}_rebuilt RENAME TO {table};
            """
            + indexes,
        )
        broken = db.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"foreign keys broken by the {table} rebuild: {broken[:3]}")
        db.conn.commit()
    except BaseException:
        db.conn.rollback()
        raise


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


def deputies(db: Database) -> None:
    """People's-congress deputies (feedback.deputies), their stations and their duty work.

    - deputies: the registry, code unique like a station's (it is part of the 代表码's
      address /d/CODE); a retired deputy keeps their row (and what they did) but their code
      takes no more opinions.
    - deputy_stations: the stations of their town a deputy is posted to; `position` orders
      them, the first receives what is sent to the deputy's own code.
    - opinions.deputy_id: the deputy an opinion is addressed to (their 代表码, or typed in by
      them); opinions.activity_id: the duty activity it was heard at, opinions.place where
      (the house, the market) when a deputy typed it in.
    - deputy_activities and their photos: what a deputy records on the phone (进站接待、走访、
      调研视察、座谈、集市摆摊), the record of work is counted from them."""
    levels = ", ".join(f"'{level}'" for level in DEPUTY_LEVELS)
    kinds = ", ".join(f"'{kind}'" for kind in DUTY_ACTIVITIES)
    run_script(
        db,
        f"""
        CREATE TABLE deputies (
            id INTEGER PRIMARY KEY,
            code TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            town TEXT NOT NULL REFERENCES towns (name),
            level TEXT NOT NULL DEFAULT '乡镇' CHECK (level IN ({levels})),
            phone TEXT,
            active INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL
        );
        CREATE INDEX deputies_town ON deputies (town, active);

        CREATE TABLE deputy_stations (
            deputy_id INTEGER NOT NULL REFERENCES deputies (id),
            station_id INTEGER NOT NULL REFERENCES stations (id),
            position INTEGER NOT NULL,
            PRIMARY KEY (deputy_id, station_id)
        ) WITHOUT ROWID;
        CREATE INDEX deputy_stations_station ON deputy_stations (station_id, deputy_id);

        CREATE TABLE deputy_activities (
            id INTEGER PRIMARY KEY,
            deputy_id INTEGER NOT NULL REFERENCES deputies (id),
            kind TEXT NOT NULL CHECK (kind IN ({kinds})),
            held_on TEXT NOT NULL,
            place TEXT NOT NULL,
            people INTEGER NOT NULL CHECK (people >= 0),
            notes TEXT NOT NULL DEFAULT '',
            created_by TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE INDEX deputy_activities_deputy ON deputy_activities (deputy_id, held_on);

        CREATE TABLE activity_photos (
            id INTEGER PRIMARY KEY,
            activity_id INTEGER NOT NULL REFERENCES deputy_activities (id),
            filename TEXT NOT NULL UNIQUE,
            width INTEGER NOT NULL,
            height INTEGER NOT NULL,
            bytes INTEGER NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE INDEX activity_photos_activity ON activity_photos (activity_id);

        ALTER TABLE opinions ADD COLUMN deputy_id INTEGER REFERENCES deputies (id);
        ALTER TABLE opinions ADD COLUMN activity_id INTEGER REFERENCES deputy_activities (id);
        ALTER TABLE opinions ADD COLUMN place TEXT;
        CREATE INDEX opinions_deputy ON opinions (deputy_id, created_at)
            WHERE deputy_id IS NOT NULL;
        CREATE INDEX opinions_activity ON opinions (activity_id) WHERE activity_id IS NOT NULL;
        """,
    )


def deputy_accounts(db: Database) -> None:
    """Accounts of a deputy: role 'deputy' with the deputy they are (users.deputy_id). The
    role's CHECK changes, so the table is rebuilt exactly as migration 0017 did it (foreign
    keys off, its own transaction, every key checked before the commit)."""
    if "deputy_id" in db["users"].columns_dict:
        return
    _rebuild(db, "users", USERS_0021, INDEXES_0017 + INDEXES_0021)


USERS_0021 = """
    CREATE TABLE users_rebuilt (
        id INTEGER PRIMARY KEY,
        username TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('admin', 'clerk', 'department', 'deputy')),
        town TEXT,
        active INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL,
        department_id INTEGER REFERENCES departments (id),
        deputy_id INTEGER REFERENCES deputies (id),
        CHECK (role != 'clerk' OR town IS NOT NULL),
        CHECK ((role = 'department') = (department_id IS NOT NULL)),
        CHECK ((role = 'deputy') = (deputy_id IS NOT NULL))
    );
"""
INDEXES_0021 = """
    CREATE UNIQUE INDEX users_deputy ON users (deputy_id) WHERE deputy_id IS NOT NULL;
"""


def text_messages(db: Database) -> None:
    """Text messages to villagers who asked for them (feedback.notify).

    - opinions.sms: the villager ticked 有进展时发短信告诉我 (a phone number is required).
    - sms_outbox: one row per message, written in the transaction of the event (merged into
      a suggestion, answered), sent later by `feedback notify`. `tag` goes to the provider
      with the message (Alibaba OutId, Tencent SessionContext) so an interrupted send is
      settled by asking the provider, never by sending blindly again. One message per
      opinion, event, suggestion and occasion (the moment of the answer: a suggestion
      reopened and answered again texts again); a repeated event never texts twice.
    - sms_attempts: every request to the provider and its answer (phones masked), for audit.
    - sms_optouts: numbers that replied TD or that a clerk opted out; an opt-out covers the
      opinions made before it (a later opinion with the box ticked again is new consent)."""
    run_script(
        db,
        """
        ALTER TABLE opinions ADD COLUMN sms INTEGER NOT NULL DEFAULT 0;

        CREATE TABLE sms_outbox (
            id INTEGER PRIMARY KEY,
            opinion_id INTEGER NOT NULL REFERENCES opinions (id),
            event TEXT NOT NULL CHECK (event IN ('merged', 'answered')),
            suggestion_id INTEGER REFERENCES suggestions (id),
            occasion TEXT NOT NULL DEFAULT '',
            phone TEXT,
            receipt TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN
                ('pending', 'sending', 'sent', 'failed', 'cancelled', 'expired')),
            attempts INTEGER NOT NULL DEFAULT 0,
            next_at TEXT NOT NULL,
            claimed_at TEXT,
            tag TEXT NOT NULL UNIQUE,
            provider TEXT,
            provider_id TEXT,
            body TEXT,
            error TEXT,
            sent_at TEXT,
            created_at TEXT NOT NULL
        );
        CREATE UNIQUE INDEX sms_outbox_once
            ON sms_outbox (opinion_id, event, ifnull(suggestion_id, 0), occasion);
        CREATE INDEX sms_outbox_due ON sms_outbox (status, next_at);
        CREATE INDEX sms_outbox_phone ON sms_outbox (phone) WHERE phone IS NOT NULL;

        CREATE TABLE sms_attempts (
            id INTEGER PRIMARY KEY,
            outbox_id INTEGER NOT NULL REFERENCES sms_outbox (id),
            at TEXT NOT NULL,
            provider TEXT NOT NULL,
            action TEXT NOT NULL CHECK (action IN ('send', 'query')),
            outcome TEXT NOT NULL,
            response TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX sms_attempts_outbox ON sms_attempts (outbox_id, id);

        CREATE TABLE sms_optouts (
            phone TEXT PRIMARY KEY,
            at TEXT NOT NULL,
            source TEXT NOT NULL CHECK (source IN ('reply', 'clerk', 'provider')),
            actor TEXT
        ) WITHOUT ROWID;
        """,
    )


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


def return_visits(db: Database) -> None:
    """Return visits (回访, feedback.return_visits) and 二次办理 (feedback.reopening).

    - opinions.rating_source: who gave the rating, the villager on their status page or the
      town on a return visit (满意率 reports both); every earlier rating was the villager's.
    - return_visits: each call about an opinion, its outcome and note, who and when.
    - reopenings: each closing undone because a villager was not satisfied, with when it had
      closed and its answer, so the timelines keep the first answer beside the reopening."""
    run_script(
        db,
        """
        ALTER TABLE opinions ADD COLUMN rating_source TEXT
            CHECK (rating_source IN ('villager', 'visit'));
        UPDATE opinions SET rating_source = 'villager' WHERE rating IS NOT NULL;

        CREATE TABLE return_visits (
            id INTEGER PRIMARY KEY,
            opinion_id INTEGER NOT NULL REFERENCES opinions (id),
            outcome TEXT NOT NULL
                CHECK (outcome IN ('满意', '基本满意', '不满意', '未接通', '拒绝回访')),
            note TEXT NOT NULL DEFAULT '',
            caller TEXT NOT NULL,
            at TEXT NOT NULL
        );
        CREATE INDEX return_visits_opinion ON return_visits (opinion_id, at);
        CREATE INDEX opinions_answered_contact ON opinions (station_id, answered_at)
            WHERE phone IS NOT NULL AND consent = 1 AND answered_at IS NOT NULL;

        CREATE TABLE reopenings (
            id INTEGER PRIMARY KEY,
            suggestion_id INTEGER REFERENCES suggestions (id),
            opinion_id INTEGER NOT NULL REFERENCES opinions (id),
            closed_at TEXT,
            answer TEXT,
            reason TEXT NOT NULL,
            actor TEXT NOT NULL,
            at TEXT NOT NULL
        );
        CREATE INDEX reopenings_suggestion ON reopenings (suggestion_id);
        CREATE INDEX reopenings_opinion ON reopenings (opinion_id);
        """,
    )


def deputy_suggestions(db: Database) -> None:
    """Suggestions led and signed by deputies (feedback.deputy_suggestions).

    - suggestion_deputies: the lead deputy (领衔, at most one) and the co-signing deputies
      (附议) of a suggestion, chosen from the registry of its town. The free text
      suggestions.deputies of older rows stays as it was and is shown as such (原填写).
    - suggestions.proposed_by: the deputy who proposed it from their phone, if one did.
    - deputy_verdicts: the lead deputy's own verdict on the answer (代表意见征询表: 满意 /
      基本满意 / 不满意 and a comment), one per closing (`closed_at`), so a suggestion
      reopened (二次办理) and closed again is judged again."""
    run_script(
        db,
        """
        CREATE TABLE suggestion_deputies (
            suggestion_id INTEGER NOT NULL REFERENCES suggestions (id),
            deputy_id INTEGER NOT NULL REFERENCES deputies (id),
            role TEXT NOT NULL CHECK (role IN ('lead', 'cosign')),
            added_by TEXT NOT NULL,
            added_at TEXT NOT NULL,
            PRIMARY KEY (suggestion_id, deputy_id)
        ) WITHOUT ROWID;
        CREATE UNIQUE INDEX suggestion_deputies_lead ON suggestion_deputies (suggestion_id)
            WHERE role = 'lead';
        CREATE INDEX suggestion_deputies_deputy ON suggestion_deputies (deputy_id, suggestion_id);
        ALTER TABLE suggestions ADD COLUMN proposed_by INTEGER REFERENCES deputies (id);

        CREATE TABLE deputy_verdicts (
            id INTEGER PRIMARY KEY,
            suggestion_id INTEGER NOT NULL REFERENCES suggestions (id),
            deputy_id INTEGER NOT NULL REFERENCES deputies (id),
            closed_at TEXT NOT NULL,
            verdict TEXT NOT NULL CHECK (verdict IN ('满意', '基本满意', '不满意')),
            comment TEXT NOT NULL DEFAULT '',
            at TEXT NOT NULL
        );
        CREATE UNIQUE INDEX deputy_verdicts_once ON deputy_verdicts (suggestion_id, closed_at);
        CREATE INDEX deputy_verdicts_at ON deputy_verdicts (at);
        CREATE INDEX deputy_verdicts_deputy ON deputy_verdicts (deputy_id, at);
        """,
    )


def deputy_record_index(db: Database) -> None:
    """The record of work (feedback.deputy_record) counts each deputy's opinions of a year by
    channel and status: an index holding those columns answers it without reading the
    opinions themselves (a county's year: 0.3 s -> a few ms at a million opinions). It
    replaces opinions_deputy, whose columns are its first two."""
    run_script(
        db,
        """
        CREATE INDEX opinions_deputy_work ON opinions (deputy_id, created_at, channel, status)
            WHERE deputy_id IS NOT NULL;
        DROP INDEX IF EXISTS opinions_deputy;
        """,
    )


def supporter_texts(db: Database) -> None:
    """Texts to supporters (我也遇到, feedback.supporters) when their suggestion is answered.

    sms_outbox carries either an opinion (with its receipt) or a supporter (no receipt: the
    link is the suggestion's board entry), exactly one, and a third event
    'supported_answered' for the supporter's one message. The 'once' rule keeps its index for
    opinions and gains one for supporters: one message per supporter, event and moment of
    the answer. NOT NULL and CHECK constraints change only by rebuilding the table, which
    sms_attempts points at: rebuilt as 0017 rebuilt users, with foreign keys off, in its own
    transaction, checked before it commits; a rerun finds the column and does nothing."""
    if "supporter_id" in db["sms_outbox"].columns_dict:
        return
    _rebuild(db, "sms_outbox", OUTBOX_0030, OUTBOX_INDEXES_0030)


OUTBOX_0030 = """
    CREATE TABLE sms_outbox_rebuilt (
        id INTEGER PRIMARY KEY,
        opinion_id INTEGER REFERENCES opinions (id),
        event TEXT NOT NULL CHECK (event IN ('merged', 'answered', 'supported_answered')),
        suggestion_id INTEGER REFERENCES suggestions (id),
        occasion TEXT NOT NULL DEFAULT '',
        phone TEXT,
        receipt TEXT,
        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN
            ('pending', 'sending', 'sent', 'failed', 'cancelled', 'expired')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_at TEXT NOT NULL,
        claimed_at TEXT,
        tag TEXT NOT NULL UNIQUE,
        provider TEXT,
        provider_id TEXT,
        body TEXT,
        error TEXT,
        sent_at TEXT,
        created_at TEXT NOT NULL,
        supporter_id INTEGER REFERENCES supporters (id),
        CHECK ((opinion_id IS NULL) != (supporter_id IS NULL)),
        CHECK ((opinion_id IS NULL) = (receipt IS NULL)),
        CHECK ((supporter_id IS NOT NULL) = (event = 'supported_answered')),
        CHECK (supporter_id IS NULL OR suggestion_id IS NOT NULL)
    );
"""
OUTBOX_INDEXES_0030 = """
    CREATE UNIQUE INDEX sms_outbox_once
        ON sms_outbox (opinion_id, event, ifnull(suggestion_id, 0), occasion)
        WHERE opinion_id IS NOT NULL;
    CREATE UNIQUE INDEX sms_outbox_once_supporter
        ON sms_outbox (supporter_id, event, occasion) WHERE supporter_id IS NOT NULL;
    CREATE INDEX sms_outbox_due ON sms_outbox (status, next_at);
    CREATE INDEX sms_outbox_phone ON sms_outbox (phone) WHERE phone IS NOT NULL;
"""


def department_figures(db: Database) -> None:
    """What the bulletin's table by department counts (feedback.report_tables).

    - department_handings: every time a suggestion was handed to a department (lead or
      co-handler), with when it was due to be signed for and when it was. A row of
      suggestion_departments says who holds an item now and goes when it is returned; a
      lead's return takes the co-handlers' rows with it. This log keeps each handing, so a
      period's 收到交办 and 签收及时率 stay what they were. Triggers write it, whichever
      code inserts or signs (feedback.handling is not changed for it). Filled here from the
      rows there are and, for items returned before now, from the timeline (the handover
      before each return); co-handlers taken off by a lead's return before this migration
      are not known any more.
    - Indexes for the figures' ranges: suggestions closed, created and handed over in a
      period, timeline events of a kind in a period; the opinions' dates of answer and of
      rating now carry what the figures read beside the date (status or rating, station),
      so a year of answers is counted from the index alone (bench/dashboard.py: the 12-month
      trend of a county at 1,000,000 opinions, 3.4 s -> 80 ms). They replace 0011's.
    - A suggestion's timeline index carries the kind of each event too, so the desk's counts
      of urges and its last review of every item are read from the index (the desk of an
      office holding 10,000 items: its query 312 ms -> 145 ms); it still orders by id."""
    run_script(
        db,
        """
        CREATE TABLE department_handings (
            id INTEGER PRIMARY KEY,
            suggestion_id INTEGER NOT NULL REFERENCES suggestions (id),
            department_id INTEGER NOT NULL REFERENCES departments (id),
            role TEXT NOT NULL CHECK (role IN ('lead', 'co')),
            handed_at TEXT NOT NULL,
            sign_due_at TEXT,
            signed_at TEXT
        );
        INSERT INTO department_handings (suggestion_id, department_id, role, handed_at,
                sign_due_at, signed_at)
            SELECT suggestion_id, department_id, role, handed_at, sign_due_at, signed_at
            FROM suggestion_departments;
        INSERT INTO department_handings (suggestion_id, department_id, role, handed_at)
            SELECT r.suggestion_id, r.department_id,
                CASE WHEN h.department_id = r.department_id THEN 'lead' ELSE 'co' END, h.at
            FROM handling_events r JOIN handling_events h ON h.id = (
                SELECT max(x.id) FROM handling_events x WHERE x.suggestion_id = r.suggestion_id
                AND x.kind = 'handover' AND x.id < r.id)
            WHERE r.kind = 'return' AND r.department_id IS NOT NULL;
        CREATE INDEX department_handings_handed
            ON department_handings (handed_at, department_id, role, suggestion_id);
        CREATE INDEX department_handings_signed
            ON department_handings (signed_at, department_id, sign_due_at, suggestion_id)
            WHERE signed_at IS NOT NULL;
        CREATE INDEX department_handings_suggestion
            ON department_handings (suggestion_id, department_id, handed_at);

        CREATE TRIGGER department_handings_handed AFTER INSERT ON suggestion_departments
        BEGIN
            INSERT INTO department_handings (suggestion_id, department_id, role, handed_at,
                    sign_due_at, signed_at)
                VALUES (new.suggestion_id, new.department_id, new.role, new.handed_at,
                    new.sign_due_at, new.signed_at);
        END;
        CREATE TRIGGER department_handings_signed AFTER UPDATE OF signed_at
            ON suggestion_departments
        BEGIN
            UPDATE department_handings SET signed_at = new.signed_at
                WHERE suggestion_id = new.suggestion_id AND department_id = new.department_id
                AND handed_at = new.handed_at;
        END;

        CREATE INDEX suggestions_closed ON suggestions (closed_at, department_id)
            WHERE closed_at IS NOT NULL;
        CREATE INDEX suggestions_created ON suggestions (created_at, town);
        CREATE INDEX suggestions_assigned ON suggestions (assigned_at, department_id)
            WHERE assigned_at IS NOT NULL;
        CREATE INDEX handling_events_kind ON handling_events (kind, at, department_id);

        DROP INDEX handling_events_suggestion;
        CREATE INDEX handling_events_suggestion ON handling_events (suggestion_id, id, kind);

        DROP INDEX opinions_answered;
        CREATE INDEX opinions_answered ON opinions (answered_at, status, station_id)
            WHERE answered_at IS NOT NULL;
        DROP INDEX opinions_rated;
        CREATE INDEX opinions_rated ON opinions (rated_at, rating, station_id)
            WHERE rated_at IS NOT NULL;
        """,
    )


# (name, body, transactional): a table rebuild runs in its own transaction (_rebuild).
LATER = (
    ("0014_rating_reasons", rating_reasons, True),
    ("0015_recurrences", recurrences, True),
    ("0016_department_towns", department_towns, True),
    ("0017_department_accounts", department_accounts, False),
    ("0018_online_handling", online_handling, True),
    ("0020_deputies", deputies, True),
    ("0021_deputy_accounts", deputy_accounts, False),
    ("0023_text_messages", text_messages, True),
    ("0025_public_board", public_board, True),
    ("0026_opinion_additions", opinion_additions, True),
    ("0027_return_visits", return_visits, True),
    ("0028_deputy_suggestions", deputy_suggestions, True),
    ("0029_deputy_record_index", deputy_record_index, True),
    ("0030_supporter_texts", supporter_texts, False),
    ("0019_department_figures", department_figures, True),
)
