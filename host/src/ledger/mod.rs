//! The ledger: what every customer has earned, spent and lost, as append-only entries from
//! which every balance is derived, plus the per-customer state policies keep.
//!
//! The host never lets a guest near it. A request goes: [`Ledger::snapshot`] (customer,
//! balance, policy states) → evaluate → [`Ledger::commit`], which writes rewards, states,
//! tier, spend and budget use in one transaction, or refuses with [`Commit::Stale`] when the
//! customer or a budget moved since the snapshot (the caller evaluates again). That keeps
//! evaluation outside any lock and still serialises what each customer sees, on one
//! embedded database or several replicas on a shared one.
//!
//! Entries (`kind`):
//! - `earn`: a points lot, spendable from `available_at` (the `[points] pending_days` after
//!   the purchase) until `expires_at` (`lifetime_days`); its own `seq` is its `lot`.
//! - `redeem`, `expire`, `reverse`: negative points against one lot.
//! - `cashback`: money credited; `reverse` entries with a negative `amount` take it back.
//! - `reward`: any other applied reward (discount, free shipping, coupon, tier, badge,
//!   perk), recorded for the audit trail with its money value.
//!
//! A lot's remaining points are the sum of the entries against it; the spendable balance
//! is the remaining points of lots available and not expired at `now`; `pending` of lots
//! not available yet. An expired lot stops counting at its expiry time whether or not the
//! background sweep ([`Ledger::expire`]) has written its `expire` entry yet.

pub mod memory;
pub mod sqlite;

use crate::evaluate::Evaluation;
use crate::manifest::{Budget, PointsRules};
use perk_sdk::{Customer, Money};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

pub use memory::MemoryLedger;
pub use sqlite::SqliteLedger;

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("ledger storage: {0}")]
    Storage(String),
    #[error("{0}")]
    NotFound(String),
    /// The request cannot be carried out as asked (short balance, refund too large).
    #[error("{0}")]
    Rejected(String),
    /// The id was used before with a different body.
    #[error("{0}")]
    IdConflict(String),
}

impl From<rusqlite::Error> for LedgerError {
    fn from(e: rusqlite::Error) -> Self {
        LedgerError::Storage(e.to_string())
    }
}

/// What kind of request an id belongs to; ids are unique per kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestKind {
    Purchase,
    Event,
    Refund,
    Redemption,
}

impl RequestKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestKind::Purchase => "purchase",
            RequestKind::Event => "event",
            RequestKind::Refund => "refund",
            RequestKind::Redemption => "redemption",
        }
    }
}

/// A request the ledger has already carried out: the hash of its body and its answer.
#[derive(Clone, Debug)]
pub struct Stored {
    pub hash: String,
    pub response: String,
}

/// What the host knows about a customer before evaluating.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    /// `points` is the spendable balance at the snapshot's `now`.
    pub customer: Customer,
    pub states: BTreeMap<String, Vec<u8>>,
    /// Changes with every commit for this customer; 0 for a customer not seen yet.
    pub revision: i64,
}

/// A customer's standing, as the API shows it.
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct Account {
    pub customer: String,
    /// Spendable points.
    pub points: i64,
    /// Points earned but not spendable yet.
    pub pending: i64,
    pub tier: Option<String>,
    pub lifetime_spend: Money,
    pub purchases: u32,
    pub birthday: Option<String>,
    pub segments: Vec<String>,
    /// Cashback credited, net of reversals (minor units).
    pub cashback: Money,
    /// The last progress each policy reported, toward every goal.
    #[schema(value_type = Vec<Object>)]
    pub progress: Vec<serde_json::Value>,
    /// Lots that will expire, soonest first.
    pub expiring: Vec<Lot>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Lot {
    pub points: i64,
    /// Unix ms.
    pub expires_at: i64,
}

/// One audit-trail entry.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Entry {
    pub seq: i64,
    pub kind: String,
    pub points: i64,
    pub amount: Money,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lot: Option<i64>,
    pub at: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub available_at: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// `sha256:…` of the module that produced it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The policy set (manifest + modules) that produced it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub set_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purchase: Option<String>,
    /// The refund, redemption or event id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub reward: Option<serde_json::Value>,
}

