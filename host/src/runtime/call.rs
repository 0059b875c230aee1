//! One call on an instance (fresh or warm): the store, its limits, the log import, the
//! conversions across the boundary, and what went wrong when it did.

use super::bindings::{types as w, Policy, PolicyImports, PolicyIndices};
use super::direct;
use super::{Detail, Limits};
use perk_sdk::wire::Skipped;
use perk_sdk::{Outcome, Reward};
use serde::Serialize;
use std::time::Duration;
use wasmtime::component::{ComponentExportIndex, Func, InstancePre, TypedFunc, WasmList, WasmStr};
use wasmtime::{Engine, ResourceLimiter, Store, StoreContextMut, Trap, UpdateDeadline};

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LogLine {
    pub level: &'static str,
    pub message: String,
}

/// Why a policy's rewards were dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailureKind {
    /// Used more CPU time than the limit: an endless loop, or too much work.
    Timeout,
    /// Tried to grow memory past the limit.
    MemoryLimit,
    /// The guest panicked; the message is the panic message.
    Panic,
    /// Any other trap.
    Trap,
    /// The policy returned an error (a bad config, a stored state it cannot read, ...).
    PolicyError,
    /// The outcome broke the contract (negative amounts, too many rewards, ...).
    InvalidOutput,
    /// The inputs exceed the size the sandbox accepts.
    InputTooLarge,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Failure {
    pub kind: FailureKind,
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub logs: Vec<LogLine>,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}: {}", self.kind, self.message)
    }
}

impl std::error::Error for Failure {}

/// The store's data: limits and what the guest logged.
pub struct GuestState {
    memory_limit: usize,
    cpu_limit: Duration,
    /// The calling thread's CPU clock when the current call met its first clock tick.
    cpu_started: Option<Duration>,
    timed_out: bool,
    memory_denied: Option<usize>,
    max_logs: usize,
    logs: Vec<LogLine>,
    dropped_logs: usize,
    panic: Option<String>,
    /// A direct call is in the guest's `realloc`, which may not call `log`.
    pub(super) in_realloc: bool,
}

impl GuestState {
    /// Forgets the previous call (a reused instance starts clean).
    fn reset(&mut self) {
        self.memory_denied = None;
        self.cpu_started = None;
        self.timed_out = false;
        self.logs.clear();
        self.dropped_logs = 0;
        self.panic = None;
        self.in_realloc = false;
    }

    fn new(limits: &Limits) -> Self {
        GuestState {
            memory_limit: limits.memory,
            cpu_limit: Duration::from_millis(limits.cpu_ms),
            cpu_started: None,
            timed_out: false,
            memory_denied: None,
            max_logs: limits.log_lines,
            logs: Vec::new(),
            dropped_logs: 0,
            panic: None,
            in_realloc: false,
        }
    }

    fn take_logs(&mut self) -> Vec<LogLine> {
        let mut logs = std::mem::take(&mut self.logs);
        if self.dropped_logs > 0 {
            logs.push(LogLine { level: "warn", message: format!("{} more log lines dropped", self.dropped_logs) });
        }
        logs
    }
}

impl ResourceLimiter for GuestState {
    fn memory_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        if desired > self.memory_limit {
            self.memory_denied = Some(desired);
            return Ok(false);
        }
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }
}

/// Longest log message kept; longer ones are cut.
const MAX_LOG_MESSAGE: usize = 1024;

impl PolicyImports for GuestState {
    fn log(&mut self, level: w::Level, mut message: String) {
        truncate(&mut message, MAX_LOG_MESSAGE);
        let level = match level {
            w::Level::Trace => "trace",
            w::Level::Debug => "debug",
            w::Level::Info => "info",
            w::Level::Warn => "warn",
            w::Level::Error => "error",
            w::Level::Panic => {
                self.panic = Some(message);
                return;
            }
        };
        tracing::debug!(target: "perk::policy", level, "{message}");
        if self.logs.len() < self.max_logs {
            self.logs.push(LogLine { level, message });
        } else {
            self.dropped_logs += 1;
        }
    }
}

impl w::Host for GuestState {}

fn truncate(s: &mut String, max: usize) {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
        s.push('…');
    }
}

