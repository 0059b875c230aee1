//! `comeback`: a discount for coming back soon; the sooner, the larger.
#![cfg_attr(not(test), no_std)]

use perk_sdk::prelude::*;

#[derive(Debug, FromJson)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Window {
    /// Within this many days of the previous purchase ...
    pub within_days: u32,
    /// ... the purchase gets this percentage off.
    pub percent_off: Percent,
}

#[derive(Debug, FromJson)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Shortest window first: `[{ within_days = 3, percent_off = 20 }, { within_days = 7, percent_off = 10 }]`.
    pub windows: Vec<Window>,
}

pub struct Comeback;

/// "Come back within a week for 15 % off": a percentage off a purchase made soon after the
/// customer's previous one, from a table of windows (the sooner, the larger).
#[perk_sdk::policy]
impl Policy for Comeback {
    type Config = Config;
    const CONFIG_SCHEMA: &'static str = include_str!("../config.schema.json");

    fn validate(c: &Config) -> Result<()> {
        if c.windows.is_empty() {
            return Err(Error::msg("`windows`: list at least one window"));
        }
        for (i, w) in c.windows.iter().enumerate() {
            if w.within_days == 0 {
                return Err(Error::msg(text!("`windows[", i, "].within_days`: must be at least 1")));
            }
            if i > 0 && w.within_days <= c.windows[i - 1].within_days {
                return Err(Error::msg(text!("`windows[", i, "].within_days`: windows go from shortest to longest")));
            }
        }
        Ok(())
    }

    fn on_purchase(c: &Config, p: &Purchase, customer: &Customer, _ctx: &Context) -> Result<Outcome> {
        let Some(last) = customer.last_purchase_at else { return Ok(Outcome::new()) };
        let elapsed = p.at - last;
        if elapsed < 0 {
            return Ok(Outcome::new());
        }
        let Some(w) = c.windows.iter().find(|w| elapsed <= w.within_days as i64 * 86_400_000) else {
            return Ok(Outcome::new());
        };
        Ok(Outcome::new().reward(
            Reward::PercentDiscount { basis_points: w.percent_off.basis_points() },
            reason!("welcome back within ", w.within_days, " days: ", w.percent_off, " off"),
        ))
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

    const DAY: i64 = 86_400_000;

    fn off(days_since: Option<i64>) -> Option<u32> {
        let mut customer = Customer::new("c");
        customer.last_purchase_at = days_since.map(|d| 1_000 * DAY - d);
        let mut h = Harness::<Comeback>::new("windows = [{ within_days = 3, percent_off = 20 }, { within_days = 7, percent_off = 10 }]")
            .with_customer(customer);
        let out = h.purchase(Purchase::new("p", 1000).with_at(1_000 * DAY));
        out.rewards.first().map(|g| match g.reward {
            Reward::PercentDiscount { basis_points } => basis_points,
            _ => unreachable!(),
        })
    }

    #[test]
    fn the_sooner_the_larger() {
        assert_eq!(off(None), None, "a first purchase is not a comeback");
        assert_eq!(off(Some(DAY)), Some(2000));
        assert_eq!(off(Some(3 * DAY)), Some(2000));
        assert_eq!(off(Some(3 * DAY + 1)), Some(1000));
        assert_eq!(off(Some(7 * DAY)), Some(1000));
        assert_eq!(off(Some(8 * DAY)), None);
    }

    #[test]
    fn windows_must_lengthen() {
        let err = Harness::<Comeback>::try_new("windows = [{ within_days = 7, percent_off = 10 }, { within_days = 3, percent_off = 20 }]");
        assert!(err.err().unwrap().message().contains("`windows[1].within_days`"));
    }
}
