-- Address labels of written cards, recorded in the transaction that records the card written, so
-- no written card is ever without its label. sheet is NULL while the label waits on its robot's
-- open sheet; a sheet is named before its PDF is written and marked printed after, so a crash in
-- between rebuilds the same sheet rather than losing or doubling labels. The address itself stays
-- on the card (erasure wipes it in one place).
CREATE TABLE labels (
	seq        BIGSERIAL PRIMARY KEY,
	card_id    TEXT COLLATE "C" NOT NULL UNIQUE REFERENCES cards (id) ON DELETE CASCADE,
	robot      TEXT NOT NULL,
	attempt    INTEGER NOT NULL,
	written_at BIGINT NOT NULL,
	sheet      TEXT,
	printed    BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX labels_open ON labels (robot, seq) WHERE sheet IS NULL;
CREATE INDEX labels_sheet ON labels (sheet, seq) WHERE sheet IS NOT NULL;
