#![doc = include_str!("../README.md")]

mod app;
mod body;
mod certs;
pub mod coding;
mod db;
pub mod fixtures;
pub mod oracle;
mod proxy;

pub use app::{Response, TEST_SECRET, TestApp, TestAppBuilder, spec};
pub use body::{BodySender, channel_body};
pub use certs::{ClientIdentity, TestCa};
pub use db::{Backend, TestDb, postgres_url};
pub use proxy::TcpProxy;
/// rcgen, for tests that need key pairs of their own (e.g. to sign tokens).
pub use rcgen;

/// Expands to one test per case and backend: `sqlite::case` always runs, `postgres::case`
/// runs when `ROLIE_TEST_DATABASE_URL` is set and says it skipped otherwise. Each case is an
/// `async fn case(backend: Backend)` in the calling module.
#[macro_export]
macro_rules! on_both_backends {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$case($crate::Backend::Sqlite).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    if $crate::postgres_url().is_none() {
                        $crate::skip(concat!(
                            module_path!(), "::", stringify!($case),
                            ": skipped: set ROLIE_TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test) to run this test on PostgreSQL"
                        ));
                        return;
                    }
                    super::$case($crate::Backend::Postgres).await;
                }
            )*
        }
    };
}

/// Says that a test skipped, where `cargo test` output shows it. The test harness captures
/// `eprintln!` of a passing test and prints it only with `--show-output`, so a skip would look
/// like any other "ok"; a write to the process's own standard error is not captured.
pub fn skip(message: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{message}");
}

/// Turns on test logs when `TEST_LOG` is set; silent otherwise.
pub fn init_logs() {
    if std::env::var_os("TEST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(
                "debug,sqlx=warn,hyper=info,h2=info,rustls=info",
            ))
            .with_test_writer()
            .try_init();
    }
}
