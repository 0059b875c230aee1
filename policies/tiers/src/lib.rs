//! `tiers`: the customer holds the highest level their lifetime spend reaches.
#![cfg_attr(not(test), no_std)]

use perk_sdk::calendar::Date;
use perk_sdk::prelude::*;
use perk_sdk::text::two_digits;

#[derive(Debug, FromJson)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
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
        let purchases = self.min_purchases.map(|n| text!(n, " purchases"));
        match (self.min_spend, purchases) {
            (Some(s), Some(p)) => text!(money(s), " or ", p),
            (Some(s), None) => money(s),
            (None, Some(p)) => p,
            // `validate` refuses a level with neither.
            (None, None) => String::new(),
        }
    }
}

#[derive(Debug, FromJson)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub levels: Vec<Level>,
    /// Move a customer down as soon as they no longer qualify for their tier (off by
    /// default; lifetime spend only falls through refunds). See also `review`.
    #[serde(default)]
    pub downgrade: bool,
    /// Qualify by spend and purchases in the last `window_days` days (rolling, this purchase
    /// included; counted from the purchases this policy has seen) instead of lifetime.
    pub window_days: Option<u32>,
    /// Review status at the start of each `month`, `quarter` or `year` (UTC): a customer who
    /// no longer qualifies, measured at that moment, moves down ...
    pub review: Option<Review>,
    /// ... `grace_days` after it (default 0).
    #[serde(default)]
    pub grace_days: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, FromJson)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Review {
    Month,
    Quarter,
    Year,
}

impl Review {
    /// The first day (days since 1970-01-01) of the review period containing `day`.
    fn period_start(self, day: i64) -> i64 {
        let d = Date::from_days(day);
        let month = match self {
            Review::Month => d.month,
            Review::Quarter => (d.month - 1) / 3 * 3 + 1,
            Review::Year => 1,
        };
        Date { year: d.year, month, day: 1 }.days()
    }
}

/// Per-customer memory, when qualifying over a window or reviewing periodically.
#[derive(Debug, Default, ToJson, FromJson)]
struct History {
    /// `[day, spend, purchases]` per day with purchases, within the window.
    days: Vec<[i64; 3]>,
    /// The period start last reviewed (days since 1970-01-01); `None` before the first purchase.
    reviewed: Option<i64>,
}

impl History {
    /// Spend and purchases on days in `(until - window, until]`.
    fn measure(&self, until: i64, window: i64) -> (Money, u64) {
        self.days
            .iter()
            .filter(|[d, _, _]| *d > until - window && *d <= until)
            .fold((0, 0), |(s, n), [_, spend, count]| (s + spend, n + *count as u64))
    }
}

impl Config {
    fn rank(&self, tier: Option<&str>) -> Option<usize> {
        tier.and_then(|t| self.levels.iter().position(|l| l.name == t))
    }
}

pub struct Tiers;

/// The error `` `levels[i` `` followed by `rest`.
fn at(i: usize, rest: &str) -> Error {
    Error::msg(text!("`levels[", i, rest))
}

/// `levels[i].key` must be above the level before it, when both give it.
fn ascending(i: usize, key: &str, before: Option<i64>, this: Option<i64>) -> Result<()> {
    match (before, this) {
        (Some(a), Some(b)) if b <= a => {
            Err(Error::msg(text!("`levels[", i, "].", key, "`: levels go from lowest to highest; ", b, " must be above ", a)))
        }
        _ => Ok(()),
    }
}

/// Silver, Gold, Platinum: after each purchase the customer holds the highest level whose
/// `min_spend` their lifetime spend, or whose `min_purchases` their purchase count (this
/// purchase included), reaches; holders get their level's `percent_off`. A tier this policy
/// does not list counts as none.
#[perk_sdk::policy]
impl Policy for Tiers {
    type Config = Config;
    const CONFIG_SCHEMA: &'static str = include_str!("../config.schema.json");

