//! The sandbox: one shared wasmtime `Engine`, policy components compiled once (and cached
//! on disk), calls on warm pooled instances or on a fresh instance each ([`Isolation`]),
//! always under a CPU-time limit and a memory cap.
//!
//! Everything wasmtime-specific lives under this module; the rest of the host sees
//! [`Runtime`], [`PolicyModule`] and [`Failure`].

mod bindings;
mod cache;
mod call;
mod clock;
mod direct;
mod module;

pub use call::{Failure, FailureKind, LogLine};
pub use module::Case;
pub use module::{BoundPolicy, Describe, Evaluated, Input, LoadError, PolicyModule};

use anyhow::Result;
use std::path::PathBuf;
use std::sync::Arc;
use wasmtime::{Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

/// Per-call sandbox limits. Defaults follow what commerce platforms grant their functions
/// (Shopify Functions: 11M instructions, 10 MB memory, 256 KB modules, 128 KB input).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// CPU time one call may use, milliseconds; past it = timeout. The calling thread's CPU
    /// clock, not the wall clock: a call that waits for a core on a loaded machine is not
    /// charged for the wait, so legitimate calls (microseconds) never come near it.
    pub cpu_ms: u64,
    /// Linear memory per instance, bytes.
    pub memory: usize,
    /// Component size accepted at load, bytes.
    pub module_size: usize,
    /// Encoded size of the inputs of one call (purchase, customer, context), bytes.
    pub input_size: usize,
    /// Rewards one policy may return per call.
    pub max_rewards: usize,
    /// Bytes of reasons, names and codes in one outcome.
    pub output_text: usize,
    /// Per-customer state a policy may keep, bytes.
    pub state_size: usize,
    /// Log lines kept per call (the rest are counted, not kept).
    pub log_lines: usize,
    /// Calls a warm instance serves before it is replaced by a fresh one.
    pub recycle_after: u32,
}

/// How a policy's calls are isolated from each other.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Isolation {
    /// Warm instances reused across calls (the default). The SDK rewinds the guest heap
    /// after every call and the host checks at load that a used instance answers as a
    /// fresh one; an instance is replaced after a trap and after `recycle_after` calls.
    Pooled,
    /// A new instance for every call: the strict mode, for code you do not trust to keep
    /// the rules. The reference semantics the pooled mode is checked against.
    Fresh,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            cpu_ms: 50,
            memory: 16 << 20,
            module_size: 2 << 20,
            input_size: 128 << 10,
            max_rewards: 64,
            output_text: 16 << 10,
            state_size: 64 << 10,
            log_lines: 32,
            recycle_after: 10_000,
        }
    }
}

/// How much of a policy's answer the host keeps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Detail {
    /// All of it: the service and `perk eval` show every reason and progress report.
    #[default]
    Full,
    /// The rewards and the state, without the reasons' text and the progress reports: a
    /// replay shows neither. The input tells the guest, so SDK policies skip the reasons
    /// they defer with `reason!` and their progress; what text a guest still sends is read
    /// and checked against the contract and the limits as ever, then left out.
    Totals,
}

/// The engines and their settings, shared by every module they load.
#[derive(Clone)]
pub struct Runtime {
    inner: Arc<Inner>,
}

struct Inner {
    limits: Limits,
    cache_dir: Option<PathBuf>,
    /// Warm instances: guard pages, no explicit bounds checks.
    pooled: Sandbox,
    /// A new instance per call: small reservations that are cheap to set up. Made when a
    /// policy first asks for it.
    fresh: std::sync::OnceLock<Result<Sandbox, String>>,
    /// Runtimes with other limits made from this one, reused across reloads.
    derived: std::sync::Mutex<Vec<Runtime>>,
}

/// One engine with its linker, its compiled components and its disk cache.
pub(crate) struct Sandbox {
    pub engine: Engine,
    pub linker: wasmtime::component::Linker<call::GuestState>,
    pub cache: Option<cache::Cache>,
    /// Whether warm instances call core modules directly where a component allows it
    /// (`direct.rs`): on the pooled engine; a fresh instance is always the component's.
    pub direct: bool,
    /// Compiled components by content hash, so reloading an unchanged module is free.
    compiled: std::sync::Mutex<std::collections::HashMap<String, module::Compiled>>,
}

/// Compiled components kept in memory per engine; beyond this the map starts over.
const MAX_COMPILED: usize = 256;

/// Instances that may be alive at once per engine (evaluations in flight × policies).
const POOL_INSTANCES: u32 = 256;

