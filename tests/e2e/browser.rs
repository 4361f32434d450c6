//! The pages for people in a real browser: headless Chromium driven over WebDriver
//! (chromedriver) against the real binary over TLS. A feed-token login (HTTP Basic), the
//! collection list, paging through a feed by its links, an incident page, a green
//! login that never sees a red entry, and hostile markup that renders inert. Screenshots
//! of the main pages are kept in `target/screenshots/`.
//!
//! Skips, saying so, where Chromium or chromedriver is not installed (`.ci/run` installs
//! both: Debian's `chromium` and `chromium-driver`).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use rolie_testkit::TestCa;
use serde_json::json;

use crate::support::{client_trusting, free_port, post_incident, start_tls, token};

/// Green incidents published: more than one page of the default page size (50).
const GREEN: usize = 56;

fn executable(env: &str, candidates: &[&str]) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(env) {
        return Some(PathBuf::from(path));
    }
    candidates.iter().map(PathBuf::from).find(|p| p.exists())
}

/// chromedriver on a free port, stopped when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    async fn start(chromedriver: &Path) -> Driver {
        let port = free_port();
        let child = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while reqwest::get(format!("{url}/status")).await.is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Driver { child, url }
    }

    async fn browser(&self, chromium: &Path) -> Client {
        let capabilities = json!({
            "acceptInsecureCerts": true,
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--window-size=1280,900", "--hide-scrollbars", "--force-device-scale-factor=1",
                ],
            },
        });
        let serde_json::Value::Object(capabilities) = capabilities else {
            unreachable!("an object")
        };
        ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&self.url)
            .await
            .expect("a Chromium session")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn screenshots() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target")),
        PathBuf::from,
    );
    let dir = target.join("screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot directory");
    dir
}

async fn shoot(browser: &Client, name: &str) {
    let png = browser.screenshot().await.expect("screenshot");
    std::fs::write(screenshots().join(format!("{name}.png")), png).expect("write screenshot");
}

async fn text(browser: &Client) -> String {
    browser
        .find(Locator::Css("body"))
        .await
        .expect("body")
        .text()
        .await
        .expect("text")
}

