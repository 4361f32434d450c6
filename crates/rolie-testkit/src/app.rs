//! `TestApp`: the real server on `127.0.0.1:0`, a real database, a real HTTP client.

use std::sync::Arc;

use bytes::Bytes;
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use rolie_authz::authenticate::{
    CertificateMapping, ClientCertAuthenticator, FeedTokenAuthenticator, JwtAuthenticator, JwtKey,
    JwtSettings, TokenIssuer, TokenRequest,
};
use rolie_authz::{Authenticator, AuthenticatorChain, Gate, PolicyAuthorizer, PolicyConfig};
use rolie_model::Restriction;
use rolie_model::vocabulary::{information_type, media_type};
use rolie_server::{AppState, ServeOptions, ServerConfig, TlsMaterial};
use rolie_store::{CollectionName, CollectionSpec, Freshness, Store};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::certs::{ClientIdentity, TestCa};
use crate::db::{Backend, TestDb};

/// The HS256 secret of test servers.
pub const TEST_SECRET: &str = "test-secret-0123456789abcdef0123456789abcdef";

/// A collection spec for tests.
pub fn spec(name: &str, kind: &str, max: Restriction, public: bool) -> CollectionSpec {
    CollectionSpec {
        name: CollectionName::parse(name).expect("valid name"),
        title: format!("{name} collection"),
        information_type: kind.to_owned(),
        workspace: if public {
            "Public".to_owned()
        } else {
            "Restricted".to_owned()
        },
        accept: vec![
            media_type::ATOM_ENTRY.to_owned(),
            media_type::XML.to_owned(),
            media_type::JSON.to_owned(),
        ],
        max_restriction: max,
        public,
    }
}

/// Rewrites a database URL (e.g. to go through a proxy).
type Rewrite = Box<dyn FnOnce(&str) -> String + Send>;

/// Configures a [`TestApp`].
pub struct TestAppBuilder {
    backend: Backend,
    tls: bool,
    client_certificates: Option<Vec<CertificateMapping>>,
    jwt: Option<JwtAuthenticator>,
    db: Option<TestDb>,
    reach: Option<Rewrite>,
    policy: PolicyConfig,
    collections: Vec<CollectionSpec>,
    config: ServerConfig,
    options: ServeOptions,
}

impl TestAppBuilder {
    /// Serve over TLS with a fresh test CA.
    pub fn tls(mut self) -> Self {
        self.tls = true;
        self
    }

    /// Ask for client certificates (TLS implied) and map them with `table`.
    pub fn client_certificates(mut self, table: Vec<CertificateMapping>) -> Self {
        self.tls = true;
        self.client_certificates = Some(table);
        self
    }

    /// Verify bearer tokens with `authenticator` instead of the HS256 test secret.
    pub fn jwt(mut self, authenticator: JwtAuthenticator) -> Self {
        self.jwt = Some(authenticator);
        self
    }

    /// Use this database instead of a fresh temporary one.
    pub fn database(mut self, db: TestDb) -> Self {
        self.db = Some(db);
        self
    }

    /// Reach the database at the URL `rewrite` makes from its own (e.g. through a
    /// [`crate::TcpProxy`]); the test's own checks still use the direct URL.
    pub fn reach_database(mut self, rewrite: impl FnOnce(&str) -> String + Send + 'static) -> Self {
        self.reach = Some(Box::new(rewrite));
        self
    }

    /// Use `policy`.
    pub fn policy(mut self, policy: PolicyConfig) -> Self {
        self.policy = policy;
        self
    }

    /// Create `spec` besides the default `incidents` and `indicators`.
    pub fn collection(mut self, spec: CollectionSpec) -> Self {
        self.collections.push(spec);
        self
    }

    /// Change server settings.
    pub fn configure(mut self, change: impl FnOnce(&mut ServerConfig)) -> Self {
        change(&mut self.config);
        self
    }

