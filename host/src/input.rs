//! Purchases, events and customers as JSON, checked before anything is evaluated.
//!
//! ```json
//! {"id": "p-1001", "customer_id": "c-42", "at": "2026-03-02T12:30:00Z",
//!  "items": [{"sku": "latte", "category": "coffee", "quantity": 2, "unit_price": 350}],
//!  "channel": "store"}
//! ```
//! Money is integer minor units. `total` defaults to the sum of the items and must match
//! it when both are given; `currency` defaults to the campaign's and must match it.

use perk_sdk::{Customer, Event, LineItem, Money, Purchase};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::collections::BTreeMap;

/// Bad input, with the path of the offending field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InputError(pub String);

/// A time as RFC 3339 text or unix milliseconds.
#[derive(Deserialize)]
#[serde(untagged)]
enum Time {
    Millis(i64),
    Text(String),
}

fn time(t: Time, field: &str) -> Result<i64, InputError> {
    match t {
        Time::Millis(ms) => Ok(ms),
        Time::Text(s) => time::OffsetDateTime::parse(&s, &time::format_description::well_known::Rfc3339)
            .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
            .map_err(|e| InputError(format!("`{field}`: `{s}` is not an RFC 3339 time such as `2026-03-02T12:30:00Z` ({e})"))),
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ItemIn {
    sku: String,
    #[serde(default)]
    category: String,
    #[serde(default = "one")]
    quantity: u32,
    unit_price: Money,
    #[serde(default)]
    tags: Vec<String>,
}

fn one() -> u32 {
    1
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PurchaseIn {
    id: String,
    customer_id: String,
    /// RFC 3339 or unix ms; default: now.
    #[schema(value_type = Option<String>)]
    at: Option<Time>,
    currency: Option<String>,
    total: Option<Money>,
    #[serde(default)]
    shipping: Money,
    #[serde(default)]
    items: Vec<ItemIn>,
    #[serde(default)]
    channel: String,
    partner: Option<String>,
    #[serde(default)]
    coupons: Vec<String>,
    #[serde(default)]
    attributes: BTreeMap<String, String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct EventIn {
    id: String,
    customer_id: String,
    /// RFC 3339 or unix ms; default: now.
    #[schema(value_type = Option<String>)]
    at: Option<Time>,
    kind: String,
    #[serde(default)]
    attributes: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CustomerIn {
    id: String,
    tier: Option<String>,
    #[serde(default)]
    points: i64,
    #[serde(default)]
    lifetime_spend: Money,
    #[serde(default)]
    purchases: u32,
    first_purchase_at: Option<Time>,
    last_purchase_at: Option<Time>,
    birthday: Option<String>,
    #[serde(default)]
    segments: Vec<String>,
    /// Per-policy state, as the policies store it (JSON for SDK policies).
    #[serde(default)]
    state: BTreeMap<String, serde_json::Value>,
}

/// Parses JSON into `T`; errors name the field path.
pub fn parse<T: DeserializeOwned>(json: &str) -> Result<T, InputError> {
    let de = &mut serde_json::Deserializer::from_str(json);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path == "." {
            InputError(inner.to_string())
        } else {
            InputError(format!("`{path}`: {inner}"))
        }
    })
}

fn non_empty(v: &str, field: &str) -> Result<(), InputError> {
    if v.trim().is_empty() {
        return Err(InputError(format!("`{field}`: must not be empty")));
    }
    Ok(())
}

/// Parses and checks a purchase; `now` fills a missing `at`, `currency` a missing currency.
pub fn purchase(json: &str, currency: &str, now: i64) -> Result<Purchase, InputError> {
    let p: PurchaseIn = parse(json)?;
    non_empty(&p.id, "id")?;
    non_empty(&p.customer_id, "customer_id")?;
    let mut sum: Money = 0;
    for (i, item) in p.items.iter().enumerate() {
        non_empty(&item.sku, &format!("items[{i}].sku"))?;
        if item.quantity == 0 {
            return Err(InputError(format!("`items[{i}].quantity`: must be at least 1")));
        }
        if item.unit_price < 0 {
            return Err(InputError(format!("`items[{i}].unit_price`: must not be negative, got {}", item.unit_price)));
        }
        let line = item.unit_price.checked_mul(item.quantity as Money);
        sum = line.and_then(|l| sum.checked_add(l)).ok_or_else(|| InputError(format!("`items[{i}]`: amount overflows")))?;
    }
    let total = match p.total {
        Some(t) if t < 0 => return Err(InputError(format!("`total`: must not be negative, got {t}"))),
        Some(t) if !p.items.is_empty() && t != sum => {
            return Err(InputError(format!("`total`: {t} does not match the items, which add up to {sum}")))
        }
        Some(t) => t,
        None => sum,
    };
    if p.shipping < 0 {
        return Err(InputError(format!("`shipping`: must not be negative, got {}", p.shipping)));
    }
    let cur = p.currency.unwrap_or_else(|| currency.to_string());
    if cur != currency {
        return Err(InputError(format!("`currency`: the campaign runs in {currency}, the purchase is in {cur}")));
    }
    Ok(Purchase {
        id: p.id,
        customer_id: p.customer_id,
        at: p.at.map(|t| time(t, "at")).transpose()?.unwrap_or(now),
        currency: cur,
        total,
        shipping: p.shipping,
        items: p
            .items
            .into_iter()
            .map(|i| LineItem { sku: i.sku, category: i.category, quantity: i.quantity, unit_price: i.unit_price, tags: i.tags })
            .collect(),
        channel: p.channel,
        partner: p.partner,
        coupons: p.coupons,
        attributes: p.attributes.into_iter().collect(),
    })
}

pub fn event(json: &str, now: i64) -> Result<Event, InputError> {
    let e: EventIn = parse(json)?;
    non_empty(&e.id, "id")?;
    non_empty(&e.customer_id, "customer_id")?;
    non_empty(&e.kind, "kind")?;
    Ok(Event {
        id: e.id,
        customer_id: e.customer_id,
        at: e.at.map(|t| time(t, "at")).transpose()?.unwrap_or(now),
        kind: e.kind,
        attributes: e.attributes.into_iter().collect(),
    })
}

fn birthday(b: &str) -> Result<(), InputError> {
    let ok = b.len() == 5 && b.as_bytes()[2] == b'-' && matches!((b[..2].parse::<u32>(), b[3..].parse::<u32>()), (Ok(1..=12), Ok(1..=31)));
    if ok {
        Ok(())
    } else {
        Err(InputError(format!("`birthday`: `{b}` is not a month and day such as `03-14`")))
    }
}

/// What a shop tells about a customer besides purchases: `PUT /v1/customers/{id}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// `MM-DD`; `null` forgets it.
    pub birthday: Option<String>,
    /// Segments policies can target (`students`, `staff`, ...).
    #[serde(default)]
    pub segments: Vec<String>,
}

pub fn profile(json: &str) -> Result<Profile, InputError> {
    let p: Profile = parse(json)?;
    if let Some(b) = &p.birthday {
        birthday(b)?;
    }
    for (i, s) in p.segments.iter().enumerate() {
        non_empty(s, &format!("segments[{i}]"))?;
    }
    Ok(p)
}

/// A customer and the per-policy state given with them.
pub fn customer(json: &str) -> Result<(Customer, BTreeMap<String, Vec<u8>>), InputError> {
    let c: CustomerIn = parse(json)?;
    non_empty(&c.id, "id")?;
    if let Some(b) = &c.birthday {
        birthday(b)?;
    }
    if c.lifetime_spend < 0 {
        return Err(InputError(format!("`lifetime_spend`: must not be negative, got {}", c.lifetime_spend)));
    }
    let state = c.state.into_iter().map(|(k, v)| (k, v.to_string().into_bytes())).collect();
    Ok((
        Customer {
            id: c.id,
            tier: c.tier,
            points: c.points,
            lifetime_spend: c.lifetime_spend,
            purchases: c.purchases,
            first_purchase_at: c.first_purchase_at.map(|t| time(t, "first_purchase_at")).transpose()?,
            last_purchase_at: c.last_purchase_at.map(|t| time(t, "last_purchase_at")).transpose()?,
            birthday: c.birthday,
            segments: c.segments,
        },
        state,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_purchase_total_comes_from_its_items() {
        let p = purchase(
            r#"{"id":"p","customer_id":"c","items":[{"sku":"a","unit_price":250,"quantity":2},{"sku":"b","unit_price":100}]}"#,
            "RUB",
            7,
        )
        .unwrap();
        assert_eq!((p.total, p.at, p.currency.as_str()), (600, 7, "RUB"));
    }

    #[test]
    fn bad_purchases_say_which_field() {
        let cases = [
            (r#"{"id":"p","customer_id":"c","total":-1}"#, "`total`: must not be negative"),
            (
                r#"{"id":"p","customer_id":"c","total":500,"items":[{"sku":"a","unit_price":100}]}"#,
                "`total`: 500 does not match the items, which add up to 100",
            ),
            (r#"{"id":"p","customer_id":"c","items":[{"sku":"a","unit_price":"1.50"}]}"#, "`items[0].unit_price`: invalid type: string"),
            (
                r#"{"id":"p","customer_id":"c","items":[{"sku":"a","unit_price":1.5}]}"#,
                "`items[0].unit_price`: invalid type: floating point",
            ),
            (
                r#"{"id":"p","customer_id":"c","items":[{"sku":"a","unit_price":1,"quantity":0}]}"#,
                "`items[0].quantity`: must be at least 1",
            ),
            (r#"{"id":"p","customer_id":"c","total":1,"currency":"USD"}"#, "the campaign runs in RUB"),
            (r#"{"id":"p","customer_id":"c","total":1,"at":"noon"}"#, "`at`: `noon` is not an RFC 3339 time"),
            (r#"{"id":"","customer_id":"c","total":1}"#, "`id`: must not be empty"),
            (r#"{"id":"p","customer_id":"c","totl":1}"#, "unknown field `totl`"),
            (r#"{"id":"p""#, "EOF"),
        ];
        for (json, want) in cases {
            let err = purchase(json, "RUB", 0).unwrap_err().0;
            assert!(err.contains(want), "{json}: want `{want}`, got `{err}`");
        }
    }

    #[test]
    fn customers_carry_state_and_a_checked_birthday() {
        let (c, state) = customer(r#"{"id":"c","birthday":"03-14","state":{"punch":{"n":3}}}"#).unwrap();
        assert_eq!(c.birthday.as_deref(), Some("03-14"));
        assert_eq!(state["punch"], br#"{"n":3}"#);
        assert!(customer(r#"{"id":"c","birthday":"14.03"}"#).unwrap_err().0.contains("`birthday`"));
    }
}
