-- quillpost schema 1 (PostgreSQL). Times are BIGINT microseconds since the Unix epoch, UTC.
-- Ids (and columns referring to them) are TEXT COLLATE "C": cursor pagination compares them byte by byte, whatever the locale.
CREATE TABLE accounts (
	id         TEXT COLLATE "C" PRIMARY KEY,
	name       TEXT NOT NULL UNIQUE,
	created_at BIGINT NOT NULL
);

CREATE TABLE api_keys (
	id         TEXT COLLATE "C" PRIMARY KEY,
	account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (id),
	kind       TEXT NOT NULL CHECK (kind IN ('live', 'test', 'operator')),
	hash       TEXT NOT NULL UNIQUE, -- hex SHA-256 of the secret; the secret is never stored
	hint       TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	revoked_at BIGINT
);
CREATE INDEX api_keys_account ON api_keys (account_id);

CREATE TABLE campaigns (
	id         TEXT COLLATE "C" PRIMARY KEY,
	account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (id),
	name       TEXT NOT NULL,
	state      TEXT NOT NULL,
	spec       TEXT NOT NULL DEFAULT '{}',
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL
);
CREATE INDEX campaigns_account ON campaigns (account_id, id);

CREATE TABLE cards (
	id                TEXT COLLATE "C" PRIMARY KEY,
	account_id        TEXT COLLATE "C" NOT NULL REFERENCES accounts (id),
	campaign_id       TEXT COLLATE "C" REFERENCES campaigns (id),
	idempotency_key   TEXT,
	test              BOOLEAN NOT NULL,
	message           TEXT NOT NULL,
	font              TEXT NOT NULL,
	hand              TEXT NOT NULL,
	stock             TEXT NOT NULL,
	format            TEXT NOT NULL,
	seed              BIGINT NOT NULL,
	stroke_hash       TEXT NOT NULL,
	to_address        TEXT NOT NULL,
	from_address      TEXT NOT NULL,
	metadata          TEXT NOT NULL DEFAULT '{}',
	status            TEXT NOT NULL CHECK (status IN ('received', 'accepted', 'queued', 'plotting',
		'written', 'posted', 'rejected', 'spoiled', 'cancelled', 'failed')),
	attempts          INTEGER NOT NULL CHECK (attempts >= 0),
	approval_required BOOLEAN NOT NULL,
	send_date         BIGINT,
	created_at        BIGINT NOT NULL,
	updated_at        BIGINT NOT NULL
);
CREATE UNIQUE INDEX cards_idempotency ON cards (account_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX cards_account ON cards (account_id, id);
CREATE INDEX cards_account_status ON cards (account_id, status, id);
CREATE INDEX cards_campaign ON cards (campaign_id, status) WHERE campaign_id IS NOT NULL;
CREATE INDEX cards_send_date ON cards (send_date) WHERE send_date IS NOT NULL;

CREATE TABLE events (
	id          TEXT COLLATE "C" PRIMARY KEY,
	card_id     TEXT COLLATE "C" NOT NULL REFERENCES cards (id) ON DELETE CASCADE,
	account_id  TEXT COLLATE "C" NOT NULL,
	seq         INTEGER NOT NULL,
	from_status TEXT NOT NULL CHECK (from_status IN ('received', 'accepted', 'queued', 'plotting',
		'written', 'posted', 'rejected', 'spoiled', 'cancelled', 'failed')),
	to_status   TEXT NOT NULL CHECK (to_status IN ('received', 'accepted', 'queued', 'plotting',
		'written', 'posted', 'rejected', 'spoiled', 'cancelled', 'failed')),
	attempt     INTEGER NOT NULL,
	cause       TEXT NOT NULL,
	detail      TEXT NOT NULL DEFAULT '',
	created_at  BIGINT NOT NULL,
	UNIQUE (card_id, seq)
);
CREATE INDEX events_account ON events (account_id, created_at);

CREATE TABLE idempotency_keys (
	account_id   TEXT COLLATE "C" NOT NULL REFERENCES accounts (id),
	key          TEXT NOT NULL,
	request_hash TEXT NOT NULL,
	status_code  INTEGER NOT NULL DEFAULT 0, -- 0 while the first request is in flight
	body         BYTEA,
	created_at   BIGINT NOT NULL,
	PRIMARY KEY (account_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

CREATE TABLE outbox (
	id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	kind         TEXT NOT NULL CHECK (kind IN ('job', 'event')),
	key          TEXT NOT NULL,
	msg_id       TEXT NOT NULL,
	payload      BYTEA NOT NULL,
	created_at   BIGINT NOT NULL,
	published_at BIGINT
);
CREATE INDEX outbox_pending ON outbox (id) WHERE published_at IS NULL;
CREATE INDEX outbox_published ON outbox (published_at) WHERE published_at IS NOT NULL;
