//! Building SDK crates into policy components: `cargo build` for `wasm32-unknown-unknown`
//! with size-tuned release settings, then Binaryen's `wasm-opt` when it is installed, then
//! the core module is wrapped as a component.
//!
//! Shared by `host/build.rs` (which embeds the standard policies) and `perk build`, so both
//! produce the same bytes. Depends on std, serde_json, wasmparser, wasm-encoder,
//! wit-component, `files` and `prune` only.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::files::{unique_sibling, Scratch};

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
        let hint = if target_missing(cargo) {
            format!(" (the {TARGET} target is not installed: `rustup target add {TARGET}`)")
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

/// Whether the rustc next to `cargo` (or `RUSTC`, or on `PATH`) has no standard library for
/// [`TARGET`]: its target libdir is missing or holds no `libcore`.
fn target_missing(cargo: &Path) -> bool {
    let rustc = std::env::var_os("RUSTC").map(PathBuf::from).unwrap_or_else(|| {
        let beside = cargo.with_file_name("rustc");
        if beside.is_file() {
            beside
        } else {
            PathBuf::from("rustc")
        }
    });
    has_no_std_for_target(&rustc)
}

fn has_no_std_for_target(rustc: &Path) -> bool {
    let Ok(out) = Command::new(rustc).args(["--print", "target-libdir", "--target", TARGET]).output() else { return false };
    let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    out.status.success()
        && !std::fs::read_dir(dir).is_ok_and(|mut d| d.any(|e| e.is_ok_and(|e| e.file_name().to_string_lossy().starts_with("libcore-"))))
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

/// The core module at `wasm`, with the functions it can never run pruned ([`crate::prune`])
/// and then `wasm-opt -O3` run when [`wasm_opt`] finds the tool (written next to it as
/// `<name>.opt.wasm`). Binaryen removes what LLVM leaves after LTO: 12-14 % fewer bytes for
/// the standard policies, calls as fast or faster (PERFORMANCE.md).
pub fn optimized_core(wasm: &Path) -> Result<Vec<u8>, String> {
    let bytes = std::fs::read(wasm).map_err(|e| format!("cannot read {}: {e}", wasm.display()))?;
    let pruned = crate::prune::prune(&bytes).map_err(|e| format!("{}: {e}", wasm.display()))?;
    let Some(tool) = wasm_opt() else { return Ok(pruned.map_or(bytes, |p| p.wasm)) };
    let out = wasm.with_extension("opt.wasm");
    match pruned {
        None => optimize_with(&tool, wasm, &out),
        Some(p) => {
            let input = Scratch(unique_sibling(&wasm.with_extension("pruned.wasm")));
            std::fs::write(&input.0, &p.wasm).map_err(|e| format!("cannot write {}: {e}", input.0.display()))?;
            optimize_with(&tool, &input.0, &out)
        }
    }
}

/// `tool -O3` on the core module at `wasm`, the result written to `out_path`.
///
/// Several processes may build the same crate into one target dir at once (tests, `perk`
/// runs): each has wasm-opt write a file of its own, read it, and only then rename it into
/// place, so nobody reads a file another run is still writing.
fn optimize_with(tool: &Path, wasm: &Path, out_path: &Path) -> Result<Vec<u8>, String> {
    let scratch = Scratch(unique_sibling(out_path));
    let out = Command::new(tool)
        .arg("-O3")
        .args(WASM_FEATURES)
        .arg(wasm)
        .arg("-o")
        .arg(&scratch.0)
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
    let bytes = std::fs::read(&scratch.0).map_err(|e| format!("cannot read {}: {e}", scratch.0.display()))?;
    std::fs::rename(&scratch.0, out_path).map_err(|e| format!("cannot write {}: {e}", out_path.display()))?;
    Ok(bytes)
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
        let err = optimize_with(Path::new("/nonexistent/wasm-opt"), &wasm, &wasm.with_extension("opt.wasm")).unwrap_err();
        assert!(err.starts_with("cannot run /nonexistent/wasm-opt (set PERK_WASM_OPT=off"), "{err}");
        let err = optimize_with(Path::new("false"), &wasm, &wasm.with_extension("opt.wasm")).unwrap_err();
        assert!(err.contains("p.wasm failed (exit status: 1)") && err.ends_with("(set PERK_WASM_OPT=off to build without it)"), "{err}");
    }

    #[test]
    fn a_missing_target_is_recognised() {
        assert!(!has_no_std_for_target(Path::new("rustc")), "CI installs {TARGET}");
        let dir = tempfile::tempdir().unwrap();
        let fake = dir.path().join("rustc");
        std::fs::write(&fake, format!("#!/bin/sh\necho {}/nowhere\n", dir.path().display())).unwrap();
        std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        assert!(has_no_std_for_target(&fake));
        // A rustc that cannot be asked is not taken for a missing target.
        assert!(!has_no_std_for_target(&dir.path().join("no-rustc")));
    }

    #[test]
    fn wasm_opt_keeps_a_module_valid() {
        let Some(tool) = wasm_opt() else { return };
        let dir = tempfile::tempdir().unwrap();
        let wasm = dir.path().join("welcome.wasm");
        // The embedded `welcome` component's core module (optimized once already, when wasm-opt
        // was found at build time): the tool's output is a valid module with the same exports.
        let core = crate::stdlib::core_module("welcome");
        std::fs::write(&wasm, &core).unwrap();
        let optimized = optimize_with(&tool, &wasm, &wasm.with_extension("opt.wasm")).unwrap();
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

    /// Concurrent builds of one crate (the e2e tests run `perk` several times at once) each
    /// get the whole optimized module, and leave no scratch files behind.
    #[test]
    fn concurrent_optimizations_of_one_module_each_read_a_whole_result() {
        let Some(tool) = wasm_opt() else { return };
        let dir = tempfile::tempdir().unwrap();
        let wasm = dir.path().join("points.wasm");
        std::fs::write(&wasm, crate::stdlib::core_module("points")).unwrap();
        let expected = optimize_with(&tool, &wasm, &wasm.with_extension("opt.wasm")).unwrap();
        std::thread::scope(|s| {
            for _ in 0..6 {
                s.spawn(|| {
                    for _ in 0..4 {
                        assert!(
                            optimize_with(&tool, &wasm, &wasm.with_extension("opt.wasm")).unwrap() == expected,
                            "a partial or different module"
                        );
                    }
                });
            }
        });
        let mut left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        left.sort();
        assert_eq!(left, ["points.opt.wasm", "points.wasm"]);
        assert_eq!(std::fs::read(dir.path().join("points.opt.wasm")).unwrap(), expected);
    }
}
