//! Perk against the alternatives on the same three policies, in one run (criterion):
//!
//! - `native`: the policy crate's function, config parsed once (the floor);
//! - `perk`: Perk's pooled path — the input encoded (`Input::purchase`), a warm instance
//!   of the standard policy component, the outcome decoded and checked;
//! - `rhai`: a Rhai script of the same rules (`scripts/`), compiled once; the purchase and
//!   customer built as Rhai maps per call, as a Rhai host must;
//! - `extism`: the same policy crates as an Extism plugin (`extism-guest`), warm, JSON in
//!   and out, config parsed once per plugin instance.
//!
//! Every implementation is checked against native before timing.
//! `./run.sh` builds the plugin and runs this bench.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use perk_host::runtime::{BoundPolicy, Input};
use perk_host::{Detail, Isolation, Limits, Runtime};
use perk_sdk::testing::config_json;
use perk_sdk::{Context, Customer, LineItem, Outcome, Policy, Purchase, Reward};
use rhai::{Dynamic, Engine, Map, Scope, AST};

const POINTS: &str = "unit = 100\npoints_per_unit = 1\ntier_multipliers_pct = { silver = 125, gold = 150 }";
const PUNCH: &str = "every = 5\nbonus_points = 50\ngoal = \"free coffee\"\ncategory = \"coffee\"";
const CASHBACK: &str = "percent = 1\nby_category = { coffee = 5, books = 3 }";
/// The punch card's state for this customer: 4 stamps, so this purchase completes the card.
const STAMPS: &[u8] = br#"{"count":4}"#;

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

/// The number each policy gives: points, bonus points or cashback.
fn amount(o: &Outcome) -> i64 {
    o.rewards
        .iter()
        .map(|g| match g.reward {
            Reward::Points { amount } | Reward::Cashback { amount } => amount,
            _ => 0,
        })
        .sum()
}

// ----------------------------------------------------------------------------- Rhai

struct Rhai {
    engine: Engine,
    points: AST,
    punch: AST,
    cashback: AST,
    configs: [Dynamic; 3],
}

fn toml_to_dynamic(toml_src: &str) -> Dynamic {
    let json = config_json(toml_src).unwrap();
    rhai::serde::to_dynamic(serde_json::from_str::<serde_json::Value>(&json).unwrap()).unwrap()
}

impl Rhai {
    fn new() -> Self {
        let engine = Engine::new();
        let script = |name: &str| {
            let path = format!("{}/scripts/{name}.rhai", env!("CARGO_MANIFEST_DIR"));
            engine.compile(std::fs::read_to_string(&path).unwrap()).unwrap()
        };
        let (points, punch, cashback) = (script("points"), script("punch_card"), script("cashback"));
        let mut cashback_config = toml_to_dynamic(CASHBACK).cast::<Map>();
        // Basis points, as the standard policy holds percentages.
        let to_bp = |v: &Dynamic| Dynamic::from((v.as_int().unwrap()) * 100);
        cashback_config.insert("percent".into(), to_bp(&cashback_config["percent"]));
        let mut by_category = cashback_config["by_category"].clone().cast::<Map>();
        for v in by_category.values_mut() {
            *v = to_bp(v);
        }
        cashback_config.insert("by_category".into(), by_category.into());
        let configs = [toml_to_dynamic(POINTS), toml_to_dynamic(PUNCH), cashback_config.into()];
        Rhai { engine, points, punch, cashback, configs }
    }

