//! The embedded ledger: one SQLite file in WAL mode. Writes go through one connection
//! (`BEGIN IMMEDIATE`, so each commit sees and changes a consistent ledger); reads use a
//! small pool of their own connections, which WAL lets run beside the writer.

use super::*;
use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS customers (
    id TEXT PRIMARY KEY,
    tier TEXT,
    lifetime_spend INTEGER NOT NULL DEFAULT 0,
    purchases INTEGER NOT NULL DEFAULT 0,
    first_purchase_at INTEGER,
    last_purchase_at INTEGER,
    birthday TEXT,
    segments TEXT NOT NULL DEFAULT '[]',
    revision INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS states (
    customer TEXT NOT NULL,
    policy TEXT NOT NULL,
    state BLOB,
    progress TEXT,
    PRIMARY KEY (customer, policy)
);
CREATE TABLE IF NOT EXISTS requests (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    customer TEXT NOT NULL,
    hash TEXT NOT NULL,
    response TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE TABLE IF NOT EXISTS purchases (
    id TEXT PRIMARY KEY,
    customer TEXT NOT NULL,
    at INTEGER NOT NULL,
    paid INTEGER NOT NULL,
    spend INTEGER NOT NULL,
    points INTEGER NOT NULL,
    cashback INTEGER NOT NULL,
    refunded INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS entries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    customer TEXT NOT NULL,
    kind TEXT NOT NULL,
    points INTEGER NOT NULL DEFAULT 0,
    amount INTEGER NOT NULL DEFAULT 0,
    lot INTEGER,
    at INTEGER NOT NULL,
    available_at INTEGER,
    expires_at INTEGER,
    policy TEXT,
    version TEXT,
    set_version TEXT,
    purchase TEXT,
    reference TEXT,
    reason TEXT NOT NULL,
    reward TEXT
);
CREATE INDEX IF NOT EXISTS entries_by_customer ON entries (customer, kind);
CREATE INDEX IF NOT EXISTS entries_by_lot ON entries (lot);
CREATE INDEX IF NOT EXISTS lots_by_expiry ON entries (expires_at) WHERE kind = 'earn' AND expires_at IS NOT NULL;
CREATE UNIQUE INDEX IF NOT EXISTS one_expiry_per_lot ON entries (lot) WHERE kind = 'expire';
CREATE TABLE IF NOT EXISTS budget_use (
    policy TEXT NOT NULL,
    day INTEGER NOT NULL,
    used INTEGER NOT NULL,
    PRIMARY KEY (policy, day)
);
"#;

/// Lots of a customer with points left at `?2`, soonest expiry first (never-expiring last).
/// `?3`: `1` to include lots not available yet. `?4`: a purchase whose lots come first.
const LOTS: &str = "
    SELECT l.seq, SUM(e.points) AS remaining FROM entries l JOIN entries e ON e.lot = l.seq
    WHERE l.customer = ?1 AND l.kind = 'earn' AND (l.expires_at IS NULL OR l.expires_at > ?2)
      AND (?3 OR l.available_at <= ?2)
    GROUP BY l.seq HAVING remaining > 0
    ORDER BY CASE WHEN l.purchase = ?4 THEN 0 ELSE 1 END, l.expires_at IS NULL, l.expires_at, l.seq";

pub struct SqliteLedger {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
}

fn open(path: &Path) -> Result<Connection, LedgerError> {
    let conn = Connection::open(path).map_err(|e| LedgerError::Storage(format!("cannot open {}: {e}", path.display())))?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    // WAL with `synchronous = NORMAL`: a commit survives the process dying; a power cut
    // may lose the last transactions but never corrupts the file.
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(conn)
}

impl SqliteLedger {
    /// Opens (creating if needed) the ledger at `path`.
    pub fn open(path: &Path) -> Result<SqliteLedger, LedgerError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| LedgerError::Storage(format!("cannot create {}: {e}", dir.display())))?;
        }
        let writer = open(path)?;
        writer.execute_batch(SCHEMA)?;
        Ok(SqliteLedger { path: path.to_path_buf(), writer: Mutex::new(writer), readers: Mutex::new(Vec::new()) })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T, LedgerError>) -> Result<T, LedgerError> {
        let pooled = self.readers.lock().expect("reader pool").pop();
        let conn = match pooled {
            Some(c) => c,
            None => open(&self.path)?,
        };
        let result = f(&conn);
        let mut pool = self.readers.lock().expect("reader pool");
        if pool.len() < 64 {
            pool.push(conn);
        }
        result
    }

    fn write<T>(&self, f: impl FnOnce(&Transaction) -> Result<T, LedgerError>) -> Result<T, LedgerError> {
        let mut conn = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = f(&tx)?;
        tx.commit()?;
        Ok(value)
    }
}

