-- quillpost schema 60 (sqlite): occasion recipients (people with dates), occasion rules and the
-- cards they have sent, one per rule, recipient and year.
CREATE TABLE occasion_recipients (
	id         TEXT PRIMARY KEY,
	account_id TEXT NOT NULL REFERENCES accounts (id),
	test       INTEGER NOT NULL CHECK (test IN (0, 1)),
	ext_key    TEXT NOT NULL, -- the CRM's id of the person
	to_address TEXT NOT NULL,
	variables  TEXT NOT NULL DEFAULT '{}',
	metadata   TEXT NOT NULL DEFAULT '{}',
	email      TEXT NOT NULL DEFAULT '',
	dates      TEXT NOT NULL DEFAULT '{}', -- JSON: occasion name → 2006-01-02 or --01-02
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	UNIQUE (account_id, test, ext_key)
);
CREATE INDEX occasion_recipients_account ON occasion_recipients (account_id, id);

CREATE TABLE occasion_rules (
	id          TEXT PRIMARY KEY,
	account_id  TEXT NOT NULL REFERENCES accounts (id),
	test        INTEGER NOT NULL CHECK (test IN (0, 1)),
	name        TEXT NOT NULL,
	occasion    TEXT NOT NULL,
	days_before INTEGER NOT NULL CHECK (days_before >= 0 AND days_before <= 60),
	state       TEXT NOT NULL CHECK (state IN ('active', 'paused', 'cancelled')),
	spec        TEXT NOT NULL DEFAULT '{}',
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL
);
CREATE INDEX occasion_rules_account ON occasion_rules (account_id, id);
CREATE INDEX occasion_rules_state ON occasion_rules (state, id);

CREATE TABLE occasion_sends (
	rule_id      TEXT NOT NULL REFERENCES occasion_rules (id),
	recipient_id TEXT NOT NULL, -- no reference: an erased recipient's sends stay, without personal data
	year         INTEGER NOT NULL,
	card_id      TEXT NOT NULL,
	write_on     TEXT NOT NULL,
	created_at   INTEGER NOT NULL,
	PRIMARY KEY (rule_id, recipient_id, year)
);
