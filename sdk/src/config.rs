//! Building blocks for policy configs: percentages without floats, and "a reward" as a
//! marketer writes it in `perk.toml`.

#[allow(unused_imports)]
use crate::__alloc::*;
use crate::{Money, Reward};
use core::fmt;
use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

/// A percentage held as basis points (1 % = 100). Written in TOML as `5` or `2.5`
/// (at most two decimals, between 0 and 100); never a float after parsing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Percent(u32);

impl Percent {
    pub const fn from_basis_points(bp: u32) -> Self {
        Percent(bp)
    }

    pub fn basis_points(self) -> u32 {
        self.0
    }

    /// This share of `amount`, rounded down.
    pub fn of(self, amount: Money) -> Money {
        ((amount as i128 * self.0 as i128) / 10_000) as Money
    }
}

#[cfg(all(feature = "schema", not(target_arch = "wasm32")))]
impl schemars::JsonSchema for Percent {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Percent".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "number",
            "minimum": 0,
            "maximum": 100,
            "multipleOf": 0.01,
            "description": "A percentage such as 5 or 2.5 (held as basis points)."
        })
    }
}

/// `5%`, `2.5%`, `12.05%` (written by its [`Piece`](crate::text::Piece), without `core::fmt`).
impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::text!(self))
    }
}

impl<'de> Deserialize<'de> for Percent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Percent;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a percentage from 0 to 100, such as 5 or 2.5")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Percent, E> {
                if v > 100 {
                    return Err(E::custom(crate::text::concat(&[crate::text::decimal(&mut [0; 21], false, v), " is over 100 percent"])));
                }
                Ok(Percent(v as u32 * 100))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Percent, E> {
                if v < 0 {
                    return Err(E::custom(crate::text::concat(&[
                        crate::text::decimal(&mut [0; 21], true, v.unsigned_abs()),
                        " is a negative percentage",
                    ])));
                }
                self.visit_u64(v as u64)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Percent, E> {
                let bp = v * 100.0;
                // The messages do not print `v`: float formatting would add kilobytes to
                // every guest.
                if !(0.0..=10_000.0).contains(&bp) {
                    return Err(E::custom("a percentage must be between 0 and 100"));
                }
                // Rounded half up (`bp` is not negative here) without `f64::round`, which
                // needs `std`.
                let nearest = (bp + 0.5) as u32;
                let off = bp - nearest as f64;
                if !(-1e-6..=1e-6).contains(&off) {
                    return Err(E::custom("a percentage has at most two decimals"));
                }
                Ok(Percent(nearest))
            }
        }
        d.deserialize_any(V)
    }
}

/// One reward, written in a config as a table with one key:
/// `{ points = 100 }`, `{ discount = 5000 }`, `{ percent_off = 10 }`, `{ cashback = 2000 }`,
/// `{ free_shipping = true }`, `{ badge = "early bird" }`, `{ perk = "lounge access" }`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(all(feature = "schema", not(target_arch = "wasm32")), derive(schemars::JsonSchema))]
#[cfg_attr(all(feature = "schema", not(target_arch = "wasm32")), serde(rename_all = "snake_case", deny_unknown_fields))]
pub enum RewardSpec {
    Points(i64),
    /// Minor units off the order.
    Discount(Money),
    PercentOff(Percent),
    Cashback(Money),
    FreeShipping(bool),
    Badge(String),
    Perk(String),
}

/// The variants' names, in declaration order.
const REWARD_VARIANTS: &[&str] = &["points", "discount", "percent_off", "cashback", "free_shipping", "badge", "perk"];

