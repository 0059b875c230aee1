//! `cashback`: money back as a percentage of the purchase, by category or partner, capped.
#![cfg_attr(not(test), no_std)]

use perk_sdk::prelude::*;

#[derive(Debug, FromJson)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Rate for lines whose category has no rate of its own (and for purchases without lines).
    #[serde(default)]
    pub percent: Percent,
    /// Rates by line category: `{ books = 3, coffee = 10 }`.
    #[serde(default)]
    pub by_category: Table<Percent>,
    /// Rates for purchases made through a partner; they replace every other rate.
    #[serde(default)]
    pub by_partner: Table<Percent>,
    /// At most this much cashback per purchase (minor units).
    pub max_per_purchase: Option<Money>,
}

pub struct Cashback;

/// Cashback as a percentage of what was bought: one rate, rates per category, or a
/// partner's rate; optionally capped per purchase. Rounds down.
#[perk_sdk::policy]
impl Policy for Cashback {
    type Config = Config;
    const CONFIG_SCHEMA: &'static str = include_str!("../config.schema.json");

    fn validate(c: &Config) -> Result<()> {
        if let Some(max) = c.max_per_purchase {
            if max < 0 {
                return Err(Error::msg(text!("`max_per_purchase`: must not be negative, got ", max)));
            }
        }
        if c.percent == Percent::default() && c.by_category.is_empty() && c.by_partner.is_empty() {
            return Err(Error::msg("`percent`: give a rate, `by_category` or `by_partner`"));
        }
        Ok(())
    }

    fn on_purchase(c: &Config, p: &Purchase, _customer: &Customer, _ctx: &Context) -> Result<Outcome> {
        if let Some((partner, rate)) = p.partner.as_ref().and_then(|name| c.by_partner.get_key_value(name)) {
            return Ok(give(c, rate.of(p.total), text!(rate, " cashback at partner ", partner, " on ", money(p.total))));
        }
        if p.items.is_empty() {
            return Ok(give(c, c.percent.of(p.total), text!(c.percent, " cashback on ", money(p.total))));
        }
        // Sum per rate, then round once per rate: splitting an order does not lose kopecks.
        // (rate, base, categories), by rate: an order has a few rates, so a sorted vector.
        let mut by_rate: Vec<(Percent, Money, Vec<&str>)> = Vec::new();
        for item in &p.items {
            let rate = c.by_category.get(&item.category).copied().unwrap_or(c.percent);
            let e = match by_rate.binary_search_by_key(&rate, |e| e.0) {
                Ok(i) => &mut by_rate[i],
                Err(i) => {
                    by_rate.insert(i, (rate, 0, Vec::new()));
                    &mut by_rate[i]
                }
            };
            e.1 += item.subtotal();
            if !e.2.contains(&item.category.as_str()) {
                e.2.push(&item.category);
            }
        }
        let amount: Money = by_rate.iter().map(|(rate, base, _)| rate.of(*base)).sum();
        let mut reason = String::from("cashback: ");
        for (i, (rate, base, cats)) in by_rate.iter().rev().filter(|(rate, ..)| rate.basis_points() > 0).enumerate() {
            let sep = if i == 0 { "" } else { " + " };
            reason.push_str(&text!(sep, rate, " of ", money(*base), " (", text::joined(cats, ", "), ")"));
        }
        Ok(give(c, amount, reason))
    }
}

fn give(c: &Config, amount: Money, reason: String) -> Outcome {
    let capped = c.max_per_purchase.map_or(amount, |max| amount.min(max));
    if capped <= 0 {
        return Outcome::new();
    }
    let reason = if capped < amount { text!(reason, ", capped at ", money(capped)) } else { reason };
    Outcome::new().cashback(capped, reason)
}

#[cfg(test)]
mod tests {
    use super::*;
    use perk_sdk::testing::Harness;

    #[test]
    fn config_schema_is_current() {
        perk_sdk::testing::check_config_schema::<Config>(concat!(env!("CARGO_MANIFEST_DIR"), "/config.schema.json"));
    }

    const CONFIG: &str = "percent = 1\nby_category = { coffee = 5, books = 2.5 }\nby_partner = { airline = 3 }\nmax_per_purchase = 100000";

    fn cashback(config: &str, p: Purchase) -> (Money, String) {
        let out = Harness::<Cashback>::new(config).purchase(p);
        match out.rewards.first() {
            Some(Granted { reward: Reward::Cashback { amount }, reason }) => (*amount, reason.clone()),
            None => (0, String::new()),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn rates_by_category_with_a_default() {
        let p = Purchase::new("p", 30_000)
            .with_item(LineItem::new("latte", "coffee", 2, 5_000))
            .with_item(LineItem::new("novel", "books", 1, 10_000))
            .with_item(LineItem::new("mug", "merch", 1, 10_000));
        let (amount, reason) = cashback(CONFIG, p);
        assert_eq!(amount, 500 + 250 + 100);
        assert_eq!(reason, "cashback: 5% of 100.00 (coffee) + 2.5% of 100.00 (books) + 1% of 100.00 (merch)");
    }

    #[test]
    fn rounds_down_once_per_rate() {
        let p = Purchase::new("p", 198).with_item(LineItem::new("a", "coffee", 1, 99)).with_item(LineItem::new("b", "coffee", 1, 99));
        assert_eq!(cashback(CONFIG, p).0, 9, "5% of 198 = 9.9 → 9, not 4 + 4");
    }

    #[test]
    fn a_partner_rate_replaces_the_others() {
        let p = Purchase::new("p", 50_000).with_partner("airline").with_item(LineItem::new("x", "coffee", 1, 50_000));
        assert_eq!(cashback(CONFIG, p).0, 1_500);
    }

    #[test]
    fn capped_per_purchase() {
        let (amount, reason) = cashback(CONFIG, Purchase::new("p", 100_000_000));
        assert_eq!(amount, 100_000);
        assert!(reason.ends_with("capped at 1000.00"), "{reason}");
    }

    #[test]
    fn config_errors_name_the_key() {
        let err = Harness::<Cashback>::try_new("percent = 120").err().unwrap();
        assert!(err.message().contains("`percent`") && err.message().contains("over 100"), "{err}");
        let err = Harness::<Cashback>::try_new("max_per_purchase = 10").err().unwrap();
        assert!(err.message().contains("`percent`: give a rate"), "{err}");
        let err = Harness::<Cashback>::try_new("percent = 1\nby_category = { coffee = \"lots\" }").err().unwrap();
        assert!(err.message().contains("`by_category.coffee`"), "{err}");
    }
}
