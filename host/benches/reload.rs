//! Reload latency: from writing a file to the first response evaluated by the new policy
//! set, through the real watcher and router, for a config change and for a module change
//! (a precompiled module: the disk cache has it).
//!
//! `cargo bench -p perk-host --bench reload` (option: `-- --rounds 20`).

use axum::body::Body;
use axum::http::Request;
use perk_host::ledger::SqliteLedger;
use perk_host::service::{router, watch, Engine, Source};
use perk_host::{BuildOptions, Campaign, Limits, Runtime};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tower::ServiceExt as _;

/// The allocator the `perk` binary runs with, so the figures are the binary's.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn manifest(points_per_unit: i64) -> String {
    format!(
        "[campaign]\nname = \"Reload\"\ncurrency = \"RUB\"\n\n[[policy]]\nid = \"points\"\nmodule = \"points\"\n[policy.config]\nunit = 100\n\
         points_per_unit = {points_per_unit}\n\n[[policy]]\nid = \"bonus\"\nmodule = \"./bonus.wasm\"\n[policy.config]\nreward = {{ points = 7 }}\n"
    )
}

fn rounds() -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == "--rounds").and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(20)
}

async fn set_version(engine: &Arc<Engine>) -> String {
    let body = r#"{"id": "probe", "customer_id": "probe", "items": [{"sku": "latte", "unit_price": 25000}]}"#;
    let req = Request::post("/v1/purchases?dry_run=true").header("content-type", "application/json").body(Body::from(body)).unwrap();
    let res = router(engine.clone()).oneshot(req).await.unwrap();
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX).await.unwrap();
    let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    v["set_version"].as_str().unwrap().to_string()
}

/// Runs `change` and returns how long until a response comes from another set.
async fn latency(engine: &Arc<Engine>, change: impl FnOnce()) -> Duration {
    let before = set_version(engine).await;
    let start = Instant::now();
    change();
    loop {
        if set_version(engine).await != before {
            return start.elapsed();
        }
        assert!(start.elapsed() < Duration::from_secs(10), "no reload within 10 s");
        tokio::time::sleep(Duration::from_micros(200)).await;
    }
}

fn replace(path: &Path, bytes: &[u8]) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

fn report(what: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let p = |q: f64| ms(samples[((samples.len() - 1) as f64 * q).round() as usize]);
    println!("reload {what}: {} rounds, median {:.1} ms, p90 {:.1} ms, max {:.1} ms", samples.len(), p(0.5), p(0.9), p(1.0));
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let manifest_path = dir.path().join("perk.toml");
    std::fs::write(&manifest_path, manifest(1)).unwrap();
    let modules = [perk_host::stdlib::get("welcome").unwrap(), perk_host::stdlib::get("limited-time").unwrap()];
    std::fs::write(dir.path().join("bonus.wasm"), modules[0]).unwrap();

    let runtime = Runtime::new(Limits::default(), Some(dir.path().join("cache"))).unwrap();
    let build = BuildOptions::default();
    // Compile both modules once, so the module change loads precompiled code.
    for m in modules {
        runtime.load(m).unwrap();
    }
    let campaign = Campaign::load(&manifest_path, &runtime, &build).unwrap();
    let ledger = SqliteLedger::open(&dir.path().join("ledger.sqlite")).unwrap();
    let source = Source { manifest: manifest_path.clone(), runtime, build };
    let engine = Arc::new(Engine::new(campaign, Arc::new(ledger)).with_source(source));
    let _watcher = watch(engine.clone(), false, |_| {}).unwrap();

    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let n = rounds();
        let mut config = Vec::new();
        for i in 0..n {
            config.push(latency(&engine, || std::fs::write(&manifest_path, manifest(2 + i as i64)).unwrap()).await);
        }
        let mut module = Vec::new();
        for i in 0..n {
            let bonus = dir.path().join("bonus.wasm");
            module.push(latency(&engine, || replace(&bonus, modules[(i + 1) % 2])).await);
        }
        report("after a config change", config);
        report("after a module change (precompiled)", module);
    });
}
