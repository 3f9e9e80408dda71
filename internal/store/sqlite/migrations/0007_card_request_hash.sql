-- The hash of the API request that created a card, kept with its idempotency key: a retried request
-- with the same key is answered from the card itself, so creating a card takes one transaction.
ALTER TABLE cards ADD COLUMN request_hash TEXT NOT NULL DEFAULT '';
