-- 0002: the story lifecycle (DESIGN §4 rules 4 to 9): why a story is in its
-- state, editor protection, agency updates waiting for an editor, duplicate
-- fingerprints of every version, and clusters of stories reporting the same
-- thing.

ALTER TABLE stories
    -- Why the story is in its state, e.g. the agency's kill notice.
    ADD COLUMN state_reason       text   NOT NULL DEFAULT '',
    -- The editor who edited the story; non-empty means agency updates no
    -- longer replace its text (rule 8).
    ADD COLUMN edited_by          text   NOT NULL DEFAULT '',
    -- A newer agency version waiting for an editor; NULL when none.
    ADD COLUMN pending_version_id bigint REFERENCES story_versions (id),
    -- The cluster: the smallest story id among its members. NULL when
    -- alone, so a lone story costs nothing in the index below.
    ADD COLUMN cluster_id         bigint REFERENCES stories (id);

-- Cluster members in id order: the one-per-cluster filter of the story list
-- (is there a visible member with a smaller id?), "also reported by" and
-- merging all look a cluster up by its id.
CREATE INDEX stories_cluster ON stories (cluster_id, id) WHERE cluster_id IS NOT NULL;

-- The duplicate fingerprint of a version's text (dedup), set after the
-- version is stored; NULL for versions without text. text_sha256 finds
-- identical copy; minhash is the MinHash signature, 128 uint32 values as 512
-- bytes little-endian, compared in Go with the query's signature.
ALTER TABLE story_versions
    ADD COLUMN text_sha256 text,
    ADD COLUMN minhash     bytea;

CREATE INDEX story_versions_text_sha256 ON story_versions (text_sha256) WHERE text_sha256 IS NOT NULL;

-- The LSH band keys of each version's signature, 32 per version: two
-- signatures that are likely similar share at least one key, so looking up
-- a signature's keys finds its near duplicates without comparing against
-- every version. A key is a uint64 stored bit for bit as a signed bigint.
-- story_id is the version's story, repeated here so the lookup can leave
-- out the asking story without reading story_versions; it has no foreign
-- key of its own, since version_id's already ties the row to the version
-- and SetFingerprint writes both from one checked pair (a second check would
-- cost a lookup per key, 32 per version).
CREATE TABLE version_bands (
    version_id bigint NOT NULL REFERENCES story_versions (id),
    band_key   bigint NOT NULL,
    story_id   bigint NOT NULL,
    PRIMARY KEY (version_id, band_key)
);

-- The lookup by key, covering, so that it can be answered from the index.
CREATE INDEX version_bands_band_key ON version_bands (band_key, story_id, version_id);