/// A component ready to instantiate on one engine: the world's exports found and
/// type-checked once (bindgen's `PolicyIndices`), and the calls whose answers the host reads
/// where the guest wrote them; with its core module linked for direct calls when the
/// component has the shape `direct.rs` implements.
#[derive(Clone)]
pub(super) struct Pre {
    instance_pre: InstancePre<GuestState>,
    indices: PolicyIndices,
    on_purchase: ComponentExportIndex,
    on_event: ComponentExportIndex,
    on_purchase_batch: ComponentExportIndex,
    direct: Option<direct::Pre>,
}

impl Pre {
    /// Fails, naming the export, when the component does not export the world.
    pub fn new(instance_pre: InstancePre<GuestState>) -> wasmtime::Result<Self> {
        let indices = PolicyIndices::new(&instance_pre)?;
        let index =
            |name: &str| instance_pre.component().get_export_index(None, name).ok_or_else(|| wasmtime::format_err!("no export `{name}`"));
        Ok(Pre {
            on_purchase: index("on-purchase")?,
            on_event: index("on-event")?,
            on_purchase_batch: index("on-purchase-batch")?,
            indices,
            instance_pre,
            direct: None,
        })
    }

    /// Warm instances of this component run its core module directly.
    pub fn with_direct(self, direct: direct::Pre) -> Self {
        Pre { direct: Some(direct), ..self }
    }

    pub fn is_direct(&self) -> bool {
        self.direct.is_some()
    }

    pub fn engine(&self) -> &Engine {
        self.instance_pre.engine()
    }
}

/// `on-purchase` and `on-event`, their answer lifted as a view of guest memory.
type InputCall<'a> = TypedFunc<(&'a [u8], Option<&'a [u8]>), (Result<WasmList<u8>, WasmStr>,)>;
/// `on-purchase-batch`, the same way.
type BatchCall<'a> = TypedFunc<(&'a [u8],), (Result<WasmList<u8>, WasmStr>,)>;

/// Which export a call with an input goes to.
#[derive(Clone, Copy)]
pub(super) enum InputExport {
    OnPurchase,
    OnEvent,
}

/// How an instance is called: through wasmtime's component calls, or straight into its
/// core module (`direct.rs`).
enum Exports {
    Component { policy: Policy, on_purchase: Func, on_event: Func, on_purchase_batch: Func },
    Direct(direct::Exports),
}

/// An instance with its store: used once (fresh isolation) or kept warm in a pool.
pub(super) struct Instance {
    store: Store<GuestState>,
    exports: Exports,
    /// Calls served so far.
    pub calls: u32,
}

impl Instance {
    /// A new instance on the engine `pre` was made for: called directly when `pre` allows.
    pub fn new(pre: &Pre, limits: &Limits) -> Result<Self, Failure> {
        Self::make(pre, limits, pre.direct.as_ref())
    }

    /// A new instance called through the component call path, whatever `pre` allows: the
    /// reference the direct path answers as.
    pub fn new_component(pre: &Pre, limits: &Limits) -> Result<Self, Failure> {
        Self::make(pre, limits, None)
    }

    fn make(pre: &Pre, limits: &Limits, direct: Option<&direct::Pre>) -> Result<Self, Failure> {
        let mut store = Store::new(pre.engine(), GuestState::new(limits));
        store.limiter(|s| s as &mut dyn ResourceLimiter);
        store.epoch_deadline_callback(on_tick);
        store.set_epoch_deadline(1);
        let made = match direct {
            Some(direct) => direct.instantiate(&mut store).map(Exports::Direct),
            None => pre.instance_pre.instantiate(&mut store).and_then(|instance| {
                let policy = pre.indices.load(&mut store, &instance)?;
                let mut func = |index: &ComponentExportIndex| {
                    instance.get_func(&mut store, index).ok_or_else(|| wasmtime::format_err!("an export checked at load is missing"))
                };
                Ok(Exports::Component {
                    policy,
                    on_purchase: func(&pre.on_purchase)?,
                    on_event: func(&pre.on_event)?,
                    on_purchase_batch: func(&pre.on_purchase_batch)?,
                })
            }),
        };
        match made {
            Ok(exports) => Ok(Instance { store, exports, calls: 0 }),
            Err(e) => {
                let logs = store.data_mut().take_logs();
                Err(classify(e, store.data(), limits, logs))
            }
        }
    }

