//! Store benchmark: insert rate through the `Store` API and feed-page cost at depth, on
//! SQLite and PostgreSQL in one run.
//!
//! ```text
//! ROLIE_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \
//!     cargo bench -p rolie-testkit --bench store -- [--entries N] [--backend sqlite|postgres|both]
//! ```
//!
//! Other options: `--inserts N` (single writer, default 1000), `--concurrent-inserts N`
//! (default 2000), `--writers N` (default 16), `--repeats N` (page fetches per position,
//! default 200), `--keep` (leave the databases behind and print where they are).
//! PostgreSQL is skipped, with a message, when `ROLIE_TEST_DATABASE_URL` is unset.
//!
//! Per backend, on a fresh temporary database ([`TestDb`]):
//!
//! 1. **Inserts** through `Store::create_entry`, as durable as in production (SQLite in WAL
//!    mode with `synchronous=FULL`, as the store opens it; PostgreSQL with synchronous
//!    commit): one writer; 16 concurrent writers into one collection (the store serialises
//!    the writes of a collection); 16 writers into 16 collections. Entries per second over
//!    the whole run, and p50/p99 latency of one call.
//! 2. **Feed pages at depth**: `Store::list_entries`, 50 entries per page, on a collection of
//!    N entries (default 1,000,000): the first page, the page after the 10,000th newest
//!    entry and the page after the (N/2)th newest entry (500,000 by default), once as an
//!    administrator (everything visible) and once as a partner without drafts (half the
//!    rows are private, so the visibility filter runs inside the query). Median and p99 over
//!    interleaved repetitions after a warm-up, and the deep/first ratio: keyset paging is
//!    meant to keep a deep page within 1.5x of the first.
//!
//! Why the bulk load bypasses the API: a million `create_entry` calls, each a durable
//! commit, would take far longer than everything else here (see the insert rate). The
//! collection is created through the API and then filled with SQL on a second connection
//! to the same database, with rows the store reads back exactly as if it had written them:
//! `data` is `serde_json::to_string(&EntryData)` of a sample entry (published and updated
//! filled in) with `atom:id`, title, summary and content id varied per row; the search
//! columns, `entry_categories`, the change log and the collection's counters agree with
//! it; `app:edited` increases strictly; ids are shaped like the server's UUIDv7s. Content
//! is external (a `src` URI), so no `contents` rows are needed. The load is checked through
//! the API before anything is timed.
//!
//! A plain `main` rather than criterion: setup dominates, and each measurement needs its own
//! database state.

use std::fmt::Write as _;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rolie_model::{Restriction, timestamp};
use rolie_store::conformance::{sample_entry, sample_spec};
use rolie_store::{
    CollectionName, DraftVisibility, EntryFilter, FeedPage, FeedQuery, PageKey, PagePosition,
    Store, Visibility, backend,
};
use rolie_testkit::{Backend, TestDb, postgres_url};
use sqlx::{Connection, PgConnection, SqliteConnection};
use uuid::Uuid;

const USAGE: &str = "usage: store [--entries N] [--backend sqlite|postgres|both] \
    [--inserts N] [--concurrent-inserts N] [--writers N] [--repeats N] [--keep]";

/// Entries per feed page (the server's default).
const PAGE_SIZE: u32 = 50;
/// Untimed page fetches per position before measuring.
const WARMUP: usize = 20;
/// Rows per bulk-load transaction.
const BATCH: u64 = 50_000;
/// Distance between the `app:edited` of consecutive bulk rows: one second.
const STEP_MICROS: i64 = 1_000_000;
/// Written into the sample entry's title, summary and content id, then replaced per row.
const SENTINEL: usize = 7_777_777_770;
/// Written into the sample entry's `atom:id`, then replaced by the row's id.
const ID_MARK: &str = "@@ID@@";
/// The collection the page benchmark reads.
const PAGED: &str = "paged";

// ---------------------------------------------------------------------------------------
// Options and output
// ---------------------------------------------------------------------------------------

