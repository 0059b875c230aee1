//! `perk simulate`: a purchase history replayed through a campaign in time order, with the
//! server's runtime, policies, combining and ledger rules (an in-memory [`MemoryLedger`]),
//! and what it would have cost and whom it would have rewarded.
//!
//! The simulated host clock is each purchase's own time. Customers are independent unless
//! a policy has a budget (shared by everyone), so without budgets the customers are split
//! across threads, each with its own ledger, each replaying its customers in time order,
//! and each thread evaluates the next purchases of up to [`Options::batch`] different
//! customers together: every policy gets them as one batched call (one sandbox crossing
//! for many purchases), and they are committed in time order. A purchase whose customer
//! changed meanwhile (a referral credited them) is evaluated again on its own, so the
//! answers are those of a purchase-by-purchase replay. Should a purchase credit a customer
//! another thread replays, the replay runs again on one thread and one ledger, so the
//! result never depends on the thread count.

pub mod history;
pub mod read;
pub mod report;

pub use history::History;

use crate::evaluate::{self, Evaluation, Situation};
use crate::ledger::{Commit, Ledger, MemoryLedger, Record, RequestKind, Snapshot};
use crate::registry::Campaign;
use crate::runtime::Detail;
use perk_sdk::{Money, Purchase, Reward};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// Totals of one policy over the whole replay.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PolicyTotals {
    pub evaluations: u64,
    pub rewards: u64,
    pub points: i64,
    pub discounts: Money,
    pub cashback: Money,
    /// Everything it gave, in money (points at the campaign's `point_value`).
    pub cost: Money,
    pub failures: u64,
}

/// One calendar month (UTC) of the replay.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Month {
    /// `1997-01`.
    pub month: String,
    pub purchases: u64,
    pub revenue: Money,
    pub reward_cost: Money,
    /// Customers holding each tier at the end of the month.
    pub tiers: BTreeMap<String, u64>,
}

/// What `perk simulate --json` prints.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub campaign: String,
    pub currency: String,
    pub purchases: u64,
    /// Purchases left out of `purchases` because an earlier one (in time order) has their
    /// id: the server answers a repeated id with the first one's answer.
    pub repeated_ids: u64,
    pub customers: u64,
    /// What customers paid (minor units).
    pub revenue: Money,
    pub points_awarded: i64,
    pub discounts: Money,
    pub cashback: Money,
    /// Shipping waived.
    pub free_shipping: Money,
    /// Points at `point_value`, plus discounts, cashback and shipping waived.
    pub reward_cost: Money,
    /// Tier name → customers holding it at the end.
    pub tiers: BTreeMap<String, u64>,
    pub per_policy: BTreeMap<String, PolicyTotals>,
    /// Share of customers with two purchases or more.
    pub repeat_purchase_rate: f64,
    /// Revenue per purchase (minor units, rounded down).
    pub avg_check: Money,
    /// Policy calls that failed (their rewards were dropped).
    pub failures: u64,
    pub elapsed_ms: u64,
    pub purchases_per_second: f64,
    pub evaluations_per_second: f64,
    pub threads: usize,
    pub months: Vec<Month>,
    /// `(label, customers)`: customers by how many rewards they earned.
    pub rewards_per_customer: Vec<(String, u64)>,
}

/// What one thread saw.
#[derive(Default)]
struct Part {
    purchases: u64,
    revenue: Money,
    points: i64,
    discounts: Money,
    cashback: Money,
    free_shipping: Money,
    evaluations: u64,
    failures: u64,
    /// By policy id, in the order first seen (a campaign has a few: a search by `==`,
    /// which compares lengths first, beats a map's ordered comparisons).
    per_policy: Vec<(String, PolicyTotals)>,
    /// month index → (purchases, revenue, reward cost)
    months: BTreeMap<i32, (u64, Money, Money)>,
    /// (month index, customer's tier before, after), in time order per customer.
    tier_changes: Vec<(i32, Option<String>, Option<String>)>,
    /// By customer index: (purchases, rewards).
    customers: Vec<(u32, u32)>,
    month_of: Months,
}

