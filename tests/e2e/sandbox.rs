//! Hostile and broken modules: each is contained, and the other policies still apply.

use crate::support::*;
use perk_host::manifest;
use perk_host::registry::{Campaign, LoadedPolicy, Names};
use perk_host::runtime::{FailureKind, LoadError};
use perk_host::{evaluate, Detail, Isolation, Situation};
use perk_sdk::{Customer, Purchase};
use std::collections::BTreeMap;
use std::time::Instant;

const BOTH: [Isolation; 2] = [Isolation::Fresh, Isolation::Pooled];

/// A campaign of the std `points` policy plus the hostile fixture in `mode` (pooled).
fn campaign_with_hostile(mode: &str) -> Campaign {
    campaign_with_hostile_in(mode, Isolation::Pooled)
}

fn campaign_with_hostile_in(mode: &str, isolation: Isolation) -> Campaign {
    let rt = runtime();
    let src = "[campaign]\nname = \"H\"\ncurrency = \"RUB\"\n[[policy]]\nid = \"points\"\nmodule = \"points\"\n[policy.config]\nunit = 100\npoints_per_unit = 1\n";
    let mut campaign = Campaign::from_manifest(manifest::parse(src, "perk.toml".as_ref()).unwrap(), &rt, &build_options()).unwrap();
    let module = rt.load(hostile_component()).unwrap();
    let mut spec = campaign.policies[0].spec.clone();
    spec.id = "hostile".into();
    spec.config = format!(r#"{{"mode":"{mode}"}}"#);
    spec.isolation = isolation;
    let bound = module.bind(&spec.id, &spec.config).unwrap();
    let names = Names::new(&spec, &module);
    campaign.policies.push(LoadedPolicy { spec, module, bound, names });
    campaign
}

fn eval(campaign: &Campaign) -> perk_host::Evaluation {
    let purchase = Purchase { id: "p1".into(), customer_id: "c1".into(), currency: "RUB".into(), total: 4500, ..Default::default() };
    let customer = Customer::new("c1");
    let states = BTreeMap::new();
    evaluate::purchase(campaign, &purchase, Situation::new(0, &customer, &states))
}

#[test]
fn misbehaving_policies_lose_only_their_own_rewards() {
    let cases = [
        ("loop", FailureKind::Timeout, "used more than 50 ms of CPU time"),
        ("hog", FailureKind::MemoryLimit, "the limit is 16384 KiB"),
        ("panic", FailureKind::Panic, "the espresso machine exploded"),
        ("error", FailureKind::PolicyError, "refusing on purpose"),
        ("negative", FailureKind::InvalidOutput, "order discount is negative (-500)"),
        ("flood", FailureKind::InvalidOutput, "1000 rewards; at most 64"),
    ];
    for isolation in BOTH {
        for (mode, kind, message) in cases {
            let campaign = campaign_with_hostile_in(mode, isolation);
            // Twice: in pooled mode the second call meets whatever the first left behind.
            for _ in 0..2 {
                let started = Instant::now();
                let e = eval(&campaign);
                let took = started.elapsed();
                assert_eq!(e.failures.len(), 1, "{mode} {isolation:?}: {:?}", e.failures);
                let f = &e.failures[0];
                assert_eq!((f.policy.as_str(), f.failure.kind), ("hostile", kind), "{mode} {isolation:?}");
                assert!(f.failure.message.contains(message), "{mode}: `{}` lacks `{message}`", f.failure.message);
                assert_eq!(e.combined.totals.points, 45, "{mode} {isolation:?}: the points policy still applies");
                // Not a benchmark: a generous bound that only an uncontained module would miss.
                assert!(took.as_secs() < 10, "{mode} took {took:?}");
                eprintln!("{mode} {isolation:?}: contained in {took:?}");
            }
        }
    }
}

#[test]
fn a_misbehaving_policy_does_not_poison_the_next_evaluation() {
    for isolation in BOTH {
        let campaign = campaign_with_hostile_in("panic", isolation);
        for _ in 0..3 {
            let e = eval(&campaign);
            assert_eq!(e.failures[0].failure.kind, FailureKind::Panic);
            assert_eq!(e.combined.totals.points, 45);
        }
    }
}

fn hostile_manifest(mode: &str, isolation: &str) -> manifest::Manifest {
    let fixture = root().join("tests/fixtures/hostile").display().to_string();
    let src = format!(
        "[campaign]\nname = \"H\"\ncurrency = \"RUB\"\n[[policy]]\nid = \"h\"\nmodule = {fixture:?}\nisolation = \"{isolation}\"\n[policy.config]\nmode = \"{mode}\"\n"
    );
    manifest::parse(&src, "perk.toml".as_ref()).unwrap()
}

#[test]
fn the_purity_check_refuses_a_policy_that_counts_in_a_static() {
    let _guard = cargo_lock();
    let err = Campaign::from_manifest(hostile_manifest("counter", "pooled"), &runtime(), &build_options()).err().expect("refused");
    let msg = err.to_string();
    assert!(msg.contains("perk.toml:4:1: policy[0].isolation: policy `h`"), "{msg}");
    assert!(msg.contains("answers differently on a reused instance than on a fresh one"), "{msg}");
    assert!(msg.contains("isolation = \"fresh\""), "{msg}");
    // The strict mode runs it, and there it cannot count: every call starts fresh.
    let campaign = Campaign::from_manifest(hostile_manifest("counter", "fresh"), &runtime(), &build_options()).unwrap();
    for _ in 0..3 {
        assert_eq!(eval(&campaign).combined.totals.points, 1);
    }
    // Memory kept the right way, in state through the host, passes.
    Campaign::from_manifest(hostile_manifest("remember", "pooled"), &runtime(), &build_options()).unwrap();
}

#[test]
fn garbage_bytes_are_refused_with_a_reason() {
    let rt = runtime();
    let cases: [(&[u8], &str); 3] = [
        (b"MZ\x90\x00 this is not wasm", "does not start with the wasm header"),
        (b"\0asm\x01\x00\x00\x00\xff\xff\xff", "not a WebAssembly component or module"),
        (b"\0asm\x0d\x00\x01\x00\x07", "invalid component"),
    ];
    for (bytes, want) in cases {
        let err = rt.load(bytes).err().expect("refused").to_string();
        assert!(err.contains(want), "want `{want}` in `{err}`");
    }
    let empty = rt.load(b"").err().expect("refused").to_string();
    assert!(empty.contains("wasm header"), "{empty}");
}

#[test]
fn a_component_importing_anything_else_is_refused() {
    let wat = r#"(component
        (import "wasi:filesystem/preopens@0.2.0" (instance))
        (import "fetch" (func (param "url" string)))
    )"#;
    let bytes = wat::parse_str(wat).unwrap();
    let err = runtime().load(&bytes).err().expect("refused");
    assert!(matches!(err, LoadError::ForbiddenImports(_)), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("`wasi:filesystem/preopens@0.2.0`, `fetch`"), "{msg}");
    assert!(msg.contains("may import only `log`"), "{msg}");
}

