//! Loading a policy: bytes → checked, compiled (or cached) component → ready to instantiate.

use super::call::{self, Failure, FailureKind, Instance, LogLine};
use super::direct;
use super::{content_hash, Detail, Isolation, Runtime};
use perk_sdk::{Customer, Event, LineItem, Outcome, Purchase};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::sync::{Arc, Mutex};
use wasmtime::component::Component;

/// Why a module was refused at load.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("module is {size} bytes; the limit is {limit} bytes")]
    TooLarge { size: usize, limit: usize },
    #[error("not a WebAssembly component or module: {0}")]
    NotWasm(String),
    #[error(
        "imports {}, but a Perk policy may import only `log` (no WASI, no host access); \
         build it with `perk build` (target wasm32-unknown-unknown, perk-sdk)",
        .0.iter().map(|i| format!("`{i}`")).collect::<Vec<_>>().join(", ")
    )]
    ForbiddenImports(Vec<String>),
    #[error("core wasm module cannot be made a policy component: {0}")]
    Componentize(String),
    #[error("invalid component: {0}")]
    Compile(String),
    #[error("does not export the perk:policy@0.5 world (describe, configure, on-purchase, on-event, on-purchase-batch; rebuild it with this perk-sdk): {0}")]
    Exports(String),
    #[error("`describe` failed: {0}")]
    Describe(String),
}

/// What a policy says about itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Describe {
    pub name: String,
    pub version: String,
    #[serde(default)]
    pub description: String,
    /// perk-sdk version it was built with.
    #[serde(default)]
    pub sdk: String,
    /// JSON Schema of the policy's config, when it publishes one.
    #[serde(default)]
    pub config_schema: Option<serde_json::Value>,
}

/// A loaded policy version: compiled once; its calls run on warm pooled instances or on a
/// fresh instance each, as the caller asks.
#[derive(Clone)]
pub struct PolicyModule {
    runtime: Runtime,
    hash: String,
    size: usize,
    describe: Describe,
    /// Ready to instantiate on the pooled engine.
    pre: call::Pre,
    /// The module's bytes, for the fresh-instance engine, which compiles it on first use.
    bytes: Arc<[u8]>,
    fresh: Arc<std::sync::OnceLock<Result<call::Pre, String>>>,
}

/// Idle warm instances kept per policy; more in flight at once are dropped after use.
const MAX_IDLE: usize = 16;

/// Calls sent in one `on-purchase-batch` at most (their inputs also stay within the
/// input size limit of one call).
const MAX_BATCH: usize = 64;

/// What a successful call returns: the outcome and what the guest logged.
#[derive(Clone, Debug)]
pub struct Evaluated {
    pub outcome: Outcome,
    pub logs: Vec<LogLine>,
}

/// Imports a component may have: the `log` function and the type-only interface.
fn allowed_import(name: &str) -> bool {
    name == "log" || name.starts_with("perk:policy/types@")
}

impl Runtime {
    /// Checks and compiles a policy (a component, or a core module the SDK built without
    /// its component wrapper). Compiled code comes from the disk cache when present.
    pub fn load(&self, bytes: &[u8]) -> Result<PolicyModule, LoadError> {
        let limit = self.limits().module_size;
        if bytes.len() > limit {
            return Err(LoadError::TooLarge { size: bytes.len(), limit });
        }
        let hash = content_hash(bytes);
        let sandbox = self.sandbox(Isolation::Pooled).map_err(LoadError::Compile)?;
        let compiled = sandbox.compile(&hash, bytes)?;
        let forbidden: Vec<String> = compiled
            .component
            .component_type()
            .imports(&sandbox.engine)
            .map(|(name, _)| name.to_string())
            .filter(|name| !allowed_import(name))
            .collect();
        if !forbidden.is_empty() {
            return Err(LoadError::ForbiddenImports(forbidden));
        }
        sandbox.remember_compiled(&hash, &compiled);
        let pre = sandbox.pre(&compiled)?;
        let mut module = PolicyModule {
            runtime: self.clone(),
            hash,
            size: bytes.len(),
            describe: Describe {
                name: String::new(),
                version: String::new(),
                description: String::new(),
                sdk: String::new(),
                config_schema: None,
            },
            pre,
            bytes: Arc::from(bytes),
            fresh: Arc::default(),
        };
        let described = Instance::new_component(&module.pre, module.runtime.limits()).and_then(|mut i| i.describe(module.runtime.limits()));
        let (json, _) = described.map_err(|f| LoadError::Describe(f.to_string()))?;
        module.describe = serde_json::from_str(&json).map_err(|e| LoadError::Describe(format!("answered `{json}`: {e}")))?;
        Ok(module)
    }
}