fn month_index(ms: i64) -> i32 {
    let t = time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000)).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    t.year() * 12 + t.month() as i32 - 1
}

/// Unix ms of the first instant of month `index` (UTC).
fn month_start(index: i32) -> i64 {
    let month = time::Month::try_from((index.rem_euclid(12) + 1) as u8).expect("1 to 12");
    time::Date::from_calendar_date(index.div_euclid(12), month, 1)
        .map_or(i64::MIN, |d| d.midnight().assume_utc().unix_timestamp().saturating_mul(1000))
}

/// [`month_index`] that remembers the last month's bounds: a replay asks in time order,
/// so most purchases fall in the month of the one before.
#[derive(Default)]
struct Months {
    /// `[from, to)` in Unix ms, and its index.
    last: Option<(i64, i64, i32)>,
}

impl Months {
    fn index(&mut self, ms: i64) -> i32 {
        match self.last {
            Some((from, to, k)) if (from..to).contains(&ms) => k,
            _ => {
                let k = month_index(ms);
                self.last = Some((month_start(k), month_start(k + 1), k));
                k
            }
        }
    }
}

fn month_name(index: i32) -> String {
    format!("{:04}-{:02}", index.div_euclid(12), index.rem_euclid(12) + 1)
}

/// How a replay runs.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Threads, each replaying its share of the customers (1 when a policy has a budget).
    pub threads: usize,
    /// Purchases of different customers evaluated together (1: one by one; budgets also
    /// make it 1).
    pub batch: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options { threads: std::thread::available_parallelism().map_or(1, |n| n.get()), batch: 32 }
    }
}

/// Replays `history` through `campaign` in time order (purchases at the same time in file
/// order); `tick` is called with the number of purchases done since the last call (for a
/// progress bar).
pub fn run(campaign: &Campaign, history: &History, options: Options, tick: &(dyn Fn(u64) + Sync)) -> Report {
    let start = Instant::now();
    let budgets: BTreeMap<String, crate::manifest::Budget> =
        campaign.policies.iter().filter_map(|p| Some((p.spec.id.clone(), p.spec.budget?))).collect();
    // Budgets are shared by every customer: one ledger, one thread, one purchase at a time.
    let (threads, batch) = if budgets.is_empty() { (options.threads.max(1), options.batch.max(1)) } else { (1, 1) };
    // A shop that reuses an order id (for the same customer or another) gets it counted
    // once, at its first purchase in time order, as the service's ledger would answer the
    // later ones as replays: the repeats are left out here, so the threads' ledgers need
    // not remember ids, and two threads cannot both count one id.
    let kept = first_of_each_id(history);
    let repeated = history.len() - kept.len();
    tick(repeated as u64);
    let customer_shard: Vec<usize> = (0..history.customers()).map(|c| shard_of(history.customer_id(c), threads)).collect();
    let mut shards: Vec<Vec<u32>> = vec![Vec::new(); threads];
    for &k in &kept {
        shards[customer_shard[history.customer_index(k as usize)]].push(k);
    }
    let crossed = AtomicBool::new(false);
    let mut parts: Vec<Part> = std::thread::scope(|s| {
        let handles: Vec<_> = shards
            .into_iter()
            .enumerate()
            .map(|(index, mut shard)| {
                let bounds = Shard { index, of: threads, crossed: &crossed };
                let budgets = &budgets;
                s.spawn(move || {
                    // Stable: same-time purchases keep their file order.
                    shard.sort_by_key(|&k| history.at(k as usize));
                    replay(&campaign.with_own_pools(), history, &shard, budgets, batch, tick, Some(bounds))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("a simulation thread panicked")).collect()
    });
    let mut threads = threads;
    if crossed.load(Ordering::Relaxed) {
        // A purchase credited a customer another thread replays (a referral): their ledgers
        // would disagree, so the replay runs again on one ledger (the progress bar waits).
        tracing::info!("points credited across threads: replaying on one thread");
        let mut all = kept;
        all.sort_by_key(|&k| history.at(k as usize));
        parts = vec![replay(campaign, history, &all, &budgets, batch, &|_| {}, None)];
        threads = 1;
    }
    let elapsed = start.elapsed();
    let mut report = merge(campaign, parts, threads, elapsed);
    report.repeated_ids = repeated as u64;
    report
}

/// The thread that replays `customer`'s purchases, of `threads`.
fn shard_of(customer: &str, threads: usize) -> usize {
    (fxhash(customer) % threads as u64) as usize
}

/// The purchases to replay, in file order: all but those whose id a purchase earlier in
/// replay order (time, then file order) has.
fn first_of_each_id(history: &History) -> Vec<u32> {
    let all = 0..history.len() as u32;
    // Ids made from line numbers are unique.
    if (0..history.len()).all(|k| history.given_id(k).is_none()) {
        return all.collect();
    }
    let mut first: rustc_hash::FxHashMap<&str, (i64, u32)> = rustc_hash::FxHashMap::default();
    for k in all.clone() {
        if let Some(id) = history.given_id(k as usize) {
            let me = (history.at(k as usize), k);
            first.entry(id).and_modify(|f| *f = (*f).min(me)).or_insert(me);
        }
    }
    all.filter(|&k| history.given_id(k as usize).is_none_or(|id| first[id].1 == k)).collect()
}

/// One thread's share of the customers, and the flag any thread raises when a purchase
/// credits a customer outside its share.
struct Shard<'s> {
    index: usize,
    of: usize,
    crossed: &'s AtomicBool,
}

/// FNV-1a: a stable spread of customers over threads.
fn fxhash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3))
}

