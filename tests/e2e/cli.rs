//! The `perk` binary as a user drives it.

use crate::support::*;
use serde_json::Value;

fn coffee_eval(extra: &[&str]) -> Value {
    let mut args = vec!["eval", "examples/coffee-shop", "--purchase", "examples/coffee-shop/purchases/afternoon.json"];
    args.extend_from_slice(extra);
    let out = perk(&args);
    assert!(out.status.success(), "perk eval failed: {}", stderr(&out));
    serde_json::from_str(&stdout(&out)).unwrap()
}

#[test]
fn coffee_shop_eval_explains_applied_and_suppressed_rewards() {
    let mut v = coffee_eval(&["--customer", "examples/coffee-shop/purchases/anna.json"]);
    // Anna's 18th purchase: the 6th-coffee bonus (250) beats happy hour (60) in `bonus`;
    // silver earns 125 % of 610 base points.
    assert_eq!(v["totals"]["points"], 250 + 762);
    assert_eq!(v["suppressed"][0]["policy"], "happy-hour");
    assert_eq!(v["suppressed"][0]["by"], "sixth-coffee");
    assert!(v["applied"].as_array().unwrap().iter().all(|a| a["version"].as_str().unwrap().starts_with("sha256:")));
    redact_versions(&mut v);
    golden("coffee-shop-anna.json", &(serde_json::to_string_pretty(&v).unwrap() + "\n"));
}

#[test]
fn example_campaigns_golden() {
    let cases = [
        ("fashion-retail", "fashion-first-order.json", vec!["--purchase", "examples/fashion-retail/purchases/first-order.json"]),
        (
            "fashion-retail",
            "fashion-referred-first-order.json",
            vec!["--purchase", "examples/fashion-retail/purchases/referred-first-order.json"],
        ),
        ("fashion-retail", "fashion-club-membership.json", vec!["--purchase", "examples/fashion-retail/purchases/club-membership.json"]),
        ("coffee-shop", "coffee-review-event.json", vec!["--event", "examples/coffee-shop/events/review.json"]),
        (
            "fashion-retail",
            "fashion-birthday-week.json",
            vec![
                "--purchase",
                "examples/fashion-retail/purchases/birthday-week.json",
                "--customer",
                "examples/fashion-retail/customers/lena.json",
            ],
        ),
        (
            "airline-miles",
            "airline-long-haul.json",
            vec![
                "--purchase",
                "examples/airline-miles/purchases/long-haul.json",
                "--customer",
                "examples/airline-miles/customers/ana.json",
            ],
        ),
        (
            "airline-miles",
            "airline-hotel-partner.json",
            vec![
                "--purchase",
                "examples/airline-miles/purchases/hotel-partner.json",
                "--customer",
                "examples/airline-miles/customers/ana.json",
            ],
        ),
    ];
    for (example, golden_file, args) in cases {
        let dir = format!("examples/{example}");
        let mut all = vec!["eval", dir.as_str()];
        all.extend(args);
        let out = perk(&all);
        assert!(out.status.success(), "{golden_file}: {}", stderr(&out));
        let mut v: Value = serde_json::from_str(&stdout(&out)).unwrap();
        assert_eq!(v["failures"], serde_json::json!([]), "{golden_file}");
        redact_versions(&mut v);
        golden(golden_file, &(serde_json::to_string_pretty(&v).unwrap() + "\n"));
    }
}

#[test]
fn a_new_customer_gets_points_and_happy_hour() {
    let v = coffee_eval(&[]);
    let applied: Vec<&str> = v["applied"].as_array().unwrap().iter().map(|a| a["policy"].as_str().unwrap()).collect();
    assert_eq!(applied, ["points", "happy-hour"]);
    assert_eq!(v["totals"]["points"], 610 + 60);
    let texts: Vec<&str> = v["progress"].as_array().unwrap().iter().map(|p| p["text"].as_str().unwrap()).collect();
    assert!(texts.contains(&"5 more purchases to free coffee"), "{texts:?}");
    assert!(texts.contains(&"2390.00 more to spend for silver tier"), "{texts:?}");
}

#[test]
fn purchase_from_stdin_and_bad_input_gets_a_precise_error() {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_perk"))
        .args(["eval", "examples/coffee-shop", "--purchase", "-"])
        .current_dir(root())
        .env("CARGO_TARGET_DIR", guest_target_dir())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(br#"{"id":"p","customer_id":"c","items":[{"sku":"latte","unit_price":2.5}]}"#).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    assert!(stderr(&out).contains("`items[0].unit_price`: invalid type: floating point `2.5`, expected i64"), "{}", stderr(&out));
}

/// A campaign directory holding `perk.toml` with a `[campaign]` head and `policies`.
fn campaign_dir(policies: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("perk.toml"), format!("[campaign]\nname = \"T\"\ncurrency = \"RUB\"\n\n{policies}")).unwrap();
    dir
}

