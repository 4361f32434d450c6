//! Command-line arguments. Every setting flag also reads a `ROLIE_*` variable; flags win over
//! the environment, which wins over the configuration file, which wins over defaults.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use rolie_model::Restriction;

/// A clearance on the command line: a TLP colour, or the IODEF restriction it stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Clearance {
    /// TLP:CLEAR/WHITE, IODEF `public`.
    #[value(alias = "clear", alias = "public")]
    White,
    /// TLP:GREEN, IODEF `partner`.
    #[value(alias = "partner")]
    Green,
    /// TLP:AMBER, IODEF `need-to-know`.
    #[value(alias = "need-to-know")]
    Amber,
    /// TLP:RED, IODEF `private`.
    #[value(alias = "private")]
    Red,
}

impl From<Clearance> for Restriction {
    fn from(clearance: Clearance) -> Self {
        match clearance {
            Clearance::White => Restriction::Public,
            Clearance::Green => Restriction::Partner,
            Clearance::Amber => Restriction::NeedToKnow,
            Clearance::Red => Restriction::Private,
        }
    }
}

/// A ROLIE (RFC 8322) feed server for IODEF security incidents.
#[derive(Debug, Parser)]
#[command(name = "rolie", version, about, long_about = None)]
pub struct Cli {
    /// Settings shared by every command.
    #[command(flatten)]
    pub settings: SettingArgs,
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the repository (the default).
    Serve,
    /// Apply database migrations and exit (--status: only say which are applied).
    Migrate(MigrateArgs),
    /// Mint a bearer token, or a feed-reader credential with --feed-reader.
    Token(TokenArgs),
    /// Publish every document (*.xml, *.json: IODEF, JSON IODEF, STIX 2.1 bundles, MISP
    /// events) of a directory into a collection.
    Import(ImportArgs),
    /// Write a consistent copy of the SQLite database to FILE while the server runs
    /// (PostgreSQL: use pg_dump).
    Backup(BackupArgs),
    /// Write a collection, every entry and its content, as an Atom archive in DIR.
    Export(ExportArgs),
    /// Recreate a collection from an archive of `rolie export` in the configured database.
    Restore(RestoreArgs),
    /// Print the audit log, newest first.
    Audit(AuditArgs),
    /// Mirror one or all collections of any ROLIE server into a directory.
    Pull(PullArgs),
    /// Validate IODEF, JSON IODEF, STIX and MISP files and publish them to a collection of
    /// any ROLIE server.
    Push(PushArgs),
    /// Check any ROLIE server against the ROLIE requirements it can be seen to meet.
    Check(CheckArgs),
    /// Check the configuration and print it, secrets masked.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Administer a running server (local or remote) over its admin API: collections,
    /// feed tokens, the audit log.
    Admin(AdminArgs),
    /// GET the readiness endpoint of a running server: exit 0 on 200, 1 otherwise (for
    /// container health checks; needs no configuration).
    Healthcheck(HealthcheckArgs),
}

/// `rolie token`.
#[derive(Debug, Args)]
pub struct TokenArgs {
    /// Subject (`sub`) of the token.
    #[arg(long)]
    pub subject: String,
    /// Space-separated scopes: rolie:read, rolie:write, rolie:admin, rolie:read:<collection>,
    /// rolie:write:<collection>.
    #[arg(long, default_value = "rolie:read")]
    pub scope: String,
    /// Clearance (default: the policy's default clearance).
    #[arg(long, value_enum)]
    pub clearance: Option<Clearance>,
    /// Lifetime in days.
    #[arg(long, default_value_t = 30)]
    pub days: u32,
    /// Issue a revocable read-only credential for HTTP Basic (feed readers) instead.
    #[arg(long)]
    pub feed_reader: bool,
    /// Label of a feed-reader credential.
    #[arg(long, default_value = "")]
    pub label: String,
    /// Collections a feed-reader credential may read (default: every collection). The
    /// credential only reads, whatever the policy grants its subject.
    #[arg(long, value_delimiter = ',')]
    pub collections: Vec<String>,
}

/// `rolie import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Directory holding IODEF documents.
    pub dir: PathBuf,
    /// Collection to publish into.
    #[arg(long, default_value = "incidents")]
    pub collection: String,
    /// Publisher recorded on the entries.
    #[arg(long, default_value = "rolie-import")]
    pub subject: String,
}

