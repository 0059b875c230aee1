//! Perk: a loyalty-program engine. Reward policies are sandboxed WebAssembly components
//! described by a TOML campaign manifest; every purchase is evaluated against all active
//! policies and their rewards are combined by explicit rules.
//!
//! Entry points: [`registry::Campaign::load`] (manifest → loaded, checked policies),
//! [`evaluate::purchase`] (a purchase → combined, explained rewards), [`runtime::Runtime`]
//! (the sandbox). `main.rs` is a thin CLI over these.

pub mod combine;
pub mod evaluate;
pub mod files;
pub mod guest_build;
pub mod input;
pub mod ledger;
pub mod manifest;
pub mod prune;
pub mod registry;
pub mod runtime;
pub mod scaffold;
pub mod service;
pub mod simulate;
pub mod stdlib;

pub use evaluate::{Evaluation, Situation};
pub use manifest::{Manifest, ManifestError};
pub use registry::{BuildOptions, Campaign};
pub use runtime::{Detail, Isolation, Limits, Runtime};

/// The SDK this binary was built with, for `perk new policy`.
pub fn sdk_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../sdk")
}

/// Unix milliseconds now: the host's clock, the only one policies see.
pub fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}
