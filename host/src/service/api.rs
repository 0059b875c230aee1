//! Routes and handlers.

use super::{metrics, ApiError, Engine, MAX_BODY};
use crate::combine::{Applied, Suppressed, Totals};
use crate::evaluate::{self, Evaluation, PolicyFailure, ProgressReport, Situation};
use crate::input;
use crate::ledger::{Account, Commit, Record, RedeemRequest, RefundRequest, RequestKind, Stored};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{middleware, Router};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;

/// The whole API over `engine`.
pub fn router(engine: Arc<Engine>) -> Router {
    metrics::handle();
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(prometheus))
        .route("/openapi.json", get(openapi))
        .route("/v1/purchases", post(post_purchase))
        .route("/v1/purchases/{id}/refunds", post(post_refund))
        .route("/v1/events", post(post_event))
        .route("/v1/customers/{id}", get(get_customer).put(put_customer))
        .route("/v1/customers/{id}/ledger", get(get_ledger))
        .route("/v1/customers/{id}/redemptions", post(post_redemption))
        .route("/v1/policies", get(get_policies))
        .route("/v1/versions", get(get_versions))
        .route("/v1/reload", post(post_reload))
        .route("/v1/rollback", post(post_rollback))
        .route_layer(middleware::from_fn(metrics::track))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(engine)
}

/// Runs ledger and sandbox work off the async workers.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, ApiError> + Send + 'static) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| ApiError::internal(format!("the request's task failed: {e}")))?
}

/// A JSON answer from text already rendered (stored answers are replayed byte for byte),
/// newline-terminated for terminals.
fn json_text(status: StatusCode, mut body: String, replayed: bool) -> Response {
    body.push('\n');
    let mut r = (status, [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body).into_response();
    if replayed {
        r.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    r
}

fn json<T: Serialize>(value: &T) -> Response {
    json_text(StatusCode::OK, serde_json::to_string(value).expect("serialises"), false)
}

/// The body as JSON text, its canonical form and its hash; 400/413/415 otherwise.
struct Body {
    canonical: String,
    hash: String,
}

fn body(headers: &HeaderMap, bytes: Result<Bytes, BytesRejection>) -> Result<Body, ApiError> {
    if let Some(ct) = headers.get(header::CONTENT_TYPE) {
        let ct = ct.to_str().unwrap_or_default();
        if !ct.starts_with("application/json") {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                format!("send `Content-Type: application/json`, not `{ct}`"),
            ));
        }
    }
    let bytes = bytes.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large", format!("the body is over the {MAX_BODY}-byte limit"))
        } else {
            ApiError::new(e.status(), "unreadable_body", e.body_text())
        }
    })?;
    let value: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| ApiError::bad_json(format!("the body is not valid JSON: {e}")))?;
    if !value.is_object() {
        return Err(ApiError::bad_json("the body must be a JSON object"));
    }
    // Keys come out sorted, so the same body hashes the same however it was formatted.
    let canonical = value.to_string();
    let hash = crate::runtime::content_hash(canonical.as_bytes());
    Ok(Body { canonical, hash })
}

fn flag(query: &HashMap<String, String>, name: &str) -> Result<bool, ApiError> {
    match query.get(name).map(String::as_str) {
        None | Some("false") | Some("0") => Ok(false),
        Some("true") | Some("1") | Some("") => Ok(true),
        Some(other) => {
            Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", format!("`{name}`: expected `true` or `false`, got `{other}`")))
        }
    }
}

/// The stored answer of a request made again, or 409 when the body differs.
fn replay(stored: Stored, hash: &str, kind: RequestKind, id: &str) -> Result<Response, ApiError> {
    let stored = crate::ledger::same_request(Some(stored), kind, id, hash)?.expect("given one");
    Ok(json_text(StatusCode::OK, stored.response, true))
}

/// A ledger operation's answer: new, or the stored one of the same request.
fn done_or_replay<T: Serialize>(result: Result<T, Stored>, hash: &str, kind: RequestKind, id: &str) -> Result<Response, ApiError> {
    match result {
        Ok(done) => Ok(json(&done)),
        Err(stored) => replay(stored, hash, kind, id),
    }
}