#[test]
fn a_policy_built_for_wasi_is_refused_at_load() {
    let _guard = cargo_lock();
    let out = std::process::Command::new(std::env::var("CARGO").unwrap_or("cargo".into()))
        .args(["build", "--release", "--target", "wasm32-wasip2", "--manifest-path"])
        .arg(root().join("tests/fixtures/hostile/Cargo.toml"))
        .arg("--target-dir")
        .arg(guest_target_dir())
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .output()
        .unwrap();
    assert!(out.status.success(), "wasip2 build: {}", stderr(&out));
    let bytes = std::fs::read(guest_target_dir().join("wasm32-wasip2/release/hostile.wasm")).unwrap();
    let err = runtime().load(&bytes).err().expect("a WASI component is refused");
    assert!(matches!(err, LoadError::ForbiddenImports(_)), "{err}");
    assert!(err.to_string().contains("wasi:"), "{err}");
}

#[test]
fn a_core_module_with_wasi_imports_is_refused() {
    let wat = r#"(module (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32))))"#;
    let err = runtime().load(&wat::parse_str(wat).unwrap()).err().expect("refused");
    assert!(err.to_string().contains("`wasi_snapshot_preview1::fd_write`"), "{err}");
}

#[test]
fn oversized_modules_are_refused_before_compiling() {
    let big = vec![0u8; perk_host::Limits::default().module_size + 1];
    let err = runtime().load(&big).err().unwrap();
    assert!(matches!(err, LoadError::TooLarge { .. }), "{err}");
}

