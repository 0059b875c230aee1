//! Logging, the one capability a policy has. On wasm the host receives the message (and
//! shows it with the policy's id); natively it goes to stderr.

#[allow(unused_imports)]
use crate::__alloc::*;
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
}

pub fn log(level: Level, message: &str) {
    #[cfg(all(target_arch = "wasm32", not(feature = "no-component-exports")))]
    {
        use crate::__bindings::perk::policy::types::Level as W;
        let l = match level {
            Level::Trace => W::Trace,
            Level::Debug => W::Debug,
            Level::Info => W::Info,
            Level::Warn => W::Warn,
            Level::Error => W::Error,
        };
        crate::__bindings::log(l, message);
    }
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("[{level:?}] {message}");
    #[cfg(all(target_arch = "wasm32", feature = "no-component-exports"))]
    let _ = (level, message);
}

pub fn debug(message: &str) {
    log(Level::Debug, message)
}

pub fn info(message: &str) {
    log(Level::Info, message)
}

pub fn warn(message: &str) {
    log(Level::Warn, message)
}

pub fn error(message: &str) {
    log(Level::Error, message)
}
