-- Change counters per audience: one row per collection, restriction level and draft owner
-- ('' for published entries). Every entry write moves the rows of the entry's audience
-- before and after it, so a caller's feed validators (ETag, Last-Modified, atom:updated)
-- are computed from the rows it can see and never move for a write it cannot read.
create table collection_levels (
    collection text not null references collections (name) on delete cascade,
    level integer not null,
    draft_owner text not null,
    change_seq integer not null,
    last_change integer not null,
    primary key (collection, level, draft_owner)
);

-- Entries written before this table existed: their audiences start at the collection's
-- current counters.
insert into collection_levels (collection, level, draft_owner, change_seq, last_change)
select e.collection, e.restriction, case when e.draft then e.publisher else '' end,
       max(c.change_seq), max(e.edited)
from entries e join collections c on c.name = e.collection
group by e.collection, e.restriction, case when e.draft then e.publisher else '' end;
