//! `tiers`: the customer holds the highest level their lifetime spend reaches.

use perk_sdk::prelude::*;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Level {
    pub name: String,
    /// Lifetime spend (minor units, this purchase included) that qualifies ...
    pub min_spend: Option<Money>,
    /// ... or the number of purchases (this one included) that qualifies; either is enough.
    pub min_purchases: Option<u32>,
    /// Holders of this tier get this much off every purchase.
    pub percent_off: Option<Percent>,
}

impl Level {
    fn reached(&self, spend: Money, purchases: u64) -> bool {
        self.min_spend.is_some_and(|m| spend >= m) || self.min_purchases.is_some_and(|m| purchases >= m as u64)
    }

    fn threshold(&self) -> String {
        match (self.min_spend, self.min_purchases) {
            (Some(s), Some(n)) => format!("{} or {n} purchases", money(s)),
            (Some(s), None) => money(s),
            (None, Some(n)) => format!("{n} purchases"),
            (None, None) => "nothing".into(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub levels: Vec<Level>,
    /// Move a customer down when their spend no longer reaches their tier (off by default;
    /// lifetime spend only falls through refunds).
    #[serde(default)]
    pub downgrade: bool,
}

impl Config {
    fn rank(&self, tier: Option<&str>) -> Option<usize> {
        tier.and_then(|t| self.levels.iter().position(|l| l.name == t))
    }
}

pub struct Tiers;

/// Silver, Gold, Platinum: after each purchase the customer holds the highest level whose
/// `min_spend` their lifetime spend, or whose `min_purchases` their purchase count (this
/// purchase included), reaches; holders get their level's `percent_off`. A tier this policy
/// does not list counts as none.
#[perk_sdk::policy]
impl Policy for Tiers {
    type Config = Config;

    fn validate(c: &Config) -> Result<()> {
        if c.levels.is_empty() {
            return Err(Error::msg("`levels`: list at least one level"));
        }
        for (i, l) in c.levels.iter().enumerate() {
            if l.name.trim().is_empty() {
                return Err(Error::msg(format!("`levels[{i}].name`: must not be empty")));
            }
            if l.min_spend.is_none() && l.min_purchases.is_none() {
                return Err(Error::msg(format!("`levels[{i}]`: give `min_spend`, `min_purchases` or both")));
            }
            if l.min_spend.is_some_and(|m| m < 0) {
                return Err(Error::msg(format!("`levels[{i}].min_spend`: must not be negative")));
            }
            if let Some(prev) = i.checked_sub(1).map(|p| &c.levels[p]) {
                if let (Some(a), Some(b)) = (prev.min_spend, l.min_spend) {
                    if b <= a {
                        return Err(Error::msg(format!(
                            "`levels[{i}].min_spend`: levels go from lowest to highest; {b} must be above {a}"
                        )));
                    }
                }
                if let (Some(a), Some(b)) = (prev.min_purchases, l.min_purchases) {
                    if b <= a {
                        return Err(Error::msg(format!(
                            "`levels[{i}].min_purchases`: levels go from lowest to highest; {b} must be above {a}"
                        )));
                    }
                }
            }
            if c.levels[..i].iter().any(|o| o.name == l.name) {
                return Err(Error::msg(format!("`levels[{i}].name`: `{}` is listed twice", l.name)));
            }
        }
        Ok(())
    }

    fn on_purchase(c: &Config, p: &Purchase, customer: &Customer, _ctx: &Context) -> Result<Outcome> {
        let spend = customer.lifetime_spend.saturating_add(p.total);
        let purchases = customer.purchases as u64 + 1;
        let reached = c.levels.iter().rposition(|l| l.reached(spend, purchases));
        let held = c.rank(customer.tier.as_deref());
        let mut out = Outcome::new();
        if let Some(l) = held.map(|h| &c.levels[h]) {
            if let Some(off) = l.percent_off.filter(|p| p.basis_points() > 0) {
                out = out.reward(Reward::PercentDiscount { basis_points: off.basis_points() }, format!("{} members: {off} off", l.name));
            }
        }
        let new = match (held, reached) {
            (Some(h), Some(r)) if r < h && !c.downgrade => Some(h),
            (Some(_), None) if !c.downgrade => held,
            _ => reached,
        };
        if new != held {
            match new {
                Some(r) => {
                    let l = &c.levels[r];
                    let verb = if held.is_some_and(|h| h > r) { "falls to" } else { "reaches" };
                    out = out.set_tier(
                        l.name.clone(),
                        format!("lifetime spend {} and {purchases} purchases: {verb} {} (from {})", money(spend), l.name, l.threshold()),
                    );
                }
                // Only with `downgrade`: spend below every level.
                None => out = out.set_tier("", format!("lifetime spend {} is below every tier", money(spend))),
            }
        }
        let next = new.map_or(0, |r| r + 1);
        if let Some(l) = c.levels.get(next) {
            match (l.min_spend, l.min_purchases) {
                (Some(m), _) => out = out.progress(format!("{} tier", l.name), spend, m, Unit::Money),
                (None, Some(n)) => out = out.progress(format!("{} tier", l.name), purchases as i64, n as i64, Unit::Purchases),
                (None, None) => {}
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use perk_sdk::testing::Harness;

    const LEVELS: &str = r#"levels = [{ name = "silver", min_spend = 10000 }, { name = "gold", min_spend = 50000 }]"#;

    fn tier_after(config: &str, tier: Option<&str>, spent_before: Money, total: Money) -> (Option<String>, Outcome) {
        let mut customer = Customer::new("c");
        customer.tier = tier.map(String::from);
        customer.lifetime_spend = spent_before;
        let mut h = Harness::<Tiers>::new(config).with_customer(customer);
        let out = h.purchase(Purchase::new("p", total));
        (h.customer().tier.clone(), out)
    }

    #[test]
    fn holds_the_highest_level_reached_including_this_purchase() {
        let cases: [(Option<&str>, Money, Money, Option<&str>); 6] = [
            (None, 0, 9999, None),
            (None, 0, 10000, Some("silver")),
            (None, 9000, 1000, Some("silver")),
            (None, 0, 60000, Some("gold")),
            (Some("silver"), 45000, 5000, Some("gold")),
            (Some("gold"), 60000, 100, Some("gold")),
        ];
        for (held, before, total, want) in cases {
            let (tier, _) = tier_after(LEVELS, held, before, total);
            assert_eq!(tier.as_deref(), want, "{held:?} {before}+{total}");
        }
    }

    #[test]
    fn no_downgrade_unless_configured() {
        let (tier, out) = tier_after(LEVELS, Some("gold"), 1000, 100);
        assert_eq!(tier.as_deref(), Some("gold"));
        assert!(out.rewards.is_empty());
        let with = format!("{LEVELS}\ndowngrade = true");
        assert_eq!(tier_after(&with, Some("gold"), 1000, 10000).0.as_deref(), Some("silver"));
    }

    #[test]
    fn progress_points_at_the_next_level() {
        let (_, out) = tier_after(LEVELS, None, 0, 2500);
        assert_eq!(out.progress[0].goal, "silver tier");
        assert_eq!((out.progress[0].current, out.progress[0].target), (2500, 10000));
        let (_, out) = tier_after(LEVELS, None, 0, 60000);
        assert!(out.progress.is_empty(), "top tier has nothing left to reach");
    }

    #[test]
    fn purchases_qualify_too_and_tiers_give_their_discount() {
        let c = r#"levels = [{ name = "regular", min_purchases = 3 }, { name = "gold", min_spend = 50000, min_purchases = 20, percent_off = 10 }]"#;
        let (tier, _) = tier_after(c, None, 0, 100);
        assert_eq!(tier, None);
        let mut customer = Customer::new("c");
        customer.purchases = 2;
        let mut h = Harness::<Tiers>::new(c).with_customer(customer);
        h.purchase(Purchase::new("p", 100));
        assert_eq!(h.customer().tier.as_deref(), Some("regular"), "third purchase");
        let (tier, out) = tier_after(c, Some("gold"), 60000, 100);
        assert_eq!(tier.as_deref(), Some("gold"));
        assert_eq!(out.rewards[0].reward, Reward::PercentDiscount { basis_points: 1000 });
        assert_eq!(out.rewards[0].reason, "gold members: 10% off");
    }

    #[test]
    fn levels_must_ascend_and_be_unique() {
        let bad = r#"levels = [{ name = "gold", min_spend = 500 }, { name = "silver", min_spend = 100 }]"#;
        let err = Harness::<Tiers>::try_new(bad).err().unwrap();
        assert!(err.message().contains("`levels[1].min_spend`"), "{err}");
        let dup = r#"levels = [{ name = "gold", min_spend = 1 }, { name = "gold", min_spend = 2 }]"#;
        assert!(Harness::<Tiers>::try_new(dup).err().unwrap().message().contains("listed twice"));
    }
}