/// Written by hand, as the derive would read it (same messages) but smaller: the three
/// money variants share one `i64` read and the two names one `String` read, and the variant
/// name is looked up in a table (this is in every policy with a reward).
impl<'de> Deserialize<'de> for RewardSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        /// The variant's index in `REWARD_VARIANTS`.
        struct Tag(usize);
        impl<'de> Deserialize<'de> for Tag {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct TagV;
                impl Visitor<'_> for TagV {
                    type Value = Tag;
                    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                        f.write_str("variant identifier")
                    }
                    fn visit_str<E: de::Error>(self, v: &str) -> Result<Tag, E> {
                        match REWARD_VARIANTS.iter().position(|n| *n == v) {
                            Some(i) => Ok(Tag(i)),
                            None => Err(E::unknown_variant(v, REWARD_VARIANTS)),
                        }
                    }
                }
                d.deserialize_identifier(TagV)
            }
        }
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RewardSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("enum RewardSpec")
            }
            fn visit_enum<A: de::EnumAccess<'de>>(self, a: A) -> Result<RewardSpec, A::Error> {
                use de::VariantAccess;
                let (Tag(tag), v) = a.variant::<Tag>()?;
                Ok(match tag {
                    2 => RewardSpec::PercentOff(v.newtype_variant()?),
                    4 => RewardSpec::FreeShipping(v.newtype_variant()?),
                    5 | 6 => {
                        let name: String = v.newtype_variant()?;
                        if tag == 5 {
                            RewardSpec::Badge(name)
                        } else {
                            RewardSpec::Perk(name)
                        }
                    }
                    _ => {
                        let n: i64 = v.newtype_variant()?;
                        match tag {
                            0 => RewardSpec::Points(n),
                            1 => RewardSpec::Discount(n),
                            _ => RewardSpec::Cashback(n),
                        }
                    }
                })
            }
        }
        d.deserialize_enum("RewardSpec", REWARD_VARIANTS, V)
    }
}

impl RewardSpec {
    /// Checks amounts; `key` names the config key in the message.
    pub fn validate(&self, key: &str) -> crate::Result<()> {
        let bad = match self {
            RewardSpec::Points(n) if *n < 0 => Some("points must not be negative"),
            RewardSpec::Discount(n) | RewardSpec::Cashback(n) if *n < 0 => Some("amount must not be negative"),
            RewardSpec::FreeShipping(false) => Some("`free_shipping = false` gives nothing"),
            RewardSpec::Badge(s) | RewardSpec::Perk(s) if s.trim().is_empty() => Some("name must not be empty"),
            _ => None,
        };
        match bad {
            Some(m) => Err(crate::Error::from(crate::text::concat(&["`", key, "`: ", m]))),
            None => Ok(()),
        }
    }

    pub fn reward(&self) -> Reward {
        match self {
            RewardSpec::Points(amount) => Reward::Points { amount: *amount },
            RewardSpec::Discount(amount) => Reward::OrderDiscount { amount: *amount },
            RewardSpec::PercentOff(p) => Reward::PercentDiscount { basis_points: p.basis_points() },
            RewardSpec::Cashback(amount) => Reward::Cashback { amount: *amount },
            RewardSpec::FreeShipping(_) => Reward::FreeShipping,
            RewardSpec::Badge(name) => Reward::Badge { name: name.clone() },
            RewardSpec::Perk(name) => Reward::Perk { name: name.clone() },
        }
    }
}

impl RewardSpec {
    /// What it gives, for a reason: `100 points`, `5.00 off`, `15% off`, `the `x` badge`
    /// (also its `Display` and its [`Piece`](crate::text::Piece) in `text!`).
    pub fn label(&self) -> String {
        use crate::text;
        match self {
            RewardSpec::Points(n) => text!(n, " points"),
            RewardSpec::Discount(n) => text!(crate::money(*n), " off"),
            RewardSpec::PercentOff(p) => text!(p, " off"),
            RewardSpec::Cashback(n) => text!(crate::money(*n), " cashback"),
            RewardSpec::FreeShipping(_) => "free shipping".into(),
            RewardSpec::Badge(b) => text!("the `", b, "` badge"),
            RewardSpec::Perk(p) => p.clone(),
        }
    }
}