/// Command-line options.
#[derive(Debug, Clone)]
struct Options {
    entries: u64,
    backends: Vec<Backend>,
    inserts: usize,
    concurrent_inserts: usize,
    writers: usize,
    repeats: usize,
    keep: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            entries: 1_000_000,
            backends: vec![Backend::Sqlite, Backend::Postgres],
            inserts: 1_000,
            concurrent_inserts: 2_000,
            writers: 16,
            repeats: 200,
            keep: false,
        }
    }
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut options = Options::default();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            // `cargo bench` passes this to every bench binary.
            "--bench" => {}
            "--entries" => options.entries = number(&arg, args.next())?,
            "--inserts" => options.inserts = number(&arg, args.next())?,
            "--concurrent-inserts" => options.concurrent_inserts = number(&arg, args.next())?,
            "--writers" => options.writers = number(&arg, args.next())?,
            "--repeats" => options.repeats = number(&arg, args.next())?,
            "--keep" => options.keep = true,
            "--backend" => {
                options.backends = match args.next().as_deref() {
                    Some("sqlite") => vec![Backend::Sqlite],
                    Some("postgres") => vec![Backend::Postgres],
                    Some("both") => vec![Backend::Sqlite, Backend::Postgres],
                    _ => return Err(format!("--backend takes sqlite, postgres or both\n{USAGE}")),
                }
            }
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    if options.entries < 1_000
        || options.inserts == 0
        || options.concurrent_inserts == 0
        || options.writers == 0
        || options.repeats == 0
    {
        return Err(format!(
            "--entries must be at least 1000, the other counts at least 1\n{USAGE}"
        ));
    }
    Ok(options)
}

/// A count given on the command line; `_` and `,` may group its digits.
fn number<T: FromStr>(flag: &str, value: Option<String>) -> Result<T, String> {
    let value = value.ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
    value
        .replace(['_', ','], "")
        .parse()
        .map_err(|_| format!("{flag} takes a number, not {value}\n{USAGE}"))
}

/// The command that reproduces this run, with any database password hidden.
fn command_line() -> String {
    let env = postgres_url()
        .map(|url| format!("ROLIE_TEST_DATABASE_URL={} ", redact(&url)))
        .unwrap_or_default();
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let args = if args.is_empty() {
        String::new()
    } else {
        format!(" -- {}", args.join(" "))
    };
    format!("{env}cargo bench -p rolie-testkit --bench store{args}")
}

fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((userinfo, host)) if userinfo.contains(':') => {
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***@{host}")
        }
        _ => url.to_owned(),
    }
}

fn name(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    }
}

/// Progress on stderr, so stdout keeps only the results.
fn progress(backend: Backend, message: impl AsRef<str>) {
    eprintln!("[{}] {}", name(backend), message.as_ref());
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

/// Median and p99 of a set of timings.
#[derive(Debug, Clone, Copy)]
struct Summary {
    median: Duration,
    p99: Duration,
}

impl Summary {
    fn of(mut samples: Vec<Duration>) -> Self {
        samples.sort_unstable();
        Summary {
            median: percentile(&samples, 0.50),
            p99: percentile(&samples, 0.99),
        }
    }
}

/// Nearest-rank percentile of sorted samples.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.max(1) - 1).copied().unwrap_or_default()
}

/// The result table: (backend, measurement, value).
#[derive(Debug, Default)]
struct Report {
    rows: Vec<[String; 3]>,
}

impl Report {
    fn add(&mut self, backend: Backend, measurement: impl Into<String>, value: impl Into<String>) {
        self.rows
            .push([name(backend).to_owned(), measurement.into(), value.into()]);
    }

    fn render(&self) -> String {
        let header = ["backend", "measurement", "value"].map(str::to_owned);
        let width = |column: usize| {
            self.rows
                .iter()
                .chain([&header])
                .map(|row| row[column].chars().count())
                .max()
                .unwrap_or(0)
        };
        let (w0, w1) = (width(0), width(1));
        let mut out = String::new();
        for row in [&header].into_iter().chain(&self.rows) {
            let _ = writeln!(out, "{:<w0$}  {:<w1$}  {}", row[0], row[1], row[2]);
        }
        out
    }
}

// ---------------------------------------------------------------------------------------
// 1. Inserts through the API
// ---------------------------------------------------------------------------------------

/// One insert measurement.
struct InsertCase {
    label: String,
    /// Writer `w` writes into `collections[w % len]`.
    collections: Vec<String>,
    total: usize,
    writers: usize,
}

