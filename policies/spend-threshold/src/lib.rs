//! `spend-threshold`: a reward when one order, or a month's spend, crosses a threshold.
#![cfg_attr(not(test), no_std)]

use perk_sdk::prelude::*;

#[derive(Debug, FromJson)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Minor units to reach.
    pub spend: Money,
    pub reward: RewardSpec,
}

#[derive(Debug, Default, FromJson, PartialEq, Eq)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Period {
    /// One order's goods total (the highest step it reaches pays).
    #[default]
    Order,
    /// The customer's spend in a calendar month (UTC): each step pays once a month, on the
    /// purchase that crosses it.
    Month,
}

#[derive(Debug, FromJson)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub period: Period,
    /// Lowest first: `[{ spend = 10000, reward = { points = 100 } }, ...]`.
    pub steps: Vec<Step>,
}

/// What a customer spent this month, kept in the policy's state.
#[derive(Debug, Default, ToJson, FromJson, PartialEq, Eq)]
struct Month {
    /// Months since 1970-01, UTC.
    month: i64,
    spend: Money,
}

fn month_of(at: Timestamp) -> i64 {
    perk_sdk::calendar::Date::of(at, 0).month_index()
}

pub struct SpendThreshold;

/// A reward when an order, or a customer's spend in a calendar month, reaches a threshold.
#[perk_sdk::policy]
impl Policy for SpendThreshold {
    type Config = Config;
    const CONFIG_SCHEMA: &'static str = include_str!("../config.schema.json");

    fn validate(c: &Config) -> Result<()> {
        if c.steps.is_empty() {
            return Err(Error::msg("`steps`: list at least one step"));
        }
        for (i, s) in c.steps.iter().enumerate() {
            if s.spend <= 0 {
                return Err(Error::msg(text!("`steps[", i, "].spend`: must be positive")));
            }
            if i > 0 && s.spend <= c.steps[i - 1].spend {
                return Err(Error::msg(text!("`steps[", i, "].spend`: steps go from lowest to highest")));
            }
            s.reward.validate(&text!("steps[", i, "].reward"))?;
        }
        Ok(())
    }

    fn on_purchase(c: &Config, p: &Purchase, _customer: &Customer, ctx: &Context) -> Result<Outcome> {
        // What counts (`after`), what counted before this purchase, and the texts around the
        // amounts: an order pays the highest step it reaches, a month each step it crosses.
        let (before, after, mut out, [what, reaches, window]) = match c.period {
            Period::Order => {
                let reached = c.steps.iter().rev().find(|s| p.total >= s.spend);
                // Just below the highest step reached, so that only that step is crossed.
                (reached.map_or(p.total, |s| s.spend - 1), p.total, Outcome::new(), ["order of ", " reaches ", " in one order"])
            }
            Period::Month => {
                let month = month_of(p.at);
                let stored: Month = ctx.state()?;
                let before = if stored.month == month { stored.spend } else { 0 };
                let after = before + p.total;
                (before, after, Outcome::new().state(&Month { month, spend: after }), ["", " spent this month reaches ", " this month"])
            }
        };
        for s in c.steps.iter().filter(|s| before < s.spend && after >= s.spend) {
            out = out.reward(s.reward.reward(), reason!(what, money(after), reaches, money(s.spend), ": ", s.reward));
        }
        if let Some(next) = c.steps.iter().find(|s| after < s.spend) {
            out = out.progress(text!(next.reward, window), after, next.spend, Unit::Money);
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

    const STEPS: &str = "steps = [{ spend = 10000, reward = { points = 100 } }, { spend = 50000, reward = { points = 700 } }]";
    /// 2026-03-02 and 2026-04-01, UTC.
    const MARCH: Timestamp = 1_772_454_600_000;
    const APRIL: Timestamp = 1_775_001_600_000;

    #[test]
    fn an_order_earns_its_highest_step() {
        let mut h = Harness::<SpendThreshold>::new(STEPS);
        let earned: Vec<i64> = [9_999, 10_000, 49_999, 60_000].iter().map(|t| h.purchase(Purchase::new("p", *t)).points_total()).collect();
        assert_eq!(earned, [0, 100, 100, 700]);
    }

    #[test]
    fn a_month_pays_each_step_once_on_the_crossing_purchase() {
        let mut h = Harness::<SpendThreshold>::new(&format!("period = \"month\"\n{STEPS}"));
        let mut buy = |at, total| h.purchase(Purchase::new("p", total).with_at(at)).points_total();
        assert_eq!(buy(MARCH, 6_000), 0);
        assert_eq!(buy(MARCH, 6_000), 100, "12,000 crosses 10,000");
        assert_eq!(buy(MARCH, 6_000), 0, "paid once");
        assert_eq!(buy(MARCH, 40_000), 700);
        assert_eq!(buy(APRIL, 10_000), 100, "a new month starts over");
    }

    #[test]
    fn months_are_calendar_months() {
        assert_eq!(month_of(0), 0);
        assert_eq!(month_of(MARCH), (2026 - 1970) * 12 + 2);
        assert_eq!(month_of(APRIL - 1), (2026 - 1970) * 12 + 2);
        assert_eq!(month_of(APRIL), (2026 - 1970) * 12 + 3);
    }

    #[test]
    fn steps_must_ascend() {
        let bad = "steps = [{ spend = 500, reward = { points = 1 } }, { spend = 100, reward = { points = 2 } }]";
        assert!(Harness::<SpendThreshold>::try_new(bad).err().unwrap().message().contains("`steps[1].spend`"));
    }
}
