//! The in-memory ledger: the same rules as [`super::SqliteLedger`] (lots, pending,
//! expiry, proportional refunds, budgets, idempotency) in plain maps, for `perk simulate`
//! and tests. Nothing survives the process.

use super::*;
use rustc_hash::FxHashMap;
use std::sync::Mutex;

#[derive(Clone, Debug)]
struct LotRow {
    seq: i64,
    remaining: i64,
    available_at: i64,
    expires_at: Option<i64>,
    purchase: Option<String>,
    expired_entry: bool,
}

#[derive(Default)]
struct CustomerRow {
    customer: Customer,
    revision: i64,
    /// By policy id, sorted: a customer has a few, and a map's node would be most of
    /// the row (a replay keeps tens of thousands of rows).
    states: Vec<(String, Vec<u8>)>,
    progress: BTreeMap<String, Vec<crate::evaluate::ProgressReport>>,
    lots: Vec<LotRow>,
    cashback: Money,
}

struct PurchaseRow {
    customer: String,
    paid: Money,
    spend: Money,
    points: i64,
    cashback: Money,
    refunded: Money,
}

#[derive(Default)]
struct Inner {
    /// Boxed: a row is a few hundred bytes, and a growing map moves its slots.
    customers: hashbrown::HashMap<String, Box<CustomerRow>, rustc_hash::FxBuildHasher>,
    /// Answers by request kind, then id (looked up without allocating a key).
    requests: [FxHashMap<String, Stored>; 4],
    purchases: FxHashMap<String, PurchaseRow>,
    /// (policy, day) → used.
    budget_use: FxHashMap<(String, i64), Money>,
    entries: Vec<(String, Entry)>,
    seq: i64,
}

/// See the module docs. [`MemoryLedger::for_replay`] keeps only what a replay's rules
/// need, which keeps a long simulation fast and its memory small.
#[derive(Default)]
pub struct MemoryLedger {
    inner: Mutex<Inner>,
    /// Made by [`MemoryLedger::for_replay`].
    replay: bool,
}

impl MemoryLedger {
    pub fn new() -> Self {
        Self::default()
    }

    /// For `perk simulate`: balances, lots, states, tiers and budgets as ever; nothing a
    /// replay never reads: no audit trail, no progress, no rendered answers (`commit`'s
    /// `respond` is not called and answers are empty), and no memory of request ids or
    /// purchases — so no idempotency and no refunds: the replay gives every purchase id
    /// once (it drops repeats up front).
    /// `customers` is how many the replay will see (room is made for them up front).
    pub fn for_replay(customers: usize) -> Self {
        let mut inner = Inner::default();
        inner.customers.reserve(customers);
        MemoryLedger { inner: Mutex::new(inner), replay: true }
    }