/// Which batch each customer was last put in, to find runs of purchases by different
/// customers without comparing every pair.
struct Batches {
    /// By customer index: the number of the last batch that has them (0: none yet).
    last: Vec<u32>,
    number: u32,
}

impl Batches {
    fn new(customers: usize) -> Self {
        Batches { last: vec![0; customers], number: 0 }
    }

    /// How many of `purchases` (from the first, at least one) are by different customers,
    /// at most `batch`: the next batch.
    fn next_run(&mut self, history: &History, purchases: &[u32], batch: usize) -> usize {
        self.number += 1;
        let mut n = 0;
        while n < purchases.len().min(batch) {
            let customer = history.customer_index(purchases[n] as usize);
            if std::mem::replace(&mut self.last[customer], self.number) == self.number {
                break;
            }
            n += 1;
        }
        n
    }
}

fn replay(
    campaign: &Campaign,
    history: &History,
    purchases: &[u32],
    budgets: &BTreeMap<String, crate::manifest::Budget>,
    batch: usize,
    tick: &(dyn Fn(u64) + Sync),
    shard: Option<Shard>,
) -> Part {
    let mut part = Part { customers: vec![(0, 0); history.customers()], ..Part::default() };
    let mut seen = vec![false; history.customers()];
    let customers = purchases.iter().filter(|&&k| !std::mem::replace(&mut seen[history.customer_index(k as usize)], true)).count();
    let ledger = MemoryLedger::for_replay(customers);
    let mut scratch = Vec::new();
    let mut snapshots: Vec<Snapshot> = Vec::new();
    let mut pending_ticks = 0;
    let mut batches = Batches::new(history.customers());
    let mut rest = purchases;
    while !rest.is_empty() {
        if shard.as_ref().is_some_and(|s| s.crossed.load(Ordering::Relaxed)) {
            break;
        }
        let n = batches.next_run(history, rest, batch);
        let (ks, tail) = rest.split_at(n);
        rest = tail;
        let run = history.purchases(ks, &mut scratch);
        if snapshots.len() < n {
            snapshots.resize_with(n, Snapshot::default);
        }
        for (p, snapshot) in run.iter().zip(&mut snapshots) {
            ledger.snapshot_into(&p.customer_id, p.at, snapshot);
        }
        let budget_left = ledger.budget_left(budgets, run[0].at).expect("the memory ledger does not fail");
        let evaluations = if n == 1 {
            vec![evaluate::purchase(campaign, run[0], situation(run[0], &snapshots[0], &budget_left))]
        } else {
            let items: Vec<_> = run.iter().zip(&snapshots).map(|(p, snap)| (*p, situation(p, snap, &budget_left))).collect();
            evaluate::purchases(campaign, &items)
        };
        for (((p, &k), snapshot), mut e) in run.iter().zip(ks).zip(&mut snapshots).zip(evaluations) {
            for attempt in 1.. {
                let ran = e.ran(campaign);
                match commit(&ledger, campaign, p, snapshot, &e, &ran, budgets) {
                    Commit::Done(_) => {
                        part.count(campaign, history.customer_index(k as usize), p, snapshot, &e, &ran);
                        if let Some(s) = &shard {
                            if e.combined.totals.points_for.keys().any(|c| shard_of(c, s.of) != s.index) {
                                s.crossed.store(true, Ordering::Relaxed);
                            }
                        }
                        break;
                    }
                    // `run` leaves repeated ids out, and a replay ledger remembers none.
                    Commit::Replayed(_) => unreachable!("a replay ledger answers no replays"),
                    // Nothing else writes to this ledger, so a fresh evaluation commits; the
                    // bound only keeps a broken rule from spinning forever.
                    Commit::Stale if attempt == MAX_ATTEMPTS => {
                        tracing::warn!(purchase = %p.id, "still stale after {MAX_ATTEMPTS} evaluations; not counted");
                        break;
                    }
                    // Changed since the batch was evaluated (another purchase of the batch
                    // credited this customer): evaluate it again, on its own.
                    Commit::Stale => {
                        ledger.snapshot_into(&p.customer_id, p.at, snapshot);
                        let left = ledger.budget_left(budgets, p.at).expect("the memory ledger does not fail");
                        e = evaluate::purchase(campaign, p, situation(p, snapshot, &left));
                    }
                }
            }
        }
        pending_ticks += n as u64;
        if pending_ticks >= 512 {
            tick(pending_ticks);
            pending_ticks = 0;
        }
    }
    tick(pending_ticks);
    part
}

