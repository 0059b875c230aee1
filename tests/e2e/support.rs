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

/// A `perk serve` child process; killed if a test panics before stopping it (an orphan
/// would hold the test harness's output open).
pub struct Server {
    child: Option<std::process::Child>,
    pub addr: String,
    log_rx: Option<std::sync::mpsc::Receiver<String>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Server {
    /// SIGTERM, then the exit must be clean; returns the rest of the server's stderr.
    pub fn stop(mut self) -> String {
        let mut child = self.child.take().unwrap();
        let status = std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
        assert!(status.success());
        let exit = child.wait().unwrap();
        let rest = self.log_rx.take().unwrap().recv().unwrap_or_default();
        assert!(exit.success(), "{exit:?}: {rest}");
        rest
    }
}

/// `perk serve <args>` on a free loopback port.
pub fn serve(dir: &std::path::Path, args: &[&str]) -> Server {
    run_server(dir, "serve", args)
}

/// `perk <command> <args>` (`serve` or `up`) on a free loopback port.
pub fn run_server(dir: &std::path::Path, command: &str, args: &[&str]) -> Server {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_perk"))
        .arg(command)
        .args(args)
        .args(["--bind", "127.0.0.1:0"])
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", guest_target_dir())
        .env("PERK_CACHE_DIR", guest_target_dir().join("perk-cache"))
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut log = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut server = Server { child: Some(child), addr: String::new(), log_rx: None };
    let mut line = String::new();
    while !line.contains("http://") {
        line.clear();
        if log.read_line(&mut line).unwrap() == 0 {
            panic!("perk serve exited before listening");
        }
    }
    server.addr = line.split("http://").nth(1).and_then(|r| r.split(',').next()).unwrap().to_string();
    // Keep draining the log so a chatty server never blocks on a full pipe.
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        let mut rest = String::new();
        let _ = std::io::Read::read_to_string(&mut log, &mut rest);
        let _ = tx.send(rest);
    });
    server.log_rx = Some(rx);
    server
}

/// One HTTP/1.1 request on a new connection: the status and the JSON body (a string
/// value when the body is not JSON).
pub fn http(addr: &str, method: &str, path: &str, body: &str) -> (u16, serde_json::Value) {
    http_with(addr, method, path, body, &[])
}

pub fn http_with(addr: &str, method: &str, path: &str, body: &str, headers: &[(&str, &str)]) -> (u16, serde_json::Value) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    let extra: String = headers.iter().map(|(k, v)| format!("{k}: {v}\r\n")).collect();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out.get(9..12).and_then(|c| c.parse().ok()).unwrap_or_else(|| panic!("not an HTTP answer: {out:?}"));
    let body = out.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    let value = serde_json::from_str(body).unwrap_or_else(|_| serde_json::Value::String(body.to_string()));
    (status, value)
}
