//! What one policy evaluation costs in a fresh sandbox instance, against the same policy
//! crate compiled natively, in the same run. Ratios, not absolute times, are the point.
//!
//! `cargo bench -p perk-host --bench evaluate`
//!
//! Per policy (points with tier multipliers, a punch card counting coffee purchases in
//! its state, cashback by category):
//! - `native`: the policy function with its config parsed once (the floor);
//! - `native, input built`: the same, with its input built per call from the host's values
//!   (the purchase, customer and context cloned), as every sandboxed column builds its own
//!   (encoded for the guest) and as the performance issue's baseline did;
//! - `native+config`: the same as `native`, parsing the JSON config per call as the guest does;
//! - `fresh`: `PolicyModule::on_purchase`: a new Store and instance, lowering the inputs,
//!   the guest's config parse and logic, lifting and checking the outcome;
//! - `pooled`: the same on a warm instance (config parsed once per instance);
//! - `pooled, batch of 32`: 32 such calls in one `on-purchase-batch` call (a replay's
//!   path), per evaluation.
//!
//! And a whole purchase through `evaluate::purchase` for the 3-policy coffee-shop set.

use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion};
use perk_host::manifest;
use perk_host::runtime::Input;
use perk_host::{evaluate, BuildOptions, Campaign, Detail, Isolation, Limits, Runtime, Situation};
use perk_sdk::testing::config_json;
use perk_sdk::{Context, Customer, LineItem, Outcome, Policy, Purchase};
use std::collections::BTreeMap;
use std::time::Instant;

/// Calls per batch in the batched rows (`perk simulate`'s default).
const BATCH: usize = 32;

