//! `perk simulate` on the real CDNOW history, checked against an independent model of the
//! same rules; CSV and JSON Lines inputs and their errors.

use crate::support::*;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// The `examples/cdnow-points` rules written out plainly: 1 point per whole dollar ×
/// the tier multiplier held before the purchase (silver 125 %, gold 150 %, rounded down);
/// 50 points on every 5th purchase; silver from $200 and gold from $1,000 lifetime spend,
/// reached with the purchase that crosses the line, never lost.
struct Reference {
    purchases: u64,
    revenue: i64,
    points: i64,
    punch: i64,
    tiers: BTreeMap<String, u64>,
    customers: u64,
    repeat: u64,
}

fn reference(path: &std::path::Path) -> Reference {
    let text = std::fs::read_to_string(path).unwrap();
    let mut rows: Vec<(u32, String, i64)> = text
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let (dollars, cents) = f[3].split_once('.').unwrap();
            (f[1].parse().unwrap(), f[0].to_string(), dollars.parse::<i64>().unwrap() * 100 + cents.parse::<i64>().unwrap())
        })
        .collect();
    rows.sort_by_key(|r| r.0); // stable: same-day purchases keep file order
    #[derive(Default)]
    struct C {
        spend: i64,
        n: u64,
        tier: Option<&'static str>,
    }
    let mut customers: HashMap<String, C> = HashMap::new();
    let (mut points, mut punch, mut revenue) = (0, 0, 0);
    for (_, id, total) in &rows {
        let c = customers.entry(id.clone()).or_default();
        let pct = match c.tier {
            Some("gold") => 150,
            Some("silver") => 125,
            _ => 100,
        };
        points += (total / 100) * pct / 100;
        if (c.n + 1).is_multiple_of(5) {
            punch += 50;
        }
        c.n += 1;
        c.spend += total;
        revenue += total;
        if c.spend >= 100_000 {
            c.tier = Some("gold");
        } else if c.spend >= 20_000 && c.tier.is_none() {
            c.tier = Some("silver");
        }
    }
    let mut tiers = BTreeMap::new();
    for c in customers.values() {
        if let Some(t) = c.tier {
            *tiers.entry(t.to_string()).or_default() += 1;
        }
    }
    Reference {
        purchases: rows.len() as u64,
        revenue,
        points,
        punch,
        tiers,
        customers: customers.len() as u64,
        repeat: customers.values().filter(|c| c.n >= 2).count() as u64,
    }
}

