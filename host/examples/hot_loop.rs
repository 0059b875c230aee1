//! A pooled evaluation in a loop, for profilers (`perf record`, samply): nothing but the
//! hot path once the module is loaded.
//!
//! `cargo run --release -p perk-host --example hot_loop -- [policy] [calls]`
//! (policy: `points`, `punch-card`, `tiers`, `cashback` or `welcome`, which answers nothing: the
//! fixed cost of a call; default `punch-card`, 2,000,000 calls).
//! `PERK_PROFILER=perfmap` lets `perf report` name the guest's functions; `PERK_STATE` sets
//! the stored state the policy is called with, `PERK_CONFIG` its config; `PERK_DETAIL=totals`
//! calls as a replay does (no reasons or progress).

use perk_host::{Isolation, Limits, Runtime};
use perk_sdk::testing::config_json;
use perk_sdk::{Customer, LineItem, Purchase};
use std::time::Instant;

/// The allocator the `perk` binary runs with, so the figures are the binary's.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let mut args = std::env::args().skip(1);
    let name = args.next().unwrap_or_else(|| "punch-card".into());
    let calls: u64 = args.next().map_or(2_000_000, |n| n.parse().expect("calls is a number"));
    let config = match name.as_str() {
        "points" => "unit = 100\npoints_per_unit = 1\ntier_multipliers_pct = { silver = 125, gold = 150 }",
        "punch-card" => "every = 6\nbonus_points = 250\ngoal = \"free coffee\"",
        "tiers" => "levels = [{ name = \"silver\", min_spend = 300000 }, { name = \"gold\", min_spend = 1000000 }]",
        "cashback" => "percent = 1\nby_category = { coffee = 5, books = 3 }",
        // Answers nothing for a returning customer: the fixed cost of a call.
        "welcome" => "reward = { points = 100 }",
        other => panic!("no config for `{other}`"),
    };
    // Another config (TOML, as in `perk.toml`): `PERK_CONFIG='every = 6\ncategory = "coffee"'`
    // makes `punch-card` read and write its state on every call.
    let config = std::env::var("PERK_CONFIG").unwrap_or_else(|_| config.to_string());
    let rt = Runtime::new(Limits::default(), None).expect("runtime");
    // A module file instead of the embedded one (say, built without `strip`, so the profile
    // names the guest's functions): `PERK_MODULE=path.wasm`.
    let bytes = match std::env::var_os("PERK_MODULE") {
        Some(path) => std::fs::read(path).expect("PERK_MODULE is readable"),
        None => perk_host::stdlib::get(&name).expect("a standard policy").to_vec(),
    };
    let isolation = if std::env::var_os("PERK_FRESH").is_some() { Isolation::Fresh } else { Isolation::Pooled };
    let policy = rt.load(&bytes).expect("loads").bind(&name, &config_json(&config).unwrap()).expect("config");
    let p = Purchase {
        id: "order-1042".into(),
        customer_id: "anna".into(),
        at: 1_772_454_600_000,
        currency: "RUB".into(),
        total: 61_000,
        items: vec![LineItem::new("latte", "coffee", 1, 25_000), LineItem::new("croissant", "pastry", 2, 18_000)],
        channel: "store".into(),
        ..Default::default()
    };
    let mut c = Customer::new("anna").with_tier("silver");
    c.purchases = 17;
    // The policy's stored state for this customer, e.g. `PERK_STATE='{"count":4}'`.
    let state = std::env::var("PERK_STATE").unwrap_or_default();
    let started = Instant::now();
    // `PERK_DETAIL=totals`: as a replay calls, without reasons and progress.
    let totals = std::env::var("PERK_DETAIL").is_ok_and(|d| d == "totals");
    for _ in 0..calls {
        if totals {
            let input = perk_host::runtime::Input::purchase(&p, &c, 0, None, perk_host::Detail::Totals);
            std::hint::black_box(policy.call(&input, state.as_bytes(), isolation).expect("evaluates"));
        } else {
            std::hint::black_box(policy.on_purchase(&p, &c, 0, state.as_bytes(), isolation).expect("evaluates"));
        }
    }
    let took = started.elapsed();
    let mode = if isolation == Isolation::Fresh { "fresh" } else { "pooled" };
    println!("{name}: {calls} {mode} calls, {:.2} µs each", took.as_secs_f64() * 1e6 / calls as f64);
}
