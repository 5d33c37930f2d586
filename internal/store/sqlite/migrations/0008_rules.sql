-- 0008: routing rules (an ordered list, conditions as JSON), per-source
-- default actions, the routing decision of each story that a rule decided or
-- that was held or spiked (which rule held it, the review schedule), and the
-- desk's event log that live updates are read from.

CREATE TABLE rules (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    -- The place in the list; rules are evaluated by (position, id).
    position          INTEGER NOT NULL,
    name              TEXT    NOT NULL,
    disabled          INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    -- rules.Conditions as JSON; the store does not look inside.
    conditions        TEXT    NOT NULL DEFAULT '{}',
    action            TEXT    NOT NULL DEFAULT '' CHECK (action IN ('', 'publish', 'hold', 'spike')),
    section           TEXT    NOT NULL DEFAULT '',
    continue_matching INTEGER NOT NULL DEFAULT 0 CHECK (continue_matching IN (0, 1)),
    updated_by        TEXT    NOT NULL DEFAULT '',
    created_at        TEXT    NOT NULL,
    updated_at        TEXT    NOT NULL
) STRICT;

CREATE TABLE rule_source_defaults (
    source_name TEXT NOT NULL PRIMARY KEY,
    action      TEXT NOT NULL CHECK (action IN ('publish', 'hold', 'spike')),
    updated_at  TEXT NOT NULL
) STRICT;

-- One row, whose version moves on with every change to the rules or the
-- defaults: apply reads it per new story and recompiles only when it moved.
CREATE TABLE rule_set_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
) STRICT;
INSERT INTO rule_set_version (id, version) VALUES (1, 0);

-- The routing decision of a story's first version, kept when a rule decided
-- it or when it was not simply published. rule_id has no foreign key: a
-- deleted rule's name stays as the record of what held the story.
CREATE TABLE story_routing (
    story_id     INTEGER NOT NULL PRIMARY KEY REFERENCES stories (id),
    action       TEXT    NOT NULL,
    rule_id      INTEGER,
    rule_name    TEXT    NOT NULL DEFAULT '',
    decided_at   TEXT    NOT NULL,
    scheduled_at TEXT,
    scheduled_by TEXT    NOT NULL DEFAULT ''
) STRICT;

-- The review queue: held stories, and stories with an agency update pending.
CREATE INDEX stories_held ON stories (id) WHERE state = 'held';
CREATE INDEX stories_pending ON stories (id) WHERE pending_version_id IS NOT NULL;

-- The desk's event log, append only; its id is the Server-Sent Events id.
CREATE TABLE desk_events (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    kind     TEXT    NOT NULL,
    story_id INTEGER NOT NULL,
    actor    TEXT    NOT NULL DEFAULT '',
    at       TEXT    NOT NULL
) STRICT;