    /// [`Ledger::snapshot`] written into `into`, reusing its strings and buffers: a replay
    /// takes one per purchase.
    pub fn snapshot_into(&self, customer: &str, now: i64, into: &mut Snapshot) {
        let inner = self.lock();
        let Some(c) = inner.customers.get(customer) else {
            into.customer = Customer::new(customer);
            into.states.clear();
            into.revision = 0;
            return;
        };
        // Field by field, so each string reuses the buffer it had (a derived `clone_from`
        // clones the whole value); a new field of `Customer` fails to compile here.
        let Customer { id, tier, points: _, lifetime_spend, purchases, first_purchase_at, last_purchase_at, birthday, segments } =
            &c.customer;
        let to = &mut into.customer;
        to.id.clone_from(id);
        to.tier.clone_from(tier);
        to.points = balance(c, now).0;
        to.lifetime_spend = *lifetime_spend;
        to.purchases = *purchases;
        to.first_purchase_at = *first_purchase_at;
        to.last_purchase_at = *last_purchase_at;
        to.birthday.clone_from(birthday);
        to.segments.clone_from(segments);
        into.revision = c.revision;
        into.states.retain(|k, _| c.states.binary_search_by(|(p, _)| p.as_str().cmp(k)).is_ok());
        for (policy, state) in &c.states {
            match into.states.get_mut(policy) {
                Some(kept) => kept.clone_from(state),
                None => {
                    into.states.insert(policy.clone(), state.clone());
                }
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Every customer's id, tier and spendable balance at `now` (for reports).
    pub fn customers(&self, now: i64) -> Vec<(String, Option<String>, i64)> {
        let inner = self.lock();
        inner.customers.values().map(|c| (c.customer.id.clone(), c.customer.tier.clone(), balance(c, now).0)).collect()
    }
}

fn live(l: &LotRow, now: i64) -> bool {
    l.expires_at.is_none_or(|e| e > now)
}

fn balance(c: &CustomerRow, now: i64) -> (i64, i64) {
    c.lots
        .iter()
        .filter(|l| live(l, now))
        .fold((0, 0), |(s, p), l| if l.available_at <= now { (s + l.remaining, p) } else { (s, p + l.remaining) })
}

fn account(c: &CustomerRow, now: i64) -> Account {
    let (points, pending) = balance(c, now);
    let mut expiring: Vec<Lot> = c
        .lots
        .iter()
        .filter(|l| l.remaining > 0 && live(l, now))
        .filter_map(|l| Some(Lot { points: l.remaining, expires_at: l.expires_at? }))
        .collect();
    expiring.sort_by_key(|l| l.expires_at);
    Account {
        customer: c.customer.id.clone(),
        points,
        pending,
        tier: c.customer.tier.clone(),
        lifetime_spend: c.customer.lifetime_spend,
        purchases: c.customer.purchases,
        birthday: c.customer.birthday.clone(),
        segments: c.customer.segments.clone(),
        cashback: c.cashback,
        progress: c.progress.values().flatten().map(|p| serde_json::to_value(p).expect("progress serialises")).collect(),
        expiring,
    }
}

fn seen(inner: &Inner, kind: RequestKind, id: &str, hash: &str) -> Result<Option<Stored>, LedgerError> {
    same_request(inner.requests[kind as usize].get(id).cloned(), kind, id, hash)
}

fn used(inner: &Inner, policy: &str, today: i64) -> (Money, Money) {
    inner
        .budget_use
        .iter()
        .filter(|((p, _), _)| p == policy)
        .fold((0, 0), |(t, d), ((_, day), v)| (t + v, if *day == today { d + v } else { d }))
}

/// Takes up to `points` from `c`'s lots: those of `first_from` first, then soonest expiry.
/// Returns `(lot seq, taken)` per lot touched.
fn take(c: &mut CustomerRow, points: i64, now: i64, include_pending: bool, first_from: Option<&str>) -> Vec<(i64, i64)> {
    let mut order: Vec<usize> = (0..c.lots.len())
        .filter(|&i| {
            let l = &c.lots[i];
            l.remaining > 0 && live(l, now) && (include_pending || l.available_at <= now)
        })
        .collect();
    order.sort_by_key(|&i| {
        let l = &c.lots[i];
        (first_from.is_none_or(|p| l.purchase.as_deref() != Some(p)), l.expires_at.is_none(), l.expires_at, l.seq)
    });
    let mut out = Vec::new();
    let mut left = points;
    for i in order {
        if left == 0 {
            break;
        }
        let l = &mut c.lots[i];
        let t = l.remaining.min(left);
        l.remaining -= t;
        left -= t;
        out.push((l.seq, t));
    }
    out
}

/// Adds `lot` to `lots`. With `merge` (a replay, which keeps no entries naming a lot), a
/// lot that is spendable at `now` joins the newest lot if that one is spendable too and
/// expires at the same time: balances, expiry and the order points are taken in stay the
/// same, and a customer's lots stay one or two instead of one per purchase.
fn add_lot(lots: &mut Vec<LotRow>, lot: LotRow, now: i64, merge: bool) {
    if let Some(last) = lots.last_mut().filter(|l| {
        merge
            && lot.available_at <= now
            && l.available_at <= now
            && l.expires_at == lot.expires_at
            && !l.expired_entry
            && l.purchase.is_none()
            && lot.purchase.is_none()
    }) {
        last.remaining += lot.remaining;
        return;
    }
    if merge && lots.is_empty() {
        // Most replayed customers never hold a second lot: room for one, not four.
        lots.reserve_exact(1);
    }
    lots.push(lot);
}

impl Inner {
    /// `customer`'s row, made on first use (the key is allocated only then).
    fn row(&mut self, customer: &str) -> &mut CustomerRow {
        self.customers
            .entry_ref(customer)
            .or_insert_with(|| Box::new(CustomerRow { customer: Customer::new(customer), ..Default::default() }))
    }

    fn next_seq(&mut self) -> i64 {
        self.seq += 1;
        self.seq
    }

    fn record(&mut self, keep: bool, customer: &str, entry: Entry) {
        if keep {
            self.entries.push((customer.to_string(), entry));
        }
    }
}

fn entry(seq: i64, kind: &str, at: i64, reason: String) -> Entry {
    Entry {
        seq,
        kind: kind.into(),
        points: 0,
        amount: 0,
        lot: None,
        at,
        available_at: None,
        expires_at: None,
        policy: None,
        version: None,
        set_version: None,
        purchase: None,
        reference: None,
        reason,
        reward: None,
    }
}

impl Ledger for MemoryLedger {
    fn stored(&self, kind: RequestKind, id: &str) -> Result<Option<Stored>, LedgerError> {
        Ok(self.lock().requests[kind as usize].get(id).cloned())
    }

    fn snapshot(&self, customer: &str, now: i64) -> Result<Snapshot, LedgerError> {
        let mut snapshot = Snapshot::default();
        self.snapshot_into(customer, now, &mut snapshot);
        Ok(snapshot)
    }

    fn budget_left(&self, budgets: &BTreeMap<String, Budget>, now: i64) -> Result<HashMap<String, Money>, LedgerError> {
        let inner = self.lock();
        Ok(budgets
            .iter()
            .map(|(p, b)| {
                let (t, d) = used(&inner, p, day(now));
                (p.clone(), left(b, t, d))
            })
            .collect())
    }

    fn commit(&self, r: &Record, respond: &dyn Fn(&Account) -> String) -> Result<Commit, LedgerError> {
        let mut guard = self.lock();
        let inner = &mut *guard;
        if let Some(s) = seen(inner, r.kind, r.id, r.hash)? {
            return Ok(Commit::Replayed(s.response));
        }
        let keep = !self.replay;
        if inner.customers.get(r.customer).map_or(0, |c| c.revision) != r.revision {
            return Ok(Commit::Stale);
        }
        let e = r.evaluation;
        let spent = r.budget_spend();
        let today = day(r.now);
        for (policy, value) in &spent {
            let (t, d) = used(inner, policy, today);
            if *value > left(&r.budgets[*policy], t, d) {
                return Ok(Commit::Stale);
            }
        }
        for (policy, value) in &spent {
            *inner.budget_use.entry((policy.to_string(), today)).or_default() += value;
        }

        let t = &e.combined.totals;
        let is_purchase = r.kind == RequestKind::Purchase;
        let spend = if is_purchase { (r.goods - t.discount).max(0) } else { 0 };
        let mut new_lots = Vec::new();
        let mut new_entries = Vec::new();
        // A replay has no refunds, which are what a lot's purchase is for.
        let (purchase, reference) = match (keep, is_purchase) {
            (false, _) => (None, None),
            (true, true) => (Some(r.id.to_string()), None),
            (true, false) => (None, Some(r.id.to_string())),
        };
        let mut cashback = 0;
        let mut other_lots: Vec<(String, LotRow)> = Vec::new();
        let mut other_entries: Vec<(String, Entry)> = Vec::new();
        for a in &e.combined.applied {
            if matches!(a.reward, perk_sdk::Reward::Points { amount } | perk_sdk::Reward::PointsFor { amount, .. } if amount <= 0) {
                continue;
            }
            let seq = inner.next_seq();
            let (available_at, expires_at) = (r.points.available_at(r.at), r.points.expires_at(r.at));
            let lot = |remaining| LotRow { seq, remaining, available_at, expires_at, purchase: purchase.clone(), expired_entry: false };
            let (earned, other) = match &a.reward {
                perk_sdk::Reward::Points { amount } => {
                    new_lots.push(lot(*amount));
                    (Some(*amount), None)
                }
                perk_sdk::Reward::PointsFor { customer, amount } => {
                    other_lots.push((customer.clone(), lot(*amount)));
                    (Some(*amount), Some(customer))
                }
                perk_sdk::Reward::Cashback { .. } => {
                    cashback += a.value;
                    (None, None)
                }
                _ => (None, None),
            };
            // A replay keeps no audit trail.
            if !keep {
                continue;
            }
            let mut en = entry(seq, "reward", r.now, a.reason.clone());
            en.amount = a.value;
            en.policy = Some(a.origin.policy.to_string());
            en.version = Some(a.origin.version.to_string());
            en.set_version = Some(r.set_version.to_string());
            en.purchase = purchase.clone();
            en.reference = reference.clone();
            en.reward = serde_json::to_value(&a.reward).ok();
            if let Some(points) = earned {
                en.kind = "earn".into();
                en.points = points;
                en.amount = 0;
                en.lot = Some(seq);
                en.available_at = Some(available_at);
                en.expires_at = expires_at;
            } else if matches!(a.reward, perk_sdk::Reward::Cashback { .. }) {
                en.kind = "cashback".into();
            }
            match other {
                Some(customer) => other_entries.push((customer.clone(), en)),
                None => new_entries.push(en),
            }
        }
        let c = inner.row(r.customer);
        let cu = &mut c.customer;
        if let Some(tier) = &t.tier {
            cu.tier = (!tier.is_empty()).then(|| tier.clone());
        }
        cu.lifetime_spend += spend;
        if is_purchase {
            cu.purchases += 1;
            cu.first_purchase_at = Some(cu.first_purchase_at.map_or(r.at, |f| f.min(r.at)));
            cu.last_purchase_at = Some(cu.last_purchase_at.map_or(r.at, |l| l.max(r.at)));
        }
        c.revision += 1;
        c.cashback += cashback;
        for (policy, state) in &e.states {
            match c.states.binary_search_by(|(p, _)| p.as_str().cmp(policy)) {
                Ok(k) => {
                    let kept = &mut c.states[k].1;
                    kept.clear();
                    kept.extend_from_slice(state);
                }
                Err(k) => c.states.insert(k, (policy.clone(), state.clone())),
            }
        }
        for &policy in r.ran.iter().filter(|_| keep) {
            let reports: Vec<_> = e.progress.iter().filter(|p| &*p.policy == policy).cloned().collect();
            if reports.is_empty() {
                c.progress.remove(policy);
            } else {
                c.progress.insert(policy.to_string(), reports);
            }
        }
        let merge = self.replay;
        for lot in new_lots {
            add_lot(&mut c.lots, lot, r.now, merge);
        }
        for (other, lot) in other_lots {
            let o = inner.row(&other);
            o.revision += 1;
            add_lot(&mut o.lots, lot, r.now, merge);
        }
        if !keep {
            return Ok(Commit::Done(String::new()));
        }
        let response = respond(&account(&inner.customers[r.customer], r.now));
        if is_purchase {
            inner.purchases.insert(
                r.id.to_string(),
                PurchaseRow {
                    customer: r.customer.to_string(),
                    paid: t.payable,
                    spend,
                    points: t.points,
                    cashback: t.cashback,
                    refunded: 0,
                },
            );
        }
        for en in new_entries {
            inner.record(keep, r.customer, en);
        }
        for (other, en) in other_entries {
            inner.record(keep, &other, en);
        }
        inner.requests[r.kind as usize].insert(r.id.to_string(), Stored { hash: r.hash.to_string(), response: response.clone() });
        Ok(Commit::Done(response))
    }

    fn refund(&self, q: &RefundRequest) -> Result<Result<Refunded, Stored>, LedgerError> {
        let mut guard = self.lock();
        let inner = &mut *guard;
        if let Some(s) = seen(inner, RequestKind::Refund, q.id, q.hash)? {
            return Ok(Err(s));
        }
        let Some(p) = inner.purchases.get(q.purchase) else {
            return Err(LedgerError::NotFound(format!("no purchase `{}`", q.purchase)));
        };
        let amount = refund_amount(q.purchase, p.paid, p.refunded, q.amount)?;
        let now_refunded = p.refunded + amount;
        let due = |earned: i64| proportion(earned, now_refunded, p.paid) - proportion(earned, p.refunded, p.paid);
        let (points_due, cashback_due, spend_due) = (due(p.points), due(p.cashback), due(p.spend));
        let customer = p.customer.clone();
        let c = inner.customers.get_mut(&customer).expect("a purchase's customer exists");
        let taken = take(c, points_due, q.now, true, Some(q.purchase));
        let reversed: i64 = taken.iter().map(|(_, t)| t).sum();
        let unrecovered = points_due - reversed;
        c.cashback -= cashback_due;
        c.customer.lifetime_spend = (c.customer.lifetime_spend - spend_due).max(0);
        c.revision += 1;
        let (points_now, pending) = balance(c, q.now);
        inner.purchases.get_mut(q.purchase).expect("checked above").refunded = now_refunded;
        let reason = format!("refund `{}` of {} on purchase `{}`", q.id, perk_sdk::money(amount), q.purchase);
        let mut rows: Vec<(i64, i64, Money, String)> = taken.into_iter().map(|(lot, t)| (lot, -t, 0, reason.clone())).collect();
        if unrecovered > 0 {
            rows.push((0, 0, 0, format!("{reason}: {unrecovered} points were already spent and are not taken back")));
        }
        if cashback_due > 0 {
            rows.push((0, 0, -cashback_due, reason.clone()));
        }
        for (lot, points, amount, why) in rows {
            let seq = inner.next_seq();
            let mut en = entry(seq, "reverse", q.now, why);
            en.points = points;
            en.amount = amount;
            if amount != 0 {
                en.reward = Some(serde_json::json!({ "kind": "cashback" }));
            }
            en.lot = (lot > 0).then_some(lot);
            en.purchase = Some(q.purchase.to_string());
            en.reference = Some(q.id.to_string());
            en.set_version = Some(q.set_version.to_string());
            inner.record(!self.replay, &customer, en);
        }
        let answer = Refunded {
            refund: q.id.to_string(),
            purchase: q.purchase.to_string(),
            customer,
            amount,
            refunded_total: now_refunded,
            points_reversed: reversed,
            unrecovered_points: unrecovered,
            cashback_reversed: cashback_due,
            points: points_now,
            pending,
        };
        let response = serde_json::to_string(&answer).expect("serialises");
        inner.requests[RequestKind::Refund as usize].insert(q.id.to_string(), Stored { hash: q.hash.to_string(), response });
        Ok(Ok(answer))
    }

    fn redeem(&self, q: &RedeemRequest) -> Result<Result<Redeemed, Stored>, LedgerError> {
        let mut guard = self.lock();
        let inner = &mut *guard;
        if let Some(s) = seen(inner, RequestKind::Redemption, q.id, q.hash)? {
            return Ok(Err(s));
        }
        let Some(c) = inner.customers.get_mut(q.customer) else {
            return Err(LedgerError::NotFound(format!("no customer `{}`", q.customer)));
        };
        let (have, pending) = balance(c, q.now);
        check_redemption(q, have, pending)?;
        let taken = take(c, q.points, q.now, false, None);
        c.revision += 1;
        for (lot, t) in taken {
            let seq = inner.next_seq();
            let mut en = entry(seq, "redeem", q.now, q.reason.to_string());
            en.points = -t;
            en.lot = Some(lot);
            en.reference = Some(q.id.to_string());
            inner.record(!self.replay, q.customer, en);
        }
        let answer = Redeemed {
            redemption: q.id.to_string(),
            customer: q.customer.to_string(),
            points: q.points,
            value: q.points.saturating_mul(q.point_value),
            balance: have - q.points,
        };
        let response = serde_json::to_string(&answer).expect("serialises");
        inner.requests[RequestKind::Redemption as usize].insert(q.id.to_string(), Stored { hash: q.hash.to_string(), response });
        Ok(Ok(answer))
    }

    fn account(&self, customer: &str, now: i64) -> Result<Option<Account>, LedgerError> {
        Ok(self.lock().customers.get(customer).map(|c| account(c, now)))
    }

    fn entries(&self, customer: &str, after: i64, limit: u32) -> Result<Vec<Entry>, LedgerError> {
        let inner = self.lock();
        Ok(inner.entries.iter().filter(|(c, e)| c == customer && e.seq > after).take(limit as usize).map(|(_, e)| e.clone()).collect())
    }

    fn set_profile(&self, customer: &str, p: &crate::input::Profile) -> Result<(), LedgerError> {
        let mut inner = self.lock();
        let c = inner.row(customer);
        c.customer.birthday = p.birthday.clone();
        c.customer.segments = p.segments.clone();
        c.revision += 1;
        Ok(())
    }

    fn expire(&self, now: i64) -> Result<u64, LedgerError> {
        let mut guard = self.lock();
        let inner = &mut *guard;
        let mut expired = Vec::new();
        for (id, c) in inner.customers.iter_mut() {
            for l in c.lots.iter_mut().filter(|l| !l.expired_entry && l.expires_at.is_some_and(|e| e <= now)) {
                l.expired_entry = true;
                if l.remaining > 0 {
                    expired.push((id.clone(), l.seq, l.remaining));
                    l.remaining = 0;
                }
            }
        }
        let n = expired.len() as u64;
        expired.sort_by_key(|(_, lot, _)| *lot);
        for (customer, lot, points) in expired {
            let seq = inner.next_seq();
            let mut en = entry(seq, "expire", now, format!("points expired: lot {lot} reached its lifetime"));
            en.points = -points;
            en.lot = Some(lot);
            inner.record(!self.replay, &customer, en);
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lot(seq: i64, remaining: i64, available_at: i64, expires_at: Option<i64>) -> LotRow {
        LotRow { seq, remaining, available_at, expires_at, purchase: None, expired_entry: false }
    }

    /// A snapshot written over an earlier one (of another customer) is the one `snapshot`
    /// makes into an empty one: no state, tier or balance of the earlier customer is left.
    #[test]
    fn a_reused_snapshot_is_a_fresh_one() {
        let ledger = MemoryLedger::for_replay(2);
        {
            let mut inner = ledger.lock();
            let ann = inner.row("ann");
            ann.customer.tier = Some("gold".into());
            ann.customer.segments = vec!["vip".into()];
            ann.revision = 3;
            ann.states = vec![("a".into(), b"1".to_vec()), ("b".into(), b"22".to_vec())];
            ann.lots.push(lot(1, 40, 0, None));
            let bob = inner.row("bob");
            bob.revision = 1;
            bob.states = vec![("b".into(), b"3".to_vec()), ("c".into(), b"4".to_vec())];
        }
        let mut reused = Snapshot::default();
        for (who, now) in [("ann", 10), ("bob", 10), ("ann", 5), ("nobody", 10), ("bob", 20)] {
            ledger.snapshot_into(who, now, &mut reused);
            let fresh = ledger.snapshot(who, now).unwrap();
            assert_eq!((&reused.customer, &reused.states, reused.revision), (&fresh.customer, &fresh.states, fresh.revision), "{who}");
        }
    }

    /// A replay's merged lots answer every balance and every spend as one lot per reward
    /// would: spendable and pending points, at every time, and what a spend takes.
    #[test]
    fn merged_lots_keep_balances_and_spending_order() {
        // (committed at, points, available at, expires at)
        let rewards = [
            (10, 100, 10, None),
            (20, 50, 20, None),
            (30, 70, 40, None), // pending until 40
            (35, 20, 35, None),
            (50, 30, 50, Some(90)),
            (60, 40, 60, Some(90)),
            (70, 10, 70, None),
            (80, 5, 80, Some(100)),
        ];
        let (mut one_each, mut merged) = (CustomerRow::default(), CustomerRow::default());
        let took = |t: Vec<(i64, i64)>| t.iter().map(|(_, n)| n).sum::<i64>();
        for (seq, &(now, points, available_at, expires_at)) in (1..).zip(&rewards) {
            add_lot(&mut one_each.lots, lot(seq, points, available_at, expires_at), now, false);
            add_lot(&mut merged.lots, lot(seq, points, available_at, expires_at), now, true);
            // Asked from this reward's time on, as a ledger is.
            for at in (now..=110).step_by(5) {
                assert_eq!(balance(&merged, at), balance(&one_each, at), "after reward {seq}, at {at}");
                for points in [1, 60, 150, 400] {
                    let mut a = CustomerRow { lots: one_each.lots.clone(), ..Default::default() };
                    let mut b = CustomerRow { lots: merged.lots.clone(), ..Default::default() };
                    assert_eq!(took(take(&mut b, points, at, false, None)), took(take(&mut a, points, at, false, None)));
                    for later in [at, at + 20, at + 60] {
                        assert_eq!(balance(&b, later), balance(&a, later), "spent {points} at {at}, balance at {later}");
                    }
                }
            }
        }
        assert_eq!(one_each.lots.len(), rewards.len());
        // 100+50 and 30+40 joined; the pending 70 and changes of expiry start new lots.
        assert_eq!(merged.lots.len(), 6);
    }
}
