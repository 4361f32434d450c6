-- Full-text search over an entry's title, summary and content (its first 256 KiB), kept
-- by triggers in the same transaction as every write, so a search never sees another
-- state than the feed. Contentless: the text lives in entries and contents already.
-- Searches are words and word prefixes, never phrases, so no positions are kept
-- (detail = none), which makes the index cheaper to keep on every write.
create virtual table entries_fts using fts5(
    title, summary, body,
    content = '', contentless_delete = 1, detail = none,
    tokenize = 'unicode61 remove_diacritics 2'
);

insert into entries_fts (rowid, title, summary, body)
select e.rowid, e.title, e.summary, coalesce(substr(cast(c.bytes as text), 1, 262144), '')
from entries e left join contents c on c.entry_id = e.id;

-- Stored content is indexed when its row follows; an entry whose content is elsewhere is
-- indexed on its own.
create trigger entries_fts_insert after insert on entries when new.content_kind <> 'stored' begin
    insert into entries_fts (rowid, title, summary, body)
    values (new.rowid, new.title, new.summary, '');
end;

create trigger entries_fts_update after update of title, summary on entries begin
    delete from entries_fts where rowid = old.rowid;
    insert into entries_fts (rowid, title, summary, body)
    values (new.rowid, new.title, new.summary,
            coalesce((select substr(cast(bytes as text), 1, 262144) from contents where entry_id = new.id), ''));
end;

create trigger entries_fts_delete after delete on entries begin
    delete from entries_fts where rowid = old.rowid;
end;

-- A new content row belongs to a new entry, not yet indexed (content elsewhere never
-- becomes stored content).
create trigger contents_fts_insert after insert on contents begin
    insert into entries_fts (rowid, title, summary, body)
    select e.rowid, e.title, e.summary, substr(cast(new.bytes as text), 1, 262144)
    from entries e where e.id = new.entry_id;
end;

create trigger contents_fts_update after update on contents begin
    delete from entries_fts where rowid = (select rowid from entries where id = new.entry_id);
    insert into entries_fts (rowid, title, summary, body)
    select e.rowid, e.title, e.summary, substr(cast(new.bytes as text), 1, 262144)
    from entries e where e.id = new.entry_id;
end;
