-- 0008: routing rules (an ordered list, conditions as JSON), per-source
-- default actions, the routing decision of each story that a rule decided or
-- that was held or spiked (which rule held it, the review schedule), and the
-- desk's event log that live updates are read from.

CREATE TABLE rules (
    id                bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The place in the list; rules are evaluated by (position, id).
    position          integer     NOT NULL,
    name              text        NOT NULL,
    disabled          boolean     NOT NULL DEFAULT false,
    -- rules.Conditions as JSON; the store does not look inside.
    conditions        json        NOT NULL DEFAULT '{}',
    action            text        NOT NULL DEFAULT '' CHECK (action IN ('', 'publish', 'hold', 'spike')),
    section           text        NOT NULL DEFAULT '',
    continue_matching boolean     NOT NULL DEFAULT false,
    updated_by        text        NOT NULL DEFAULT '',
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL
);

CREATE TABLE rule_source_defaults (
    source_name text        NOT NULL PRIMARY KEY,
    action      text        NOT NULL CHECK (action IN ('publish', 'hold', 'spike')),
    updated_at  timestamptz NOT NULL
);

-- One row, whose version moves on with every change to the rules or the
-- defaults: apply reads it per new story and recompiles only when it moved.
-- Changing the rules updates this row first, so two editors' changes are
-- serialized by its row lock.
CREATE TABLE rule_set_version (
    id      integer PRIMARY KEY CHECK (id = 1),
    version bigint  NOT NULL
);
INSERT INTO rule_set_version (id, version) VALUES (1, 0);

-- The routing decision of a story's first version, kept when a rule decided
-- it or when it was not simply published. rule_id has no foreign key: a
-- deleted rule's name stays as the record of what held the story.
CREATE TABLE story_routing (
    story_id     bigint      NOT NULL PRIMARY KEY REFERENCES stories (id),
    action       text        NOT NULL,
    rule_id      bigint,
    rule_name    text        NOT NULL DEFAULT '',
    decided_at   timestamptz NOT NULL,
    scheduled_at timestamptz,
    scheduled_by text        NOT NULL DEFAULT ''
);

-- The review queue: held stories, and stories with an agency update pending.
CREATE INDEX stories_held ON stories (id) WHERE state = 'held';
CREATE INDEX stories_pending ON stories (id) WHERE pending_version_id IS NOT NULL;

-- The desk's event log, append only; its id is the Server-Sent Events id.
CREATE TABLE desk_events (
    id       bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind     text        NOT NULL,
    story_id bigint      NOT NULL,
    actor    text        NOT NULL DEFAULT '',
    at       timestamptz NOT NULL
);