fn stored(conn: &Connection, kind: RequestKind, id: &str) -> Result<Option<Stored>, LedgerError> {
    Ok(conn
        .prepare_cached("SELECT hash, response FROM requests WHERE kind = ?1 AND id = ?2")?
        .query_row(params![kind.as_str(), id], |r| Ok(Stored { hash: r.get(0)?, response: r.get(1)? }))
        .optional()?)
}

/// A request seen before: its stored answer if the body is the same, else a conflict.
fn seen(conn: &Connection, kind: RequestKind, id: &str, hash: &str) -> Result<Option<Stored>, LedgerError> {
    same_request(stored(conn, kind, id)?, kind, id, hash)
}

fn remember(
    conn: &Connection,
    kind: RequestKind,
    id: &str,
    customer: &str,
    hash: &str,
    response: &str,
    now: i64,
) -> Result<(), LedgerError> {
    conn.prepare_cached("INSERT INTO requests (kind, id, customer, hash, response, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?
        .execute(params![kind.as_str(), id, customer, hash, response, now])?;
    Ok(())
}

/// `(spendable, pending)` at `now`.
fn balance(conn: &Connection, customer: &str, now: i64) -> Result<(i64, i64), LedgerError> {
    Ok(conn
        .prepare_cached(
            "SELECT COALESCE(SUM(CASE WHEN l.available_at <= ?2 THEN e.points END), 0),
                COALESCE(SUM(CASE WHEN l.available_at > ?2 THEN e.points END), 0)
         FROM entries l JOIN entries e ON e.lot = l.seq
         WHERE l.customer = ?1 AND l.kind = 'earn' AND (l.expires_at IS NULL OR l.expires_at > ?2)",
        )?
        .query_row(params![customer, now], |r| Ok((r.get(0)?, r.get(1)?)))?)
}

struct CustomerRow {
    customer: Customer,
    revision: i64,
}

fn customer_row(conn: &Connection, id: &str) -> Result<Option<CustomerRow>, LedgerError> {
    Ok(conn
        .prepare_cached(
            "SELECT tier, lifetime_spend, purchases, first_purchase_at, last_purchase_at, birthday, segments, revision
             FROM customers WHERE id = ?1",
        )?
        .query_row(params![id], |r| {
            let segments: String = r.get(6)?;
            Ok(CustomerRow {
                customer: Customer {
                    id: id.to_string(),
                    tier: r.get(0)?,
                    points: 0,
                    lifetime_spend: r.get(1)?,
                    purchases: r.get(2)?,
                    first_purchase_at: r.get(3)?,
                    last_purchase_at: r.get(4)?,
                    birthday: r.get(5)?,
                    segments: serde_json::from_str(&segments).unwrap_or_default(),
                },
                revision: r.get(7)?,
            })
        })
        .optional()?)
}

fn account(conn: &Connection, id: &str, now: i64) -> Result<Option<Account>, LedgerError> {
    let Some(row) = customer_row(conn, id)? else { return Ok(None) };
    let (points, pending) = balance(conn, id, now)?;
    let cashback: Money = conn
        .prepare_cached("SELECT COALESCE(SUM(amount), 0) FROM entries WHERE customer = ?1 AND kind IN ('cashback', 'reverse')")?
        .query_row(params![id], |r| r.get(0))?;
    let mut progress = Vec::new();
    let mut stmt = conn.prepare_cached("SELECT progress FROM states WHERE customer = ?1 AND progress IS NOT NULL ORDER BY policy")?;
    for text in stmt.query_map(params![id], |r| r.get::<_, String>(0))? {
        if let Ok(serde_json::Value::Array(items)) = serde_json::from_str(&text?) {
            progress.extend(items);
        }
    }
    let mut stmt = conn.prepare_cached(
        "SELECT SUM(e.points) AS remaining, l.expires_at FROM entries l JOIN entries e ON e.lot = l.seq
         WHERE l.customer = ?1 AND l.kind = 'earn' AND l.expires_at > ?2
         GROUP BY l.seq HAVING remaining > 0 ORDER BY l.expires_at, l.seq",
    )?;
    let expiring =
        stmt.query_map(params![id, now], |r| Ok(Lot { points: r.get(0)?, expires_at: r.get(1)? }))?.collect::<Result<Vec<_>, _>>()?;
    let c = row.customer;
    Ok(Some(Account {
        customer: c.id,
        points,
        pending,
        tier: c.tier,
        lifetime_spend: c.lifetime_spend,
        purchases: c.purchases,
        birthday: c.birthday,
        segments: c.segments,
        cashback,
        progress,
        expiring,
    }))
}

/// The columns of an entry that vary; the rest default to NULL.
#[derive(Default, Clone)]
struct NewEntry<'a> {
    customer: &'a str,
    kind: &'a str,
    points: i64,
    amount: Money,
    lot: Option<i64>,
    at: i64,
    available_at: Option<i64>,
    expires_at: Option<i64>,
    policy: Option<&'a str>,
    version: Option<&'a str>,
    set_version: Option<&'a str>,
    purchase: Option<&'a str>,
    reference: Option<&'a str>,
    reason: &'a str,
    reward: Option<String>,
}

