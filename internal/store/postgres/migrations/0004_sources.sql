-- 0004: what the scheduler and source management need: per-source
-- credentials, the adaptive interval, the feed's ttl, the cursor of cursor feeds, WebSub's
-- push lease, the claim of a queued poll, soft deletion, and the indexes of the due-source scan and of
-- the items-per-day count.

-- Credentials as given: kind is '', 'basic', 'bearer', 'header' or 'query'.
ALTER TABLE sources ADD COLUMN auth_kind     text NOT NULL DEFAULT '';
ALTER TABLE sources ADD COLUMN auth_username text NOT NULL DEFAULT '';
ALTER TABLE sources ADD COLUMN auth_secret   text NOT NULL DEFAULT '';
ALTER TABLE sources ADD COLUMN auth_name     text NOT NULL DEFAULT '';
-- 0 until the first poll: the configured poll_interval_ns.
ALTER TABLE sources ADD COLUMN current_interval_ns bigint NOT NULL DEFAULT 0;
-- The feed's own minimum refresh (RSS <ttl>), from its last full response;
-- 0 when it names none.
ALTER TABLE sources ADD COLUMN feed_ttl_ns bigint NOT NULL DEFAULT 0;
-- Where the next poll of a cursor feed starts; '' polls url.
ALTER TABLE sources ADD COLUMN poll_cursor text NOT NULL DEFAULT '';
ALTER TABLE sources ADD COLUMN push_active_until timestamptz;
-- Set while a poll of the source is queued (ClaimDueSources), so the next
-- scans skip it; cleared by the poll's outcome, and over by itself if the
-- poll never ran.
ALTER TABLE sources ADD COLUMN claimed_until timestamptz;
-- Set by `source remove`: the row stays because deliveries point at it.
ALTER TABLE sources ADD COLUMN deleted_at timestamptz;

-- The due scan: sources never attempted (NULL) and those whose next attempt
-- has come, from one index.
CREATE INDEX sources_due ON sources (next_attempt_at) WHERE NOT paused AND deleted_at IS NULL;

-- Items per day: the deliveries of the last day, then their versions
-- through story_versions_delivery.
CREATE INDEX deliveries_received ON deliveries (received_at, source_id) WHERE source_id IS NOT NULL;
