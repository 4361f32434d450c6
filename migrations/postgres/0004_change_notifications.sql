-- Every transaction that changes collections (every entry write moves its collection's
-- counters here) notifies the channel rolie_changes when it commits, so each replica learns
-- of the others' writes and may keep what it read while nothing changed. Identical
-- notifications of one transaction are delivered once.
create function rolie_notify_change() returns trigger language plpgsql as $$
begin
    perform pg_notify('rolie_changes', '');
    return null;
end
$$;

create trigger collections_notify_change
after insert or update or delete on collections
for each statement execute function rolie_notify_change();
