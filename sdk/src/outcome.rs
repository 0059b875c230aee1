//! What a policy answers: rewards with reasons, new state, progress.

#[allow(unused_imports)]
use crate::__alloc::*;
use crate::model::{Money, Timestamp};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coupon {
    pub code: String,
    /// Basis points: 1500 = 15 %.
    pub percent_off: u32,
    pub amount_off: Money,
    pub valid_until: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Reward {
    Points {
        amount: i64,
    },
    /// Points for another customer (a referrer), credited to their account.
    PointsFor {
        customer: String,
        amount: i64,
    },
    OrderDiscount {
        amount: Money,
    },
    ItemDiscount {
        sku: String,
        amount: Money,
    },
    /// Basis points of the goods total: 1000 = 10 %.
    PercentDiscount {
        basis_points: u32,
    },
    Cashback {
        amount: Money,
    },
    FreeShipping,
    Coupon(Coupon),
    SetTier {
        tier: String,
    },
    Badge {
        name: String,
    },
    Perk {
        name: String,
    },
}

/// Why a reward is given (or what a progress report works toward), as [`Outcome`]'s methods
/// take it: any text (`"…"`, a `String`, [`text!`](crate::text!)), or
/// [`reason!`](crate::reason!): text written only when the host shows it. A replay
/// (`perk simulate`) shows none; skipping their formatting was a tenth of its time.
pub struct Reason(String);

impl<T: Into<String>> From<T> for Reason {
    fn from(text: T) -> Self {
        Reason(text.into())
    }
}

/// Text made by a closure only when the host shows reasons; see [`reason!`](crate::reason!).
pub struct Deferred<F>(pub F);

impl<F: FnOnce() -> String> From<Deferred<F>> for Reason {
    fn from(d: Deferred<F>) -> Self {
        Reason(if explaining() { (d.0)() } else { String::new() })
    }
}

/// Whether the host shows this call's reasons (set from each call's input; always natively).
static EXPLAIN: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(true);

pub fn explaining() -> bool {
    EXPLAIN.load(core::sync::atomic::Ordering::Relaxed)
}

#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(crate) fn set_explaining(explain: bool) {
    EXPLAIN.store(explain, core::sync::atomic::Ordering::Relaxed);
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Granted {
    pub reward: Reward,
    pub reason: String,
}

/// What `current` and `target` of a [`Progress`] count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unit {
    Purchases,
    Points,
    /// Minor units of the campaign currency.
    Money,
    Other(String),
}

impl Unit {
    pub fn as_str(&self) -> &str {
        match self {
            Unit::Purchases => "purchases",
            Unit::Points => "points",
            Unit::Money => "money",
            Unit::Other(s) => s,
        }
    }
}

impl AsRef<str> for Unit {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl From<&str> for Unit {
    fn from(s: &str) -> Self {
        match s {
            "purchases" => Unit::Purchases,
            "points" => Unit::Points,
            "money" => Unit::Money,
            other => Unit::Other(other.to_string()),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// What the customer works toward: `free coffee`, `gold tier`.
    pub goal: String,
    pub current: i64,
    pub target: i64,
    /// `purchases`, `points`, `money`, ...
    pub unit: String,
}

impl Progress {
    /// How much is left to reach the goal (never negative).
    pub fn remaining(&self) -> i64 {
        (self.target - self.current).max(0)
    }
}

/// A policy's answer, built with chained calls:
/// `Outcome::new().points(40, "1 point per 1.00").progress("free coffee", 4, 6, Unit::Purchases)`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    pub rewards: Vec<Granted>,
    /// `None` keeps the stored state; `Some` replaces it.
    pub state: Option<Vec<u8>>,
    pub progress: Vec<Progress>,
}

impl Outcome {
    pub fn new() -> Self {
        Outcome::default()
    }

    pub fn reward(mut self, reward: Reward, reason: impl Into<Reason>) -> Self {
        self.rewards.push(Granted { reward, reason: reason.into().0 });
        self
    }

    /// Points, skipped when `amount` is zero.
    pub fn points(self, amount: i64, reason: impl Into<Reason>) -> Self {
        if amount == 0 {
            return self;
        }
        self.reward(Reward::Points { amount }, reason)
    }

    pub fn order_discount(self, amount: Money, reason: impl Into<Reason>) -> Self {
        self.reward(Reward::OrderDiscount { amount }, reason)
    }

    /// Points for another customer than the buyer (a referrer).
    pub fn points_for(self, customer: impl Into<String>, amount: i64, reason: impl Into<Reason>) -> Self {
        self.reward(Reward::PointsFor { customer: customer.into(), amount }, reason)
    }

    pub fn cashback(self, amount: Money, reason: impl Into<Reason>) -> Self {
        self.reward(Reward::Cashback { amount }, reason)
    }

    pub fn set_tier(self, tier: impl Into<String>, reason: impl Into<Reason>) -> Self {
        self.reward(Reward::SetTier { tier: tier.into() }, reason)
    }

    /// Progress toward `goal` (text, or [`reason!`](crate::reason!) to write it only when
    /// shown); left out when the host shows no progress (a replay, see [`explaining`]).
    /// `unit`: a [`Unit`] or its name (`"events"`).
    pub fn progress(mut self, goal: impl Into<Reason>, current: i64, target: i64, unit: impl AsRef<str>) -> Self {
        if explaining() {
            self.push_progress(goal.into().0, current, target, unit.as_ref());
        }
        self
    }

    /// Not generic: one copy per module, whatever the goal's and unit's types.
    fn push_progress(&mut self, goal: String, current: i64, target: i64, unit: &str) {
        self.progress.push(Progress { goal, current, target, unit: unit.to_string() });
    }

    /// Stores `state` for this customer; the next call sees it in [`crate::Context::state`].
    pub fn state<T: crate::ToJson + ?Sized>(mut self, state: &T) -> Self {
        self.state = Some(crate::json::to_vec(state));
        self
    }

    pub fn is_empty(&self) -> bool {
        self.rewards.is_empty()
    }

    /// Sum of the points rewards.
    pub fn points_total(&self) -> i64 {
        self.rewards
            .iter()
            .map(|g| match g.reward {
                Reward::Points { amount } => amount,
                _ => 0,
            })
            .sum()
    }
}

/// `12345` → `"123.45"`: minor units shown with two decimals, for reasons.
pub fn money(amount: Money) -> String {
    // Its widest (`-92233720368547758.08`), so the digits, point and cents never regrow it.
    let mut out = String::with_capacity(21);
    crate::text::push_money(&mut out, amount);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_formats_minor_units() {
        assert_eq!(money(0), "0.00");
        assert_eq!(money(5), "0.05");
        assert_eq!(money(12345), "123.45");
        assert_eq!(money(-250), "-2.50");
        assert_eq!(money(100), "1.00");
        assert_eq!(money(-7), "-0.07");
        assert_eq!(money(i64::MAX), "92233720368547758.07");
        assert_eq!(money(i64::MIN), "-92233720368547758.08");
    }

    #[test]
    fn deferred_reasons_are_written_only_when_shown() {
        let shown = Outcome::new().points(5, crate::reason!("5 points for ", money(250)));
        assert_eq!(shown.rewards[0].reason, "5 points for 2.50");
        assert!(explaining(), "natively reasons are always shown");
    }

    #[test]
    fn zero_points_are_skipped() {
        assert!(Outcome::new().points(0, "nothing").is_empty());
        assert_eq!(Outcome::new().points(3, "a").points(4, "b").points_total(), 7);
    }
}