#[test]
fn check_names_file_line_and_key() {
    let dir = campaign_dir("[[policy]]\nid = \"p\"\nmodule = \"pointz\"\n");
    let out = perk(&["check", dir.path().to_str().unwrap()]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("perk.toml:7:10: policy[0].module: `pointz` is not a standard policy"), "{err}");
    assert!(err.contains("did you mean `points`?"), "{err}");
}

#[test]
fn check_reports_a_config_the_policy_rejects_at_its_line() {
    let dir = campaign_dir("[[policy]]\nid = \"p\"\nmodule = \"points\"\n[policy.config]\nunit = 0\npoints_per_unit = 1\n");
    let out = perk(&["check", dir.path().to_str().unwrap()]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("perk.toml:8:1: policy[0].config: policy `p`: config rejected"), "{err}");
    assert!(err.contains("`unit`: must be at least 1"), "{err}");
}

#[test]
fn check_accepts_the_example_and_lists_versions() {
    let out = perk(&["check", "examples/coffee-shop"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("ok: campaign `Corner Coffee` (RUB), 5 policies"), "{text}");
    assert!(text.contains("happy-hour"), "{text}");
}

#[test]
fn new_policy_builds_and_evaluates_in_a_campaign() {
    let dir = tempfile::tempdir().unwrap();
    let campaign = dir.path();
    let out = perk_in(campaign, &["new", "policy", "policies/big-order"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let snippet = stdout(&out);
    assert!(snippet.contains("module = \"./policies/big-order\""), "{snippet}");
    let manifest = "[campaign]\nname = \"New\"\ncurrency = \"EUR\"\n\n[[policy]]\nid = \"big-order\"\nmodule = \"./policies/big-order\"\n[policy.config]\nmin_total = 10000\nbonus_points = 50\n";
    std::fs::write(campaign.join("perk.toml"), manifest).unwrap();

    let _guard = cargo_lock();
    let out = perk_in(campaign, &["build", "."]);
    assert!(out.status.success(), "perk build: {}", stderr(&out));
    assert!(stdout(&out).contains("built `big_order`"), "{}", stdout(&out));

    std::fs::write(campaign.join("p.json"), r#"{"id":"o1","customer_id":"c1","total":12000}"#).unwrap();
    let out = perk_in(campaign, &["eval", ".", "--purchase", "p.json"]);
    assert!(out.status.success(), "perk eval: {}", stderr(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["totals"]["points"], 50);
    assert_eq!(v["applied"][0]["reason"], "order of 100.00 or more");

    // The scaffold's own native tests pass as generated.
    let test = std::process::Command::new(std::env::var("CARGO").unwrap_or("cargo".into()))
        .args(["test", "--quiet", "--manifest-path"])
        .arg(campaign.join("policies/big-order/Cargo.toml"))
        .env("CARGO_TARGET_DIR", guest_target_dir().join("native"))
        .output()
        .unwrap();
    assert!(test.status.success(), "scaffold tests: {}{}", stdout(&test), stderr(&test));
}

#[test]
fn policies_lists_the_standard_library() {
    let out = perk(&["policies"]);
    assert!(out.status.success(), "{}", stderr(&out));
    for name in [
        "points",
        "punch-card",
        "tiers",
        "cashback",
        "welcome",
        "free-shipping",
        "spend-threshold",
        "birthday",
        "comeback",
        "limited-time",
        "activity",
        "vip-membership",
        "perk",
        "challenge",
        "referral",
    ] {
        assert!(stdout(&out).lines().any(|l| l.starts_with(name)), "{name} missing: {}", stdout(&out));
    }
    // One policy described, with the JSON Schema of its config.
    let out = perk(&["policies", "tiers"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let d: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(d["name"], "perk-policy-tiers");
    assert_eq!(d["config_schema"]["required"], serde_json::json!(["levels"]));
    assert!(d["config_schema"]["$defs"]["Level"]["properties"]["min_spend"].is_object(), "{d}");
    let out = perk(&["policies", "tierz"]);
    assert!(!out.status.success() && stderr(&out).contains("no standard policy `tierz`"), "{}", stderr(&out));
}

#[test]
fn eval_takes_policy_state_with_the_customer_and_shows_the_new_one() {
    let fixture = root().join("tests/fixtures/hostile").display().to_string();
    let dir = campaign_dir(&format!("[[policy]]\nid = \"mem\"\nmodule = {fixture:?}\n[policy.config]\nmode = \"remember\"\n"));
    std::fs::write(dir.path().join("p.json"), r#"{"id":"o1","customer_id":"c1","total":900}"#).unwrap();
    std::fs::write(dir.path().join("c.json"), r#"{"id":"c1","state":{"mem":{"purchases":4,"last_total":1}}}"#).unwrap();
    let _guard = cargo_lock();
    let out = perk_in(dir.path(), &["eval", ".", "--purchase", "p.json", "--customer", "c.json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["totals"]["points"], 5);
    assert_eq!(v["state"]["mem"], serde_json::json!({"purchases": 5, "last_total": 900}));
}