/// What a purchase or event answers: the rewards that apply and those that do not, with
/// reasons, and the customer's standing after it.
#[derive(Serialize, utoipa::ToSchema)]
struct Answer<'a> {
    id: &'a str,
    customer: &'a str,
    currency: &'a str,
    /// The policy set that evaluated it.
    set_version: &'a str,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    dry_run: bool,
    #[schema(value_type = Vec<Object>)]
    applied: &'a [Applied],
    #[schema(value_type = Vec<Object>)]
    suppressed: &'a [Suppressed],
    #[schema(value_type = Object)]
    totals: &'a Totals,
    #[schema(value_type = Vec<Object>)]
    progress: &'a [ProgressReport],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    #[schema(value_type = Vec<Object>)]
    failures: &'a [PolicyFailure],
    /// Spendable points after this purchase.
    points: i64,
    pending: i64,
    tier: Option<&'a str>,
}

impl<'a> Answer<'a> {
    fn new(e: &'a Evaluation, set_version: &'a str, account: &'a Account, dry_run: bool) -> Self {
        Answer {
            id: &e.id,
            customer: &e.customer,
            currency: &e.currency,
            set_version,
            dry_run,
            applied: &e.combined.applied,
            suppressed: &e.combined.suppressed,
            totals: &e.combined.totals,
            progress: &e.progress,
            failures: &e.failures,
            points: account.points,
            pending: account.pending,
            tier: account.tier.as_deref(),
        }
    }
}

/// The input of an evaluating request, already checked.
enum Subject {
    Purchase(perk_sdk::Purchase),
    Event(perk_sdk::Event),
}

/// Evaluate and commit, again on a fresh snapshot while the customer or a budget moves.
fn evaluate_and_commit(engine: &Engine, subject: Subject, hash: &str, dry_run: bool) -> Result<Response, ApiError> {
    let active = engine.active();
    let campaign = &active.campaign;
    let (kind, id, customer, at, goods) = match &subject {
        Subject::Purchase(p) => (RequestKind::Purchase, p.id.as_str(), p.customer_id.as_str(), p.at, p.total),
        Subject::Event(e) => (RequestKind::Event, e.id.as_str(), e.customer_id.as_str(), e.at, 0),
    };
    let ledger = engine.ledger();
    if !dry_run {
        if let Some(stored) = ledger.stored(kind, id)? {
            return replay(stored, hash, kind, id);
        }
    }
    const ATTEMPTS: usize = 8;
    for _ in 0..ATTEMPTS {
        let now = engine.now();
        let snapshot = ledger.snapshot(customer, now)?;
        let budget_left = ledger.budget_left(&active.budgets, now)?;
        let sit = Situation { budget_left: Some(&budget_left), ..Situation::new(now, &snapshot.customer, &snapshot.states) };
        let evaluation = match &subject {
            Subject::Purchase(p) => evaluate::purchase(campaign, p, sit),
            Subject::Event(e) => evaluate::event(campaign, e, sit),
        };
        let ran = evaluation.ran(campaign);
        if dry_run {
            let rules = &campaign.manifest.points;
            let mut account = Account {
                customer: customer.to_string(),
                points: snapshot.customer.points,
                tier: evaluation.combined.totals.tier.clone().or(snapshot.customer.tier.clone()),
                ..Default::default()
            };
            let earned = evaluation.combined.totals.points;
            if rules.available_at(at) <= now {
                account.points += earned;
            } else {
                account.pending += earned;
            }
            let body = serde_json::to_string(&Answer::new(&evaluation, &campaign.version, &account, true)).expect("serialises");
            return Ok(json_text(StatusCode::OK, body, false));
        }
        let record = Record {
            kind,
            id,
            customer,
            hash,
            at,
            now,
            set_version: &campaign.version,
            revision: snapshot.revision,
            budgets: &active.budgets,
            points: &campaign.manifest.points,
            goods,
            evaluation: &evaluation,
            ran: &ran,
        };
        let respond =
            |account: &Account| serde_json::to_string(&Answer::new(&evaluation, &campaign.version, account, false)).expect("serialises");
        match ledger.commit(&record, &respond)? {
            Commit::Done(body) => {
                engine.record(&evaluation, &ran);
                return Ok(json_text(StatusCode::OK, body, false));
            }
            Commit::Replayed(body) => return Ok(json_text(StatusCode::OK, body, true)),
            Commit::Stale => continue,
        }
    }
    Err(ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "contended",
        format!("customer `{customer}` changed {ATTEMPTS} times while this request was evaluated; retry it"),
    ))
}

