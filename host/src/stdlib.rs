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

/// The core module inside the standard policy `name`'s component.
#[cfg(test)]
pub(crate) fn core_module(name: &str) -> Vec<u8> {
    let component = get(name).expect("a standard policy");
    wasmparser::Parser::new(0)
        .parse_all(component)
        .find_map(|p| match p {
            Ok(wasmparser::Payload::ModuleSection { unchecked_range, .. }) => {
                Some(component[unchecked_range.start as usize..unchecked_range.end as usize].to_vec())
            }
            _ => None,
        })
        .expect("a core module inside")
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
