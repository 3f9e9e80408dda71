-- The renderer version a card's proof (stroke_hash) was drawn with, and whether the card is held
-- because an upgraded renderer no longer draws that proof (it waits for the new proof's approval).
-- 0: accepted before versions were recorded.
ALTER TABLE cards ADD COLUMN render_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cards ADD COLUMN proof_changed INTEGER NOT NULL DEFAULT 0 CHECK (proof_changed IN (0, 1));
