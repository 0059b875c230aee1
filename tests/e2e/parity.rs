//! Each standard policy, compiled to wasm and run in the sandbox, answers exactly as the
//! same crate compiled natively: the SDK's conversions lose nothing. Told that reasons are
//! not shown (a replay), it answers the same rewards and state.

use crate::support::*;
use perk_host::runtime::{Input, PolicyModule};
use perk_host::{Detail, Isolation};
use perk_sdk::testing::config_json;
use perk_sdk::{Context, Customer, Event, Granted, LineItem, Outcome, Policy, Purchase};

fn purchases() -> Vec<Purchase> {
    let base = Purchase {
        id: "p1".into(),
        customer_id: "c1".into(),
        currency: "RUB".into(),
        at: 1_772_454_600_000,
        channel: "store".into(),
        ..Default::default()
    };
    vec![
        Purchase { total: 0, ..base.clone() },
        Purchase { total: 99, ..base.clone() },
        Purchase { total: 45_050, items: vec![LineItem::new("latte", "coffee", 1, 45_050)], ..base.clone() },
        Purchase {
            total: 1_000_000,
            shipping: 50_000,
            partner: Some("air".into()),
            coupons: vec!["WELCOME".into()],
            attributes: vec![("referred_by".into(), "ann".into())],
            items: vec![LineItem::new("coat", "outerwear", 1, 600_000), LineItem::new("novel", "books", 2, 200_000)],
            ..base
        },
    ]
}

fn customers() -> Vec<Customer> {
    let mut gold = Customer::new("c1").with_tier("gold");
    gold.lifetime_spend = 999_000;
    gold.purchases = 5;
    gold.birthday = Some("03-04".into());
    gold.last_purchase_at = Some(1_772_454_600_000 - 2 * 86_400_000);
    let mut silver = Customer::new("c1").with_tier("silver");
    silver.lifetime_spend = 20_000;
    silver.purchases = 11;
    vec![Customer::new("c1"), silver, gold]
}

fn check<P: Policy>(name: &str, config_toml: &str) {
    let config = config_json(config_toml).unwrap();
    let module: PolicyModule = runtime().load(perk_host::stdlib::get(name).unwrap()).unwrap();
    let bound = module.bind(name, &config).unwrap();
    let native_config = perk_sdk::parse_config::<P>(&config).unwrap();
    let mut compared = 0;
    // Fresh instances, then one warm instance serving every case in turn, twice.
    for isolation in [Isolation::Fresh, Isolation::Pooled, Isolation::Pooled] {
        for p in purchases() {
            for c in customers() {
                let ctx = Context { now: 42, policy_id: name.into(), variant: None, state: Vec::new() };
                let native: Outcome = P::on_purchase(&native_config, &p, &c, &ctx).unwrap();
                let wasm = bound.on_purchase(&p, &c, 42, &[], isolation).unwrap().outcome;
                assert_eq!(wasm, native, "{name} {isolation:?}: purchase {} customer {:?}", p.total, c.tier);
                let lean = bound.call(&Input::purchase(&p, &c, 42, None, Detail::Totals), &[], isolation).unwrap().outcome;
                let without_text = Outcome {
                    rewards: native.rewards.iter().map(|g| Granted { reason: String::new(), ..g.clone() }).collect(),
                    progress: Vec::new(),
                    ..native
                };
                assert_eq!(lean, without_text, "{name} {isolation:?} without text: purchase {} customer {:?}", p.total, c.tier);
                compared += 1;
            }
        }
        // Events too: most policies have no `on_event`, and their export answers the
        // trait's default without decoding the event (`__rt::on_ignored_event`).
        let e = Event { id: "e".into(), customer_id: "c1".into(), at: 1_772_454_600_000, kind: "review".into(), attributes: vec![] };
        for c in customers() {
            let ctx = Context { now: 42, policy_id: name.into(), variant: None, state: Vec::new() };
            let native = P::on_event(&native_config, &e, &c, &ctx).unwrap();
            let wasm = bound.on_event(&e, &c, 42, &[], isolation).unwrap().outcome;
            assert_eq!(wasm, native, "{name} {isolation:?}: event, customer {:?}", c.tier);
        }
    }
    assert_eq!(compared, 36);
}

#[test]
fn points_wasm_matches_native() {
    check::<perk_policy_points::Points>(
        "points",
        "unit = 100\npoints_per_unit = 2\ntier_multipliers_pct = { silver = 125, gold = 150 }\nby_category = { coffee = 200, books = 150 }\nby_partner = { air = { unit = 50, points_per_unit = 1 } }",
    );
}

#[test]
fn punch_card_wasm_matches_native() {
    check::<perk_policy_punch_card::PunchCard>("punch-card", "every = 6\nbonus_points = 250\ngoal = \"free coffee\"");
}

#[test]
fn tiers_wasm_matches_native() {
    check::<perk_policy_tiers::Tiers>(
        "tiers",
        "levels = [{ name = \"silver\", min_spend = 10000 }, { name = \"gold\", min_spend = 1000000 }]",
    );
}

#[test]
fn tiers_with_window_and_review_wasm_matches_native() {
    check::<perk_policy_tiers::Tiers>(
        "tiers",
        "levels = [{ name = \"silver\", min_spend = 10000, percent_off = 5 }, { name = \"gold\", min_purchases = 6 }]\nwindow_days = 90\nreview = \"quarter\"\ngrace_days = 10",
    );
}