#[test]
fn compiled_modules_are_cached_on_disk_by_content_hash() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = perk_host::stdlib::get("points").unwrap();
    let first = perk_host::Runtime::new(perk_host::Limits::default(), Some(dir.path().to_path_buf())).unwrap().load(bytes).unwrap();
    let mut entries: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    entries.sort();
    // The component, under the module's hash, and its core module, which warm instances
    // call directly, under the core module's own.
    assert_eq!(entries.len(), 2, "{entries:?}");
    let hex = first.hash().trim_start_matches("sha256:");
    let (core, component): (Vec<_>, Vec<_>) = entries.iter().partition(|e| e.ends_with(".core.cwasm"));
    assert!(core.len() == 1 && component.len() == 1 && component[0].starts_with(hex) && !core[0].starts_with(hex), "{entries:?}");
    // A new runtime (a restart) loads the cached code and behaves the same.
    let again = perk_host::Runtime::new(perk_host::Limits::default(), Some(dir.path().to_path_buf())).unwrap().load(bytes).unwrap();
    assert_eq!(again.describe(), first.describe());
    assert!(first.calls_directly() && again.calls_directly());
    // A corrupt entry is ignored and recompiled, not trusted.
    for entry in &entries {
        std::fs::write(dir.path().join(entry), b"garbage").unwrap();
    }
    let third = perk_host::Runtime::new(perk_host::Limits::default(), Some(dir.path().to_path_buf())).unwrap().load(bytes).unwrap();
    assert_eq!(third.hash(), first.hash());
    assert!(third.calls_directly());
}

#[test]
fn oversized_inputs_are_refused_per_policy() {
    let campaign = campaign_with_hostile("fine");
    let mut purchase = Purchase { id: "p1".into(), customer_id: "c1".into(), currency: "RUB".into(), total: 100, ..Default::default() };
    purchase.attributes.push(("blob".into(), "x".repeat(200 << 10)));
    let customer = Customer::new("c1");
    let states = BTreeMap::new();
    let e = evaluate::purchase(&campaign, &purchase, Situation::new(0, &customer, &states));
    assert_eq!(e.failures.len(), 2);
    assert!(e.failures.iter().all(|f| f.failure.kind == FailureKind::InputTooLarge));
}