/// `rolie migrate`.
#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// Print which migrations the database has and which are pending; change nothing.
    #[arg(long)]
    pub status: bool,
}

/// `rolie backup`.
#[derive(Debug, Args)]
pub struct BackupArgs {
    /// Where to write the copy (must not exist).
    pub file: PathBuf,
}

/// `rolie export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The collection.
    pub collection: String,
    /// Directory to write the archive to (`feed.atom` and `content/`).
    pub dir: PathBuf,
}

/// `rolie restore`.
#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// Directory of an archive written by `rolie export`.
    pub dir: PathBuf,
}

/// `rolie audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// How many records.
    #[arg(long, default_value_t = 50)]
    pub limit: u32,
}

/// How `pull`, `push` and `check` reach a server.
#[derive(Debug, Args)]
pub struct RemoteArgs {
    /// Bearer token.
    // Credentials are random strings that may start with `-` (base64url): they are values,
    // never flags.
    #[arg(
        long,
        env = "ROLIE_CLIENT_TOKEN",
        hide_env_values = true,
        allow_hyphen_values = true
    )]
    pub token: Option<String>,
    /// User name for HTTP Basic (a feed token's id).
    #[arg(long, env = "ROLIE_CLIENT_USER", allow_hyphen_values = true)]
    pub user: Option<String>,
    /// Password for HTTP Basic (a feed token's secret).
    #[arg(
        long,
        env = "ROLIE_CLIENT_PASSWORD",
        hide_env_values = true,
        allow_hyphen_values = true
    )]
    pub password: Option<String>,
    /// Client certificate and its private key, PEM, in one file.
    #[arg(long)]
    pub client_cert: Option<PathBuf>,
    /// CA certificate (PEM) to trust instead of the system's roots.
    #[arg(long)]
    pub ca: Option<PathBuf>,
    /// Requests per second at most (0: no limit).
    #[arg(long, default_value_t = 20.0)]
    pub rate: f64,
    /// Follow links to other origins than the server's.
    #[arg(long)]
    pub any_origin: bool,
    /// Seconds a request may take.
    #[arg(long, default_value_t = 60)]
    pub timeout: u64,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `rolie config …`.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Load the configuration as `rolie serve` would (file, environment, flags), check it
    /// and print the effective values with every secret masked; open nothing.
    Check,
}

/// `rolie admin`.
#[derive(Debug, Args)]
pub struct AdminArgs {
    /// The server's base URL.
    #[arg(long, env = "ROLIE_ADMIN_URL", default_value = "http://127.0.0.1:8080")]
    pub server: String,
    /// How to reach the server (a token with rolie:admin).
    #[command(flatten)]
    pub remote: RemoteArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: AdminCommand,
}

/// `rolie admin …`.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Collections.
    #[command(subcommand)]
    Collections(CollectionCommand),
    /// Feed-reader tokens (HTTP Basic, read-only).
    #[command(subcommand)]
    Tokens(TokenCommand),
    /// The audit log of writes, newest first.
    Audit(AdminAuditArgs),
}

/// `rolie admin collections …`.
#[derive(Debug, Subcommand)]
pub enum CollectionCommand {
    /// List the collections.
    List,
    /// Create a collection.
    Create {
        /// Its name (the last segment of its feed URI).
        name: String,
        /// Its settings.
        #[command(flatten)]
        fields: CollectionFields,
    },
    /// Change a collection's settings (those given).
    Update {
        /// Its name.
        name: String,
        /// The settings to change.
        #[command(flatten)]
        fields: CollectionFields,
    },
    /// Delete an empty collection.
    Delete {
        /// Its name.
        name: String,
        /// Confirm the deletion.
        #[arg(long)]
        yes: bool,
    },
}

/// Settings of a collection.
#[derive(Debug, Args)]
pub struct CollectionFields {
    /// Title.
    #[arg(long)]
    pub title: Option<String>,
    /// Information type (incident, indicator, …).
    #[arg(long)]
    pub information_type: Option<String>,
    /// Workspace it is listed under.
    #[arg(long)]
    pub workspace: Option<String>,
    /// Media types it accepts (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub accept: Option<Vec<String>>,
    /// Most restrictive level it takes (white, green, amber, red).
    #[arg(long)]
    pub max_restriction: Option<String>,
    /// Readable without credentials.
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    pub public: Option<bool>,
}