/// An evaluated purchase or event to write.
pub struct Record<'a> {
    pub kind: RequestKind,
    pub id: &'a str,
    pub customer: &'a str,
    /// Hash of the request body, for idempotency.
    pub hash: &'a str,
    /// When it happened (the purchase's `at`).
    pub at: i64,
    /// The host clock.
    pub now: i64,
    pub set_version: &'a str,
    /// The snapshot's revision: the commit is refused if the customer changed since.
    pub revision: i64,
    pub budgets: &'a BTreeMap<String, Budget>,
    pub points: &'a PointsRules,
    /// Goods total before rewards, for a purchase (0 for an event).
    pub goods: Money,
    pub evaluation: &'a Evaluation,
    /// The policies that ran (their progress replaces what they reported before).
    pub ran: &'a [&'a str],
}

#[derive(Debug)]
pub enum Commit {
    /// Written; the stored answer.
    Done(String),
    /// The same request was carried out before (possibly concurrently); its answer.
    Replayed(String),
    /// The customer or a budget changed since the snapshot: evaluate again.
    Stale,
}

pub struct RefundRequest<'a> {
    pub id: &'a str,
    pub purchase: &'a str,
    /// `None`: whatever is left to refund.
    pub amount: Option<Money>,
    pub hash: &'a str,
    pub now: i64,
    pub set_version: &'a str,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Refunded {
    pub refund: String,
    pub purchase: String,
    pub customer: String,
    pub amount: Money,
    /// Everything refunded on the purchase so far, this refund included.
    pub refunded_total: Money,
    pub points_reversed: i64,
    /// Points the refund should have taken back but the customer had already spent;
    /// they are not clawed back and the balance never goes below zero.
    pub unrecovered_points: i64,
    pub cashback_reversed: Money,
    pub points: i64,
    pub pending: i64,
}

pub struct RedeemRequest<'a> {
    pub id: &'a str,
    pub customer: &'a str,
    pub points: i64,
    pub hash: &'a str,
    pub now: i64,
    /// Minor units per point.
    pub point_value: i64,
    pub rules: &'a PointsRules,
    pub reason: &'a str,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Redeemed {
    pub redemption: String,
    pub customer: String,
    pub points: i64,
    /// What the points are worth (minor units), at the campaign's `point_value`.
    pub value: Money,
    /// Spendable points left.
    pub balance: i64,
}

/// Where the engine keeps customers, rewards and states. Implementations must make
/// [`Ledger::commit`], refunds and redemptions atomic and idempotent by request id.
pub trait Ledger: Send + Sync + 'static {
    /// The answer stored for a request id, if it was carried out.
    fn stored(&self, kind: RequestKind, id: &str) -> Result<Option<Stored>, LedgerError>;

    /// The customer as policies see them at `now`; a default snapshot for a new customer.
    fn snapshot(&self, customer: &str, now: i64) -> Result<Snapshot, LedgerError>;

    /// Budget left per policy at `now`, for the policies that have a budget.
    fn budget_left(&self, budgets: &BTreeMap<String, Budget>, now: i64) -> Result<HashMap<String, Money>, LedgerError>;

    /// Writes an evaluation; `respond` renders the stored answer from the customer's
    /// account after the commit.
    fn commit(&self, record: &Record, respond: &dyn Fn(&Account) -> String) -> Result<Commit, LedgerError>;

    fn refund(&self, request: &RefundRequest) -> Result<Result<Refunded, Stored>, LedgerError>;

    fn redeem(&self, request: &RedeemRequest) -> Result<Result<Redeemed, Stored>, LedgerError>;

    /// `None` for a customer never seen.
    fn account(&self, customer: &str, now: i64) -> Result<Option<Account>, LedgerError>;

    /// The audit trail, oldest first, after entry `after`.
    fn entries(&self, customer: &str, after: i64, limit: u32) -> Result<Vec<Entry>, LedgerError>;

    /// Sets a customer's birthday and segments (creating the customer if new); the next
    /// evaluation sees them.
    fn set_profile(&self, customer: &str, profile: &crate::input::Profile) -> Result<(), LedgerError>;

    /// Writes an `expire` entry for every lot past its expiry with points left. Idempotent;
    /// returns how many lots it expired.
    fn expire(&self, now: i64) -> Result<u64, LedgerError>;
}

