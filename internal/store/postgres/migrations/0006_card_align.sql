-- A card's alignment is part of what its strokes depend on: the worker renders the card again and
-- checks the stroke hash, so the alignment chosen at intake must be kept with the card.
ALTER TABLE cards ADD COLUMN align TEXT NOT NULL DEFAULT 'left' CHECK (align IN ('left', 'center'));
