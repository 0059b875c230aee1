//! `challenge`: multi-step goals with badges — "buy from 3 categories this month".
#![cfg_attr(not(test), no_std)]

use perk_sdk::calendar::Date;
use perk_sdk::prelude::*;

#[derive(Debug, FromJson, PartialEq, Eq, Clone, Copy)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Measure {
    /// Distinct categories bought.
    Categories,
    /// Purchases made.
    Purchases,
    /// Money spent (minor units).
    Spend,
}

#[derive(Debug, FromJson, PartialEq, Eq, Clone, Copy, Default)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Period {
    /// Calendar month (UTC): the challenge starts over each month.
    Month,
    /// Once in the customer's life.
    #[default]
    Ever,
}

#[derive(Debug, FromJson)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Challenge {
    pub name: String,
    pub measure: Measure,
    pub target: i64,
    #[serde(default)]
    pub period: Period,
    pub reward: Option<RewardSpec>,
    /// A badge for completing it.
    pub badge: Option<String>,
}

#[derive(Debug, FromJson)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub challenges: Vec<Challenge>,
}

#[derive(Debug, Default, ToJson, FromJson)]
struct Track {
    /// The month it counts for (`Period::Month`).
    month: i64,
    count: i64,
    categories: Vec<String>,
    done: bool,
}

pub struct ChallengePolicy;

/// Challenges: goals measured in distinct categories, purchases or spend, per month or ever;
/// completing one pays its reward and badge once per period.
#[perk_sdk::policy]
impl Policy for ChallengePolicy {
    type Config = Config;
    const CONFIG_SCHEMA: &'static str = include_str!("../config.schema.json");

    fn validate(c: &Config) -> Result<()> {
        if c.challenges.is_empty() {
            return Err(Error::msg("`challenges`: list at least one challenge"));
        }
        for (i, ch) in c.challenges.iter().enumerate() {
            if ch.target < 1 {
                return Err(Error::msg(text!("`challenges[", i, "].target`: must be at least 1")));
            }
            if ch.reward.is_none() && ch.badge.is_none() {
                return Err(Error::msg(text!("`challenges[", i, "]`: give a `reward`, a `badge` or both")));
            }
            if let Some(r) = &ch.reward {
                r.validate(&text!("challenges[", i, "].reward"))?;
            }
            if c.challenges[..i].iter().any(|o| o.name == ch.name) {
                return Err(Error::msg(text!("`challenges[", i, "].name`: `", ch.name, "` is listed twice")));
            }
        }
        Ok(())
    }

    fn on_purchase(c: &Config, p: &Purchase, _customer: &Customer, ctx: &Context) -> Result<Outcome> {
        let mut tracks: Table<Track> = ctx.state()?;
        let month = Date::of(p.at, 0).month_index();
        let mut out = Outcome::new();
        for ch in &c.challenges {
            let t = tracks.get_or_default(&ch.name);
            if ch.period == Period::Month && t.month != month {
                *t = Track { month, ..Track::default() };
            }
            if t.done {
                continue;
            }
            let current = match ch.measure {
                Measure::Purchases => {
                    t.count += 1;
                    t.count
                }
                Measure::Spend => {
                    t.count += p.total;
                    t.count
                }
                Measure::Categories => {
                    for item in &p.items {
                        if !t.categories.contains(&item.category) {
                            t.categories.push(item.category.clone());
                        }
                    }
                    t.categories.len() as i64
                }
            };
            let unit = match ch.measure {
                Measure::Categories => "categories",
                Measure::Purchases => "purchases",
                Measure::Spend => "money",
            };
            out = out.progress(ch.name.clone(), current.min(ch.target), ch.target, unit);
            if current >= ch.target {
                t.done = true;
                if let Some(r) = &ch.reward {
                    out = out.reward(r.reward(), reason!("challenge `", ch.name, "` complete: ", r));
                }
                if let Some(b) = &ch.badge {
                    out = out.reward(Reward::Badge { name: b.clone() }, reason!("challenge `", ch.name, "` complete"));
                }
            }
        }
        Ok(out.state(&tracks))
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

    const CONFIG: &str = r#"challenges = [
        { name = "explorer", measure = "categories", target = 3, period = "month", reward = { points = 300 }, badge = "Explorer" },
        { name = "regular", measure = "purchases", target = 2, badge = "Regular" },
    ]"#;
    /// 2026-03-02 and 2026-04-01, UTC.
    const MARCH: i64 = 1_772_454_600_000;
    const APRIL: i64 = 1_775_001_600_000;

    fn buy(h: &mut Harness<ChallengePolicy>, at: i64, categories: &[&str]) -> Outcome {
        let p = categories.iter().fold(Purchase::new("p", 0).with_at(at), |p, c| p.with_item(LineItem::new("x", *c, 1, 0)));
        h.purchase(p)
    }

    #[test]
    fn three_categories_in_a_month_earn_points_and_a_badge_once() {
        let mut h = Harness::<ChallengePolicy>::new(CONFIG);
        let first = buy(&mut h, MARCH, &["shoes", "shoes"]);
        assert_eq!((first.progress[0].current, first.progress[0].target), (1, 3));
        let second = buy(&mut h, MARCH, &["bags", "hats"]);
        let rewards: Vec<_> = second.rewards.iter().map(|g| g.reward.clone()).collect();
        assert!(rewards.contains(&Reward::Points { amount: 300 }));
        assert!(rewards.contains(&Reward::Badge { name: "Explorer".into() }));
        assert!(rewards.contains(&Reward::Badge { name: "Regular".into() }), "second purchase completes `regular`");
        assert!(buy(&mut h, MARCH, &["socks"]).rewards.is_empty(), "done for March");
        assert!(buy(&mut h, APRIL, &["a", "b", "c"]).points_total() == 300, "April starts over; `regular` is once ever");
    }

    #[test]
    fn a_challenge_needs_a_prize() {
        let err = Harness::<ChallengePolicy>::try_new(r#"challenges = [{ name = "x", measure = "spend", target = 5 }]"#).err().unwrap();
        assert!(err.message().contains("`challenges[0]`"), "{err}");
    }
}