    fn validate(c: &Config) -> Result<()> {
        if c.levels.is_empty() {
            return Err(Error::msg("`levels`: list at least one level"));
        }
        for (i, l) in c.levels.iter().enumerate() {
            if text::is_blank(&l.name) {
                return Err(at(i, "].name`: must not be empty"));
            }
            if l.min_spend.is_none() && l.min_purchases.is_none() {
                return Err(at(i, "]`: give `min_spend`, `min_purchases` or both"));
            }
            if l.min_spend.is_some_and(|m| m < 0) {
                return Err(at(i, "].min_spend`: must not be negative"));
            }
            if let Some(prev) = i.checked_sub(1).map(|p| &c.levels[p]) {
                ascending(i, "min_spend", prev.min_spend, l.min_spend)?;
                ascending(i, "min_purchases", prev.min_purchases.map(i64::from), l.min_purchases.map(i64::from))?;
            }
            if c.levels[..i].iter().any(|o| o.name == l.name) {
                return Err(Error::msg(text!("`levels[", i, "].name`: `", l.name, "` is listed twice")));
            }
        }
        Ok(())
    }

    fn on_purchase(c: &Config, p: &Purchase, customer: &Customer, ctx: &Context) -> Result<Outcome> {
        let held = c.rank(customer.tier.as_deref());
        let mut out = Outcome::new();
        if let Some(l) = held.map(|h| &c.levels[h]) {
            if let Some(off) = l.percent_off.filter(|p| p.basis_points() > 0) {
                out = out.reward(Reward::PercentDiscount { basis_points: off.basis_points() }, text!(l.name, " members: ", off, " off"));
            }
        }
        let reached = |spend: Money, purchases: u64| c.levels.iter().rposition(|l| l.reached(spend, purchases));
        let today = Date::of(p.at, 0).days();

        // What counts now, and (with `review`) whether a review is due and what it finds.
        let (spend, purchases, what, reviewed) = if c.window_days.is_none() && c.review.is_none() {
            (customer.lifetime_spend.saturating_add(p.total), customer.purchases as u64 + 1, "lifetime", None)
        } else {
            let window = c.window_days.map_or(i64::MAX / 4, i64::from);
            let mut h: History = ctx.state()?;
            let due = c.review.map(|r| r.period_start(today - c.grace_days as i64));
            let mut review = None;
            if let (Some(boundary), Some(last)) = (due, h.reviewed) {
                if boundary > last {
                    // Measured at the boundary: the purchases before it.
                    let (s, n) = match c.window_days {
                        Some(_) => h.measure(boundary - 1, window),
                        None => (customer.lifetime_spend, customer.purchases as u64),
                    };
                    review = Some((boundary, reached(s, n), s));
                }
            }
            // The first purchase seen starts the clock: nothing to review before it.
            h.reviewed = due.or(h.reviewed).or(Some(today));
            match h.days.last_mut() {
                Some(last) if last[0] == today => {
                    last[1] += p.total;
                    last[2] += 1;
                }
                _ => h.days.push([today, p.total, 1]),
            }
            h.days.retain(|[d, _, _]| *d > today - window);
            let (s, n) = match c.window_days {
                Some(_) => h.measure(today, window),
                None => (customer.lifetime_spend.saturating_add(p.total), customer.purchases as u64 + 1),
            };
            out = out.state(&h);
            (s, n, if c.window_days.is_some() { "recent" } else { "lifetime" }, review)
        };

        let now = reached(spend, purchases);
        let mut new = match (held, now) {
            (Some(h), r) if r < Some(h) && !c.downgrade => Some(h),
            _ => now,
        };
        let mut why = None;
        if let (Some((boundary, at_review, s)), Some(h)) = (reviewed, held) {
            if at_review < Some(h) && now < Some(h) {
                new = at_review.max(now);
                let d = Date::from_days(boundary);
                why = Some(text!(
                    "status review of ",
                    d.year,
                    '-',
                    two_digits(d.month),
                    '-',
                    two_digits(d.day),
                    ": ",
                    what,
                    " spend ",
                    money(s),
                    " no longer keeps ",
                    c.levels[h].name
                ));
            }
        }
        if new != held {
            match new {
                Some(r) => {
                    let l = &c.levels[r];
                    let verb = if held.is_some_and(|h| h > r) { "falls to" } else { "reaches" };
                    let reason = why.map_or_else(
                        || {
                            text!(
                                what,
                                " spend ",
                                money(spend),
                                " and ",
                                purchases,
                                " purchases: ",
                                verb,
                                " ",
                                l.name,
                                " (from ",
                                l.threshold(),
                                ")"
                            )
                        },
                        |w| text!(w, ": ", verb, " ", l.name),
                    );
                    out = out.set_tier(l.name.clone(), reason);
                }
                // Only when moving down: below every level.
                None => out = out.set_tier("", why.unwrap_or_else(|| text!(what, " spend ", money(spend), " is below every tier"))),
            }
        }
        let next = new.map_or(0, |r| r + 1);
        if let Some(l) = c.levels.get(next) {
            let toward = match (l.min_spend, l.min_purchases) {
                (Some(m), _) => Some((spend, m, Unit::Money)),
                (None, Some(n)) => Some((purchases as i64, n as i64, Unit::Purchases)),
                (None, None) => None,
            };
            if let Some((current, target, unit)) = toward {
                out = out.progress(reason!(l.name, " tier"), current, target, unit);
            }
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

    fn at(year: i64, month: u32, day: u32) -> i64 {
        Date { year, month, day }.days() * 86_400_000 + 12 * 3_600_000
    }

    #[test]
    fn a_rolling_window_counts_recent_spend_only() {
        let c = format!("{LEVELS}\nwindow_days = 30\ndowngrade = true");
        let mut h = Harness::<Tiers>::new(&c);
        h.purchase(Purchase::new("p", 6000).with_at(at(2026, 1, 1)));
        assert_eq!(h.customer().tier, None);
        h.purchase(Purchase::new("p", 5000).with_at(at(2026, 1, 20)));
        assert_eq!(h.customer().tier.as_deref(), Some("silver"), "11,000 in 30 days");
        h.purchase(Purchase::new("p", 100).with_at(at(2026, 2, 25)));
        assert_eq!(h.customer().tier.as_deref(), None, "the January spend has left the window");
    }

    #[test]
    fn reviews_move_down_at_period_start_after_grace() {
        let c = format!("{LEVELS}\nwindow_days = 30\nreview = \"month\"\ngrace_days = 5");
        let mut h = Harness::<Tiers>::new(&c);
        h.purchase(Purchase::new("p", 12000).with_at(at(2026, 1, 10)));
        assert_eq!(h.customer().tier.as_deref(), Some("silver"));
        h.purchase(Purchase::new("p", 100).with_at(at(2026, 2, 3)));
        assert_eq!(h.customer().tier.as_deref(), Some("silver"), "the February review waits out its grace");
        h.purchase(Purchase::new("p", 100).with_at(at(2026, 2, 7)));
        assert_eq!(h.customer().tier.as_deref(), Some("silver"), "January's 12,000 keeps silver at the February review");
        let out = h.purchase(Purchase::new("p", 100).with_at(at(2026, 3, 10)));
        assert_eq!(h.customer().tier, None, "February's 200 does not keep silver at the March review");
        assert_eq!(out.rewards[0].reason, "status review of 2026-03-01: recent spend 2.00 no longer keeps silver");
    }

    #[test]
    fn a_purchase_that_requalifies_wins_over_the_review() {
        let c = format!("{LEVELS}\nwindow_days = 30\nreview = \"month\"");
        let mut h = Harness::<Tiers>::new(&c);
        h.purchase(Purchase::new("p", 12000).with_at(at(2026, 1, 10)));
        h.purchase(Purchase::new("p", 20000).with_at(at(2026, 3, 10)));
        assert_eq!(h.customer().tier.as_deref(), Some("silver"));
    }

    #[test]
    fn levels_must_ascend_and_be_unique() {
        let bad = r#"levels = [{ name = "gold", min_spend = 500 }, { name = "silver", min_spend = 100 }]"#;
        let err = Harness::<Tiers>::try_new(bad).err().unwrap();
        assert!(err.message().contains("`levels[1].min_spend`"), "{err}");
        let dup = r#"levels = [{ name = "gold", min_spend = 1 }, { name = "gold", min_spend = 2 }]"#;
        assert!(Harness::<Tiers>::try_new(dup).err().unwrap().message().contains("listed twice"));
        let cases = [
            (
                r#"levels = [{ name = "a", min_purchases = 5 }, { name = "b", min_purchases = 5 }]"#,
                "`levels[1].min_purchases`: levels go from lowest to highest; 5 must be above 5",
            ),
            (r#"levels = [{ name = "a", min_spend = -1 }]"#, "`levels[0].min_spend`: must not be negative"),
            (r#"levels = [{ name = " ", min_spend = 1 }]"#, "`levels[0].name`: must not be empty"),
            (r#"levels = [{ name = "a" }]"#, "`levels[0]`: give `min_spend`, `min_purchases` or both"),
        ];
        for (config, want) in cases {
            assert_eq!(Harness::<Tiers>::try_new(config).err().unwrap().message(), want);
        }
    }
}
