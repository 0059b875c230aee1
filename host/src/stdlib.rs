//! The standard policies (`policies/*`), built to components by `build.rs` and embedded,
//! so a campaign of standard policies needs no Rust toolchain.

include!(concat!(env!("OUT_DIR"), "/stdlib.rs"));

/// The component of a standard policy.
pub fn get(name: &str) -> Option<&'static [u8]> {
    STD.iter().find(|(n, _)| *n == name).map(|(_, bytes)| *bytes)
}

pub fn names() -> impl Iterator<Item = &'static str> {
    STD.iter().map(|(n, _)| *n)
}
