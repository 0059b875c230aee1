//! `points`: points per currency unit spent, with multipliers by product (SKU, tag,
//! category), rates by partner, and multipliers by tier. See README.md.
#![cfg_attr(not(test), no_std)]

use perk_sdk::prelude::*;

#[derive(Debug, FromJson)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Minor units per earning step: `100` = every whole 1.00 spent.
    pub unit: Money,
    /// Points per whole `unit` of the goods total.
    pub points_per_unit: i64,
    /// Percent applied to the base by the tier the customer holds before the purchase:
    /// `{ silver = 125, gold = 150 }`. Rounds down. Tiers not listed earn 100 %.
    #[serde(default)]
    pub tier_multipliers_pct: Table<u32>,
    /// Percent multipliers for lines, most specific first: SKU, then the highest of the
    /// line's tags, then its category: `by_category = { coffee = 200 }` is double points.
    #[serde(default)]
    pub by_sku: Table<u32>,
    #[serde(default)]
    pub by_tag: Table<u32>,
    #[serde(default)]
    pub by_category: Table<u32>,
    /// Earning rates for purchases through a partner, replacing `unit` and `points_per_unit`:
    /// `by_partner = { airline = { unit = 100, points_per_unit = 2 } }`.
    #[serde(default)]
    pub by_partner: Table<Rate>,
}

#[derive(Debug, FromJson)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Rate {
    pub unit: Money,
    pub points_per_unit: i64,
}

impl Config {
    /// The percent multiplier of a line: SKU, else the best tag, else category, else 100.
    fn line_pct(&self, item: &LineItem) -> u32 {
        self.by_sku
            .get(&item.sku)
            .copied()
            .or_else(|| item.tags.iter().filter_map(|t| self.by_tag.get(t).copied()).max())
            .or_else(|| self.by_category.get(&item.category).copied())
            .unwrap_or(100)
    }

    /// Spend weighted by the lines' multipliers (in percent), rounded down once, and whether
    /// that differs from `total`. Exact without 128-bit division (a software routine in a
    /// guest): with each subtotal `100·q + r`, the sum is `Σ q·pct + ⌊Σ r·pct / 100⌋`.
    /// Saturates only beyond `Money::MAX`.
    fn weighted(&self, items: &[LineItem], total: Money) -> (Money, bool) {
        let (mut whole, mut rest) = (0 as Money, 0 as Money);
        for i in items {
            let (subtotal, pct) = (i.subtotal().max(0), self.line_pct(i) as Money);
            whole = whole.saturating_add((subtotal / 100).saturating_mul(pct));
            rest = rest.saturating_add(subtotal % 100 * pct);
        }
        let exact = whole as i128 * 100 + rest as i128;
        (whole.saturating_add(rest / 100), exact != total as i128 * 100)
    }
}

fn check_rate(key: &str, unit: Money, points_per_unit: i64) -> Result<()> {
    if unit < 1 {
        return Err(Error::msg(text!('`', key, "unit`: must be at least 1 (minor units), got ", unit)));
    }
    if points_per_unit < 0 {
        return Err(Error::msg(text!('`', key, "points_per_unit`: must not be negative, got ", points_per_unit)));
    }
    Ok(())
}

pub struct Points;

/// Points per currency unit spent (goods total, shipping excluded): multipliers by SKU, tag
/// or category per line, a partner's own rate, and a multiplier by the tier the customer
/// holds before the purchase. Rounds down once, at the end.
#[perk_sdk::policy]
impl Policy for Points {
    type Config = Config;
    const CONFIG_SCHEMA: &'static str = include_str!("../config.schema.json");

    fn validate(c: &Config) -> Result<()> {
        check_rate("", c.unit, c.points_per_unit)?;
        for (name, r) in &c.by_partner {
            check_rate(&text!("by_partner.", name, '.'), r.unit, r.points_per_unit)?;
        }
        Ok(())
    }