/// Evaluate a purchase against every active policy and record the rewards.
#[utoipa::path(post, path = "/v1/purchases", request_body = input::PurchaseIn,
    params(("dry_run" = Option<bool>, Query, description = "evaluate without recording (checkout preview)")),
    responses((status = 200, body = Answer), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn post_purchase(
    State(engine): State<Arc<Engine>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    bytes: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let dry_run = flag(&query, "dry_run")?;
    let body = body(&headers, bytes)?;
    blocking(move || {
        let currency = engine.active().campaign.manifest.campaign.currency.clone();
        let purchase = input::purchase(&body.canonical, &currency, engine.now())?;
        evaluate_and_commit(&engine, Subject::Purchase(purchase), &body.hash, dry_run)
    })
    .await
}

/// Evaluate an activity event (review, referral, quiz, sign-up, ...) and record the rewards.
#[utoipa::path(post, path = "/v1/events", request_body = input::EventIn,
    responses((status = 200, body = Answer), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn post_event(
    State(engine): State<Arc<Engine>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    bytes: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let dry_run = flag(&query, "dry_run")?;
    let body = body(&headers, bytes)?;
    blocking(move || {
        let event = input::event(&body.canonical, engine.now())?;
        evaluate_and_commit(&engine, Subject::Event(event), &body.hash, dry_run)
    })
    .await
}

fn id_field(id: &str, field: &str) -> Result<(), ApiError> {
    if id.trim().is_empty() {
        return Err(ApiError::invalid(format!("`{field}`: must not be empty")));
    }
    if id.len() > 200 {
        return Err(ApiError::invalid(format!("`{field}`: at most 200 characters")));
    }
    Ok(())
}

/// A refund of a purchase, in full or in part.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct RefundIn {
    /// The refund's id; the same id and body again change nothing.
    id: String,
    /// Minor units; default: everything not refunded yet.
    amount: Option<i64>,
}

/// Refund a purchase; its rewards are reversed in proportion.
#[utoipa::path(post, path = "/v1/purchases/{id}/refunds", request_body = RefundIn, params(("id" = String, Path)),
    responses((status = 200, body = crate::ledger::Refunded), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn post_refund(
    State(engine): State<Arc<Engine>>,
    Path(purchase): Path<String>,
    headers: HeaderMap,
    bytes: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body(&headers, bytes)?;
    blocking(move || {
        let r: RefundIn = input::parse(&body.canonical)?;
        id_field(&r.id, "id")?;
        let version = engine.active().campaign.version.clone();
        let q =
            RefundRequest { id: &r.id, purchase: &purchase, amount: r.amount, hash: &body.hash, now: engine.now(), set_version: &version };
        done_or_replay(engine.ledger().refund(&q)?, &body.hash, RequestKind::Refund, &r.id)
    })
    .await
}

/// Points to spend, oldest-expiring first.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct RedemptionIn {
    id: String,
    points: i64,
    #[serde(default)]
    reason: Option<String>,
}

/// Spend points.
#[utoipa::path(post, path = "/v1/customers/{id}/redemptions", request_body = RedemptionIn, params(("id" = String, Path)),
    responses((status = 200, body = crate::ledger::Redeemed), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn post_redemption(
    State(engine): State<Arc<Engine>>,
    Path(customer): Path<String>,
    headers: HeaderMap,
    bytes: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body(&headers, bytes)?;
    blocking(move || {
        let r: RedemptionIn = input::parse(&body.canonical)?;
        id_field(&r.id, "id")?;
        if r.points <= 0 {
            return Err(ApiError::invalid(format!("`points`: must be positive, got {}", r.points)));
        }
        let active = engine.active();
        let m = &active.campaign.manifest;
        let reason = r.reason.unwrap_or_else(|| format!("redemption `{}`", r.id));
        let q = RedeemRequest {
            id: &r.id,
            customer: &customer,
            points: r.points,
            hash: &body.hash,
            now: engine.now(),
            point_value: m.campaign.point_value,
            rules: &m.points,
            reason: &reason,
        };
        done_or_replay(engine.ledger().redeem(&q)?, &body.hash, RequestKind::Redemption, &r.id)
    })
    .await
}

/// A customer's balance, tier, spend and progress.
#[utoipa::path(get, path = "/v1/customers/{id}", params(("id" = String, Path)),
    responses((status = 200, body = crate::ledger::Account), (status = 404, body = ErrorBody)))]
