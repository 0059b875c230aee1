//! Simulation throughput on the real CDNOW history (69,659 purchases): the 3-policy
//! `examples/cdnow-points` campaign and the 10-policy `ten-policies.toml`, against the
//! same 3 rules written as a plain native loop (the floor), in one run.
//!
//! `cargo bench -p perk-host --bench simulate` (option: `-- --runs 3`).

use perk_host::simulate::{self, read};
use perk_host::{BuildOptions, Campaign, Limits, Runtime};
use perk_sdk::Purchase;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// The allocator the `perk` binary runs with, so the figures are the binary's.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The 3-policy rules as a plain loop over the same purchases (see tests/e2e/simulate.rs).
fn native(purchases: &[Purchase]) -> i64 {
    #[derive(Default)]
    struct C {
        spend: i64,
        n: u64,
        tier: u8,
    }
    let mut customers: HashMap<&str, C> = HashMap::new();
    let mut points = 0;
    for p in purchases {
        let c = customers.entry(&p.customer_id).or_default();
        points += (p.total / 100) * [100, 125, 150][c.tier as usize] / 100;
        c.n += 1;
        if c.n.is_multiple_of(5) {
            points += 50;
        }
        c.spend += p.total;
        c.tier = c.tier.max(if c.spend >= 100_000 { 2 } else { (c.spend >= 20_000) as u8 });
    }
    points
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let runs = args.iter().position(|a| a == "--runs").and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(3);
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let history = read::cdnow(&root.join("examples/data/cdnow/CDNOW_master.txt")).unwrap();
    // The native loop reads them in time order, as the replay does.
    let mut purchases = history.to_vec();
    purchases.sort_by_key(|p| p.at);
    let runtime = Runtime::new(Limits::default(), None).unwrap();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());

    let native_time = median(
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(native(std::hint::black_box(&purchases)));
                t.elapsed()
            })
            .collect(),
    );
    println!("simulate native loop (3 rules, 1 thread): {:.1} ms", native_time.as_secs_f64() * 1e3);
    for (name, manifest) in [("3 policies", "examples/cdnow-points/perk.toml"), ("10 policies", "examples/cdnow-points/ten-policies.toml")]
    {
        let campaign = Campaign::load(&root.join(manifest), &runtime, &BuildOptions::default()).unwrap();
        for batch in [1, simulate::Options::default().batch] {
            let options = simulate::Options { threads, batch };
            let mut times = Vec::new();
            let mut report = None;
            for _ in 0..runs {
                let t = Instant::now();
                report = Some(simulate::run(&campaign, &history, options, &|_| {}));
                times.push(t.elapsed());
            }
            let t = median(times);
            let r = report.unwrap();
            let evals = r.per_policy.values().map(|p| p.evaluations).sum::<u64>();
            println!(
                "simulate {name} ({threads} threads, batch {batch}): {:.0} ms, {:.0} purchases/s, {:.0} policy evaluations/s, {:.1}× the native loop",
                t.as_secs_f64() * 1e3,
                r.purchases as f64 / t.as_secs_f64(),
                evals as f64 / t.as_secs_f64(),
                t.as_secs_f64() / native_time.as_secs_f64()
            );
        }
    }
}
