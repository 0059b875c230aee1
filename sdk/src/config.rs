//! Building blocks for policy configs: percentages without floats, and "a reward" as a
//! marketer writes it in `perk.toml`.

#[allow(unused_imports)]
use crate::__alloc::*;
use crate::json::{self, FromJson, Value};
use crate::{text, Money, Reward};
use core::fmt;

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

    /// This share of `amount`, rounded toward zero.
    pub fn of(self, amount: Money) -> Money {
        // `amount × bp / 10 000` exactly, without 128-bit arithmetic (a software division in
        // a guest): with `amount = 10 000·q + r`, it is `q·bp + r·bp / 10 000`, and neither
        // product overflows (`bp` is at most 10 000).
        let bp = self.0 as Money;
        amount / 10_000 * bp + amount % 10_000 * bp / 10_000
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

impl FromJson for Percent {
    fn from_json(value: Value) -> json::Result<Self> {
        let mut buf = [0; 21];
        let message: &[&str] = match value {
            Value::Int(n @ 0..=100) => return Ok(Percent(n as u32 * 100)),
            Value::Int(n) if n < 0 => &[text::decimal(&mut buf, true, n.unsigned_abs()), " is a negative percentage"],
            Value::Int(n) => &[text::decimal(&mut buf, false, n as u64), " is over 100 percent"],
            Value::Float(v) => {
                let bp = v * 100.0;
                // The messages do not print `v`: float formatting would add kilobytes to
                // every guest.
                if !(0.0..=10_000.0).contains(&bp) {
                    return Err(json::Error::new("a percentage must be between 0 and 100"));
                }
                // Rounded half up (`bp` is not negative here) without `f64::round`, which
                // needs `std`.
                let nearest = (bp + 0.5) as u32;
                let off = bp - nearest as f64;
                if !(-1e-6..=1e-6).contains(&off) {
                    return Err(json::Error::new("a percentage has at most two decimals"));
                }
                return Ok(Percent(nearest));
            }
            v => return Err(v.invalid_type("a percentage from 0 to 100, such as 5 or 2.5")),
        };
        Err(json::Error::new(text::concat(message)))
    }
}

/// One reward, written in a config as a table with one key:
/// `{ points = 100 }`, `{ discount = 5000 }`, `{ percent_off = 10 }`, `{ cashback = 2000 }`,
/// `{ free_shipping = true }`, `{ badge = "early bird" }`, `{ perk = "lounge access" }`.
#[derive(Clone, Debug, PartialEq, Eq)]
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

/// Written by hand: an object with exactly one of the keys, each with its type. The derive's
/// `oneOf` of seven one-key objects says the same in 2.5 times the text, and the schema is
/// embedded in every module with a reward (`describe`).
#[cfg(all(feature = "schema", not(target_arch = "wasm32")))]
impl schemars::JsonSchema for RewardSpec {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "RewardSpec".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let percent = generator.subschema_for::<Percent>();
        schemars::json_schema!({
            "description": "One reward, a table with one key: `{ points = 100 }`, `{ discount = 5000 }` (minor units off the order), `{ percent_off = 10 }`, `{ cashback = 2000 }`, `{ free_shipping = true }`, `{ badge = \"early bird\" }` or `{ perk = \"lounge access\" }`.",
            "type": "object",
            "properties": {
                "points": { "type": "integer" },
                "discount": { "type": "integer" },
                "percent_off": percent,
                "cashback": { "type": "integer" },
                "free_shipping": { "type": "boolean" },
                "badge": { "type": "string" },
                "perk": { "type": "string" }
            },
            "additionalProperties": false,
            "minProperties": 1,
            "maxProperties": 1
        })
    }
}

/// The variants' names, in declaration order.
const REWARD_VARIANTS: &[&str] = &["points", "discount", "percent_off", "cashback", "free_shipping", "badge", "perk"];

/// `{ points = 100 }`: the one key names the variant; the three money variants share one
/// integer read and the two names one string read (this is in every policy with a reward).
impl FromJson for RewardSpec {
    fn from_json(value: Value) -> json::Result<Self> {
        let (tag, v) = json::variant_with_value(value, "enum RewardSpec", REWARD_VARIANTS)?;
        let read = || -> json::Result<RewardSpec> {
            Ok(match tag {
                2 => RewardSpec::PercentOff(Percent::from_json(v)?),
                4 => RewardSpec::FreeShipping(bool::from_json(v)?),
                5 | 6 => {
                    let name = String::from_json(v)?;
                    if tag == 5 {
                        RewardSpec::Badge(name)
                    } else {
                        RewardSpec::Perk(name)
                    }
                }
                _ => {
                    let n = i64::from_json(v)?;
                    match tag {
                        0 => RewardSpec::Points(n),
                        1 => RewardSpec::Discount(n),
                        _ => RewardSpec::Cashback(n),
                    }
                }
            })
        };
        read().map_err(|e| e.in_key(REWARD_VARIANTS[tag]))
    }
}

