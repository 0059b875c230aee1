//! A purchase (or event) against every active policy of a campaign, then combined.
//!
//! Each policy runs in its own sandbox instance (warm from a pool, or fresh, as its
//! `isolation` says). A policy that traps, runs out of
//! CPU time or memory, panics, errors or answers outside the contract loses its rewards for
//! this evaluation, and is reported; the other policies still apply.

use crate::combine::{self, Candidate, Combined, Rules};
use crate::registry::{Campaign, LoadedPolicy};
use crate::runtime::{Detail, Evaluated, Failure, Input, LogLine};
use perk_sdk::{Customer, Event, Money, Purchase};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// What the host knows besides the input: its clock and the stored per-policy state.
#[derive(Clone, Copy, Debug)]
pub struct Situation<'a> {
    pub now: i64,
    pub customer: &'a Customer,
    /// State each policy stored for this customer, by policy id.
    pub states: &'a BTreeMap<String, Vec<u8>>,
    /// The customer's experiment variant, if any.
    pub variant: Option<&'a str>,
    /// Budget left per policy, from the ledger; policies not listed have no budget.
    pub budget_left: Option<&'a HashMap<String, Money>>,
    /// Whether the evaluation keeps the policies' reasons and progress reports (a replay,
    /// which shows neither, leaves them out).
    pub detail: Detail,
}