impl super::Sandbox {
    /// The compiled component, and for the warm instances' engine its core module when the
    /// component has the shape direct calls implement (`direct::plan`): from memory, from
    /// the disk cache, or compiled now (and cached).
    fn compile(&self, hash: &str, bytes: &[u8]) -> Result<Compiled, LoadError> {
        if let Some(c) = self.compiled(hash) {
            return Ok(c);
        }
        let component = self.cache.as_ref().and_then(|c| c.get::<Component>(&self.engine, hash));
        // The component's bytes (a core module is wrapped into one): to compile it, and to
        // find its core module.
        let component_bytes = if component.is_none() || self.direct { Some(as_component(bytes)?) } else { None };
        let plan = component_bytes.as_deref().filter(|_| self.direct).and_then(direct::plan);
        // Cached by its own bytes: a core module wrapped by another wit-component version
        // is another component, and must not meet a core module cached from the first.
        let core_hash = plan.as_ref().zip(component_bytes.as_deref()).map(|(plan, b)| content_hash(&b[plan.module.clone()]));
        let module = core_hash.as_deref().and_then(|h| self.cache.as_ref()?.get::<wasmtime::Module>(&self.engine, h));
        // What is not cached compiles now: the component and its core module side by side.
        let (component, module) = std::thread::scope(|s| {
            let core = match (&plan, component_bytes.as_deref(), module) {
                (Some(plan), Some(b), None) => {
                    Err(s.spawn(|| self.compile_core(core_hash.as_deref().unwrap_or(hash), &b[plan.module.clone()])))
                }
                (_, _, module) => Ok(module),
            };
            let component = match (component, component_bytes.as_deref()) {
                (Some(c), _) => Ok(c),
                (None, b) => {
                    let c = Component::new(&self.engine, b.unwrap_or_default()).map_err(|e| LoadError::Compile(format!("{e:#}")));
                    if let (Ok(c), Some(cache)) = (&c, &self.cache) {
                        cache.put(hash, c);
                    }
                    c
                }
            };
            (component, core.unwrap_or_else(|job| job.join().ok().flatten()))
        });
        Ok(Compiled { component: component?, direct: plan.zip(module).map(|(plan, module)| (module, plan)) })
    }

    /// A component's core module, for direct calls (and cached under `hash`, its own bytes').
    /// It compiled as part of the component; should it not alone, calls take the component
    /// path.
    fn compile_core(&self, hash: &str, core: &[u8]) -> Option<wasmtime::Module> {
        let m = wasmtime::Module::new(&self.engine, core)
            .inspect_err(|e| tracing::warn!("the core module of {hash} does not compile on its own: {e:#}"))
            .ok()?;
        if let Some(cache) = &self.cache {
            cache.put(hash, &m);
        }
        Some(m)
    }

    fn pre(&self, compiled: &Compiled) -> Result<call::Pre, LoadError> {
        let pre = self.linker.instantiate_pre(&compiled.component).map_err(|e| LoadError::Exports(format!("{e:#}")))?;
        let pre = call::Pre::new(pre).map_err(|e| LoadError::Exports(format!("{e:#}")))?;
        // A core module that does not link as planned (say, `log` of another type) is
        // called through the component.
        Ok(match &compiled.direct {
            Some((module, plan)) => match direct::Pre::new(&self.engine, module, plan) {
                Ok(d) => pre.with_direct(d),
                Err(e) => {
                    tracing::warn!("calling through the component: {e:#}");
                    pre
                }
            },
            None => pre,
        })
    }
}

