-- Who could see an entry before and after each change: its restriction level and, while a
-- draft, its publisher ('' once published); null where there is no entry (before a
-- create, after a delete). A poller's "what changed since" is filtered with these in SQL:
-- an entry leaving a caller's view is a deletion for that caller, one entering it a
-- creation, and a change the caller could see neither before nor after never shows.
-- Rows written before this migration have no audience and show to no one.
alter table changes add column before_level integer;
alter table changes add column before_owner text;
alter table changes add column after_level integer;
alter table changes add column after_owner text;
