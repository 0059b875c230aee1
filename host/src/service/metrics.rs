//! Prometheus metrics: requests and latency per route, evaluations, failures and reward
//! totals per policy. One process-wide recorder, rendered by `GET /metrics`.

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Instant;

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// The process's recorder, installed on first use. `None` if another recorder was
/// installed first (an embedding application's); metrics then go there.
pub fn handle() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("perk_request_duration_seconds".into()),
                    &[0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0],
                )
                .expect("bucket list is not empty")
                .build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok().map(|_| handle)
        })
        .as_ref()
}

/// Middleware: counts every request and times it, by route pattern and status.
pub async fn track(req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let method = req.method().to_string();
    let start = Instant::now();
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("perk_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status).increment(1);
    metrics::histogram!("perk_request_duration_seconds", "method" => method, "route" => route).record(start.elapsed().as_secs_f64());
    response
}

pub fn evaluation(e: &crate::Evaluation, ran: &[&str]) {
    for id in ran {
        metrics::counter!("perk_evaluations_total", "policy" => id.to_string()).increment(1);
    }
    for f in &e.failures {
        metrics::counter!("perk_evaluations_total", "policy" => f.policy.clone()).increment(1);
        metrics::counter!("perk_policy_failures_total", "policy" => f.policy.clone(), "kind" => format!("{:?}", f.failure.kind).to_lowercase())
            .increment(1);
    }
    for a in &e.combined.applied {
        if let perk_sdk::Reward::Points { amount } = a.reward {
            metrics::counter!("perk_reward_points_total", "policy" => a.origin.policy.clone()).increment(amount.max(0) as u64);
        }
        metrics::counter!("perk_reward_value_total", "policy" => a.origin.policy.clone()).increment(a.value.max(0) as u64);
    }
}
