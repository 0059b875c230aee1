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

#[cfg(test)]
mod tests {
    /// The performance issue's bound on a standard module (the component `perk` loads),
    /// as built with Binaryen's `wasm-opt` (CI installs it; without it modules are 13 %
    /// larger and this is not checked). PERFORMANCE.md has the sizes.
    #[test]
    fn every_standard_module_is_at_most_40_kb() {
        if crate::guest_build::wasm_opt().is_none() {
            eprintln!("wasm-opt not found: module sizes not checked");
            return;
        }
        let over: Vec<String> =
            super::STD.iter().filter(|(_, bytes)| bytes.len() > 40_000).map(|(name, bytes)| format!("{name}: {} B", bytes.len())).collect();
        assert!(over.is_empty(), "over 40,000 B: {over:?}");
        assert_eq!(super::STD.len(), 15);
    }
}