impl<'a> Situation<'a> {
    pub fn new(now: i64, customer: &'a Customer, states: &'a BTreeMap<String, Vec<u8>>) -> Self {
        Situation { now, customer, states, variant: None, budget_left: None, detail: Detail::Full }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct PolicyFailure {
    pub policy: String,
    pub version: String,
    #[serde(flatten)]
    pub failure: Failure,
}

#[derive(Clone, Debug, Serialize)]
pub struct Inactive {
    pub policy: String,
    pub why: String,
}

/// A policy's progress toward a goal; serialised with its [`ProgressReport::text`].
#[derive(Clone, Debug)]
pub struct ProgressReport {
    pub policy: std::sync::Arc<str>,
    pub goal: String,
    pub current: i64,
    pub target: i64,
    pub unit: String,
    pub remaining: i64,
}

impl ProgressReport {
    /// `2 more purchases to free coffee`. Written when shown, not per evaluation: a
    /// replay evaluates hundreds of thousands and shows none.
    pub fn text(&self) -> String {
        progress_text(&self.goal, self.remaining, &self.unit)
    }
}

impl Serialize for ProgressReport {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut r = s.serialize_struct("ProgressReport", 7)?;
        r.serialize_field("policy", &*self.policy)?;
        r.serialize_field("goal", &self.goal)?;
        r.serialize_field("current", &self.current)?;
        r.serialize_field("target", &self.target)?;
        r.serialize_field("unit", &self.unit)?;
        r.serialize_field("remaining", &self.remaining)?;
        r.serialize_field("text", &self.text())?;
        r.end()
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct PolicyLogs {
    pub policy: String,
    pub lines: Vec<LogLine>,
}

/// The combined, explained result of one purchase or event.
#[derive(Clone, Debug, Serialize)]
pub struct Evaluation {
    pub campaign: String,
    /// The purchase or event id.
    pub id: String,
    pub customer: String,
    pub currency: String,
    #[serde(flatten)]
    pub combined: Combined,
    pub progress: Vec<ProgressReport>,
    pub failures: Vec<PolicyFailure>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub inactive: Vec<Inactive>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub logs: Vec<PolicyLogs>,
    /// New state per policy, to store with the rewards. Kept even when the policy's
    /// rewards were suppressed: the policy did see the purchase. Shown as JSON where it
    /// is JSON (SDK policies store JSON), as `{"base64": ...}` otherwise.
    #[serde(rename = "state", skip_serializing_if = "BTreeMap::is_empty", serialize_with = "states_json")]
    pub states: BTreeMap<String, Vec<u8>>,
}

fn states_json<S: serde::Serializer>(states: &BTreeMap<String, Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
    use base64::Engine as _;
    use serde::ser::SerializeMap;
    let mut map = s.serialize_map(Some(states.len()))?;
    for (k, v) in states {
        match serde_json::from_slice::<serde_json::Value>(v) {
            Ok(json) => map.serialize_entry(k, &json)?,
            Err(_) => map.serialize_entry(k, &serde_json::json!({ "base64": base64::engine::general_purpose::STANDARD.encode(v) }))?,
        }
    }
    map.end()
}

impl Evaluation {
    /// The ids of the policies that ran and answered (neither inactive nor failed), in
    /// manifest order: their progress replaces what they reported before.
    pub fn ran<'c>(&self, campaign: &'c Campaign) -> Vec<&'c str> {
        campaign
            .policies
            .iter()
            .map(|p| p.spec.id.as_str())
            .filter(|id| !self.inactive.iter().any(|i| i.policy == *id) && !self.failures.iter().any(|f| f.policy == *id))
            .collect()
    }
}

fn progress_text(goal: &str, remaining: i64, unit: &str) -> String {
    if remaining <= 0 {
        return format!("{goal}: reached");
    }
    match unit {
        "money" => format!("{} more to spend for {goal}", perk_sdk::money(remaining)),
        "purchases" if remaining == 1 => format!("1 more purchase to {goal}"),
        "purchases" => format!("{remaining} more purchases to {goal}"),
        other => format!("{remaining} more {other} to {goal}"),
    }
}

/// Why a policy does not take part in an evaluation at `at` on `channel` (`None` for
/// events: channels describe where purchases happen), if it does not.
fn inactive_reason(p: &LoadedPolicy, at: i64, channel: Option<&str>) -> Option<String> {
    let s = &p.spec;
    if s.starts.is_some_and(|t| at < t) {
        return Some("not started yet".into());
    }
    if s.ends.is_some_and(|t| at >= t) {
        return Some("ended".into());
    }
    match channel {
        Some(ch) if !s.active(at, ch) => Some(format!("channel `{ch}` is not one of {}", s.channels.join(", "))),
        _ => None,
    }
}

/// Evaluates a purchase against the campaign.
pub fn purchase(campaign: &Campaign, purchase: &Purchase, sit: Situation) -> Evaluation {
    let input = Input::purchase(purchase, sit.customer, sit.now, sit.variant, sit.detail);
    run(campaign, &purchase.id, &purchase.customer_id, purchase, purchase.at, Some(&purchase.channel), sit, &input)
}

/// Evaluates an activity event. Its rewards combine as for a purchase of nothing, so
/// discounts have nothing to apply to.
pub fn event(campaign: &Campaign, event: &Event, sit: Situation) -> Evaluation {
    let nothing = Purchase {
        id: event.id.clone(),
        customer_id: event.customer_id.clone(),
        at: event.at,
        currency: campaign.manifest.campaign.currency.clone(),
        ..Default::default()
    };
    let input = Input::event(event, sit.customer, sit.now, sit.variant, sit.detail);
    run(campaign, &event.id, &event.customer_id, &nothing, event.at, None, sit, &input)
}

/// Evaluates purchases of different customers together, with the answers [`purchase`] gives
/// each of them: every policy gets its calls as one batch (`BoundPolicy::call_batch`), so
/// a replay pays the sandbox crossing once per policy for many purchases. The purchases
/// must not depend on each other: distinct customers, and no budget shared between them.
pub fn purchases(campaign: &Campaign, items: &[(&Purchase, Situation)]) -> Vec<Evaluation> {
    let inputs: Vec<Input> = items.iter().map(|(p, sit)| Input::purchase(p, sit.customer, sit.now, sit.variant, sit.detail)).collect();
    let mut gathered: Vec<Gathered> = items.iter().map(|_| Gathered::default()).collect();
    let mut calls = Vec::with_capacity(items.len());
    let mut whose = Vec::with_capacity(items.len());
    for p in &campaign.policies {
        calls.clear();
        whose.clear();
        for (k, (purchase, sit)) in items.iter().enumerate() {
            match inactive_reason(p, purchase.at, Some(&purchase.channel)) {
                Some(why) => gathered[k].inactive(p, why),
                None => {
                    calls.push((&inputs[k], sit.states.get(&p.spec.id).map(Vec::as_slice).unwrap_or_default()));
                    whose.push(k);
                }
            }
        }
        let span = tracing::debug_span!("policy", id = %p.spec.id, version = p.module.short_hash(), calls = calls.len());
        let _enter = span.enter();
        for (&k, answer) in whose.iter().zip(p.bound.call_batch(&calls, p.spec.isolation)) {
            gathered[k].answer(p, items[k].1.variant, answer);
        }
    }
    gathered.into_iter().zip(items).map(|(g, (p, sit))| g.finish(campaign, &p.id, &p.customer_id, p, *sit)).collect()
}

#[allow(clippy::too_many_arguments)]
fn run(
    campaign: &Campaign,
    id: &str,
    customer_id: &str,
    order: &Purchase,
    at: i64,
    channel: Option<&str>,
    sit: Situation,
    input: &Input,
) -> Evaluation {
    let mut g = Gathered::default();
    for p in &campaign.policies {
        if let Some(why) = inactive_reason(p, at, channel) {
            g.inactive(p, why);
            continue;
        }
        let state = sit.states.get(&p.spec.id).map(Vec::as_slice).unwrap_or_default();
        let span = tracing::debug_span!("policy", id = %p.spec.id, version = p.module.short_hash());
        let _enter = span.enter();
        g.answer(p, sit.variant, p.bound.call(input, state, p.spec.isolation));
    }
    g.finish(campaign, id, customer_id, order, sit)
}

/// What the policies of one evaluation answered, in manifest order, before combining.
#[derive(Default)]
struct Gathered {
    candidates: Vec<Candidate>,
    failures: Vec<PolicyFailure>,
    inactive: Vec<Inactive>,
    progress: Vec<ProgressReport>,
    logs: Vec<PolicyLogs>,
    states: BTreeMap<String, Vec<u8>>,
}

impl Gathered {
    fn inactive(&mut self, p: &LoadedPolicy, why: String) {
        self.inactive.push(Inactive { policy: p.spec.id.clone(), why });
    }