impl RewardSpec {
    /// Checks amounts; `key` names the config key in the message.
    pub fn validate(&self, key: &str) -> crate::Result<()> {
        let bad = match self {
            RewardSpec::Points(n) if *n < 0 => Some("points must not be negative"),
            RewardSpec::Discount(n) | RewardSpec::Cashback(n) if *n < 0 => Some("amount must not be negative"),
            RewardSpec::FreeShipping(false) => Some("`free_shipping = false` gives nothing"),
            RewardSpec::Badge(s) | RewardSpec::Perk(s) if text::is_blank(s) => Some("name must not be empty"),
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
        // Pieces joined by one `concat` (this is in every policy with a reward; a `text!`
        // per variant was a kilobyte more).
        let mut buf = [0; 21];
        let owned: String;
        let pieces: [&str; 3] = match self {
            RewardSpec::Points(n) => [text::decimal(&mut buf, *n < 0, n.unsigned_abs()), " points", ""],
            RewardSpec::Discount(n) | RewardSpec::Cashback(n) => {
                owned = crate::money(*n);
                [&owned, if matches!(self, RewardSpec::Discount(_)) { " off" } else { " cashback" }, ""]
            }
            RewardSpec::PercentOff(p) => {
                owned = crate::text!(p);
                [&owned, " off", ""]
            }
            RewardSpec::FreeShipping(_) => ["free shipping", "", ""],
            RewardSpec::Badge(b) => ["the `", b, "` badge"],
            RewardSpec::Perk(p) => [p, "", ""],
        };
        text::concat(&pieces)
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
    use crate::FromJson;

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
        for amount in [0, 1, -1, 999, -999, 10_000, 123_456_789, -123_456_789, Money::MAX, Money::MIN, Money::MAX - 9_999] {
            for bp in [0, 1, 250, 9_999, 10_000] {
                let exact = (amount as i128 * bp as i128 / 10_000) as Money;
                assert_eq!(Percent(bp).of(amount), exact, "{bp} bp of {amount}");
            }
        }
    }

    #[test]
    fn rewards_are_one_key_tables() {
        let r: RewardSpec = crate::json::from_str(r#"{"percent_off": 15}"#).unwrap();
        assert_eq!(r.reward(), Reward::PercentDiscount { basis_points: 1500 });
        assert_eq!(r.to_string(), "15% off");
        #[derive(FromJson, Debug)]
        #[allow(dead_code)]
        struct Holder {
            r: Option<RewardSpec>,
        }
        let read = |json: &str| crate::json::from_str::<Holder>(&format!(r#"{{"r": {json}}}"#)).map(|h| h.r).map_err(|e| e.to_string());
        for (json, want) in [
            (r#"{"points": 5}"#, RewardSpec::Points(5)),
            (r#"{"discount": -3}"#, RewardSpec::Discount(-3)),
            (r#"{"percent_off": 2.5}"#, RewardSpec::PercentOff(Percent(250))),
            (r#"{"cashback": 7}"#, RewardSpec::Cashback(7)),
            (r#"{"free_shipping": true}"#, RewardSpec::FreeShipping(true)),
            (r#"{"badge": "b"}"#, RewardSpec::Badge("b".into())),
            (r#"{"perk": "p"}"#, RewardSpec::Perk("p".into())),
        ] {
            assert_eq!(read(json), Ok(Some(want)), "{json}");
        }
        assert_eq!(read("null"), Ok(None));
        for (json, error) in [
            (r#"{"pointz": 1}"#, "`r.pointz`: unknown variant `pointz`, expected one of `points`, `discount`, `percent_off`, `cashback`, `free_shipping`, `badge`, `perk`"),
            (r#"{"points": "5"}"#, "`r.points`: invalid type: string \"5\", expected i64"),
            (r#"{"percent_off": 101}"#, "`r.percent_off`: 101 is over 100 percent"),
            (r#"{"badge": 1}"#, "`r.badge`: invalid type: integer `1`, expected a string"),
            (r#"{"free_shipping": 1}"#, "`r.free_shipping`: invalid type: integer `1`, expected a boolean"),
            (r#""points""#, "`r`: invalid type: string \"points\", expected enum RewardSpec"),
            (r#"5"#, "`r`: invalid type: integer `5`, expected enum RewardSpec"),
            (r#"{"points": 1, "badge": "x"}"#, "`r`: invalid value: an object with several keys, expected enum RewardSpec"),
            (r#"{}"#, "`r`: invalid value: an object with no keys, expected enum RewardSpec"),
            (r#"[1]"#, "`r`: invalid type: an array, expected enum RewardSpec"),
        ] {
            assert_eq!(read(json), Err(error.to_string()), "{json}");
        }
        assert!(RewardSpec::Points(-1).validate("reward").unwrap_err().message().starts_with("`reward`"));
        let labels = [
            (RewardSpec::Points(5), "5 points"),
            (RewardSpec::Points(-5), "-5 points"),
            (RewardSpec::Discount(500), "5.00 off"),
            (RewardSpec::PercentOff(Percent(250)), "2.5% off"),
            (RewardSpec::Cashback(701), "7.01 cashback"),
            (RewardSpec::FreeShipping(true), "free shipping"),
            (RewardSpec::Badge("b".into()), "the `b` badge"),
            (RewardSpec::Perk("lounge".into()), "lounge"),
        ];
        for (r, label) in labels {
            assert_eq!((r.label(), crate::text!(r)), (label.to_string(), label.to_string()));
        }
    }
}
