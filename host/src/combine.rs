//! Combining: from every policy's rewards to the set that applies, by explicit rules.
//!
//! In order:
//! 1. **Exclusivity.** Policies are ranked by priority (higher first), then manifest order.
//!    An exclusive policy that rewards anything suppresses every other policy (`all`) or
//!    the others of its group (`group`); a policy already suppressed suppresses nothing.
//! 2. **Groups.** In a `best` group only the policy whose rewards are worth most to the
//!    customer applies (ties: rank); in a `first` group only the best-ranked policy that
//!    rewards anything. `stack` groups, and policies without a group, all apply.
//! 3. **Caps**, over the remaining rewards in rank order: discounts never exceed the goods
//!    total (an item discount never exceeds its line), the later ones are cut or
//!    suppressed; free shipping applies once; cashback never exceeds what the customer
//!    pays; one tier change applies, the best-ranked.
//! 4. **Budgets.** A policy with budget left (what its rewards may still be worth, from
//!    the ledger) keeps its rewards in rank order while they fit; a points, cashback or
//!    money discount reward that does not fit whole is cut to what is left, any other is
//!    suppressed.
//!
//! Every reward that does not apply is reported with why and, where one did it, by whom.

use crate::manifest::{Exclusive, GroupMode};
use perk_sdk::{Coupon, Granted, Money, Purchase, Reward};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// One policy's successful answer, with what combining needs to know about the policy.
#[derive(Clone, Debug)]
pub struct Candidate {
    pub policy: Arc<str>,
    /// `sha256:…` of the module that produced the rewards.
    pub version: Arc<str>,
    pub variant: Option<String>,
    pub group: Option<Arc<str>>,
    pub priority: i64,
    pub exclusive: Option<Exclusive>,
    pub rewards: Vec<Granted>,
}

pub struct Rules<'a> {
    pub groups: &'a BTreeMap<String, GroupMode>,
    /// Minor units one point is worth, to weigh points against money in `best` groups.
    pub point_value: i64,
    /// Budget left per policy (minor units of reward value); a policy not listed has none.
    pub budget_left: &'a HashMap<String, Money>,
}

impl<'a> Rules<'a> {
    /// Rules without budgets.
    pub fn new(groups: &'a BTreeMap<String, GroupMode>, point_value: i64) -> Self {
        static NONE: std::sync::LazyLock<HashMap<String, Money>> = std::sync::LazyLock::new(HashMap::new);
        Rules { groups, point_value, budget_left: &NONE }
    }
}

/// Which policy, module version and variant a reward comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Origin {
    #[serde(serialize_with = "shared")]
    pub policy: Arc<str>,
    /// `sha256:…` of the module.
    #[serde(serialize_with = "shared")]
    pub version: Arc<str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "shared_opt")]
    pub group: Option<Arc<str>>,
}

/// Names shared by every reward of a policy (see `registry::Names`), serialised as strings.
fn shared<S: serde::Serializer>(name: &Arc<str>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(name)
}

