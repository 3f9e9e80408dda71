-- quillpost schema 20 (SQLite): test-mode webhooks, and server-side operator sessions.
-- A test key's webhooks receive the events of test cards only; a live key's, of live cards only.
ALTER TABLE webhooks ADD COLUMN test INTEGER NOT NULL DEFAULT 0 CHECK (test IN (0, 1));

-- An operator session: the browser holds a random token, the database only its SHA-256.
CREATE TABLE operator_sessions (
	token_hash TEXT PRIMARY KEY,
	key_id     TEXT NOT NULL REFERENCES api_keys (id),
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
);
CREATE INDEX operator_sessions_key ON operator_sessions (key_id);
CREATE INDEX operator_sessions_expiry ON operator_sessions (expires_at);
