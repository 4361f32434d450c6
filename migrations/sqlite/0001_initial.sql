-- The ROLIE store on SQLite. Times are microseconds since the Unix epoch (UTC) in integer
-- columns, so keyset comparisons are exact; ids are lower-case hyphenated UUIDs, whose text
-- order is their numeric order.

create table store_state (
    id integer primary key check (id = 1),
    -- moves on every collection create/update/delete: the service document's validator
    collections_version integer not null
);
insert into store_state (id, collections_version) values (1, 0);

create table collections (
    name text primary key,
    -- atom:id of the collection's feed: minted once, never derived from a URL (RFC 4287 §4.2.6)
    feed_id text not null unique,
    title text not null,
    information_type text not null,
    workspace text not null,
    accept text not null,                -- JSON array of media ranges
    max_restriction integer not null,    -- 0 public .. 3 private
    public integer not null,
    created integer not null,
    -- change counters, updated in the same transaction as every entry write
    change_seq integer not null default 0,
    last_change integer not null,
    last_edited integer not null default 0,
    entry_count integer not null default 0
);

create table entries (
    id text primary key,
    collection text not null references collections (name),
    atom_id text not null,
    publisher text not null,
    title text not null,                 -- plain text, for search
    summary text not null,               -- plain text, for search
    published integer not null,
    updated integer not null,
    edited integer not null,
    draft integer not null,
    restriction integer not null,
    data text not null,                  -- JSON of the entry metadata
    etag text not null,
    content_kind text not null check (content_kind in ('stored', 'external')),
    content_type text,
    content_src text,
    content_hash text,
    content_size integer,
    content_modified integer,
    unique (collection, atom_id)
);
create index entries_feed on entries (collection, edited desc, id desc);

create table entry_categories (
    entry_id text not null references entries (id) on delete cascade,
    scheme text,
    term text not null
);
create index entry_categories_term on entry_categories (term, entry_id);
create index entry_categories_entry on entry_categories (entry_id);

create table contents (
    entry_id text primary key references entries (id) on delete cascade,
    bytes blob not null
);

-- one row per create/update/delete; deletions are the tombstones pollers need
create table changes (
    collection text not null,
    seq integer not null,
    kind text not null check (kind in ('create', 'update', 'delete')),
    entry_id text not null,
    atom_id text not null,
    at integer not null,
    primary key (collection, seq)
);

create table feed_tokens (
    id text primary key,
    subject text not null,
    label text not null,
    clearance integer not null,
    collections text not null,           -- JSON array of names
    secret_hash text not null,
    expires integer,
    created integer not null,
    revoked integer
);

create table audit_log (
    seq integer primary key autoincrement,
    at integer not null,
    subject text not null,
    action text not null,
    resource text not null,
    outcome text not null,
    status integer not null,
    request_id text,
    detail text
);
