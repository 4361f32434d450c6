-- Secrets the server keeps for itself, shared by every process on this database (the
-- key that seals incremental-sync tokens, so that they survive restarts and every replica
-- reads them). Created once by whichever process needs one first.
create table server_keys (
    name text primary key,
    secret blob not null,
    created integer not null
);
