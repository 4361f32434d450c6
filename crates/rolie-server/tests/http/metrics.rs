//! `/metrics`: Prometheus metrics for operators, readable by administrators only.

use rolie_model::Restriction;
use rolie_testkit::{Backend, TestApp, fixtures, on_both_backends};

on_both_backends!(metrics_count_requests_entries_and_failures_for_administrators_only);

/// Issue (operations, metrics): requests by matched route and status, latency, render
/// cache, authentication failures, entries by collection and level, and store latency by
/// operation; callers without
/// the admin scope get none of it (the counts would reveal hidden entries, R-PROF-AUTHZ-b).
async fn metrics_count_requests_entries_and_failures_for_administrators_only(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token();
    app.publish("incidents", &fixtures::incident("MET-1", "green", "one"))
        .await
        .assert_status(201);
    app.publish("incidents", &fixtures::incident("MET-2", "red", "two"))
        .await
        .assert_status(201);
    app.get("/rolie/feeds/incidents", Some(&admin))
        .await
        .assert_status(200);
    app.get("/rolie/feeds/incidents", Some("not-a-token"))
        .await
        .assert_status(401);
    let reader = app.token("reader", "rolie:read", Restriction::Partner);
    let refused = app.get("/metrics", Some(&reader)).await;
    assert!(
        matches!(refused.status.as_u16(), 403 | 404),
        "a reader gets no metrics: {}",
        refused.status
    );
    app.get("/metrics", None).await.assert_status(401);
    let metrics = app.get("/metrics", Some(&admin)).await;
    metrics.assert_status(200);
    assert!(
        metrics
            .header("content-type")
            .is_some_and(|t| t.starts_with("application/openmetrics-text"))
    );
    let text = metrics.text();
    for line in [
        r#"rolie_http_requests_total{method="GET",route="/rolie/feeds/{collection}",status="200"} 1"#,
        r#"rolie_http_requests_total{method="POST",route="/rolie/feeds/{collection}",status="201"} 2"#,
        r#"rolie_entries{collection="incidents",level="partner"} 1"#,
        r#"rolie_entries{collection="incidents",level="private"} 1"#,
        r#"rolie_entries{collection="indicators",level="private"} 0"#,
        r#"rolie_authentication_failures_total{reason="invalid"} 1"#,
        r#"rolie_store_operation_duration_seconds_count{operation="create_entry"} 2"#,
    ] {
        assert!(text.contains(line), "{line} in\n{text}");
    }
    for name in [
        "rolie_http_request_duration_seconds_bucket",
        "rolie_render_cache_misses_total",
        "rolie_render_cache_hits_total",
        "rolie_http_connections_open",
        "rolie_rate_limited_total",
        r#"rolie_store_operation_duration_seconds_bucket{le="0.00025",operation="list_entries"}"#,
    ] {
        assert!(text.contains(name), "{name} in\n{text}");
    }
}
