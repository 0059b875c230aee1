//! Happy hour: bonus points for every pastry bought in the afternoon lull.
//! A custom policy written with perk-sdk; see ../../README.md.

use perk_sdk::prelude::*;

#[derive(Debug, FromJson)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// First hour of the happy hour (0–23, shop time).
    pub from_hour: u32,
    /// Hour it ends (exclusive).
    pub to_hour: u32,
    /// Shop time minus UTC, in minutes: Moscow is 180.
    #[serde(default)]
    pub utc_offset_minutes: i64,
    /// Which items count.
    pub category: String,
    /// Points for each such item.
    pub points_per_item: i64,
}

/// Bonus points per item of one category bought during happy hour.
#[perk_sdk::policy]
fn happy_hour(config: &Config, purchase: &Purchase, _customer: &Customer, _ctx: &Context) -> Result<Outcome> {
    if config.from_hour >= config.to_hour || config.to_hour > 24 {
        return Err(Error::msg("`from_hour`..`to_hour` must be an increasing range within 0..24"));
    }
    let hour = perk_sdk::calendar::hour(purchase.at, config.utc_offset_minutes);
    if !(config.from_hour..config.to_hour).contains(&hour) {
        return Ok(Outcome::new());
    }
    let items: u64 = purchase.items.iter().filter(|i| i.category == config.category).map(|i| i.quantity as u64).sum();
    let points = items as i64 * config.points_per_item;
    Ok(Outcome::new().points(
        points,
        format!(
            "happy hour {}:00–{}:00: {items} × {} × {} points",
            config.from_hour, config.to_hour, config.category, config.points_per_item
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use perk_sdk::testing::Harness;

    const CONFIG: &str = "from_hour = 15\nto_hour = 17\nutc_offset_minutes = 180\ncategory = \"pastry\"\npoints_per_item = 10";
    /// 2026-03-02T12:30:00Z = 15:30 in Moscow.
    const AFTERNOON: i64 = 1_772_454_600_000;

    fn order(at: i64) -> Purchase {
        Purchase::new("p1", 750)
            .with_at(at)
            .with_item(LineItem::new("croissant", "pastry", 2, 200))
            .with_item(LineItem::new("latte", "coffee", 1, 350))
    }

    #[test]
    fn pastries_in_happy_hour_earn_points() {
        let mut h = Harness::<HappyHour>::new(CONFIG);
        assert_eq!(h.purchase(order(AFTERNOON)).points_total(), 20);
    }

    #[test]
    fn outside_happy_hour_earns_nothing() {
        let mut h = Harness::<HappyHour>::new(CONFIG);
        assert_eq!(h.purchase(order(AFTERNOON + 2 * 3_600_000)).points_total(), 0);
        assert_eq!(h.purchase(order(AFTERNOON - 3_600_000)).points_total(), 0);
    }
}