    /// Change connection settings.
    pub fn serve_options(mut self, change: impl FnOnce(&mut ServeOptions)) -> Self {
        change(&mut self.options);
        self
    }

    /// Starts the server.
    pub async fn spawn(self) -> TestApp {
        crate::init_logs();
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let db = match self.db {
            Some(db) => db,
            None => TestDb::create(self.backend).await,
        };
        let direct = db.open().await;
        let store = match self.reach {
            Some(rewrite) => db.open_at(&rewrite(&db.url)).await,
            None => direct.clone(),
        };
        let mut collections = vec![
            spec(
                "incidents",
                information_type::INCIDENT,
                Restriction::Private,
                false,
            ),
            spec(
                "indicators",
                information_type::INDICATOR,
                Restriction::Private,
                false,
            ),
        ];
        collections.extend(self.collections);
        for collection in &collections {
            store
                .create_collection(collection)
                .await
                .expect("create test collection");
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let address = listener.local_addr().expect("local address");
        let ca = self.tls.then(|| Arc::new(TestCa::new("rolie test CA")));
        let scheme = if self.tls { "https" } else { "http" };
        let base_url = format!("{scheme}://localhost:{}", address.port());
        let mut config = self.config;
        config.base_url = base_url.clone();
        let jwt = match self.jwt {
            Some(jwt) => jwt,
            None => JwtAuthenticator::new(
                vec![JwtKey::hs256(TEST_SECRET.as_bytes(), None)],
                None,
                JwtSettings {
                    default_clearance: Some(self.policy.default_clearance),
                    ..JwtSettings::default()
                },
            )
            .expect("JWT authenticator"),
        };
        let mut chain: Vec<Arc<dyn Authenticator>> = vec![Arc::new(jwt)];
        if let Some(table) = &self.client_certificates {
            chain.push(Arc::new(ClientCertAuthenticator::new(table.clone())));
        }
        chain.push(Arc::new(FeedTokenAuthenticator::new(store.clone())));
        // Timed as `rolie serve` times it, so the store metrics are tested too.
        let metrics = Arc::new(rolie_server::metrics::Metrics::new());
        let observed: Arc<dyn Store> = Arc::new(rolie_store::observed::Observed::new(
            store.clone(),
            metrics.clone(),
        ));
        let gate = Gate::new(observed, Arc::new(PolicyAuthorizer::new(self.policy)));
        let state = AppState::with_metrics(gate, AuthenticatorChain::new(chain), config, metrics);
        state.prepare().await.expect("the server's keys");
        let app = rolie_server::app(state);
        let mut options = self.options;
        if let Some(ca) = &ca {
            let (chain, key) = ca.server();
            let client_ca = if self.client_certificates.is_some() {
                vec![ca.cert_der()]
            } else {
                Vec::new()
            };
            options.tls = Some(
                rolie_server::tls_config(TlsMaterial {
                    chain,
                    key,
                    client_ca,
                })
                .expect("TLS config"),
            );
        }
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            rolie_server::serve(listener, app, options, async {
                let _ = stopped.await;
            })
            .await
            .expect("serve");
        });
        let client = client(ca.as_deref(), None, false);
        TestApp {
            base_url,
            address,
            store: direct,
            ca,
            db,
            client,
            issuer: TokenIssuer::hs256(TEST_SECRET.as_bytes()),
            stop: Some(stop),
            task: Some(task),
        }
    }
}

/// A client as browsers and feed readers are: it sends `Accept-Encoding: gzip, br, deflate`
/// and decodes what comes back (a body that is not what `Content-Encoding` says fails the
/// request). `raw` turns decoding off, to look at the bytes on the wire.
fn client(ca: Option<&TestCa>, identity: Option<&ClientIdentity>, raw: bool) -> reqwest::Client {
    let mut builder = reqwest::Client::builder()
        .no_proxy()
        .gzip(!raw)
        .brotli(!raw)
        .deflate(!raw)
        .resolve("localhost", std::net::SocketAddr::from(([127, 0, 0, 1], 0)));
    if let Some(ca) = ca {
        let root = reqwest::Certificate::from_pem(ca.cert_pem().as_bytes()).expect("CA PEM");
        builder = builder.tls_certs_only([root]);
    }
    if let Some(identity) = identity {
        builder = builder.identity(identity.reqwest());
    }
    builder.build().expect("HTTP client")
}