/// Evaluations of one purchase before a replay gives up on committing it.
const MAX_ATTEMPTS: u32 = 8;

fn situation<'s>(p: &Purchase, snapshot: &'s Snapshot, budget_left: &'s HashMap<String, Money>) -> Situation<'s> {
    // A replay shows no reasons or progress, and its ledger keeps none.
    Situation {
        now: p.at,
        customer: &snapshot.customer,
        states: &snapshot.states,
        variant: None,
        budget_left: Some(budget_left),
        detail: Detail::Totals,
    }
}

fn commit(
    ledger: &MemoryLedger,
    campaign: &Campaign,
    p: &Purchase,
    snapshot: &Snapshot,
    e: &Evaluation,
    ran: &[&str],
    budgets: &BTreeMap<String, crate::manifest::Budget>,
) -> Commit {
    let record = Record {
        kind: RequestKind::Purchase,
        id: &p.id,
        customer: &p.customer_id,
        hash: "",
        at: p.at,
        now: p.at,
        set_version: &campaign.version,
        revision: snapshot.revision,
        budgets,
        points: &campaign.manifest.points,
        goods: p.total,
        evaluation: e,
        ran,
    };
    ledger.commit(&record, &|_| String::new()).expect("the memory ledger does not fail")
}

impl Part {
    /// Adds a committed purchase (by customer `customer`, an index) to the totals.
    fn count(&mut self, campaign: &Campaign, customer: usize, p: &Purchase, snapshot: &Snapshot, e: &Evaluation, ran: &[&str]) {
        let point_value = campaign.manifest.campaign.point_value;
        let t = &e.combined.totals;
        let shipping_waived = if t.free_shipping { p.shipping.max(0) } else { 0 };
        let points = t.points + t.points_for.values().sum::<i64>();
        let cost = points.saturating_mul(point_value) + t.discount + t.cashback + shipping_waived;
        self.purchases += 1;
        self.revenue += t.payable;
        self.points += points;
        self.discounts += t.discount;
        self.cashback += t.cashback;
        self.free_shipping += shipping_waived;
        self.failures += e.failures.len() as u64;
        let month = self.month_of.index(p.at);
        let m = self.months.entry(month).or_default();
        m.0 += 1;
        m.1 += t.payable;
        m.2 += cost;
        self.evaluations += (ran.len() + e.failures.len()) as u64;
        for id in ran {
            tally(&mut self.per_policy, id).evaluations += 1;
        }
        for f in &e.failures {
            let pt = tally(&mut self.per_policy, &f.policy);
            pt.evaluations += 1;
            pt.failures += 1;
        }
        for a in &e.combined.applied {
            let pt = tally(&mut self.per_policy, &a.origin.policy);
            pt.rewards += 1;
            match &a.reward {
                Reward::Points { amount } | Reward::PointsFor { amount, .. } => {
                    pt.points += amount;
                    pt.cost += amount.saturating_mul(point_value);
                }
                Reward::Cashback { .. } => {
                    pt.cashback += a.value;
                    pt.cost += a.value;
                }
                Reward::OrderDiscount { .. } | Reward::ItemDiscount { .. } | Reward::PercentDiscount { .. } => {
                    pt.discounts += a.value;
                    pt.cost += a.value;
                }
                Reward::FreeShipping => pt.cost += shipping_waived,
                _ => {}
            }
        }
        let c = &mut self.customers[customer];
        c.0 += 1;
        c.1 += e.combined.applied.len() as u32;
        if let Some(after) = &t.tier {
            let after = (!after.is_empty()).then(|| after.clone());
            if after != snapshot.customer.tier {
                self.tier_changes.push((month, snapshot.customer.tier.clone(), after));
            }
        }
    }
}

