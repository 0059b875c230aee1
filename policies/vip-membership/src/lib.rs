//! `vip-membership`: a paid membership, bought as a SKU, grants perks for its term.
#![cfg_attr(not(test), no_std)]

use perk_sdk::prelude::*;

#[derive(Debug, FromJson)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The SKU that buys (or renews) the membership.
    pub sku: String,
    /// How long one purchase of the SKU lasts, in days.
    pub term_days: u32,
    /// What every purchase during the term earns: `[{ percent_off = 10 }, { free_shipping = true }]`.
    pub perks: Vec<RewardSpec>,
    /// A tier to set when the membership starts.
    pub tier: Option<String>,
}

/// When the membership ends (unix ms), per customer.
#[derive(Debug, Default, ToJson, FromJson)]
struct Membership {
    until: Option<Timestamp>,
}

const DAY: i64 = 86_400_000;

pub struct VipMembership;

/// Paid membership: buying the membership SKU starts (or extends) a term during which every
/// other purchase earns the configured perks.
#[perk_sdk::policy]
impl Policy for VipMembership {
    type Config = Config;
    const CONFIG_SCHEMA: &'static str = include_str!("../config.schema.json");

    fn validate(c: &Config) -> Result<()> {
        if text::is_blank(&c.sku) {
            return Err(Error::msg("`sku`: must not be empty"));
        }
        if c.term_days == 0 {
            return Err(Error::msg("`term_days`: must be at least 1"));
        }
        if c.perks.is_empty() {
            return Err(Error::msg("`perks`: list at least one perk"));
        }
        for (i, p) in c.perks.iter().enumerate() {
            p.validate(&text!("perks[", i, ']'))?;
        }
        Ok(())
    }

    fn on_purchase(c: &Config, p: &Purchase, _customer: &Customer, ctx: &Context) -> Result<Outcome> {
        let mut m: Membership = ctx.state()?;
        let active = m.until.is_some_and(|u| p.at < u);
        let terms: u64 = p.items.iter().filter(|i| i.sku == c.sku).map(|i| i.quantity as u64).sum();
        let mut out = Outcome::new();
        if active {
            for perk in &c.perks {
                out = out.reward(perk.reward(), reason!("VIP member: ", perk));
            }
        }
        let mut until = m.until.filter(|_| active);
        if terms > 0 {
            let end = until.unwrap_or(p.at) + terms as i64 * c.term_days as i64 * DAY;
            (m.until, until) = (Some(end), Some(end));
            if let (Some(tier), false) = (&c.tier, active) {
                out = out.set_tier(tier.clone(), "VIP membership started");
            }
            out = out.state(&m);
        }
        if let Some(until) = until {
            out = out.progress("VIP membership", 0, (until - p.at) / DAY, "days left");
        }
        Ok(out)
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

    const CONFIG: &str = "sku = \"vip\"\nterm_days = 30\nperks = [{ percent_off = 10 }, { free_shipping = true }]\ntier = \"vip\"";

    fn buy(h: &mut Harness<VipMembership>, at: i64, vip: bool) -> Outcome {
        let mut p = Purchase::new("p", 1000).with_at(at).with_item(LineItem::new("shirt", "apparel", 1, 1000));
        if vip {
            p = p.with_item(LineItem::new("vip", "membership", 1, 9900));
            p.total += 9900;
        }
        h.purchase(p)
    }

    #[test]
    fn perks_apply_during_the_term_only() {
        let mut h = Harness::<VipMembership>::new(CONFIG);
        let t = 100 * DAY;
        assert!(buy(&mut h, t, false).rewards.is_empty());
        let join = buy(&mut h, t, true);
        assert_eq!(join.rewards.len(), 1, "joining sets the tier, perks start with the next purchase");
        assert_eq!(h.customer().tier.as_deref(), Some("vip"));
        assert_eq!(buy(&mut h, t + 29 * DAY, false).rewards.len(), 2);
        assert!(buy(&mut h, t + 30 * DAY, false).rewards.is_empty(), "expired");
    }

    #[test]
    fn renewing_extends_the_term() {
        let mut h = Harness::<VipMembership>::new(CONFIG);
        let t = 100 * DAY;
        buy(&mut h, t, true);
        let renew = buy(&mut h, t + 20 * DAY, true);
        assert_eq!(renew.progress[0].target, 40, "10 days left + 30");
        assert_eq!(buy(&mut h, t + 59 * DAY, false).rewards.len(), 2);
    }

    #[test]
    fn config_errors_name_the_key() {
        let err = Harness::<VipMembership>::try_new("sku = \"vip\"\nterm_days = 0\nperks = [{ points = 1 }]").err().unwrap();
        assert!(err.message().contains("`term_days`"), "{err}");
        let err = Harness::<VipMembership>::try_new("sku = \"vip\"\nterm_days = 3\nperks = [{ points = -1 }]").err().unwrap();
        assert!(err.message().contains("`perks[0]`"), "{err}");
    }
}