    fn on_purchase(c: &Config, p: &Purchase, customer: &Customer, _ctx: &Context) -> Result<Outcome> {
        let total = p.total.max(0);
        let (unit, per_unit, partner) = match p.partner.as_ref().and_then(|name| c.by_partner.get_key_value(name)) {
            Some((name, r)) => (r.unit, r.points_per_unit, Some(name)),
            None => (c.unit, c.points_per_unit, None),
        };
        let plain = c.by_sku.is_empty() && c.by_tag.is_empty() && c.by_category.is_empty();
        let (spend, boosted) = if p.items.is_empty() || plain { (total, false) } else { c.weighted(&p.items, total) };
        let units = spend / unit;
        let base = units.saturating_mul(per_unit);
        // The reason's pieces, written only when the host shows reasons.
        let what = || if boosted { text!(money(spend), " with product multipliers") } else { money(total) };
        let via = || partner.map_or_else(String::new, |name| text!(" at partner ", name));
        let pct = customer.tier.as_ref().and_then(|t| c.tier_multipliers_pct.get(t).map(|pct| (t, *pct)));
        let (points, reason): (i64, Reason) = match pct {
            Some((tier, pct)) if pct != 100 => {
                let points = base.saturating_mul(pct as i64) / 100;
                let why = reason!(
                    base,
                    " base points (",
                    per_unit,
                    " per ",
                    money(unit),
                    " spent on ",
                    what(),
                    via(),
                    ") × ",
                    pct,
                    "% for ",
                    tier,
                    " tier"
                );
                (points, why.into())
            }
            _ => (base, reason!(per_unit, " points per ", money(unit), " spent on ", what(), via()).into()),
        };
        Ok(Outcome::new().points(points, reason).progress("next point", total % unit, unit, Unit::Money))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use perk_sdk::testing::Harness;

    #[test]
    fn config_schema_is_current() {
        perk_sdk::testing::check_config_schema::<Config>(concat!(env!("CARGO_MANIFEST_DIR"), "/config.schema.json"));
    }

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
    fn product_multipliers_most_specific_first_rounding_once() {
        let c = "unit = 100\npoints_per_unit = 1\nby_category = { coffee = 200 }\nby_tag = { new = 300, promo = 150 }\nby_sku = { decaf = 100 }";
        let mut latte = LineItem::new("latte", "coffee", 1, 450);
        let decaf = LineItem::new("decaf", "coffee", 1, 450);
        let mut cake = LineItem::new("cake", "food", 1, 450);
        cake.tags = vec!["promo".into(), "new".into()];
        let cases = [(vec![latte.clone()], 9), (vec![decaf], 4), (vec![cake], 13)];
        for (items, want) in cases {
            let total = items.iter().map(LineItem::subtotal).sum();
            let p = items.into_iter().fold(Purchase::new("p", total), Purchase::with_item);
            assert_eq!(Harness::<Points>::new(c).purchase(p).points_total(), want);
        }
        latte.quantity = 3;
        let p = Purchase::new("p", 1350).with_item(latte).with_item(LineItem::new("bun", "food", 1, 150));
        let out = Harness::<Points>::new(c).purchase(p);
        assert_eq!(out.points_total(), 28, "2 × 13.50 + 1.50 = 28.50 → 28");
        assert_eq!(out.rewards[0].reason, "1 points per 1.00 spent on 28.50 with product multipliers");
    }

    /// The weighted spend is what 128-bit arithmetic gives.
    #[test]
    fn weighted_spend_is_exact() {
        let c: Config = perk_sdk::parse_config::<Points>(
            &perk_sdk::testing::config_json(
                "unit = 1
points_per_unit = 1
by_category = { a = 7, b = 100, c = 4294967295 }",
            )
            .unwrap(),
        )
        .unwrap();
        let prices = [0, 1, 99, 101, 12_345, 999_999_999, -5];
        for (x, y) in prices.iter().flat_map(|x| prices.iter().map(move |y| (*x, *y))) {
            for cats in [["a", "b"], ["b", "b"], ["a", "a"], ["c", "a"]] {
                let items = [LineItem::new("x", cats[0], 3, x), LineItem::new("y", cats[1], 1, y)];
                let total = items.iter().map(LineItem::subtotal).sum::<Money>().max(0);
                let w: i128 = items.iter().map(|i| i.subtotal().max(0) as i128 * c.line_pct(i) as i128).sum();
                assert_eq!(c.weighted(&items, total), ((w / 100) as Money, w != total as i128 * 100), "{x} {y} {cats:?}");
            }
        }
    }

    #[test]
    fn partners_earn_at_their_own_rate() {
        let c = "unit = 100\npoints_per_unit = 1\nby_partner = { airline = { unit = 50, points_per_unit = 3 } }\ntier_multipliers_pct = { gold = 200 }";
        let mut h = Harness::<Points>::new(c);
        assert_eq!(h.purchase(Purchase::new("p", 1000).with_partner("airline")).points_total(), 60);
        assert_eq!(h.purchase(Purchase::new("p", 1000).with_partner("hotel")).points_total(), 10);
        let mut gold = Harness::<Points>::new(c).with_customer(Customer::new("c").with_tier("gold"));
        let out = gold.purchase(Purchase::new("p", 1000).with_partner("airline"));
        assert_eq!(out.points_total(), 120);
        assert_eq!(out.rewards[0].reason, "60 base points (3 per 0.50 spent on 10.00 at partner airline) × 200% for gold tier");
        let err = Harness::<Points>::try_new("unit = 100\npoints_per_unit = 1\nby_partner = { x = { unit = 0, points_per_unit = 1 } }");
        assert!(err.err().unwrap().message().contains("`by_partner.x.unit`"));
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