/// The allocator the `perk` binary runs with, so the figures are the binary's.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn purchase() -> Purchase {
    Purchase {
        id: "order-1042".into(),
        customer_id: "anna".into(),
        at: 1_772_454_600_000,
        currency: "RUB".into(),
        total: 73_000,
        items: vec![
            LineItem::new("latte", "coffee", 1, 25_000),
            LineItem::new("croissant", "pastry", 2, 18_000),
            LineItem::new("novel", "books", 1, 12_000),
        ],
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
const PUNCH: &str = "every = 5\nbonus_points = 50\ngoal = \"free coffee\"\ncategory = \"coffee\"";
const CASHBACK: &str = "percent = 1\nby_category = { coffee = 5, books = 3 }";
/// The punch card's state: 4 stamps, so this purchase completes the card.
const STAMPS: &[u8] = br#"{"count":4}"#;
const TIERS: &str = "levels = [{ name = \"silver\", min_spend = 300000 }, { name = \"gold\", min_spend = 1000000 }]";

fn one<P: Policy>(c: &mut Criterion, rt: &Runtime, name: &str, config_toml: &str, state: &[u8]) {
    let config = config_json(config_toml).unwrap();
    let parsed = perk_sdk::parse_config::<P>(&config).unwrap();
    let module = rt.load(perk_host::stdlib::get(name).unwrap()).unwrap().bind(name, &config).unwrap();
    let (p, cu) = (purchase(), customer());
    // The state as the policy reads it (a JSON value in the wire encoding); "input built"
    // makes it from the stored JSON text per call, as the host does.
    let ctx = Context { now: 0, policy_id: name.into(), variant: None, state: perk_sdk::wire::state_to_wire(state).unwrap() };
    // Same answer both ways, or the comparison means nothing.
    let native = P::on_purchase(&parsed, &p, &cu, &ctx).unwrap();
    for isolation in [Isolation::Fresh, Isolation::Pooled] {
        assert_eq!(module.on_purchase(&p, &cu, 0, state, isolation).unwrap().outcome, native);
    }

    let mut g = c.benchmark_group(name);
    g.bench_function("native", |b| b.iter(|| P::on_purchase(black_box(&parsed), black_box(&p), black_box(&cu), black_box(&ctx))));
    g.bench_function("native, input built", |b| {
        b.iter(|| {
            let (p, cu) = (black_box(&p).clone(), black_box(&cu).clone());
            let ctx = Context { state: perk_sdk::wire::state_to_wire(black_box(state)).unwrap(), ..black_box(&ctx).clone() };
            P::on_purchase(black_box(&parsed), &p, &cu, &ctx)
        })
    });
    g.bench_function("native+config", |b| {
        b.iter(|| {
            let cfg = perk_sdk::parse_config::<P>(black_box(&config)).unwrap();
            P::on_purchase(&cfg, black_box(&p), black_box(&cu), black_box(&ctx))
        })
    });
    for (label, isolation) in [("fresh", Isolation::Fresh), ("pooled", Isolation::Pooled)] {
        g.bench_function(label, |b| b.iter(|| module.on_purchase(black_box(&p), black_box(&cu), 0, state, isolation).unwrap()));
    }
    // A replay's path: 32 customers' purchases in one batched call, per evaluation.
    let input = Input::purchase(&p, &cu, 0, None, Detail::Full);
    let calls = vec![(&input, state); BATCH];
    assert!(module.call_batch(&calls, Isolation::Pooled).into_iter().all(|r| r.unwrap().outcome == native));
    g.bench_function("pooled, batch of 32", |b| {
        b.iter_custom(|iters| {
            let started = Instant::now();
            for _ in 0..iters {
                black_box(module.call_batch(black_box(&calls), Isolation::Pooled));
            }
            started.elapsed() / BATCH as u32
        })
    });
    g.finish();
}

fn policies(c: &mut Criterion) {
    let rt = Runtime::new(Limits::default(), None).unwrap();
    one::<perk_policy_points::Points>(c, &rt, "points", POINTS, &[]);
    one::<perk_policy_punch_card::PunchCard>(c, &rt, "punch-card", PUNCH, STAMPS);
    one::<perk_policy_cashback::Cashback>(c, &rt, "cashback", CASHBACK, &[]);
}

fn campaign(c: &mut Criterion) {
    let rt = Runtime::new(Limits::default(), None).unwrap();
    let src = format!(
        "[campaign]\nname = \"bench\"\ncurrency = \"RUB\"\n\
         [[policy]]\nid = \"points\"\nmodule = \"points\"\n[policy.config]\n{POINTS}\n\
         [[policy]]\nid = \"punch\"\nmodule = \"punch-card\"\n[policy.config]\n{PUNCH}\n\
         [[policy]]\nid = \"cashback\"\nmodule = \"cashback\"\n[policy.config]\n{CASHBACK}\n"
    );
    let load = |isolation: &str| {
        let src = src.replace("currency = \"RUB\"", &format!("currency = \"RUB\"\nisolation = \"{isolation}\""));
        Campaign::from_manifest(manifest::parse(&src, "perk.toml".as_ref()).unwrap(), &rt, &BuildOptions::default()).unwrap()
    };
    let (fresh, pooled) = (load("fresh"), load("pooled"));
    let (p, cu) = (purchase(), customer());
    let states = BTreeMap::from([("punch".to_string(), STAMPS.to_vec())]);
    let sit = Situation::new(0, &cu, &states);

    type Pt = perk_policy_points::Points;
    type Pc = perk_policy_punch_card::PunchCard;
    type Cb = perk_policy_cashback::Cashback;
    let cfg = |t: &str| config_json(t).unwrap();
    let (c1, c2, c3) = (cfg(POINTS), cfg(PUNCH), cfg(CASHBACK));
    let ctx = |state: &[u8]| Context { state: perk_sdk::wire::state_to_wire(state).unwrap(), ..Context::default() };
    let (ctx1, ctx2) = (ctx(&[]), ctx(STAMPS));
    let (p1, p2, p3) = (
        perk_sdk::parse_config::<Pt>(&c1).unwrap(),
        perk_sdk::parse_config::<Pc>(&c2).unwrap(),
        perk_sdk::parse_config::<Cb>(&c3).unwrap(),
    );
    let e = evaluate::purchase(&pooled, &p, sit);
    assert!(e.failures.is_empty(), "{:?}", e.failures);
    let native_total = |o: [Outcome; 3]| o.iter().map(Outcome::points_total).sum::<i64>();
    let native = [
        Pt::on_purchase(&p1, &p, &cu, &ctx1).unwrap(),
        Pc::on_purchase(&p2, &p, &cu, &ctx2).unwrap(),
        Cb::on_purchase(&p3, &p, &cu, &ctx1).unwrap(),
    ];
    assert_eq!(e.combined.totals.points, native_total(native), "same points as native");

    let mut g = c.benchmark_group("purchase, 3 policies");
    g.bench_function("native", |b| {
        b.iter(|| {
            (
                Pt::on_purchase(&p1, black_box(&p), &cu, &ctx1),
                Pc::on_purchase(&p2, black_box(&p), &cu, &ctx2),
                Cb::on_purchase(&p3, black_box(&p), &cu, &ctx1),
            )
        })
    });
    // The purchase and customer built once, as the sandboxed path encodes them once for
    // every policy; each policy's context (its state) on its own.
    g.bench_function("native, input built", |b| {
        b.iter(|| {
            let (p, cu) = (black_box(&p).clone(), black_box(&cu).clone());
            let (ctx1, ctx2, ctx3) = (black_box(&ctx1).clone(), ctx(black_box(STAMPS)), black_box(&ctx1).clone());
            (Pt::on_purchase(&p1, &p, &cu, &ctx1), Pc::on_purchase(&p2, &p, &cu, &ctx2), Cb::on_purchase(&p3, &p, &cu, &ctx3))
        })
    });
    g.bench_function("native+config", |b| {
        b.iter(|| {
            (
                Pt::on_purchase(&perk_sdk::parse_config::<Pt>(&c1).unwrap(), &p, &cu, &ctx1),
                Pc::on_purchase(&perk_sdk::parse_config::<Pc>(&c2).unwrap(), &p, &cu, &ctx2),
                Cb::on_purchase(&perk_sdk::parse_config::<Cb>(&c3).unwrap(), &p, &cu, &ctx1),
            )
        })
    });
    g.bench_function("fresh, evaluate + combine", |b| b.iter(|| evaluate::purchase(&fresh, black_box(&p), sit)));
    g.bench_function("pooled, evaluate + combine", |b| b.iter(|| evaluate::purchase(&pooled, black_box(&p), sit)));
    let items = vec![(&p, sit); BATCH];
    let batched = evaluate::purchases(&pooled, &items);
    assert!(batched.iter().all(|b| b.failures.is_empty() && b.combined.totals == e.combined.totals));
    g.bench_function("pooled, batch of 32, evaluate + combine", |b| {
        b.iter_custom(|iters| {
            let started = Instant::now();
            for _ in 0..iters {
                black_box(evaluate::purchases(&pooled, black_box(&items)));
            }
            started.elapsed() / BATCH as u32
        })
    });
    g.finish();
}

fn loading(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("perk-bench-cache-{}", std::process::id()));
    let bytes = perk_host::stdlib::get("points").unwrap();
    Runtime::new(Limits::default(), Some(dir.clone())).unwrap().load(bytes).unwrap();
    // A new runtime per load: a runtime keeps what it compiled in memory, and a restart
    // (what the disk cache is for) starts with nothing.
    let mut g = c.benchmark_group("load points module");
    g.sample_size(10);
    g.bench_function("compile", |b| {
        b.iter_batched(|| Runtime::new(Limits::default(), None).unwrap(), |rt| rt.load(black_box(bytes)).unwrap(), BatchSize::PerIteration)
    });
    g.bench_function("from disk cache", |b| {
        b.iter_batched(
            || Runtime::new(Limits::default(), Some(dir.clone())).unwrap(),
            |rt| rt.load(black_box(bytes)).unwrap(),
            BatchSize::PerIteration,
        )
    });
    g.finish();
    let _ = std::fs::remove_dir_all(dir);
}