/// A compiled component, with its core module when warm calls go to it directly.
#[derive(Clone)]
pub(crate) struct Compiled {
    pub component: Component,
    pub direct: Option<(wasmtime::Module, direct::Plan)>,
}

/// A component as it is, or a core module wrapped into one (no WASI adapter: a module
/// that needs WASI is refused).
fn as_component(bytes: &[u8]) -> Result<Cow<'_, [u8]>, LoadError> {
    if wasmparser::Parser::is_component(bytes) {
        return Ok(Cow::Borrowed(bytes));
    }
    if !wasmparser::Parser::is_core_wasm(bytes) {
        let head: Vec<String> = bytes.iter().take(8).map(|b| format!("{b:02x}")).collect();
        return Err(LoadError::NotWasm(format!(
            "it does not start with the wasm header (`00 61 73 6d`), it starts with `{}`",
            head.join(" ")
        )));
    }
    let imports = core_imports(bytes).map_err(|e| LoadError::NotWasm(e.to_string()))?;
    let forbidden: Vec<String> = imports.into_iter().filter(|m| !m.starts_with("$root") && !m.starts_with("perk:policy/")).collect();
    if !forbidden.is_empty() {
        return Err(LoadError::ForbiddenImports(forbidden));
    }
    let encoded = wit_component::ComponentEncoder::default()
        .module(bytes)
        .and_then(|e| e.validate(true).encode())
        .map_err(|e| LoadError::Componentize(format!("{e:#}")))?;
    Ok(Cow::Owned(encoded))
}

/// `module::name` of every import of a core module.
fn core_imports(bytes: &[u8]) -> Result<Vec<String>, wasmparser::BinaryReaderError> {
    let mut out = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(bytes) {
        if let wasmparser::Payload::ImportSection(reader) = payload? {
            for import in reader.into_imports() {
                let import = import?;
                out.push(format!("{}::{}", import.module, import.name));
            }
        }
    }
    Ok(out)
}

impl PolicyModule {
    /// `sha256:<hex>` of the module bytes: the version recorded with every reward.
    pub fn hash(&self) -> &str {
        &self.hash
    }

    /// The first 12 hex digits of the hash, for people.
    pub fn short_hash(&self) -> &str {
        let hex = self.hash.trim_start_matches("sha256:");
        &hex[..12.min(hex.len())]
    }

    pub fn size(&self) -> usize {
        self.size
    }

    pub fn describe(&self) -> &Describe {
        &self.describe
    }

    /// Whether warm instances call the component's core module directly (`direct.rs`),
    /// as they do for every component perk-sdk builds; other components are called through
    /// wasmtime's component calls.
    pub fn calls_directly(&self) -> bool {
        self.pre.is_direct()
    }

    /// A new instance on the engine for `isolation` (compiling for the fresh-instance
    /// engine the first time it is asked for).
    fn new_instance(&self, isolation: Isolation) -> Result<Instance, Failure> {
        let limits = self.runtime.limits();
        match isolation {
            Isolation::Pooled => Instance::new(&self.pre, limits),
            Isolation::Fresh => {
                let pre = self.fresh.get_or_init(|| {
                    let sandbox = self.runtime.sandbox(Isolation::Fresh)?;
                    let compiled = sandbox.compile(&self.hash, &self.bytes).map_err(|e| e.to_string())?;
                    sandbox.remember_compiled(&self.hash, &compiled);
                    sandbox.pre(&compiled).map_err(|e| e.to_string())
                });
                Instance::new(pre.as_ref().map_err(|e| call::failure(FailureKind::Trap, e.clone()))?, limits)
            }
        }
    }

