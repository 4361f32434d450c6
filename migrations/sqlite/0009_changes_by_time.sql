-- The head page of a feed shows the tombstones of a recent window (`head_tombstone_days`):
-- the change log is read from a time on, so it is indexed by time within each collection.
create index changes_by_time on changes (collection, at);
