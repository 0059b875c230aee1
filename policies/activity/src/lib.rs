//! `activity`: points for things customers do besides buying, with daily caps.
#![cfg_attr(not(test), no_std)]

use perk_sdk::calendar::Date;
use perk_sdk::prelude::*;

#[derive(Debug, FromJson)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Points per event kind: `{ review = 50, social-share = 20, quiz = 10, sign-up = 200 }`.
    pub points: Table<i64>,
    /// At most this many rewarded events of a kind per day (UTC): `{ review = 1 }`.
    #[serde(default)]
    pub daily_cap: Table<u32>,
    /// Kinds rewarded once per customer, ever: `["sign-up"]`.
    #[serde(default)]
    pub once: Vec<String>,
}

#[derive(Debug, Default, ToJson, FromJson)]
struct Seen {
    /// Days since 1970-01-01 of `today`.
    day: i64,
    today: Table<u32>,
    done: Vec<String>,
}

pub struct Activity;

/// Points for activity events (reviews, shares, quiz answers, sign-up), each kind with its
/// own points, an optional daily cap, or once per customer.
#[perk_sdk::policy]
impl Policy for Activity {
    type Config = Config;
    const CONFIG_SCHEMA: &'static str = include_str!("../config.schema.json");

    fn validate(c: &Config) -> Result<()> {
        if c.points.is_empty() {
            return Err(Error::msg("`points`: list at least one event kind"));
        }
        if let Some((k, p)) = c.points.iter().find(|(_, p)| **p < 0) {
            return Err(Error::msg(text!("`points.", k, "`: must not be negative, got ", p)));
        }
        if let Some(k) = c.daily_cap.keys().chain(&c.once).find(|k| !c.points.contains_key(k)) {
            return Err(Error::msg(text!('`', k, "` has a daily cap or is once-only but earns no points; add it to `points`")));
        }
        Ok(())
    }

    fn on_purchase(_c: &Config, _p: &Purchase, _customer: &Customer, _ctx: &Context) -> Result<Outcome> {
        Ok(Outcome::new())
    }

    fn on_event(c: &Config, e: &Event, _customer: &Customer, ctx: &Context) -> Result<Outcome> {
        let Some(&points) = c.points.get(&e.kind) else { return Ok(Outcome::new()) };
        let mut seen: Seen = ctx.state()?;
        let day = Date::of(e.at, 0).days();
        if seen.day != day {
            seen.day = day;
            seen.today.clear();
        }
        if c.once.contains(&e.kind) && seen.done.contains(&e.kind) {
            return Ok(Outcome::new());
        }
        let count = seen.today.get_or_default(&e.kind);
        let cap = c.daily_cap.get(&e.kind).copied();
        let capped = cap.is_some_and(|cap| *count >= cap);
        let mut out = Outcome::new();
        if !capped {
            *count += 1;
            out = out.points(points, reason!(e.kind, ": ", points, " points"));
        }
        if let Some(cap) = cap {
            out = out.progress(text!(e.kind, " points today"), *count as i64, cap as i64, "events");
        }
        if capped {
            // Nothing earned: the state stays as it was.
            return Ok(out);
        }
        if c.once.contains(&e.kind) {
            seen.done.push(e.kind.clone());
        }
        Ok(out.state(&seen))
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

    const CONFIG: &str = "points = { review = 50, quiz = 10, sign-up = 200 }\ndaily_cap = { review = 2 }\nonce = [\"sign-up\"]";
    const DAY: i64 = 86_400_000;

    fn earned(h: &mut Harness<Activity>, kind: &str, at: i64) -> i64 {
        h.at(at);
        h.event(Event::new("e", kind)).points_total()
    }

    #[test]
    fn daily_caps_reset_each_day() {
        let mut h = Harness::<Activity>::new(CONFIG);
        let t = 1_000 * DAY;
        let day1: Vec<i64> = (0..3).map(|_| earned(&mut h, "review", t)).collect();
        assert_eq!(day1, [50, 50, 0]);
        assert_eq!(earned(&mut h, "review", t + DAY), 50);
        assert_eq!(earned(&mut h, "quiz", t + DAY), 10, "uncapped kinds");
    }

    #[test]
    fn once_means_once() {
        let mut h = Harness::<Activity>::new(CONFIG);
        assert_eq!(earned(&mut h, "sign-up", DAY), 200);
        assert_eq!(earned(&mut h, "sign-up", 90 * DAY), 0);
        assert_eq!(earned(&mut h, "unknown", DAY), 0);
    }

    #[test]
    fn purchases_earn_nothing_here() {
        assert!(Harness::<Activity>::new(CONFIG).purchase(Purchase::new("p", 10_000)).rewards.is_empty());
    }

    #[test]
    fn caps_need_points() {
        let err = Harness::<Activity>::try_new("points = { review = 5 }\ndaily_cap = { share = 1 }").err().unwrap();
        assert!(err.message().contains("`share` has a daily cap"), "{err}");
    }
}
