//! What a policy sees: the purchase or event, the customer, the context.
//! These mirror the records of `wit/policy.wit` one to one.

#[allow(unused_imports)]
use crate::__alloc::*;
use serde::{Deserialize, Serialize};

/// Minor units of the campaign currency (cents, kopecks). Never a float.
pub type Money = i64;
/// Milliseconds since the Unix epoch, UTC.
pub type Timestamp = i64;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineItem {
    pub sku: String,
    pub category: String,
    pub quantity: u32,
    /// Price of one unit.
    pub unit_price: Money,
    pub tags: Vec<String>,
}

impl LineItem {
    pub fn new(sku: impl Into<String>, category: impl Into<String>, quantity: u32, unit_price: Money) -> Self {
        LineItem { sku: sku.into(), category: category.into(), quantity, unit_price, tags: Vec::new() }
    }

    /// `quantity × unit_price`, saturating.
    pub fn subtotal(&self) -> Money {
        self.unit_price.saturating_mul(self.quantity as Money)
    }

    pub fn has_tag(&self, tag: &str) -> bool {
        self.tags.iter().any(|t| t == tag)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Purchase {
    pub id: String,
    pub customer_id: String,
    /// When the purchase happened, as the shop reports it.
    pub at: Timestamp,
    pub currency: String,
    /// Goods total, before shipping and before any reward.
    pub total: Money,
    pub shipping: Money,
    pub items: Vec<LineItem>,
    pub channel: String,
    pub partner: Option<String>,
    pub coupons: Vec<String>,
    pub attributes: Vec<(String, String)>,
}

impl Purchase {
    /// A purchase with an id and a goods total; the rest is empty. Chain the `with_*`
    /// methods to fill it in (handy in tests).
    pub fn new(id: impl Into<String>, total: Money) -> Self {
        Purchase { id: id.into(), total, ..Default::default() }
    }

    pub fn with_item(mut self, item: LineItem) -> Self {
        self.items.push(item);
        self
    }

    pub fn with_channel(mut self, channel: impl Into<String>) -> Self {
        self.channel = channel.into();
        self
    }

    pub fn with_at(mut self, at: Timestamp) -> Self {
        self.at = at;
        self
    }

    pub fn with_partner(mut self, partner: impl Into<String>) -> Self {
        self.partner = Some(partner.into());
        self
    }

    pub fn with_coupon(mut self, code: impl Into<String>) -> Self {
        self.coupons.push(code.into());
        self
    }

    pub fn with_attribute(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.attributes.push((key.into(), value.into()));
        self
    }

    pub fn attribute(&self, key: &str) -> Option<&str> {
        self.attributes.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// Number of units across all line items.
    pub fn units(&self) -> u64 {
        self.items.iter().map(|i| i.quantity as u64).sum()
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub id: String,
    pub customer_id: String,
    pub at: Timestamp,
    /// `review`, `social-share`, `quiz`, `sign-up`, `referral`, ...
    pub kind: String,
    pub attributes: Vec<(String, String)>,
}

impl Event {
    pub fn new(id: impl Into<String>, kind: impl Into<String>) -> Self {
        Event { id: id.into(), kind: kind.into(), ..Default::default() }
    }

    pub fn attribute(&self, key: &str) -> Option<&str> {
        self.attributes.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    pub fn with_attribute(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.attributes.push((key.into(), value.into()));
        self
    }
}

/// The customer as the ledger knows them *before* the purchase or event at hand.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    pub id: String,
    pub tier: Option<String>,
    pub points: i64,
    pub lifetime_spend: Money,
    pub purchases: u32,
    pub first_purchase_at: Option<Timestamp>,
    pub last_purchase_at: Option<Timestamp>,
    /// `MM-DD`.
    pub birthday: Option<String>,
    pub segments: Vec<String>,
}

impl Customer {
    pub fn new(id: impl Into<String>) -> Self {
        Customer { id: id.into(), ..Default::default() }
    }

    pub fn with_tier(mut self, tier: impl Into<String>) -> Self {
        self.tier = Some(tier.into());
        self
    }

    pub fn in_segment(&self, segment: &str) -> bool {
        self.segments.iter().any(|s| s == segment)
    }
}

/// What the host tells a policy besides the purchase: the time, who it is, its memory.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Context {
    /// The host's clock. The only time a policy may use.
    pub now: Timestamp,
    pub policy_id: String,
    /// The experiment variant this customer is assigned to, if any.
    pub variant: Option<String>,
    /// The state this policy last answered for this customer, as a JSON value in the wire
    /// encoding (`wire::decode_value`; the host turns the JSON text the policy answered
    /// into it); empty at first.
    pub state: Vec<u8>,
}

impl Context {
    /// The per-customer state this policy stored last time (see [`crate::Outcome::state`]),
    /// or `T::default()` for a customer it has not seen yet.
    pub fn state<T: crate::FromJson + Default>(&self) -> crate::Result<T> {
        if self.state.is_empty() {
            return Ok(T::default());
        }
        let value = crate::wire::decode_value(&self.state)
            .map_err(|e| crate::Error::from(crate::text::concat(&["stored state does not decode: ", &e.message()])))?;
        T::from_json(value).map_err(|e| crate::Error::from(crate::text::concat(&["stored state does not parse: ", &e.into_message()])))
    }
}