async fn get_customer(State(engine): State<Arc<Engine>>, Path(id): Path<String>) -> Result<Response, ApiError> {
    blocking(move || match engine.ledger().account(&id, engine.now())? {
        Some(account) => Ok(json(&account)),
        None => Err(ApiError::not_found(format!("no customer `{id}`: they have made no purchase or event yet"))),
    })
    .await
}

/// Set a customer's birthday and segments (a new customer is created).
#[utoipa::path(put, path = "/v1/customers/{id}", request_body = input::Profile, params(("id" = String, Path)),
    responses((status = 200, body = crate::ledger::Account), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn put_customer(
    State(engine): State<Arc<Engine>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    bytes: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body(&headers, bytes)?;
    blocking(move || {
        id_field(&id, "id")?;
        let profile = input::profile(&body.canonical)?;
        let ledger = engine.ledger();
        ledger.set_profile(&id, &profile)?;
        let account = ledger.account(&id, engine.now())?.expect("the profile created the customer");
        Ok(json(&account))
    })
    .await
}

/// A customer's audit trail, oldest first.
#[utoipa::path(get, path = "/v1/customers/{id}/ledger",
    params(("id" = String, Path), ("after" = Option<i64>, Query), ("limit" = Option<u32>, Query)),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody)))]
async fn get_ledger(
    State(engine): State<Arc<Engine>>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let number = |name: &str, default: i64, max: i64| -> Result<i64, ApiError> {
        match query.get(name) {
            None => Ok(default),
            Some(v) => v.parse::<i64>().ok().filter(|n| (0..=max).contains(n)).ok_or_else(|| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_query",
                    format!("`{name}`: expected a whole number from 0 to {max}, got `{v}`"),
                )
            }),
        }
    };
    let after = number("after", 0, i64::MAX)?;
    let limit = number("limit", 100, 1000)? as u32;
    blocking(move || {
        let ledger = engine.ledger();
        if ledger.account(&id, engine.now())?.is_none() {
            return Err(ApiError::not_found(format!("no customer `{id}`")));
        }
        let entries = ledger.entries(&id, after, limit)?;
        let next = (entries.len() == limit as usize).then(|| entries.last().map(|e| e.seq)).flatten();
        Ok(json(&serde_json::json!({ "customer": id, "entries": entries, "next_after": next })))
    })
    .await
}

fn admin(engine: &Engine, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(key) = engine.api_key.as_deref() else {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "admin_disabled",
            "admin routes are disabled: start the server with --api-key or PERK_API_KEY",
        ));
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .or_else(|| headers.get("x-api-key").and_then(|v| v.to_str().ok()));
    // Constant-time comparison: the key must not leak through response timing.
    let ok = given.is_some_and(|g| g.len() == key.len() && g.bytes().zip(key.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0);
    if ok {
        Ok(())
    } else {
        Err(ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "this admin route needs `Authorization: Bearer <api key>`"))
    }
}

/// The active policies with version, status, last error and counters (admin).
#[utoipa::path(get, path = "/v1/policies", responses((status = 200, body = Object), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn get_policies(State(engine): State<Arc<Engine>>, headers: HeaderMap) -> Result<Response, ApiError> {
    admin(&engine, &headers)?;
    let active = engine.active();
    let now = engine.now();
    let policies: Vec<_> = active
        .campaign
        .policies
        .iter()
        .map(|p| {
            let d = p.module.describe();
            let status = match (p.spec.starts, p.spec.ends) {
                (Some(s), _) if now < s => "scheduled",
                (_, Some(e)) if now >= e => "ended",
                _ => "active",
            };
            serde_json::json!({
                "id": p.spec.id,
                "module": p.spec.module.to_string(),
                "name": d.name,
                "module_version": d.version,
                "version": p.module.hash(),
                "isolation": format!("{:?}", p.spec.isolation).to_lowercase(),
                "group": p.spec.group,
                "priority": p.spec.priority,
                "status": status,
                "budget": p.spec.budget.map(|b| serde_json::json!({ "total": b.total, "daily": b.daily })),
                "stats": engine.stats(&p.spec.id),
            })
        })
        .collect();
    Ok(json(&serde_json::json!({
        "campaign": active.campaign.manifest.campaign.name,
        "set_version": active.campaign.version,
        "since": active.since,
        "policies": policies,
        "reload": engine.reload_status(),
    })))
}

