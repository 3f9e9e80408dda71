-- quillpost schema 61 (postgres): inbound triggers (a CRM's or shop's own webhook mapped to a card),
-- every call they received with its outcome, and each account's guards over them.
CREATE TABLE triggers (
	id          TEXT COLLATE "C" PRIMARY KEY,
	account_id  TEXT NOT NULL REFERENCES accounts (id),
	test        BOOLEAN NOT NULL,
	name        TEXT NOT NULL,
	state       TEXT NOT NULL CHECK (state IN ('active', 'paused', 'cancelled')),
	secret      TEXT NOT NULL, -- verifies the sender's HMAC signatures, so it is kept, not hashed
	spec        TEXT NOT NULL DEFAULT '{}',
	daily_cap   INTEGER NOT NULL DEFAULT 0 CHECK (daily_cap >= 0),
	monthly_cap INTEGER NOT NULL DEFAULT 0 CHECK (monthly_cap >= 0),
	created_at  BIGINT NOT NULL,
	updated_at  BIGINT NOT NULL
);
CREATE INDEX triggers_account ON triggers (account_id, id);

CREATE TABLE trigger_events (
	id         TEXT COLLATE "C" PRIMARY KEY,
	trigger_id TEXT NOT NULL REFERENCES triggers (id),
	account_id TEXT NOT NULL,
	event_id   TEXT NOT NULL,
	outcome    TEXT NOT NULL CHECK (outcome IN ('admitted', 'queued', 'held', 'refused', 'capped', 'paused', 'failed')),
	counted    BOOLEAN NOT NULL, -- admitted, queued or held: holds the event id, counts against the caps
	reason     TEXT NOT NULL DEFAULT '',
	field      TEXT NOT NULL DEFAULT '',
	card_id    TEXT NOT NULL DEFAULT '',
	created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX trigger_events_once ON trigger_events (trigger_id, event_id) WHERE counted;
CREATE INDEX trigger_events_trigger ON trigger_events (trigger_id, id);
CREATE INDEX trigger_events_account ON trigger_events (account_id, id);
CREATE INDEX trigger_events_counted ON trigger_events (account_id, created_at) WHERE counted;

CREATE TABLE trigger_settings (
	account_id        TEXT COLLATE "C" PRIMARY KEY REFERENCES accounts (id),
	hold_for_approval BOOLEAN NOT NULL,
	daily_cap         INTEGER NOT NULL CHECK (daily_cap >= 0),
	monthly_cap       INTEGER NOT NULL CHECK (monthly_cap >= 0)
);