/// A running test server.
pub struct TestApp {
    /// `http(s)://localhost:port`.
    pub base_url: String,
    /// The socket the server listens on, for raw connections.
    pub address: std::net::SocketAddr,
    /// The database, reached directly, for checking what a request did or did not change.
    pub store: Arc<dyn Store>,
    /// The test CA when serving TLS.
    pub ca: Option<Arc<TestCa>>,
    /// The database.
    pub db: TestDb,
    client: reqwest::Client,
    issuer: TokenIssuer,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

/// A response read to the end.
#[derive(Debug, Clone)]
pub struct Response {
    /// Status.
    pub status: StatusCode,
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

    /// All values of a header.
    pub fn header_all(&self, name: &str) -> Vec<String> {
        self.headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect()
    }

    /// The `Location` header; panics when it is missing.
    #[track_caller]
    pub fn location(&self) -> String {
        self.header("location")
            .unwrap_or_else(|| panic!("no Location header; body: {}", self.text()))
            .to_owned()
    }

    /// Whether a `WWW-Authenticate` challenge offers `scheme`.
    pub fn challenges(&self, scheme: &str) -> bool {
        self.header_all("www-authenticate")
            .iter()
            .any(|c| c.starts_with(scheme))
    }

    /// The body with its `Content-Encoding` undone.
    ///
    /// # Errors
    /// When the body is not what `Content-Encoding` says, or the coding is unknown.
    pub fn decoded(&self) -> Result<Vec<u8>, String> {
        crate::coding::decode(self.header("content-encoding"), &self.body)
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    /// Asserts the status, showing the body when it differs.
    #[track_caller]
    pub fn assert_status(&self, expected: u16) -> &Self {
        assert_eq!(
            self.status.as_u16(),
            expected,
            "unexpected status; body: {}",
            self.text()
        );
        self
    }

    /// Asserts an RFC 9457 problem document with `status` whose detail contains `fragment`.
    #[track_caller]
    pub fn assert_problem(&self, status: u16, fragment: &str) -> &Self {
        self.assert_status(status);
        let content_type = self.header("content-type").unwrap_or_default();
        assert!(
            content_type.starts_with("application/problem+"),
            "not a problem document: {content_type}"
        );
        if content_type.starts_with("application/problem+json") {
            let v = self.json();
            assert_eq!(v["status"], status, "{}", self.text());
            let detail = v["detail"].as_str().unwrap_or_default();
            assert!(
                detail.contains(fragment),
                "detail {detail:?} lacks {fragment:?}"
            );
        } else {
            assert!(self.text().contains(fragment), "{}", self.text());
        }
        self
    }
}

impl TestApp {
    /// A server with default settings on `backend`.
    pub async fn spawn(backend: Backend) -> TestApp {
        TestApp::builder(backend).spawn().await
    }

    /// A builder for a server on `backend`.
    pub fn builder(backend: Backend) -> TestAppBuilder {
        TestAppBuilder {
            backend,
            tls: false,
            client_certificates: None,
            jwt: None,
            db: None,
            reach: None,
            policy: PolicyConfig::default(),
            collections: Vec::new(),
            config: ServerConfig::new("http://localhost"),
            options: ServeOptions::default(),
        }
    }

