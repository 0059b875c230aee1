//! Hot reload under load: the real binary watching a campaign directory while clients
//! buy over loopback; configs, modules and garbage written to the files it watches.

use crate::support::*;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const KEY: &str = "reload-test-key";

fn manifest(points_per_unit: i64) -> String {
    format!(
        r#"[campaign]
name = "Reload"
currency = "RUB"

[[policy]]
id = "points"
module = "points"
[policy.config]
unit = 100
points_per_unit = {points_per_unit}

[[policy]]
id = "bonus"
module = "./bonus.wasm"
[policy.config]
reward = {{ points = 7 }}
"#
    )
}

fn std_module(name: &str) -> &'static [u8] {
    perk_host::stdlib::get(name).unwrap()
}

/// Writes `bytes` to `path` by write-then-rename, as deploy tools do.
fn replace(path: &Path, bytes: &[u8]) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

fn campaign_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("perk.toml"), manifest(1)).unwrap();
    std::fs::write(dir.path().join("bonus.wasm"), std_module("welcome")).unwrap();
    dir
}

fn purchase(id: &str, customer: &str) -> String {
    json!({"id": id, "customer_id": customer, "items": [{"sku": "latte", "category": "coffee", "unit_price": 25_000}]}).to_string()
}

/// What a response says about the set that evaluated it: (points per 250.00, bonus module hash).
fn behaviour(v: &Value) -> (i64, String) {
    let applied = v["applied"].as_array().unwrap_or_else(|| panic!("no rewards in {v}"));
    let points = applied.iter().find(|a| a["policy"] == "points").map_or(0, |a| a["reward"]["amount"].as_i64().unwrap());
    let bonus = applied.iter().find(|a| a["policy"] == "bonus").map_or(String::new(), |a| a["version"].as_str().unwrap().to_string());
    (points, bonus)
}

fn wait_for(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) -> Duration {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < timeout, "timed out after {timeout:?} waiting for {what}");
        std::thread::sleep(Duration::from_millis(2));
    }
    start.elapsed()
}

#[test]
fn config_and_module_changes_go_live_under_load_without_a_failed_or_mixed_request() {
    let dir = campaign_dir();
    let data = tempfile::tempdir().unwrap();
    let server = serve(dir.path(), &[".", "--data", data.path().to_str().unwrap()]);

    // Clients buy in a loop; each new customer's first purchase: welcome applies.
    let stop_flag = Arc::new(AtomicBool::new(false));
    let counter = Arc::new(AtomicU64::new(0));
    // Every behaviour some client was served, so each phase lasts until a client saw it
    // (not a fixed time: on a loaded machine a request can take longer than any guess).
    let served: Arc<Mutex<BTreeSet<(i64, String)>>> = Arc::default();
    let clients: Vec<_> = (0..4)
        .map(|c| {
            let (addr, stop_flag, counter, served) = (server.addr.clone(), stop_flag.clone(), counter.clone(), served.clone());
            std::thread::spawn(move || {
                let mut seen = Vec::new();
                while !stop_flag.load(Ordering::Relaxed) {
                    let n = counter.fetch_add(1, Ordering::Relaxed);
                    let (status, v) = http(&addr, "POST", "/v1/purchases", &purchase(&format!("p-{n}"), &format!("c-{c}-{n}")));
                    assert_eq!(status, 200, "request {n} failed: {v}");
                    served.lock().unwrap().insert(behaviour(&v));
                    seen.push((v["set_version"].as_str().unwrap().to_string(), behaviour(&v)));
                }
                seen
            })
        })
        .collect();
    let served_like = |points: i64, new_module: Option<&str>| {
        served.lock().unwrap().iter().any(|(p, h)| *p == points && new_module.is_none_or(|welcome| !h.is_empty() && h != welcome))
    };
    let latest = || {
        let n = counter.fetch_add(1, Ordering::Relaxed);
        http(&server.addr, "POST", "/v1/purchases?dry_run=true", &purchase(&format!("probe-{n}"), "probe")).1
    };
    std::thread::sleep(Duration::from_millis(300));
    let v1 = latest();
    assert_eq!(behaviour(&v1).0, 250);

    // A config change: points per ruble doubled.
    std::fs::write(dir.path().join("perk.toml"), manifest(2)).unwrap();
    let config_latency = wait_for("the new config", Duration::from_secs(10), || behaviour(&latest()).0 == 500);
    wait_for("a client served by the new config", Duration::from_secs(20), || served_like(500, None));

    // A module change: the bonus policy's module replaced (welcome → limited-time).
    replace(&dir.path().join("bonus.wasm"), std_module("limited-time"));
    let welcome_hash = behaviour(&v1).1;
    let module_latency = wait_for("the new module", Duration::from_secs(10), || {
        let b = behaviour(&latest()).1;
        !b.is_empty() && b != welcome_hash
    });
    wait_for("a client served by the new module", Duration::from_secs(20), || served_like(500, Some(&welcome_hash)));
    stop_flag.store(true, Ordering::Relaxed);

    // Every response came from exactly one set, and each set behaved one way.
    let mut sets: BTreeMap<String, (i64, String)> = BTreeMap::new();
    let mut total = 0;
    for client in clients {
        let seen = client.join().expect("no request failed");
        let mut order: Vec<&str> = Vec::new();
        for (version, b) in &seen {
            let first = sets.entry(version.clone()).or_insert_with(|| b.clone());
            assert_eq!(first, b, "set {version} answered two ways: mixed evaluation");
            if order.last() != Some(&version.as_str()) {
                assert!(!order.contains(&version.as_str()), "a client went back to an older set: {order:?} then {version}");
                order.push(version);
            }
        }
        total += seen.len();
    }
    let behaviours: Vec<_> = sets.values().map(|(p, h)| (*p, h == &welcome_hash)).collect();
    assert_eq!(sets.len(), 3, "three sets served: {sets:?}");
    for b in [(250, true), (500, true), (500, false)] {
        assert!(behaviours.contains(&b), "{b:?} missing from {behaviours:?}");
    }
    eprintln!("reload under load: {total} purchases, 0 failed; config live after {config_latency:?}, module after {module_latency:?}");
    server.stop();
}

