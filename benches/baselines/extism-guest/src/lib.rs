//! The three benchmark policies as one Extism plugin: the same policy crates Perk loads as
//! components, called the way an Extism host calls a plugin — JSON in, JSON out. Each
//! policy's config comes from the plugin's config (`points`, `punch-card`, `cashback`, as
//! JSON) and is parsed once per plugin instance, as Perk parses it once per instance.

use extism_pdk::*;
use perk_sdk::{Context, Customer, Outcome, Policy, Purchase};
use serde::Deserialize;
use std::cell::OnceCell;

#[derive(Deserialize)]
struct Call {
    policy: String,
    purchase: Purchase,
    customer: Customer,
    #[serde(default)]
    now: i64,
    /// The policy's stored state for this customer (its JSON text).
    #[serde(default)]
    state: String,
}

thread_local! {
    static POINTS: OnceCell<<perk_policy_points::Points as Policy>::Config> = const { OnceCell::new() };
    static PUNCH: OnceCell<<perk_policy_punch_card::PunchCard as Policy>::Config> = const { OnceCell::new() };
    static CASHBACK: OnceCell<<perk_policy_cashback::Cashback as Policy>::Config> = const { OnceCell::new() };
}

fn run<P: Policy>(
    cell: &'static std::thread::LocalKey<OnceCell<P::Config>>,
    key: &str,
    call: &Call,
    ctx: &Context,
) -> Result<Outcome, Error> {
    cell.with(|c| {
        if c.get().is_none() {
            let json = config::get(key)?.ok_or_else(|| Error::msg(format!("no `{key}` in the plugin config")))?;
            let parsed = perk_sdk::parse_config::<P>(&json).map_err(|e| Error::msg(e.to_string()))?;
            let _ = c.set(parsed);
        }
        let config = c.get().expect("set above");
        P::on_purchase(config, &call.purchase, &call.customer, ctx).map_err(|e| Error::msg(e.to_string()))
    })
}

#[plugin_fn]
pub fn on_purchase(input: String) -> FnResult<String> {
    let call: Call = serde_json::from_str(&input)?;
    let ctx = Context { now: call.now, policy_id: call.policy.clone(), variant: None, state: perk_sdk::wire::state_to_wire(call.state.as_bytes()).map_err(|e| Error::msg(e.to_string()))? };
    let outcome = match call.policy.as_str() {
        "points" => run::<perk_policy_points::Points>(&POINTS, "points", &call, &ctx)?,
        "punch-card" => run::<perk_policy_punch_card::PunchCard>(&PUNCH, "punch-card", &call, &ctx)?,
        "cashback" => run::<perk_policy_cashback::Cashback>(&CASHBACK, "cashback", &call, &ctx)?,
        other => return Err(WithReturnCode::new(Error::msg(format!("unknown policy `{other}`")), 1)),
    };
    Ok(serde_json::to_string(&outcome)?)
}