/// Creates the case's entries with concurrent tasks; returns the wall time and the latency
/// of every call.
async fn timed_inserts(store: &Arc<dyn Store>, case: &InsertCase) -> (Duration, Vec<Duration>) {
    let started = Instant::now();
    let tasks: Vec<_> = (0..case.writers)
        .map(|w| {
            let store = Arc::clone(store);
            let collection = case.collections[w % case.collections.len()].clone();
            let count = case.total / case.writers + usize::from(w < case.total % case.writers);
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(count);
                for i in 0..count {
                    let entry = sample_entry(&collection, w * 1_000_000 + i);
                    let call = Instant::now();
                    store
                        .create_entry(entry)
                        .await
                        .expect("create_entry through the Store API");
                    latencies.push(call.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::with_capacity(case.total);
    for task in tasks {
        latencies.extend(task.await.expect("insert task finished"));
    }
    (started.elapsed(), latencies)
}

async fn create_collections(store: &Arc<dyn Store>, names: &[String]) {
    for name in names {
        store
            .create_collection(&sample_spec(name))
            .await
            .expect("create a benchmark collection");
    }
}

async fn bench_inserts(
    backend: Backend,
    store: &Arc<dyn Store>,
    options: &Options,
    report: &mut Report,
) {
    let writers = options.writers;
    // Untimed: opens every pooled connection the concurrent cases will use.
    let warmup = InsertCase {
        label: "warm-up".to_owned(),
        collections: vec!["warmup".to_owned()],
        total: writers * 4,
        writers,
    };
    let cases = [
        InsertCase {
            label: format!("insert, 1 writer ({} entries)", options.inserts),
            collections: vec!["single".to_owned()],
            total: options.inserts,
            writers: 1,
        },
        InsertCase {
            label: format!(
                "insert, {writers} writers, 1 collection ({} entries)",
                options.concurrent_inserts
            ),
            collections: vec!["shared".to_owned()],
            total: options.concurrent_inserts,
            writers,
        },
        InsertCase {
            label: format!(
                "insert, {writers} writers, {writers} collections ({} entries)",
                options.concurrent_inserts
            ),
            collections: (0..writers).map(|w| format!("own-{w:02}")).collect(),
            total: options.concurrent_inserts,
            writers,
        },
    ];
    create_collections(store, &warmup.collections).await;
    timed_inserts(store, &warmup).await;
    for case in &cases {
        create_collections(store, &case.collections).await;
        progress(backend, format!("{}...", case.label));
        let (wall, latencies) = timed_inserts(store, case).await;
        let summary = Summary::of(latencies);
        let value = format!(
            "{:.0} entries/s  p50 {}  p99 {}",
            case.total as f64 / wall.as_secs_f64(),
            ms(summary.median),
            ms(summary.p99)
        );
        progress(backend, format!("{}: {value}", case.label));
        report.add(backend, case.label.clone(), value);
    }
}

// ---------------------------------------------------------------------------------------
// 2. Bulk load with SQL
// ---------------------------------------------------------------------------------------

/// Where the bulk rows sit in time: row `n` (1 = oldest .. N = newest) is edited at
/// `base + n * STEP_MICROS`, ending about now; published and updated are `base` for all.
#[derive(Debug, Clone, Copy)]
struct Layout {
    entries: u64,
    base: i64,
}

impl Layout {
    fn new(entries: u64) -> Self {
        let span = i64::try_from(entries + 1).expect("entry count fits i64") * STEP_MICROS;
        Layout {
            entries,
            base: timestamp::to_micros(timestamp::now()) - span,
        }
    }

    fn edited(&self, n: u64) -> i64 {
        self.base + i64::try_from(n).expect("row number fits i64") * STEP_MICROS
    }
}

/// One shape of bulk row: the JSON and search columns of a sample entry, with markers the
/// load replaces per row. Even rows are partner, odd rows private.
#[derive(Debug, Clone)]
struct Variant {
    parity: i64,
    level: i16,
    sentinel: String,
    data: String,
    title: String,
    summary: String,
    categories: Vec<(Option<String>, String)>,
}

fn variants(layout: &Layout) -> [Variant; 2] {
    [0, 1].map(|parity| {
        let sentinel = SENTINEL + parity;
        let mut data = sample_entry(PAGED, sentinel).data;
        data.atom_id = format!("urn:uuid:{ID_MARK}");
        data.published = Some(timestamp::from_micros(layout.base));
        data.updated = Some(timestamp::from_micros(layout.base));
        data.restriction = if parity == 0 {
            Restriction::Partner
        } else {
            Restriction::Private
        };
        let (title, summary) = backend::search_text(&data);
        let json = serde_json::to_string(&data).expect("sample entry data serialises");
        let sentinel = sentinel.to_string();
        assert!(
            json.contains(&sentinel) && title.contains(&sentinel),
            "the sample entry carries its number in its title"
        );
        Variant {
            parity: i64::try_from(parity).expect("parity fits i64"),
            level: data.restriction.level(),
            sentinel,
            title,
            summary,
            categories: data
                .categories
                .iter()
                .map(|c| (c.scheme.clone(), c.term.clone()))
                .collect(),
            data: json,
        }
    })
}

/// Rows `$1..=$2` (edited `$3 + n * $4`) into collection `$5`, from `bench_variants`.
const SQLITE_ENTRIES: &str = "\
with recursive seq(n) as (select $1 union all select n + 1 from seq where n < $2),
timed as (select n, $3 + n * $4 as edited from seq),
hexed as (select n, edited, printf('%012x', edited / 1000) as ms from timed),
ids as (
    select n, edited,
        substr(ms, 1, 8) || '-' || substr(ms, 9, 4) || '-7000-8000-' || printf('%012x', n) as id
    from hexed
)
insert into entries (id, collection, atom_id, publisher, title, summary, published, updated,
    edited, draft, restriction, data, etag, content_kind, content_type, content_src,
    content_hash, content_size, content_modified)
select ids.id, $5, 'urn:uuid:' || ids.id, 'alice',
    replace(v.title, v.sentinel, ids.n), replace(v.summary, v.sentinel, ids.n),
    $3, $3, ids.edited, 0, v.restriction,
    replace(replace(v.data, v.sentinel, ids.n), '@@ID@@', ids.id),
    printf('%032x', ids.n), 'external', 'application/xml',
    'https://bench.example/docs/' || ids.n, null, null, ids.edited
from ids join bench_variants v on v.parity = ids.n % 2";

/// The same as [`SQLITE_ENTRIES`] for PostgreSQL.
const PG_ENTRIES: &str = "\
insert into entries (id, collection, atom_id, publisher, title, summary, published, updated,
    edited, draft, restriction, data, etag, content_kind, content_type, content_src,
    content_hash, content_size, content_modified)
select ids.id::uuid, $5, 'urn:uuid:' || ids.id, 'alice',
    replace(v.title, v.sentinel, ids.n::text), replace(v.summary, v.sentinel, ids.n::text),
    $3, $3, ids.edited, false, v.restriction,
    replace(replace(v.data, v.sentinel, ids.n::text), '@@ID@@', ids.id)::jsonb,
    lpad(to_hex(ids.n), 32, '0'), 'external', 'application/xml',
    'https://bench.example/docs/' || ids.n, null, null, ids.edited
from (
    select n, edited,
        substr(ms, 1, 8) || '-' || substr(ms, 9, 4) || '-7000-8000-' || lpad(to_hex(n), 12, '0') as id
    from (
        select n, edited, lpad(to_hex(edited / 1000), 12, '0') as ms
        from (select n, $3 + n * $4 as edited from generate_series($1::bigint, $2::bigint) n) timed
    ) hexed
) ids
join bench_variants v on v.parity = ids.n % 2";

/// Categories of the entries of `$1` edited in `$2..=$3` (both backends).
const CATEGORIES: &str = "\
insert into entry_categories (entry_id, scheme, term)
select e.id, c.scheme, c.term from entries e join bench_categories c on c.restriction = e.restriction
where e.collection = $1 and e.edited between $2 and $3";

/// Change-log records of the same entries: sequence number n (both backends).
const CHANGES: &str = "\
insert into changes (collection, seq, kind, entry_id, atom_id, at)
select e.collection, (e.edited - $4) / $5, 'create', e.id, e.atom_id, e.edited from entries e
where e.collection = $1 and e.edited between $2 and $3";

const COUNTERS: &str = "update collections set entry_count = $2, change_seq = $2, \
    last_change = $3, last_edited = $3 where name = $1";

const KEY_AT: &str = "select edited, id from entries where collection = $1 \
    order by edited desc, id desc limit 1 offset $2";

/// A second connection to the store's database, for what the API does not offer.
enum Bulk {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

/// `$body` with `$conn` bound to the connection of either backend: where the statements are
/// the same, only the connection types differ.
macro_rules! on_connection {
    ($bulk:expr, $conn:ident => $body:expr) => {
        match $bulk {
            Bulk::Sqlite($conn) => $body,
            Bulk::Postgres($conn) => $body,
        }
    };
}

impl Bulk {
    fn label(&self) -> &'static str {
        match self {
            Bulk::Sqlite(_) => "SQLite",
            Bulk::Postgres(_) => "PostgreSQL",
        }
    }

    async fn connect(db: &TestDb) -> Self {
        match db.backend {
            Backend::Sqlite => {
                let mut conn = SqliteConnection::connect(&db.url)
                    .await
                    .expect("second SQLite connection");
                // For loading only: this connection's commits need not reach the disk at
                // once, and a large page cache keeps the indexes in memory.
                for pragma in [
                    "pragma synchronous = off",
                    "pragma cache_size = -1048576",
                    "pragma temp_store = memory",
                ] {
                    sqlx::query(pragma)
                        .execute(&mut conn)
                        .await
                        .expect("SQLite bulk-load pragma");
                }
                Bulk::Sqlite(conn)
            }
            Backend::Postgres => {
                let mut conn = PgConnection::connect(&db.url)
                    .await
                    .expect("second PostgreSQL connection");
                sqlx::query("set synchronous_commit = off")
                    .execute(&mut conn)
                    .await
                    .expect("PostgreSQL bulk-load setting");
                Bulk::Postgres(conn)
            }
        }
    }

    /// Makes the `n` newest entries of the paged collection private: a long run of entries a
    /// partner may not see at the top of the feed.
    async fn hide_newest(&mut self, n: u64) {
        const HIDE: &str = "update entries set restriction = 3 where collection = $1 and edited >= \
            (select edited from entries where collection = $1 order by edited desc, id desc limit 1 offset $2)";
        let offset = i64::try_from(n.saturating_sub(1)).expect("offset fits i64");
        let (db, analyze) = match self {
            Bulk::Sqlite(_) => ("SQLite", "analyze"),
            Bulk::Postgres(_) => ("PostgreSQL", "analyze entries"),
        };
        on_connection!(self, conn => {
            sqlx::query(HIDE)
                .bind(PAGED)
                .bind(offset)
                .execute(&mut *conn)
                .await
                .unwrap_or_else(|e| panic!("hide on {db}: {e:?}"));
            sqlx::query(analyze)
                .execute(&mut *conn)
                .await
                .expect("analyze");
        })
    }

    async fn server_version(&mut self) -> String {
        match self {
            Bulk::Sqlite(conn) => {
                let version: String = sqlx::query_scalar("select sqlite_version()")
                    .fetch_one(conn)
                    .await
                    .expect("SQLite version");
                format!("SQLite {version}")
            }
            Bulk::Postgres(conn) => sqlx::query_scalar("select version()")
                .fetch_one(conn)
                .await
                .expect("PostgreSQL version"),
        }
    }

    /// Creates the temporary tables the load statements take the row shapes from.
    async fn prepare(&mut self, variants: &[Variant]) {
        const VARIANTS: &str = "create temp table bench_variants (parity bigint primary key, \
            title text, summary text, data text, sentinel text, restriction smallint)";
        const CATEGORIES: &str =
            "create temp table bench_categories (restriction smallint, scheme text, term text)";
        const VARIANT: &str = "insert into bench_variants values ($1, $2, $3, $4, $5, $6)";
        const CATEGORY: &str = "insert into bench_categories values ($1, $2, $3)";
        let db = self.label();
        on_connection!(self, conn => {
            for sql in [VARIANTS, CATEGORIES] {
                sqlx::query(sql)
                    .execute(&mut *conn)
                    .await
                    .unwrap_or_else(|e| panic!("create a {db} bulk-load table: {e:?}"));
            }
            for v in variants {
                sqlx::query(VARIANT)
                    .bind(v.parity)
                    .bind(&v.title)
                    .bind(&v.summary)
                    .bind(&v.data)
                    .bind(&v.sentinel)
                    .bind(v.level)
                    .execute(&mut *conn)
                    .await
                    .unwrap_or_else(|e| panic!("store a {db} row shape: {e:?}"));
                for (scheme, term) in &v.categories {
                    sqlx::query(CATEGORY)
                        .bind(v.level)
                        .bind(scheme.as_deref())
                        .bind(term)
                        .execute(&mut *conn)
                        .await
                        .unwrap_or_else(|e| panic!("store a {db} row category: {e:?}"));
                }
            }
        })
    }

    /// Rows `first..=last` with their categories and changes, in one transaction.
    async fn load_batch(&mut self, layout: &Layout, first: u64, last: u64) {
        let (first_n, last_n) = (
            i64::try_from(first).expect("row number fits i64"),
            i64::try_from(last).expect("row number fits i64"),
        );
        let (low, high) = (layout.edited(first), layout.edited(last));
        let db = self.label();
        let entries = match self {
            Bulk::Sqlite(_) => SQLITE_ENTRIES,
            Bulk::Postgres(_) => PG_ENTRIES,
        };
        on_connection!(self, conn => {
            let mut tx = conn
                .begin()
                .await
                .unwrap_or_else(|e| panic!("begin a {db} load batch: {e:?}"));
            sqlx::query(entries)
                .bind(first_n)
                .bind(last_n)
                .bind(layout.base)
                .bind(STEP_MICROS)
                .bind(PAGED)
                .execute(&mut *tx)
                .await
                .unwrap_or_else(|e| panic!("bulk-insert {db} entries: {e:?}"));
            sqlx::query(CATEGORIES)
                .bind(PAGED)
                .bind(low)
                .bind(high)
                .execute(&mut *tx)
                .await
                .unwrap_or_else(|e| panic!("bulk-insert {db} categories: {e:?}"));
            sqlx::query(CHANGES)
                .bind(PAGED)
                .bind(low)
                .bind(high)
                .bind(layout.base)
                .bind(STEP_MICROS)
                .execute(&mut *tx)
                .await
                .unwrap_or_else(|e| panic!("bulk-insert {db} changes: {e:?}"));
            tx.commit()
                .await
                .unwrap_or_else(|e| panic!("commit a {db} load batch: {e:?}"));
        })
    }

    /// Sets the collection's counters as N creates through the API would have.
    async fn set_counters(&mut self, layout: &Layout) {
        let count = i64::try_from(layout.entries).expect("entry count fits i64");
        let newest = layout.edited(layout.entries);
        let db = self.label();
        on_connection!(self, conn => {
            sqlx::query(COUNTERS)
                .bind(PAGED)
                .bind(count)
                .bind(newest)
                .execute(conn)
                .await
                .unwrap_or_else(|e| panic!("set the {db} collection counters: {e:?}"));
        })
    }

    /// Writes the load out of the log (WAL) and gathers planner statistics.
    async fn settle(&mut self, backend: Backend) {
        match self {
            Bulk::Sqlite(conn) => {
                for sql in ["pragma wal_checkpoint(truncate)", "analyze"] {
                    progress(backend, sql);
                    sqlx::query(sql)
                        .execute(&mut *conn)
                        .await
                        .expect("SQLite checkpoint and analyze");
                }
            }
            Bulk::Postgres(conn) => {
                progress(backend, "checkpoint");
                if let Err(e) = sqlx::query("checkpoint").execute(&mut *conn).await {
                    progress(backend, format!("checkpoint refused ({e}); going on"));
                }
                progress(backend, "analyze");
                sqlx::query("analyze")
                    .execute(&mut *conn)
                    .await
                    .expect("PostgreSQL analyze");
            }
        }
    }

    /// Size of the database (SQLite) or of the entries table with its indexes (PostgreSQL).
    async fn size(&mut self) -> (&'static str, i64) {
        match self {
            Bulk::Sqlite(conn) => (
                "database file",
                sqlx::query_scalar(
                    "select page_count * page_size from pragma_page_count(), pragma_page_size()",
                )
                .fetch_one(conn)
                .await
                .expect("SQLite database size"),
            ),
            Bulk::Postgres(conn) => (
                "entries with indexes",
                sqlx::query_scalar("select pg_total_relation_size('entries')")
                    .fetch_one(conn)
                    .await
                    .expect("PostgreSQL table size"),
            ),
        }
    }

    /// The page key of the entry with `offset` newer entries before it.
    async fn key_at(&mut self, offset: u64) -> PageKey {
        let offset = i64::try_from(offset).expect("offset fits i64");
        let (edited_micros, id) = match self {
            Bulk::Sqlite(conn) => {
                let (edited, id): (i64, String) = sqlx::query_as(KEY_AT)
                    .bind(PAGED)
                    .bind(offset)
                    .fetch_one(conn)
                    .await
                    .expect("key of a SQLite row at depth");
                (edited, Uuid::parse_str(&id).expect("stored ids are UUIDs"))
            }
            Bulk::Postgres(conn) => sqlx::query_as(KEY_AT)
                .bind(PAGED)
                .bind(offset)
                .fetch_one(conn)
                .await
                .expect("key of a PostgreSQL row at depth"),
        };
        PageKey { edited_micros, id }
    }
}

/// Creates the paged collection through the API and fills it with SQL; returns its layout.
async fn bulk_load(
    backend: Backend,
    store: &Arc<dyn Store>,
    bulk: &mut Bulk,
    entries: u64,
    report: &mut Report,
) -> Layout {
    store
        .create_collection(&sample_spec(PAGED))
        .await
        .expect("create the paged collection");
    let layout = Layout::new(entries);
    bulk.prepare(&variants(&layout)).await;
    let started = Instant::now();
    let mut first = 1;
    while first <= entries {
        let last = (first + BATCH - 1).min(entries);
        bulk.load_batch(&layout, first, last).await;
        let elapsed = started.elapsed().as_secs_f64();
        let rate = last as f64 / elapsed;
        progress(
            backend,
            format!(
                "bulk load {}/{} rows ({:.0}%), {:.0} rows/s, ~{:.0} s left",
                thousands(last),
                thousands(entries),
                100.0 * last as f64 / entries as f64,
                rate,
                (entries - last) as f64 / rate
            ),
        );
        first = last + 1;
    }
    bulk.set_counters(&layout).await;
    let loaded = started.elapsed();
    let settling = Instant::now();
    bulk.settle(backend).await;
    let settled = settling.elapsed();
    let (what, bytes) = bulk.size().await;
    report.add(
        backend,
        format!("bulk load {} rows (SQL, not the API)", thousands(entries)),
        format!(
            "{:.1} s ({:.0} rows/s); checkpoint+analyze {:.1} s; {what} {:.2} GB",
            loaded.as_secs_f64(),
            entries as f64 / loaded.as_secs_f64(),
            settled.as_secs_f64(),
            bytes as f64 / 1e9
        ),
    );
    layout
}

/// Checks through the API that the bulk rows read back like entries the API created.
async fn check_load(store: &Arc<dyn Store>, layout: &Layout) {
    let collection = CollectionName::parse(PAGED).expect("valid collection name");
    let freshness = store.freshness(&collection).await.expect("freshness");
    let count = i64::try_from(layout.entries).expect("entry count fits i64");
    assert_eq!(freshness.entry_count, count, "entry count");
    assert_eq!(freshness.change_seq, count, "change sequence");
    let page = store
        .list_entries(&query(
            &collection,
            Visibility::everything(),
            PagePosition::First,
        ))
        .await
        .expect("first page of the loaded collection");
    let newest = page.entries.first().expect("the collection has entries");
    assert_eq!(
        PageKey::of(newest).edited_micros,
        layout.edited(layout.entries)
    );
    assert_eq!(newest.data.atom_id, format!("urn:uuid:{}", newest.id));
    assert!(
        newest
            .data
            .title
            .as_plain()
            .contains(&layout.entries.to_string())
    );
    let fetched = store
        .get_entry(newest.id, &Visibility::everything())
        .await
        .expect("get a loaded entry");
    assert_eq!(
        &fetched, newest,
        "a loaded entry reads back the same way twice"
    );
    let changes = store
        .changes_since(&collection, count - 1, 10)
        .await
        .expect("changes of the loaded collection");
    assert!(
        matches!(changes.as_slice(), [c] if c.entry_id == newest.id && c.seq == count),
        "the change log ends with the newest entry"
    );
}

// ---------------------------------------------------------------------------------------
// 3. Feed pages at depth
// ---------------------------------------------------------------------------------------

fn query(collection: &CollectionName, visibility: Visibility, position: PagePosition) -> FeedQuery {
    FeedQuery {
        collection: collection.clone(),
        visibility,
        limit: PAGE_SIZE,
        position,
        filter: EntryFilter::default(),
    }
}

/// One page position to time.
struct PageCase {
    label: String,
    position: PagePosition,
}

/// A page must be full, newest first, after its cursor, and hold only visible entries.
fn check_page(page: &FeedPage, position: PagePosition, visibility: &Visibility) {
    let keys: Vec<PageKey> = page.entries.iter().map(PageKey::of).collect();
    assert_eq!(keys.len(), PAGE_SIZE as usize, "a full page");
    assert!(page.next.is_some(), "more pages follow");
    assert!(keys.windows(2).all(|w| w[0] > w[1]), "newest first");
    if let (PagePosition::After(cursor), Some(first)) = (position, keys.first()) {
        assert!(*first < cursor, "the page starts after its cursor");
    }
    assert!(
        page.entries.iter().all(|e| visibility.allows(
            e.data.restriction,
            e.data.draft,
            &e.publisher
        )),
        "only visible entries"
    );
}

/// Times every case `repeats` times, interleaved, after an untimed and checked warm-up.
async fn timed_pages(
    store: &Arc<dyn Store>,
    visibility: &Visibility,
    cases: &[PageCase],
    repeats: usize,
) -> Vec<Summary> {
    let collection = CollectionName::parse(PAGED).expect("valid collection name");
    for case in cases {
        for _ in 0..WARMUP {
            let page = store
                .list_entries(&query(&collection, visibility.clone(), case.position))
                .await
                .expect("list_entries");
            check_page(&page, case.position, visibility);
        }
    }
    let mut samples = vec![Vec::with_capacity(repeats); cases.len()];
    for _ in 0..repeats {
        for (case, samples) in cases.iter().zip(&mut samples) {
            let query = query(&collection, visibility.clone(), case.position);
            let call = Instant::now();
            let page = store.list_entries(&query).await.expect("list_entries");
            samples.push(call.elapsed());
            std::hint::black_box(page);
        }
    }
    samples.into_iter().map(Summary::of).collect()
}

async fn bench_pages(
    backend: Backend,
    store: &Arc<dyn Store>,
    bulk: &mut Bulk,
    options: &Options,
    report: &mut Report,
) {
    let mut cases = vec![PageCase {
        label: "page first".to_owned(),
        position: PagePosition::First,
    }];
    for depth in [10_000.min(options.entries / 4), options.entries / 2] {
        cases.push(PageCase {
            label: format!("page after {}", thousands(depth)),
            position: PagePosition::After(bulk.key_at(depth - 1).await),
        });
    }
    let partner = Visibility {
        clearance: Restriction::Partner,
        drafts: DraftVisibility::None,
    };
    for (who, visibility) in [
        ("admin (all visible)", Visibility::everything()),
        ("partner, no drafts (1/2 hidden)", partner),
    ] {
        progress(
            backend,
            format!("pages as {who}: {} rounds...", options.repeats),
        );
        let summaries = timed_pages(store, &visibility, &cases, options.repeats).await;
        let first = summaries[0].median.as_secs_f64();
        for (case, summary) in cases.iter().zip(&summaries) {
            let mut value = format!("p50 {}  p99 {}", ms(summary.median), ms(summary.p99));
            if case.position != PagePosition::First {
                let _ = write!(
                    value,
                    "  = {:.2}x first (p50)",
                    summary.median.as_secs_f64() / first
                );
            }
            progress(backend, format!("{}, {who}: {value}", case.label));
            report.add(backend, format!("{}, {who}", case.label), value);
        }
    }
}

/// A partner's pages when the newest tenth of the collection is private: the per-level index
/// ranges must keep this as cheap as the interleaved case.
async fn bench_hidden_run(
    backend: Backend,
    store: &Arc<dyn Store>,
    bulk: &mut Bulk,
    options: &Options,
    report: &mut Report,
) {
    let hidden = (options.entries / 10).max(1);
    progress(
        backend,
        format!("making the newest {} entries private...", thousands(hidden)),
    );
    bulk.hide_newest(hidden).await;
    let partner = Visibility {
        clearance: Restriction::Partner,
        drafts: DraftVisibility::None,
    };
    let cases = vec![
        PageCase {
            label: format!("page first, newest {} hidden", thousands(hidden)),
            position: PagePosition::First,
        },
        PageCase {
            label: format!(
                "page after {}, inside the hidden run",
                thousands(hidden / 2)
            ),
            position: PagePosition::After(bulk.key_at(hidden / 2).await),
        },
    ];
    let summaries = timed_pages(store, &partner, &cases, options.repeats).await;
    for (case, summary) in cases.iter().zip(&summaries) {
        let value = format!("p50 {}  p99 {}", ms(summary.median), ms(summary.p99));
        progress(backend, format!("{}, partner: {value}", case.label));
        report.add(backend, format!("{}, partner", case.label), value);
    }
}

// ---------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------

async fn run_backend(backend: Backend, options: &Options, report: &mut Report) {
    let started = Instant::now();
    let db = TestDb::create(backend).await;
    let store = db.open().await;
    let mut bulk = Bulk::connect(&db).await;
    report.add(backend, "server", bulk.server_version().await);
    bench_inserts(backend, &store, options, report).await;
    let layout = bulk_load(backend, &store, &mut bulk, options.entries, report).await;
    check_load(&store, &layout).await;
    bench_pages(backend, &store, &mut bulk, options, report).await;
    bench_hidden_run(backend, &store, &mut bulk, options, report).await;
    report.add(
        backend,
        "wall time for this backend",
        format!("{:.1} s", started.elapsed().as_secs_f64()),
    );
    if options.keep {
        progress(backend, format!("kept the database at {}", redact(&db.url)));
        std::mem::forget(db);
    }
}

#[tokio::main]
async fn main() {
    let options = match parse_args(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    let started = Instant::now();
    let load_before = load_average();
    let mut report = Report::default();
    for &backend in &options.backends {
        if backend == Backend::Postgres && postgres_url().is_none() {
            progress(
                backend,
                "skipped: set ROLIE_TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test)",
            );
            report.add(
                backend,
                "everything",
                "skipped: ROLIE_TEST_DATABASE_URL is not set",
            );
            continue;
        }
        run_backend(backend, &options, &mut report).await;
    }
    println!("\n{}", report.render());
    println!("command: {}", command_line());
    println!(
        "total wall time: {:.1} s on {} cores; load average before {load_before}, after {}",
        started.elapsed().as_secs_f64(),
        std::thread::available_parallelism().map_or(0, usize::from),
        load_average()
    );
}

/// The 1/5/15-minute load averages, to tell whether something else shared the machine.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_owned())
}
