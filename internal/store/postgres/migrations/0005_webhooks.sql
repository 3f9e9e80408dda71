-- quillpost schema 5 (PostgreSQL): webhook endpoints, their deliveries and the delivery log.
CREATE TABLE webhooks (
	id          TEXT COLLATE "C" PRIMARY KEY,
	account_id  TEXT NOT NULL REFERENCES accounts (id),
	url         TEXT NOT NULL,
	event_types TEXT NOT NULL, -- JSON array of event types; "*" for all
	secret      TEXT NOT NULL, -- signs payloads (HMAC), so it is kept, not hashed
	created_at  BIGINT NOT NULL,
	deleted_at  BIGINT
);
CREATE INDEX webhooks_account ON webhooks (account_id, id);

CREATE TABLE webhook_deliveries (
	id               TEXT COLLATE "C" PRIMARY KEY,
	webhook_id       TEXT NOT NULL REFERENCES webhooks (id),
	account_id       TEXT NOT NULL,
	event_id         TEXT NOT NULL,
	event_type       TEXT NOT NULL,
	card_id          TEXT NOT NULL DEFAULT '',
	payload          BYTEA NOT NULL,
	status           TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
	attempts         INTEGER NOT NULL DEFAULT 0,
	next_attempt_at  BIGINT NOT NULL,
	last_status_code INTEGER NOT NULL DEFAULT 0,
	last_error       TEXT NOT NULL DEFAULT '',
	created_at       BIGINT NOT NULL,
	updated_at       BIGINT NOT NULL,
	UNIQUE (webhook_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, id);
CREATE INDEX webhook_deliveries_card ON webhook_deliveries (card_id);

CREATE TABLE webhook_attempts (
	id          TEXT COLLATE "C" PRIMARY KEY,
	delivery_id TEXT NOT NULL REFERENCES webhook_deliveries (id),
	attempt     INTEGER NOT NULL,
	status_code INTEGER NOT NULL DEFAULT 0,
	error       TEXT NOT NULL DEFAULT '',
	duration_ms BIGINT NOT NULL,
	created_at  BIGINT NOT NULL
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, attempt);