    /// This module as the policy `policy_id` with `config` (JSON): a fresh instance parses
    /// and checks the config (the error names the key), and every instance the policy runs
    /// on is configured the same way, once, before its first call.
    pub fn bind(&self, policy_id: &str, config: &str) -> Result<BoundPolicy, Failure> {
        let limit = self.runtime.limits().input_size;
        if config.len() > limit {
            return Err(call::failure(FailureKind::InputTooLarge, format!("config of {} bytes; the limit is {limit}", config.len())));
        }
        // Crosses as a JSON value in the wire encoding, so guests carry no JSON parser; a
        // syntax error is the SDK parser's (line and column), as a guest would say it.
        let config =
            perk_sdk::wire::json_to_wire(config.as_bytes()).map_err(|e| call::failure(FailureKind::PolicyError, e.into_message()))?;
        let bound = BoundPolicy { module: self.clone(), policy_id: policy_id.into(), config: config.into(), pool: Arc::default() };
        bound.new_instance(Isolation::Pooled)?;
        Ok(bound)
    }

    /// Asks the policy whether it accepts this config (JSON); the error names the key.
    pub fn validate_config(&self, config: &str) -> Result<(), Failure> {
        self.bind("validate", config).map(drop)
    }
}

/// A stored state (the JSON text the policy answered) as it crosses back into the policy:
/// a JSON value in the wire encoding.
fn guest_state(stored: &[u8]) -> Result<Vec<u8>, Failure> {
    perk_sdk::wire::state_to_wire(stored)
        .map_err(|e| call::failure(FailureKind::PolicyError, format!("the stored state is not JSON: {}", e.into_message())))
}

/// A module bound to one policy of a manifest: its id, its config, and its warm instances,
/// each configured once. Dropped with the policy set (a reload starts with empty pools).
#[derive(Clone)]
pub struct BoundPolicy {
    module: PolicyModule,
    policy_id: Arc<str>,
    /// The config as a JSON value in the wire encoding, as `configure` takes it.
    config: Arc<[u8]>,
    /// Idle warm instances.
    /// Boxed: a warm instance moves in and out of the pool on every call, so it moves as a
    /// pointer rather than as the store and its export handles.
    #[allow(clippy::vec_box)]
    pool: Arc<Mutex<Vec<Box<Instance>>>>,
}

impl BoundPolicy {
    pub fn module(&self) -> &PolicyModule {
        &self.module
    }

    fn limits(&self) -> &super::Limits {
        self.module.runtime.limits()
    }

    /// The same policy with a pool of its own, empty: for a thread that makes many calls
    /// (a replay's), so threads do not hand instances back and forth through one lock.
    pub fn with_own_pool(&self) -> BoundPolicy {
        BoundPolicy { pool: Arc::default(), ..self.clone() }
    }

    /// A new instance, configured.
    fn new_instance(&self, isolation: Isolation) -> Result<Instance, Failure> {
        self.configured(self.module.new_instance(isolation)?)
    }

    /// A new instance called through the component call path (see `direct.rs`), configured:
    /// the purity check's fresh instance, which the warm ones must answer as.
    fn new_reference_instance(&self) -> Result<Instance, Failure> {
        self.configured(Instance::new_component(&self.module.pre, self.limits())?)
    }

    fn configured(&self, mut inst: Instance) -> Result<Instance, Failure> {
        let (r, logs) = inst.configure(self.limits(), &self.policy_id, &self.config)?;
        r.map_err(|message| Failure { kind: FailureKind::PolicyError, message, logs })?;
        Ok(inst)
    }

    /// Runs `f` on a warm instance from the pool (or a new one), or on a fresh one. An
    /// instance goes back to the pool only if it did not trap and has calls left.
    fn with_instance<R>(&self, isolation: Isolation, f: impl FnOnce(&mut Instance) -> Result<R, Failure>) -> Result<R, Failure> {
        let warm = match isolation {
            Isolation::Pooled => self.pool.lock().unwrap_or_else(|e| e.into_inner()).pop(),
            Isolation::Fresh => None,
        };
        let mut instance = match warm {
            Some(i) => i,
            None => Box::new(self.new_instance(isolation)?),
        };
        let result = f(&mut instance);
        let healthy = match &result {
            Ok(_) => true,
            Err(f) => matches!(f.kind, FailureKind::PolicyError | FailureKind::InvalidOutput | FailureKind::InputTooLarge),
        };
        if isolation == Isolation::Pooled && healthy && instance.calls < self.limits().recycle_after {
            let mut idle = self.pool.lock().unwrap_or_else(|e| e.into_inner());
            if idle.len() < MAX_IDLE {
                idle.push(instance);
            }
        }
        result
    }

