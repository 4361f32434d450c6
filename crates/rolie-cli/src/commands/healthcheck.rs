//! `rolie healthcheck`: one plain HTTP/1.1 GET of the readiness endpoint, for container
//! health checks. The image's `/bin/sh` is dash (no `/dev/tcp`) and the image has no curl,
//! but it always has this binary.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use http::Uri;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::cli::HealthcheckArgs;

/// Budget for the whole exchange (resolve, connect, send, read the status line). Shorter than
/// the 3 s timeout of docker-compose.yml, so a hung server is reported by a message of ours
/// instead of a check that Docker kills.
const TIMEOUT: Duration = Duration::from_secs(2);

/// The most we read while looking for the end of the status line.
const MAX_STATUS_LINE: usize = 1024;

/// Checks `args.url` and prints one line: on standard output when it answered 200 (exit 0),
/// on standard error otherwise (exit 1, what Docker reads as unhealthy).
///
/// Needs no configuration, so it runs before the settings are loaded, on a runtime of its own
/// with one thread.
pub fn run(args: &HealthcheckArgs) -> ExitCode {
    let url = args.url.as_str();
    let outcome = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the runtime")
        .and_then(|runtime| runtime.block_on(check(url)));
    match outcome {
        Ok(()) => {
            println!("rolie healthcheck: {url} answered 200");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("rolie healthcheck: {url}: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// `Ok` when a GET of `url` answers 200 within [`TIMEOUT`].
async fn check(url: &str) -> Result<()> {
    let target = Target::parse(url)?;
    let status = tokio::time::timeout(TIMEOUT, target.get())
        .await
        .map_err(|_| anyhow!("no answer within {} s", TIMEOUT.as_secs()))??;
    if status == 200 {
        Ok(())
    } else {
        bail!("answered {status}, not 200")
    }
}

/// Where to connect and what to ask for.
#[derive(Debug, PartialEq, Eq)]
struct Target {
    /// Host name or IP address, without the brackets of an IPv6 literal.
    host: String,
    port: u16,
    /// Value of the `Host` header: the URL's authority without user information.
    authority: String,
    /// Path and query.
    path: String,
}

impl Target {
    /// Reads an `http://host[:port][/path]` URL.
    fn parse(url: &str) -> Result<Self> {
        let uri: Uri = url
            .parse()
            .map_err(|e| anyhow!("not a URL such as http://127.0.0.1:8080/readyz: {e}"))?;
        match uri.scheme_str() {
            Some("http") => {}
            Some(scheme) => bail!(
                "{scheme}:// is not supported: point it at a plain HTTP listener \
                 (http://host:port/readyz)"
            ),
            None => bail!("no scheme; write it as http://host:port/readyz"),
        }
        let authority = uri
            .authority()
            .ok_or_else(|| anyhow!("no host; write it as http://host:port/readyz"))?;
        let host = authority.host();
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        Ok(Target {
            host: host.to_owned(),
            port: authority.port_u16().unwrap_or(80),
            authority: authority
                .as_str()
                .rsplit('@')
                .next()
                .unwrap_or_default()
                .to_owned(),
            path: uri.path_and_query().map_or("/", |p| p.as_str()).to_owned(),
        })
    }

    /// Sends the GET and returns the status code of the answer.
    async fn get(&self) -> Result<u16> {
        let mut stream = TcpStream::connect((self.host.as_str(), self.port))
            .await
            .context("cannot connect")?;
        let request = format!(
            "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: rolie-healthcheck\r\nConnection: close\r\n\r\n",
            self.path, self.authority
        );
        stream
            .write_all(request.as_bytes())
            .await
            .context("cannot send the request")?;
        let mut head = Vec::with_capacity(128);
        let mut buffer = [0u8; 256];
        while !head.contains(&b'\n') && head.len() < MAX_STATUS_LINE {
            let read = stream
                .read(&mut buffer)
                .await
                .context("cannot read the answer")?;
            if read == 0 {
                break;
            }
            head.extend_from_slice(&buffer[..read]);
        }
        status_code(&head)
    }
}

/// The status code of an HTTP/1.x status line (`HTTP/1.1 200 OK`, RFC 9112 §4).
fn status_code(head: &[u8]) -> Result<u16> {
    let end = head
        .iter()
        .position(|&b| b == b'\n')
        .ok_or_else(|| anyhow!("the connection closed before a complete status line"))?;
    let line = String::from_utf8_lossy(&head[..end]);
    let mut parts = line.trim_end_matches('\r').splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    parts
        .next()
        .filter(|code| {
            version.starts_with("HTTP/1.")
                && code.len() == 3
                && code.bytes().all(|b| b.is_ascii_digit())
        })
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| anyhow!("not an HTTP/1 status line: {line:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_url_targets_readyz_on_the_loopback_listener() {
        let target = Target::parse(crate::cli::DEFAULT_HEALTHCHECK_URL).unwrap();
        assert_eq!(
            target,
            Target {
                host: "127.0.0.1".to_owned(),
                port: 8080,
                authority: "127.0.0.1:8080".to_owned(),
                path: "/readyz".to_owned(),
            }
        );
    }

    #[test]
    fn a_url_without_port_or_path_uses_80_and_slash() {
        let target = Target::parse("http://rolie-1").unwrap();
        assert_eq!((target.port, target.path.as_str()), (80, "/"));
    }

    #[test]
    fn ipv6_literals_connect_without_brackets_and_keep_them_in_host() {
        let target = Target::parse("http://[::1]:9000/readyz?x=1").unwrap();
        assert_eq!(target.host, "::1");
        assert_eq!(target.authority, "[::1]:9000");
        assert_eq!(target.path, "/readyz?x=1");
    }

    #[test]
    fn https_and_relative_urls_are_refused_with_a_reason() {
        let https = Target::parse("https://127.0.0.1:8443/readyz").unwrap_err();
        assert!(
            https.to_string().contains("https:// is not supported"),
            "{https}"
        );
        let relative = Target::parse("/readyz").unwrap_err();
        assert!(relative.to_string().contains("no scheme"), "{relative}");
    }

    #[test]
    fn status_lines_give_their_code() {
        assert_eq!(status_code(b"HTTP/1.1 200 OK\r\n").unwrap(), 200);
        assert_eq!(
            status_code(b"HTTP/1.0 503 \r\ncontent-length: 0\r\n").unwrap(),
            503
        );
        assert_eq!(status_code(b"HTTP/1.1 204\r\n").unwrap(), 204);
    }

    #[test]
    fn anything_but_a_status_line_is_an_error() {
        for head in [
            &b""[..],
            b"HTTP/1.1 200 OK",
            b"SSH-2.0-OpenSSH_9.2\r\n",
            b"HTTP/1.1 2000 OK\r\n",
            b"\x16\x03\x01\x00\r\n",
        ] {
            assert!(status_code(head).is_err(), "{head:?}");
        }
    }
}
