-- Full-text search over an entry's title, summary and content (its first 256 KiB), kept
-- by triggers in the same transaction as every write, so a search never sees another
-- state than the feed. Punctuation is turned into spaces first, so that host names and
-- addresses are indexed word by word, as SQLite's tokenizer does.
create table entry_search (
    entry_id uuid primary key references entries (id) on delete cascade,
    document tsvector not null
);
create index entry_search_document on entry_search using gin (document);

create function rolie_search_document(title text, summary text, body bytea) returns tsvector
language sql immutable as $$
    select to_tsvector('simple', regexp_replace(
        title || ' ' || summary || ' ' || coalesce(left(encode(body, 'escape'), 262144), ''),
        '[^[:alnum:]]+', ' ', 'g'))
$$;

insert into entry_search (entry_id, document)
select e.id, rolie_search_document(e.title, e.summary, c.bytes)
from entries e left join contents c on c.entry_id = e.id;

create function rolie_index_entry() returns trigger language plpgsql as $$
begin
    insert into entry_search (entry_id, document)
    select new.id, rolie_search_document(new.title, new.summary,
                                         (select bytes from contents where entry_id = new.id))
    on conflict (entry_id) do update set document = excluded.document;
    return null;
end $$;

create function rolie_index_content() returns trigger language plpgsql as $$
begin
    insert into entry_search (entry_id, document)
    select e.id, rolie_search_document(e.title, e.summary, new.bytes)
    from entries e where e.id = new.entry_id
    on conflict (entry_id) do update set document = excluded.document;
    return null;
end $$;

-- Stored content is indexed when its row follows; an entry whose content is elsewhere is
-- indexed on its own.
create trigger entries_search_insert after insert on entries
    for each row when (new.content_kind <> 'stored') execute function rolie_index_entry();
create trigger entries_search_update after update of title, summary on entries
    for each row execute function rolie_index_entry();
create trigger contents_search after insert or update on contents
    for each row execute function rolie_index_content();
