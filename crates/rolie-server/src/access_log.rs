//! Who asked for what: one line per request at `info` (target `rolie::access`) with the
//! method, matched route, status, body bytes, duration, request id, principal and client
//! address, and the client address itself, which a trusted proxy may name.

use std::net::IpAddr;

use http::HeaderMap;
use ipnet::IpNet;

/// The address a request came from: the peer's, or the one a trusted proxy forwarded for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub IpAddr);

/// One address of a forwarding header: `192.0.2.1`, `"[2001:db8::1]:4711"`, `192.0.2.1:80`.
fn address(item: &str) -> Option<IpAddr> {
    let item = item.trim().trim_matches('"');
    if let Ok(ip) = item.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(socket) = item.parse::<std::net::SocketAddr>() {
        return Some(socket.ip());
    }
    item.strip_prefix('[')
        .and_then(|rest| rest.split(']').next())
        .and_then(|inner| inner.parse().ok())
}

/// The addresses a request passed through, first hop first: `Forwarded: for=` (RFC 7239)
/// when present, else `X-Forwarded-For`.
fn forwarded_chain(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let forwarded: Vec<&str> = headers
        .get_all(http::header::FORWARDED)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    if !forwarded.is_empty() {
        return forwarded
            .iter()
            .flat_map(|v| v.split(','))
            .map(|element| {
                element.split(';').find_map(|pair| {
                    let (name, value) = pair.split_once('=')?;
                    name.trim()
                        .eq_ignore_ascii_case("for")
                        .then(|| address(value))
                        .flatten()
                })
            })
            .collect();
    }
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(address)
        .collect()
}

/// The client of a request from `peer`: when `peer` is one of the `trusted` proxies, the
/// rightmost forwarded address that is not itself a trusted proxy (addresses further left
/// were written by whoever sent the request, and prove nothing); else `peer`. Forwarding
/// headers from anyone else are ignored.
pub fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let mut client = peer;
    for hop in forwarded_chain(headers).into_iter().rev() {
        let Some(hop) = hop else {
            // Unreadable (`unknown`, an obfuscated name): stop at the last address known.
            break;
        };
        client = hop;
        if !is_trusted(&hop) {
            break;
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(name: &'static str, value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(name, HeaderValue::from_str(value).unwrap());
        h
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn only_trusted_proxies_name_the_client() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let spoofed = headers("x-forwarded-for", "203.0.113.9");
        // A direct client cannot claim another address.
        assert_eq!(
            client_address(ip("198.51.100.7"), &spoofed, &trusted),
            ip("198.51.100.7")
        );
        // Through the proxy: the rightmost address the proxy did not add itself.
        let chain = headers("x-forwarded-for", "203.0.113.9, 198.51.100.7, 10.0.0.3");
        assert_eq!(
            client_address(ip("10.0.0.2"), &chain, &trusted),
            ip("198.51.100.7")
        );
        let forwarded = headers(
            "forwarded",
            r#"for=192.0.2.60;proto=https, for="[2001:db8::1]:4711""#,
        );
        assert_eq!(
            client_address(ip("10.0.0.2"), &forwarded, &trusted),
            ip("2001:db8::1")
        );
        // No proxy configured: headers are ignored.
        assert_eq!(client_address(ip("10.0.0.2"), &chain, &[]), ip("10.0.0.2"));
        // A proxy that forwarded nothing is the client.
        assert_eq!(
            client_address(ip("10.0.0.2"), &HeaderMap::new(), &trusted),
            ip("10.0.0.2")
        );
        let unknown = headers("forwarded", "for=unknown");
        assert_eq!(
            client_address(ip("10.0.0.2"), &unknown, &trusted),
            ip("10.0.0.2")
        );
    }
}