    /// `describe`, on an instance of the component call path.
    pub fn describe(&mut self, limits: &Limits) -> Result<(String, Vec<LogLine>), Failure> {
        self.run(limits, |exports, store| match exports {
            Exports::Component { policy, .. } => policy.call_describe(store),
            Exports::Direct(_) => Err(wasmtime::format_err!("`describe` is called through the component")),
        })
    }

    /// `configure` with the policy id and its config (a JSON value in the wire encoding).
    pub fn configure(&mut self, limits: &Limits, policy_id: &str, config: &[u8]) -> Result<(Result<(), String>, Vec<LogLine>), Failure> {
        self.run(limits, |exports, store| match exports {
            Exports::Component { policy, .. } => policy.call_configure(store, policy_id, config),
            Exports::Direct(d) => d.configure(store, policy_id, config),
        })
    }

    /// `on-purchase` or `on-event` with an encoded input and the stored state; `read` gets
    /// the answer (the outcome's bytes or the policy's error) where the guest wrote it,
    /// without a copy.
    pub fn call_input<R>(
        &mut self,
        limits: &Limits,
        export: InputExport,
        input: &[u8],
        state: Option<&[u8]>,
        read: impl FnOnce(Result<&[u8], &str>) -> R,
    ) -> Result<(R, Vec<LogLine>), Failure> {
        self.run(limits, |exports, store| match exports {
            Exports::Component { on_purchase, on_event, .. } => {
                let func = match export {
                    InputExport::OnPurchase => *on_purchase,
                    InputExport::OnEvent => *on_event,
                };
                // SAFETY: `PolicyIndices::new` type-checked both exports as `func(list<u8>,
                // option<list<u8>>) -> result<list<u8>, string>`, which these types lower and
                // lift (`WasmList<u8>` and `WasmStr` lift what `Vec<u8>` and `String` do, in place).
                let typed: InputCall<'_> = unsafe { TypedFunc::new_unchecked(func) };
                let (answer,) = typed.call(&mut *store, (input, state))?;
                read_in_place(answer, store, read)
            }
            Exports::Direct(d) => d.call_input(store, matches!(export, InputExport::OnEvent), input, state, read),
        })
    }

    /// `on-purchase-batch`; `read` gets the answer as [`call_input`](Self::call_input)'s.
    pub fn call_batch<R>(
        &mut self,
        limits: &Limits,
        batch: &[u8],
        read: impl FnOnce(Result<&[u8], &str>) -> R,
    ) -> Result<(R, Vec<LogLine>), Failure> {
        self.run(limits, |exports, store| match exports {
            Exports::Component { on_purchase_batch, .. } => {
                // SAFETY: type-checked as `func(list<u8>) -> result<list<u8>, string>`, as above.
                let typed: BatchCall<'_> = unsafe { TypedFunc::new_unchecked(*on_purchase_batch) };
                let (answer,) = typed.call(&mut *store, (batch,))?;
                read_in_place(answer, store, read)
            }
            Exports::Direct(d) => d.call_batch(store, batch, read),
        })
    }

    /// Runs `f` with a full CPU-time budget, and classifies what went wrong. After an `Err`
    /// the instance must not be used again.
    fn run<R>(
        &mut self,
        limits: &Limits,
        f: impl FnOnce(&Exports, &mut Store<GuestState>) -> wasmtime::Result<R>,
    ) -> Result<(R, Vec<LogLine>), Failure> {
        self.store.data_mut().reset();
        self.store.set_epoch_deadline(1);
        let result = f(&self.exports, &mut self.store);
        self.calls += 1;
        let logs = self.store.data_mut().take_logs();
        match result {
            Ok(r) => Ok((r, logs)),
            Err(e) => Err(classify(e, self.store.data(), limits, logs)),
        }
    }
}

/// Hands an answer lifted as a view of guest memory to `read`; a policy error that is not
/// UTF-8 fails the call as a trap (as lifting it as a `String` did).
fn read_in_place<R>(
    answer: Result<WasmList<u8>, WasmStr>,
    store: &Store<GuestState>,
    read: impl FnOnce(Result<&[u8], &str>) -> R,
) -> wasmtime::Result<R> {
    Ok(match answer {
        Ok(bytes) => read(Ok(bytes.as_le_slice(store))),
        Err(message) => read(Err(&message.to_str(store)?)),
    })
}

