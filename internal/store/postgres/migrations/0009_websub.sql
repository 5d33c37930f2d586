-- 0009: WebSub subscriptions, one per source: the hub found for its feed,
-- the callback token and secret, the lease, and when the subscriber acts
-- next (discover again, renew, retry).

CREATE TABLE websub_subscriptions (
    source_id        bigint      PRIMARY KEY REFERENCES sources (id) ON DELETE CASCADE,
    state            text        NOT NULL CHECK (state IN ('nohub', 'pending', 'active')),
    hub              text        NOT NULL DEFAULT '',
    topic            text        NOT NULL DEFAULT '',
    -- The callback URL's last segment; '' until a hub is found.
    token            text        NOT NULL DEFAULT '',
    secret           text        NOT NULL DEFAULT '',
    lease_seconds    bigint      NOT NULL DEFAULT 0,
    lease_expires_at timestamptz,
    verified_at      timestamptz,
    last_content_at  timestamptz,
    failures         integer     NOT NULL DEFAULT 0,
    last_error       text        NOT NULL DEFAULT '',
    next_attempt_at  timestamptz NOT NULL,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL
);

CREATE UNIQUE INDEX websub_subscriptions_token ON websub_subscriptions (token) WHERE token <> '';
CREATE INDEX websub_subscriptions_due ON websub_subscriptions (next_attempt_at);
