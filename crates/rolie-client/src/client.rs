//! HTTP to one ROLIE server: credentials, bounded bodies, a rate limit, same-origin links.

use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{
    ACCEPT, CONTENT_TYPE, ETAG, HeaderMap, IF_MATCH, IF_NONE_MATCH, LAST_MODIFIED, RETRY_AFTER,
};
use reqwest::{Method, StatusCode, Url};
use rolie_model::Problem;
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::error::ClientError;

/// How the client authenticates.
#[derive(Clone, Default)]
pub enum Auth {
    /// No credentials: public collections only.
    #[default]
    None,
    /// `Authorization: Bearer`.
    Bearer(String),
    /// HTTP Basic (a feed token: its id and its secret).
    Basic {
        /// User name.
        user: String,
        /// Password.
        password: String,
    },
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Secrets never reach a log line.
        match self {
            Auth::None => f.write_str("None"),
            Auth::Bearer(_) => f.write_str("Bearer(…)"),
            Auth::Basic { user, .. } => write!(f, "Basic({user}, …)"),
        }
    }
}

/// Settings of a [`Client`].
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Credentials.
    pub auth: Auth,
    /// A client certificate and its key, PEM, for servers that map certificates to callers.
    pub identity_pem: Option<Vec<u8>>,
    /// A CA certificate (PEM) to trust instead of the system's roots.
    pub ca_pem: Option<Vec<u8>>,
    /// The least time between two requests.
    pub min_interval: Duration,
    /// The largest body read.
    pub max_body_bytes: usize,
    /// The longest a request may take.
    pub timeout: Duration,
    /// Follow links to other origins than the server's.
    pub any_origin: bool,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            auth: Auth::None,
            identity_pem: None,
            ca_pem: None,
            min_interval: Duration::ZERO,
            max_body_bytes: 64 * 1024 * 1024,
            timeout: Duration::from_secs(60),
            any_origin: false,
        }
    }
}

/// A response read in full (within the bound).
#[derive(Debug, Clone)]
pub struct Response {
    /// The URL answered (after redirects).
    pub url: String,
    /// Status.
    pub status: u16,
    /// Headers.
    pub headers: HeaderMap,
    /// Body.
    pub body: Bytes,
}

impl Response {
    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `ETag`.
    pub fn etag(&self) -> Option<&str> {
        self.headers.get(ETAG).and_then(|v| v.to_str().ok())
    }

    /// `Last-Modified`.
    pub fn last_modified(&self) -> Option<&str> {
        self.headers
            .get(LAST_MODIFIED)
            .and_then(|v| v.to_str().ok())
    }

    /// The media type without parameters, lower case.
    pub fn media_type(&self) -> String {
        self.headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    }
}

/// A conditional GET's answer.
#[derive(Debug, Clone)]
pub enum Fetched {
    /// 304: what the client holds is current.
    NotModified,
    /// 200 with the body.
    Ok(Response),
}

/// A client of one ROLIE server.
pub struct Client {
    http: reqwest::Client,
    config: ClientConfig,
    origin: String,
    next_request: Mutex<Instant>,
}

fn origin_of(url: &Url) -> String {
    url.origin().ascii_serialization()
}