/// A request stored before: its answer if the body is the same (`hash`), else a conflict.
pub fn same_request(stored: Option<Stored>, kind: RequestKind, id: &str, hash: &str) -> Result<Option<Stored>, LedgerError> {
    match stored {
        Some(s) if s.hash != hash => Err(LedgerError::IdConflict(format!(
            "{k} `{id}` was already recorded with a different body; use a new id for a new {k}",
            k = kind.as_str()
        ))),
        other => Ok(other),
    }
}

impl Record<'_> {
    /// What the evaluation spends of each budgeted policy's budget.
    pub(crate) fn budget_spend(&self) -> BTreeMap<&str, Money> {
        let mut spent: BTreeMap<&str, Money> = BTreeMap::new();
        for a in &self.evaluation.combined.applied {
            if self.budgets.contains_key(&*a.origin.policy) {
                *spent.entry(&a.origin.policy).or_default() += a.value;
            }
        }
        spent
    }
}

/// A redemption the rules allow: at least the minimum, within the spendable balance.
pub(crate) fn check_redemption(q: &RedeemRequest, spendable: i64, pending: i64) -> Result<(), LedgerError> {
    if q.points < q.rules.min_redemption {
        return Err(LedgerError::Rejected(format!(
            "`points`: {} is below the minimum redemption of {} points",
            q.points, q.rules.min_redemption
        )));
    }
    if spendable < q.points {
        let pending = if pending > 0 { format!(" ({pending} more are pending)") } else { String::new() };
        return Err(LedgerError::Rejected(format!(
            "insufficient points: `{}` has {spendable} spendable{pending}, the redemption asks for {}",
            q.customer, q.points
        )));
    }
    Ok(())
}

/// How much a refund of `requested` (`None`: the rest) refunds of a purchase that was `paid`
/// and already `refunded` that much.
pub(crate) fn refund_amount(purchase: &str, paid: Money, refunded: Money, requested: Option<Money>) -> Result<Money, LedgerError> {
    let left = paid - refunded;
    if left <= 0 {
        return Err(LedgerError::Rejected(format!("purchase `{purchase}` is already refunded in full ({paid})")));
    }
    let amount = requested.unwrap_or(left);
    if amount <= 0 || amount > left {
        return Err(LedgerError::Rejected(format!(
            "`amount`: {amount} is not between 1 and {left}, what is left to refund of the {paid} paid"
        )));
    }
    Ok(amount)
}

/// `(kind, amount)` of proportional reversal: what `earned` comes to once `refunded` of
/// `paid` has been refunded, rounded down.
pub(crate) fn proportion(earned: i64, refunded: Money, paid: Money) -> i64 {
    if paid <= 0 {
        return earned;
    }
    ((earned as i128 * refunded.min(paid) as i128) / paid as i128) as i64
}

/// The UTC day number of a unix-ms time, for daily budgets.
pub(crate) fn day(ms: i64) -> i64 {
    ms.div_euclid(86_400_000)
}

/// How much of each budget is left, given what was used in total and today.
pub(crate) fn left(budget: &Budget, used_total: Money, used_today: Money) -> Money {
    let total = budget.total.map_or(Money::MAX, |t| t - used_total);
    let daily = budget.daily.map_or(Money::MAX, |d| d - used_today);
    total.min(daily).max(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proportional_reversal_rounds_down_and_never_exceeds_what_was_earned() {
        assert_eq!(proportion(100, 500, 1000), 50);
        assert_eq!(proportion(99, 1, 3), 33);
        assert_eq!(proportion(100, 5000, 1000), 100);
        assert_eq!(proportion(100, 0, 1000), 0);
        assert_eq!(proportion(7, 10, 0), 7);
    }

    #[test]
    fn budget_left_is_the_tighter_of_total_and_daily() {
        let b = Budget { total: Some(1000), daily: Some(300) };
        assert_eq!(left(&b, 900, 0), 100);
        assert_eq!(left(&b, 100, 250), 50);
        assert_eq!(left(&b, 1200, 0), 0);
        assert_eq!(left(&Budget { total: None, daily: Some(5) }, 1 << 40, 2), 3);
    }
}
