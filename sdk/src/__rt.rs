//! Glue the `#[policy]` attribute expands to. Not a public API.

use crate::{Outcome, Policy, Result};

/// Lets a policy function return either `Outcome` or `Result<Outcome, E>`.
pub trait IntoOutcome {
    fn into_outcome(self) -> Result<Outcome>;
}

impl IntoOutcome for Outcome {
    fn into_outcome(self) -> Result<Outcome> {
        Ok(self)
    }
}

impl<E: std::fmt::Display> IntoOutcome for std::result::Result<Outcome, E> {
    fn into_outcome(self) -> Result<Outcome> {
        self.map_err(crate::Error::msg)
    }
}

/// The JSON `describe` answers (written out by hand: `serde_json::Value` would add its
/// whole machinery to every guest).
pub fn describe(name: &str, version: &str, description: &str, config_schema: &str) -> String {
    let s = |v: &str| serde_json::to_string(v).unwrap_or_default();
    let schema = if config_schema.trim().is_empty() { "null" } else { config_schema.trim() };
    format!(
        r#"{{"name":{},"version":{},"description":{},"sdk":{},"config_schema":{}}}"#,
        s(name),
        s(version),
        s(description.trim()),
        s(env!("CARGO_PKG_VERSION")),
        schema
    )
}

pub fn validate_config<P: Policy>(config: &str) -> Result<(), String> {
    crate::parse_config::<P>(config).map(|_| ()).map_err(|e| e.to_string())
}

#[cfg(target_arch = "wasm32")]
pub use guest::*;

#[cfg(target_arch = "wasm32")]
mod guest {
    use crate::__bindings::perk::policy::types as w;
    use crate::{Context, Customer, Event, LineItem, Policy, Purchase, Reward};

    /// Routes panic messages to the host before the guest aborts.
    fn install_panic_hook() {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            std::panic::set_hook(Box::new(|info| {
                crate::__bindings::log(w::Level::Panic, &info.to_string());
            }))
        });
    }

    fn purchase(p: w::Purchase) -> Purchase {
        Purchase {
            id: p.id,
            customer_id: p.customer_id,
            at: p.at,
            currency: p.currency,
            total: p.total,
            shipping: p.shipping,
            items: p
                .items
                .into_iter()
                .map(|i| LineItem { sku: i.sku, category: i.category, quantity: i.quantity, unit_price: i.unit_price, tags: i.tags })
                .collect(),
            channel: p.channel,
            partner: p.partner,
            coupons: p.coupons,
            attributes: p.attributes,
        }
    }

    fn event(e: w::Event) -> Event {
        Event { id: e.id, customer_id: e.customer_id, at: e.at, kind: e.kind, attributes: e.attributes }
    }

    fn customer(c: w::Customer) -> Customer {
        Customer {
            id: c.id,
            tier: c.tier,
            points: c.points,
            lifetime_spend: c.lifetime_spend,
            purchases: c.purchases,
            first_purchase_at: c.first_purchase_at,
            last_purchase_at: c.last_purchase_at,
            birthday: c.birthday,
            segments: c.segments,
        }
    }

    fn context(ctx: w::Context) -> (Context, String) {
        (Context { now: ctx.now, policy_id: ctx.policy_id, variant: ctx.variant, state: ctx.state }, ctx.config)
    }

    fn reward(r: Reward) -> w::Reward {
        match r {
            Reward::Points { amount } => w::Reward::Points(amount),
            Reward::PointsFor { customer, amount } => w::Reward::PointsFor(w::PointsFor { customer, points: amount }),
            Reward::OrderDiscount { amount } => w::Reward::OrderDiscount(amount),
            Reward::ItemDiscount { sku, amount } => w::Reward::ItemDiscount(w::ItemDiscount { sku, amount }),
            Reward::PercentDiscount { basis_points } => w::Reward::PercentDiscount(basis_points),
            Reward::Cashback { amount } => w::Reward::Cashback(amount),
            Reward::FreeShipping => w::Reward::FreeShipping,
            Reward::Coupon(c) => w::Reward::Coupon(w::Coupon {
                code: c.code,
                percent_off: c.percent_off,
                amount_off: c.amount_off,
                valid_until: c.valid_until,
            }),
            Reward::SetTier { tier } => w::Reward::SetTier(tier),
            Reward::Badge { name } => w::Reward::Badge(name),
            Reward::Perk { name } => w::Reward::Perk(name),
        }
    }

    fn outcome(o: crate::Outcome) -> w::Outcome {
        w::Outcome {
            rewards: o.rewards.into_iter().map(|g| w::Granted { reward: reward(g.reward), reason: g.reason }).collect(),
            state: o.state,
            progress: o
                .progress
                .into_iter()
                .map(|p| w::Progress { goal: p.goal, current: p.current, target: p.target, unit: p.unit })
                .collect(),
        }
    }

    /// Runs one export call in the per-call arena (see `arena.rs`).
    pub fn call<R>(f: impl FnOnce() -> R) -> R {
        install_panic_hook();
        crate::arena::begin_call();
        let r = f();
        crate::arena::end_call();
        r
    }

    /// The parsed config, kept for the instance's life and reparsed only when the JSON
    /// differs from last time. Lives outside the arena.
    struct ConfigCache(std::cell::UnsafeCell<Option<(String, Box<dyn std::any::Any>)>>);
    // SAFETY: wasm32 guests are single-threaded.
    unsafe impl Sync for ConfigCache {}
    static CONFIG: ConfigCache = ConfigCache(std::cell::UnsafeCell::new(None));

    fn with_config<P: Policy, R>(json: &str, f: impl FnOnce(&P::Config) -> Result<R, String>) -> Result<R, String> {
        // SAFETY: single-threaded; the slot is only touched here, and `f` cannot reach it.
        let slot = unsafe { &mut *CONFIG.0.get() };
        let hit = matches!(slot, Some((j, c)) if j == json && c.is::<P::Config>());
        if !hit {
            let parsed = crate::arena::persistent(|| {
                crate::parse_config::<P>(json).map(|c| (json.to_string(), Box::new(c) as Box<dyn std::any::Any>))
            });
            *slot = Some(parsed.map_err(|e| format!("config: {e}"))?);
        }
        let (_, config) = slot.as_ref().expect("filled above");
        f(config.downcast_ref::<P::Config>().expect("type checked above"))
    }

    pub fn on_purchase<P: Policy>(p: w::Purchase, c: w::Customer, ctx: w::Context) -> Result<w::Outcome, String> {
        call(|| {
            let (ctx, config) = context(ctx);
            with_config::<P, _>(&config, |config| {
                P::on_purchase(config, &purchase(p), &customer(c), &ctx).map(outcome).map_err(|e| e.to_string())
            })
        })
    }

    pub fn on_event<P: Policy>(e: w::Event, c: w::Customer, ctx: w::Context) -> Result<w::Outcome, String> {
        call(|| {
            let (ctx, config) = context(ctx);
            with_config::<P, _>(&config, |config| {
                P::on_event(config, &event(e), &customer(c), &ctx).map(outcome).map_err(|e| e.to_string())
            })
        })
    }
}

