//! `welcome`: a reward on a customer's first purchase.
#![cfg_attr(not(test), no_std)]

use perk_sdk::prelude::*;

#[derive(Debug, FromJson)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// What the first purchase earns: `{ points = 500 }`, `{ percent_off = 10 }`, ...
    pub reward: RewardSpec,
    /// Only when the first purchase is at least this much (minor units).
    #[serde(default)]
    pub min_total: Money,
}

pub struct Welcome;

/// A reward for the first purchase, optionally above a minimum.
#[perk_sdk::policy]
impl Policy for Welcome {
    type Config = Config;
    const CONFIG_SCHEMA: &'static str = include_str!("../config.schema.json");

    fn validate(c: &Config) -> Result<()> {
        c.reward.validate("reward")?;
        if c.min_total < 0 {
            return Err(Error::msg("`min_total`: must not be negative"));
        }
        Ok(())
    }

    fn on_purchase(c: &Config, p: &Purchase, customer: &Customer, _ctx: &Context) -> Result<Outcome> {
        if customer.purchases > 0 {
            return Ok(Outcome::new());
        }
        if p.total < c.min_total {
            return Ok(Outcome::new().progress("welcome reward", p.total, c.min_total, Unit::Money));
        }
        Ok(Outcome::new().reward(c.reward.reward(), reason!("welcome: ", c.reward, " on your first purchase")))
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

    #[test]
    fn only_the_first_purchase_earns() {
        let mut h = Harness::<Welcome>::new("reward = { percent_off = 10 }");
        let first = h.purchase(Purchase::new("p1", 5_000));
        assert_eq!(first.rewards[0].reward, Reward::PercentDiscount { basis_points: 1000 });
        assert_eq!(first.rewards[0].reason, "welcome: 10% off on your first purchase");
        assert!(h.purchase(Purchase::new("p2", 5_000)).rewards.is_empty());
    }

    #[test]
    fn a_minimum_shows_progress_instead() {
        let mut h = Harness::<Welcome>::new("reward = { points = 500 }\nmin_total = 3000");
        let out = h.purchase(Purchase::new("p1", 1_000));
        assert!(out.rewards.is_empty());
        assert_eq!(out.progress[0].remaining(), 2_000);
    }

    #[test]
    fn config_errors_name_the_key() {
        assert!(Harness::<Welcome>::try_new("reward = { points = -5 }").err().unwrap().message().contains("`reward`"));
        assert!(Harness::<Welcome>::try_new("reward = { gift = 1 }").err().unwrap().message().contains("unknown variant `gift`"));
        assert!(Harness::<Welcome>::try_new("").err().unwrap().message().contains("missing field `reward`"));
    }
}
