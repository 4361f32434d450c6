//! Error answers: problem documents, 404, 405 with Allow, 401 challenges, token checks.

use reqwest::Method;
use rolie_model::Restriction;
use rolie_testkit::{Backend, TEST_SECRET, TestApp, on_both_backends};

on_both_backends!(
    unknown_paths_are_404_problem_documents,
    a_wrong_method_is_405_with_allow,
    problems_come_as_xml_to_clients_that_prefer_it,
    missing_credentials_are_401_with_a_bearer_challenge,
    bad_tokens_are_401,
    private_collection_names_do_not_leak,
);

/// R-5023-5.5-a
async fn unknown_paths_are_404_problem_documents(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let response = app.get("/nothing/here", None).await;
    response.assert_problem(404, "/nothing/here");
    assert!(response.json()["request_id"].is_string());
    app.get("/rolie/feeds/UPPER", Some(&app.admin_token()))
        .await
        .assert_status(404);
    app.get("/rolie/feeds/nope", Some(&app.admin_token()))
        .await
        .assert_status(404);
}

/// R-HTTP-405-a
async fn a_wrong_method_is_405_with_allow(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin_token();
    for (method, path, allowed) in [
        (
            Method::DELETE,
            "/rolie/feeds/incidents",
            ["GET", "HEAD", "POST"].as_slice(),
        ),
        (
            Method::POST,
            "/rolie/servicedocument",
            ["GET", "HEAD"].as_slice(),
        ),
        (
            Method::POST,
            "/rolie/entries/01890000-0000-7000-8000-000000000000",
            ["GET", "HEAD", "PUT", "DELETE"].as_slice(),
        ),
    ] {
        let response = app
            .send(app.request(method.clone(), path, Some(&token)))
            .await;
        response.assert_problem(405, method.as_str());
        let allow = response.header("allow").expect("Allow");
        for m in allowed {
            assert!(
                allow.split(',').any(|a| a.trim() == *m),
                "{path}: Allow {allow} lacks {m}"
            );
        }
    }
}

/// RFC 9457 Appendix B
async fn problems_come_as_xml_to_clients_that_prefer_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let response = app
        .send(
            app.request(Method::GET, "/rolie/feeds/incidents", None)
                .header("accept", "application/atom+xml"),
        )
        .await;
    response.assert_status(401);
    assert_eq!(
        response.header("content-type"),
        Some("application/problem+xml")
    );
    let text = response.text();
    assert!(
        text.contains("<problem xmlns=\"urn:ietf:rfc:7807\">")
            && text.contains("<status>401</status>"),
        "{text}"
    );
}

/// R-8322-5.4-a
async fn missing_credentials_are_401_with_a_bearer_challenge(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for path in ["/rolie/servicedocument", "/rolie/feeds/incidents"] {
        let response = app.get(path, None).await;
        response.assert_problem(401, "credentials");
        assert!(response.challenges("Bearer"), "{path}: a Bearer challenge");
    }
}

/// Expired, forged, `alg: none` and malformed bearer tokens are refused.
async fn bad_tokens_are_401(backend: Backend) {
    use base64::Engine;
    let app = TestApp::spawn(backend).await;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let future = time::OffsetDateTime::now_utc().unix_timestamp() + 3600;
    let claims = b64.encode(format!(
        r#"{{"sub":"mallory","exp":{future},"scope":"rolie:admin","clearance":"red"}}"#
    ));
    let none = format!("{}.{claims}.", b64.encode(r#"{"alg":"none","typ":"JWT"}"#));
    let valid = app.token("alice", "rolie:read", Restriction::Public);
    let forged = {
        let mut parts: Vec<&str> = valid.split('.').collect();
        parts[1] = &claims;
        parts.join(".")
    };
    let expired = rolie_authz::authenticate::TokenIssuer::hs256(TEST_SECRET.as_bytes())
        .mint(&rolie_authz::authenticate::TokenRequest {
            subject: "alice".into(),
            scope: "rolie:read".into(),
            clearance: None,
            lifetime: time::Duration::hours(-1),
            issuer: None,
            audience: None,
        })
        .expect("token");
    let other_secret =
        rolie_authz::authenticate::TokenIssuer::hs256(b"another-secret-0123456789abcdef0123456789")
            .mint(&rolie_authz::authenticate::TokenRequest {
                subject: "alice".into(),
                scope: "rolie:admin".into(),
                clearance: None,
                lifetime: time::Duration::hours(1),
                issuer: None,
                audience: None,
            })
            .expect("token");
    for (token, fragment) in [
        (none, "bearer token"),
        (forged, "signature"),
        (expired, "expired"),
        (other_secret, "signature"),
        ("garbage".to_owned(), "malformed"),
    ] {
        app.get("/rolie/feeds/incidents", Some(&token))
            .await
            .assert_problem(401, fragment);
    }
    app.get("/rolie/feeds/incidents", Some(&valid))
        .await
        .assert_status(200);
}

/// R-PROF-AUTHZ-b: whether a collection the caller may not read exists is not revealed.
async fn private_collection_names_do_not_leak(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for path in ["/rolie/feeds/indicators", "/rolie/feeds/no-such-collection"] {
        app.get(path, None).await.assert_status(401);
    }
    let narrow = app.token("narrow", "rolie:read:incidents", Restriction::Private);
    let absent = app
        .get("/rolie/feeds/no-such-collection", Some(&narrow))
        .await;
    let hidden = app.get("/rolie/feeds/indicators", Some(&narrow)).await;
    absent.assert_status(404);
    hidden.assert_status(404);
    assert_eq!(absent.json()["detail"], hidden.json()["detail"]);
    for (collection, status) in [
        ("indicators", 404),
        ("no-such-collection", 404),
        ("incidents", 403),
    ] {
        let path = format!("/rolie/feeds/{collection}");
        app.post(
            &path,
            "application/xml",
            rolie_testkit::fixtures::MINIMAL_V2,
            Some(&narrow),
        )
        .await
        .assert_status(status);
    }
}
