-- The drain's idle-dialog housekeeping reads each dialog once per idle period: idle_checked_at holds the
-- updated_at of the version it handled (expired, or found finished), and a step's next write changes updated_at,
-- which makes the row a candidate again. Finished dialogs therefore pile up without ever being read again.
ALTER TABLE shoro_dialogs ADD COLUMN idle_checked_at timestamptz;
-- Only the rows not handled since their last change, by age: what the housekeeping looks for, oldest first.
CREATE INDEX idx_shoro_dialogs_idle_unchecked ON shoro_dialogs (updated_at) WHERE idle_checked_at IS DISTINCT FROM updated_at;
