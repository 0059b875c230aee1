//! `punch-card`: every `every`-th purchase of a customer earns `bonus_points`.
#![cfg_attr(not(test), no_std)]

use perk_sdk::prelude::*;

#[derive(Debug, FromJson)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Every `every`-th purchase earns the bonus (counting every purchase, this one included).
    pub every: u32,
    pub bonus_points: i64,
    /// What the customer collects toward, shown in progress: `"free coffee"`.
    #[serde(default = "default_goal")]
    pub goal: String,
    /// Count only purchases with an item of this category (kept in the policy's state);
    /// without it, every purchase counts (the ledger's purchase count).
    pub category: Option<String>,
}

/// Qualifying purchases so far, when counting a category.
#[derive(Debug, Default, ToJson, FromJson)]
struct Stamps {
    count: u64,
}

fn default_goal() -> String {
    "punch-card bonus".into()
}

pub struct PunchCard;

/// Every N-th purchase earns a bonus: "every 6th coffee free".
#[perk_sdk::policy]
impl Policy for PunchCard {
    type Config = Config;
    const CONFIG_SCHEMA: &'static str = include_str!("../config.schema.json");

    fn validate(c: &Config) -> Result<()> {
        if c.every < 1 {
            return Err(Error::msg("`every`: must be at least 1"));
        }
        if c.bonus_points < 0 {
            return Err(Error::msg(text!("`bonus_points`: must not be negative, got ", c.bonus_points)));
        }
        Ok(())
    }

    fn on_purchase(c: &Config, p: &Purchase, customer: &Customer, ctx: &Context) -> Result<Outcome> {
        let every = c.every as u64;
        let (n, mut out, counted) = match &c.category {
            None => (customer.purchases as u64 + 1, Outcome::new(), None),
            Some(cat) => {
                let stamps: Stamps = ctx.state()?;
                if !p.items.iter().any(|i| &i.category == cat) {
                    let on_card = (stamps.count % every) as i64;
                    return Ok(Outcome::new().progress(&c.goal, on_card, c.every as i64, Unit::Purchases));
                }
                let n = stamps.count + 1;
                (n, Outcome::new().state(&Stamps { count: n }), Some(cat))
            }
        };
        let on_card = (n % every) as i64;
        out = out.progress(&c.goal, on_card, c.every as i64, Unit::Purchases);
        if on_card == 0 {
            let what = || counted.map_or_else(|| "purchase".to_string(), |cat| text!(cat, " purchase"));
            out = out.points(
                c.bonus_points,
                reason!(c.goal, ": ", what(), " #", n, ", every ", c.every, "th earns ", c.bonus_points, " points"),
            );
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

    #[test]
    fn every_sixth_purchase_earns_the_bonus() {
        let mut h = Harness::<PunchCard>::new("every = 6\nbonus_points = 100\ngoal = \"free coffee\"");
        let earned: Vec<i64> = (1..=13).map(|i| h.purchase(Purchase::new(format!("p{i}"), 300)).points_total()).collect();
        assert_eq!(earned, [0, 0, 0, 0, 0, 100, 0, 0, 0, 0, 0, 100, 0]);
    }

    #[test]
    fn counts_purchases_the_customer_made_before() {
        let mut customer = Customer::new("c");
        customer.purchases = 4;
        let mut h = Harness::<PunchCard>::new("every = 5\nbonus_points = 50").with_customer(customer);
        assert_eq!(h.purchase(Purchase::new("p", 100)).points_total(), 50);
    }

    #[test]
    fn progress_counts_toward_the_next_bonus() {
        let mut h = Harness::<PunchCard>::new("every = 6\nbonus_points = 100");
        let p = |h: &mut Harness<PunchCard>| h.purchase(Purchase::new("p", 1)).progress[0].clone();
        let first = p(&mut h);
        assert_eq!((first.current, first.target, first.remaining()), (1, 6, 5));
        for _ in 0..4 {
            p(&mut h);
        }
        assert_eq!(p(&mut h).current, 0, "a full card starts over");
    }

    #[test]
    fn a_category_card_counts_only_purchases_with_that_category() {
        let mut h = Harness::<PunchCard>::new("every = 3\nbonus_points = 100\ncategory = \"coffee\"");
        let coffee = || Purchase::new("p", 300).with_item(LineItem::new("latte", "coffee", 1, 300));
        let tea = || Purchase::new("p", 300).with_item(LineItem::new("sencha", "tea", 1, 300));
        let earned: Vec<i64> =
            [coffee(), tea(), coffee(), tea(), coffee(), coffee()].into_iter().map(|p| h.purchase(p).points_total()).collect();
        assert_eq!(earned, [0, 0, 0, 0, 100, 0]);
        assert_eq!(h.state::<Stamps>().unwrap().count, 4);
    }

    #[test]
    fn every_one_rewards_each_purchase_and_zero_is_refused() {
        let mut h = Harness::<PunchCard>::new("every = 1\nbonus_points = 7");
        assert_eq!(h.purchase(Purchase::new("p", 1)).points_total(), 7);
        let err = Harness::<PunchCard>::try_new("every = 0\nbonus_points = 7").err().unwrap();
        assert!(err.message().contains("`every`"), "{err}");
    }
}