    /// Calls the policy on an input encoded once for every policy of an evaluation, with
    /// the state it stored for this customer.
    pub fn call(&self, input: &Input, state: &[u8], isolation: Isolation) -> Result<Evaluated, Failure> {
        self.with_instance(isolation, |i| self.call_on(i, input, state))
    }

    /// `on-purchase` for several customers whose calls do not depend on each other, with
    /// the answers one [`call`](Self::call) each would give, in order. Pooled, the calls
    /// cross the boundary in batches and each outcome is checked on its own; a batch that
    /// traps, logs, or whose answer is not one answer per call is made again call by call,
    /// so every failure and log line stays with its own call. Fresh, every call gets its
    /// own instance as ever.
    pub fn call_batch(&self, calls: &[(&Input, &[u8])], isolation: Isolation) -> Vec<Result<Evaluated, Failure>> {
        let one_by_one =
            |calls: &[(&Input, &[u8])]| calls.iter().map(|(input, state)| self.call(input, state, isolation)).collect::<Vec<_>>();
        if isolation == Isolation::Fresh || calls.iter().any(|(input, _)| matches!(input.kind, Kind::Event)) {
            return one_by_one(calls);
        }
        let limit = self.limits().input_size;
        let mut out = Vec::with_capacity(calls.len());
        let mut rest = calls;
        while !rest.is_empty() {
            let (mut n, mut size) = (0, 0);
            while n < rest.len().min(MAX_BATCH) {
                size += rest[n].0.bytes.len() + rest[n].1.len() + 2 * 4;
                if n > 0 && size > limit {
                    break;
                }
                n += 1;
            }
            let (chunk, tail) = rest.split_at(n);
            rest = tail;
            match self.batch(chunk) {
                Some(answers) => out.extend(answers),
                None => out.extend(one_by_one(chunk)),
            }
        }
        out
    }

    /// One `on-purchase-batch` call on a warm instance, or `None` when its calls must be
    /// made one by one (see [`call_batch`](Self::call_batch)).
    fn batch(&self, calls: &[(&Input, &[u8])]) -> Option<Vec<Result<Evaluated, Failure>>> {
        let limits = self.limits();
        if calls.len() < 2 || calls.iter().any(|(input, state)| input.bytes.len() + state.len() > limits.input_size) {
            return None;
        }
        // A state that is not JSON fails its own call only: one by one.
        let states: Vec<Vec<u8>> = calls.iter().map(|(_, state)| guest_state(state)).collect::<Result<_, _>>().ok()?;
        let batch = perk_sdk::wire::encode_batch(calls.iter().zip(&states).map(|((input, _), state)| (input.bytes.as_slice(), &state[..])));
        let (answers, logs) = self
            .with_instance(Isolation::Pooled, |inst| {
                let r = inst.call_batch(limits, &batch, |answer| {
                    let answers = perk_sdk::wire::decode_batch_answer(answer.ok()?, calls.len()).ok()?;
                    Some(answers.into_iter().zip(calls).map(|(a, (input, _))| answered(a, limits, input.detail)).collect())
                });
                inst.calls = inst.calls.saturating_add(calls.len() as u32 - 1);
                r
            })
            .ok()?;
        if !logs.is_empty() {
            return None;
        }
        answers
    }

    pub fn on_purchase(&self, p: &Purchase, c: &Customer, now: i64, state: &[u8], isolation: Isolation) -> Result<Evaluated, Failure> {
        self.call(&Input::purchase(p, c, now, None, Detail::Full), state, isolation)
    }

