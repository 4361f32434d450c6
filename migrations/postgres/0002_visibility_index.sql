-- Feed pages for callers who may not see every restriction level read one range of this
-- index per visible level, so hidden entries are never scanned (a long run of them at the
-- top of a feed would otherwise be read again for every page).
create index entries_visibility_feed on entries (collection, restriction, edited desc, id desc);