/// A campaign of 25 policies (4 standard modules with different configs), each warm in
/// the pool: the cost of one purchase. (Its memory: `benches/rss/run.sh`.)
fn many(c: &mut Criterion) {
    let rt = Runtime::new(Limits::default(), None).unwrap();
    let configs = [("points", POINTS), ("punch-card", PUNCH), ("cashback", CASHBACK), ("tiers", TIERS)];
    let mut src = String::from("[campaign]\nname = \"25\"\ncurrency = \"RUB\"\n");
    for i in 0..25 {
        let (module, config) = configs[i % configs.len()];
        src.push_str(&format!("[[policy]]\nid = \"p{i}\"\nmodule = \"{module}\"\n[policy.config]\n{config}\n"));
    }
    let campaign = Campaign::from_manifest(manifest::parse(&src, "perk.toml".as_ref()).unwrap(), &rt, &BuildOptions::default()).unwrap();
    let (p, cu, states) = (purchase(), customer(), BTreeMap::new());
    let sit = Situation::new(0, &cu, &states);
    assert!(evaluate::purchase(&campaign, &p, sit).failures.is_empty());
    let mut g = c.benchmark_group("purchase, 25 policies");
    g.bench_function("pooled, evaluate + combine", |b| b.iter(|| evaluate::purchase(&campaign, black_box(&p), sit)));
    g.finish();
}

criterion_group!(benches, policies, campaign, many, loading);
criterion_main!(benches);
