//! The HTTP service: the JSON API over an [`Engine`] (the active campaign and a
//! [`Ledger`]). [`router`] builds the whole API as an axum `Router`, so tests drive it
//! with `oneshot` and `perk serve` binds it to a socket.
//!
//! Every request that evaluates runs on the blocking pool: snapshot the customer from the
//! ledger, evaluate against the campaign snapshot it started with, commit (or, if the
//! customer moved meanwhile, evaluate again on the fresh snapshot).

mod api;
mod error;
mod metrics;

pub use error::ApiError;

use crate::ledger::Ledger;
use crate::manifest::Budget;
use crate::registry::Campaign;
use arc_swap::ArcSwap;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

/// Request bodies above this are refused with 413.
pub const MAX_BODY: usize = 64 * 1024;

/// One immutable policy set, as requests see it.
pub struct Active {
    pub campaign: Campaign,
    /// Budgets by policy id, from the manifest.
    pub budgets: BTreeMap<String, Budget>,
    /// Unix ms when it went live.
    pub since: i64,
}

impl Active {
    pub fn new(campaign: Campaign) -> Active {
        let budgets = campaign.policies.iter().filter_map(|p| Some((p.spec.id.clone(), p.spec.budget?))).collect();
        Active { campaign, budgets, since: crate::now_ms() }
    }
}

/// Counters per policy, for `GET /v1/policies` (Prometheus has the same as metrics).
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct PolicyStats {
    pub evaluations: u64,
    pub failures: u64,
    pub rewards_applied: u64,
    pub rewards_suppressed: u64,
    pub last_error: Option<String>,
    /// Unix ms of the last error.
    pub last_error_at: Option<i64>,
}

/// Everything a request needs: the live policy set, the ledger, settings.
pub struct Engine {
    active: ArcSwap<Active>,
    ledger: Arc<dyn Ledger>,
    api_key: Option<String>,
    stats: Mutex<HashMap<String, PolicyStats>>,
    clock: Box<dyn Fn() -> i64 + Send + Sync>,
}

impl Engine {
    pub fn new(campaign: Campaign, ledger: Arc<dyn Ledger>) -> Engine {
        Engine {
            active: ArcSwap::from_pointee(Active::new(campaign)),
            ledger,
            api_key: None,
            stats: Mutex::new(HashMap::new()),
            clock: Box::new(crate::now_ms),
        }
    }

    /// Admin routes accept `Authorization: Bearer <key>` or `X-Api-Key: <key>`; without a
    /// key they are disabled.
    pub fn with_api_key(mut self, key: Option<String>) -> Engine {
        self.api_key = key.filter(|k| !k.is_empty());
        self
    }

    /// Replaces the host clock (tests that need expiry or a fixed day).
    pub fn with_clock(mut self, clock: impl Fn() -> i64 + Send + Sync + 'static) -> Engine {
        self.clock = Box::new(clock);
        self
    }

    pub fn now(&self) -> i64 {
        (self.clock)()
    }

    /// The policy set requests start on now.
    pub fn active(&self) -> Arc<Active> {
        self.active.load_full()
    }

    /// Swaps in a new policy set whole; requests already running finish on the old one.
    pub fn publish(&self, campaign: Campaign) {
        self.active.store(Arc::new(Active::new(campaign)));
    }

    pub fn ledger(&self) -> &Arc<dyn Ledger> {
        &self.ledger
    }

    fn record(&self, evaluation: &crate::Evaluation, ran: &[String]) {
        let mut stats = self.stats.lock().unwrap_or_else(|p| p.into_inner());
        for id in ran {
            stats.entry(id.clone()).or_default().evaluations += 1;
        }
        for f in &evaluation.failures {
            let s = stats.entry(f.policy.clone()).or_default();
            s.evaluations += 1;
            s.failures += 1;
            s.last_error = Some(format!("{:?}: {}", f.failure.kind, f.failure.message));
            s.last_error_at = Some(self.now());
        }
        for a in &evaluation.combined.applied {
            stats.entry(a.origin.policy.clone()).or_default().rewards_applied += 1;
        }
        for s in &evaluation.combined.suppressed {
            stats.entry(s.origin.policy.clone()).or_default().rewards_suppressed += 1;
        }
        drop(stats);
        metrics::evaluation(evaluation, ran);
    }

    fn stats(&self, policy: &str) -> PolicyStats {
        self.stats.lock().unwrap_or_else(|p| p.into_inner()).get(policy).cloned().unwrap_or_default()
    }
}

pub use api::router;

/// Runs the expiry sweep every `every` until the process ends.
pub async fn expire_periodically(engine: Arc<Engine>, every: std::time::Duration) {
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        let e = engine.clone();
        match tokio::task::spawn_blocking(move || e.ledger.expire(e.now())).await {
            Ok(Ok(0)) => {}
            Ok(Ok(n)) => tracing::info!(lots = n, "expired points lots"),
            Ok(Err(err)) => tracing::error!("expiry sweep failed: {err}"),
            Err(err) => tracing::error!("expiry sweep panicked: {err}"),
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: draining in-flight requests");
}
