//! `referral`: when an invited customer makes their first qualifying purchase, the invitee
//! and the customer who referred them are both rewarded, once.
#![cfg_attr(not(test), no_std)]

use perk_sdk::prelude::*;

#[derive(Debug, FromJson)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// What the invitee gets on their first qualifying purchase: `{ points = 200 }`,
    /// `{ percent_off = 10 }`, ...
    pub invitee: RewardSpec,
    /// Points credited to the referrer's account.
    pub referrer_points: i64,
    /// The smallest purchase that qualifies (minor units).
    #[serde(default)]
    pub min_total: Money,
    /// The purchase or event attribute naming the referrer's customer id.
    #[serde(default = "default_attribute")]
    pub attribute: String,
}

fn default_attribute() -> String {
    "referred_by".into()
}

/// Who referred this customer, and whether the referral has paid out.
#[derive(Debug, Default, ToJson, FromJson)]
struct Invitation {
    referrer: Option<String>,
    done: bool,
}

pub struct Referral;

impl Config {
    /// The referrer named on this input, unless it is the customer themself.
    fn referrer<'a>(&self, attributes: &'a [(String, String)], customer: &Customer) -> Option<&'a str> {
        attributes.iter().find(|(k, _)| *k == self.attribute).map(|(_, v)| text::trim(v)).filter(|v| !v.is_empty() && *v != customer.id)
    }
}

/// Both sides of a referral rewarded once, after the invitee's first qualifying purchase.
/// The referrer is named by an attribute (`referred_by`) on any purchase or event
/// (a `sign-up` event, say) before or with that purchase; the first one named sticks.
#[perk_sdk::policy]
impl Policy for Referral {
    type Config = Config;
    const CONFIG_SCHEMA: &'static str = include_str!("../config.schema.json");

    fn validate(c: &Config) -> Result<()> {
        c.invitee.validate("invitee")?;
        if c.referrer_points < 0 {
            return Err(Error::msg("`referrer_points`: must not be negative"));
        }
        if c.min_total < 0 {
            return Err(Error::msg("`min_total`: must not be negative"));
        }
        if text::trim(&c.attribute).is_empty() {
            return Err(Error::msg("`attribute`: must not be empty"));
        }
        Ok(())
    }

    fn on_purchase(c: &Config, p: &Purchase, customer: &Customer, ctx: &Context) -> Result<Outcome> {
        let mut state: Invitation = ctx.state()?;
        if state.done {
            return Ok(Outcome::new());
        }
        if state.referrer.is_none() {
            state.referrer = c.referrer(&p.attributes, customer).map(str::to_string);
        }
        let Some(referrer) = state.referrer.clone() else {
            return Ok(Outcome::new());
        };
        if p.total < c.min_total {
            return Ok(Outcome::new().progress("referral reward", p.total, c.min_total, Unit::Money).state(&state));
        }
        state.done = true;
        Ok(Outcome::new()
            .reward(c.invitee.reward(), reason!("referred by ", referrer, ": ", c.invitee, " on your first qualifying purchase"))
            .points_for(&referrer, c.referrer_points, reason!(customer.id, " joined on your referral and made a first purchase"))
            .state(&state))
    }

    fn on_event(c: &Config, e: &Event, customer: &Customer, ctx: &Context) -> Result<Outcome> {
        let mut state: Invitation = ctx.state()?;
        if state.done || state.referrer.is_some() {
            return Ok(Outcome::new());
        }
        match c.referrer(&e.attributes, customer) {
            Some(r) => {
                state.referrer = Some(r.to_string());
                Ok(Outcome::new().state(&state))
            }
            None => Ok(Outcome::new()),
        }
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

    const CONFIG: &str = "invitee = { points = 200 }\nreferrer_points = 500\nmin_total = 3000";

    fn buy(id: &str, total: Money, referrer: Option<&str>) -> Purchase {
        let p = Purchase::new(id, total);
        match referrer {
            Some(r) => p.with_attribute("referred_by", r),
            None => p,
        }
    }

    #[test]
    fn both_sides_are_rewarded_once_on_the_first_qualifying_purchase() {
        let mut h = Harness::<Referral>::new(CONFIG).with_customer(Customer::new("ivy"));
        let small = h.purchase(buy("p1", 1_000, Some("ann")));
        assert!(small.rewards.is_empty());
        assert_eq!(small.progress[0].remaining(), 2_000);
        // The referrer named on the first purchase sticks, even when this one names none.
        let out = h.purchase(buy("p2", 5_000, None));
        assert_eq!(out.rewards.len(), 2, "{out:?}");
        assert_eq!(out.rewards[0].reward, Reward::Points { amount: 200 });
        assert_eq!(out.rewards[0].reason, "referred by ann: 200 points on your first qualifying purchase");
        assert_eq!(out.rewards[1].reward, Reward::PointsFor { customer: "ann".into(), amount: 500 });
        assert_eq!(out.rewards[1].reason, "ivy joined on your referral and made a first purchase");
        assert!(h.purchase(buy("p3", 5_000, Some("bob"))).rewards.is_empty(), "once");
    }

    #[test]
    fn a_sign_up_event_can_name_the_referrer() {
        let mut h = Harness::<Referral>::new(CONFIG).with_customer(Customer::new("ivy"));
        let e = Event::new("e1", "sign-up").with_attribute("referred_by", "ann");
        assert!(h.event(e).rewards.is_empty());
        let out = h.purchase(buy("p1", 3_000, Some("someone-else")));
        assert_eq!(out.rewards[1].reward, Reward::PointsFor { customer: "ann".into(), amount: 500 });
    }

    #[test]
    fn no_referrer_or_a_self_referral_earns_nothing() {
        let mut h = Harness::<Referral>::new(CONFIG).with_customer(Customer::new("ivy"));
        assert!(h.purchase(buy("p1", 5_000, None)).rewards.is_empty());
        assert!(h.purchase(buy("p2", 5_000, Some("ivy"))).rewards.is_empty());
        assert!(h.purchase(buy("p3", 5_000, Some("ann"))).rewards.len() == 2, "a later purchase may still be the first qualifying one");
    }

    #[test]
    fn config_errors_name_the_key() {
        let err = |c: &str| Harness::<Referral>::try_new(c).err().unwrap().message().to_string();
        assert!(err("invitee = { points = 1 }\nreferrer_points = -1").contains("`referrer_points`"));
        assert!(err("referrer_points = 1").contains("missing field `invitee`"));
        assert!(err("invitee = { points = 1 }\nreferrer_points = 1\nattribute = \" \"").contains("`attribute`"));
    }
}