impl Runtime {
    /// A runtime caching compiled code in `cache_dir` (`None`: compile in memory only).
    pub fn new(limits: Limits, cache_dir: Option<PathBuf>) -> Result<Self> {
        let pooled = Sandbox::new(Self::pooled_config(&limits), cache_dir.clone(), true)?;
        Ok(Runtime { inner: Arc::new(Inner { limits, cache_dir, pooled, fresh: std::sync::OnceLock::new(), derived: Default::default() }) })
    }

    /// A runtime like this one with other limits (a manifest's `[limits]`); the same one
    /// each time for the same limits.
    pub fn with_limits(&self, limits: Limits) -> Result<Self> {
        if limits == self.inner.limits {
            return Ok(self.clone());
        }
        let mut derived = self.inner.derived.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(r) = derived.iter().find(|r| r.inner.limits == limits) {
            return Ok(r.clone());
        }
        let r = Runtime::new(limits, self.inner.cache_dir.clone())?;
        derived.push(r.clone());
        Ok(r)
    }

    pub(crate) fn sandbox(&self, isolation: Isolation) -> Result<&Sandbox, String> {
        match isolation {
            Isolation::Pooled => Ok(&self.inner.pooled),
            Isolation::Fresh => self
                .inner
                .fresh
                .get_or_init(|| {
                    Sandbox::new(Self::fresh_config(&self.inner.limits), self.inner.cache_dir.clone(), false)
                        .map_err(|e| format!("cannot set up the fresh-instance engine: {e:#}"))
                })
                .as_ref()
                .map_err(Clone::clone),
        }
    }

    fn pool(limits: &Limits) -> PoolingAllocationConfig {
        let mut pool = PoolingAllocationConfig::default();
        pool.total_component_instances(POOL_INSTANCES)
            .total_core_instances(POOL_INSTANCES * 4)
            .total_memories(POOL_INSTANCES)
            .total_tables(POOL_INSTANCES * 2)
            .max_memory_size(limits.memory)
            .table_keep_resident(64 << 10)
            .linear_memory_keep_resident(1 << 20)
            // Reset only the pages an instance wrote (Linux ≥ 6.7's PAGEMAP_SCAN), not every
            // resident byte: a fresh evaluation spent a third of its time in `memset`
            // zeroing memory the guest never touched (14.4 → 10.0 µs; PERFORMANCE.md).
            // Elsewhere wasmtime falls back to the plain reset.
            .pagemap_scan(Enabled::Auto);
        pool
    }

    fn base_config(limits: &Limits) -> Config {
        let mut cfg = Config::new();
        cfg.allocation_strategy(InstanceAllocationStrategy::Pooling(Self::pool(limits))).epoch_interruption(true);
        // `PERK_PROFILER=perfmap` writes /tmp/perf-<pid>.map, so `perf report` names the
        // guests' functions (see PERFORMANCE.md).
        if std::env::var("PERK_PROFILER").is_ok_and(|v| v == "perfmap") {
            cfg.profiler(wasmtime::ProfilingStrategy::PerfMap);
        }
        cfg
    }

    /// Warm instances: wasmtime's default memory layout (a 4 GiB reservation with guard
    /// pages), so compiled code needs no bounds check per memory access.
    fn pooled_config(limits: &Limits) -> Config {
        Self::base_config(limits)
    }

    /// Fresh instances: a reservation the size of the memory limit, no guard region and
    /// explicit bounds checks, which made a new instance cheapest on our machines (its
    /// cost is first-touch page faults, hence memory kept resident between instances).
    fn fresh_config(limits: &Limits) -> Config {
        let mut cfg = Self::base_config(limits);
        cfg.memory_reservation(limits.memory as u64).memory_guard_size(0).memory_reservation_for_growth(0).signals_based_traps(false);
        cfg
    }

    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }
}

impl Sandbox {
    fn new(cfg: Config, cache_dir: Option<PathBuf>, direct: bool) -> Result<Self> {
        let engine = Engine::new(&cfg)?;
        clock::watch(&engine);
        let linker = bindings::linker(&engine)?;
        let cache = cache_dir.map(|dir| cache::Cache::new(dir, &engine));
        Ok(Sandbox { engine, linker, cache, direct, compiled: Default::default() })
    }

    pub(crate) fn compiled(&self, hash: &str) -> Option<module::Compiled> {
        self.compiled.lock().unwrap_or_else(|p| p.into_inner()).get(hash).cloned()
    }

    pub(crate) fn remember_compiled(&self, hash: &str, compiled: &module::Compiled) {
        let mut map = self.compiled.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_COMPILED {
            map.clear();
        }
        map.insert(hash.to_string(), compiled.clone());
    }
}

/// `sha256:<hex>` of a module's bytes: its version everywhere (ledger, reports, cache).
pub fn content_hash(bytes: &[u8]) -> String {
    use sha2::Digest;
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(bytes)))
}
