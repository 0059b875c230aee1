//! `free-shipping`: shipping waived over a threshold, on the first order, or for tiers.
#![cfg_attr(not(test), no_std)]

use perk_sdk::prelude::*;

#[derive(Debug, FromJson)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Goods total (minor units) from which shipping is free.
    pub min_total: Option<Money>,
    /// Free shipping on a customer's first order.
    #[serde(default)]
    pub first_order: bool,
    /// Tiers that always ship free: `["gold", "platinum"]`.
    #[serde(default)]
    pub tiers: Vec<String>,
}

pub struct FreeShipping;

/// Free shipping when the order reaches a threshold, is the customer's first, or the
/// customer holds one of the listed tiers. Any one condition is enough.
#[perk_sdk::policy]
impl Policy for FreeShipping {
    type Config = Config;
    const CONFIG_SCHEMA: &'static str = include_str!("../config.schema.json");

    fn validate(c: &Config) -> Result<()> {
        if c.min_total.is_some_and(|m| m < 0) {
            return Err(Error::msg("`min_total`: must not be negative"));
        }
        if c.min_total.is_none() && !c.first_order && c.tiers.is_empty() {
            return Err(Error::msg("`min_total`: give a threshold, `first_order = true` or `tiers`"));
        }
        Ok(())
    }

    fn on_purchase(c: &Config, p: &Purchase, customer: &Customer, _ctx: &Context) -> Result<Outcome> {
        let why = if customer.tier.as_ref().is_some_and(|t| c.tiers.contains(t)) {
            Some(text!("free shipping for ", customer.tier.as_deref().unwrap_or_default(), " members"))
        } else if c.first_order && customer.purchases == 0 {
            Some("free shipping on your first order".to_string())
        } else if c.min_total.is_some_and(|m| p.total >= m) {
            Some(text!("free shipping on orders of ", money(c.min_total.unwrap_or_default()), " or more"))
        } else {
            None
        };
        let mut out = Outcome::new();
        if let Some(min) = c.min_total {
            out = out.progress("free shipping", p.total, min, Unit::Money);
        }
        match why {
            Some(reason) if p.shipping > 0 => Ok(out.reward(Reward::FreeShipping, reason)),
            _ => Ok(out),
        }
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

    fn ships_free(config: &str, tier: Option<&str>, purchases: u32, total: Money) -> bool {
        let mut customer = Customer::new("c");
        customer.tier = tier.map(String::from);
        customer.purchases = purchases;
        let mut p = Purchase::new("p", total);
        p.shipping = 500;
        let out = Harness::<FreeShipping>::new(config).with_customer(customer).purchase(p);
        out.rewards.iter().any(|g| g.reward == Reward::FreeShipping)
    }

    #[test]
    fn any_condition_is_enough() {
        let c = "min_total = 5000\nfirst_order = true\ntiers = [\"gold\"]";
        let cases = [
            (None, 3, 4_999, false),
            (None, 3, 5_000, true),
            (None, 0, 100, true),
            (Some("gold"), 9, 100, true),
            (Some("silver"), 9, 100, false),
        ];
        for (tier, purchases, total, want) in cases {
            assert_eq!(ships_free(c, tier, purchases, total), want, "{tier:?} {purchases} {total}");
        }
    }

    #[test]
    fn nothing_to_waive_without_shipping() {
        let out = Harness::<FreeShipping>::new("min_total = 0").purchase(Purchase::new("p", 100));
        assert!(out.rewards.is_empty());
    }

    #[test]
    fn a_config_must_say_when() {
        let err = Harness::<FreeShipping>::try_new("").err().unwrap();
        assert!(err.message().contains("`min_total`: give a threshold"), "{err}");
    }
}