#[test]
fn state_round_trips_through_the_host() {
    let campaign = campaign_with_hostile("remember");
    let purchase = Purchase { id: "p1".into(), customer_id: "c1".into(), currency: "RUB".into(), total: 700, ..Default::default() };
    let customer = Customer::new("c1");
    let mut states = BTreeMap::new();
    let mut earned = Vec::new();
    for _ in 0..3 {
        let e = evaluate::purchase(&campaign, &purchase, Situation::new(0, &customer, &states));
        earned.push(e.combined.applied.iter().find(|a| &*a.origin.policy == "hostile").map(|a| a.value).unwrap());
        states = e.states;
    }
    assert_eq!(earned, [1, 2, 3]);
    assert_eq!(states["hostile"], br#"{"purchases":3,"last_total":700}"#);
}

/// The time limit counts the CPU a call uses, not the time it waits for a core: with more
/// busy threads than cores, calls are descheduled mid-way for longer than a 1 ms limit,
/// and none of them is stopped for it (a wall-clock deadline failed some of them here).
#[test]
fn a_loaded_machine_does_not_time_out_legitimate_calls() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let rt = perk_host::Runtime::new(perk_host::Limits { cpu_ms: 1, ..Default::default() }, None).unwrap();
    let policy = rt.load(perk_host::stdlib::get("points").unwrap()).unwrap().bind("points", r#"{"unit":100,"points_per_unit":1}"#).unwrap();
    let purchase = Purchase { id: "p1".into(), customer_id: "c1".into(), currency: "RUB".into(), total: 4500, ..Default::default() };
    let customer = Customer::new("c1");
    let busy = AtomicBool::new(true);
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let calls = std::thread::scope(|s| {
        for _ in 0..cores * 2 {
            s.spawn(|| {
                while busy.load(Ordering::Relaxed) {
                    std::hint::spin_loop();
                }
            });
        }
        let started = Instant::now();
        let mut calls = 0u64;
        while started.elapsed().as_millis() < 1500 {
            let r = policy.on_purchase(&purchase, &customer, 0, &[], Isolation::Pooled);
            if let Err(f) = r {
                busy.store(false, Ordering::Relaxed);
                panic!("call {calls} failed on a loaded machine: {f}");
            }
            calls += 1;
        }
        busy.store(false, Ordering::Relaxed);
        calls
    });
    assert!(calls > 1000, "only {calls} calls in 1.5 s");
}

/// A replay's batched calls answer what one call each answers on a fresh instance, even
/// when one call of a batch loops, panics, hogs memory, errs, breaks the contract or logs:
/// the batch is then made again call by call, and each failure and log line stays with
/// its own purchase.
#[test]
fn a_batch_with_a_misbehaving_call_answers_as_one_call_each() {
    use perk_host::runtime::Input;
    let rt = runtime();
    let bound = rt.load(hostile_component()).unwrap().bind("hostile", r#"{"mode":"by-purchase"}"#).unwrap();
    let batches: [&[&str]; 4] = [
        &["fine", "remember", "fine", "error", "negative", "flood", "fine"],
        &["fine", "panic", "remember", "fine"],
        &["log", "fine", "fine"],
        &["fine", "loop", "fine", "hog", "remember"],
    ];
    for modes in batches {
        let inputs: Vec<Input> = modes
            .iter()
            .enumerate()
            .map(|(i, mode)| {
                let p = Purchase {
                    id: format!("p{i}"),
                    customer_id: format!("c{i}"),
                    currency: "RUB".into(),
                    total: 1_000 * (i as i64 + 1),
                    attributes: vec![("mode".into(), mode.to_string())],
                    ..Default::default()
                };
                Input::purchase(&p, &Customer::new(format!("c{i}")), 0, None, Detail::Full)
            })
            .collect();
        let states: Vec<Vec<u8>> =
            (0..modes.len()).map(|i| if i % 2 == 0 { br#"{"purchases":3,"last_total":500}"#.to_vec() } else { Vec::new() }).collect();
        let calls: Vec<(&Input, &[u8])> = inputs.iter().zip(&states).map(|(i, s)| (i, s.as_slice())).collect();
        let alone: Vec<_> = calls.iter().map(|(i, s)| answer(bound.call(i, s, Isolation::Fresh))).collect();
        // Twice: the second batch meets the pool the first one left.
        for round in 0..2 {
            let batched: Vec<_> = bound.call_batch(&calls, Isolation::Pooled).into_iter().map(answer).collect();
            assert_eq!(batched, alone, "{modes:?}, round {round}");
        }
        for (mode, a) in modes.iter().zip(&alone) {
            match *mode {
                "fine" | "remember" => assert!(matches!(a, Ok((_, logs)) if logs.is_empty()), "{mode}: {a:?}"),
                "log" => assert!(matches!(a, Ok((_, logs)) if logs.len() == 1), "{mode}: {a:?}"),
                _ => assert!(a.is_err(), "{mode}: {a:?}"),
            }
        }
    }
}

/// A call's answer, comparable: the outcome and logs, or the failure.
fn answer(
    r: Result<perk_host::runtime::Evaluated, perk_host::runtime::Failure>,
) -> Result<(perk_sdk::Outcome, Vec<perk_host::runtime::LogLine>), perk_host::runtime::Failure> {
    r.map(|e| (e.outcome, e.logs))
}

/// The hostile fixture built as a lean (`no_std`) guest, as the standard policies are.
fn lean_hostile_component() -> &'static [u8] {
    static BYTES: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    BYTES.get_or_init(|| {
        // Held until the module is read: the std build writes the same file.
        let _guard = cargo_lock();
        let cargo = build_options().cargo;
        let manifest = root().join("tests/fixtures/hostile/Cargo.toml");
        let built = perk_host::guest_build::cargo_build(&cargo, &manifest, &[], &["--no-default-features"], Some(&guest_target_dir()))
            .expect("the lean fixture builds");
        let core = perk_host::guest_build::optimized_core(&built[0].wasm).unwrap();
        perk_host::guest_build::componentize(&core).unwrap()
    })
}

#[test]
fn panics_reach_the_host_from_std_and_lean_guests() {
    let index = "index out of bounds: the len is 3 but the index is 7";
    let lean_index = "(a formatted message; perk-sdk's `std` feature shows it)";
    for (build, component, formatted) in [("std", hostile_component(), index), ("lean", lean_hostile_component(), lean_index)] {
        let module = runtime().load(component).unwrap();
        for (mode, message) in [("panic", "the espresso machine exploded"), ("index", formatted)] {
            let bound = module.bind("hostile", &format!(r#"{{"mode":"{mode}"}}"#)).unwrap();
            for isolation in BOTH {
                let f = bound.on_purchase(&Purchase::new("p1", 100), &Customer::new("c1"), 0, &[], isolation).expect_err("it panics");
                assert_eq!(f.kind, FailureKind::Panic, "{build} {mode}: {f}");
                assert!(
                    f.message.contains("panicked at ") && f.message.contains("src/lib.rs:"),
                    "{build} {mode}: `{}` lacks the place",
                    f.message
                );
                assert!(f.message.contains(message), "{build} {mode}: `{}` lacks `{message}`", f.message);
            }
        }
    }
    let lean = lean_hostile_component().len();
    assert!(lean < hostile_component().len(), "lean {lean} B, std {} B", hostile_component().len());
}