/// Recent policy sets, newest first (admin).
#[utoipa::path(get, path = "/v1/versions", responses((status = 200, body = Object), (status = 401, body = ErrorBody)))]
async fn get_versions(State(engine): State<Arc<Engine>>, headers: HeaderMap) -> Result<Response, ApiError> {
    admin(&engine, &headers)?;
    let current = engine.active().campaign.version.clone();
    let versions: Vec<_> = engine
        .versions()
        .iter()
        .map(|a| {
            let policies: serde_json::Map<String, serde_json::Value> =
                a.campaign.policies.iter().map(|p| (p.spec.id.clone(), p.module.hash().into())).collect();
            serde_json::json!({
                "version": a.campaign.version,
                "since": a.since,
                "current": a.campaign.version == current,
                "manifest": a.campaign.manifest.digest,
                "policies": policies,
            })
        })
        .collect();
    Ok(json(&serde_json::json!({ "current": current, "versions": versions, "reload": engine.reload_status() })))
}

/// Reload the policy set from its files now, for deployments without file events (admin).
#[utoipa::path(post, path = "/v1/reload",
    responses((status = 200, body = Object), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn post_reload(State(engine): State<Arc<Engine>>, headers: HeaderMap) -> Result<Response, ApiError> {
    admin(&engine, &headers)?;
    blocking(move || match engine.reload() {
        Ok(r) => Ok(json(&r)),
        Err(message) => Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "reload_failed", message)),
    })
    .await
}

/// `{"version": "set-…"}`
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct RollbackIn {
    version: String,
}

/// Serve an earlier policy set again (admin).
#[utoipa::path(post, path = "/v1/rollback", request_body = RollbackIn,
    responses((status = 200, body = Object), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn post_rollback(
    State(engine): State<Arc<Engine>>,
    headers: HeaderMap,
    bytes: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    admin(&engine, &headers)?;
    let body = body(&headers, bytes)?;
    let r: RollbackIn = input::parse(&body.canonical)?;
    blocking(move || engine.rollback(&r.version).map(|r| json(&r)).map_err(ApiError::not_found)).await
}

#[utoipa::path(get, path = "/healthz", responses((status = 200, body = Object)))]
async fn healthz() -> Response {
    json(&serde_json::json!({ "status": "ok" }))
}

#[utoipa::path(get, path = "/readyz", responses((status = 200, body = Object), (status = 503, body = ErrorBody)))]
async fn readyz(State(engine): State<Arc<Engine>>) -> Result<Response, ApiError> {
    blocking(move || {
        engine
            .ledger()
            .stored(RequestKind::Purchase, "")
            .map_err(|e| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "not_ready", format!("the ledger does not answer: {e}")))?;
        let active = engine.active();
        Ok(json(
            &serde_json::json!({ "status": "ready", "set_version": active.campaign.version, "policies": active.campaign.policies.len() }),
        ))
    })
    .await
}

async fn prometheus() -> Response {
    let text = metrics::handle().map(|h| h.render()).unwrap_or_default();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}

async fn openapi() -> Response {
    use utoipa::OpenApi as _;
    json(&Doc::openapi())
}

/// `{"error": {"code": "...", "message": "..."}}`
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct ErrorBody {
    #[schema(value_type = Object, example = json!({"code": "invalid_request", "message": "`items[0].quantity`: must be at least 1"}))]
    error: (),
}

#[derive(utoipa::OpenApi)]
#[openapi(
    info(title = "Perk", description = "Loyalty campaigns from sandboxed reward policies. Money is integer minor units."),
    paths(
        post_purchase,
        post_refund,
        post_event,
        get_customer,
        put_customer,
        get_ledger,
        post_redemption,
        get_policies,
        get_versions,
        post_reload,
        post_rollback,
        healthz,
        readyz
    ),
    components(schemas(
        input::PurchaseIn,
        input::ItemIn,
        input::EventIn,
        input::Profile,
        RefundIn,
        RedemptionIn,
        RollbackIn,
        Answer,
        ErrorBody,
        crate::ledger::Account,
        crate::ledger::Lot,
        crate::ledger::Entry,
        crate::ledger::Refunded,
        crate::ledger::Redeemed
    ))
)]
struct Doc;

async fn not_found() -> ApiError {
    ApiError::not_found("no such route; see GET /openapi.json")
}
