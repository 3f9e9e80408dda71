-- A worker's claim on a card is a lease: lease_until is when it runs out unless the worker renews
-- it, lease_holder the robot holding it. A reconciler spoils and requeues plotting cards whose lease
-- ran out, so recovery never depends on the queue redelivering a job. Cards plotting when this
-- migration runs get a lease that has already ended: their holders predate leases.
ALTER TABLE cards ADD COLUMN lease_until BIGINT;
ALTER TABLE cards ADD COLUMN lease_holder TEXT NOT NULL DEFAULT '';
UPDATE cards SET lease_until = updated_at WHERE status = 'plotting';
CREATE INDEX cards_lease ON cards (lease_until) WHERE lease_until IS NOT NULL;
