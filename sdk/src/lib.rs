//! # perk-sdk: reward policies in plain Rust
//!
//! A Perk policy is a pure function: a purchase, the customer as the ledger knows them, and
//! a context from the host (the time, this policy's per-customer state) go in; rewards with
//! reasons, a new state and progress toward goals come out. Put `#[perk_sdk::policy]` on
//! the function and the crate compiles to a sandboxed WebAssembly component the `perk`
//! host loads. The same crate runs natively under `cargo test` with [`testing::Harness`].
//!
//! ```
//! use perk_sdk::prelude::*;
//!
//! #[derive(FromJson)]
//! #[serde(deny_unknown_fields)]
//! pub struct Config {
//!     /// Bonus points for an order of at least `min_total` minor units.
//!     bonus: i64,
//!     min_total: Money,
//! }
//!
//! /// A flat bonus for big orders.
//! #[perk_sdk::policy]
//! fn big_order(config: &Config, purchase: &Purchase, _customer: &Customer, _ctx: &Context) -> Outcome {
//!     let out = Outcome::new().progress("big-order bonus", purchase.total, config.min_total, Unit::Money);
//!     if purchase.total >= config.min_total {
//!         out.points(config.bonus, format!("order of {} or more", money(config.min_total)))
//!     } else {
//!         out
//!     }
//! }
//!
//! // The attribute also defines `struct BigOrder`, which implements `Policy`:
//! let mut h = perk_sdk::testing::Harness::<BigOrder>::new("bonus = 50\nmin_total = 10000");
//! assert_eq!(h.purchase(Purchase::new("p1", 12000)).points_total(), 50);
//! ```
//!
//! Rules a policy keeps (the host relies on them):
//! - No clock but [`Context::now`], no randomness, no `static`s or thread-locals that
//!   outlive a call: the host reuses warm instances, and a call must give what it would on a
//!   fresh one (the host checks this at load and refuses a policy that differs). The SDK's
//!   allocator rewinds the heap after every call, so nothing allocated in a call survives it.
//! - Memory between purchases lives in the per-customer state ([`Context::state`],
//!   [`Outcome::state`]), which the host stores with the rewards.
//! - Money is integer minor units ([`Money`]); never floats.

// A lean guest (the SDK without its `std` feature) links no `std`: the SDK's panic handler
// reports a panic's place (and message, when not formatted) without `core::fmt`.
#![cfg_attr(all(target_arch = "wasm32", not(feature = "std")), no_std)]

extern crate alloc;
// `::perk_sdk::…` paths from the derives resolve inside the SDK too (its own tests).
extern crate self as perk_sdk;

/// What `std`'s prelude would give, for the SDK's modules and macros in a `no_std` build.
#[doc(hidden)]
pub mod __alloc {
    pub use alloc::borrow::ToOwned;
    pub use alloc::boxed::Box;
    pub use alloc::format;
    pub use alloc::string::{String, ToString};
    pub use alloc::vec;
    pub use alloc::vec::Vec;
}
#[allow(unused_imports)]
use __alloc::*;

mod arena;
pub mod calendar;
pub mod config;
pub mod json;
pub mod log;
mod model;
mod outcome;
mod table;
pub mod text;
pub mod wire;

#[cfg(not(target_arch = "wasm32"))]
pub mod testing;

#[doc(hidden)]
pub mod __rt;

#[cfg(target_arch = "wasm32")]
#[doc(hidden)]
pub mod __bindings {
    // The `log` import and the WIT types (and the world's description, which
    // `wit-component` reads). The exports are written in `__rt`, without wit-bindgen's
    // `export!` (which would add a post-return entry to every call).
    wit_bindgen::generate!({ world: "policy", path: "wit" });
}

pub use config::{Percent, RewardSpec};
pub use json::{FromJson, ToJson};
pub use model::{Context, Customer, Event, LineItem, Money, Purchase, Timestamp};
pub use outcome::{explaining, money, Coupon, Deferred, Granted, Outcome, Progress, Reason, Reward, Unit};
pub use perk_sdk_macros::{policy, FromJson, ToJson};
pub use table::Table;

/// The error a policy returns; the host reports its message next to the policy's id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(String);

impl Error {
    pub fn msg(message: impl core::fmt::Display) -> Self {
        Error(message.to_string())
    }
    pub fn message(&self) -> &str {
        &self.0
    }
    pub fn into_message(self) -> String {
        self.0
    }
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.0)
    }
}

impl core::error::Error for Error {}

impl From<String> for Error {
    fn from(s: String) -> Self {
        Error(s)
    }
}

impl From<&str> for Error {
    fn from(s: &str) -> Self {
        Error(s.to_string())
    }
}

impl From<json::Error> for Error {
    fn from(e: json::Error) -> Self {
        Error(e.into_message())
    }
}

pub type Result<T, E = Error> = core::result::Result<T, E>;

/// A reward policy. `#[perk_sdk::policy]` on a function implements it for you; put the
/// attribute on an `impl Policy for T` block to also react to activity events or to
/// validate a config beyond what its types check.
pub trait Policy {
    /// The `[policy.config]` table of the manifest, read with `#[derive(FromJson)]`. Use
    /// `#[serde(deny_unknown_fields)]` so that a typo in a key is an error rather than a
    /// silent default.
    type Config: FromJson + 'static;

    /// JSON Schema of [`Policy::Config`], shown by `describe` (`perk policies --schema`).
    /// Standard policies embed a `config.schema.json` generated from their config types
    /// by a test (see `testing::check_config_schema`).
    const CONFIG_SCHEMA: &'static str = "";

    /// Checks a parsed config for what its types cannot say (`every` must be at least 1).
    /// The message should name the key.
    fn validate(_config: &Self::Config) -> Result<()> {
        Ok(())
    }

    fn on_purchase(config: &Self::Config, purchase: &Purchase, customer: &Customer, ctx: &Context) -> Result<Outcome>;

    fn on_event(_config: &Self::Config, _event: &Event, _customer: &Customer, _ctx: &Context) -> Result<Outcome> {
        Ok(Outcome::new())
    }
}

/// Parses and validates a config given as JSON, naming the key at fault.
pub fn parse_config<P: Policy>(json: &str) -> Result<P::Config> {
    let config: P::Config = json::from_str(json)?;
    P::validate(&config)?;
    Ok(config)
}

/// Reads and validates a config given as a JSON value in the wire encoding (as the host
/// passes it to `configure`; [`wire::json_to_wire`]), naming the key at fault.
pub fn config_from_wire<P: Policy>(bytes: &[u8]) -> Result<P::Config> {
    let value = wire::decode_value(bytes).map_err(|e| Error::from(text::concat(&["config: ", &e.message()])))?;
    let config = P::Config::from_json(value)?;
    P::validate(&config)?;
    Ok(config)
}

/// Everything a policy file usually needs.
pub mod prelude {
    pub use crate::{
        money, Context, Coupon, Customer, Error, Event, Granted, LineItem, Money, Outcome, Percent, Policy, Progress, Purchase, Reason,
        Result, Reward, RewardSpec, Table, Timestamp, Unit,
    };
    // The JSON traits and their derives (same names), for configs and states.
    pub use crate::{reason, text};
    pub use crate::{FromJson, ToJson};
    // `std`'s prelude for the heap types, so a `#![no_std]` policy reads as any other.
    pub use crate::__alloc::{vec, Box, String, ToOwned, ToString, Vec};
}
