//! What one policy evaluation costs in a fresh sandbox instance, against the same policy
//! crate compiled natively, in the same run. Ratios, not absolute times, are the point.
//!
//! `cargo bench -p perk-host --bench evaluate`
//!
//! Per policy (points with tier multipliers, punch card, tiers):
//! - `native`: the policy function with its config parsed once (the floor);
//! - `native+config`: the same, parsing the JSON config per call as the guest does;
//! - `fresh`: `PolicyModule::on_purchase`: a new Store and instance, lowering the inputs,
//!   the guest's config parse and logic, lifting and checking the outcome;
//! - `pooled`: the same on a warm instance (config parsed once per instance).
//!
//! And a whole purchase through `evaluate::purchase` for the 3-policy coffee-shop set.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use perk_host::manifest;
use perk_host::{evaluate, BuildOptions, Campaign, Isolation, Limits, Runtime, Situation};
use perk_sdk::testing::config_json;
use perk_sdk::{Context, Customer, LineItem, Policy, Purchase};
use std::collections::BTreeMap;

fn purchase() -> Purchase {
    Purchase {
        id: "order-1042".into(),
        customer_id: "anna".into(),
        at: 1_772_454_600_000,
        currency: "RUB".into(),
        total: 61_000,
        items: vec![LineItem::new("latte", "coffee", 1, 25_000), LineItem::new("croissant", "pastry", 2, 18_000)],
        channel: "store".into(),
        ..Default::default()
    }
}

fn customer() -> Customer {
    let mut c = Customer::new("anna").with_tier("silver");
    c.lifetime_spend = 287_000;
    c.purchases = 17;
    c
}

const POINTS: &str = "unit = 100\npoints_per_unit = 1\ntier_multipliers_pct = { silver = 125, gold = 150 }";
const PUNCH: &str = "every = 6\nbonus_points = 250\ngoal = \"free coffee\"";
const TIERS: &str = "levels = [{ name = \"silver\", min_spend = 300000 }, { name = \"gold\", min_spend = 1000000 }]";

fn one<P: Policy>(c: &mut Criterion, rt: &Runtime, name: &str, config_toml: &str) {
    let config = config_json(config_toml).unwrap();
    let parsed = perk_sdk::parse_config::<P>(&config).unwrap();
    let module = rt.load(perk_host::stdlib::get(name).unwrap()).unwrap().bind(name, &config).unwrap();
    let (p, cu) = (purchase(), customer());
    let ctx = Context { now: 0, policy_id: name.into(), variant: None, state: Vec::new() };
    // Same answer both ways, or the comparison means nothing.
    let native = P::on_purchase(&parsed, &p, &cu, &ctx).unwrap();
    for isolation in [Isolation::Fresh, Isolation::Pooled] {
        assert_eq!(module.on_purchase(&p, &cu, 0, &[], isolation).unwrap().outcome, native);
    }

    let mut g = c.benchmark_group(name);
    g.bench_function("native", |b| b.iter(|| P::on_purchase(black_box(&parsed), black_box(&p), black_box(&cu), black_box(&ctx))));
    g.bench_function("native+config", |b| {
        b.iter(|| {
            let cfg = perk_sdk::parse_config::<P>(black_box(&config)).unwrap();
            P::on_purchase(&cfg, black_box(&p), black_box(&cu), black_box(&ctx))
        })
    });
    for (label, isolation) in [("fresh", Isolation::Fresh), ("pooled", Isolation::Pooled)] {
        g.bench_function(label, |b| b.iter(|| module.on_purchase(black_box(&p), black_box(&cu), 0, &[], isolation).unwrap()));
    }
    g.finish();
}

fn policies(c: &mut Criterion) {
    let rt = Runtime::new(Limits::default(), None).unwrap();
    one::<perk_policy_points::Points>(c, &rt, "points", POINTS);
    one::<perk_policy_punch_card::PunchCard>(c, &rt, "punch-card", PUNCH);
    one::<perk_policy_tiers::Tiers>(c, &rt, "tiers", TIERS);
}

