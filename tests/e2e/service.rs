//! The HTTP API over a real SQLite ledger on disk: the router driven with `oneshot`, and
//! the real binary on a loopback port.

use crate::support::*;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use perk_host::ledger::{MemoryLedger, SqliteLedger};
use perk_host::manifest;
use perk_host::registry::Campaign;
use perk_host::service::{router, Engine};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use tower::ServiceExt as _;

/// 2026-03-02T12:00:00Z
const T0: i64 = 1_772_452_800_000;
const DAY: i64 = 86_400_000;

const CAFE: &str = r#"
[campaign]
name = "Test Cafe"
currency = "RUB"
point_value = 1

[points]
min_redemption = 50

[[policy]]
id = "points"
module = "points"
[policy.config]
unit = 100
points_per_unit = 1

[[policy]]
id = "coffee-card"
module = "punch-card"
[policy.config]
every = 3
bonus_points = 100
category = "coffee"
goal = "free coffee"

[[policy]]
id = "cashback"
module = "cashback"
[policy.config]
percent = 2
"#;

struct Api {
    engine: Arc<Engine>,
    clock: Arc<AtomicI64>,
    dir: tempfile::TempDir,
    manifest: String,
}

impl Api {
    fn new(manifest: &str) -> Api {
        let dir = tempfile::tempdir().unwrap();
        Api::open(manifest, dir)
    }

    fn open(manifest: &str, dir: tempfile::TempDir) -> Api {
        let ledger = SqliteLedger::open(&dir.path().join("ledger.sqlite")).unwrap();
        Api::with_ledger(manifest, dir, Arc::new(ledger))
    }

    /// The same API over the in-memory ledger.
    fn in_memory(manifest: &str) -> Api {
        Api::with_ledger(manifest, tempfile::tempdir().unwrap(), Arc::new(MemoryLedger::new()))
    }

    fn with_ledger(manifest: &str, dir: tempfile::TempDir, ledger: Arc<dyn perk_host::ledger::Ledger>) -> Api {
        let campaign =
            Campaign::from_manifest(manifest::parse(manifest, "perk.toml".as_ref()).unwrap(), &runtime(), &build_options()).unwrap();
        let clock = Arc::new(AtomicI64::new(T0));
        let c = clock.clone();
        let engine = Engine::new(campaign, ledger).with_api_key(Some("k3y".into())).with_clock(move || c.load(Ordering::SeqCst));
        Api { engine: Arc::new(engine), clock, dir, manifest: manifest.to_string() }
    }

    /// The same data directory under a new engine, as after a restart.
    fn restart(self) -> Api {
        let Api { engine, dir, manifest, clock, .. } = self;
        drop(engine);
        let api = Api::open(&manifest, dir);
        api.clock.store(clock.load(Ordering::SeqCst), Ordering::SeqCst);
        api
    }

    fn advance(&self, ms: i64) {
        self.clock.fetch_add(ms, Ordering::SeqCst);
    }

    async fn send(&self, req: Request<Body>) -> (StatusCode, Value, bool) {
        let res = router(self.engine.clone()).oneshot(req).await.unwrap();
        let status = res.status();
        let replayed = res.headers().get("idempotent-replayed").is_some();
        let bytes = axum::body::to_bytes(res.into_body(), usize::MAX).await.unwrap();
        let value = serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        (status, value, replayed)
    }

    async fn post(&self, path: &str, body: impl Into<String>) -> (StatusCode, Value) {
        let req = Request::post(path).header("content-type", "application/json").body(Body::from(body.into())).unwrap();
        let (s, v, _) = self.send(req).await;
        (s, v)
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        let (s, v, _) = self.send(Request::get(path).body(Body::empty()).unwrap()).await;
        (s, v)
    }
}

fn coffee(id: &str, customer: &str, price: i64) -> String {
    json!({"id": id, "customer_id": customer, "items": [{"sku": "latte", "category": "coffee", "quantity": 1, "unit_price": price}]})
        .to_string()
}

fn error_code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or_else(|| panic!("not an error body: {v}"))
}

