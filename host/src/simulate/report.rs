//! The simulation report: a table for the terminal and a self-contained HTML page with
//! SVG charts (no scripts, no network).

use super::Report;
use perk_sdk::money;
use std::fmt::Write as _;

fn thousands(n: i64) -> String {
    let s = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

fn cash(minor: i64, currency: &str) -> String {
    let m = money(minor);
    let (int, frac) = m.split_once('.').unwrap_or((&m, ""));
    let int: i64 = int.parse().unwrap_or(0);
    let sign = if minor < 0 && int == 0 { "-" } else { "" };
    if frac.is_empty() {
        format!("{sign}{} {currency}", thousands(int))
    } else {
        format!("{sign}{}.{frac} {currency}", thousands(int))
    }
}

fn pct(part: i64, whole: i64) -> String {
    if whole == 0 {
        return "–".into();
    }
    format!("{:.2} %", part as f64 * 100.0 / whole as f64)
}

/// The summary printed on the terminal.
pub fn table(r: &Report) -> String {
    let c = &r.currency;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} — {} purchases by {} customers, replayed in {:.2} s",
        r.campaign,
        thousands(r.purchases as i64),
        thousands(r.customers as i64),
        r.elapsed_ms as f64 / 1000.0
    );
    if r.repeated_ids > 0 {
        let _ = writeln!(
            s,
            "{} more reused the id of an earlier purchase and were counted once, as the server would",
            thousands(r.repeated_ids as i64)
        );
    }
    let _ = writeln!(s);
    let rows = [
        ("revenue", cash(r.revenue, c)),
        ("average check", cash(r.avg_check, c)),
        ("repeat purchase rate", format!("{:.1} %", r.repeat_purchase_rate * 100.0)),
        ("points awarded", thousands(r.points_awarded)),
        ("discounts", cash(r.discounts, c)),
        ("cashback", cash(r.cashback, c)),
        ("shipping waived", cash(r.free_shipping, c)),
        ("reward cost", format!("{} ({} of revenue)", cash(r.reward_cost, c), pct(r.reward_cost, r.revenue))),
    ];
    for (k, v) in rows {
        let _ = writeln!(s, "  {k:<22} {v}");
    }
    if !r.tiers.is_empty() {
        let tiers: Vec<String> = r.tiers.iter().map(|(t, n)| format!("{t} {}", thousands(*n as i64))).collect();
        let _ = writeln!(s, "  {:<22} {}", "tiers at the end", tiers.join(", "));
    }
    let _ = writeln!(s);
    let _ = writeln!(s, "  {:<18} {:>12} {:>10} {:>14} {:>16} {:>9}", "policy", "evaluations", "rewards", "points", "cost", "failures");
    for (id, t) in &r.per_policy {
        let _ = writeln!(
            s,
            "  {id:<18} {:>12} {:>10} {:>14} {:>16} {:>9}",
            thousands(t.evaluations as i64),
            thousands(t.rewards as i64),
            thousands(t.points),
            cash(t.cost, c),
            t.failures
        );
    }
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "  throughput: {} purchases/s, {} policy evaluations/s on {} thread{}",
        thousands(r.purchases_per_second as i64),
        thousands(r.evaluations_per_second as i64),
        r.threads,
        if r.threads == 1 { "" } else { "s" }
    );
    s
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

const W: f64 = 860.0;
const H: f64 = 300.0;
const LEFT: f64 = 80.0;
const RIGHT: f64 = 70.0;
const TOP: f64 = 30.0;
const BOTTOM: f64 = 50.0;
const COLORS: [&str; 6] = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1", "#76b7b2"];

/// A "nice" axis maximum at or above `v`.
fn nice(v: f64) -> f64 {
    if v <= 0.0 {
        return 1.0;
    }
    let mag = 10f64.powf(v.log10().floor());
    for step in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if step * mag >= v {
            return step * mag;
        }
    }
    10.0 * mag
}

