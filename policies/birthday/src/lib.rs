//! `birthday`: a reward in a window around the customer's birthday, once a year.
#![cfg_attr(not(test), no_std)]

use perk_sdk::calendar::Date;
use perk_sdk::prelude::*;
use perk_sdk::text::two_digits;

#[derive(Debug, FromJson)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub reward: RewardSpec,
    /// Days before the birthday the window opens.
    #[serde(default)]
    pub days_before: u32,
    /// Days after the birthday it stays open.
    #[serde(default = "week")]
    pub days_after: u32,
    /// Shop time minus UTC, minutes (Moscow: 180).
    #[serde(default)]
    pub utc_offset_minutes: i64,
}

fn week() -> u32 {
    7
}

/// The birthday year last rewarded, per customer.
#[derive(Debug, Default, ToJson, FromJson)]
struct Rewarded {
    year: Option<i64>,
}

/// The customer's birthday in `year` (29 February falls on the 28th in other years).
fn birthday_in(year: i64, month: u32, day: u32) -> Date {
    let day = if month == 2 && day == 29 && !Date::is_leap_year(year) { 28 } else { day };
    Date { year, month, day }
}

fn parse_birthday(b: &str) -> Option<(u32, u32)> {
    let (m, d) = b.split_once('-')?;
    let (m, d) = (m.parse().ok()?, d.parse().ok()?);
    ((1..=12).contains(&m) && (1..=31).contains(&d)).then_some((m, d))
}

pub struct Birthday;

/// A birthday treat: a reward for purchases in a window around the customer's birthday
/// (`MM-DD` in their profile), once per birthday.
#[perk_sdk::policy]
impl Policy for Birthday {
    type Config = Config;
    const CONFIG_SCHEMA: &'static str = include_str!("../config.schema.json");

    fn validate(c: &Config) -> Result<()> {
        c.reward.validate("reward")?;
        if c.days_before + c.days_after > 180 {
            return Err(Error::msg("`days_before` + `days_after`: a window of more than 180 days is not a birthday"));
        }
        Ok(())
    }

    fn on_purchase(c: &Config, p: &Purchase, customer: &Customer, ctx: &Context) -> Result<Outcome> {
        let Some((month, day)) = customer.birthday.as_deref().and_then(parse_birthday) else { return Ok(Outcome::new()) };
        let today = Date::of(p.at, c.utc_offset_minutes);
        let window = |b: Date| (b.days() - c.days_before as i64..=b.days() + c.days_after as i64).contains(&today.days());
        let Some(birthday) =
            [today.year - 1, today.year, today.year + 1].into_iter().map(|y| birthday_in(y, month, day)).find(|b| window(*b))
        else {
            return Ok(Outcome::new());
        };
        let rewarded: Rewarded = ctx.state()?;
        if rewarded.year == Some(birthday.year) {
            return Ok(Outcome::new());
        }
        Ok(Outcome::new()
            .reward(
                c.reward.reward(),
                reason!("happy birthday (", two_digits(birthday.month), '-', two_digits(birthday.day), "): ", c.reward),
            )
            .state(&Rewarded { year: Some(birthday.year) }))
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
    /// 2026-03-02T12:30:00Z.
    const MAR_2: i64 = 1_772_454_600_000;

    fn harness(birthday: &str) -> Harness<Birthday> {
        let mut customer = Customer::new("c");
        customer.birthday = Some(birthday.into());
        Harness::<Birthday>::new("reward = { percent_off = 15 }\ndays_before = 2\ndays_after = 3").with_customer(customer)
    }

    fn earns(h: &mut Harness<Birthday>, at: i64) -> bool {
        !h.purchase(Purchase::new("p", 1000).with_at(at)).rewards.is_empty()
    }

    #[test]
    fn inside_the_window_once_a_year() {
        let mut h = harness("03-04");
        assert!(!earns(&mut h, MAR_2 - DAY), "3 days before");
        assert!(earns(&mut h, MAR_2), "2 days before");
        assert!(!earns(&mut h, MAR_2 + DAY), "already rewarded this year");
        assert!(earns(&mut h, MAR_2 + 365 * DAY), "next year again");
    }

    #[test]
    fn the_window_wraps_the_new_year() {
        let mut h = harness("01-01");
        // 2026-12-30T12:30Z is two days before 2027-01-01.
        assert!(earns(&mut h, MAR_2 + 303 * DAY));
        assert!(!earns(&mut h, MAR_2 + 305 * DAY), "the 2027 birthday was paid on 30 December");
    }

    #[test]
    fn leap_day_birthdays_fall_on_the_28th() {
        let mut h = harness("02-29");
        assert!(earns(&mut h, MAR_2 - 2 * DAY), "28 Feb 2026");
    }

    #[test]
    fn no_birthday_no_reward() {
        let mut h = Harness::<Birthday>::new("reward = { points = 100 }");
        assert!(!earns(&mut h, MAR_2));
    }
}
