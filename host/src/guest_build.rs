//! Building SDK crates into policy components: `cargo build` for `wasm32-unknown-unknown`
//! with size-tuned release settings, then Binaryen's `wasm-opt` when it is installed, then
//! the core module is wrapped as a component.
//!
//! Shared by `host/build.rs` (which embeds the standard policies) and `perk build`, so both
//! produce the same bytes. Depends on std, serde_json and wit-component only.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub const TARGET: &str = "wasm32-unknown-unknown";

/// Release settings for guests: small modules, no unwinding (a panic traps; the SDK sends
/// its message to the host first).
const PROFILE: &[&str] = &[
    // Not "s": opt-level 2 makes the replay 10 % faster for 0.8 % more bytes over the 15
    // standard modules (-1.8 KB to +3.5 KB each; PERFORMANCE.md). LTO does the shrinking.
    "profile.release.opt-level=2",
    "profile.release.lto=true",
    "profile.release.strip=true",
    "profile.release.panic=\"abort\"",
    "profile.release.codegen-units=1",
    "profile.release.debug=false",
    // A 128 KiB stack instead of 1 MiB: a fresh instance then touches (page-faults) far
    // less memory, and the heap starts where the engine keeps memory resident.
    "target.wasm32-unknown-unknown.rustflags=[\"-C\", \"link-arg=-zstack-size=131072\"]",
];

/// One built policy: the package name and its core wasm module.
#[derive(Debug, Clone)]
pub struct Built {
    pub package: String,
    pub wasm: PathBuf,
}

/// `cargo build --release --target wasm32-unknown-unknown` of `manifest` (only `packages`
/// when given), with cargo arguments `more` (`--no-default-features`). Cargo's diagnostics
/// go to our stderr; its error becomes the message.
pub fn cargo_build(
    cargo: &Path,
    manifest: &Path,
    packages: &[String],
    more: &[&str],
    target_dir: Option<&Path>,
) -> Result<Vec<Built>, String> {
    let mut cmd = Command::new(cargo);
    cmd.arg("build").arg("--manifest-path").arg(manifest).args([
        "--release",
        "--target",
        TARGET,
        "--message-format=json-render-diagnostics",
    ]);
    for p in PROFILE {
        cmd.args(["--config", p]);
    }
    for p in packages {
        cmd.args(["-p", p]);
    }
    cmd.args(more);
    if let Some(dir) = target_dir {
        cmd.arg("--target-dir").arg(dir);
    }
    // Settings of an enclosing cargo (when run from a build script or a test) are for the
    // host target, not for wasm.
    for var in [
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTFLAGS",
        "CARGO_BUILD_TARGET",
        "CARGO_MAKEFLAGS",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_PRIMARY_PACKAGE",
    ] {
        cmd.env_remove(var);
    }
    cmd.stdout(Stdio::piped()).stderr(Stdio::inherit());
    let out = cmd.output().map_err(|e| format!("cannot run {}: {e}", cargo.display()))?;
    if !out.status.success() {
        let hint = if String::from_utf8_lossy(&out.stdout).contains("E0463") {
            format!(" (is the target installed? `rustup target add {TARGET}`)")
        } else {
            String::new()
        };
        return Err(format!("cargo build of {} failed{hint}; see the compiler output above", manifest.display()));
    }
    let mut built = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(line) else { continue };
        if msg["reason"] != "compiler-artifact" {
            continue;
        }
        let is_cdylib = msg["target"]["kind"].as_array().is_some_and(|k| k.iter().any(|k| k == "cdylib"));
        if !is_cdylib {
            continue;
        }
        let package = msg["target"]["name"].as_str().unwrap_or_default().to_string();
        let wasm = msg["filenames"].as_array().into_iter().flatten().filter_map(|f| f.as_str()).find(|f| f.ends_with(".wasm"));
        if let Some(wasm) = wasm {
            built.push(Built { package, wasm: PathBuf::from(wasm) });
        }
    }
    if built.is_empty() {
        return Err(format!(
            "cargo built no wasm library from {}; a policy crate needs `[lib] crate-type = [\"cdylib\"]`",
            manifest.display()
        ));
    }
    Ok(built)
}

/// The wasm features rustc's `wasm32-unknown-unknown` target uses: `wasm-opt` must accept
/// them, and must not introduce others.
const WASM_FEATURES: &[&str] = &[
    "--enable-bulk-memory",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-nontrapping-float-to-int",
    "--enable-multivalue",
    "--enable-reference-types",
];