#[tokio::test]
async fn purchase_replay_refund_redeem_and_the_customer_view() {
    let api = Api::new(CAFE);
    let body = coffee("p-1", "anna", 25_000);
    let (s, first) = api.post("/v1/purchases", body.clone()).await;
    assert_eq!(s, StatusCode::OK, "{first}");
    // 250 points, 2 % cashback of 250.00 = 5.00.
    assert_eq!(first["totals"]["points"], 250);
    assert_eq!(first["totals"]["cashback"], 500);
    assert_eq!(first["points"], 250);
    assert!(first["set_version"].as_str().unwrap().starts_with("set-"));

    // The same body again, even formatted differently: the same answer, nothing awarded.
    let reformatted = serde_json::to_string_pretty(&serde_json::from_str::<Value>(&body).unwrap()).unwrap();
    let req = Request::post("/v1/purchases").header("content-type", "application/json").body(Body::from(reformatted)).unwrap();
    let (s, again, replayed) = api.send(req).await;
    assert_eq!((s, replayed), (StatusCode::OK, true));
    assert_eq!(again, first);
    // The same id with another body is a conflict.
    let (s, v) = api.post("/v1/purchases", coffee("p-1", "anna", 99)).await;
    assert_eq!((s, error_code(&v)), (StatusCode::CONFLICT, "id_conflict"));

    for i in 2..=3 {
        let (s, v) = api.post("/v1/purchases", coffee(&format!("p-{i}"), "anna", 10_000)).await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    // The third coffee completes the card: 100 + 100 points.
    let (_, c) = api.get("/v1/customers/anna").await;
    assert_eq!(c["points"], 250 + 100 + 100 + 100);
    assert_eq!(c["purchases"], 3);
    assert_eq!(c["lifetime_spend"], 45_000);
    assert_eq!(c["cashback"], 500 + 200 + 200);
    let card = c["progress"].as_array().unwrap().iter().find(|p| p["policy"] == "coffee-card").unwrap();
    assert_eq!(card["text"], "3 more purchases to free coffee");

    // Half of p-1 refunded: half its points and cashback come back, once.
    let (s, r) = api.post("/v1/purchases/p-1/refunds", r#"{"id": "r-1", "amount": 12500}"#).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!((r["points_reversed"].as_i64(), r["cashback_reversed"].as_i64(), r["points"].as_i64()), (Some(125), Some(250), Some(425)));
    let (s, r2) = api.post("/v1/purchases/p-1/refunds", r#"{"id": "r-1", "amount": 12500}"#).await;
    assert_eq!((s, &r2), (StatusCode::OK, &r));
    let (s, v) = api.post("/v1/purchases/p-1/refunds", r#"{"id": "r-2", "amount": 20000}"#).await;
    assert_eq!((s, error_code(&v)), (StatusCode::UNPROCESSABLE_ENTITY, "rejected"), "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("12500"), "{v}");
    let (s, v) = api.post("/v1/purchases/nope/refunds", r#"{"id": "r-3"}"#).await;
    assert_eq!((s, error_code(&v)), (StatusCode::NOT_FOUND, "not_found"));

    // Redemptions: minimum, short balance, success, idempotent.
    let (s, v) = api.post("/v1/customers/anna/redemptions", r#"{"id": "x-1", "points": 10}"#).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("minimum redemption of 50"), "{v}");
    let (s, v) = api.post("/v1/customers/anna/redemptions", r#"{"id": "x-1", "points": 1000}"#).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("has 425 spendable"), "{v}");
    let (s, v) = api.post("/v1/customers/anna/redemptions", r#"{"id": "x-1", "points": 400}"#).await;
    assert_eq!((s, v["balance"].as_i64(), v["value"].as_i64()), (StatusCode::OK, Some(25), Some(400)), "{v}");
    let (s, v2) = api.post("/v1/customers/anna/redemptions", r#"{"id": "x-1", "points": 400}"#).await;
    assert_eq!((s, &v2), (StatusCode::OK, &v));

    // The audit trail: every entry with its policy, module version, purchase and reason.
    let (s, l) = api.get("/v1/customers/anna/ledger").await;
    assert_eq!(s, StatusCode::OK);
    let entries = l["entries"].as_array().unwrap();
    let kinds: Vec<&str> = entries.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "earn").count(), 4, "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| **k == "cashback").count(), 3);
    assert!(kinds.contains(&"reverse") && kinds.contains(&"redeem"));
    let earn = &entries[0];
    assert_eq!((earn["policy"].as_str(), earn["purchase"].as_str()), (Some("points"), Some("p-1")));
    assert!(earn["version"].as_str().unwrap().starts_with("sha256:"));
    assert_eq!(earn["set_version"], first["set_version"]);
    let sum: i64 = entries.iter().map(|e| e["points"].as_i64().unwrap()).sum();
    assert_eq!(sum, 25, "the balance is the sum of the entries");

    let (s, v) = api.get("/v1/customers/nobody").await;
    assert_eq!((s, error_code(&v)), (StatusCode::NOT_FOUND, "not_found"));
}

#[tokio::test]
async fn dry_run_previews_without_recording() {
    let api = Api::new(CAFE);
    let (s, v) = api.post("/v1/purchases?dry_run=true", coffee("p-1", "bob", 10_000)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!((v["dry_run"].as_bool(), v["points"].as_i64()), (Some(true), Some(100)));
    assert_eq!(api.get("/v1/customers/bob").await.0, StatusCode::NOT_FOUND);
    // The real purchase with the same id is not a replay of the preview.
    let (s, v) = api.post("/v1/purchases", coffee("p-1", "bob", 10_000)).await;
    assert_eq!((s, v["points"].as_i64(), v.get("dry_run")), (StatusCode::OK, Some(100), None));
    let (s, v) = api.post("/v1/purchases?dry_run=maybe", coffee("p-2", "bob", 1)).await;
    assert_eq!((s, error_code(&v)), (StatusCode::BAD_REQUEST, "invalid_query"));
}

#[tokio::test]
async fn bad_input_gets_a_precise_error_and_changes_nothing() {
    let api = Api::new(CAFE);
    let (s, _) = api.post("/v1/purchases", coffee("p-0", "anna", 10_000)).await;
    assert_eq!(s, StatusCode::OK);
    let before = api.get("/v1/customers/anna/ledger").await.1;
    let item = |price: &str| format!(r#"{{"id": "p-1", "customer_id": "anna", "items": [{{"sku": "latte", "unit_price": {price}}}]}}"#);
    let cases: Vec<(String, StatusCode, &str, &str)> = vec![
        (r#"{"id": "p-1", "customer_id": "anna", "items": [}"#.into(), StatusCode::BAD_REQUEST, "invalid_json", "line 1 column"),
        ("[1, 2]".into(), StatusCode::BAD_REQUEST, "invalid_json", "must be a JSON object"),
        (r#"{"id": "p-1", "items": []}"#.into(), StatusCode::UNPROCESSABLE_ENTITY, "invalid_request", "missing field `customer_id`"),
        (item("-5"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_request", "`items[0].unit_price`: must not be negative"),
        (item("3.5"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_request", "`items[0].unit_price`"),
        (item("99999999999999999999"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_request", "`items[0].unit_price`"),
        (
            r#"{"id": "p-1", "customer_id": "anna", "items": [{"sku": "a", "unit_price": 9000000000000000000, "quantity": 2}]}"#.into(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            "overflows",
        ),
        (
            r#"{"id": "p-1", "customer_id": "anna", "currency": "USD", "items": [{"sku": "a", "unit_price": 5}]}"#.into(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            "the campaign runs in RUB",
        ),
        (
            r#"{"id": "p-1", "customer_id": "anna", "total": 7, "items": [{"sku": "a", "unit_price": 5}]}"#.into(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            "does not match the items",
        ),
        (
            r#"{"id": "p-1", "customer_id": "anna", "at": "yesterday", "items": []}"#.into(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            "RFC 3339",
        ),
        (
            r#"{"id": "p-1", "customer_id": "anna", "colour": "red", "items": []}"#.into(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            "unknown field `colour`",
        ),
        (format!(r#"{{"id": "{}"}}"#, "x".repeat(70_000)), StatusCode::PAYLOAD_TOO_LARGE, "body_too_large", "65536"),
    ];
    for (body, status, code, needle) in cases {
        let (s, v) = api.post("/v1/purchases", body.clone()).await;
        assert_eq!((s, error_code(&v)), (status, code), "{}: {v}", &body[..body.len().min(80)]);
        let message = v["error"]["message"].as_str().unwrap();
        assert!(message.contains(needle), "{needle:?} not in {message:?}");
    }
    let req = Request::post("/v1/purchases").header("content-type", "text/plain").body(Body::from(coffee("p-1", "anna", 1))).unwrap();
    let (s, v, _) = api.send(req).await;
    assert_eq!((s, error_code(&v)), (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"));
    let (s, v) = api.post("/v1/customers/anna/redemptions", r#"{"id": "x", "points": -5}"#).await;
    assert_eq!((s, error_code(&v)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_request"));
    let (s, v) = api.post("/v1/purchases/p-0/refunds", r#"{"id": "r", "amount": 0}"#).await;
    assert_eq!((s, error_code(&v)), (StatusCode::UNPROCESSABLE_ENTITY, "rejected"));
    let (s, v) = api.get("/v1/nowhere").await;
    assert_eq!((s, error_code(&v)), (StatusCode::NOT_FOUND, "not_found"));
    assert_eq!(api.get("/v1/customers/anna/ledger").await.1, before, "nothing was recorded");
}

#[tokio::test]
async fn a_restart_loses_nothing() {
    let api = Api::new(CAFE);
    for i in 0..3 {
        api.post("/v1/purchases", coffee(&format!("p-{i}"), "anna", 10_000)).await;
    }
    let before = api.get("/v1/customers/anna").await.1;
    let api = api.restart();
    assert_eq!(api.get("/v1/customers/anna").await.1, before);
    // State survives too: the card counts on from 3.
    let (_, v) = api.post("/v1/purchases", coffee("p-3", "anna", 10_000)).await;
    let card = v["progress"].as_array().unwrap().iter().find(|p| p["policy"] == "coffee-card").unwrap().clone();
    assert_eq!(card["current"], 1, "{card}");
    let (_, again) = api.post("/v1/purchases", coffee("p-0", "anna", 10_000)).await;
    assert_eq!(again["points"], 100, "the first purchase's stored answer, replayed");
}

#[tokio::test]
async fn pending_points_become_spendable_and_lots_expire_on_time() {
    let api = Api::new(&format!("{CAFE}\n").replace("[points]\nmin_redemption = 50", "[points]\npending_days = 14\nlifetime_days = 365"));
    let at = |ms: i64| {
        time::OffsetDateTime::from_unix_timestamp(ms / 1000).unwrap().format(&time::format_description::well_known::Rfc3339).unwrap()
    };
    let body = json!({"id": "p-1", "customer_id": "cat", "at": at(T0), "items": [{"sku": "tea", "unit_price": 30_000}]});
    let (_, v) = api.post("/v1/purchases", body.to_string()).await;
    assert_eq!((v["points"].as_i64(), v["pending"].as_i64()), (Some(0), Some(300)), "{v}");
    let (s, e) = api.post("/v1/customers/cat/redemptions", r#"{"id": "x-1", "points": 100}"#).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(e["error"]["message"].as_str().unwrap().contains("300 more are pending"), "{e}");

    api.advance(14 * DAY);
    let (_, c) = api.get("/v1/customers/cat").await;
    assert_eq!((c["points"].as_i64(), c["pending"].as_i64()), (Some(300), Some(0)));
    assert_eq!(c["expiring"], json!([{"points": 300, "expires_at": T0 + 365 * DAY}]));
    api.post("/v1/customers/cat/redemptions", r#"{"id": "x-2", "points": 100}"#).await;

    api.advance(365 * DAY);
    let (_, c) = api.get("/v1/customers/cat").await;
    assert_eq!((c["points"].as_i64(), c["expiring"].clone()), (Some(0), json!([])), "expired lots stop counting at once");
    let ledger = api.engine.ledger();
    let now = api.engine.now();
    assert_eq!(ledger.expire(now).unwrap(), 1);
    assert_eq!(ledger.expire(now).unwrap(), 0, "the sweep is idempotent");
    let (_, l) = api.get("/v1/customers/cat/ledger").await;
    let expired: Vec<&Value> = l["entries"].as_array().unwrap().iter().filter(|e| e["kind"] == "expire").collect();
    assert_eq!(expired.len(), 1);
    assert_eq!(expired[0]["points"], -200);
}

#[tokio::test]
async fn a_refund_never_drives_the_balance_negative() {
    let api = Api::new(CAFE);
    api.post("/v1/purchases", coffee("p-1", "dan", 20_000)).await;
    let (s, _) = api.post("/v1/customers/dan/redemptions", r#"{"id": "x-1", "points": 200}"#).await;
    assert_eq!(s, StatusCode::OK);
    let (s, r) = api.post("/v1/purchases/p-1/refunds", r#"{"id": "r-1"}"#).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!((r["amount"].as_i64(), r["points_reversed"].as_i64(), r["unrecovered_points"].as_i64()), (Some(20_000), Some(0), Some(200)));
    assert_eq!(r["points"], 0);
    let (_, l) = api.get("/v1/customers/dan/ledger").await;
    assert!(l["entries"].as_array().unwrap().iter().any(|e| e["reason"].as_str().unwrap().contains("200 points were already spent")));
    let (s, v) = api.post("/v1/purchases/p-1/refunds", r#"{"id": "r-2"}"#).await;
    assert_eq!((s, error_code(&v)), (StatusCode::UNPROCESSABLE_ENTITY, "rejected"));
    let (_, c) = api.get("/v1/customers/dan").await;
    assert_eq!((c["lifetime_spend"].as_i64(), c["cashback"].as_i64()), (Some(0), Some(0)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_purchases_of_one_customer_all_count() {
    let api = Arc::new(Api::new(CAFE));
    let tasks: Vec<_> = (0..24)
        .map(|i| {
            let api = api.clone();
            tokio::spawn(async move { api.post("/v1/purchases", coffee(&format!("p-{i}"), "eve", 10_000)).await })
        })
        .collect();
    for t in tasks {
        let (s, v) = t.await.unwrap();
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    let (_, c) = api.get("/v1/customers/eve").await;
    assert_eq!(c["purchases"], 24);
    // 24 × 100 points + 8 completed cards × 100: no card counted twice or skipped.
    assert_eq!(c["points"], 2400 + 800, "{c}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn budgets_hold_under_concurrent_requests() {
    let manifest = format!("{CAFE}\n[[policy]]\nid = \"welcome\"\nmodule = \"welcome\"\nbudget = {{ total = 1000, daily = 700 }}\n[policy.config]\nreward = {{ points = 300 }}\n");
    let api = Arc::new(Api::new(&manifest));
    let tasks: Vec<_> = (0..12)
        .map(|i| {
            let api = api.clone();
            tokio::spawn(async move { api.post("/v1/purchases", coffee(&format!("p-{i}"), &format!("c-{i}"), 1_000)).await })
        })
        .collect();
    let mut welcome = 0;
    for t in tasks {
        let (s, v) = t.await.unwrap();
        assert_eq!(s, StatusCode::OK, "{v}");
        welcome +=
            v["applied"].as_array().unwrap().iter().filter(|a| a["policy"] == "welcome").map(|a| a["value"].as_i64().unwrap()).sum::<i64>();
    }
    assert_eq!(welcome, 700, "the daily budget is spent exactly, never more");
    api.advance(DAY);
    let (_, v) = api.post("/v1/purchases", coffee("p-x", "c-x", 1_000)).await;
    let w: Vec<&Value> = v["applied"].as_array().unwrap().iter().filter(|a| a["policy"] == "welcome").collect();
    assert_eq!(w[0]["value"], 300, "a new day");
    let (_, v) = api.post("/v1/purchases", coffee("p-y", "c-y", 1_000)).await;
    assert!(
        v["suppressed"].as_array().unwrap().iter().any(|a| a["why"].as_str().unwrap().contains("budget of `welcome` is used up")),
        "{v}"
    );
}

#[tokio::test]
async fn admin_routes_need_the_key_and_the_docs_and_metrics_are_served() {
    let api = Api::new(CAFE);
    api.post("/v1/purchases", coffee("p-1", "anna", 10_000)).await;
    let (s, v) = api.get("/v1/policies").await;
    assert_eq!((s, error_code(&v)), (StatusCode::UNAUTHORIZED, "unauthorized"));
    let req = Request::get("/v1/policies").header("authorization", "Bearer k3y").body(Body::empty()).unwrap();
    let (s, v, _) = api.send(req).await;
    assert_eq!(s, StatusCode::OK);
    let ids: Vec<&str> = v["policies"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["points", "coffee-card", "cashback"]);
    assert_eq!(v["policies"][0]["stats"]["evaluations"], 1);
    let req = Request::get("/v1/policies").header("x-api-key", "wrong").body(Body::empty()).unwrap();
    assert_eq!(api.send(req).await.0, StatusCode::UNAUTHORIZED);

    let (s, doc) = api.get("/openapi.json").await;
    assert_eq!(s, StatusCode::OK);
    for path in ["/v1/purchases", "/v1/purchases/{id}/refunds", "/v1/events", "/v1/customers/{id}", "/v1/customers/{id}/redemptions"] {
        assert!(doc["paths"].get(path).is_some(), "{path} missing from the OpenAPI document");
    }
    assert!(doc["components"]["schemas"]["PurchaseIn"]["properties"].get("customer_id").is_some());

    let (s, text) = api.get("/metrics").await;
    assert_eq!(s, StatusCode::OK);
    let text = text.as_str().unwrap();
    assert!(text.contains("perk_requests_total") && text.contains("perk_evaluations_total{policy=\"points\"}"), "{text}");
    assert_eq!(api.get("/readyz").await.0, StatusCode::OK);
}

/// The real binary on a loopback port: serve, answer, stop on SIGTERM after draining.
#[test]
fn the_binary_serves_on_loopback_and_stops_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("perk.toml"), CAFE).unwrap();
    let server = serve(dir.path(), &[".", "--data", "data"]);
    let (status, _) = http(&server.addr, "POST", "/v1/purchases", &coffee("p-1", "anna", 10_000));
    assert_eq!(status, 200);
    let (status, v) = http(&server.addr, "GET", "/v1/customers/anna", "");
    assert_eq!((status, v["points"].as_i64()), (200, Some(100)), "{v}");
    let rest = server.stop();
    assert!(rest.contains("stopped"), "{rest}");
    assert!(dir.path().join("data/ledger.sqlite").is_file());
}

/// The README's curl walk-through, run verbatim (only the port differs) against the
/// coffee-shop example, twice: every request is safe to repeat.
#[test]
fn the_readme_walkthrough_works_verbatim() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let start = readme.find("## The API in five requests").expect("README has the walk-through");
    let section = &readme[start..start + readme[start..].find("| route |").unwrap()];
    let script: String = section.split("```sh\n").skip(1).map(|b| b.split("```").next().unwrap()).collect::<Vec<_>>().join("\n");
    assert!(script.matches("curl").count() >= 6, "{script}");

    let data = tempfile::tempdir().unwrap();
    let _guard = cargo_lock();
    let server = serve(&root(), &["examples/coffee-shop", "--data", data.path().to_str().unwrap()]);
    let script = script.replace("localhost:8080", &server.addr);
    let run = || {
        let out = std::process::Command::new("bash").args(["-euo", "pipefail", "-c", &script]).output().unwrap();
        assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
        stdout(&out)
    };
    let first = run();
    assert!(first.contains(r#""points":710"#) && first.contains("idempotent-replayed: true"), "{first}");
    assert!(first.contains(r#""points_reversed":187"#) && first.contains(r#""balance":423"#), "{first}");
    assert_eq!(run(), first, "the walk-through replays to the same answers");
    server.stop();
}

#[tokio::test]
async fn events_earn_with_daily_caps_and_replay_like_purchases() {
    let manifest = format!("{CAFE}\n[[policy]]\nid = \"activity\"\nmodule = \"activity\"\n[policy.config]\npoints = {{ review = 50, sign-up = 200 }}\ndaily_cap = {{ review = 1 }}\nonce = [\"sign-up\"]\n");
    let api = Api::new(&manifest);
    let event = |id: &str, kind: &str| json!({"id": id, "customer_id": "fay", "kind": kind}).to_string();
    let (s, v) = api.post("/v1/events", event("e-1", "sign-up")).await;
    assert_eq!((s, v["points"].as_i64()), (StatusCode::OK, Some(200)), "{v}");
    let (s, again) = api.post("/v1/events", event("e-1", "sign-up")).await;
    assert_eq!((s, &again), (StatusCode::OK, &v), "replayed, not awarded twice");
    let (_, v) = api.post("/v1/events", event("e-2", "sign-up")).await;
    assert_eq!(v["totals"]["points"], 0, "sign-up is rewarded once: {v}");
    let (_, v) = api.post("/v1/events", event("e-3", "review")).await;
    assert_eq!(v["totals"]["points"], 50);
    let (_, v) = api.post("/v1/events", event("e-4", "review")).await;
    assert_eq!(v["totals"]["points"], 0, "one review a day: {v}");
    let (_, c) = api.get("/v1/customers/fay").await;
    assert_eq!((c["points"].as_i64(), c["purchases"].as_i64(), c["lifetime_spend"].as_i64()), (Some(250), Some(0), Some(0)));
    let (s, v) = api.post("/v1/events", r#"{"id": "e-5", "customer_id": "fay"}"#).await;
    assert_eq!((s, error_code(&v)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_request"));
    assert!(v["error"]["message"].as_str().unwrap().contains("kind"), "{v}");
}

/// The in-memory ledger (`perk simulate`) follows the same rules as SQLite: the same
/// script of purchases, replays, refunds, redemptions, budgets, pending points and expiry
/// gets byte-identical answers, accounts and audit trails from both.
#[tokio::test]
async fn the_memory_ledger_answers_exactly_like_sqlite() {
    let manifest = format!("{CAFE}\n[[policy]]\nid = \"welcome\"\nmodule = \"welcome\"\nbudget = {{ total = 500 }}\n[policy.config]\nreward = {{ points = 300 }}\n")
        .replace("[points]\nmin_redemption = 50", "[points]\nmin_redemption = 50\npending_days = 1\nlifetime_days = 30");
    let apis = [Api::new(&manifest), Api::in_memory(&manifest)];
    let mut transcripts = [Vec::new(), Vec::new()];
    for (api, out) in apis.iter().zip(&mut transcripts) {
        let mut note = |v: (StatusCode, Value)| out.push(json!([v.0.as_u16(), v.1]));
        for (i, c) in ["anna", "bob", "anna", "cat", "anna"].iter().enumerate() {
            note(api.post("/v1/purchases", coffee(&format!("p-{i}"), c, 10_000 + i as i64 * 1_000)).await);
        }
        note(api.post("/v1/purchases", coffee("p-0", "anna", 10_000)).await);
        note(api.post("/v1/purchases", coffee("p-0", "anna", 1)).await);
        api.advance(DAY);
        note(api.post("/v1/customers/anna/redemptions", r#"{"id": "x-1", "points": 600}"#).await);
        note(api.post("/v1/customers/anna/redemptions", r#"{"id": "x-2", "points": 9999}"#).await);
        note(api.post("/v1/purchases/p-0/refunds", r#"{"id": "r-1", "amount": 4000}"#).await);
        note(api.post("/v1/purchases/p-0/refunds", r#"{"id": "r-2"}"#).await);
        note(api.post("/v1/purchases/p-4/refunds", r#"{"id": "r-3", "amount": 99999}"#).await);
        api.advance(30 * DAY);
        note((StatusCode::OK, json!(api.engine.ledger().expire(api.engine.now()).unwrap())));
        for c in ["anna", "bob", "cat"] {
            note(api.get(&format!("/v1/customers/{c}")).await);
            note(api.get(&format!("/v1/customers/{c}/ledger")).await);
        }
    }
    let [sqlite, memory] = transcripts;
    for (i, (a, b)) in sqlite.iter().zip(&memory).enumerate() {
        assert_eq!(a, b, "step {i} differs");
    }
    assert_eq!(sqlite.len(), memory.len());
}

/// A referral credits the referrer's own account, in both ledgers.
#[tokio::test]
async fn a_referral_credits_the_referrer() {
    let manifest = format!(
        "{CAFE}\n[[policy]]\nid = \"referral\"\nmodule = \"referral\"\n[policy.config]\ninvitee = {{ points = 200 }}\nreferrer_points = 500\n"
    );
    for api in [Api::new(&manifest), Api::in_memory(&manifest)] {
        let body = json!({"id": "p-1", "customer_id": "noor", "attributes": {"referred_by": "lena"},
            "items": [{"sku": "latte", "category": "coffee", "unit_price": 10_000}]});
        let (s, v) = api.post("/v1/purchases", body.to_string()).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["totals"]["points_for"], json!({"lena": 500}), "{v}");
        assert_eq!(v["points"], 100 + 200, "noor's own points only");
        let (s, lena) = api.get("/v1/customers/lena").await;
        assert_eq!((s, lena["points"].as_i64(), lena["purchases"].as_i64()), (StatusCode::OK, Some(500), Some(0)), "{lena}");
        let (_, l) = api.get("/v1/customers/lena/ledger").await;
        let e = &l["entries"][0];
        assert_eq!(
            (e["kind"].as_str(), e["policy"].as_str(), e["purchase"].as_str()),
            (Some("earn"), Some("referral"), Some("p-1")),
            "{l}"
        );
        // Once: noor's next purchase refers no one.
        let (_, v) = api.post("/v1/purchases", coffee("p-2", "noor", 10_000)).await;
        assert!(v["totals"].get("points_for").is_none(), "{v}");
    }
}

/// Birthdays and segments come from the shop through the profile route; birthday policies
/// then work over HTTP.
#[tokio::test]
async fn a_profile_sets_the_birthday_that_policies_see() {
    let manifest = format!(
        "{CAFE}\n[[policy]]\nid = \"birthday\"\nmodule = \"birthday\"\n[policy.config]\nreward = {{ percent_off = 15 }}\ndays_before = 3\ndays_after = 7\n"
    );
    for api in [Api::new(&manifest), Api::in_memory(&manifest)] {
        let put = |body: &str| {
            Request::put("/v1/customers/gil").header("content-type", "application/json").body(Body::from(body.to_string())).unwrap()
        };
        let (s, v, _) = api.send(put(r#"{"birthday": "13-40"}"#)).await;
        assert_eq!((s, error_code(&v)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_request"));
        assert!(v["error"]["message"].as_str().unwrap().contains("`birthday`"), "{v}");
        let (s, v, _) = api.send(put(r#"{"birthday": "03-04", "segments": ["staff"]}"#)).await;
        assert_eq!((s, v["birthday"].as_str(), v["segments"].clone()), (StatusCode::OK, Some("03-04"), json!(["staff"])), "{v}");
        // 2026-03-02 is two days before the birthday.
        let (_, v) = api.post("/v1/purchases", coffee("p-1", "gil", 10_000)).await;
        let birthday: Vec<&Value> = v["applied"].as_array().unwrap().iter().filter(|a| a["policy"] == "birthday").collect();
        assert_eq!(birthday.len(), 1, "{v}");
        assert_eq!(birthday[0]["value"], 1500);
    }
}
