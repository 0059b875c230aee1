//! `points`: points per currency unit spent, with optional multipliers by tier.
//! See README.md for the manifest snippet.

use perk_sdk::prelude::*;
use std::collections::BTreeMap;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Minor units per earning step: `100` = every whole 1.00 spent.
    pub unit: Money,
    /// Points per whole `unit` of the goods total.
    pub points_per_unit: i64,
    /// Percent applied to the base by the tier the customer holds before the purchase:
    /// `{ silver = 125, gold = 150 }`. Rounds down. Tiers not listed earn 100 %.
    #[serde(default)]
    pub tier_multipliers_pct: BTreeMap<String, u32>,
}

pub struct Points;

/// Points per currency unit spent (goods total, shipping excluded), with an optional
/// multiplier by the tier the customer holds before the purchase.
#[perk_sdk::policy]
impl Policy for Points {
    type Config = Config;

    fn validate(c: &Config) -> Result<()> {
        if c.unit < 1 {
            return Err(Error::msg(format!("`unit`: must be at least 1 (minor units), got {}", c.unit)));
        }
        if c.points_per_unit < 0 {
            return Err(Error::msg(format!("`points_per_unit`: must not be negative, got {}", c.points_per_unit)));
        }
        Ok(())
    }

    fn on_purchase(c: &Config, p: &Purchase, customer: &Customer, _ctx: &Context) -> Result<Outcome> {
        let total = p.total.max(0);
        let units = total / c.unit;
        let base = units.saturating_mul(c.points_per_unit);
        let pct = customer.tier.as_ref().and_then(|t| c.tier_multipliers_pct.get(t).map(|pct| (t, *pct)));
        let (points, reason) = match pct {
            Some((tier, pct)) if pct != 100 => {
                let points = base.saturating_mul(pct as i64) / 100;
                (points, format!("{base} base points ({} per {} spent) × {pct}% for {tier} tier", c.points_per_unit, money(c.unit)))
            }
            _ => (base, format!("{} points per {} spent on {}", c.points_per_unit, money(c.unit), money(total))),
        };
        let to_next = c.unit - total % c.unit;
        Ok(Outcome::new().points(points, reason).progress("next point", c.unit - to_next, c.unit, Unit::Money))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use perk_sdk::testing::Harness;

    const CONFIG: &str = "unit = 100\npoints_per_unit = 1\ntier_multipliers_pct = { silver = 125, gold = 150 }";

    #[test]
    fn earns_per_whole_unit_rounding_down() {
        let cases = [(0, 0), (99, 0), (100, 1), (450, 4), (1999, 19)];
        for (total, want) in cases {
            let mut h = Harness::<Points>::new(CONFIG);
            assert_eq!(h.purchase(Purchase::new("p", total)).points_total(), want, "total {total}");
        }
    }

    #[test]
    fn tier_multiplier_applies_to_the_tier_held_before_and_rounds_down() {
        let cases = [(None, 450, 4), (Some("silver"), 450, 5), (Some("gold"), 450, 6), (Some("silver"), 300, 3), (Some("bronze"), 450, 4)];
        for (tier, total, want) in cases {
            let mut customer = Customer::new("c");
            customer.tier = tier.map(String::from);
            let mut h = Harness::<Points>::new(CONFIG).with_customer(customer);
            assert_eq!(h.purchase(Purchase::new("p", total)).points_total(), want, "{tier:?} {total}");
        }
    }

    #[test]
    fn progress_shows_spend_toward_the_next_point() {
        let mut h = Harness::<Points>::new(CONFIG);
        let out = h.purchase(Purchase::new("p", 450));
        assert_eq!((out.progress[0].current, out.progress[0].target), (50, 100));
    }

    #[test]
    fn config_errors_name_the_key() {
        let err = Harness::<Points>::try_new("unit = 0\npoints_per_unit = 1").err().unwrap();
        assert!(err.message().contains("`unit`"), "{err}");
        let err = Harness::<Points>::try_new("unit = 100\npoints_per_unit = \"x\"").err().unwrap();
        assert!(err.message().contains("`points_per_unit`"), "{err}");
        let err = Harness::<Points>::try_new("unit = 100\npoints_per_unit = 1\npoints_per_unt = 2").err().unwrap();
        assert!(err.message().contains("points_per_unt"), "{err}");
        let err = Harness::<Points>::try_new("points_per_unit = 1").err().unwrap();
        assert!(err.message().contains("missing field `unit`"), "{err}");
    }
}