/// The `wasm-opt` to run: `PERK_WASM_OPT` (a path, or `off` to skip), else `wasm-opt` on
/// `PATH`; `None` when there is none.
pub fn wasm_opt() -> Option<PathBuf> {
    match std::env::var_os("PERK_WASM_OPT") {
        Some(v) if v == "off" || v == "0" || v.is_empty() => None,
        Some(v) => Some(PathBuf::from(v)),
        None => std::env::split_paths(&std::env::var_os("PATH")?).map(|d| d.join("wasm-opt")).find(|p| p.is_file()),
    }
}

/// The core module at `wasm`, after `wasm-opt -O3` when [`wasm_opt`] finds the tool (written
/// next to it as `<name>.opt.wasm`). Binaryen removes what LLVM leaves after LTO: 12-14 %
/// fewer bytes for the standard policies, calls as fast or faster (PERFORMANCE.md).
pub fn optimized_core(wasm: &Path) -> Result<Vec<u8>, String> {
    match wasm_opt() {
        Some(tool) => optimize_with(&tool, wasm),
        None => std::fs::read(wasm).map_err(|e| format!("cannot read {}: {e}", wasm.display())),
    }
}

/// `tool -O3` on the core module at `wasm`; the result is written next to it.
fn optimize_with(tool: &Path, wasm: &Path) -> Result<Vec<u8>, String> {
    let out_path = wasm.with_extension("opt.wasm");
    let out = Command::new(tool)
        .arg("-O3")
        .args(WASM_FEATURES)
        .arg(wasm)
        .arg("-o")
        .arg(&out_path)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("cannot run {} (set PERK_WASM_OPT=off to build without it): {e}", tool.display()))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let first = stderr.lines().take(3).collect::<Vec<_>>().join(" / ");
        return Err(format!(
            "{} -O3 {} failed ({}): {first} (set PERK_WASM_OPT=off to build without it)",
            tool.display(),
            wasm.display(),
            out.status
        ));
    }
    std::fs::read(&out_path).map_err(|e| format!("cannot read {}: {e}", out_path.display()))
}

/// Wraps a core module built with perk-sdk as a component (no WASI adapter).
pub fn componentize(core: &[u8]) -> Result<Vec<u8>, String> {
    wit_component::ComponentEncoder::default().module(core).and_then(|e| e.validate(true).encode()).map_err(|e| format!("{e:#}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_or_failing_wasm_opt_is_a_precise_error() {
        let dir = tempfile::tempdir().unwrap();
        let wasm = dir.path().join("p.wasm");
        std::fs::write(&wasm, b"\0asm\x01\0\0\0").unwrap();
        let err = optimize_with(Path::new("/nonexistent/wasm-opt"), &wasm).unwrap_err();
        assert!(err.starts_with("cannot run /nonexistent/wasm-opt (set PERK_WASM_OPT=off"), "{err}");
        let err = optimize_with(Path::new("false"), &wasm).unwrap_err();
        assert!(err.contains("p.wasm failed (exit status: 1)") && err.ends_with("(set PERK_WASM_OPT=off to build without it)"), "{err}");
    }

    #[test]
    fn wasm_opt_keeps_a_module_valid() {
        let Some(tool) = wasm_opt() else { return };
        let dir = tempfile::tempdir().unwrap();
        let wasm = dir.path().join("welcome.wasm");
        // The embedded `welcome` component's core module (optimized once already, when wasm-opt
        // was found at build time): the tool's output is a valid module with the same exports.
        let component = crate::stdlib::get("welcome").unwrap();
        let core = wasmparser::Parser::new(0)
            .parse_all(component)
            .find_map(|p| match p {
                Ok(wasmparser::Payload::ModuleSection { unchecked_range, .. }) => {
                    Some(component[unchecked_range.start as usize..unchecked_range.end as usize].to_vec())
                }
                _ => None,
            })
            .expect("a core module inside");
        std::fs::write(&wasm, &core).unwrap();
        let optimized = optimize_with(&tool, &wasm).unwrap();
        wasmparser::Validator::new().validate_all(&optimized).expect("a valid module");
        let exports = |m: &[u8]| -> Vec<String> {
            wasmparser::Parser::new(0)
                .parse_all(m)
                .filter_map(|p| match p {
                    Ok(wasmparser::Payload::ExportSection(s)) => {
                        Some(s.into_iter().map(|e| e.unwrap().name.to_string()).collect::<Vec<_>>())
                    }
                    _ => None,
                })
                .flatten()
                .collect()
        };
        assert_eq!(exports(&optimized), exports(&core));
    }
}
