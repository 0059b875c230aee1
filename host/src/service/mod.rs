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
mod watch;

pub use error::ApiError;
pub use watch::{watch, Watcher};

use crate::ledger::Ledger;
use crate::manifest::Budget;
use crate::registry::{BuildOptions, Campaign};
use crate::runtime::Runtime;
use arc_swap::ArcSwap;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::PathBuf;
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

/// Where the policy set comes from, for reloads.
pub struct Source {
    /// The manifest file.
    pub manifest: PathBuf,
    pub runtime: Runtime,
    pub build: BuildOptions,
}

/// The last reload attempt that failed, shown until a reload succeeds.
#[derive(Clone, Debug, Serialize)]
pub struct ReloadError {
    /// Unix ms.
    pub at: i64,
    /// Every problem, each `file:line:column: key: message`.
    pub message: String,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct ReloadStatus {
    pub reloads: u64,
    pub last_reload_at: Option<i64>,
    pub last_error: Option<ReloadError>,
}

/// What a reload did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Reloaded {
    pub from: String,
    pub to: String,
    /// `false` when the candidate set is the one already serving.
    pub changed: bool,
}

/// Recent policy sets kept for `GET /v1/versions` and rollback.
const HISTORY: usize = 16;

/// Everything a request needs: the live policy set, the ledger, settings.
pub struct Engine {
    active: ArcSwap<Active>,
    ledger: Arc<dyn Ledger>,
    api_key: Option<String>,
    stats: Mutex<HashMap<String, PolicyStats>>,
    clock: Box<dyn Fn() -> i64 + Send + Sync>,
    source: Option<Source>,
    /// Serialises reloads and rollbacks.
    reloading: Mutex<()>,
    /// Recent sets, newest first.
    history: Mutex<VecDeque<Arc<Active>>>,
    reload_status: Mutex<ReloadStatus>,
}

impl Engine {
    pub fn new(campaign: Campaign, ledger: Arc<dyn Ledger>) -> Engine {
        let active = Arc::new(Active::new(campaign));
        Engine {
            active: ArcSwap::new(active.clone()),
            ledger,
            api_key: None,
            stats: Mutex::new(HashMap::new()),
            clock: Box::new(crate::now_ms),
            source: None,
            reloading: Mutex::new(()),
            history: Mutex::new(VecDeque::from([active])),
            reload_status: Mutex::default(),
        }
    }

    /// Lets the engine reload its policy set from `source` (`POST /v1/reload`, the watcher).
    pub fn with_source(mut self, source: Source) -> Engine {
        self.source = Some(source);
        self
    }

    pub fn source(&self) -> Option<&Source> {
        self.source.as_ref()
    }

    /// Loads and checks the policy set from the source again (manifest, every module,
    /// `describe`, configs, purity probes) and, if it loads and differs, swaps it in
    /// whole. A set that fails keeps the current one serving; the error is kept in
    /// [`Engine::reload_status`] until a reload succeeds.
    pub fn reload(&self) -> Result<Reloaded, String> {
        let Some(source) = &self.source else {
            return Err("this server was not started from a manifest file; nothing to reload".into());
        };
        let _serial = self.reloading.lock().unwrap_or_else(|p| p.into_inner());
        let from = self.active().campaign.version.clone();
        let result = Campaign::load(&source.manifest, &source.runtime, &source.build);
        let mut status = self.reload_status.lock().unwrap_or_else(|p| p.into_inner());
        match result {
            Ok(campaign) => {
                let to = campaign.version.clone();
                status.last_error = None;
                if to == from {
                    return Ok(Reloaded { from, to, changed: false });
                }
                status.reloads += 1;
                status.last_reload_at = Some(self.now());
                drop(status);
                self.swap(Arc::new(Active::new(campaign)));
                tracing::info!(%from, %to, "policy set reloaded");
                Ok(Reloaded { from, to, changed: true })
            }
            Err(e) => {
                let message = e.to_string();
                tracing::error!("reload refused, still serving {from}:\n{message}");
                status.last_error = Some(ReloadError { at: self.now(), message: message.clone() });
                Err(message)
            }
        }
    }

    /// Serves an earlier policy set again (one of [`Engine::versions`]).
    pub fn rollback(&self, version: &str) -> Result<Reloaded, String> {
        let _serial = self.reloading.lock().unwrap_or_else(|p| p.into_inner());
        let from = self.active().campaign.version.clone();
        let history = self.versions();
        let Some(old) = history.iter().find(|a| a.campaign.version == version).cloned() else {
            let known: Vec<&str> = history.iter().map(|a| a.campaign.version.as_str()).collect();
            return Err(format!("no recent policy set `{version}`; known: {}", known.join(", ")));
        };
        let again = Active { campaign: old.campaign.clone(), budgets: old.budgets.clone(), since: self.now() };
        self.swap(Arc::new(again));
        tracing::info!(%from, to = version, "rolled back");
        let changed = from != version;
        Ok(Reloaded { from, to: version.to_string(), changed })
    }

    fn swap(&self, next: Arc<Active>) {
        let mut history = self.history.lock().unwrap_or_else(|p| p.into_inner());
        history.retain(|a| a.campaign.version != next.campaign.version);
        history.push_front(next.clone());
        history.truncate(HISTORY);
        self.active.store(next);
    }

    /// Recent policy sets, newest first.
    pub fn versions(&self) -> Vec<Arc<Active>> {
        self.history.lock().unwrap_or_else(|p| p.into_inner()).iter().cloned().collect()
    }

    pub fn reload_status(&self) -> ReloadStatus {
        self.reload_status.lock().unwrap_or_else(|p| p.into_inner()).clone()
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
        self.swap(Arc::new(Active::new(campaign)));
    }

    pub fn ledger(&self) -> &Arc<dyn Ledger> {
        &self.ledger
    }

    fn record(&self, evaluation: &crate::Evaluation, ran: &[&str]) {
        let mut stats = self.stats.lock().unwrap_or_else(|p| p.into_inner());
        for id in ran {
            stats.entry(id.to_string()).or_default().evaluations += 1;
        }
        for f in &evaluation.failures {
            let s = stats.entry(f.policy.clone()).or_default();
            s.evaluations += 1;
            s.failures += 1;
            s.last_error = Some(format!("{:?}: {}", f.failure.kind, f.failure.message));
            s.last_error_at = Some(self.now());
        }
        for a in &evaluation.combined.applied {
            stats.entry(a.origin.policy.to_string()).or_default().rewards_applied += 1;
        }
        for s in &evaluation.combined.suppressed {
            stats.entry(s.origin.policy.to_string()).or_default().rewards_suppressed += 1;
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