fn shared_opt<S: serde::Serializer>(name: &Option<Arc<str>>, s: S) -> Result<S::Ok, S::Error> {
    name.as_deref().serialize(s)
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Applied {
    #[serde(flatten)]
    pub origin: Origin,
    pub reward: Reward,
    pub reason: String,
    /// Money this reward is worth to the customer, after caps (minor units).
    pub value: Money,
    /// Set when a cap cut the reward.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capped: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Suppressed {
    #[serde(flatten)]
    pub origin: Origin,
    pub reward: Reward,
    pub reason: String,
    /// Why it does not apply.
    pub why: String,
    /// The policy that won over it, if one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
}

impl Candidate {
    fn origin(&self) -> Origin {
        Origin { policy: self.policy.clone(), version: self.version.clone(), variant: self.variant.clone(), group: self.group.clone() }
    }

    fn applied(&self, g: &Granted, value: Money, capped: Option<String>) -> Applied {
        Applied { origin: self.origin(), reward: g.reward.clone(), reason: g.reason.clone(), value, capped }
    }

    fn suppressed(&self, g: &Granted, why: impl Into<String>, by: Option<&str>) -> Suppressed {
        Suppressed {
            origin: self.origin(),
            reward: g.reward.clone(),
            reason: g.reason.clone(),
            why: why.into(),
            by: by.map(str::to_string),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub points: i64,
    /// Points for other customers (referrers), by customer.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub points_for: BTreeMap<String, i64>,
    /// Sum of the discounts applied to the goods.
    pub discount: Money,
    pub free_shipping: bool,
    /// What the customer pays: goods + shipping − discounts − waived shipping. Never negative.
    pub payable: Money,
    pub cashback: Money,
    /// The tier after this purchase, when a policy changed it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub coupons: Vec<Coupon>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub badges: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub perks: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Combined {
    pub applied: Vec<Applied>,
    pub suppressed: Vec<Suppressed>,
    pub totals: Totals,
}

fn line_total(p: &Purchase, sku: &str) -> Money {
    p.items.iter().filter(|i| i.sku == sku).map(|i| i.subtotal()).fold(0, Money::saturating_add)
}

fn percent_of(total: Money, basis_points: u32) -> Money {
    ((total.max(0) as i128 * basis_points as i128) / 10_000) as Money
}

/// Uncapped money value of a reward to the customer.
fn value(r: &Reward, p: &Purchase, point_value: i64) -> Money {
    match r {
        Reward::Points { amount } | Reward::PointsFor { amount, .. } => amount.saturating_mul(point_value),
        Reward::OrderDiscount { amount } | Reward::Cashback { amount } => *amount,
        Reward::ItemDiscount { sku, amount } => (*amount).min(line_total(p, sku)),
        Reward::PercentDiscount { basis_points } => percent_of(p.total, *basis_points),
        Reward::FreeShipping => p.shipping,
        Reward::Coupon(c) => c.amount_off,
        Reward::SetTier { .. } | Reward::Badge { .. } | Reward::Perk { .. } => 0,
    }
}

pub fn combine(candidates: &[Candidate], purchase: &Purchase, rules: &Rules) -> Combined {
    // Rank: priority, then manifest order. Only policies with rewards take part.
    let mut rank: Vec<usize> = (0..candidates.len()).filter(|&i| !candidates[i].rewards.is_empty()).collect();
    rank.sort_by_key(|&i| (-candidates[i].priority, i));

    // Why a whole policy is out: (why, by).
    let mut out: HashMap<usize, (String, Option<String>)> = HashMap::new();

    // 1. Exclusivity.
    for &i in &rank {
        let c = &candidates[i];
        let Some(scope) = c.exclusive else { continue };
        if out.contains_key(&i) {
            continue;
        }
        for &j in &rank {
            let o = &candidates[j];
            let hit = j != i
                && match scope {
                    Exclusive::All => true,
                    Exclusive::Group => c.group.is_some() && o.group == c.group,
                };
            if hit && !out.contains_key(&j) {
                let why = match scope {
                    Exclusive::All => format!("`{}` is exclusive: it does not combine with other offers", c.policy),
                    Exclusive::Group => format!("`{}` is exclusive in group `{}`", c.policy, c.group.as_deref().unwrap_or_default()),
                };
                out.insert(j, (why, Some(c.policy.to_string())));
            }
        }
    }

    // 2. Group modes.
    for (group, mode) in rules.groups {
        let members: Vec<usize> =
            rank.iter().copied().filter(|i| !out.contains_key(i) && candidates[*i].group.as_deref() == Some(group)).collect();
        if members.len() < 2 {
            continue;
        }
        let worth = |i: usize| -> Money {
            candidates[i].rewards.iter().map(|g| value(&g.reward, purchase, rules.point_value)).fold(0, Money::saturating_add)
        };
        let winner = match mode {
            GroupMode::Stack => continue,
            // `max_by_key` keeps the last maximum; iterate in reverse rank so ties go to rank.
            GroupMode::Best => members.iter().rev().copied().max_by_key(|&i| worth(i)).expect("non-empty"),
            GroupMode::First => members[0],
        };
        let w = &candidates[winner];
        for &i in members.iter().filter(|&&i| i != winner) {
            let why = match mode {
                GroupMode::Best => format!(
                    "group `{group}` takes the best offer: `{}` is worth {} to the customer, this {}",
                    w.policy,
                    worth(winner),
                    worth(i)
                ),
                _ => format!("group `{group}` takes the first offer by priority: `{}` (priority {}) comes first", w.policy, w.priority),
            };
            out.insert(i, (why, Some(w.policy.to_string())));
        }
    }

    // 3. Caps, in rank order.
    let mut result = Combined::default();
    let mut discount_left = purchase.total.max(0);
    let mut line_discounted: HashMap<&str, Money> = HashMap::new();
    let mut shipping_free_by: Option<&str> = None;
    let mut tier_by: Option<&str> = None;
    let mut cashback: Vec<(&Candidate, &Granted, Money)> = Vec::new();

    for &i in &rank {
        let c = &candidates[i];
        for g in &c.rewards {
            if let Some((why, by)) = out.get(&i) {
                result.suppressed.push(c.suppressed(g, why.as_str(), by.as_deref()));
                continue;
            }
            let full = value(&g.reward, purchase, rules.point_value);
            match &g.reward {
                Reward::OrderDiscount { .. } | Reward::PercentDiscount { .. } | Reward::ItemDiscount { .. } => {
                    let (mut room, mut requested) = (discount_left, full);
                    if let Reward::ItemDiscount { sku, amount } = &g.reward {
                        let line = line_total(purchase, sku);
                        if line == 0 {
                            result.suppressed.push(c.suppressed(g, format!("no item `{sku}` in this purchase"), None));
                            continue;
                        }
                        room = room.min(line - line_discounted.get(sku.as_str()).copied().unwrap_or(0));
                        requested = *amount;
                    }
                    let take = full.min(room);
                    if take <= 0 && full > 0 {
                        result.suppressed.push(c.suppressed(g, "the order is already fully discounted", None));
                        continue;
                    }
                    let capped = (take < requested)
                        .then(|| format!("cut from {requested} to {take}: discounts never exceed the goods total or the line"));
                    discount_left -= take;
                    if let Reward::ItemDiscount { sku, .. } = &g.reward {
                        *line_discounted.entry(sku.as_str()).or_default() += take;
                    }
                    result.totals.discount += take;
                    result.applied.push(c.applied(g, take, capped));
                }
                Reward::FreeShipping => {
                    if let Some(by) = shipping_free_by {
                        result.suppressed.push(c.suppressed(g, "shipping is already free", Some(by)));
                        continue;
                    }
                    shipping_free_by = Some(&c.policy);
                    result.totals.free_shipping = true;
                    result.applied.push(c.applied(g, full, None));
                }
                Reward::SetTier { tier } => {
                    if let Some(by) = tier_by {
                        result.suppressed.push(c.suppressed(g, format!("the tier is already set by `{by}`"), Some(by)));
                        continue;
                    }
                    tier_by = Some(&c.policy);
                    result.totals.tier = Some(tier.clone());
                    result.applied.push(c.applied(g, 0, None));
                }
                // Cashback is capped by what the customer pays, known once discounts are in.
                Reward::Cashback { amount } => cashback.push((c, g, *amount)),
                Reward::Points { amount } => {
                    result.totals.points += amount;
                    result.applied.push(c.applied(g, full, None));
                }
                Reward::PointsFor { customer, amount } => {
                    *result.totals.points_for.entry(customer.clone()).or_default() += amount;
                    result.applied.push(c.applied(g, full, None));
                }
                Reward::Coupon(coupon) => {
                    result.totals.coupons.push(coupon.clone());
                    result.applied.push(c.applied(g, full, None));
                }
                Reward::Badge { name } => {
                    result.totals.badges.push(name.clone());
                    result.applied.push(c.applied(g, 0, None));
                }
                Reward::Perk { name } => {
                    result.totals.perks.push(name.clone());
                    result.applied.push(c.applied(g, 0, None));
                }
            }
        }
    }

    let shipping = if result.totals.free_shipping { 0 } else { purchase.shipping.max(0) };
    result.totals.payable = (purchase.total.max(0) - result.totals.discount + shipping).max(0);
    let mut cashback_left = result.totals.payable;
    for (c, g, amount) in cashback {
        let take = amount.min(cashback_left);
        if take <= 0 && amount > 0 {
            result.suppressed.push(c.suppressed(g, "cashback never exceeds what the customer pays", None));
            continue;
        }
        cashback_left -= take;
        result.totals.cashback += take;
        let capped = (take < amount).then(|| format!("cut from {amount} to {take}: cashback never exceeds what the customer pays"));
        result.applied.push(c.applied(g, take, capped));
    }
    if !rules.budget_left.is_empty() {
        apply_budgets(&mut result, purchase, rules);
    }
    result
}

/// Step 4: cuts or suppresses what a policy's budget cannot pay for, then totals again.
fn apply_budgets(result: &mut Combined, purchase: &Purchase, rules: &Rules) {
    let mut left = rules.budget_left.clone();
    let mut changed = false;
    let applied = std::mem::take(&mut result.applied);
    for mut a in applied {
        let Some(room) = left.get_mut(&*a.origin.policy) else {
            result.applied.push(a);
            continue;
        };
        if a.value <= *room {
            *room -= a.value;
            result.applied.push(a);
            continue;
        }
        changed = true;
        let (before, fits) = (a.value, (*room).max(0));
        let cut = match &mut a.reward {
            Reward::Points { amount } | Reward::PointsFor { amount, .. } if rules.point_value > 0 => {
                *amount = fits / rules.point_value;
                Some(*amount * rules.point_value)
            }
            Reward::Cashback { amount } | Reward::OrderDiscount { amount } | Reward::ItemDiscount { amount, .. } => {
                *amount = fits;
                Some(fits)
            }
            _ => None,
        };
        match cut {
            Some(v) if v > 0 => {
                *room -= v;
                a.value = v;
                a.capped = Some(format!("cut from {before} to {v}: the budget of `{}` has {fits} left", a.origin.policy));
                result.applied.push(a);
            }
            _ => result.suppressed.push(Suppressed {
                why: format!("the budget of `{}` is used up ({fits} left, this reward is worth {before})", a.origin.policy),
                origin: a.origin,
                reward: a.reward,
                reason: a.reason,
                by: None,
            }),
        }
    }
    if changed {
        result.totals = totals(&result.applied, purchase);
    }
}

/// The totals of a set of applied rewards.
fn totals(applied: &[Applied], purchase: &Purchase) -> Totals {
    let mut t = Totals::default();
    for a in applied {
        match &a.reward {
            Reward::Points { amount } => t.points += amount,
            Reward::PointsFor { customer, amount } => *t.points_for.entry(customer.clone()).or_default() += amount,
            Reward::OrderDiscount { .. } | Reward::PercentDiscount { .. } | Reward::ItemDiscount { .. } => t.discount += a.value,
            Reward::FreeShipping => t.free_shipping = true,
            Reward::Cashback { .. } => t.cashback += a.value,
            Reward::SetTier { tier } => t.tier = Some(tier.clone()),
            Reward::Coupon(c) => t.coupons.push(c.clone()),
            Reward::Badge { name } => t.badges.push(name.clone()),
            Reward::Perk { name } => t.perks.push(name.clone()),
        }
    }
    let shipping = if t.free_shipping { 0 } else { purchase.shipping.max(0) };
    t.payable = (purchase.total.max(0) - t.discount + shipping).max(0);
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use perk_sdk::LineItem;

    /// `(policy, group, priority, exclusive, rewards)`
    type Row = (&'static str, Option<&'static str>, i64, Option<Exclusive>, Vec<Reward>);

    fn points(n: i64) -> Reward {
        Reward::Points { amount: n }
    }
    fn off(n: Money) -> Reward {
        Reward::OrderDiscount { amount: n }
    }

    /// Runs `rows` against a 1000-minor-unit purchase (one line `latte` of 600 and
    /// `bagel` of 400, shipping 300) and returns (applied, suppressed) as
    /// `policy:value` strings in rank order.
    fn check(rows: Vec<Row>, groups: &[(&str, GroupMode)]) -> (Vec<String>, Vec<String>, Totals) {
        let purchase = Purchase {
            total: 1000,
            shipping: 300,
            items: vec![LineItem::new("latte", "coffee", 2, 300), LineItem::new("bagel", "food", 1, 400)],
            ..Default::default()
        };
        let candidates: Vec<Candidate> = rows
            .into_iter()
            .map(|(policy, group, priority, exclusive, rewards)| Candidate {
                policy: policy.into(),
                version: "sha256:test".into(),
                variant: None,
                group: group.map(Into::into),
                priority,
                exclusive,
                rewards: rewards.into_iter().map(|r| Granted { reward: r, reason: "r".into() }).collect(),
            })
            .collect();
        let groups: BTreeMap<String, GroupMode> = groups.iter().map(|(g, m)| (g.to_string(), *m)).collect();
        let c = combine(&candidates, &purchase, &Rules::new(&groups, 1));
        let applied = c.applied.iter().map(|a| format!("{}:{}", a.origin.policy, a.value)).collect();
        let suppressed = c.suppressed.iter().map(|s| format!("{}<{}", s.origin.policy, s.by.as_deref().unwrap_or("cap"))).collect();
        (applied, suppressed, c.totals)
    }

    #[test]
    fn combine_rules() {
        use Exclusive::*;
        use GroupMode::*;
        #[rustfmt::skip]
        /// `(name, rows, groups, applied, suppressed)`
        type Case = (&'static str, Vec<Row>, Vec<(&'static str, GroupMode)>, &'static [&'static str], &'static [&'static str]);
        let cases: Vec<Case> = vec![
            (
                "no groups: everything stacks",
                vec![("a", None, 0, None, vec![points(10)]), ("b", None, 0, None, vec![points(20)])],
                vec![],
                &["a:10", "b:20"],
                &[],
            ),
            (
                "undeclared group stacks",
                vec![("a", Some("g"), 0, None, vec![points(10)]), ("b", Some("g"), 0, None, vec![points(20)])],
                vec![],
                &["a:10", "b:20"],
                &[],
            ),
            (
                "best keeps the most valuable",
                vec![("a", Some("g"), 0, None, vec![points(10)]), ("b", Some("g"), 0, None, vec![off(50)])],
                vec![("g", Best)],
                &["b:50"],
                &["a<b"],
            ),
            (
                "best ties go to priority",
                vec![("a", Some("g"), 0, None, vec![points(50)]), ("b", Some("g"), 5, None, vec![off(50)])],
                vec![("g", Best)],
                &["b:50"],
                &["a<b"],
            ),
            (
                "best ties at equal priority go to manifest order",
                vec![("a", Some("g"), 0, None, vec![points(50)]), ("b", Some("g"), 0, None, vec![off(50)])],
                vec![("g", Best)],
                &["a:50"],
                &["b<a"],
            ),
            (
                "first keeps the highest priority that rewards",
                vec![
                    ("a", Some("g"), 1, None, vec![points(10)]),
                    ("b", Some("g"), 9, None, vec![points(1)]),
                    ("c", Some("g"), 20, None, vec![]),
                ],
                vec![("g", First)],
                &["b:1"],
                &["a<b"],
            ),
            (
                "stack group keeps all",
                vec![("a", Some("g"), 0, None, vec![points(1)]), ("b", Some("g"), 0, None, vec![points(2)])],
                vec![("g", Stack)],
                &["a:1", "b:2"],
                &[],
            ),
            (
                "exclusive all suppresses everything else",
                vec![("a", None, 0, None, vec![points(10)]), ("x", Some("g"), 0, Some(All), vec![off(100)])],
                vec![],
                &["x:100"],
                &["a<x"],
            ),
            (
                "exclusive that rewards nothing suppresses nothing",
                vec![("a", None, 0, None, vec![points(10)]), ("x", None, 0, Some(All), vec![])],
                vec![],
                &["a:10"],
                &[],
            ),
            (
                "exclusive group spares other groups",
                vec![
                    ("a", Some("g"), 0, None, vec![points(10)]),
                    ("x", Some("g"), 0, Some(Group), vec![off(100)]),
                    ("o", Some("h"), 0, None, vec![points(5)]),
                ],
                vec![],
                &["x:100", "o:5"],
                &["a<x"],
            ),
            (
                "higher-priority exclusive wins over a lower one",
                vec![("x", None, 1, Some(All), vec![off(10)]), ("y", None, 2, Some(All), vec![off(20)])],
                vec![],
                &["y:20"],
                &["x<y"],
            ),
            (
                "exclusivity before group modes",
                vec![("a", Some("g"), 0, None, vec![off(900)]), ("x", None, 0, Some(All), vec![points(1)])],
                vec![("g", Best)],
                &["x:1"],
                &["a<x"],
            ),
            (
                "discounts never exceed the goods total",
                vec![("a", None, 2, None, vec![off(700)]), ("b", None, 1, None, vec![off(700)]), ("c", None, 0, None, vec![off(10)])],
                vec![],
                &["a:700", "b:300"],
                &["c<cap"],
            ),
            (
                "percent discounts are money on the goods total",
                vec![("a", None, 0, None, vec![Reward::PercentDiscount { basis_points: 1500 }])],
                vec![],
                &["a:150"],
                &[],
            ),
            (
                "an item discount stops at its line",
                vec![("a", None, 0, None, vec![Reward::ItemDiscount { sku: "bagel".into(), amount: 900 }])],
                vec![],
                &["a:400"],
                &[],
            ),
            (
                "an item discount for an item not bought is dropped",
                vec![("a", None, 0, None, vec![Reward::ItemDiscount { sku: "cake".into(), amount: 100 }])],
                vec![],
                &[],
                &["a<cap"],
            ),
            (
                "free shipping applies once",
                vec![("a", None, 0, None, vec![Reward::FreeShipping]), ("b", None, 0, None, vec![Reward::FreeShipping])],
                vec![],
                &["a:300"],
                &["b<a"],
            ),
            (
                "cashback never exceeds what is paid",
                vec![("d", None, 9, None, vec![off(1000)]), ("c", None, 0, None, vec![Reward::Cashback { amount: 500 }])],
                vec![],
                &["d:1000", "c:300"],
                &[],
            ),
            (
                "one tier change applies, the best ranked",
                vec![
                    ("t1", None, 0, None, vec![Reward::SetTier { tier: "gold".into() }]),
                    ("t2", None, 5, None, vec![Reward::SetTier { tier: "vip".into() }]),
                ],
                vec![],
                &["t2:0"],
                &["t1<t2"],
            ),
        ];
        for (name, rows, groups, want_applied, want_suppressed) in cases {
            let (applied, suppressed, _) = check(rows, &groups);
            assert_eq!(applied, want_applied, "{name}: applied");
            assert_eq!(suppressed, want_suppressed, "{name}: suppressed");
        }
    }

    #[test]
    fn totals_add_up_and_never_go_negative() {
        let (_, _, t) = check(
            vec![
                ("p", None, 0, None, vec![points(40)]),
                ("d", None, 0, None, vec![off(5000)]),
                ("s", None, 0, None, vec![Reward::FreeShipping]),
                ("c", None, 0, None, vec![Reward::Cashback { amount: 10 }]),
            ],
            &[],
        );
        assert_eq!(t.points, 40);
        assert_eq!(t.discount, 1000);
        assert!(t.free_shipping);
        assert_eq!(t.payable, 0);
        assert_eq!(t.cashback, 0);
    }

    #[test]
    fn a_capped_reward_says_so() {
        let purchase = Purchase { total: 100, ..Default::default() };
        let c = Candidate {
            policy: "a".into(),
            version: "v".into(),
            variant: None,
            group: None,
            priority: 0,
            exclusive: None,
            rewards: vec![Granted { reward: off(250), reason: "r".into() }],
        };
        let out = combine(&[c], &purchase, &Rules::new(&BTreeMap::new(), 1));
        assert_eq!(out.applied[0].value, 100);
        assert!(out.applied[0].capped.as_deref().unwrap().contains("cut from 250 to 100"));
    }
}
