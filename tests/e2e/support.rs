//! Shared helpers: running the binary, building fixture crates once, golden files.

use perk_host::registry::{build_crate, BuildOptions};
use perk_host::{Limits, Runtime};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Mutex, OnceLock};

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// `<target>/guests`: where wasm builds go in tests, shared with host/build.rs so guest
/// dependencies compile once, and apart from the target dir `cargo test` holds locked.
pub fn guest_target_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.ancestors().find(|d| d.join("CACHEDIR.TAG").is_file()).expect("test runs inside a cargo target dir").join("guests")
}

pub fn build_options() -> BuildOptions {
    BuildOptions { target_dir: Some(guest_target_dir()), ..BuildOptions::default() }
}

/// `perk <args>` with the guest target dir and a private compile cache.
pub fn perk(args: &[&str]) -> Output {
    perk_in(&root(), args)
}

pub fn perk_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_perk"))
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", guest_target_dir())
        .env("PERK_CACHE_DIR", guest_target_dir().join("perk-cache"))
        .output()
        .expect("perk runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The hostile fixture policy, built once per test run.
pub fn hostile_component() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(|| {
        let _guard = cargo_lock();
        build_crate(&root().join("tests/fixtures/hostile"), &build_options()).expect("hostile fixture builds").component
    })
}

/// Serialises cargo invocations from tests (they would only wait on cargo's own lock).
pub fn cargo_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

pub fn runtime() -> Runtime {
    Runtime::new(Limits::default(), None).unwrap()
}

/// Compares `actual` with `tests/e2e/golden/<name>`; `UPDATE_GOLDEN=1` rewrites it.
pub fn golden(name: &str, actual: &str) {
    let path = root().join("tests/e2e/golden").join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("{} missing: run with UPDATE_GOLDEN=1", path.display()));
    if want != actual {
        panic!("{} differs (UPDATE_GOLDEN=1 rewrites it):\n--- want\n{want}\n--- got\n{actual}", path.display());
    }
}

/// Replaces module hashes, which change with every policy edit, for golden files.
pub fn redact_versions(json: &mut serde_json::Value) {
    match json {
        serde_json::Value::Object(m) => {
            for (k, v) in m.iter_mut() {
                if k == "version" && v.as_str().is_some_and(|s| s.starts_with("sha256:")) {
                    *v = "sha256:…".into();
                } else {
                    redact_versions(v);
                }
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(redact_versions),
        _ => {}
    }
}