impl fmt::Display for RewardSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pct(json: &str) -> Result<Percent, String> {
        crate::json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn percentages_parse_to_basis_points() {
        assert_eq!(pct("5").unwrap().basis_points(), 500);
        assert_eq!(pct("2.5").unwrap().basis_points(), 250);
        assert_eq!(pct("0.1").unwrap().basis_points(), 10);
        assert_eq!(pct("100").unwrap().basis_points(), 10_000);
        assert!(pct("101").unwrap_err().contains("over 100"));
        assert!(pct("-1").unwrap_err().contains("negative"));
        assert!(pct("2.555").unwrap_err().contains("two decimals"));
        assert_eq!(Percent::from_basis_points(250).to_string(), "2.5%");
        assert_eq!(Percent::from_basis_points(1205).to_string(), "12.05%");
        assert_eq!(Percent::from_basis_points(250).of(999), 24);
    }

    #[test]
    fn rewards_are_one_key_tables() {
        let r: RewardSpec = crate::json::from_str(r#"{"percent_off": 15}"#).unwrap();
        assert_eq!(r.reward(), Reward::PercentDiscount { basis_points: 1500 });
        assert_eq!(r.to_string(), "15% off");
        assert!(crate::json::from_str::<RewardSpec>(r#"{"pointz": 1}"#).is_err());
        #[derive(Deserialize, Debug, PartialEq)]
        #[serde(rename_all = "snake_case", deny_unknown_fields)]
        enum Derived {
            Points(i64),
            Discount(Money),
            PercentOff(Percent),
            Cashback(Money),
            FreeShipping(bool),
            Badge(String),
            Perk(String),
        }
        #[derive(Deserialize, Debug)]
        #[allow(dead_code)]
        struct Hand {
            r: Option<RewardSpec>,
        }
        #[derive(Deserialize, Debug)]
        #[allow(dead_code)]
        struct Derive {
            r: Option<Derived>,
        }
        // The hand-written reader reads and rejects as the derived one did.
        for json in [
            r#"{"points": 5}"#,
            r#"{"discount": -3}"#,
            r#"{"percent_off": 2.5}"#,
            r#"{"cashback": 7}"#,
            r#"{"free_shipping": true}"#,
            r#"{"badge": "b"}"#,
            r#"{"perk": "p"}"#,
            r#"{"pointz": 1}"#,
            r#"{"points": "5"}"#,
            r#"{"percent_off": 101}"#,
            r#"{"badge": 1}"#,
            r#"{"free_shipping": 1}"#,
            r#""points""#,
            r#""nope""#,
            r#"5"#,
            r#"{"points": 1, "badge": "x"}"#,
            r#"{}"#,
            r#"[1]"#,
            r#"null"#,
        ] {
            let hand = crate::json::from_str::<RewardSpec>(json).map(|r| r.to_string()).map_err(|e| e.to_string());
            let derived = crate::json::from_str::<Derived>(json).map(|d| format!("{d:?}")).map_err(|e| e.to_string());
            assert_eq!(hand.is_ok(), derived.is_ok(), "{json}: {hand:?} vs {derived:?}");
            if let (Err(h), Err(d)) = (&hand, &derived) {
                assert_eq!(h, d, "{json}");
            }
            let text = format!(r#"{{"r": {json}}}"#);
            let hand = crate::json::from_str::<Hand>(&text).map(drop).map_err(|e| e.to_string());
            let derived = crate::json::from_str::<Derive>(&text).map(drop).map_err(|e| e.to_string());
            assert_eq!(hand, derived, "{text}");
        }
        let r: RewardSpec = crate::json::from_str(r#"{"cashback": 7}"#).unwrap();
        assert_eq!(r, RewardSpec::Cashback(7));
        let r: RewardSpec = crate::json::from_str(r#"{"perk": "p"}"#).unwrap();
        assert_eq!(r, RewardSpec::Perk("p".into()));
        assert!(RewardSpec::Points(-1).validate("reward").unwrap_err().message().starts_with("`reward`"));
    }
}
