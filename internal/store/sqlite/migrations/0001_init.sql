-- quillpost schema 1 (SQLite). Times are INTEGER microseconds since the Unix epoch, UTC.
CREATE TABLE accounts (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL UNIQUE,
	created_at INTEGER NOT NULL
);

CREATE TABLE api_keys (
	id         TEXT PRIMARY KEY,
	account_id TEXT NOT NULL REFERENCES accounts (id),
	kind       TEXT NOT NULL CHECK (kind IN ('live', 'test', 'operator')),
	hash       TEXT NOT NULL UNIQUE, -- hex SHA-256 of the secret; the secret is never stored
	hint       TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	revoked_at INTEGER
);
CREATE INDEX api_keys_account ON api_keys (account_id);

CREATE TABLE campaigns (
	id         TEXT PRIMARY KEY,
	account_id TEXT NOT NULL REFERENCES accounts (id),
	name       TEXT NOT NULL,
	state      TEXT NOT NULL,
	spec       TEXT NOT NULL DEFAULT '{}',
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
);
CREATE INDEX campaigns_account ON campaigns (account_id, id);

CREATE TABLE cards (
	id                TEXT PRIMARY KEY,
	account_id        TEXT NOT NULL REFERENCES accounts (id),
	campaign_id       TEXT REFERENCES campaigns (id),
	idempotency_key   TEXT,
	test              INTEGER NOT NULL CHECK (test IN (0, 1)),
	message           TEXT NOT NULL,
	font              TEXT NOT NULL,
	hand              TEXT NOT NULL,
	stock             TEXT NOT NULL,
	format            TEXT NOT NULL,
	seed              INTEGER NOT NULL,
	stroke_hash       TEXT NOT NULL,
	to_address        TEXT NOT NULL,
	from_address      TEXT NOT NULL,
	metadata          TEXT NOT NULL DEFAULT '{}',
	status            TEXT NOT NULL CHECK (status IN ('received', 'accepted', 'queued', 'plotting',
		'written', 'posted', 'rejected', 'spoiled', 'cancelled', 'failed')),
	attempts          INTEGER NOT NULL CHECK (attempts >= 0),
	approval_required INTEGER NOT NULL CHECK (approval_required IN (0, 1)),
	send_date         INTEGER,
	created_at        INTEGER NOT NULL,
	updated_at        INTEGER NOT NULL
);
CREATE UNIQUE INDEX cards_idempotency ON cards (account_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX cards_account ON cards (account_id, id);
CREATE INDEX cards_account_status ON cards (account_id, status, id);
CREATE INDEX cards_campaign ON cards (campaign_id, status) WHERE campaign_id IS NOT NULL;
CREATE INDEX cards_send_date ON cards (send_date) WHERE send_date IS NOT NULL;

CREATE TABLE events (
	id          TEXT PRIMARY KEY,
	card_id     TEXT NOT NULL REFERENCES cards (id) ON DELETE CASCADE,
	account_id  TEXT NOT NULL,
	seq         INTEGER NOT NULL,
	from_status TEXT NOT NULL CHECK (from_status IN ('received', 'accepted', 'queued', 'plotting',
		'written', 'posted', 'rejected', 'spoiled', 'cancelled', 'failed')),
	to_status   TEXT NOT NULL CHECK (to_status IN ('received', 'accepted', 'queued', 'plotting',
		'written', 'posted', 'rejected', 'spoiled', 'cancelled', 'failed')),
	attempt     INTEGER NOT NULL,
	cause       TEXT NOT NULL,
	detail      TEXT NOT NULL DEFAULT '',
	created_at  INTEGER NOT NULL,
	UNIQUE (card_id, seq)
);
CREATE INDEX events_account ON events (account_id, created_at);

CREATE TABLE idempotency_keys (
	account_id   TEXT NOT NULL REFERENCES accounts (id),
	key          TEXT NOT NULL,
	request_hash TEXT NOT NULL,
	status_code  INTEGER NOT NULL DEFAULT 0, -- 0 while the first request is in flight
	body         BLOB,
	created_at   INTEGER NOT NULL,
	PRIMARY KEY (account_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

CREATE TABLE outbox (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	kind         TEXT NOT NULL CHECK (kind IN ('job', 'event')),
	key          TEXT NOT NULL,
	msg_id       TEXT NOT NULL,
	payload      BLOB NOT NULL,
	created_at   INTEGER NOT NULL,
	published_at INTEGER
);
CREATE INDEX outbox_pending ON outbox (id) WHERE published_at IS NULL;
CREATE INDEX outbox_published ON outbox (published_at) WHERE published_at IS NOT NULL;
