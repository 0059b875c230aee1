//! `limited-time`: a reward inside a schedule: days of the week and hours of the day.
#![cfg_attr(not(test), no_std)]

use perk_sdk::calendar::{hour, weekday_from_name, Date};
use perk_sdk::prelude::*;

#[derive(Debug, FromJson)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub reward: RewardSpec,
    /// With `per_unit`, points rewards scale with the goods total: `reward = { points = 1 }`
    /// and `per_unit = 100` is one extra point per whole ruble ("double points").
    pub per_unit: Option<Money>,
    /// `["sat", "sun"]`; empty: every day.
    #[serde(default)]
    pub days: Vec<String>,
    /// `[from, to)` in local hours, e.g. `[15, 17]`; absent: all day.
    pub hours: Option<[u32; 2]>,
    #[serde(default)]
    pub utc_offset_minutes: i64,
    /// Only orders of at least this much (minor units).
    #[serde(default)]
    pub min_total: Money,
}

pub struct LimitedTime;

/// Happy hours and weekend offers: a reward for purchases on given days of the week and
/// hours of the day (dates come from the policy's `starts`/`ends` in the manifest).
#[perk_sdk::policy]
impl Policy for LimitedTime {
    type Config = Config;
    const CONFIG_SCHEMA: &'static str = include_str!("../config.schema.json");

    fn validate(c: &Config) -> Result<()> {
        c.reward.validate("reward")?;
        for (i, d) in c.days.iter().enumerate() {
            if weekday_from_name(d).is_none() {
                return Err(Error::msg(text!("`days[", i, "]`: `", d, "` is not one of mon, tue, wed, thu, fri, sat, sun")));
            }
        }
        if let Some([from, to]) = c.hours {
            if from >= to || to > 24 {
                return Err(Error::msg(text!("`hours`: [", from, ", ", to, "] is not a range within 0..24")));
            }
        }
        match (c.per_unit, &c.reward) {
            (Some(u), _) if u < 1 => Err(Error::msg("`per_unit`: must be at least 1")),
            (Some(_), r) if !matches!(r, RewardSpec::Points(_)) => Err(Error::msg("`per_unit`: only scales a points reward")),
            _ => Ok(()),
        }
    }

    fn on_purchase(c: &Config, p: &Purchase, _customer: &Customer, _ctx: &Context) -> Result<Outcome> {
        let weekday = Date::of(p.at, c.utc_offset_minutes).weekday();
        let day_ok = c.days.is_empty() || c.days.iter().any(|d| weekday_from_name(d) == Some(weekday));
        let h = hour(p.at, c.utc_offset_minutes);
        let hour_ok = c.hours.is_none_or(|[from, to]| (from..to).contains(&h));
        if !day_ok || !hour_ok || p.total < c.min_total {
            return Ok(Outcome::new());
        }
        // `when(c)` inside `reason!`: written only when the host shows reasons.
        Ok(match (c.per_unit, &c.reward) {
            (Some(unit), RewardSpec::Points(n)) => {
                let points = (p.total / unit).saturating_mul(*n);
                Outcome::new().points(points, reason!(when(c), ": ", n, " extra points per ", money(unit), " spent"))
            }
            _ => Outcome::new().reward(c.reward.reward(), reason!(when(c), ": ", c.reward)),
        })
    }
}

/// When the offer runs, for its reasons: `offer on sat, sun 10:00–12:00`.
fn when(c: &Config) -> String {
    let what = match (c.days.is_empty(), c.hours) {
        (true, None) => "limited-time offer",
        (true, Some(_)) => "happy hour",
        (false, _) => "offer on ",
    };
    let hours = c.hours.map_or_else(String::new, |[f, t]| text!(' ', f, ":00–", t, ":00"));
    text!(what, text::joined(&c.days, ", "), hours)
}

#[cfg(test)]
mod tests {
    use super::*;
    use perk_sdk::testing::Harness;

    #[test]
    fn config_schema_is_current() {
        perk_sdk::testing::check_config_schema::<Config>(concat!(env!("CARGO_MANIFEST_DIR"), "/config.schema.json"));
    }

    /// Monday 2026-03-02, 15:30 in Moscow.
    const MON_1530: i64 = 1_772_454_600_000;
    const HOUR: i64 = 3_600_000;

    fn points(config: &str, at: i64, total: Money) -> i64 {
        Harness::<LimitedTime>::new(config).purchase(Purchase::new("p", total).with_at(at)).points_total()
    }

    #[test]
    fn happy_hours_by_local_time() {
        let c = "reward = { points = 50 }\nhours = [15, 17]\nutc_offset_minutes = 180";
        assert_eq!(points(c, MON_1530, 100), 50);
        assert_eq!(points(c, MON_1530 - HOUR, 100), 0, "14:30");
        assert_eq!(points(c, MON_1530 + 2 * HOUR, 100), 0, "17:30");
    }

    #[test]
    fn weekend_double_points() {
        let c = "reward = { points = 1 }\nper_unit = 100\ndays = [\"sat\", \"sun\"]";
        assert_eq!(points(c, MON_1530, 45_000), 0);
        assert_eq!(points(c, MON_1530 + 5 * 24 * HOUR, 45_000), 450, "Saturday");
    }

    #[test]
    fn reasons_say_when() {
        for (schedule, said) in [
            ("", "limited-time offer"),
            ("days = [\"sat\", \"sun\"]", "offer on sat, sun"),
            ("hours = [15, 17]", "happy hour 15:00–17:00"),
            ("days = [\"fri\"]\nhours = [9, 12]", "offer on fri 9:00–12:00"),
        ] {
            let json = perk_sdk::testing::config_json(&format!("reward = {{ points = 5 }}\n{schedule}")).unwrap();
            assert_eq!(when(&perk_sdk::parse_config::<LimitedTime>(&json).unwrap()), said);
        }
    }

    #[test]
    fn config_errors_name_the_key() {
        let err = |c: &str| Harness::<LimitedTime>::try_new(c).err().unwrap().message().to_string();
        assert!(err("reward = { points = 1 }\ndays = [\"someday\"]").contains("`days[0]`"));
        assert!(err("reward = { points = 1 }\nhours = [17, 15]").contains("`hours`"));
        assert!(err("reward = { percent_off = 5 }\nper_unit = 100").contains("`per_unit`"));
    }
}