fn campaign(c: &mut Criterion) {
    let rt = Runtime::new(Limits::default(), None).unwrap();
    let src = format!(
        "[campaign]\nname = \"bench\"\ncurrency = \"RUB\"\n\
         [[policy]]\nid = \"points\"\nmodule = \"points\"\n[policy.config]\n{POINTS}\n\
         [[policy]]\nid = \"punch\"\nmodule = \"punch-card\"\n[policy.config]\n{PUNCH}\n\
         [[policy]]\nid = \"tiers\"\nmodule = \"tiers\"\n[policy.config]\n{TIERS}\n"
    );
    let load = |isolation: &str| {
        let src = src.replace("currency = \"RUB\"", &format!("currency = \"RUB\"\nisolation = \"{isolation}\""));
        Campaign::from_manifest(manifest::parse(&src, "perk.toml".as_ref()).unwrap(), &rt, &BuildOptions::default()).unwrap()
    };
    let (fresh, pooled) = (load("fresh"), load("pooled"));
    let (p, cu, states) = (purchase(), customer(), BTreeMap::new());
    let sit = Situation::new(0, &cu, &states);

    let cfg = |t: &str| config_json(t).unwrap();
    let (c1, c2, c3) = (cfg(POINTS), cfg(PUNCH), cfg(TIERS));
    let ctx = Context::default();
    let (p1, p2, p3) = (
        perk_sdk::parse_config::<perk_policy_points::Points>(&c1).unwrap(),
        perk_sdk::parse_config::<perk_policy_punch_card::PunchCard>(&c2).unwrap(),
        perk_sdk::parse_config::<perk_policy_tiers::Tiers>(&c3).unwrap(),
    );
    let mut g = c.benchmark_group("purchase, 3 policies");
    g.bench_function("native", |b| {
        b.iter(|| {
            (
                perk_policy_points::Points::on_purchase(&p1, black_box(&p), &cu, &ctx),
                perk_policy_punch_card::PunchCard::on_purchase(&p2, black_box(&p), &cu, &ctx),
                perk_policy_tiers::Tiers::on_purchase(&p3, black_box(&p), &cu, &ctx),
            )
        })
    });
    g.bench_function("native+config", |b| {
        b.iter(|| {
            let a =
                perk_policy_points::Points::on_purchase(&perk_sdk::parse_config::<perk_policy_points::Points>(&c1).unwrap(), &p, &cu, &ctx);
            let b2 = perk_policy_punch_card::PunchCard::on_purchase(
                &perk_sdk::parse_config::<perk_policy_punch_card::PunchCard>(&c2).unwrap(),
                &p,
                &cu,
                &ctx,
            );
            let t = perk_policy_tiers::Tiers::on_purchase(&perk_sdk::parse_config::<perk_policy_tiers::Tiers>(&c3).unwrap(), &p, &cu, &ctx);
            (a, b2, t)
        })
    });
    g.bench_function("fresh, evaluate + combine", |b| b.iter(|| evaluate::purchase(&fresh, black_box(&p), sit)));
    g.bench_function("pooled, evaluate + combine", |b| b.iter(|| evaluate::purchase(&pooled, black_box(&p), sit)));
    g.finish();
}

fn loading(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("perk-bench-cache-{}", std::process::id()));
    let bytes = perk_host::stdlib::get("points").unwrap();
    let cached = Runtime::new(Limits::default(), Some(dir.clone())).unwrap();
    cached.load(bytes).unwrap();
    let uncached = Runtime::new(Limits::default(), None).unwrap();
    let mut g = c.benchmark_group("load points module");
    g.sample_size(10);
    g.bench_function("compile", |b| b.iter(|| uncached.load(black_box(bytes)).unwrap()));
    g.bench_function("from disk cache", |b| b.iter(|| cached.load(black_box(bytes)).unwrap()));
    g.finish();
    let _ = std::fs::remove_dir_all(dir);
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status.lines().find_map(|l| l.strip_prefix("VmRSS:")).and_then(|v| v.trim().trim_end_matches(" kB").parse().ok()).unwrap_or(0)
}

/// Not a timing: resident memory of a campaign of 25 policies (7 standard modules with
/// different configs), each warm in the pool, and the cost of one such purchase.
fn many(c: &mut Criterion) {
    let before = rss_kib();
    let rt = Runtime::new(Limits::default(), None).unwrap();
    let configs = [("points", POINTS), ("punch-card", PUNCH), ("tiers", TIERS)];
    let mut src = String::from("[campaign]\nname = \"25\"\ncurrency = \"RUB\"\n");
    for i in 0..25 {
        let (module, config) = configs[i % configs.len()];
        src.push_str(&format!("[[policy]]\nid = \"p{i}\"\nmodule = \"{module}\"\n[policy.config]\n{config}\n"));
    }
    let campaign = Campaign::from_manifest(manifest::parse(&src, "perk.toml".as_ref()).unwrap(), &rt, &BuildOptions::default()).unwrap();
    let (p, cu, states) = (purchase(), customer(), BTreeMap::new());
    let sit = Situation::new(0, &cu, &states);
    assert!(evaluate::purchase(&campaign, &p, sit).failures.is_empty());
    eprintln!("RSS: {} KiB before loading, {} KiB with 25 policies loaded and warm", before, rss_kib());
    let mut g = c.benchmark_group("purchase, 25 policies");
    g.bench_function("pooled, evaluate + combine", |b| b.iter(|| evaluate::purchase(&campaign, black_box(&p), sit)));
    g.finish();
}

criterion_group!(benches, policies, campaign, many, loading);
criterion_main!(benches);
