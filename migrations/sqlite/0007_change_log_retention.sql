-- The change log is kept for a configured time (`change_log_retention_days`). When older
-- rows are removed, each audience (restriction level and draft owner) remembers the newest
-- removed change that touched it. A sync token whose window starts before the newest such
-- change among the audiences its caller sees cannot be answered exactly, and the server
-- says so (410); removed changes that only touched other audiences expire no one's token,
-- so pruning reveals nothing about writes a caller cannot see.
alter table collection_levels add column pruned_seq integer not null default 0;