#[test]
fn garbage_keeps_the_last_good_set_serving_and_the_fix_recovers() {
    let dir = campaign_dir();
    let data = tempfile::tempdir().unwrap();
    let key = format!("--api-key={KEY}");
    let server = serve(dir.path(), &[".", "--data", data.path().to_str().unwrap(), &key]);
    let auth = [("Authorization", "Bearer reload-test-key")];
    let policies = || http_with(&server.addr, "GET", "/v1/policies", "", &auth).1;
    let good = policies()["set_version"].as_str().unwrap().to_string();
    let n = AtomicU64::new(0);
    let buy = || {
        let i = n.fetch_add(1, Ordering::Relaxed);
        let (status, v) = http(&server.addr, "POST", "/v1/purchases", &purchase(&format!("p-{i}"), "anna"));
        assert_eq!(status, 200, "{v}");
        v["set_version"].as_str().unwrap().to_string()
    };

    // Garbage in the manifest: the old set serves on, the error names file, line and key.
    std::fs::write(dir.path().join("perk.toml"), manifest(1).replace("points_per_unit = 1", "points_per_unit = \"lots\"")).unwrap();
    let mut error = String::new();
    wait_for("the manifest error", Duration::from_secs(10), || {
        error = policies()["reload"]["last_error"]["message"].as_str().unwrap_or_default().to_string();
        !error.is_empty()
    });
    assert!(error.contains("perk.toml:8:1: policy[0].config") && error.contains("config rejected"), "{error}");
    assert!(error.contains("points_per_unit"), "{error}");
    assert_eq!(buy(), good);

    // Fixed: the error clears and the set (the same as before) serves.
    std::fs::write(dir.path().join("perk.toml"), manifest(1)).unwrap();
    wait_for("recovery", Duration::from_secs(10), || policies()["reload"]["last_error"].is_null());
    assert_eq!(buy(), good);

    // Garbage in a module.
    replace(&dir.path().join("bonus.wasm"), b"this is not wasm");
    wait_for("the module error", Duration::from_secs(10), || {
        error = policies()["reload"]["last_error"]["message"].as_str().unwrap_or_default().to_string();
        !error.is_empty()
    });
    assert!(error.contains("bonus.wasm") && error.contains("wasm header"), "{error}");
    assert_eq!(buy(), good);
    let (status, v) = http_with(&server.addr, "POST", "/v1/reload", "", &auth);
    assert_eq!((status, v["error"]["code"].as_str()), (422, Some("reload_failed")), "{v}");

    replace(&dir.path().join("bonus.wasm"), std_module("welcome"));
    wait_for("recovery", Duration::from_secs(10), || policies()["reload"]["last_error"].is_null());
    assert_eq!(buy(), good);
    server.stop();
}

