-- 0001: sources, their raw deliveries, stories and their immutable versions.
--
-- Times are TEXT in one fixed-width UTC layout (2006-01-02T15:04:05.000000Z,
-- microseconds, like PostgreSQL's timestamptz) so that comparing the text
-- compares the times and ORDER BY works. They are never declared DATETIME: the
-- driver would then parse them itself.
--
-- Ids are AUTOINCREMENT so that a deleted row's id is never handed out again:
-- story ids appear in public URLs.

CREATE TABLE sources (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    name                 TEXT    NOT NULL UNIQUE,
    url                  TEXT    NOT NULL DEFAULT '',
    format               TEXT    NOT NULL DEFAULT '',
    agency               TEXT    NOT NULL DEFAULT '',
    poll_interval_ns     INTEGER NOT NULL DEFAULT 0,
    allow_private        INTEGER NOT NULL DEFAULT 0 CHECK (allow_private IN (0, 1)),
    paused               INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
    etag                 TEXT    NOT NULL DEFAULT '',
    last_modified        TEXT    NOT NULL DEFAULT '',
    state                TEXT    NOT NULL DEFAULT 'new',
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    last_attempt_at      TEXT,
    last_success_at      TEXT,
    last_error           TEXT    NOT NULL DEFAULT '',
    last_error_at        TEXT,
    next_attempt_at      TEXT,
    ids_derived          INTEGER NOT NULL DEFAULT 0 CHECK (ids_derived IN (0, 1)),
    created_at           TEXT    NOT NULL,
    updated_at           TEXT    NOT NULL
) STRICT;

CREATE TABLE deliveries (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    -- NULL for files pushed by `wiredesk ingest`.
    source_id    INTEGER REFERENCES sources (id),
    origin       TEXT    NOT NULL DEFAULT '',
    content_type TEXT    NOT NULL DEFAULT '',
    sha256       TEXT    NOT NULL,
    size         INTEGER NOT NULL,
    body         BLOB    NOT NULL,
    received_at  TEXT    NOT NULL,
    format       TEXT    NOT NULL DEFAULT '',
    item_count   INTEGER NOT NULL DEFAULT 0,
    error        TEXT    NOT NULL DEFAULT ''
) STRICT;

-- The same bytes are archived once per source, and once among the deliveries
-- that have no source (NULLs are distinct in a plain unique index, hence two
-- partial ones).
CREATE UNIQUE INDEX deliveries_source_sha256 ON deliveries (source_id, sha256) WHERE source_id IS NOT NULL;
CREATE UNIQUE INDEX deliveries_unsourced_sha256 ON deliveries (sha256) WHERE source_id IS NULL;

CREATE TABLE stories (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    agency             TEXT    NOT NULL,
    uri                TEXT    NOT NULL,
    slug               TEXT    NOT NULL DEFAULT '',
    state              TEXT    NOT NULL,
    -- The version on show; NULL until the first SetCurrent.
    current_version_id INTEGER REFERENCES story_versions (id),
    first_seen_at      TEXT    NOT NULL,
    -- First publication; NULL until the story is first visible.
    published_at       TEXT,
    updated_at         TEXT    NOT NULL,
    UNIQUE (agency, uri)
) STRICT;

-- The newest-first listing of visible stories (story.State.Visible: only
-- 'published') with its keyset cursor (published_at, id).
CREATE INDEX stories_visible_newest ON stories (published_at DESC, id DESC)
    WHERE state = 'published' AND published_at IS NOT NULL;

CREATE TABLE story_versions (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    story_id        INTEGER NOT NULL REFERENCES stories (id),
    version_key     TEXT    NOT NULL,
    -- story.Item as its canonical JSON. Link and IDDerived are not part of
    -- that JSON, so they have columns of their own.
    item            TEXT    NOT NULL,
    link            TEXT    NOT NULL DEFAULT '',
    id_derived      INTEGER NOT NULL DEFAULT 0 CHECK (id_derived IN (0, 1)),
    delivery_id     INTEGER REFERENCES deliveries (id),
    -- Copied from the delivery when the version is stored, so the story keeps
    -- its proof of origin even if old raw deliveries are one day pruned.
    delivery_sha256 TEXT    NOT NULL DEFAULT '',
    source_name     TEXT    NOT NULL DEFAULT '',
    received_at     TEXT    NOT NULL,
    applied         INTEGER NOT NULL DEFAULT 0 CHECK (applied IN (0, 1)),
    UNIQUE (story_id, version_key)
) STRICT;

CREATE INDEX story_versions_delivery ON story_versions (delivery_id);
