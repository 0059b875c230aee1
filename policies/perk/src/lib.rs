//! `perk`: non-monetary benefits (event access, gifts) granted by tier or segment, once.
#![cfg_attr(not(test), no_std)]

use perk_sdk::prelude::*;

#[derive(Debug, FromJson)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Grant {
    /// What the customer gets: `"lounge access"`, `"invitation to the spring preview"`.
    pub name: String,
    /// Customers holding one of these tiers qualify ...
    #[serde(default)]
    pub tiers: Vec<String>,
    /// ... or customers in one of these segments.
    #[serde(default)]
    pub segments: Vec<String>,
}

#[derive(Debug, FromJson)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub perks: Vec<Grant>,
}

/// Perks already granted to this customer.
#[derive(Debug, Default, ToJson, FromJson)]
struct Granted {
    names: Vec<String>,
}

pub struct Perk;

/// Non-monetary perks — event access, gifts, services — granted once to customers who hold a
/// tier or belong to a segment (checked on each purchase and activity event).
#[perk_sdk::policy]
impl Policy for Perk {
    type Config = Config;
    const CONFIG_SCHEMA: &'static str = include_str!("../config.schema.json");

    fn validate(c: &Config) -> Result<()> {
        if c.perks.is_empty() {
            return Err(Error::msg("`perks`: list at least one perk"));
        }
        for (i, g) in c.perks.iter().enumerate() {
            if text::is_blank(&g.name) {
                return Err(Error::msg(text!("`perks[", i, "].name`: must not be empty")));
            }
            if g.tiers.is_empty() && g.segments.is_empty() {
                return Err(Error::msg(text!("`perks[", i, "]`: say who qualifies with `tiers` or `segments`")));
            }
        }
        Ok(())
    }

    fn on_purchase(c: &Config, _p: &Purchase, customer: &Customer, ctx: &Context) -> Result<Outcome> {
        grant(c, customer, ctx)
    }

    fn on_event(c: &Config, _e: &Event, customer: &Customer, ctx: &Context) -> Result<Outcome> {
        grant(c, customer, ctx)
    }
}

fn grant(c: &Config, customer: &Customer, ctx: &Context) -> Result<Outcome> {
    let mut granted: Granted = ctx.state()?;
    let mut out = Outcome::new();
    for g in &c.perks {
        if granted.names.contains(&g.name) {
            continue;
        }
        let tier = customer.tier.as_ref().filter(|t| g.tiers.contains(t));
        let segment = g.segments.iter().find(|s| customer.in_segment(s));
        let why = match (tier, segment) {
            (Some(t), _) => text!(g.name, " for ", t, " members"),
            (None, Some(s)) => text!(g.name, " for ", s),
            (None, None) => continue,
        };
        granted.names.push(g.name.clone());
        out = out.reward(Reward::Perk { name: g.name.clone() }, why);
    }
    if out.rewards.is_empty() {
        return Ok(out);
    }
    Ok(out.state(&granted))
}

#[cfg(test)]
mod tests {
    use super::*;
    use perk_sdk::testing::Harness;

    #[test]
    fn config_schema_is_current() {
        perk_sdk::testing::check_config_schema::<Config>(concat!(env!("CARGO_MANIFEST_DIR"), "/config.schema.json"));
    }

    const CONFIG: &str =
        r#"perks = [{ name = "lounge access", tiers = ["gold"] }, { name = "preview invitation", segments = ["vip-list"] }]"#;

    #[test]
    fn granted_once_to_those_who_qualify() {
        let mut gold = Customer::new("c").with_tier("gold");
        gold.segments = vec!["vip-list".into()];
        let mut h = Harness::<Perk>::new(CONFIG).with_customer(gold);
        let first = h.purchase(Purchase::new("p", 100));
        let names: Vec<_> = first.rewards.iter().map(|g| g.reason.as_str()).collect();
        assert_eq!(names, ["lounge access for gold members", "preview invitation for vip-list"]);
        assert!(h.purchase(Purchase::new("p", 100)).rewards.is_empty(), "once");
        assert!(Harness::<Perk>::new(CONFIG).purchase(Purchase::new("p", 100)).rewards.is_empty(), "nobody else");
    }

    #[test]
    fn a_perk_must_say_who_qualifies() {
        let err = Harness::<Perk>::try_new(r#"perks = [{ name = "gift" }]"#).err().unwrap();
        assert!(err.message().contains("`perks[0]`"), "{err}");
    }
}