#[test]
fn reload_on_request_lists_versions_and_rolls_back() {
    let dir = campaign_dir();
    let data = tempfile::tempdir().unwrap();
    let key = format!("--api-key={KEY}");
    let server = serve(dir.path(), &[".", "--data", data.path().to_str().unwrap(), &key, "--no-watch"]);
    let auth = [("Authorization", "Bearer reload-test-key")];
    let buy = |id: &str| http(&server.addr, "POST", "/v1/purchases", &purchase(id, "anna")).1;

    let (status, r) = http_with(&server.addr, "POST", "/v1/reload", "", &auth);
    assert_eq!((status, r["changed"].as_bool()), (200, Some(false)), "{r}");
    let first = r["to"].as_str().unwrap().to_string();

    std::fs::write(dir.path().join("perk.toml"), manifest(3)).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(behaviour(&buy("p-1")).0, 250, "--no-watch: nothing changes by itself");
    let (status, r) = http_with(&server.addr, "POST", "/v1/reload", "", &auth);
    assert_eq!((status, r["changed"].as_bool(), r["from"].as_str()), (200, Some(true), Some(first.as_str())), "{r}");
    let second = r["to"].as_str().unwrap().to_string();
    assert_eq!(behaviour(&buy("p-2")).0, 750);

    let (_, v) = http_with(&server.addr, "GET", "/v1/versions", "", &auth);
    let listed: Vec<&str> = v["versions"].as_array().unwrap().iter().map(|x| x["version"].as_str().unwrap()).collect();
    assert_eq!(listed, [second.as_str(), first.as_str()]);
    assert_eq!(v["current"], second.as_str());

    let body = json!({"version": first}).to_string();
    let (status, r) = http_with(&server.addr, "POST", "/v1/rollback", &body, &auth);
    assert_eq!((status, r["to"].as_str()), (200, Some(first.as_str())), "{r}");
    let v = buy("p-3");
    assert_eq!((v["set_version"].as_str(), behaviour(&v).0), (Some(first.as_str()), 250));
    let (status, r) = http_with(&server.addr, "POST", "/v1/rollback", r#"{"version": "set-000000000000"}"#, &auth);
    assert_eq!((status, r["error"]["code"].as_str()), (404, Some("not_found")), "{r}");
    let (status, _) = http(&server.addr, "POST", "/v1/reload", "");
    assert_eq!(status, 401);

    // Ledger entries record the set that produced them.
    let (_, l) = http(&server.addr, "GET", "/v1/customers/anna/ledger", "");
    let sets: Vec<&str> = l["entries"].as_array().unwrap().iter().filter_map(|e| e["set_version"].as_str()).collect();
    assert!(sets.contains(&first.as_str()) && sets.contains(&second.as_str()), "{sets:?}");
    server.stop();
}

/// `perk up`: saving a policy crate's Rust source rebuilds it and the new code serves.
#[test]
fn perk_up_rebuilds_a_policy_crate_when_its_source_changes() {
    let dir = tempfile::tempdir().unwrap();
    let out = perk_in(dir.path(), &["new", "policy", "policies/big-order"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let manifest = "[campaign]\nname = \"Up\"\ncurrency = \"EUR\"\n\n[[policy]]\nid = \"big-order\"\nmodule = \"./policies/big-order\"\n[policy.config]\nmin_total = 10000\nbonus_points = 50\n";
    std::fs::write(dir.path().join("perk.toml"), manifest).unwrap();
    let _guard = cargo_lock();
    let server = run_server(dir.path(), "up", &[".", "--data", "data"]);
    let order = |id: &str| json!({"id": id, "customer_id": "c1", "total": 12000}).to_string();
    let (status, v) = http(&server.addr, "POST", "/v1/purchases", &order("o-1"));
    assert_eq!((status, v["totals"]["points"].as_i64()), (200, Some(50)), "{v}");

    let lib = dir.path().join("policies/big-order/src/lib.rs");
    let source = std::fs::read_to_string(&lib).unwrap();
    assert!(source.contains("out.points(config.bonus_points,"), "{source}");
    std::fs::write(&lib, source.replace("out.points(config.bonus_points,", "out.points(config.bonus_points * 3,")).unwrap();
    let mut n = 1;
    wait_for("the rebuilt policy", Duration::from_secs(180), || {
        n += 1;
        http(&server.addr, "POST", "/v1/purchases?dry_run=true", &order(&format!("o-{n}"))).1["totals"]["points"] == 150
    });
    let log = server.stop();
    assert!(log.contains("perk up: reloaded set-"), "{log}");
}