/// The totals of policy `id`, made on first use.
fn tally<'m>(per_policy: &'m mut Vec<(String, PolicyTotals)>, id: &str) -> &'m mut PolicyTotals {
    let k = match per_policy.iter().position(|(p, _)| p == id) {
        Some(k) => k,
        None => {
            per_policy.push((id.to_string(), PolicyTotals::default()));
            per_policy.len() - 1
        }
    };
    &mut per_policy[k].1
}

fn merge(campaign: &Campaign, parts: Vec<Part>, threads: usize, elapsed: std::time::Duration) -> Report {
    let mut r = Report {
        campaign: campaign.manifest.campaign.name.clone(),
        currency: campaign.manifest.campaign.currency.clone(),
        purchases: 0,
        repeated_ids: 0,
        customers: 0,
        revenue: 0,
        points_awarded: 0,
        discounts: 0,
        cashback: 0,
        free_shipping: 0,
        reward_cost: 0,
        tiers: BTreeMap::new(),
        per_policy: BTreeMap::new(),
        repeat_purchase_rate: 0.0,
        avg_check: 0,
        failures: 0,
        elapsed_ms: elapsed.as_millis() as u64,
        purchases_per_second: 0.0,
        evaluations_per_second: 0.0,
        threads,
        months: Vec::new(),
        rewards_per_customer: Vec::new(),
    };
    let mut months: BTreeMap<i32, (u64, Money, Money)> = BTreeMap::new();
    let mut changes = Vec::new();
    let mut evaluations = 0;
    let mut repeat = 0;
    let buckets: [(&str, u32, u32); 7] =
        [("0", 0, 0), ("1", 1, 1), ("2", 2, 2), ("3–5", 3, 5), ("6–10", 6, 10), ("11–20", 11, 20), ("21+", 21, u32::MAX)];
    let mut histogram = [0u64; 7];
    for part in parts {
        r.purchases += part.purchases;
        r.revenue += part.revenue;
        r.points_awarded += part.points;
        r.discounts += part.discounts;
        r.cashback += part.cashback;
        r.free_shipping += part.free_shipping;
        r.failures += part.failures;
        evaluations += part.evaluations;
        for (id, t) in part.per_policy {
            let m = r.per_policy.entry(id).or_default();
            m.evaluations += t.evaluations;
            m.rewards += t.rewards;
            m.points += t.points;
            m.discounts += t.discounts;
            m.cashback += t.cashback;
            m.cost += t.cost;
            m.failures += t.failures;
        }
        for (k, (n, rev, cost)) in part.months {
            let m = months.entry(k).or_default();
            m.0 += n;
            m.1 += rev;
            m.2 += cost;
        }
        changes.extend(part.tier_changes);
        for (purchases, rewards) in part.customers.iter().filter(|c| c.0 > 0) {
            r.customers += 1;
            repeat += (*purchases >= 2) as u64;
            let b = buckets.iter().position(|(_, lo, hi)| (*lo..=*hi).contains(rewards)).expect("buckets cover u32");
            histogram[b] += 1;
        }
    }
    r.reward_cost = r.points_awarded.saturating_mul(campaign.manifest.campaign.point_value) + r.discounts + r.cashback + r.free_shipping;
    r.repeat_purchase_rate = if r.customers == 0 { 0.0 } else { repeat as f64 / r.customers as f64 };
    r.avg_check = if r.purchases == 0 { 0 } else { r.revenue / r.purchases as i64 };
    let secs = elapsed.as_secs_f64().max(1e-9);
    r.purchases_per_second = r.purchases as f64 / secs;
    r.evaluations_per_second = evaluations as f64 / secs;
    r.rewards_per_customer = buckets.iter().zip(histogram).map(|((label, _, _), n)| (label.to_string(), n)).collect();

    // Tiers month by month: apply each month's changes to the running counts.
    changes.sort_by_key(|c| c.0);
    let mut counts: BTreeMap<String, i64> = BTreeMap::new();
    let mut next = 0;
    if let (Some(first), Some(last)) = (months.keys().next().copied(), months.keys().next_back().copied()) {
        for k in first..=last {
            while next < changes.len() && changes[next].0 <= k {
                let (_, before, after) = &changes[next];
                if let Some(b) = before {
                    *counts.entry(b.clone()).or_default() -= 1;
                }
                if let Some(a) = after {
                    *counts.entry(a.clone()).or_default() += 1;
                }
                next += 1;
            }
            let (purchases, revenue, reward_cost) = months.get(&k).copied().unwrap_or_default();
            let tiers = counts.iter().filter(|(_, n)| **n > 0).map(|(t, n)| (t.clone(), *n as u64)).collect();
            r.months.push(Month { month: month_name(k), purchases, revenue, reward_cost, tiers });
        }
    }
    r.tiers = r.months.last().map(|m| m.tiers.clone()).unwrap_or_default();
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Of purchases sharing an id, the first in time (then in file order) is replayed,
    /// in a history of rows as in one of whole purchases; ids made from lines never repeat.
    #[test]
    fn each_given_id_is_replayed_once_at_its_first_purchase() {
        let rows = |ids: [Option<&str>; 4]| {
            let mut b = history::RowsBuilder::with_capacity(4);
            for (line, (at, id)) in [(30, ids[0]), (10, ids[1]), (20, ids[2]), (10, ids[3])].into_iter().enumerate() {
                let customer = b.customers.get(if line % 2 == 0 { "ann" } else { "bob" });
                b.push(line + 2, customer, at, 100, 1, "", id);
            }
            b.finish("csv", "item", "EUR")
        };
        assert_eq!(first_of_each_id(&rows([Some("A"), Some("B"), Some("A"), Some("B")])), vec![1, 2]);
        assert_eq!(first_of_each_id(&rows([Some("A"), Some("A"), Some("C"), Some("D")])), vec![1, 2, 3]);
        assert_eq!(first_of_each_id(&rows([None; 4])), vec![0, 1, 2, 3]);
        let whole =
            History::from(vec![Purchase::new("A", 1).with_at(30), Purchase::new("A", 1).with_at(20), Purchase::new("B", 1).with_at(20)]);
        assert_eq!(first_of_each_id(&whole), vec![1, 2]);
    }

    #[test]
    fn remembered_months_are_the_months() {
        let mut months = Months::default();
        let day = 86_400_000;
        // 1996-12-25 to 1998-07, in order, then jumping back and forth, across month ends.
        let start = 851_472_000_000;
        let times: Vec<i64> = (0..600)
            .map(|d| start + d * day - 1)
            .chain([start, start + 400 * day, start - 1, start + 31 * day - 1, start + 7 * day])
            .collect();
        for t in times {
            assert_eq!(months.index(t), month_index(t), "at {t}");
        }
        assert_eq!(month_start(1997 * 12), 852_076_800_000); // 1997-01-01
    }
}
