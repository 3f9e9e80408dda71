-- Captured handwriting faces, private to their account (issue 18). Each upload under a name adds
-- a version; cards name "name@version", so a card is written in the version it was proofed in.
-- sheet is the customer's own handwriting as recorded: personal data, deleted with the face.
CREATE TABLE faces (
	id         TEXT PRIMARY KEY,
	account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	name       TEXT NOT NULL,
	version    INTEGER NOT NULL CHECK (version > 0),
	title      TEXT NOT NULL,
	sheet      TEXT NOT NULL,
	font       TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	UNIQUE (account_id, name, version)
);
