-- 0001: sources, their raw deliveries, stories and their immutable versions.
-- Unqualified names: the tables go into the schema first on the search_path,
-- which the store sets to its configured schema.

CREATE TABLE sources (
    id                   bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name                 text        NOT NULL UNIQUE,
    url                  text        NOT NULL DEFAULT '',
    format               text        NOT NULL DEFAULT '',
    agency               text        NOT NULL DEFAULT '',
    poll_interval_ns     bigint      NOT NULL DEFAULT 0,
    allow_private        boolean     NOT NULL DEFAULT false,
    paused               boolean     NOT NULL DEFAULT false,
    etag                 text        NOT NULL DEFAULT '',
    last_modified        text        NOT NULL DEFAULT '',
    state                text        NOT NULL DEFAULT 'new',
    consecutive_failures integer     NOT NULL DEFAULT 0,
    last_attempt_at      timestamptz,
    last_success_at      timestamptz,
    last_error           text        NOT NULL DEFAULT '',
    last_error_at        timestamptz,
    next_attempt_at      timestamptz,
    ids_derived          boolean     NOT NULL DEFAULT false,
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL
);

CREATE TABLE deliveries (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- NULL for files pushed by `wiredesk ingest`.
    source_id    bigint      REFERENCES sources (id),
    origin       text        NOT NULL DEFAULT '',
    content_type text        NOT NULL DEFAULT '',
    sha256       text        NOT NULL,
    size         bigint      NOT NULL,
    body         bytea       NOT NULL,
    received_at  timestamptz NOT NULL,
    format       text        NOT NULL DEFAULT '',
    item_count   integer     NOT NULL DEFAULT 0,
    error        text        NOT NULL DEFAULT ''
);

-- The same bytes are archived once per source, and once among the deliveries
-- that have no source (NULLs are distinct in a plain unique index, hence two
-- partial ones).
CREATE UNIQUE INDEX deliveries_source_sha256 ON deliveries (source_id, sha256) WHERE source_id IS NOT NULL;
CREATE UNIQUE INDEX deliveries_unsourced_sha256 ON deliveries (sha256) WHERE source_id IS NULL;

CREATE TABLE stories (
    id                 bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agency             text        NOT NULL,
    uri                text        NOT NULL,
    slug               text        NOT NULL DEFAULT '',
    state              text        NOT NULL,
    -- The version on show; NULL until the first SetCurrent. Its foreign key
    -- is added below, once story_versions exists.
    current_version_id bigint,
    first_seen_at      timestamptz NOT NULL,
    -- First publication; NULL until the story is first visible.
    published_at       timestamptz,
    updated_at         timestamptz NOT NULL,
    UNIQUE (agency, uri)
);

-- The newest-first listing of visible stories (story.State.Visible: only
-- 'published') with its keyset cursor (published_at, id).
CREATE INDEX stories_visible_newest ON stories (published_at DESC, id DESC)
    WHERE state = 'published' AND published_at IS NOT NULL;

CREATE TABLE story_versions (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    story_id        bigint      NOT NULL REFERENCES stories (id),
    version_key     text        NOT NULL,
    -- story.Item as its canonical JSON. json, not jsonb: jsonb refuses the
    -- \u0000 escape, and one odd character in agency copy must not stop an
    -- item from being stored. Link and IDDerived are not part of that JSON,
    -- so they have columns of their own.
    item            json        NOT NULL,
    link            text        NOT NULL DEFAULT '',
    id_derived      boolean     NOT NULL DEFAULT false,
    delivery_id     bigint      REFERENCES deliveries (id),
    -- Copied from the delivery when the version is stored, so the story keeps
    -- its proof of origin even if old raw deliveries are one day pruned.
    delivery_sha256 text        NOT NULL DEFAULT '',
    source_name     text        NOT NULL DEFAULT '',
    received_at     timestamptz NOT NULL,
    applied         boolean     NOT NULL DEFAULT false,
    UNIQUE (story_id, version_key)
);

CREATE INDEX story_versions_delivery ON story_versions (delivery_id);

ALTER TABLE stories ADD CONSTRAINT stories_current_version_fkey
    FOREIGN KEY (current_version_id) REFERENCES story_versions (id);
