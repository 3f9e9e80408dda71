-- quillpost schema 62 (sqlite): a refused trigger call's stored reason quoted the payload's values
-- ("postal code Q7X9 is not …"), a person's data that an erasure by email cannot find in a
-- sentence. Reasons are now kept as the error's code and the payload fields at fault; the reasons
-- stored before keep only the fields.
UPDATE trigger_events
SET reason = 'the payload was refused' || CASE WHEN field <> '' THEN ' (' || field || ')' ELSE '' END
WHERE outcome = 'refused';