/// Clicks `element` and waits until the browser is at another URL with its document
/// loaded: a form's submission is not awaited by the click itself, and reading the old
/// page while the new one arrives fails with stale elements.
async fn follow(browser: &Client, element: fantoccini::elements::Element) {
    let before = browser.current_url().await.expect("URL");
    element.click().await.expect("click");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let now = browser.current_url().await.expect("URL");
        let ready = browser
            .execute("return document.readyState", Vec::new())
            .await
            .expect("readyState");
        if now != before && ready == "complete" {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the click led nowhere from {before}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The titles of the incidents listed on the current feed page.
async fn listed(browser: &Client) -> Vec<String> {
    let mut titles = Vec::new();
    for link in browser
        .find_all(Locator::Css("table.entries td:nth-child(2) > a"))
        .await
        .expect("rows")
    {
        titles.push(link.text().await.expect("title"));
    }
    titles
}

fn incident(id: &str, restriction: &str, description: &str) -> String {
    rolie_testkit::fixtures::incident(id, restriction, description)
}

/// Issue (browser view): pages render in Chromium, a feed-token login works, paging links
/// walk every entry once, a green login sees no red entry anywhere, hostile markup in an
/// IODEF document renders as text and runs nothing; screenshots of the main pages.
#[tokio::test]
async fn chromium_signs_in_pages_through_a_feed_and_reads_incidents_safely() {
    let (Some(chromium), Some(chromedriver)) = (
        executable(
            "ROLIE_TEST_CHROMIUM",
            &["/usr/bin/chromium", "/usr/bin/chromium-browser"],
        ),
        executable("ROLIE_TEST_CHROMEDRIVER", &["/usr/bin/chromedriver"]),
    ) else {
        rolie_testkit::skip(
            "browser::chromium_signs_in_pages_through_a_feed_and_reads_incidents_safely: skipped: install chromium and chromium-driver (.ci/run does)",
        );
        return;
    };
    let dir = tempfile::tempdir().expect("temporary directory");
    let ca = TestCa::new("browser CA");
    let (server, base) = start_tls(
        dir.path(),
        &ca,
        &[("ROLIE_ORGANIZATION", "Example CSIRT".to_owned())],
    )
    .await;
    let port = base.rsplit(':').next().expect("port").to_owned();
    let http = client_trusting(&ca);
    let admin = token("admin", "rolie:admin rolie:read rolie:write");
    let publish = |document: String| {
        let request = post_incident(&http, &base, &admin, document);
        async move {
            let response = request.send().await.expect("publish");
            assert_eq!(
                response.status(),
                201,
                "{}",
                response.text().await.unwrap_or_default()
            );
            response
                .headers()
                .get("location")
                .and_then(|l| l.to_str().ok())
                .expect("location")
                .to_owned()
        }
    };
    publish(incident(
        "CSIRT-RED-1",
        "red",
        "Secret operation against the mail relay",
    ))
    .await;
    let hostile = publish(incident(
        "CSIRT-2026-HOSTILE",
        "green",
        "<script>document.title='pwned'</script><img src=x onerror=\"document.title='pwned'\"> Defaced intranet page",
    ))
    .await;
    for i in 0..GREEN - 2 {
        publish(incident(
            &format!("CSIRT-2026-{i:04}"),
            if i % 3 == 0 { "green" } else { "partner" },
            &format!(
                "{} (case {i})",
                [
                    "Phishing wave against the finance department",
                    "Credential stuffing against the VPN portal",
                    "Ransom note found on a file server",
                    "Scanning of the mail gateways from a hosting network",
                    "Malicious macro documents sent to HR",
                ][i % 5]
            ),
        ))
        .await;
    }
    // The RFC 7970 §7.2 example (a campaign with indicators), green.
    let campaign =
        publish(include_str!("../corpus/iodef/v2/rfc7970-7.2-campaign-indicators.xml").to_owned())
            .await;
    let red = publish(incident("CSIRT-RED-2", "red", "Secret insider case")).await;
    let feed_token = http
        .post(format!("{base}/admin/feed-tokens"))
        .bearer_auth(&admin)
        .json(&json!({ "subject": "analyst", "label": "browser", "clearance": "green" }))
        .send()
        .await
        .expect("issue a feed token");
    assert_eq!(feed_token.status(), 201);
    let feed_token: serde_json::Value = feed_token.json().await.expect("JSON");
    let user = feed_token["username"].as_str().expect("username");
    let password = feed_token["password"].as_str().expect("password");

    let driver = Driver::start(&chromedriver).await;
    let browser = driver.browser(&chromium).await;

    // A visitor: told that nothing is public and offered the sign-in.
    browser.goto(&format!("{base}/")).await.expect("home");
    let visitor = text(&browser).await;
    assert!(visitor.contains("Nothing here is public"), "{visitor}");
    assert!(browser.find(Locator::LinkText("Sign in")).await.is_ok());
    shoot(&browser, "home-visitor").await;

    // Signing in: the browser answers /login's Basic challenge with the feed token and
    // keeps sending it.
    browser
        .goto(&format!("https://{user}:{password}@localhost:{port}/login"))
        .await
        .expect("sign in");
    let home = text(&browser).await;
    assert!(home.contains("Signed in as analyst"), "{home}");
    shoot(&browser, "home").await;

    // The collection list counts what a green analyst may see: the green entries only.
    follow(
        &browser,
        browser
            .find(Locator::LinkText("Collections"))
            .await
            .expect("collections link"),
    )
    .await;
    let counts = text(&browser).await;
    assert!(counts.contains(&GREEN.to_string()), "{counts}");

    // Paging by the page's own links walks every green entry exactly once.
    follow(
        &browser,
        browser
            .find(Locator::Css("table.collections a"))
            .await
            .expect("a collection"),
    )
    .await;
    shoot(&browser, "feed").await;
    let mut seen = listed(&browser).await;
    assert!(!seen.is_empty());
    loop {
        let Ok(next) = browser.find(Locator::Css("a[rel=next]")).await else {
            break;
        };
        follow(&browser, next).await;
        seen.extend(listed(&browser).await);
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "no entry twice");
    assert_eq!(seen.len(), GREEN, "every green entry once: {seen:?}");
    assert!(
        seen.iter().all(|t| !t.contains("Secret")),
        "no red entry listed"
    );

    // Search through the form.
    browser
        .goto(&format!("{base}/rolie/feeds/incidents"))
        .await
        .expect("feed");
    let search = browser
        .find(Locator::Css("input[name=q]"))
        .await
        .expect("search box");
    search.send_keys("HOSTILE").await.expect("type");
    follow(
        &browser,
        browser
            .find(Locator::Css("form.search button"))
            .await
            .expect("search button"),
    )
    .await;
    assert_eq!(listed(&browser).await.len(), 1, "one incident matches");

    // The hostile incident: its markup is text, nothing ran, no element came from it.
    browser.goto(&hostile).await.expect("incident page");
    assert_ne!(browser.title().await.expect("title"), "pwned");
    let page = text(&browser).await;
    assert!(
        page.contains("<script>document.title='pwned'</script>"),
        "{page}"
    );
    assert!(
        browser
            .find_all(Locator::Css("script"))
            .await
            .expect("query")
            .is_empty()
    );
    assert!(
        browser
            .find_all(Locator::Css("main img"))
            .await
            .expect("query")
            .is_empty()
    );
    assert!(page.contains("Incident ID") && page.contains("CSIRT-2026-HOSTILE"));
    shoot(&browser, "incident-hostile").await;

    // A real incident reads as a document: its indicators and their observables.
    browser.goto(&campaign).await.expect("incident page");
    let page = text(&browser).await;
    for shown in ["Indicator", "Observable", "Incident ID"] {
        assert!(page.contains(shown), "{shown} in {page}");
    }
    // Tall enough for the document tree below the facts.
    browser
        .set_window_size(1280, 1500)
        .await
        .expect("window size");
    shoot(&browser, "incident").await;
    browser
        .set_window_size(1280, 900)
        .await
        .expect("window size");

    // A red entry is not there for a green analyst.
    browser.goto(&red).await.expect("red entry");
    let hidden = text(&browser).await;
    assert!(!hidden.contains("Secret"), "{hidden}");
    assert!(
        hidden.to_lowercase().contains("not found") || hidden.contains("does not exist"),
        "{hidden}"
    );

    // A phone's width: the list becomes cards, still readable.
    browser
        .set_window_size(390, 844)
        .await
        .expect("phone width");
    browser
        .goto(&format!("{base}/rolie/feeds/incidents"))
        .await
        .expect("feed");
    shoot(&browser, "feed-phone").await;
    browser.goto(&campaign).await.expect("incident page");
    shoot(&browser, "incident-phone").await;

    browser.close().await.expect("close the browser");
    drop(server);
}