    pub fn on_event(&self, e: &Event, c: &Customer, now: i64, state: &[u8], isolation: Isolation) -> Result<Evaluated, Failure> {
        self.call(&Input::event(e, c, now, None, Detail::Full), state, isolation)
    }

    fn call_on(&self, inst: &mut Instance, input: &Input, state: &[u8]) -> Result<Evaluated, Failure> {
        let limits = self.limits();
        let size = input.bytes.len() + state.len();
        if size > limits.input_size {
            return Err(call::failure(FailureKind::InputTooLarge, format!("inputs of {size} bytes; the limit is {}", limits.input_size)));
        }
        let state = guest_state(state)?;
        // No state crosses as `none`: one list to lower instead of two.
        let state = (!state.is_empty()).then_some(&state[..]);
        let export = match input.kind {
            Kind::Purchase => call::InputExport::OnPurchase,
            Kind::Event => call::InputExport::OnEvent,
        };
        // The answer is decoded where the guest wrote it; logs join it after the call.
        let (r, logs) = inst.call_input(limits, export, &input.bytes, state, |answer| answered(answer, limits, input.detail))?;
        match r {
            Ok(e) => Ok(Evaluated { logs, ..e }),
            Err(f) => Err(Failure { logs, ..f }),
        }
    }

    fn run_case(&self, inst: &mut Instance, case: &Case) -> Result<Outcome, (FailureKind, String)> {
        let input = match case {
            Case::Purchase(p, c) => Input::purchase(p, c, PROBE_NOW, None, Detail::Full),
            Case::Event(e, c) => Input::event(e, c, PROBE_NOW, None, Detail::Full),
        };
        self.call_on(inst, &input, &[]).map(|e| e.outcome).map_err(|f| (f.kind, f.message))
    }

    /// The purity check for pooled isolation: every probe case answers the same on a used
    /// instance as on a fresh one, over two rounds. A policy that keeps anything between
    /// calls (a counter in a `static`, a cache in a thread-local) fails it.
    pub fn check_purity(&self) -> Result<(), String> {
        let cases = Case::probes();
        let mut used = self.new_instance(Isolation::Pooled).map_err(|f| f.to_string())?;
        for round in 1..=2 {
            for (i, case) in cases.iter().enumerate() {
                let fresh = self.run_case(&mut self.new_reference_instance().map_err(|f| f.to_string())?, case);
                let reused = self.run_case(&mut used, case);
                if fresh != reused {
                    return Err(format!(
                        "answers differently on a reused instance than on a fresh one (probe {}, round {round}: fresh {}, reused {}); \
                         keep per-customer memory in the state (ctx.state / Outcome::state), never in statics, \
                         or set `isolation = \"fresh\"` for this policy",
                        i + 1,
                        show(&fresh),
                        show(&reused)
                    ));
                }
                if reused.as_ref().is_err_and(|(k, _)| !matches!(k, FailureKind::PolicyError | FailureKind::InvalidOutput)) {
                    used = self.new_instance(Isolation::Pooled).map_err(|f| f.to_string())?;
                }
            }
        }
        Ok(())
    }
}

/// What a policy answered to one call: its outcome's bytes, decoded and checked, or its
/// error; without logs (the caller adds the call's, read after the answer).
fn answered(answer: Result<&[u8], &str>, limits: &super::Limits, detail: Detail) -> Result<Evaluated, Failure> {
    let logs = Vec::new();
    match answer {
        Err(message) => Err(Failure { kind: FailureKind::PolicyError, message: message.to_string(), logs }),
        Ok(bytes) => match call::outcome(bytes, limits, detail) {
            Ok(outcome) => Ok(Evaluated { outcome, logs }),
            Err(message) => Err(Failure { kind: FailureKind::InvalidOutput, message, logs }),
        },
    }
}