/// A clock tick passed during a call (see `clock.rs`): the first one starts the call's CPU
/// clock, later ones stop the call once it has used its CPU time. A call is charged only
/// for the CPU it uses after the first tick, so at least its limit, at most one tick more.
fn on_tick(mut cx: StoreContextMut<'_, GuestState>) -> wasmtime::Result<UpdateDeadline> {
    let state = cx.data_mut();
    let now = cpu_time::ThreadTime::now().as_duration();
    match state.cpu_started {
        None => state.cpu_started = Some(now),
        Some(started) if now.saturating_sub(started) >= state.cpu_limit => {
            state.timed_out = true;
            return Ok(UpdateDeadline::Interrupt);
        }
        Some(_) => {}
    }
    Ok(UpdateDeadline::Continue(1))
}

fn classify(e: wasmtime::Error, state: &GuestState, limits: &Limits, logs: Vec<LogLine>) -> Failure {
    let trap = e.downcast_ref::<Trap>().copied();
    let (kind, message) = if state.timed_out {
        (FailureKind::Timeout, format!("used more than {} ms of CPU time: an endless loop or too much work", limits.cpu_ms))
    } else if let Some(panic) = &state.panic {
        (FailureKind::Panic, panic.clone())
    } else if let Some(desired) = state.memory_denied {
        (FailureKind::MemoryLimit, format!("tried to grow memory to {} KiB; the limit is {} KiB", desired >> 10, limits.memory >> 10))
    } else {
        let message = match trap {
            Some(t) => format!("trapped: {t}"),
            None => format!("{e:#}"),
        };
        (FailureKind::Trap, message)
    };
    Failure { kind, message, logs }
}

pub(super) fn failure(kind: FailureKind, message: impl Into<String>) -> Failure {
    Failure { kind, message: message.into(), logs: Vec::new() }
}

// ------------------------------------------------------------------ across the boundary

/// Decodes an outcome's bytes and checks them against the contract and the limits; with
/// [`Detail::Totals`] its reasons and progress are checked, then left out.
pub(super) fn outcome(bytes: &[u8], limits: &Limits, detail: Detail) -> Result<Outcome, String> {
    let (o, skipped) = match detail {
        Detail::Full => perk_sdk::wire::decode_outcome(bytes).map(|o| (o, Skipped::default())),
        Detail::Totals => perk_sdk::wire::decode_outcome_without_text(bytes),
    }
    .map_err(|e| format!("the outcome does not decode: {e}"))?;
    if o.rewards.len() > limits.max_rewards {
        return Err(format!("{} rewards; at most {} are accepted", o.rewards.len(), limits.max_rewards));
    }
    if let Some(state) = &o.state {
        if state.len() > limits.state_size {
            return Err(format!("state of {} bytes; at most {} are kept", state.len(), limits.state_size));
        }
        // It goes back to the policy as a JSON value (`guest_state`): checked now, so a bad
        // one fails the call that made it rather than every later one.
        perk_sdk::wire::json_to_wire(state).map_err(|e| format!("the state is not JSON: {}", e.into_message()))?;
    }
    let progress = o.progress.len() + skipped.progress;
    if progress > limits.max_rewards {
        return Err(format!("{progress} progress entries; at most {} are accepted", limits.max_rewards));
    }
    let mut text = skipped.text;
    for (i, g) in o.rewards.iter().enumerate() {
        let non_negative = |what: &str, v: i64| if v < 0 { Err(format!("reward {i}: {what} is negative ({v})")) } else { Ok(()) };
        text += g.reason.len();
        match &g.reward {
            Reward::Points { amount } => non_negative("points", *amount)?,
            Reward::PointsFor { customer, amount } => {
                text += customer.len();
                if customer.trim().is_empty() {
                    return Err(format!("reward {i}: points for a customer without an id"));
                }
                non_negative("points", *amount)?
            }
            Reward::OrderDiscount { amount } => non_negative("order discount", *amount)?,
            Reward::ItemDiscount { sku, amount } => {
                text += sku.len();
                non_negative("item discount", *amount)?
            }
            Reward::PercentDiscount { basis_points } if *basis_points > 10_000 => {
                return Err(format!("reward {i}: percent discount of {basis_points} basis points is over 100 %"))
            }
            Reward::PercentDiscount { .. } | Reward::FreeShipping => {}
            Reward::Cashback { amount } => non_negative("cashback", *amount)?,
            Reward::Coupon(c) => {
                text += c.code.len();
                if c.code.trim().is_empty() {
                    return Err(format!("reward {i}: coupon without a code"));
                }
                if c.percent_off > 10_000 {
                    return Err(format!("reward {i}: coupon of {} basis points is over 100 %", c.percent_off));
                }
                non_negative("coupon amount", c.amount_off)?
            }
            Reward::SetTier { tier: name } | Reward::Badge { name } | Reward::Perk { name } => text += name.len(),
        }
    }
    text += o.progress.iter().map(|p| p.goal.len() + p.unit.len()).sum::<usize>();
    if text > limits.output_text {
        return Err(format!("{text} bytes of text in the outcome; at most {} are accepted", limits.output_text));
    }
    Ok(o)
}