impl Client {
    /// A client of the server at `base` (any of its URLs: the origin is what counts).
    ///
    /// # Errors
    /// [`ClientError::Config`] for a URL that is not http(s) or unusable certificates.
    pub fn new(base: &str, config: ClientConfig) -> Result<Self, ClientError> {
        let base = Url::parse(base)
            .map_err(|e| ClientError::Config(format!("{base} is not a URL: {e}")))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(ClientError::Config(format!("{base} is not an http(s) URL")));
        }
        let origin = origin_of(&base);
        let (own, any_origin) = (origin.clone(), config.any_origin);
        let mut builder = reqwest::Client::builder()
            .timeout(config.timeout)
            .user_agent(concat!("rolie-client/", env!("CARGO_PKG_VERSION")))
            // Redirects within the origin only: a redirect elsewhere is a link elsewhere,
            // and the answer is the redirect itself.
            .redirect(reqwest::redirect::Policy::custom(move |attempt| {
                if attempt.previous().len() >= 5 {
                    attempt.error("more than 5 redirects")
                } else if !any_origin && origin_of(attempt.url()) != own {
                    attempt.stop()
                } else {
                    attempt.follow()
                }
            }));
        if let Some(ca) = &config.ca_pem {
            let ca = reqwest::Certificate::from_pem(ca)
                .map_err(|e| ClientError::Config(format!("the CA certificate: {e}")))?;
            builder = builder.tls_certs_only([ca]);
        }
        if let Some(identity) = &config.identity_pem {
            let identity = reqwest::Identity::from_pem(identity)
                .map_err(|e| ClientError::Config(format!("the client certificate and key: {e}")))?;
            builder = builder.identity(identity);
        }
        let http = builder
            .build()
            .map_err(|e| ClientError::Config(format!("the HTTP client: {e}")))?;
        Ok(Client {
            http,
            origin,
            config,
            next_request: Mutex::new(Instant::now()),
        })
    }

    /// The server's origin (`https://host:port`).
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// `url` if the client may follow it.
    ///
    /// # Errors
    /// [`ClientError::OffOrigin`] for another origin, unless allowed;
    /// [`ClientError::Config`] for what is not an http(s) URL.
    pub fn allowed(&self, url: &str) -> Result<Url, ClientError> {
        let parsed = Url::parse(url)
            .map_err(|e| ClientError::Config(format!("{url} is not an absolute URL: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(ClientError::Config(format!("{url} is not an http(s) URL")));
        }
        if !self.config.any_origin && origin_of(&parsed) != self.origin {
            return Err(ClientError::OffOrigin {
                url: url.to_owned(),
                origin: self.origin.clone(),
            });
        }
        Ok(parsed)
    }

    async fn pace(&self) {
        if self.config.min_interval.is_zero() {
            return;
        }
        let mut next = self.next_request.lock().await;
        let now = Instant::now();
        if *next > now {
            tokio::time::sleep_until(*next).await;
        }
        *next = Instant::now() + self.config.min_interval;
    }

    /// Sends a request and reads the whole answer (at most the configured bound).
    ///
    /// # Errors
    /// Transport failures, bodies over the bound, refused origins. Error statuses are
    /// returned as responses; [`Client::expect_ok`] turns them into errors.
    pub async fn request(
        &self,
        method: Method,
        url: &str,
        headers: &[(&str, &str)],
        body: Option<Bytes>,
    ) -> Result<Response, ClientError> {
        let parsed = self.allowed(url)?;
        self.pace().await;
        let mut request = self.http.request(method, parsed);
        request = match &self.config.auth {
            Auth::None => request,
            Auth::Bearer(token) => request.bearer_auth(token),
            Auth::Basic { user, password } => request.basic_auth(user, Some(password)),
        };
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.body(body);
        }
        let transport = |source| ClientError::Transport {
            url: url.to_owned(),
            source,
        };
        let mut response = request.send().await.map_err(transport)?;
        let answered = response.url().to_string();
        if !self.config.any_origin && origin_of(response.url()) != self.origin {
            return Err(ClientError::OffOrigin {
                url: answered,
                origin: self.origin.clone(),
            });
        }
        let limit = self.config.max_body_bytes;
        if response
            .content_length()
            .is_some_and(|length| length > limit as u64)
        {
            return Err(ClientError::TooLarge {
                url: url.to_owned(),
                limit,
            });
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            if body.len() + chunk.len() > limit {
                return Err(ClientError::TooLarge {
                    url: url.to_owned(),
                    limit,
                });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Response {
            url: answered,
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: Bytes::from(body),
        })
    }

    /// `response` if its status is 2xx; the error it stands for otherwise, with the
    /// server's problem document.
    ///
    /// # Errors
    /// [`ClientError::Status`].
    pub fn expect_ok(response: Response) -> Result<Response, ClientError> {
        if (200..300).contains(&response.status) {
            return Ok(response);
        }
        Err(Self::status_error(&response))
    }

    /// The error a non-2xx `response` stands for.
    pub fn status_error(response: &Response) -> ClientError {
        let problem = (response.media_type() == "application/problem+json")
            .then(|| {
                serde_json::from_slice::<Problem>(&response.body)
                    .ok()
                    .map(Box::new)
            })
            .flatten();
        let retry_after = response
            .headers
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        ClientError::Status {
            url: response.url.clone(),
            status: response.status,
            problem,
            retry_after,
        }
    }

    /// A GET of `url` accepting `accept`; with `etag`, conditional.
    ///
    /// # Errors
    /// As [`Client::request`], and [`ClientError::Status`] for any status but 200 and 304.
    pub async fn get(
        &self,
        url: &str,
        accept: &str,
        etag: Option<&str>,
    ) -> Result<Fetched, ClientError> {
        let mut headers = vec![(ACCEPT.as_str(), accept)];
        if let Some(etag) = etag {
            headers.push((IF_NONE_MATCH.as_str(), etag));
        }
        let response = self.request(Method::GET, url, &headers, None).await?;
        if response.status == StatusCode::NOT_MODIFIED.as_u16() {
            return Ok(Fetched::NotModified);
        }
        Self::expect_ok(response).map(Fetched::Ok)
    }

    /// A GET that must succeed.
    ///
    /// # Errors
    /// As [`Client::get`].
    pub async fn fetch(&self, url: &str, accept: &str) -> Result<Response, ClientError> {
        match self.get(url, accept, None).await? {
            Fetched::Ok(response) => Ok(response),
            Fetched::NotModified => Err(ClientError::Document {
                url: url.to_owned(),
                what: "answer",
                message: "304 to an unconditional GET".into(),
            }),
        }
    }

    /// POST `body` of `content_type` to `url`.
    ///
    /// # Errors
    /// As [`Client::request`].
    pub async fn post(
        &self,
        url: &str,
        content_type: &str,
        body: Bytes,
    ) -> Result<Response, ClientError> {
        self.request(
            Method::POST,
            url,
            &[(CONTENT_TYPE.as_str(), content_type)],
            Some(body),
        )
        .await
    }

    /// PUT `body` of `content_type` to `url` if it still has `etag`.
    ///
    /// # Errors
    /// As [`Client::request`].
    pub async fn put(
        &self,
        url: &str,
        content_type: &str,
        etag: &str,
        body: Bytes,
    ) -> Result<Response, ClientError> {
        self.request(
            Method::PUT,
            url,
            &[
                (CONTENT_TYPE.as_str(), content_type),
                (IF_MATCH.as_str(), etag),
            ],
            Some(body),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_elsewhere_are_refused_unless_allowed() {
        let client = Client::new(
            "https://rolie.example/rolie/servicedocument",
            ClientConfig::default(),
        )
        .expect("client");
        assert!(
            client
                .allowed("https://rolie.example/rolie/feeds/x")
                .is_ok()
        );
        for elsewhere in [
            "https://evil.example/x",
            "http://rolie.example/x",
            "https://rolie.example:8443/x",
        ] {
            assert!(
                matches!(
                    client.allowed(elsewhere),
                    Err(ClientError::OffOrigin { .. })
                ),
                "{elsewhere}"
            );
        }
        assert!(matches!(
            client.allowed("file:///etc/passwd"),
            Err(ClientError::Config(_))
        ));
        assert!(matches!(
            client.allowed("/relative"),
            Err(ClientError::Config(_))
        ));
        let open = Client::new(
            "https://rolie.example/",
            ClientConfig {
                any_origin: true,
                ..ClientConfig::default()
            },
        )
        .expect("client");
        assert!(open.allowed("https://mirror.example/x").is_ok());
    }

    #[test]
    fn credentials_never_reach_a_log_line() {
        let auth = Auth::Basic {
            user: "reader".into(),
            password: "hunter2".into(),
        };
        assert!(!format!("{auth:?}").contains("hunter2"));
        assert!(!format!("{:?}", Auth::Bearer("eyJsecret".into())).contains("eyJ"));
    }
}