/// Expands to the component exports for policy type `$ty` (wasm builds only).
#[macro_export]
#[doc(hidden)]
macro_rules! __export_policy {
    ($ty:ty, $description:expr) => {
        #[cfg(target_arch = "wasm32")]
        const _: () = {
            struct __PerkExport;
            impl $crate::__bindings::Guest for __PerkExport {
                fn describe() -> ::std::string::String {
                    $crate::__rt::call(|| {
                        $crate::__rt::describe(
                            env!("CARGO_PKG_NAME"),
                            env!("CARGO_PKG_VERSION"),
                            $description,
                            <$ty as $crate::Policy>::CONFIG_SCHEMA,
                        )
                    })
                }
                fn validate_config(config: ::std::string::String) -> ::std::result::Result<(), ::std::string::String> {
                    $crate::__rt::call(|| $crate::__rt::validate_config::<$ty>(&config))
                }
                fn on_purchase(
                    p: $crate::__bindings::perk::policy::types::Purchase,
                    c: $crate::__bindings::perk::policy::types::Customer,
                    ctx: $crate::__bindings::perk::policy::types::Context,
                ) -> ::std::result::Result<$crate::__bindings::perk::policy::types::Outcome, ::std::string::String> {
                    $crate::__rt::on_purchase::<$ty>(p, c, ctx)
                }
                fn on_event(
                    e: $crate::__bindings::perk::policy::types::Event,
                    c: $crate::__bindings::perk::policy::types::Customer,
                    ctx: $crate::__bindings::perk::policy::types::Context,
                ) -> ::std::result::Result<$crate::__bindings::perk::policy::types::Outcome, ::std::string::String> {
                    $crate::__rt::on_event::<$ty>(e, c, ctx)
                }
            }
    $crate::__bindings::export!(__PerkExport with_types_in $crate::__bindings);
        };
    };
}
