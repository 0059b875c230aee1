//! The sandbox clock: one thread advances the epoch of every live engine each [`TICK`].
//!
//! Compiled guest code checks the epoch at function entries and loop back-edges (a load
//! and a compare, far cheaper than metering fuel per basic block). When a call's deadline
//! passes, the store's callback (`call.rs`) reads the calling thread's CPU clock and either
//! lets the call go on or stops it: the limit is CPU time used, not time waited for a core.

use std::sync::{Mutex, Once};
use std::time::Duration;
use wasmtime::{Engine, EngineWeak};

/// How often the epoch advances: the granularity of the CPU-time limit.
pub(crate) const TICK: Duration = Duration::from_millis(2);

static ENGINES: Mutex<Vec<EngineWeak>> = Mutex::new(Vec::new());

/// Ticks `engine`'s epoch from now on, for as long as the engine lives.
pub(crate) fn watch(engine: &Engine) {
    ENGINES.lock().unwrap_or_else(|p| p.into_inner()).push(engine.weak());
    static START: Once = Once::new();
    START.call_once(|| {
        std::thread::Builder::new()
            .name("perk-clock".into())
            .spawn(|| loop {
                std::thread::sleep(TICK);
                let mut engines = ENGINES.lock().unwrap_or_else(|p| p.into_inner());
                engines.retain(|weak| match weak.upgrade() {
                    Some(engine) => {
                        engine.increment_epoch();
                        true
                    }
                    None => false,
                });
            })
            .expect("can start the sandbox clock thread");
    });
}