/// A purchase or event with its customer, the host's clock and the customer's variant,
/// encoded once (`perk_sdk::wire`) and shared by every policy of an evaluation; with it,
/// whether the answers' reasons and progress are kept (the guest is told too, so with
/// [`Detail::Totals`] an SDK policy skips writing the reasons it defers with `reason!`).
pub struct Input {
    kind: Kind,
    bytes: Vec<u8>,
    detail: Detail,
}

#[derive(Clone, Copy)]
enum Kind {
    Purchase,
    Event,
}

impl Input {
    pub fn purchase(p: &Purchase, c: &Customer, now: i64, variant: Option<&str>, detail: Detail) -> Self {
        let explain = detail == Detail::Full;
        Input { kind: Kind::Purchase, bytes: perk_sdk::wire::encode_purchase_input(now, variant, explain, p, c), detail }
    }

    pub fn event(e: &Event, c: &Customer, now: i64, variant: Option<&str>, detail: Detail) -> Self {
        let explain = detail == Detail::Full;
        Input { kind: Kind::Event, bytes: perk_sdk::wire::encode_event_input(now, variant, explain, e, c), detail }
    }

    /// Encoded size in bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

/// 2026-03-02T12:30:00Z, the clock of the purity probes.
const PROBE_NOW: i64 = 1_772_454_600_000;

fn show(r: &Result<Outcome, (FailureKind, String)>) -> String {
    match r {
        Ok(o) => format!("{:?}", o.rewards.iter().map(|g| &g.reward).collect::<Vec<_>>()),
        Err((kind, message)) => format!("{kind:?}: {message}"),
    }
}

/// An input a policy is run on outside real traffic.
#[derive(Clone, Debug)]
pub enum Case {
    Purchase(Purchase, Customer),
    Event(Event, Customer),
}

impl Case {
    /// Varied purchases and customers for the purity check: empty and large orders, new and
    /// long-standing customers with tiers, channels, a partner, a coupon, an event.
    pub fn probes() -> Vec<Case> {
        let base = Purchase {
            id: "probe-1".into(),
            customer_id: "probe".into(),
            at: PROBE_NOW,
            currency: "XXX".into(),
            channel: "store".into(),
            ..Default::default()
        };
        let new = Customer::new("probe");
        let mut silver = Customer::new("probe").with_tier("silver");
        silver.purchases = 5;
        silver.lifetime_spend = 20_000;
        silver.first_purchase_at = Some(PROBE_NOW - 86_400_000 * 90);
        silver.last_purchase_at = Some(PROBE_NOW - 86_400_000 * 3);
        let mut gold = Customer::new("probe").with_tier("gold");
        gold.purchases = 11;
        gold.lifetime_spend = 999_000;
        gold.birthday = Some("03-02".into());
        gold.segments = vec!["regulars".into()];
        let items = vec![LineItem::new("latte", "coffee", 2, 15_025), LineItem::new("croissant", "pastry", 1, 15_000)];
        let small = Purchase { total: 45_050, items, ..base.clone() };
        let big = Purchase {
            id: "probe-2".into(),
            total: 1_000_000,
            shipping: 50_000,
            channel: "online".into(),
            partner: Some("airline".into()),
            coupons: vec!["WELCOME".into()],
            items: vec![LineItem::new("coat", "outerwear", 1, 1_000_000)],
            ..base.clone()
        };
        let review = Event { id: "probe-e".into(), customer_id: "probe".into(), at: PROBE_NOW, kind: "review".into(), attributes: vec![] };
        vec![
            Case::Purchase(base, new.clone()),
            Case::Purchase(small.clone(), silver.clone()),
            Case::Purchase(big, gold),
            Case::Purchase(small, new.clone()),
            Case::Event(review, silver),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::Limits;

    /// A batch without traps or logs crosses the boundary once and answers, call by call,
    /// what a fresh instance answers for each call alone: states, errors and all.
    #[test]
    fn a_batch_crosses_once_and_answers_as_calls_alone() {
        let rt = Runtime::new(Limits::default(), None).unwrap();
        let module = rt.load(crate::stdlib::get("punch-card").unwrap()).unwrap();
        let bound = module.bind("punch", r#"{"every":3,"bonus_points":50,"category":"coffee"}"#).unwrap();
        let purchases: Vec<(Purchase, Customer)> = (0..7)
            .map(|i| {
                let category = if i % 3 == 2 { "tea" } else { "coffee" };
                let p = Purchase {
                    id: format!("p{i}"),
                    customer_id: format!("c{i}"),
                    currency: "RUB".into(),
                    total: 1_000 * (i + 1),
                    items: vec![LineItem::new("cup", category, 1, 1_000 * (i + 1))],
                    ..Default::default()
                };
                (p, Customer::new(format!("c{i}")))
            })
            .collect();
        let inputs: Vec<Input> = purchases.iter().map(|(p, c)| Input::purchase(p, c, PROBE_NOW, None, Detail::Full)).collect();
        // Stored stamps, none, and one state the policy cannot read (a policy error).
        let states: Vec<Vec<u8>> = (0..7)
            .map(|i| match i {
                4 => br#"{"count":"four"}"#.to_vec(),
                i if i % 2 == 0 => format!(r#"{{"count":{}}}"#, i + 2).into_bytes(),
                _ => Vec::new(),
            })
            .collect();
        let calls: Vec<(&Input, &[u8])> = inputs.iter().zip(&states).map(|(i, s)| (i, s.as_slice())).collect();
        let alone: Vec<_> = calls.iter().map(|(i, s)| bound.call(i, s, Isolation::Fresh).map(|e| e.outcome)).collect();
        assert!(alone.iter().filter(|a| a.is_ok()).count() == 6 && alone[4].is_err(), "{alone:?}");
        assert!(alone.iter().any(|a| a.as_ref().is_ok_and(|o| o.points_total() == 50)), "a card completes: {alone:?}");
        // A stored state that is not JSON cannot cross (states cross as JSON values): its
        // call fails in the host, and a batch holding it is made call by call.
        let broken = [(&inputs[0], &b"not json"[..]), (&inputs[1], &[][..])];
        assert!(bound.batch(&broken).is_none());
        let answers = bound.call_batch(&broken, Isolation::Pooled);
        let err = answers[0].as_ref().unwrap_err();
        assert_eq!(
            (err.kind, err.message.as_str()),
            (FailureKind::PolicyError, "the stored state is not JSON: expected a value at line 1 column 1")
        );
        assert_eq!(answers[1].as_ref().unwrap().outcome, alone[1].clone().unwrap());
        for round in 0..3 {
            let batched = bound.batch(&calls).expect("a batch without traps or logs is answered in one call");
            let batched: Vec<_> = batched.into_iter().map(|r| r.map(|e| e.outcome)).collect();
            assert_eq!(batched, alone, "round {round}");
            let through = bound.call_batch(&calls, Isolation::Pooled).into_iter().map(|r| r.map(|e| e.outcome)).collect::<Vec<_>>();
            assert_eq!(through, alone, "round {round}, call_batch");
            // Without text: the same rewards and states, no reasons, no progress.
            let lean_inputs: Vec<Input> = purchases.iter().map(|(p, c)| Input::purchase(p, c, PROBE_NOW, None, Detail::Totals)).collect();
            let lean_calls: Vec<(&Input, &[u8])> = lean_inputs.iter().zip(&states).map(|(i, s)| (i, s.as_slice())).collect();
            let lean = bound.call_batch(&lean_calls, Isolation::Pooled).into_iter().map(|r| r.map(|e| e.outcome));
            for (lean, full) in lean.zip(&alone) {
                let strip = |o: &Outcome| Outcome {
                    rewards: o.rewards.iter().map(|g| perk_sdk::Granted { reason: String::new(), ..g.clone() }).collect(),
                    progress: Vec::new(),
                    ..o.clone()
                };
                assert_eq!(lean, full.as_ref().map(strip).map_err(Clone::clone), "round {round}, without text");
            }
        }
    }
}
