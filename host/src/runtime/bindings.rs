//! The host side of `sdk/wit/policy.wit`. Nothing outside `runtime` names these types.

use anyhow::Result;
use wasmtime::component::{HasSelf, Linker};
use wasmtime::Engine;

wasmtime::component::bindgen!({ world: "policy", path: "../sdk/wit" });

pub use perk::policy::types;

pub fn linker(engine: &Engine) -> Result<Linker<super::call::GuestState>> {
    let mut linker = Linker::new(engine);
    Policy::add_to_linker::<_, HasSelf<_>>(&mut linker, |state| state)?;
    Ok(linker)
}