fn axis_label(v: f64) -> String {
    let short = |x: f64| {
        let s = format!("{x:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    };
    if v >= 1e6 {
        format!("{}M", short(v / 1e6))
    } else if v >= 1e3 {
        format!("{}k", short(v / 1e3))
    } else {
        short(v)
    }
}

/// Bars (stacked when several series) with x labels, an optional line on a right axis.
fn chart(title: &str, labels: &[String], series: &[(&str, Vec<f64>)], line: Option<(&str, Vec<f64>)>, y_unit: &str) -> String {
    let n = labels.len().max(1) as f64;
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let stacked_max = (0..labels.len()).map(|i| series.iter().map(|(_, v)| v[i]).sum::<f64>()).fold(0.0, f64::max);
    let ymax = nice(stacked_max);
    let slot = plot_w / n;
    let bar = (slot * 0.7).max(1.0);
    let mut s = format!(
        r#"<figure><figcaption>{}</figcaption><svg viewBox="0 0 {W} {H}" role="img" aria-label="{}">"#,
        escape(title),
        escape(title)
    );
    for k in 0..=4 {
        let v = ymax * k as f64 / 4.0;
        let y = TOP + plot_h - plot_h * k as f64 / 4.0;
        let _ = write!(
            s,
            r##"<line x1="{LEFT}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" text-anchor="end" class="tick">{}</text>"##,
            W - RIGHT,
            LEFT - 6.0,
            y + 4.0,
            axis_label(v)
        );
    }
    let _ = write!(
        s,
        r#"<text x="14" y="{:.1}" transform="rotate(-90 14 {:.1})" text-anchor="middle" class="unit">{}</text>"#,
        TOP + plot_h / 2.0,
        TOP + plot_h / 2.0,
        escape(y_unit)
    );
    for i in 0..labels.len() {
        let x = LEFT + slot * i as f64 + (slot - bar) / 2.0;
        let mut base = 0.0;
        for (k, (name, values)) in series.iter().enumerate() {
            let h = plot_h * values[i] / ymax;
            let y = TOP + plot_h - plot_h * base / ymax - h;
            let _ = write!(
                s,
                r#"<rect x="{x:.1}" y="{y:.1}" width="{bar:.1}" height="{h:.1}" fill="{}"><title>{} {}: {}</title></rect>"#,
                COLORS[k % COLORS.len()],
                escape(&labels[i]),
                escape(name),
                axis_label(values[i])
            );
            base += values[i];
        }
        let every = ((n / 12.0).ceil() as usize).max(1);
        if i % every == 0 {
            let _ = write!(
                s,
                r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" class="tick">{}</text>"#,
                x + bar / 2.0,
                H - BOTTOM + 18.0,
                escape(&labels[i])
            );
        }
    }
    if let Some((name, values)) = &line {
        let lmax = nice(values.iter().copied().fold(0.0, f64::max));
        let points: Vec<String> = values
            .iter()
            .enumerate()
            .map(|(i, v)| format!("{:.1},{:.1}", LEFT + slot * i as f64 + slot / 2.0, TOP + plot_h - plot_h * v / lmax))
            .collect();
        let _ = write!(s, r##"<polyline points="{}" fill="none" stroke="#e15759" stroke-width="2.5"/>"##, points.join(" "));
        for k in 0..=4 {
            let y = TOP + plot_h - plot_h * k as f64 / 4.0;
            let _ = write!(
                s,
                r##"<text x="{}" y="{:.1}" class="tick" fill="#e15759">{}</text>"##,
                W - RIGHT + 6.0,
                y + 4.0,
                axis_label(lmax * k as f64 / 4.0)
            );
        }
        let _ = write!(s, r##"<text x="{}" y="{:.1}" class="legend" fill="#e15759">— {}</text>"##, LEFT + 8.0, TOP - 10.0, escape(name));
    }
    let mut lx = if line.is_some() { LEFT + 260.0 } else { LEFT + 8.0 };
    for (k, (name, _)) in series.iter().enumerate() {
        let _ = write!(
            s,
            r#"<rect x="{lx:.1}" y="{:.1}" width="12" height="12" fill="{}"/><text x="{:.1}" y="{:.1}" class="legend">{}</text>"#,
            TOP - 21.0,
            COLORS[k % COLORS.len()],
            lx + 16.0,
            TOP - 10.0,
            escape(name)
        );
        lx += 24.0 + name.len() as f64 * 8.0;
    }
    s.push_str("</svg></figure>");
    s
}

/// A self-contained HTML page: the summary and three charts.
pub fn html(r: &Report) -> String {
    let labels: Vec<String> = r.months.iter().map(|m| m.month.clone()).collect();
    let major = |v: i64| v as f64 / 100.0;
    let revenue_cost = chart(
        &format!("Revenue and reward cost per month ({})", r.currency),
        &labels,
        &[("revenue", r.months.iter().map(|m| major(m.revenue)).collect())],
        Some(("reward cost (right axis)", r.months.iter().map(|m| major(m.reward_cost)).collect())),
        &r.currency,
    );
    let mut tier_names: Vec<String> = r.months.iter().flat_map(|m| m.tiers.keys().cloned()).collect();
    tier_names.sort();
    tier_names.dedup();
    let tier_series: Vec<(&str, Vec<f64>)> =
        tier_names.iter().map(|t| (t.as_str(), r.months.iter().map(|m| m.tiers.get(t).copied().unwrap_or(0) as f64).collect())).collect();
    let tiers = if tier_series.is_empty() {
        "<p>No policy assigned tiers.</p>".to_string()
    } else {
        chart("Customers per tier at the end of each month", &labels, &tier_series, None, "customers")
    };
    let hist_labels: Vec<String> = r.rewards_per_customer.iter().map(|(l, _)| l.clone()).collect();
    let histogram = chart(
        "Customers by number of rewards earned",
        &hist_labels,
        &[("customers", r.rewards_per_customer.iter().map(|(_, n)| *n as f64).collect())],
        None,
        "customers",
    );
    let summary = escape(&table(r));
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title} — simulation</title>
<style>
body {{ font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 900px; color: #222; }}
h1 {{ font-size: 1.5rem; }} pre {{ background: #f6f6f6; padding: 1rem; overflow-x: auto; font-size: 13px; }}
figure {{ margin: 2rem 0; }} figcaption {{ font-weight: 600; margin-bottom: .4rem; }}
svg {{ width: 100%; height: auto; }} .tick {{ font-size: 11px; fill: #555; }} .legend {{ font-size: 12px; }} .unit {{ font-size: 11px; fill: #555; }}
</style></head><body>
<h1>{title}: what the campaign would have done</h1>
<p>{purchases} purchases by {customers} customers from {first} to {last}, replayed through the campaign's policies and ledger rules.</p>
<pre>{summary}</pre>
{revenue_cost}
{tiers}
{histogram}
</body></html>
"#,
        title = escape(&r.campaign),
        purchases = thousands(r.purchases as i64),
        customers = thousands(r.customers as i64),
        first = r.months.first().map_or("–", |m| m.month.as_str()),
        last = r.months.last().map_or("–", |m| m.month.as_str()),
    )
}