    /// An absolute URL for `path`.
    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base_url)
        }
    }

    /// A bearer token.
    pub fn token(&self, subject: &str, scope: &str, clearance: Restriction) -> String {
        self.issuer
            .mint(&TokenRequest {
                subject: subject.to_owned(),
                scope: scope.to_owned(),
                clearance: Some(clearance),
                lifetime: time::Duration::hours(1),
                issuer: None,
                audience: None,
            })
            .expect("mint token")
    }

    /// An administrator with read and write access everywhere and red clearance.
    pub fn admin_token(&self) -> String {
        self.token(
            "admin",
            "rolie:admin rolie:read rolie:write",
            Restriction::Private,
        )
    }

    /// The client (trusting the test CA when serving TLS).
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// A client presenting `identity`.
    pub fn client_with(&self, identity: &ClientIdentity) -> reqwest::Client {
        client(self.ca.as_deref(), Some(identity), false)
    }

    /// A client that decodes nothing and sends no `Accept-Encoding` of its own: the bytes
    /// on the wire, for tests of content coding.
    pub fn raw_client(&self) -> reqwest::Client {
        client(self.ca.as_deref(), None, true)
    }

    /// Sends a request and reads the whole response.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Response {
        let response = request.send().await.expect("request");
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await.expect("response body");
        Response {
            status,
            headers,
            body,
        }
    }

    /// A request with optional bearer token.
    pub fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
    ) -> reqwest::RequestBuilder {
        let request = self.client.request(method, self.url(path));
        match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    /// GET with an optional bearer token.
    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        self.send(self.request(Method::GET, path, token)).await
    }

    async fn with_body(
        &self,
        method: Method,
        path: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
        token: Option<&str>,
    ) -> Response {
        self.send(
            self.request(method, path, token)
                .header("content-type", content_type)
                .body(body),
        )
        .await
    }

    /// POST `body` of `content_type`.
    pub async fn post(
        &self,
        path: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
        token: Option<&str>,
    ) -> Response {
        self.with_body(Method::POST, path, content_type, body, token)
            .await
    }

    /// PUT `body` of `content_type`.
    pub async fn put(
        &self,
        path: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
        token: Option<&str>,
    ) -> Response {
        self.with_body(Method::PUT, path, content_type, body, token)
            .await
    }

    /// DELETE with an optional bearer token.
    pub async fn delete(&self, path: &str, token: Option<&str>) -> Response {
        self.send(self.request(Method::DELETE, path, token)).await
    }

    /// A JSON body with `method` (the administration API).
    pub async fn send_json(
        &self,
        method: Method,
        path: &str,
        body: &serde_json::Value,
        token: Option<&str>,
    ) -> Response {
        self.with_body(method, path, media_type::JSON, body.to_string(), token)
            .await
    }

    /// POST an IODEF XML document to a collection as the administrator.
    pub async fn publish(&self, collection: &str, iodef: &str) -> Response {
        let token = self.admin_token();
        self.post(
            &format!("/rolie/feeds/{collection}"),
            media_type::XML,
            iodef.to_owned(),
            Some(&token),
        )
        .await
    }

    /// POSTs `body` of `content_type` to `collection` as the administrator, expects 201 and
    /// returns the created entry as the server wrote it.
    pub async fn created_entry(
        &self,
        collection: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> rolie_model::Entry {
        let token = self.admin_token();
        let response = self
            .post(
                &format!("/rolie/feeds/{collection}"),
                content_type,
                body,
                Some(&token),
            )
            .await;
        response.assert_status(201);
        crate::oracle::entry(&response.body)
    }

    /// A collection's change counters, from the store: they move on every stored write.
    pub async fn freshness(&self, collection: &str) -> Freshness {
        self.store
            .freshness(&CollectionName::parse(collection).expect("valid name"))
            .await
            .expect("freshness")
    }

    /// Number of entries in a collection (all levels, drafts included), from the store.
    pub async fn entry_count(&self, collection: &str) -> i64 {
        self.freshness(collection).await.entry_count
    }

    /// The change sequence of a collection.
    pub async fn change_seq(&self, collection: &str) -> i64 {
        self.freshness(collection).await.change_seq
    }

    /// Stops the server, letting in-flight requests finish.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