/// `rolie admin tokens …`.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// List the feed tokens (never their secrets).
    List,
    /// Issue a feed token; its secret is printed once.
    Issue {
        /// Whom it is for.
        #[arg(long)]
        subject: String,
        /// Clearance.
        #[arg(long, value_enum)]
        clearance: Clearance,
        /// A label (the feed reader it is for).
        #[arg(long, default_value = "")]
        label: String,
        /// Collections it reads (default: every collection).
        #[arg(long, value_delimiter = ',')]
        collections: Vec<String>,
        /// Days until it expires (default: never).
        #[arg(long)]
        days: Option<u32>,
    },
    /// Revoke a feed token.
    Revoke {
        /// Its id (the user name).
        id: String,
    },
}

/// `rolie admin audit`.
#[derive(Debug, Args)]
pub struct AdminAuditArgs {
    /// How many records to read (newest first, at most 500).
    #[arg(long, default_value_t = 50)]
    pub limit: u32,
    /// Only records of this subject.
    #[arg(long)]
    pub subject: Option<String>,
    /// Only records whose action contains this text (`POST`, `/admin/`, …).
    #[arg(long)]
    pub action: Option<String>,
    /// Only refused writes.
    #[arg(long)]
    pub refused: bool,
}

/// `rolie pull`.
#[derive(Debug, Args)]
pub struct PullArgs {
    /// The server's service document, or one feed.
    pub url: String,
    /// The directory to mirror into (kept between pulls).
    pub dir: PathBuf,
    /// Mirror only these collections (names: the last segment of their feed URIs).
    #[arg(long, value_delimiter = ',')]
    pub collection: Vec<String>,
    /// Pull again every this many seconds, backing off on errors and as the server asks.
    #[arg(long)]
    pub watch: Option<u64>,
    /// How to reach the server.
    #[command(flatten)]
    pub remote: RemoteArgs,
}

/// `rolie push`.
#[derive(Debug, Args)]
pub struct PushArgs {
    /// Files and directories (their *.xml and *.json files), then the collection's feed URI.
    #[arg(required = true, num_args = 2..)]
    pub paths: Vec<String>,
    /// Revise documents the collection holds with other content (PUT with If-Match).
    #[arg(long)]
    pub update: bool,
    /// Validate only; send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Requests in flight at most.
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
    /// How to reach the server.
    #[command(flatten)]
    pub remote: RemoteArgs,
}

/// `rolie check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The server's service document.
    pub url: String,
    /// Feed pages read per collection.
    #[arg(long, default_value_t = 50)]
    pub max_pages: usize,
    /// Entries read on their own (with their content) per collection.
    #[arg(long, default_value_t = 10)]
    pub max_entries: usize,
    /// Also publish a probe incident to an incident collection, revise it and delete it
    /// (the credential must be allowed to; the probe is deleted whatever is found).
    #[arg(long)]
    pub write: bool,
    /// The xmllint (libxml2) that applies the RELAX NG schemas of RFC 4287 and RFC 5023
    /// [default: xmllint on the PATH; without one the report says they were not applied].
    #[arg(long)]
    pub xmllint: Option<PathBuf>,
    /// How to reach the server.
    #[command(flatten)]
    pub remote: RemoteArgs,
}

/// Where `rolie healthcheck` looks when told nothing: the default listen address.
pub const DEFAULT_HEALTHCHECK_URL: &str = "http://127.0.0.1:8080/readyz";

/// `rolie healthcheck`.
#[derive(Debug, Args)]
pub struct HealthcheckArgs {
    /// Readiness URL of the server, plain HTTP.
    #[arg(long, env = "ROLIE_HEALTHCHECK_URL", default_value = DEFAULT_HEALTHCHECK_URL)]
    pub url: String,
}

