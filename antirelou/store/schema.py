"""The log's schema: ordered migrations, each one a version (PRAGMA user_version), and the
statuses a reply or an alert goes through.

A migration is never edited once released: a change is a new version at the end. Statements
are split on ';', so no literal may hold one.
"""

from __future__ import annotations

MIGRATIONS: tuple[str, ...] = (
    # version 1
    """
    CREATE TABLE pdus (
        id INTEGER PRIMARY KEY,
        pdu TEXT NOT NULL,
        storage TEXT NOT NULL,
        slot INTEGER NOT NULL,
        on_modem INTEGER NOT NULL DEFAULT 1,
        received_at TEXT NOT NULL,
        sender TEXT,
        concat_reference INTEGER,
        concat_total INTEGER,
        concat_sequence INTEGER,
        message_id INTEGER REFERENCES messages(id)
    );
    CREATE INDEX pdus_on_modem ON pdus(storage, slot) WHERE on_modem = 1;
    CREATE INDEX pdus_unassembled ON pdus(sender, concat_reference) WHERE message_id IS NULL;
    CREATE TABLE messages (
        id INTEGER PRIMARY KEY,
        sender TEXT,
        sender_kind TEXT NOT NULL,
        text TEXT,
        smsc_time TEXT,
        received_at TEXT NOT NULL,
        parts INTEGER NOT NULL,
        parts_expected INTEGER NOT NULL,
        encoding TEXT,
        error TEXT
    );
    CREATE INDEX messages_sender ON messages(sender, received_at);
    CREATE INDEX messages_received ON messages(received_at);
    CREATE TABLE replies (
        id INTEGER PRIMARY KEY,
        message_id INTEGER NOT NULL UNIQUE REFERENCES messages(id),
        recipient TEXT,
        text TEXT,
        status TEXT NOT NULL,
        reason TEXT NOT NULL,
        segments INTEGER NOT NULL DEFAULT 0,
        segments_sent INTEGER NOT NULL DEFAULT 0,
        attempts INTEGER NOT NULL DEFAULT 0,
        due_at TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        modem_reference TEXT,
        error TEXT
    );
    CREATE INDEX replies_recipient ON replies(recipient, created_at);
    CREATE INDEX replies_due ON replies(due_at) WHERE status = 'queued';
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        kind TEXT NOT NULL,
        detail TEXT NOT NULL
    );
    CREATE INDEX events_at ON events(at);
    CREATE TABLE heartbeat (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        pid INTEGER NOT NULL,
        at TEXT NOT NULL,
        started_at TEXT NOT NULL,
        state TEXT NOT NULL,
        detail TEXT NOT NULL
    );
    """,
    # version 2: reply sequences, flood mode, block list
    """
    ALTER TABLE replies ADD COLUMN step INTEGER;
    ALTER TABLE replies ADD COLUMN in_flood INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX replies_created ON replies(created_at);
    CREATE TABLE blocked (
        number TEXT PRIMARY KEY,
        reason TEXT NOT NULL,
        at TEXT NOT NULL
    );
    """,
    # version 3: alerts to the operators
    """
    CREATE TABLE alerts (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        recipient TEXT NOT NULL,
        text TEXT NOT NULL,
        status TEXT NOT NULL,
        reason TEXT NOT NULL,
        segments INTEGER NOT NULL,
        segments_sent INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        error TEXT
    );
    CREATE INDEX alerts_kind ON alerts(kind, created_at);
    CREATE INDEX alerts_queued ON alerts(id) WHERE status = 'queued';
    """,
    # version 4: budgets read only the replies that cost money. Without this index every
    # message of a raid scanned 30 days of skipped replies (CPU per message grew with it).
    """
    CREATE INDEX replies_spending ON replies(created_at, recipient)
        WHERE status IN ('queued', 'sending', 'sent', 'unknown');
    """,
    # version 5: every decision's machine-readable reason (antirelou.reasons.Reason) beside its
    # sentence. Rows written before it get their code from their sentence, once, here.
    """
    ALTER TABLE replies ADD COLUMN reason_code TEXT;
    ALTER TABLE alerts ADD COLUMN reason_code TEXT;
    UPDATE replies SET reason_code = CASE
        WHEN reason = 'first message' THEN 'first_message'
        WHEN reason LIKE 'message % of the sequence' THEN 'sequence_step'
        WHEN reason LIKE 'sender % is a name, not a phone number' THEN 'alphanumeric'
        WHEN reason LIKE 'sender % is a short code' THEN 'short_code'
        WHEN reason LIKE 'sender % is not a full phone number' THEN 'not_a_number'
        WHEN reason LIKE 'the message could not be decoded%' THEN 'undecodable'
        WHEN reason LIKE '% is in a never-answered range%' THEN 'never_reply_prefix'
        WHEN reason LIKE '% is an operator%' THEN 'operator'
        WHEN reason LIKE 'blocked before it was sent%' THEN 'blocked_while_waiting'
        WHEN reason LIKE '% is blocked%' THEN 'blocked'
        WHEN reason LIKE 'replies are disabled%' THEN 'replies_disabled'
        WHEN reason LIKE 'a reply to this number is already waiting%' THEN 'reply_waiting'
        WHEN reason LIKE 'sequence finished%' THEN 'sequence_finished'
        WHEN reason LIKE 'already answered%' THEN 'cooldown'
        WHEN reason LIKE 'flood mode: only numbers never answered%' THEN 'flood_already_answered'
        WHEN reason LIKE 'flood-mode hourly budget spent%' THEN 'budget_flood_hour'
        WHEN reason LIKE 'hourly budget spent%' THEN 'budget_hour'
        WHEN reason LIKE 'daily budget spent%' THEN 'budget_day'
        WHEN reason LIKE 'monthly budget of numbers spent%' THEN 'budget_numbers'
        WHEN reason LIKE 'monthly budget spent%' THEN 'budget_month'
        WHEN reason LIKE 'wrote again during the flood-mode hold%' THEN 'insisted_during_hold'
    END;
    UPDATE alerts SET reason_code = CASE
        WHEN reason = 'alert' THEN 'alert'
        WHEN reason = 'no alerts.numbers' THEN 'no_alert_numbers'
        WHEN reason LIKE 'hourly budget spent%' THEN 'budget_hour'
        WHEN reason LIKE 'daily budget spent%' THEN 'budget_day'
        WHEN reason LIKE 'monthly budget spent%' THEN 'budget_month'
    END;
    """,
    # version 6: incoming voice calls are rows of the log too (kind 'call': no text, the caller
    # as sender), so that history, raid detection and budgets count them like messages.
    """
    ALTER TABLE messages ADD COLUMN kind TEXT NOT NULL DEFAULT 'sms';
    """,
    # version 7: a reply counts against the budgets from the moment it reserved its cost
    # (spent_at): when queued, or for one decided in flood mode, when it leaves, which may be
    # hours later; counting it at its decision would let a late reply escape the hour it was
    # sent in. held_by: the budget a deferred flood-mode reply waits for.
    """
    ALTER TABLE replies ADD COLUMN spent_at TEXT;
    ALTER TABLE replies ADD COLUMN held_by TEXT;
    UPDATE replies SET spent_at = created_at
        WHERE status IN ('sending', 'sent', 'unknown') OR (status = 'queued' AND in_flood = 0);
    DROP INDEX replies_spending;
    CREATE INDEX replies_spending ON replies(spent_at, recipient) WHERE spent_at IS NOT NULL
        AND status IN ('queued', 'sending', 'sent', 'unknown');
    """,
    # version 8: the budgets read counters, not 30 days of replies. spent_hours holds the
    # segments spent per UTC hour, answered each number's latest reply that counts (and latest
    # flood-mode one), both kept in the transaction that changes what they count; the two
    # partial indexes find one number's replies without reading its whole history (a raider's
    # thousands of skipped rows).
    """
    CREATE TABLE spent_hours (
        hour TEXT PRIMARY KEY,
        segments INTEGER NOT NULL DEFAULT 0,
        flood_segments INTEGER NOT NULL DEFAULT 0
    ) WITHOUT ROWID;
    CREATE TABLE answered (
        recipient TEXT PRIMARY KEY,
        last_at TEXT NOT NULL,
        last_flood_at TEXT
    ) WITHOUT ROWID;
    CREATE INDEX answered_last ON answered(last_at);
    INSERT INTO spent_hours (hour, segments, flood_segments)
        SELECT substr(spent_at, 1, 13), SUM(segments), SUM(in_flood * segments) FROM replies
        WHERE spent_at IS NOT NULL AND status IN ('queued', 'sending', 'sent', 'unknown')
        GROUP BY 1;
    INSERT INTO answered (recipient, last_at, last_flood_at)
        SELECT recipient, MAX(spent_at), MAX(CASE WHEN in_flood = 1 THEN spent_at END)
        FROM replies WHERE spent_at IS NOT NULL
        AND status IN ('queued', 'sending', 'sent', 'unknown') GROUP BY recipient;
    CREATE INDEX replies_spent_by ON replies(recipient, spent_at) WHERE spent_at IS NOT NULL
        AND status IN ('queued', 'sending', 'sent', 'unknown');
    CREATE INDEX replies_waiting ON replies(recipient, created_at)
        WHERE status IN ('queued', 'sending');
    """,
    # version 9: the alerts' reserve reads the last day of alerts, not all of them.
    """
    CREATE INDEX alerts_spending ON alerts(created_at)
        WHERE status IN ('queued', 'sending', 'sent', 'unknown');
    """,
    # version 10: every sender's count of messages (and of calls), kept with each message, so
    # that `stats` reads the whole log's totals from one row per sender, not from every message.
    # A hidden caller is the sender ''.
    """
    CREATE TABLE senders (
        sender TEXT NOT NULL,
        kind TEXT NOT NULL,
        sender_kind TEXT NOT NULL,
        messages INTEGER NOT NULL,
        PRIMARY KEY (sender, kind, sender_kind)
    ) WITHOUT ROWID;
    INSERT INTO senders (sender, kind, sender_kind, messages)
        SELECT COALESCE(sender, ''), kind, sender_kind, COUNT(*) FROM messages GROUP BY 1, 2, 3;
    """,
    # version 11: evidence and privacy. The tamper-evident log (`ledger`: one leaf per record, in
    # the order records were written, with the record's salted digest and its salt; the RFC 6962
    # tree's frontier in `ledger_head` and the perfect subtrees above the leaves in
    # `ledger_nodes`, from which any proof is built), its checkpoints, and what it covers that
    # had no row of its own: each reply's decision and outcomes (`reply_events`; `replies`
    # keeps only the current state), flags and their removal, block list changes, who looked
    # (`access`), the device's identity (`device`) and purges. `messages.sender_received` is
    # the sender exactly as the network gave it (`sender` is how the log compares numbers);
    # `purged_at` marks a message whose number and text retention removed. A record's id is
    # never used twice: rows retention deletes have AUTOINCREMENT ids, the others are only
    # emptied. Records written before this version are logged as they are at the upgrade
    # (database.Store._migrate).
    """
    CREATE TABLE ledger (
        seq INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        record_id INTEGER NOT NULL,
        digest BLOB NOT NULL,
        salt BLOB,
        UNIQUE (kind, record_id)
    );
    CREATE TABLE ledger_nodes (
        level INTEGER NOT NULL,
        position INTEGER NOT NULL,
        hash BLOB NOT NULL,
        PRIMARY KEY (level, position)
    ) WITHOUT ROWID;
    CREATE TABLE ledger_head (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        size INTEGER NOT NULL,
        frontier BLOB NOT NULL
    );
    CREATE TABLE checkpoints (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        size INTEGER NOT NULL,
        root BLOB NOT NULL,
        why TEXT NOT NULL
    );
    CREATE TABLE reply_events (
        id INTEGER PRIMARY KEY,
        reply_id INTEGER NOT NULL REFERENCES replies(id),
        at TEXT NOT NULL,
        status TEXT NOT NULL,
        reason_code TEXT,
        reason TEXT,
        segments_sent INTEGER NOT NULL DEFAULT 0,
        error TEXT
    );
    CREATE INDEX reply_events_reply ON reply_events(reply_id);
    CREATE TABLE flags (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        message_id INTEGER NOT NULL REFERENCES messages(id),
        rule TEXT NOT NULL,
        reason TEXT NOT NULL,
        matched TEXT,
        at TEXT NOT NULL,
        author TEXT NOT NULL
    );
    CREATE INDEX flags_message ON flags(message_id);
    CREATE TABLE unflags (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        flag_id INTEGER NOT NULL UNIQUE REFERENCES flags(id),
        at TEXT NOT NULL,
        author TEXT NOT NULL
    );
    CREATE TABLE block_events (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        number TEXT NOT NULL,
        action TEXT NOT NULL,
        reason TEXT,
        author TEXT NOT NULL
    );
    CREATE TABLE access (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        command TEXT NOT NULL,
        user TEXT NOT NULL,
        covered TEXT NOT NULL
    );
    CREATE TABLE device (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        imei TEXT,
        imsi TEXT,
        iccid TEXT,
        own_number TEXT,
        operator TEXT,
        manufacturer TEXT,
        model TEXT,
        firmware TEXT,
        software_version TEXT,
        clock_synchronised INTEGER
    );
    CREATE TABLE purges (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        fields TEXT NOT NULL
    );
    ALTER TABLE messages ADD COLUMN sender_received TEXT;
    ALTER TABLE messages ADD COLUMN purged_at TEXT;
    CREATE INDEX pdus_message ON pdus(message_id);
    INSERT INTO reply_events (reply_id, at, status, reason_code, reason, segments_sent, error)
        SELECT id, updated_at, status, reason_code, reason, segments_sent, error FROM replies
        ORDER BY id;
    INSERT INTO block_events (at, number, action, reason, author)
        SELECT at, number, 'block', reason, 'antirelou' FROM blocked ORDER BY at;
    """,
)

# The version from which every record is in the tamper-evident log.
LEDGER_VERSION = 11

# What a row of `messages` is (messages.kind): an SMS, or a rejected voice call.
SMS, CALL = "sms", "call"

# A flag still standing: no one removed it (`antirelou unflag`). For a flag row aliased `f`.
CURRENT_FLAG = "NOT EXISTS (SELECT 1 FROM unflags u WHERE u.flag_id = f.id)"
# A message (aliased `m`) with a flag still standing.
FLAGGED_MESSAGE = f"EXISTS (SELECT 1 FROM flags f WHERE f.message_id = m.id AND {CURRENT_FLAG})"  # noqa: S608 - constants only

# Replies that cost, or will cost, money: counted against the budgets.
SPENDING = "('queued', 'sending', 'sent', 'unknown')"

# Reply statuses. 'sending' is written before the first AT+CMGS, so a crash
# mid-send leaves a row that start-up turns into 'unknown': never re-sent.
QUEUED, SENDING, SENT, FAILED, UNKNOWN, SKIPPED = (
    "queued",
    "sending",
    "sent",
    "failed",
    "unknown",
    "skipped",
)