#[test]
fn cdnow_replay_agrees_with_an_independent_model_of_the_rules() {
    let data = root().join("examples/data/cdnow/CDNOW_master.txt");
    let want = reference(&data);
    let out = perk(&["simulate", "examples/cdnow-points", "--cdnow", data.to_str().unwrap(), "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let got: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(got["purchases"], 69_659);
    assert_eq!(got["purchases"], want.purchases);
    assert_eq!(got["customers"], want.customers);
    assert_eq!(got["revenue"], want.revenue);
    assert_eq!(got["per_policy"]["points"]["points"], want.points);
    assert_eq!(got["per_policy"]["punch-card"]["points"], want.punch);
    assert_eq!(got["points_awarded"], want.points + want.punch);
    assert_eq!(got["reward_cost"], want.points + want.punch, "a point is worth a cent");
    assert_eq!(got["tiers"], serde_json::to_value(&want.tiers).unwrap());
    assert_eq!(got["avg_check"], want.revenue / want.purchases as i64);
    let rate = got["repeat_purchase_rate"].as_f64().unwrap();
    assert!((rate - want.repeat as f64 / want.customers as f64).abs() < 1e-12);
    assert_eq!(got["failures"], 0);
    for key in ["discounts", "cashback", "elapsed_ms", "purchases_per_second", "evaluations_per_second"] {
        assert!(got.get(key).is_some(), "{key} missing");
    }
    // Months from the first purchase to the last, ending with the final tier counts.
    let months = got["months"].as_array().unwrap();
    assert_eq!((months[0]["month"].as_str(), months.last().unwrap()["month"].as_str()), (Some("1997-01"), Some("1998-06")));
    assert_eq!(months.last().unwrap()["tiers"], got["tiers"]);
    let monthly_revenue: i64 = months.iter().map(|m| m["revenue"].as_i64().unwrap()).sum();
    assert_eq!(monthly_revenue, want.revenue);
    let customers: u64 = got["rewards_per_customer"].as_array().unwrap().iter().map(|b| b[1].as_u64().unwrap()).sum();
    assert_eq!(customers, want.customers);

    // One thread or two, purchases batched or one by one: the same result.
    for (flag, value) in [("--threads", "1"), ("--batch", "1")] {
        let one = perk(&["simulate", "examples/cdnow-points", "--cdnow", data.to_str().unwrap(), "--json", flag, value]);
        let one: Value = serde_json::from_str(&stdout(&one)).unwrap();
        assert_same_totals(&one, &got, &format!("{flag} {value}"));
    }
}

fn assert_same_totals(one: &Value, got: &Value, what: &str) {
    for key in ["purchases", "revenue", "points_awarded", "tiers", "per_policy", "months", "rewards_per_customer"] {
        let strip = |v: &Value| {
            let mut v = v.clone();
            if let Some(m) = v.as_object_mut() {
                for p in m.values_mut() {
                    if let Some(o) = p.as_object_mut() {
                        o.remove("elapsed_ms");
                    }
                }
            }
            v
        };
        assert_eq!(strip(&one[key]), strip(&got[key]), "{what}: {key}");
    }
}

/// A batch holds the next purchases of different customers; when one of them credits
/// another's account (a referral) and that customer buys later in the same batch, their
/// purchase is evaluated again on the new balance, as a one-by-one replay does.
#[test]
fn a_referral_inside_a_batch_is_replayed_as_one_by_one() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("perk.toml"),
        "[campaign]\nname = \"R\"\ncurrency = \"EUR\"\n\
         [[policy]]\nid = \"points\"\nmodule = \"points\"\n[policy.config]\nunit = 100\npoints_per_unit = 1\n\
         [[policy]]\nid = \"referral\"\nmodule = \"referral\"\n[policy.config]\ninvitee = { points = 100 }\nreferrer_points = 150\n",
    )
    .unwrap();
    let history = dir.path().join("orders.jsonl");
    let line = |id: &str, customer: &str, day: u32, total: i64, referrer: Option<&str>| {
        let attributes = referrer.map_or(String::new(), |r| format!(r#","attributes":{{"referred_by":"{r}"}}"#));
        format!(r#"{{"id":"{id}","customer_id":"{customer}","at":"2026-03-{day:02}T10:00:00Z","total":{total}{attributes}}}"#)
    };
    let lines = [
        line("o1", "anna", 2, 5_000, Some("bob")),
        line("o2", "bob", 2, 7_000, None),
        line("o3", "carl", 3, 2_000, Some("anna")),
        line("o4", "anna", 4, 1_000, None),
    ];
    std::fs::write(&history, lines.join("\n")).unwrap();
    let run = |threads: &str, batch: &str| {
        let (dir, history) = (dir.path().to_str().unwrap(), history.to_str().unwrap());
        let out = perk(&["simulate", dir, "--jsonl", history, "--json", "--threads", threads, "--batch", batch]);
        assert!(out.status.success(), "{}", stderr(&out));
        serde_json::from_str::<Value>(&stdout(&out)).unwrap()
    };
    let (batched, one_by_one) = (run("1", "32"), run("1", "1"));
    assert_eq!(batched["purchases"], 4, "bob's purchase, stale after anna's referral credited him, is counted");
    // 50 + 70 + 20 + 10 points for the purchases; anna and carl 100 as invitees, bob and anna 150 as referrers.
    assert_eq!(batched["points_awarded"], 150 + 200 + 300);
    assert_same_totals(&batched, &one_by_one, "--batch 1");
    // On two threads bob and anna fall to different ones (carl with anna): anna's purchase
    // credits bob across threads, so the replay runs again on one ledger.
    let two = run("2", "32");
    assert_eq!(two["threads"], 1, "replayed on one thread");
    assert_same_totals(&two, &one_by_one, "--threads 2");
}

/// A shop that reuses an order id for another customer: the replay counts the id once, at
/// its first purchase, on any number of threads (anna and bob fall to different threads).
#[test]
fn an_order_id_reused_for_another_customer_counts_once_on_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("perk.toml"),
        "[campaign]\nname = \"R\"\ncurrency = \"EUR\"\n\
         [[policy]]\nid = \"points\"\nmodule = \"points\"\n[policy.config]\nunit = 100\npoints_per_unit = 1\n",
    )
    .unwrap();
    let history = dir.path().join("orders.jsonl");
    let line = |id: &str, customer: &str, day: u32, total: i64| {
        format!(r#"{{"id":"{id}","customer_id":"{customer}","at":"2026-03-{day:02}T10:00:00Z","total":{total}}}"#)
    };
    // o1 is bob's first, in time order, though anna's comes first in the file.
    let lines = [line("o1", "anna", 3, 5_000), line("o1", "bob", 2, 7_000), line("o2", "anna", 4, 1_000), line("o1", "bob", 5, 9_000)];
    std::fs::write(&history, lines.join("\n")).unwrap();
    for threads in ["1", "2"] {
        let (dir, history) = (dir.path().to_str().unwrap(), history.to_str().unwrap());
        let out = perk(&["simulate", dir, "--jsonl", history, "--json", "--threads", threads]);
        assert!(out.status.success(), "{}", stderr(&out));
        let got: Value = serde_json::from_str(&stdout(&out)).unwrap();
        assert_eq!(got["threads"], threads.parse::<u64>().unwrap());
        assert_eq!((got["purchases"].as_u64(), got["points_awarded"].as_i64()), (Some(2), Some(70 + 10)), "--threads {threads}");
        assert_eq!(got["repeated_ids"], 2, "--threads {threads}");
    }
    let out = perk(&["simulate", dir.path().to_str().unwrap(), "--jsonl", history.to_str().unwrap()]);
    assert!(stdout(&out).contains("2 more reused the id of an earlier purchase and were counted once"), "{}", stdout(&out));
}

#[test]
fn the_table_and_the_html_report() {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("report.html");
    let data = root().join("examples/data/cdnow/CDNOW_master.txt");
    let out = perk(&["simulate", "examples/cdnow-points", "--cdnow", data.to_str().unwrap(), "--report", html.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let table = stdout(&out);
    for needle in ["69,659 purchases by 23,570 customers", "reward cost", "punch-card", "purchases/s"] {
        assert!(table.contains(needle), "{needle:?} not in\n{table}");
    }
    let page = std::fs::read_to_string(&html).unwrap();
    assert_eq!(page.matches("<svg").count(), 3, "three charts");
    assert!(
        page.contains("Revenue and reward cost per month") && page.contains("Customers per tier") && page.contains("number of rewards")
    );
    assert!(!page.contains("<script") && !page.contains("http://") && !page.contains("https://"), "self-contained");
}

#[test]
fn csv_and_json_lines_histories_with_errors_that_name_row_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("orders.csv");
    std::fs::write(&csv, "order,client,day,amount\nA1,anna,2026-03-02,250.00\nA2,bob,20260303,99.5\nA3,anna,2026-03-04,1000\n").unwrap();
    let out = perk(&[
        "simulate",
        "examples/cdnow-points",
        "--csv",
        csv.to_str().unwrap(),
        "--map",
        "customer=client,at=day,total=amount,id=order",
        "--json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!((v["purchases"].as_u64(), v["customers"].as_u64(), v["revenue"].as_i64()), (Some(3), Some(2), Some(134_950)));
    // anna: 250 points, then 1000 × 125 % as silver; bob: 99.
    assert_eq!(v["per_policy"]["points"]["points"], 250 + 1250 + 99);

    std::fs::write(&csv, "order,client,day,amount\nA1,anna,2026-03-02,250.00\nA2,bob,2026-03-03,12.345\n").unwrap();
    let out = perk(&["simulate", "examples/cdnow-points", "--csv", csv.to_str().unwrap(), "--map", "customer=client,at=day,total=amount"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("orders.csv:3: column `amount`: `12.345` has more than 2 decimals"), "{}", stderr(&out));
    let out =
        perk(&["simulate", "examples/cdnow-points", "--csv", csv.to_str().unwrap(), "--map", "customer=customer,at=day,total=amount"]);
    assert!(stderr(&out).contains("no column `customer`; the header has: order, client, day, amount"), "{}", stderr(&out));
    let out = perk(&["simulate", "examples/cdnow-points", "--csv", csv.to_str().unwrap(), "--map", "customer=client,at=day"]);
    assert!(stderr(&out).contains("map `total=<column>`"), "{}", stderr(&out));

    let jsonl = dir.path().join("orders.jsonl");
    std::fs::write(
        &jsonl,
        "{\"id\":\"j1\",\"customer_id\":\"c\",\"at\":\"2026-03-02T10:00:00Z\",\"total\":30000}\n{\"id\":\"j2\",\"customer_id\":\"c\",\"total\":-5}\n",
    )
    .unwrap();
    let out = perk(&["simulate", "examples/cdnow-points", "--jsonl", jsonl.to_str().unwrap()]);
    assert!(stderr(&out).contains("orders.jsonl:2: `total`: must not be negative"), "{}", stderr(&out));

    let bad = dir.path().join("cdnow.txt");
    std::fs::write(&bad, " customer_id  date number_of_cds  dollar_value\n 00001 19970101  1   11.77\n 00002 19971301  1   12.00\n")
        .unwrap();
    let out = perk(&["simulate", "examples/cdnow-points", "--cdnow", bad.to_str().unwrap()]);
    assert!(stderr(&out).contains("cdnow.txt:3: column 2 (date): `19971301`: no month 13"), "{}", stderr(&out));
}