#[test]
fn cashback_wasm_matches_native() {
    check::<perk_policy_cashback::Cashback>(
        "cashback",
        "percent = 1\nby_category = { coffee = 5, books = 2.5 }\nby_partner = { air = 3 }\nmax_per_purchase = 20000",
    );
}

#[test]
fn welcome_wasm_matches_native() {
    check::<perk_policy_welcome::Welcome>("welcome", "reward = { percent_off = 10 }\nmin_total = 100");
}

#[test]
fn free_shipping_wasm_matches_native() {
    check::<perk_policy_free_shipping::FreeShipping>("free-shipping", "min_total = 500000\nfirst_order = true\ntiers = [\"gold\"]");
}

#[test]
fn spend_threshold_wasm_matches_native() {
    let steps = "steps = [{ spend = 10000, reward = { points = 100 } }, { spend = 500000, reward = { discount = 5000 } }]";
    check::<perk_policy_spend_threshold::SpendThreshold>("spend-threshold", steps);
    check::<perk_policy_spend_threshold::SpendThreshold>("spend-threshold", &format!("period = \"month\"\n{steps}"));
}

#[test]
fn birthday_wasm_matches_native() {
    check::<perk_policy_birthday::Birthday>("birthday", "reward = { percent_off = 15 }\ndays_before = 3\nutc_offset_minutes = 180");
}

#[test]
fn comeback_wasm_matches_native() {
    check::<perk_policy_comeback::Comeback>(
        "comeback",
        "windows = [{ within_days = 3, percent_off = 20 }, { within_days = 7, percent_off = 10 }]",
    );
}

#[test]
fn limited_time_wasm_matches_native() {
    check::<perk_policy_limited_time::LimitedTime>(
        "limited-time",
        "reward = { points = 1 }\nper_unit = 100\ndays = [\"mon\"]\nhours = [15, 17]\nutc_offset_minutes = 180",
    );
}

#[test]
fn vip_membership_wasm_matches_native() {
    check::<perk_policy_vip_membership::VipMembership>(
        "vip-membership",
        "sku = \"coat\"\nterm_days = 30\nperks = [{ percent_off = 10 }]\ntier = \"vip\"",
    );
}

#[test]
fn perk_wasm_matches_native() {
    check::<perk_policy_perk::Perk>("perk", "perks = [{ name = \"lounge\", tiers = [\"gold\"] }]");
}

#[test]
fn challenge_wasm_matches_native() {
    check::<perk_policy_challenge::ChallengePolicy>(
        "challenge",
        "challenges = [{ name = \"explorer\", measure = \"categories\", target = 2, period = \"month\", reward = { points = 300 }, badge = \"Explorer\" }]",
    );
}

#[test]
fn punch_card_by_category_wasm_matches_native() {
    check::<perk_policy_punch_card::PunchCard>("punch-card", "every = 1\nbonus_points = 5\ncategory = \"coffee\"");
}

#[test]
fn activity_wasm_matches_native_on_events() {
    type A = perk_policy_activity::Activity;
    let config = config_json("points = { review = 50, sign-up = 200 }\ndaily_cap = { review = 2 }\nonce = [\"sign-up\"]").unwrap();
    let module = runtime().load(perk_host::stdlib::get("activity").unwrap()).unwrap().bind("a", &config).unwrap();
    let native_config = perk_sdk::parse_config::<A>(&config).unwrap();
    let customer = Customer::new("c1");
    for isolation in [Isolation::Fresh, Isolation::Pooled] {
        let mut state = Vec::new();
        for kind in ["review", "review", "review", "sign-up", "sign-up", "quiz"] {
            let e = Event { id: "e".into(), customer_id: "c1".into(), at: 1_772_454_600_000, kind: kind.into(), attributes: vec![] };
            let ctx = Context { now: 0, policy_id: "a".into(), variant: None, state: perk_sdk::wire::state_to_wire(&state).unwrap() };
            let native = A::on_event(&native_config, &e, &customer, &ctx).unwrap();
            let wasm = module.on_event(&e, &customer, 0, &state, isolation).unwrap().outcome;
            assert_eq!(wasm, native, "{kind} {isolation:?}");
            if let Some(s) = wasm.state {
                state = s;
            }
        }
    }
}

#[test]
fn referral_wasm_matches_native() {
    check::<perk_policy_referral::Referral>("referral", "invitee = { percent_off = 10 }\nreferrer_points = 500\nmin_total = 1000");
}

#[test]
fn configs_are_rejected_the_same_way() {
    let module = runtime().load(perk_host::stdlib::get("tiers").unwrap()).unwrap();
    let bad = config_json("levels = [{ name = \"gold\", min_spend = 5 }, { name = \"silver\", min_spend = 1 }]").unwrap();
    let wasm = module.validate_config(&bad).unwrap_err().message;
    let native = perk_sdk::parse_config::<perk_policy_tiers::Tiers>(&bad).unwrap_err().to_string();
    assert_eq!(wasm, native);
    assert!(wasm.contains("`levels[1].min_spend`"), "{wasm}");
}

#[test]
fn every_standard_policy_describes_itself() {
    let rt = runtime();
    for name in perk_host::stdlib::names() {
        let m = rt.load(perk_host::stdlib::get(name).unwrap()).unwrap();
        assert_eq!(m.describe().name, format!("perk-policy-{name}"));
        assert!(!m.describe().description.is_empty(), "{name} has no description");
        let schema = m.describe().config_schema.as_ref().unwrap_or_else(|| panic!("{name} publishes no config schema"));
        assert_eq!(schema["type"], "object", "{name}");
        assert_eq!(schema["additionalProperties"], false, "{name}: unknown keys are refused");
    }
}
