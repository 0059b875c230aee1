//! `tiers`: the customer holds the highest level their lifetime spend reaches.

use perk_sdk::prelude::*;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Level {
    pub name: String,
    /// Lifetime spend (minor units, this purchase included) that qualifies.
    pub min_spend: Money,
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
/// `min_spend` their lifetime spend (this purchase included) reaches. A tier this policy
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
            if l.min_spend < 0 {
                return Err(Error::msg(format!("`levels[{i}].min_spend`: must not be negative")));
            }
            if i > 0 && l.min_spend <= c.levels[i - 1].min_spend {
                return Err(Error::msg(format!(
                    "`levels[{i}].min_spend`: levels go from lowest to highest; {} must be above {}",
                    l.min_spend,
                    c.levels[i - 1].min_spend
                )));
            }
            if c.levels[..i].iter().any(|o| o.name == l.name) {
                return Err(Error::msg(format!("`levels[{i}].name`: `{}` is listed twice", l.name)));
            }
        }
        Ok(())
    }

    fn on_purchase(c: &Config, p: &Purchase, customer: &Customer, _ctx: &Context) -> Result<Outcome> {
        let spend = customer.lifetime_spend.saturating_add(p.total);
        let reached = c.levels.iter().rposition(|l| l.min_spend <= spend);
        let held = c.rank(customer.tier.as_deref());
        let mut out = Outcome::new();
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
                    out = out.set_tier(l.name.clone(), format!("lifetime spend {} {verb} {} (from {})", money(spend), l.name, money(l.min_spend)));
                }
                // Only with `downgrade`: spend below every level.
                None => out = out.set_tier("", format!("lifetime spend {} is below every tier", money(spend))),
            }
        }
        let next = new.map_or(0, |r| r + 1);
        if let Some(l) = c.levels.get(next) {
            out = out.progress(format!("{} tier", l.name), spend, l.min_spend, Unit::Money);
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
    fn levels_must_ascend_and_be_unique() {
        let bad = r#"levels = [{ name = "gold", min_spend = 500 }, { name = "silver", min_spend = 100 }]"#;
        let err = Harness::<Tiers>::try_new(bad).err().unwrap();
        assert!(err.message().contains("`levels[1].min_spend`"), "{err}");
        let dup = r#"levels = [{ name = "gold", min_spend = 1 }, { name = "gold", min_spend = 2 }]"#;
        assert!(Harness::<Tiers>::try_new(dup).err().unwrap().message().contains("listed twice"));
    }
}