/// Settings that can come from flags and `ROLIE_*` variables.
#[derive(Debug, Args, Default)]
pub struct SettingArgs {
    /// TOML configuration file.
    #[arg(long, env = "ROLIE_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "ROLIE_LISTEN", global = true)]
    pub listen: Option<String>,
    /// Database: `sqlite://path` or `postgres://…` [default: SQLite in the data directory].
    #[arg(
        long,
        env = "ROLIE_DATABASE_URL",
        global = true,
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    /// File holding the database URL (for a URL with a password).
    #[arg(long, env = "ROLIE_DATABASE_URL_FILE", global = true)]
    pub database_url_file: Option<PathBuf>,
    /// Public base URL for absolute links [default: from the listen address].
    #[arg(long, env = "ROLIE_BASE_URL", global = true)]
    pub base_url: Option<String>,
    /// Directory for the embedded database and generated secrets [default: ./rolie-data].
    #[arg(long, env = "ROLIE_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// HS256 secret for bearer tokens.
    #[arg(
        long,
        env = "ROLIE_JWT_HS256_SECRET",
        global = true,
        hide_env_values = true
    )]
    pub jwt_hs256_secret: Option<String>,
    /// File holding the HS256 secret.
    #[arg(long, env = "ROLIE_JWT_HS256_SECRET_FILE", global = true)]
    pub jwt_hs256_secret_file: Option<PathBuf>,
    /// TLS certificate chain (PEM).
    #[arg(long, env = "ROLIE_TLS_CERT", global = true)]
    pub tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(long, env = "ROLIE_TLS_KEY", global = true)]
    pub tls_key: Option<PathBuf>,
    /// CA certificates for client certificates (PEM); enables mutual TLS.
    #[arg(long, env = "ROLIE_TLS_CLIENT_CA", global = true)]
    pub tls_client_ca: Option<PathBuf>,
    /// Serve plain HTTP on a non-loopback address (behind a TLS-terminating proxy).
    #[arg(long, env = "ROLIE_ALLOW_PLAIN_HTTP", global = true, num_args = 0..=1, default_missing_value = "true")]
    pub allow_plain_http: Option<bool>,
    /// Requests come through a TLS-terminating proxy: treat them as secure (HTTP Basic allowed).
    #[arg(long, env = "ROLIE_BEHIND_TLS_PROXY", global = true, num_args = 0..=1, default_missing_value = "true")]
    pub behind_tls_proxy: Option<bool>,
    /// One access-log line per request at info (default true).
    #[arg(long, env = "ROLIE_ACCESS_LOG", global = true, num_args = 0..=1, default_missing_value = "true")]
    pub access_log: Option<bool>,
    /// Proxies (addresses or CIDR ranges, comma-separated) whose Forwarded or
    /// X-Forwarded-For header names the client; anyone else's is ignored.
    #[arg(long, env = "ROLIE_TRUSTED_PROXIES", global = true)]
    pub trusted_proxies: Option<String>,
    /// Log format.
    #[arg(long, env = "ROLIE_LOG_FORMAT", global = true, value_enum)]
    pub log_format: Option<crate::settings::LogFormat>,
    /// Organisation named as author of feeds.
    #[arg(long, env = "ROLIE_ORGANIZATION", global = true)]
    pub organization: Option<String>,
    /// Largest request body: bytes, or a size with a unit (512KiB, 4MiB).
    #[arg(long, env = "ROLIE_MAX_BODY_BYTES", global = true)]
    pub max_body_bytes: Option<String>,
    /// Most connections open at once from one IP address (behind a proxy, every
    /// connection comes from the proxy's address: raise it to `max_connections`).
    #[arg(long, env = "ROLIE_MAX_CONNECTIONS_PER_ADDRESS", global = true)]
    pub max_connections_per_address: Option<usize>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    /// A feed token's secret is base64url and may start with `-`: it is taken as the
    /// password, not refused as an unknown flag.
    #[test]
    fn credentials_starting_with_a_hyphen_are_values() {
        let cli = Cli::try_parse_from([
            "rolie",
            "pull",
            "https://rolie.example/rolie/servicedocument",
            "mirror",
            "--user",
            "-user",
            "--password",
            "-cXq9_secret",
            "--rate",
            "5",
        ])
        .expect("parsed");
        let Some(Command::Pull(pull)) = cli.command else {
            panic!("a pull");
        };
        assert_eq!(pull.remote.password.as_deref(), Some("-cXq9_secret"));
        assert_eq!(pull.remote.user.as_deref(), Some("-user"));
        assert_eq!(pull.remote.rate, 5.0);
    }
}
