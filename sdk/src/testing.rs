//! Native test harness: run a policy under `cargo test`, no wasm, no host.
//!
//! The harness keeps one customer and this policy's state for them, and after each purchase
//! updates the customer the way the Perk ledger does (purchase count, lifetime spend,
//! points, tier, first and last purchase), so a sequence of purchases reads like a story:
//!
//! ```
//! # use perk_sdk::prelude::*;
//! # #[derive(FromJson)] pub struct Config { every: u32 }
//! # #[perk_sdk::policy]
//! # fn stamp(c: &Config, _p: &Purchase, cu: &Customer, _x: &Context) -> Outcome {
//! #     if (cu.purchases + 1) % c.every == 0 { Outcome::new().points(10, "stamp") } else { Outcome::new() }
//! # }
//! use perk_sdk::testing::Harness;
//! let mut h = Harness::<Stamp>::new("every = 2");
//! assert_eq!(h.purchase(Purchase::new("p1", 100)).points_total(), 0);
//! assert_eq!(h.purchase(Purchase::new("p2", 100)).points_total(), 10);
//! assert_eq!(h.customer().points, 10);
//! ```

use crate::{Context, Customer, Event, Outcome, Policy, Purchase, Result, Reward, Timestamp};

/// 2026-01-01T00:00:00Z, the harness clock's default.
pub const DEFAULT_NOW: Timestamp = 1_767_225_600_000;

pub struct Harness<P: Policy> {
    config: P::Config,
    customer: Customer,
    state: Vec<u8>,
    now: Timestamp,
    policy_id: String,
    variant: Option<String>,
}

/// Turns a config written as in `perk.toml` (`unit = 100`) into the JSON the host sends.
pub fn config_json(config_toml: &str) -> Result<String> {
    let table: toml::Table = config_toml.parse().map_err(|e| crate::Error::msg(format!("config TOML: {e}")))?;
    serde_json::to_string(&table).map_err(crate::Error::msg)
}

impl<P: Policy> Harness<P> {
    /// A harness for a config written as the `[policy.config]` table of a manifest.
    /// Panics with the config error, which is what a test wants.
    pub fn new(config_toml: &str) -> Self {
        match Self::try_new(config_toml) {
            Ok(h) => h,
            Err(e) => panic!("bad config: {e}"),
        }
    }

    /// Like [`Harness::new`], returning the config error (to test validation).
    pub fn try_new(config_toml: &str) -> Result<Self> {
        // As the host passes it: the TOML table as JSON, then in the wire encoding.
        let config = crate::wire::json_to_wire(config_json(config_toml)?.as_bytes())?;
        let config = crate::config_from_wire::<P>(&config)?;
        Ok(Harness {
            config,
            customer: Customer::new("c1"),
            state: Vec::new(),
            now: DEFAULT_NOW,
            policy_id: "policy".into(),
            variant: None,
        })
    }

    /// Starts from this customer instead of a new one.
    pub fn with_customer(mut self, customer: Customer) -> Self {
        self.customer = customer;
        self
    }

    pub fn with_variant(mut self, variant: impl Into<String>) -> Self {
        self.variant = Some(variant.into());
        self
    }

    /// Sets the clock (unix milliseconds) for the next calls.
    pub fn at(&mut self, now: Timestamp) -> &mut Self {
        self.now = now;
        self
    }

    pub fn customer(&self) -> &Customer {
        &self.customer
    }

    pub fn customer_mut(&mut self) -> &mut Customer {
        &mut self.customer
    }

    /// The state the policy stored for this customer, decoded.
    pub fn state<T: crate::FromJson + Default>(&self) -> Result<T> {
        self.context().state()
    }

    fn context(&self) -> Context {
        Context { now: self.now, policy_id: self.policy_id.clone(), variant: self.variant.clone(), state: self.state.clone() }
    }

    /// Runs `on_purchase` and applies the outcome; panics on a policy error.
    pub fn purchase(&mut self, purchase: Purchase) -> Outcome {
        self.try_purchase(purchase).unwrap_or_else(|e| panic!("on_purchase failed: {e}"))
    }

    /// Runs `on_purchase`; on success applies the outcome to the customer and the state.
    /// An empty `customer_id` or a zero `at` are filled from the harness.
    pub fn try_purchase(&mut self, mut purchase: Purchase) -> Result<Outcome> {
        if purchase.customer_id.is_empty() {
            purchase.customer_id = self.customer.id.clone();
        }
        if purchase.at == 0 {
            purchase.at = self.now;
        }
        let out = P::on_purchase(&self.config, &purchase, &self.customer, &self.context())?;
        let state = next_state(&out)?;
        let c = &mut self.customer;
        c.purchases += 1;
        c.lifetime_spend += purchase.total;
        c.first_purchase_at.get_or_insert(purchase.at);
        c.last_purchase_at = Some(purchase.at);
        self.apply(&out, state);
        Ok(out)
    }

    /// Runs `on_event`; panics on a policy error.
    pub fn event(&mut self, event: Event) -> Outcome {
        self.try_event(event).unwrap_or_else(|e| panic!("on_event failed: {e}"))
    }

    pub fn try_event(&mut self, mut event: Event) -> Result<Outcome> {
        if event.customer_id.is_empty() {
            event.customer_id = self.customer.id.clone();
        }
        if event.at == 0 {
            event.at = self.now;
        }
        let out = P::on_event(&self.config, &event, &self.customer, &self.context())?;
        let state = next_state(&out)?;
        self.apply(&out, state);
        Ok(out)
    }

    fn apply(&mut self, out: &Outcome, state: Option<Vec<u8>>) {
        for g in &out.rewards {
            match &g.reward {
                Reward::Points { amount } => self.customer.points += amount,
                // An empty tier clears it, as in the ledger.
                Reward::SetTier { tier } => self.customer.tier = Some(tier.clone()).filter(|t| !t.is_empty()),
                _ => {}
            }
        }
        if let Some(state) = state {
            self.state = state;
        }
    }
}

/// The state a policy answered (JSON text), as the host passes it back on the next call (a
/// JSON value in the wire encoding); an answer that is not JSON fails the call, as in the host.
fn next_state(out: &Outcome) -> Result<Option<Vec<u8>>> {
    let Some(state) = &out.state else { return Ok(None) };
    crate::wire::json_to_wire(state)
        .map(Some)
        .map_err(|e| crate::Error::msg(format!("the policy answered a state that is not JSON: {}", e.into_message())))
}

/// The JSON Schema of a config type, as `describe` shows it.
#[cfg(feature = "schema")]
pub fn config_schema<C: schemars::JsonSchema>() -> String {
    let schema = schemars::schema_for!(C);
    serde_json::to_string_pretty(&schema).expect("a schema serialises") + "\n"
}

/// Checks that `path` (a policy's `config.schema.json`, embedded as its
/// `Policy::CONFIG_SCHEMA`) is the schema of `C`; with `UPDATE_SCHEMA=1`, writes it.
#[cfg(feature = "schema")]
pub fn check_config_schema<C: schemars::JsonSchema>(path: &str) {
    let want = config_schema::<C>();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(path, &want).unwrap_or_else(|e| panic!("cannot write {path}: {e}"));
        return;
    }
    let have = std::fs::read_to_string(path).unwrap_or_default();
    assert!(have == want, "{path} is not the schema of the config type; run the tests with UPDATE_SCHEMA=1 to rewrite it");
}
