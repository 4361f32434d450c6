-- The ROLIE store on PostgreSQL. Times are microseconds since the Unix epoch (UTC) in bigint
-- columns, the same representation as the SQLite backend, so keyset cursors are portable
-- and comparisons exact.

create table store_state (
    id integer primary key check (id = 1),
    collections_version bigint not null
);
insert into store_state (id, collections_version) values (1, 0);

create table collections (
    name text primary key,
    -- atom:id of the collection's feed: minted once, never derived from a URL (RFC 4287 §4.2.6)
    feed_id uuid not null unique,
    title text not null,
    information_type text not null,
    workspace text not null,
    accept jsonb not null,
    max_restriction smallint not null,
    public boolean not null,
    created bigint not null,
    -- change counters; the row is locked by every entry write of the collection, which
    -- serialises writes per collection so sequence order is commit order
    change_seq bigint not null default 0,
    last_change bigint not null,
    last_edited bigint not null default 0,
    entry_count bigint not null default 0
);

create table entries (
    id uuid primary key,
    collection text not null references collections (name),
    atom_id text not null,
    publisher text not null,
    title text not null,
    summary text not null,
    published bigint not null,
    updated bigint not null,
    edited bigint not null,
    draft boolean not null,
    restriction smallint not null,
    data jsonb not null,
    etag text not null,
    content_kind text not null check (content_kind in ('stored', 'external')),
    content_type text,
    content_src text,
    content_hash text,
    content_size bigint,
    content_modified bigint,
    constraint entries_collection_atom_id_key unique (collection, atom_id)
);
create index entries_feed on entries (collection, edited desc, id desc);

create table entry_categories (
    entry_id uuid not null references entries (id) on delete cascade,
    scheme text,
    term text not null
);
create index entry_categories_term on entry_categories (term, entry_id);
create index entry_categories_entry on entry_categories (entry_id);

create table contents (
    entry_id uuid primary key references entries (id) on delete cascade,
    bytes bytea not null
);

create table changes (
    collection text not null,
    seq bigint not null,
    kind text not null check (kind in ('create', 'update', 'delete')),
    entry_id uuid not null,
    atom_id text not null,
    at bigint not null,
    primary key (collection, seq)
);

create table feed_tokens (
    id uuid primary key,
    subject text not null,
    label text not null,
    clearance smallint not null,
    collections jsonb not null,
    secret_hash text not null,
    expires bigint,
    created bigint not null,
    revoked bigint
);

create table audit_log (
    seq bigserial primary key,
    at bigint not null,
    subject text not null,
    action text not null,
    resource text not null,
    outcome text not null,
    status integer not null,
    request_id text,
    detail text
);