    /// The purchase and customer as a Rhai host passes them: maps built per evaluation.
    fn scope(p: &Purchase, c: &Customer) -> Scope<'static> {
        let mut items = rhai::Array::with_capacity(p.items.len());
        for i in &p.items {
            let mut m = Map::new();
            m.insert("sku".into(), i.sku.clone().into());
            m.insert("category".into(), i.category.clone().into());
            m.insert("quantity".into(), (i.quantity as i64).into());
            m.insert("unit_price".into(), i.unit_price.into());
            items.push(m.into());
        }
        let mut pm = Map::new();
        pm.insert("id".into(), p.id.clone().into());
        pm.insert("total".into(), p.total.into());
        pm.insert("channel".into(), p.channel.clone().into());
        pm.insert("items".into(), items.into());
        let mut cm = Map::new();
        cm.insert("id".into(), c.id.clone().into());
        cm.insert("tier".into(), c.tier.clone().map_or(Dynamic::UNIT, Dynamic::from));
        cm.insert("purchases".into(), (c.purchases as i64).into());
        cm.insert("lifetime_spend".into(), c.lifetime_spend.into());
        let mut scope = Scope::new();
        scope.push("purchase", pm);
        scope.push("customer", cm);
        scope
    }

    /// Runs policy `i` (0 points, 1 punch card, 2 cashback) in `scope`, then rewinds it.
    fn eval(&self, scope: &mut Scope<'static>, i: usize, stamps: i64) -> i64 {
        let len = scope.len();
        scope.push("config", self.configs[i].clone());
        if i == 1 {
            let mut state = Map::new();
            state.insert("count".into(), stamps.into());
            scope.push("state", state);
        }
        let ast = [&self.points, &self.punch, &self.cashback][i];
        let out: Map = self.engine.eval_ast_with_scope(scope, ast).unwrap();
        scope.rewind(len);
        let key = if i == 2 { "cashback" } else { "points" };
        out[key].as_int().unwrap()
    }
}

// ----------------------------------------------------------------------------- Extism

struct Extism {
    plugin: extism::Plugin,
}

#[derive(serde::Serialize)]
struct Call<'a> {
    policy: &'a str,
    purchase: &'a Purchase,
    customer: &'a Customer,
    state: &'a str,
}

impl Extism {
    fn new() -> Self {
        let path = std::env::var("PERK_EXTISM_PLUGIN")
            .unwrap_or_else(|_| format!("{}/../target/wasm32-unknown-unknown/guest/perk_extism_guest.wasm", env!("CARGO_MANIFEST_DIR")));
        let wasm = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}; build it with ./run.sh"));
        let manifest = extism::Manifest::new([extism::Wasm::data(wasm)])
            .with_config_key("points", config_json(POINTS).unwrap())
            .with_config_key("punch-card", config_json(PUNCH).unwrap())
            .with_config_key("cashback", config_json(CASHBACK).unwrap());
        Extism { plugin: extism::Plugin::new(&manifest, [], false).unwrap() }
    }

    fn call(&mut self, policy: &str, p: &Purchase, c: &Customer, state: &[u8]) -> Outcome {
        let input = serde_json::to_string(&Call { policy, purchase: p, customer: c, state: std::str::from_utf8(state).unwrap() }).unwrap();
        let out: String = self.plugin.call::<&str, String>("on_purchase", &input).unwrap();
        serde_json::from_str(&out).unwrap()
    }
}

// ----------------------------------------------------------------------------- the bench

struct Perk {
    policies: [BoundPolicy; 3],
}

impl Perk {
    fn new(rt: &Runtime) -> Self {
        let bind = |name: &str, toml_src: &str| {
            rt.load(perk_host::stdlib::get(name).unwrap()).unwrap().bind(name, &config_json(toml_src).unwrap()).unwrap()
        };
        Perk { policies: [bind("points", POINTS), bind("punch-card", PUNCH), bind("cashback", CASHBACK)] }
    }

    fn call(&self, i: usize, input: &Input) -> Outcome {
        let state = if i == 1 { STAMPS } else { &[] };
        self.policies[i].call(input, state, Isolation::Pooled).unwrap().outcome
    }
}

fn native(i: usize, p: &Purchase, c: &Customer, ctx: &[Context; 3], cfg: &Configs) -> Outcome {
    match i {
        0 => perk_policy_points::Points::on_purchase(&cfg.0, p, c, &ctx[0]),
        1 => perk_policy_punch_card::PunchCard::on_purchase(&cfg.1, p, c, &ctx[1]),
        _ => perk_policy_cashback::Cashback::on_purchase(&cfg.2, p, c, &ctx[2]),
    }
    .unwrap()
}