fn insert(conn: &Connection, e: &NewEntry) -> Result<i64, LedgerError> {
    conn.prepare_cached(
        "INSERT INTO entries (customer, kind, points, amount, lot, at, available_at, expires_at, policy, version,
                              set_version, purchase, reference, reason, reward)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    )?
    .execute(params![
        e.customer,
        e.kind,
        e.points,
        e.amount,
        e.lot,
        e.at,
        e.available_at,
        e.expires_at,
        e.policy,
        e.version,
        e.set_version,
        e.purchase,
        e.reference,
        e.reason,
        e.reward
    ])?;
    let seq = conn.last_insert_rowid();
    if e.kind == "earn" {
        conn.prepare_cached("UPDATE entries SET lot = seq WHERE seq = ?1")?.execute(params![seq])?;
    }
    Ok(seq)
}

/// Takes up to `points` from the customer's lots in [`LOTS`] order, writing one `kind`
/// entry per lot touched. Returns how many points it took.
#[allow(clippy::too_many_arguments)]
fn take_points(
    conn: &Connection,
    customer: &str,
    points: i64,
    now: i64,
    include_pending: bool,
    first_from: Option<&str>,
    template: NewEntry,
) -> Result<i64, LedgerError> {
    let lots: Vec<(i64, i64)> = conn
        .prepare_cached(LOTS)?
        .query_map(params![customer, now, include_pending, first_from], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut taken = 0;
    for (lot, remaining) in lots {
        if taken == points {
            break;
        }
        let take = remaining.min(points - taken);
        insert(conn, &NewEntry { points: -take, lot: Some(lot), ..template.clone() })?;
        taken += take;
    }
    Ok(taken)
}

fn used(conn: &Connection, policy: &str, today: i64) -> Result<(Money, Money), LedgerError> {
    Ok(conn
        .prepare_cached(
            "SELECT COALESCE(SUM(used), 0), COALESCE(SUM(CASE WHEN day = ?2 THEN used END), 0) FROM budget_use WHERE policy = ?1",
        )?
        .query_row(params![policy, today], |r| Ok((r.get(0)?, r.get(1)?)))?)
}

impl Ledger for SqliteLedger {
    fn stored(&self, kind: RequestKind, id: &str) -> Result<Option<Stored>, LedgerError> {
        self.read(|c| stored(c, kind, id))
    }

    fn snapshot(&self, customer: &str, now: i64) -> Result<Snapshot, LedgerError> {
        self.read(|c| {
            let Some(row) = customer_row(c, customer)? else {
                return Ok(Snapshot { customer: Customer::new(customer), ..Default::default() });
            };
            let mut states = BTreeMap::new();
            let mut stmt = c.prepare_cached("SELECT policy, state FROM states WHERE customer = ?1 AND state IS NOT NULL")?;
            for r in stmt.query_map(params![customer], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?)))? {
                let (k, v) = r?;
                states.insert(k, v);
            }
            let mut customer = row.customer;
            customer.points = balance(c, &customer.id, now)?.0;
            Ok(Snapshot { customer, states, revision: row.revision })
        })
    }

    fn budget_left(&self, budgets: &BTreeMap<String, Budget>, now: i64) -> Result<HashMap<String, Money>, LedgerError> {
        if budgets.is_empty() {
            return Ok(HashMap::new());
        }
        self.read(|c| {
            budgets
                .iter()
                .map(|(policy, b)| {
                    let (total, today) = used(c, policy, day(now))?;
                    Ok((policy.clone(), left(b, total, today)))
                })
                .collect()
        })
    }

    fn commit(&self, r: &Record, respond: &dyn Fn(&Account) -> String) -> Result<Commit, LedgerError> {
        self.write(|tx| {
            if let Some(s) = seen(tx, r.kind, r.id, r.hash)? {
                return Ok(Commit::Replayed(s.response));
            }
            let revision = customer_row(tx, r.customer)?.map_or(0, |row| row.revision);
            if revision != r.revision {
                return Ok(Commit::Stale);
            }
            let e = r.evaluation;
            // Budgets: what this evaluation spends must still fit.
            let spent = r.budget_spend();
            let today = day(r.now);
            for (policy, value) in &spent {
                let (total, on_day) = used(tx, policy, today)?;
                if *value > left(&r.budgets[*policy], total, on_day) {
                    return Ok(Commit::Stale);
                }
            }
            for (policy, value) in &spent {
                tx.prepare_cached(
                    "INSERT INTO budget_use (policy, day, used) VALUES (?1, ?2, ?3)
                     ON CONFLICT (policy, day) DO UPDATE SET used = used + excluded.used",
                )?
                .execute(params![policy, today, value])?;
            }

            // The customer.
            let t = &e.combined.totals;
            let is_purchase = r.kind == RequestKind::Purchase;
            let spend = if is_purchase { (r.goods - t.discount).max(0) } else { 0 };
            tx.prepare_cached(
                "INSERT INTO customers (id, tier, lifetime_spend, purchases, first_purchase_at, last_purchase_at, revision)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5, 1)
                 ON CONFLICT (id) DO UPDATE SET
                    tier = COALESCE(?2, tier),
                    lifetime_spend = lifetime_spend + ?3,
                    purchases = purchases + ?4,
                    first_purchase_at = CASE WHEN ?5 IS NULL THEN first_purchase_at ELSE MIN(COALESCE(first_purchase_at, ?5), ?5) END,
                    last_purchase_at = CASE WHEN ?5 IS NULL THEN last_purchase_at ELSE MAX(COALESCE(last_purchase_at, ?5), ?5) END,
                    revision = revision + 1",
            )?
            .execute(params![
                r.customer,
                t.tier.as_deref().map(|tier| if tier.is_empty() { None } else { Some(tier) }),
                spend,
                is_purchase as i64,
                is_purchase.then_some(r.at)
            ])?;
            if t.tier.as_deref() == Some("") {
                tx.prepare_cached("UPDATE customers SET tier = NULL WHERE id = ?1")?.execute(params![r.customer])?;
            }

            // Policy states and progress.
            for (policy, state) in &e.states {
                tx.prepare_cached(
                    "INSERT INTO states (customer, policy, state) VALUES (?1, ?2, ?3)
                     ON CONFLICT (customer, policy) DO UPDATE SET state = excluded.state",
                )?
                .execute(params![r.customer, policy, state])?;
            }
            for policy in r.ran {
                let reports: Vec<_> = e.progress.iter().filter(|p| *p.policy == **policy).collect();
                let progress = (!reports.is_empty()).then(|| serde_json::to_string(&reports).expect("progress serialises"));
                tx.prepare_cached(
                    "INSERT INTO states (customer, policy, progress) VALUES (?1, ?2, ?3)
                     ON CONFLICT (customer, policy) DO UPDATE SET progress = excluded.progress",
                )?
                .execute(params![r.customer, policy, progress])?;
            }

            // Entries.
            let (purchase, reference) = if is_purchase { (Some(r.id), None) } else { (None, Some(r.id)) };
            for a in &e.combined.applied {
                let reward = serde_json::to_string(&a.reward).expect("reward serialises");
                let base = NewEntry {
                    customer: r.customer,
                    at: r.now,
                    policy: Some(&a.origin.policy),
                    version: Some(&a.origin.version),
                    set_version: Some(r.set_version),
                    purchase,
                    reference,
                    reason: &a.reason,
                    reward: Some(reward),
                    ..Default::default()
                };
                let entry = match &a.reward {
                    perk_sdk::Reward::Points { amount } if *amount > 0 => NewEntry {
                        kind: "earn",
                        points: *amount,
                        available_at: Some(r.points.available_at(r.at)),
                        expires_at: r.points.expires_at(r.at),
                        ..base
                    },
                    perk_sdk::Reward::PointsFor { customer, amount } if *amount > 0 => {
                        // Another customer's lot: their row exists and moves on.
                        tx.prepare_cached(
                            "INSERT INTO customers (id, revision) VALUES (?1, 1) ON CONFLICT (id) DO UPDATE SET revision = revision + 1",
                        )?
                        .execute(params![customer])?;
                        NewEntry {
                            customer,
                            kind: "earn",
                            points: *amount,
                            available_at: Some(r.points.available_at(r.at)),
                            expires_at: r.points.expires_at(r.at),
                            ..base
                        }
                    }
                    perk_sdk::Reward::Points { .. } | perk_sdk::Reward::PointsFor { .. } => continue,
                    perk_sdk::Reward::Cashback { .. } => NewEntry { kind: "cashback", amount: a.value, ..base },
                    _ => NewEntry { kind: "reward", amount: a.value, ..base },
                };
                insert(tx, &entry)?;
            }
            if is_purchase {
                tx.prepare_cached(
                    "INSERT INTO purchases (id, customer, at, paid, spend, points, cashback) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )?
                .execute(params![r.id, r.customer, r.at, t.payable, spend, t.points, t.cashback])?;
            }
            let account = account(tx, r.customer, r.now)?.expect("customer row written above");
            let response = respond(&account);
            remember(tx, r.kind, r.id, r.customer, r.hash, &response, r.now)?;
            Ok(Commit::Done(response))
        })
    }

    fn refund(&self, q: &RefundRequest) -> Result<Result<Refunded, Stored>, LedgerError> {
        self.write(|tx| {
            if let Some(s) = seen(tx, RequestKind::Refund, q.id, q.hash)? {
                return Ok(Err(s));
            }
            let row = tx
                .query_row(
                    "SELECT customer, paid, spend, points, cashback, refunded FROM purchases WHERE id = ?1",
                    params![q.purchase],
                    |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, i64>(1)?,
                            r.get::<_, i64>(2)?,
                            r.get::<_, i64>(3)?,
                            r.get::<_, i64>(4)?,
                            r.get::<_, i64>(5)?,
                        ))
                    },
                )
                .optional()?;
            let Some((customer, paid, spend, points, cashback, refunded)) = row else {
                return Err(LedgerError::NotFound(format!("no purchase `{}`", q.purchase)));
            };
            let amount = refund_amount(q.purchase, paid, refunded, q.amount)?;
            let now_refunded = refunded + amount;
            let due = |earned: i64| proportion(earned, now_refunded, paid) - proportion(earned, refunded, paid);
            let (points_due, cashback_due, spend_due) = (due(points), due(cashback), due(spend));

            let reason = format!("refund `{}` of {} on purchase `{}`", q.id, perk_sdk::money(amount), q.purchase);
            let template = NewEntry {
                customer: &customer,
                kind: "reverse",
                at: q.now,
                set_version: Some(q.set_version),
                purchase: Some(q.purchase),
                reference: Some(q.id),
                reason: &reason,
                ..Default::default()
            };
            let reversed = take_points(tx, &customer, points_due, q.now, true, Some(q.purchase), template.clone())?;
            let unrecovered = points_due - reversed;
            if unrecovered > 0 {
                let why = format!("{reason}: {unrecovered} points were already spent and are not taken back");
                insert(tx, &NewEntry { reason: &why, ..template.clone() })?;
            }
            if cashback_due > 0 {
                insert(tx, &NewEntry { amount: -cashback_due, reward: Some(r#"{"kind":"cashback"}"#.into()), ..template.clone() })?;
            }
            tx.prepare_cached("UPDATE purchases SET refunded = ?2 WHERE id = ?1")?.execute(params![q.purchase, now_refunded])?;
            tx.prepare_cached("UPDATE customers SET lifetime_spend = MAX(0, lifetime_spend - ?2), revision = revision + 1 WHERE id = ?1")?
                .execute(params![customer, spend_due])?;
            let (points_now, pending) = balance(tx, &customer, q.now)?;
            let answer = Refunded {
                refund: q.id.to_string(),
                purchase: q.purchase.to_string(),
                customer: customer.clone(),
                amount,
                refunded_total: now_refunded,
                points_reversed: reversed,
                unrecovered_points: unrecovered,
                cashback_reversed: cashback_due,
                points: points_now,
                pending,
            };
            let response = serde_json::to_string(&answer).expect("serialises");
            remember(tx, RequestKind::Refund, q.id, &customer, q.hash, &response, q.now)?;
            Ok(Ok(answer))
        })
    }

    fn redeem(&self, q: &RedeemRequest) -> Result<Result<Redeemed, Stored>, LedgerError> {
        self.write(|tx| {
            if let Some(s) = seen(tx, RequestKind::Redemption, q.id, q.hash)? {
                return Ok(Err(s));
            }
            if customer_row(tx, q.customer)?.is_none() {
                return Err(LedgerError::NotFound(format!("no customer `{}`", q.customer)));
            }
            let (balance_now, pending) = balance(tx, q.customer, q.now)?;
            check_redemption(q, balance_now, pending)?;
            let template =
                NewEntry { customer: q.customer, kind: "redeem", at: q.now, reference: Some(q.id), reason: q.reason, ..Default::default() };
            let taken = take_points(tx, q.customer, q.points, q.now, false, None, template)?;
            debug_assert_eq!(taken, q.points);
            tx.prepare_cached("UPDATE customers SET revision = revision + 1 WHERE id = ?1")?.execute(params![q.customer])?;
            let answer = Redeemed {
                redemption: q.id.to_string(),
                customer: q.customer.to_string(),
                points: q.points,
                value: q.points.saturating_mul(q.point_value),
                balance: balance_now - taken,
            };
            let response = serde_json::to_string(&answer).expect("serialises");
            remember(tx, RequestKind::Redemption, q.id, q.customer, q.hash, &response, q.now)?;
            Ok(Ok(answer))
        })
    }

    fn account(&self, customer: &str, now: i64) -> Result<Option<Account>, LedgerError> {
        self.read(|c| account(c, customer, now))
    }

    fn entries(&self, customer: &str, after: i64, limit: u32) -> Result<Vec<Entry>, LedgerError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT seq, kind, points, amount, lot, at, available_at, expires_at, policy, version, set_version,
                        purchase, reference, reason, reward
                 FROM entries WHERE customer = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
            )?;
            let rows = stmt.query_map(params![customer, after, limit], |r| {
                let reward: Option<String> = r.get(14)?;
                Ok(Entry {
                    seq: r.get(0)?,
                    kind: r.get(1)?,
                    points: r.get(2)?,
                    amount: r.get(3)?,
                    lot: r.get(4)?,
                    at: r.get(5)?,
                    available_at: r.get(6)?,
                    expires_at: r.get(7)?,
                    policy: r.get(8)?,
                    version: r.get(9)?,
                    set_version: r.get(10)?,
                    purchase: r.get(11)?,
                    reference: r.get(12)?,
                    reason: r.get(13)?,
                    reward: reward.and_then(|s| serde_json::from_str(&s).ok()),
                })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn set_profile(&self, customer: &str, p: &crate::input::Profile) -> Result<(), LedgerError> {
        let segments = serde_json::to_string(&p.segments).expect("strings serialise");
        self.write(|tx| {
            tx.prepare_cached(
                "INSERT INTO customers (id, birthday, segments, revision) VALUES (?1, ?2, ?3, 1)
                 ON CONFLICT (id) DO UPDATE SET birthday = ?2, segments = ?3, revision = revision + 1",
            )?
            .execute(params![customer, p.birthday, segments])?;
            Ok(())
        })
    }

    fn expire(&self, now: i64) -> Result<u64, LedgerError> {
        self.write(|tx| {
            let n = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO entries (customer, kind, points, lot, at, reason)
                 SELECT l.customer, 'expire', -SUM(e.points), l.seq, ?1, 'points expired: lot ' || l.seq || ' reached its lifetime'
                 FROM entries l JOIN entries e ON e.lot = l.seq
                 WHERE l.kind = 'earn' AND l.expires_at <= ?1
                 GROUP BY l.seq HAVING SUM(e.points) > 0",
                )?
                .execute(params![now])?;
            Ok(n as u64)
        })
    }
}