#[cfg(test)]
mod tests {
    use super::outcome;
    use crate::runtime::{Detail, Limits};
    use perk_sdk::wire::encode_outcome;
    use perk_sdk::{Outcome, Reward};

    /// A guest writes its answer's bytes itself: whatever it writes, the host either reads a
    /// valid outcome or says precisely what is wrong.
    #[test]
    fn guest_bytes_are_checked_before_they_are_trusted() {
        let limits = Limits { max_rewards: 2, output_text: 40, ..Limits::default() };
        let fine = Outcome::new().points(5, "five").progress("free coffee", 1, 5, "purchases");
        assert_eq!(outcome(&encode_outcome(&fine), &limits, Detail::Full).unwrap(), fine);
        let junk_state = Outcome { state: Some(b"{\"count\": 4".to_vec()), ..Outcome::new() };
        let cases: [(Vec<u8>, &str); 8] = [
            (encode_outcome(&junk_state), "the state is not JSON: unexpected end of input at line 1 column 12"),
            (vec![1, 0, 0, 0, 11], "the outcome does not decode: unknown reward kind at byte 4"),
            (vec![0xff; 3], "the outcome does not decode: unexpected end at byte 0"),
            (encode_outcome(&Outcome::new()).into_iter().chain([0]).collect(), "trailing bytes"),
            (encode_outcome(&Outcome::new().order_discount(-1, "d")), "reward 0: order discount is negative (-1)"),
            (encode_outcome(&Outcome::new().reward(Reward::PercentDiscount { basis_points: 10_001 }, "p")), "is over 100 %"),
            (encode_outcome(&Outcome::new().points(1, "a").points(1, "b").points(1, "c")), "3 rewards; at most 2"),
            (encode_outcome(&Outcome::new().points(1, "x".repeat(41))), "41 bytes of text in the outcome; at most 40"),
        ];
        for (bytes, want) in cases {
            for detail in [Detail::Full, Detail::Totals] {
                let got = outcome(&bytes, &limits, detail).unwrap_err();
                assert!(got.contains(want), "{bytes:?}, {detail:?}: `{got}` lacks `{want}`");
            }
        }
        // Left-out progress still counts against the limits.
        let progress = Outcome::new().progress("a", 1, 5, "purchases").progress("b", 1, 5, "purchases").progress("c", 1, 5, "purchases");
        assert!(outcome(&encode_outcome(&progress), &limits, Detail::Totals).unwrap_err().contains("3 progress entries; at most 2"));
        let long = Outcome::new().progress("g".repeat(40), 1, 5, "purchases");
        assert!(outcome(&encode_outcome(&long), &limits, Detail::Totals).unwrap_err().contains("49 bytes of text"));
        let lean = outcome(&encode_outcome(&fine), &limits, Detail::Totals).unwrap();
        assert_eq!(
            (lean.rewards[0].reward.clone(), lean.rewards[0].reason.as_str(), lean.progress.len()),
            (Reward::Points { amount: 5 }, "", 0)
        );
    }
}