type Configs = (
    <perk_policy_points::Points as Policy>::Config,
    <perk_policy_punch_card::PunchCard as Policy>::Config,
    <perk_policy_cashback::Cashback as Policy>::Config,
);

fn bench(c: &mut Criterion) {
    let (p, cu) = (purchase(), customer());
    let cfg: Configs = (
        perk_sdk::parse_config::<perk_policy_points::Points>(&config_json(POINTS).unwrap()).unwrap(),
        perk_sdk::parse_config::<perk_policy_punch_card::PunchCard>(&config_json(PUNCH).unwrap()).unwrap(),
        perk_sdk::parse_config::<perk_policy_cashback::Cashback>(&config_json(CASHBACK).unwrap()).unwrap(),
    );
    let ctx = |i: usize| Context {
        now: 0,
        policy_id: ["points", "punch-card", "cashback"][i].into(),
        variant: None,
        state: if i == 1 { perk_sdk::wire::state_to_wire(STAMPS).unwrap() } else { Vec::new() },
    };
    let ctxs = [ctx(0), ctx(1), ctx(2)];
    let rt = Runtime::new(Limits::default(), None).unwrap();
    let perk = Perk::new(&rt);
    let rhai = Rhai::new();
    let mut extism = Extism::new();
    let names = ["points", "punch-card", "cashback"];

    // Same answers everywhere, or the comparison means nothing.
    let input = Input::purchase(&p, &cu, 0, None, Detail::Full);
    for (i, name) in names.iter().enumerate() {
        let want = native(i, &p, &cu, &ctxs, &cfg);
        assert!(amount(&want) > 0, "{name}: the bench purchase should earn something");
        assert_eq!(perk.call(i, &input), want, "perk {name}");
        assert_eq!(extism.call(name, &p, &cu, if i == 1 { STAMPS } else { &[] }), want, "extism {name}");
        assert_eq!(rhai.eval(&mut Rhai::scope(&p, &cu), i, 4), amount(&want), "rhai {name}");
    }

    for (i, name) in names.iter().enumerate() {
        let mut g = c.benchmark_group(*name);
        g.bench_function("native", |b| b.iter(|| native(i, black_box(&p), black_box(&cu), &ctxs, &cfg)));
        g.bench_function("perk", |b| b.iter(|| perk.call(i, &Input::purchase(black_box(&p), black_box(&cu), 0, None, Detail::Full))));
        g.bench_function("rhai", |b| b.iter(|| rhai.eval(&mut Rhai::scope(black_box(&p), black_box(&cu)), i, 4)));
        let state: &[u8] = if i == 1 { STAMPS } else { &[] };
        g.bench_function("extism", |b| b.iter(|| extism.call(name, black_box(&p), black_box(&cu), state)));
        g.finish();
    }

    let mut g = c.benchmark_group("purchase, 3 policies");
    g.bench_function("native", |b| b.iter(|| (0..3).map(|i| amount(&native(i, black_box(&p), black_box(&cu), &ctxs, &cfg))).sum::<i64>()));
    g.bench_function("perk", |b| {
        b.iter(|| {
            let input = Input::purchase(black_box(&p), black_box(&cu), 0, None, Detail::Full);
            (0..3).map(|i| amount(&perk.call(i, &input))).sum::<i64>()
        })
    });
    g.bench_function("rhai", |b| {
        b.iter(|| {
            let mut scope = Rhai::scope(black_box(&p), black_box(&cu));
            (0..3).map(|i| rhai.eval(&mut scope, i, 4)).sum::<i64>()
        })
    });
    g.bench_function("extism", |b| {
        b.iter(|| {
            (0..3).map(|i| amount(&extism.call(names[i], black_box(&p), black_box(&cu), if i == 1 { STAMPS } else { &[] }))).sum::<i64>()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