    fn answer(&mut self, p: &LoadedPolicy, variant: Option<&str>, answer: Result<Evaluated, Failure>) {
        match answer {
            Ok(Evaluated { outcome, logs: lines }) => {
                if !lines.is_empty() {
                    self.logs.push(PolicyLogs { policy: p.spec.id.clone(), lines });
                }
                for pr in outcome.progress {
                    let remaining = pr.remaining();
                    self.progress.push(ProgressReport {
                        policy: p.names.id.clone(),
                        goal: pr.goal,
                        current: pr.current,
                        target: pr.target,
                        unit: pr.unit,
                        remaining,
                    });
                }
                if let Some(s) = outcome.state {
                    self.states.insert(p.spec.id.clone(), s);
                }
                self.candidates.push(Candidate {
                    policy: p.names.id.clone(),
                    version: p.names.version.clone(),
                    variant: variant.map(str::to_string),
                    group: p.names.group.clone(),
                    priority: p.spec.priority,
                    exclusive: p.spec.exclusive,
                    rewards: outcome.rewards,
                });
            }
            Err(failure) => {
                tracing::warn!(policy = %p.spec.id, kind = ?failure.kind, "policy failed: {}", failure.message);
                self.failures.push(PolicyFailure { policy: p.spec.id.clone(), version: p.module.hash().to_string(), failure });
            }
        }
    }

    fn finish(self, campaign: &Campaign, id: &str, customer_id: &str, order: &Purchase, sit: Situation) -> Evaluation {
        let m = &campaign.manifest;
        let mut rules = Rules::new(&m.groups, m.campaign.point_value);
        if let Some(left) = sit.budget_left {
            rules.budget_left = left;
        }
        let combined = combine::combine(&self.candidates, order, &rules);
        Evaluation {
            campaign: m.campaign.name.clone(),
            id: id.to_string(),
            customer: customer_id.to_string(),
            currency: m.campaign.currency.clone(),
            combined,
            progress: self.progress,
            failures: self.failures,
            inactive: self.inactive,
            logs: self.logs,
            states: self.states,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::progress_text;

    #[test]
    fn progress_reads_like_a_sentence() {
        assert_eq!(progress_text("free coffee", 2, "purchases"), "2 more purchases to free coffee");
        assert_eq!(progress_text("free coffee", 1, "purchases"), "1 more purchase to free coffee");
        assert_eq!(progress_text("gold tier", 1250, "money"), "12.50 more to spend for gold tier");
        assert_eq!(progress_text("gold tier", 0, "money"), "gold tier: reached");
        assert_eq!(progress_text("badge", 3, "reviews"), "3 more reviews to badge");
    }
}
