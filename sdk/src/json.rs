//! A small JSON reader and writer for serde, built into every guest instead of serde_json.
//!
//! Policies read JSON twice: their config (once per instance) and their per-customer state
//! (once per call). serde_json is the better library but the bigger one — with its error
//! machinery and float formatting it was about half of every standard policy's module — and
//! a guest needs little of it: no `Value`, no floats beyond parsing a `2.5` percentage, no
//! pretty printing. This module is that little: a `Deserializer` that keeps the key path
//! (`levels[1].min_spend`) for its messages, and a compact `Serializer` for state. Both run
//! natively too, so `cargo test` of a policy parses exactly as the guest does.

#[allow(unused_imports)]
use crate::__alloc::*;
use crate::text::{concat, decimal};
use core::fmt::{self, Display};
use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{self, Serialize};

/// What went wrong, and where: `path` is empty at the top level.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub path: String,
    pub message: String,
}

impl Error {
    /// The message with its path: `` `levels[1].min_spend`: invalid value: … `` (as `Display`).
    pub fn into_message(self) -> String {
        if self.path.is_empty() {
            self.message
        } else {
            concat(&["`", &self.path, "`: ", &self.message])
        }
    }

    fn new(message: String) -> Self {
        Error { path: String::new(), message }
    }
}

// The messages below are serde's default ones, built with one `concat` of their pieces
// rather than with `format_args!` (which pulls `core::fmt`'s padding and integer printing
// into every guest) or `text!` (a few instructions per piece, at every message).

impl Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.path.is_empty() {
            f.write_str("`")?;
            f.write_str(&self.path)?;
            f.write_str("`: ")?;
        }
        f.write_str(&self.message)
    }
}

impl core::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: Display>(msg: T) -> Self {
        Error::new(msg.to_string())
    }

    // serde's defaults print the unexpected value with its `Display`, which for a float
    // pulls float formatting into every guest; these say the same without it.
    fn invalid_type(unexp: de::Unexpected, exp: &dyn de::Expected) -> Self {
        invalid("invalid type: ", unexp, exp)
    }

    fn invalid_value(unexp: de::Unexpected, exp: &dyn de::Expected) -> Self {
        invalid("invalid value: ", unexp, exp)
    }

    fn invalid_length(len: usize, exp: &dyn de::Expected) -> Self {
        let mut buf = [0; 21];
        Error::new(concat(&["invalid length ", decimal(&mut buf, false, len as u64), ", expected ", &expected(exp)]))
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        unknown("unknown variant `", variant, expected, "`, there are no variants")
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        unknown("unknown field `", field, expected, "`, there are no fields")
    }

    fn missing_field(field: &'static str) -> Self {
        Error::new(concat(&["missing field `", field, "`"]))
    }

    fn duplicate_field(field: &'static str) -> Self {
        Error::new(concat(&["duplicate field `", field, "`"]))
    }
}

impl ser::Error for Error {
    fn custom<T: Display>(msg: T) -> Self {
        Error::new(msg.to_string())
    }
}

/// What a visitor expects, as its `expecting` writes it (`u32`, `struct Config`).
fn expected(exp: &dyn de::Expected) -> String {
    struct Show<'a>(&'a dyn de::Expected);
    impl Display for Show<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            self.0.fmt(f)
        }
    }
    /// Only `write_str`: `String`'s own `fmt::Write` adds a `write_char` per guest.
    struct Out(String);
    impl fmt::Write for Out {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            self.0.push_str(s);
            Ok(())
        }
    }
    let mut out = Out(String::new());
    let _ = fmt::write(&mut out, format_args!("{}", Show(exp)));
    out.0
}

/// `` unknown field `minspend`, expected one of `name`, `min_spend` `` (serde's wording).
#[inline(never)]
fn unknown(what: &str, name: &str, expected: &[&str], none: &str) -> Error {
    // One list of pieces joined once: smaller than a branch per shape of the list.
    let n = expected.len();
    let mut pieces = Vec::with_capacity(4 + 2 * n);
    pieces.extend([what, name]);
    pieces.push(match n {
        0 => none,
        1 | 2 => "`, expected `",
        _ => "`, expected one of `",
    });
    for (i, e) in expected.iter().enumerate() {
        if i > 0 {
            pieces.push(if n == 2 { "` or `" } else { "`, `" });
        }
        pieces.push(e);
    }
    if n > 0 {
        pieces.push("`");
    }
    Error::new(concat(&pieces))
}

/// `invalid type: integer `5`, expected a string`.
#[inline(never)]
fn invalid(what: &str, unexp: de::Unexpected, exp: &dyn de::Expected) -> Error {
    use de::Unexpected as U;
    let mut buf = [0; 21];
    let mut char_buf = [0; 4];
    let unexp: [&str; 3] = match unexp {
        U::Bool(b) => ["boolean `", if b { "true" } else { "false" }, "`"],
        U::Unsigned(n) => ["integer `", decimal(&mut buf, false, n), "`"],
        U::Signed(n) => ["integer `", decimal(&mut buf, n < 0, n.unsigned_abs()), "`"],
        U::Float(_) => ["a number with decimals", "", ""],
        U::Char(c) => ["character `", c.encode_utf8(&mut char_buf), "`"],
        U::Str(s) => ["string \"", s, "\""],
        U::Bytes(_) => ["bytes", "", ""],
        U::Unit => ["null", "", ""],
        U::Option => ["an optional value", "", ""],
        U::NewtypeStruct => ["a newtype struct", "", ""],
        U::Seq => ["an array", "", ""],
        U::Map => ["an object", "", ""],
        U::Enum => ["an enum", "", ""],
        U::UnitVariant => ["a unit variant", "", ""],
        U::NewtypeVariant => ["a newtype variant", "", ""],
        U::TupleVariant => ["a tuple variant", "", ""],
        U::StructVariant => ["a struct variant", "", ""],
        U::Other(s) => [s, "", ""],
    };
    Error::new(concat(&[what, unexp[0], unexp[1], unexp[2], ", expected ", &expected(exp)]))
}

pub type Result<T, E = Error> = core::result::Result<T, E>;

/// Parses `text` into `T`; the error names the key path.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T> {
    from_slice(text.as_bytes())
}

pub fn from_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    let mut de = Deserializer { s: bytes, i: 0, path: Vec::new() };
    let value = T::deserialize(&mut de).map_err(|e| de.locate(e))?;
    de.ws();
    if de.i != de.s.len() {
        return Err(de.error("trailing characters after the value"));
    }
    Ok(value)
}

/// A value's first token.
enum Scalar {
    Null,
    Bool(bool),
    Str(String),
    U64(u64),
    I64(i64),
    F64(f64),
    /// `[` read; the elements follow.
    Seq,
    /// `{` read; the entries follow.
    Map,
}

/// One step of the key path.
enum Seg {
    Key(String),
    Index(usize),
}

struct Deserializer<'a> {
    s: &'a [u8],
    i: usize,
    path: Vec<Seg>,
}

/// `10f64.powi(n)` as compiler-rt computes it (`__powidf2`: squaring, then one division
/// for a negative power), without `std`.
fn pow10(n: i32) -> f64 {
    let (mut base, mut bits, mut r) = (10f64, n.unsigned_abs(), 1f64);
    loop {
        if bits & 1 != 0 {
            r *= base;
        }
        bits >>= 1;
        if bits == 0 {
            break;
        }
        base *= base;
    }
    if n < 0 {
        1.0 / r
    } else {
        r
    }
}

impl Deserializer<'_> {
    fn path_string(&self) -> String {
        let mut out = String::new();
        for seg in &self.path {
            match seg {
                Seg::Key(k) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(k);
                }
                Seg::Index(i) => {
                    out.push('[');
                    crate::text::push_u64(&mut out, *i as u64);
                    out.push(']');
                }
            }
        }
        out
    }

    /// Gives an error without a path the path where it happened.
    fn locate(&self, mut e: Error) -> Error {
        if e.path.is_empty() {
            e.path = self.path_string();
        }
        e
    }

    fn error(&self, message: &str) -> Error {
        Error { path: self.path_string(), message: message.into() }
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.s.get(self.i) {
            self.i += 1;
        }
    }

    fn peek(&mut self) -> Result<u8> {
        self.ws();
        self.s.get(self.i).copied().ok_or_else(|| self.error("unexpected end of input"))
    }

    fn expect(&mut self, b: u8, what: &str) -> Result<()> {
        if self.peek()? != b {
            return Err(self.error(what));
        }
        self.i += 1;
        Ok(())
    }

    fn literal(&mut self, word: &[u8]) -> Result<()> {
        if self.s[self.i..].starts_with(word) {
            self.i += word.len();
            Ok(())
        } else {
            Err(self.error("expected a value"))
        }
    }

    /// A string, after its opening quote, with its escapes resolved.
    fn string(&mut self) -> Result<String> {
        let mut out = Vec::new();
        loop {
            let start = self.i;
            while let Some(&b) = self.s.get(self.i) {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.i += 1;
            }
            out.extend_from_slice(&self.s[start..self.i]);
            match self.s.get(self.i) {
                Some(b'"') => {
                    self.i += 1;
                    return String::from_utf8(out).map_err(|_| self.error("string is not UTF-8"));
                }
                Some(b'\\') => {
                    self.i += 1;
                    let esc = *self.s.get(self.i).ok_or_else(|| self.error("unexpected end of input"))?;
                    self.i += 1;
                    let c = match esc {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode_escape()?,
                        _ => return Err(self.error("invalid escape in string")),
                    };
                    let mut buf = [0; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
                Some(_) => return Err(self.error("control character in string")),
                None => return Err(self.error("unterminated string")),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32> {
        let digits = self.s.get(self.i..self.i + 4).ok_or_else(|| self.error("unexpected end of input"))?;
        let mut v = 0;
        for &d in digits {
            v = v * 16 + (d as char).to_digit(16).ok_or_else(|| self.error("invalid \\u escape"))?;
        }
        self.i += 4;
        Ok(v)
    }

    fn unicode_escape(&mut self) -> Result<char> {
        let hi = self.hex4()?;
        let code = if (0xd800..0xdc00).contains(&hi) {
            if self.s.get(self.i..self.i + 2) != Some(b"\\u") {
                return Err(self.error("lone surrogate in \\u escape"));
            }
            self.i += 2;
            let lo = self.hex4()?;
            if !(0xdc00..0xe000).contains(&lo) {
                return Err(self.error("lone surrogate in \\u escape"));
            }
            0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00)
        } else {
            hi
        };
        char::from_u32(code).ok_or_else(|| self.error("invalid \\u escape"))
    }

    /// The next value's first token, parsed without knowing what the caller wants: the
    /// generic code per visited type is then a small dispatch, not a parser (module size).
    #[inline(never)]
    fn scalar(&mut self) -> Result<Scalar> {
        Ok(match self.peek()? {
            b'n' => {
                self.literal(b"null")?;
                Scalar::Null
            }
            b't' => {
                self.literal(b"true")?;
                Scalar::Bool(true)
            }
            b'f' => {
                self.literal(b"false")?;
                Scalar::Bool(false)
            }
            b'"' => {
                self.i += 1;
                Scalar::Str(self.string()?)
            }
            b'[' => {
                self.i += 1;
                Scalar::Seq
            }
            b'{' => {
                self.i += 1;
                Scalar::Map
            }
            b'-' | b'0'..=b'9' => self.number()?,
            _ => return Err(self.error("expected a value")),
        })
    }

    /// A number: an integer when it has no fraction or exponent, else a float computed from
    /// its decimal digits (enough for config values such as `2.5`).
    fn number(&mut self) -> Result<Scalar> {
        let negative = self.s.get(self.i) == Some(&b'-');
        if negative {
            self.i += 1;
        }
        let mut mantissa: u64 = 0;
        let mut digits = 0;
        let mut overflow = false;
        let mut scale: i32 = 0;
        let mut fraction = false;
        while let Some(&b) = self.s.get(self.i) {
            match b {
                b'0'..=b'9' => {
                    match mantissa.checked_mul(10).and_then(|m| m.checked_add((b - b'0') as u64)) {
                        Some(m) => {
                            mantissa = m;
                            if fraction {
                                scale -= 1;
                            }
                        }
                        None if fraction => {}
                        None => {
                            overflow = true;
                            scale += 1;
                        }
                    }
                    digits += 1;
                }
                b'.' if !fraction => fraction = true,
                _ => break,
            }
            self.i += 1;
        }
        if digits == 0 {
            return Err(self.error("expected a value"));
        }
        let mut exponent: i32 = 0;
        let has_exponent = matches!(self.s.get(self.i), Some(b'e' | b'E'));
        if has_exponent {
            self.i += 1;
            let sign = match self.s.get(self.i) {
                Some(b'-') => {
                    self.i += 1;
                    -1
                }
                Some(b'+') => {
                    self.i += 1;
                    1
                }
                _ => 1,
            };
            while let Some(&b @ b'0'..=b'9') = self.s.get(self.i) {
                exponent = exponent.saturating_mul(10).saturating_add((b - b'0') as i32);
                self.i += 1;
            }
            exponent *= sign;
        }
        if !fraction && !has_exponent && !overflow {
            return if negative {
                match i64::try_from(mantissa) {
                    Ok(n) => Ok(Scalar::I64(-n)),
                    Err(_) if mantissa == 1 << 63 => Ok(Scalar::I64(i64::MIN)),
                    Err(_) => Err(self.error("number out of range")),
                }
            } else {
                Ok(Scalar::U64(mantissa))
            };
        }
        let value = mantissa as f64 * pow10(scale.saturating_add(exponent));
        Ok(Scalar::F64(if negative { -value } else { value }))
    }

    /// An array's elements and its closing `]`, after the `[`.
    fn seq<'de, V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value> {
        let value = visitor.visit_seq(Seq { de: &mut *self, index: 0 })?;
        self.expect(b']', "expected `,` or `]`")?;
        Ok(value)
    }

    /// An object's entries and its closing `}`, after the `{`.
    fn map<'de, V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value> {
        let value = visitor.visit_map(Map { de: &mut *self, first: true })?;
        self.expect(b'}', "expected `,` or `}`")?;
        Ok(value)
    }

    /// The error a visitor gives a value of a type it does not take: `invalid type:
    /// string "x", expected u32`. Shared by all visited types (not generic).
    #[inline(never)]
    fn wrong_type(&self, s: Scalar, exp: &dyn de::Expected) -> Error {
        use de::Unexpected as U;
        let unexp = match &s {
            Scalar::Null => U::Unit,
            Scalar::Bool(b) => U::Bool(*b),
            Scalar::Str(s) => U::Str(s),
            Scalar::U64(n) => U::Unsigned(*n),
            Scalar::I64(n) => U::Signed(*n),
            Scalar::F64(n) => U::Float(*n),
            Scalar::Seq => U::Seq,
            Scalar::Map => U::Map,
        };
        de::Error::invalid_type(unexp, exp)
    }

    /// Reads a value and drops it (an unknown field, say): the same checks, errors and key
    /// path as reading it into `IgnoredAny`, without a visitor's generic code. Cold: out of
    /// line and out of the way of the known fields' code (per-call state decoding).
    #[cold]
    fn skip_value(&mut self) -> Result<()> {
        let (close, end) = match self.scalar()? {
            Scalar::Seq => (b']', "expected `,` or `]`"),
            Scalar::Map => (b'}', "expected `,` or `}`"),
            _ => return Ok(()),
        };
        let mut index = 0;
        loop {
            match self.peek()? {
                b if b == close => break,
                b',' if index > 0 => self.i += 1,
                _ if index > 0 => return Err(self.error(end)),
                _ => {}
            }
            if close == b']' {
                self.path.push(Seg::Index(index));
            } else {
                self.expect(b'"', "expected a key")?;
                let key = self.string()?;
                self.path.push(Seg::Key(key));
                self.expect(b':', "expected `:`")?;
            }
            self.skip_value().map_err(|e| self.locate(e))?;
            self.path.pop();
            index += 1;
        }
        self.i += 1;
        Ok(())
    }
}

/// `deserialize_<int>`: integers only (serde's integer visitors check the range).
macro_rules! int_entry_points {
    ($($name:ident)*) => {$(
        fn $name<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
            match self.scalar()? {
                Scalar::U64(n) => visitor.visit_u64(n),
                Scalar::I64(n) => visitor.visit_i64(n),
                s => Err(self.wrong_type(s, &visitor)),
            }
        }
    )*};
}

impl<'de> de::Deserializer<'de> for &mut Deserializer<'_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.scalar()? {
            Scalar::Null => visitor.visit_unit(),
            Scalar::Bool(b) => visitor.visit_bool(b),
            Scalar::Str(s) => visitor.visit_string(s),
            Scalar::U64(n) => visitor.visit_u64(n),
            Scalar::I64(n) => visitor.visit_i64(n),
            Scalar::F64(n) => visitor.visit_f64(n),
            Scalar::Seq => self.seq(visitor),
            Scalar::Map => self.map(visitor),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        if self.peek()? == b'n' {
            self.literal(b"null")?;
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(self, _name: &'static str, _variants: &'static [&'static str], visitor: V) -> Result<V::Value> {
        match self.peek()? {
            // Both forms go through the one `EnumAccess` (`Enum`), so each enum's
            // `visit_enum` is instantiated once, not also for serde's `StrDeserializer`.
            b'"' => {
                self.i += 1;
                let variant = self.string()?;
                visitor.visit_enum(Enum { de: &mut *self, variant, unit: true })
            }
            b'{' => {
                self.i += 1;
                self.expect(b'"', "expected a variant name")?;
                let variant = self.string()?;
                self.expect(b':', "expected `:`")?;
                self.path.push(Seg::Key(variant.clone()));
                let value = visitor.visit_enum(Enum { de: &mut *self, variant, unit: false })?;
                self.path.pop();
                self.expect(b'}', "an enum is an object with one key")?;
                Ok(value)
            }
            _ => Err(self.error("expected a variant name or an object with one key")),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.skip_value()?;
        visitor.visit_unit()
    }

    // The typed entry points visit only what the type accepts and give every other value
    // the error its visitor would (`invalid type: …, expected …`), as `deserialize_any`
    // did: each visited type then compiles to the one branch it needs (module size: a
    // struct's `visit_seq`, an integer's `visit_str`… are no longer instantiated).

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.scalar()? {
            Scalar::Bool(b) => visitor.visit_bool(b),
            s => Err(self.wrong_type(s, &visitor)),
        }
    }

    int_entry_points! {
        deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_i128
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.scalar()? {
            Scalar::U64(n) => visitor.visit_u64(n),
            Scalar::I64(n) => visitor.visit_i64(n),
            Scalar::F64(n) => visitor.visit_f64(n),
            s => Err(self.wrong_type(s, &visitor)),
        }
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_string(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_string(visitor)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.scalar()? {
            Scalar::Str(s) => visitor.visit_string(s),
            s => Err(self.wrong_type(s, &visitor)),
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.scalar()? {
            Scalar::Seq => self.seq(visitor),
            s => Err(self.wrong_type(s, &visitor)),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(self, _name: &'static str, _len: usize, visitor: V) -> Result<V::Value> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.scalar()? {
            Scalar::Map => self.map(visitor),
            s => Err(self.wrong_type(s, &visitor)),
        }
    }

    /// A struct is an object (not also an array of its fields in order, as serde_json
    /// allows: configs and states are always objects, and a struct's `visit_seq` is about
    /// as much code as its `visit_map`).
    fn deserialize_struct<V: Visitor<'de>>(self, _name: &'static str, _fields: &'static [&'static str], visitor: V) -> Result<V::Value> {
        self.deserialize_map(visitor)
    }

    serde::forward_to_deserialize_any! {
        bytes byte_buf unit unit_struct identifier
    }
}

struct Seq<'a, 'b> {
    de: &'a mut Deserializer<'b>,
    index: usize,
}

impl<'de> SeqAccess<'de> for Seq<'_, '_> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        match self.de.peek()? {
            b']' => return Ok(None),
            b',' if self.index > 0 => self.de.i += 1,
            _ if self.index > 0 => return Err(self.de.error("expected `,` or `]`")),
            _ => {}
        }
        self.de.path.push(Seg::Index(self.index));
        let value = seed.deserialize(&mut *self.de).map_err(|e| self.de.locate(e))?;
        self.de.path.pop();
        self.index += 1;
        Ok(Some(value))
    }
}

struct Map<'a, 'b> {
    de: &'a mut Deserializer<'b>,
    first: bool,
}

impl<'de> MapAccess<'de> for Map<'_, '_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        match self.de.peek()? {
            b'}' => return Ok(None),
            b',' if !self.first => self.de.i += 1,
            _ if !self.first => return Err(self.de.error("expected `,` or `}`")),
            _ => {}
        }
        self.first = false;
        self.de.expect(b'"', "expected a key")?;
        let key = self.de.string()?;
        let value = seed.deserialize(key.as_str().into_deserializer()).map_err(|e: Error| self.de.locate(e))?;
        self.de.path.push(Seg::Key(key));
        Ok(Some(value))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value> {
        self.de.expect(b':', "expected `:`")?;
        let value = seed.deserialize(&mut *self.de).map_err(|e| self.de.locate(e))?;
        self.de.path.pop();
        Ok(value)
    }
}

/// An enum's variant: a string (`unit`: no value follows) or an object's one key.
struct Enum<'a, 'b> {
    de: &'a mut Deserializer<'b>,
    variant: String,
    unit: bool,
}

impl Enum<'_, '_> {
    /// A string names only a unit variant (serde's own wording for the others).
    fn not_unit(&self, exp: &'static str) -> Result<()> {
        if self.unit {
            return Err(de::Error::invalid_type(de::Unexpected::UnitVariant, &exp));
        }
        Ok(())
    }
}

impl<'de> de::EnumAccess<'de> for Enum<'_, '_> {
    type Error = Error;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self)> {
        let v = seed.deserialize(self.variant.as_str().into_deserializer()).map_err(|e: Error| self.de.locate(e))?;
        Ok((v, self))
    }
}

impl<'de> de::VariantAccess<'de> for Enum<'_, '_> {
    type Error = Error;

    fn unit_variant(self) -> Result<()> {
        if self.unit {
            return Ok(());
        }
        self.de.skip_value()
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value> {
        self.not_unit("newtype variant")?;
        seed.deserialize(&mut *self.de)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value> {
        self.not_unit("tuple variant")?;
        de::Deserializer::deserialize_seq(&mut *self.de, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(self, _fields: &'static [&'static str], visitor: V) -> Result<V::Value> {
        self.not_unit("struct variant")?;
        de::Deserializer::deserialize_map(&mut *self.de, visitor)
    }
}

// ------------------------------------------------------------------------------ writing

/// Compact JSON of `value`. Map keys must be strings or integers.
pub fn to_vec<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(64);
    value.serialize(&mut Serializer { out: &mut out })?;
    Ok(out)
}

pub fn to_string<T: Serialize + ?Sized>(value: &T) -> Result<String> {
    // SAFETY: the serializer writes only ASCII punctuation, digits and escaped `str`s.
    to_vec(value).map(|v| unsafe { String::from_utf8_unchecked(v) })
}

struct Serializer<'a> {
    out: &'a mut Vec<u8>,
}

fn write_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let esc: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(&s.as_bytes()[start..i]);
        if esc.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(&[b'\\', b'u', b'0', b'0', HEX[(b >> 4) as usize], HEX[(b & 15) as usize]]);
        } else {
            out.extend_from_slice(esc);
        }
        start = i + 1;
    }
    out.extend_from_slice(&s.as_bytes()[start..]);
    out.push(b'"');
}

fn write_int(out: &mut Vec<u8>, negative: bool, v: u64) {
    out.extend_from_slice(crate::text::decimal(&mut [0; 21], negative, v).as_bytes());
}

/// Arrays and objects being written: whether a comma is due.
struct Compound<'a, 'b> {
    ser: &'a mut Serializer<'b>,
    first: bool,
    /// Closing bytes: `]`, `}` or `]}` / `}}` for variants.
    close: &'static [u8],
}

impl Compound<'_, '_> {
    fn comma(&mut self) {
        if !self.first {
            self.ser.out.push(b',');
        }
        self.first = false;
    }
}

impl<'a, 'b> Serializer<'b> {
    fn open(&'a mut self, open: &[u8], close: &'static [u8]) -> Compound<'a, 'b> {
        self.out.extend_from_slice(open);
        Compound { ser: self, first: true, close }
    }

    fn variant_open(&mut self, variant: &str) {
        self.out.push(b'{');
        write_str(self.out, variant);
        self.out.push(b':');
    }
}

/// The narrow integers are written as their 64-bit selves.
macro_rules! narrow_ints_via_64 {
    () => {
        fn serialize_i8(self, v: i8) -> Result<()> {
            self.serialize_i64(v as i64)
        }
        fn serialize_i16(self, v: i16) -> Result<()> {
            self.serialize_i64(v as i64)
        }
        fn serialize_i32(self, v: i32) -> Result<()> {
            self.serialize_i64(v as i64)
        }
        fn serialize_u8(self, v: u8) -> Result<()> {
            self.serialize_u64(v as u64)
        }
        fn serialize_u16(self, v: u16) -> Result<()> {
            self.serialize_u64(v as u64)
        }
        fn serialize_u32(self, v: u32) -> Result<()> {
            self.serialize_u64(v as u64)
        }
    };
}

impl<'a, 'b> ser::Serializer for &'a mut Serializer<'b> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'a, 'b>;
    type SerializeTuple = Compound<'a, 'b>;
    type SerializeTupleStruct = Compound<'a, 'b>;
    type SerializeTupleVariant = Compound<'a, 'b>;
    type SerializeMap = Compound<'a, 'b>;
    type SerializeStruct = Compound<'a, 'b>;
    type SerializeStructVariant = Compound<'a, 'b>;

    fn serialize_bool(self, v: bool) -> Result<()> {
        self.out.extend_from_slice(if v { b"true" } else { b"false" });
        Ok(())
    }
    narrow_ints_via_64!();
    fn serialize_i64(self, v: i64) -> Result<()> {
        write_int(self.out, v < 0, v.unsigned_abs());
        Ok(())
    }
    // 128-bit numbers are formatted by core (only a state that has them pays for it).
    fn serialize_i128(self, v: i128) -> Result<()> {
        self.out.extend_from_slice(v.to_string().as_bytes());
        Ok(())
    }
    fn serialize_u64(self, v: u64) -> Result<()> {
        write_int(self.out, false, v);
        Ok(())
    }
    fn serialize_u128(self, v: u128) -> Result<()> {
        self.out.extend_from_slice(v.to_string().as_bytes());
        Ok(())
    }
    fn serialize_f32(self, v: f32) -> Result<()> {
        self.serialize_f64(v as f64)
    }
    fn serialize_f64(self, v: f64) -> Result<()> {
        if !v.is_finite() {
            return Err(ser::Error::custom("a state or config number must be finite"));
        }
        self.out.extend_from_slice(v.to_string().as_bytes());
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<()> {
        write_str(self.out, v.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<()> {
        write_str(self.out, v);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<()> {
        let mut seq = self.open(b"[", b"]");
        for b in v {
            seq.comma();
            write_int(seq.ser.out, false, *b as u64);
        }
        ser::SerializeSeq::end(seq)
    }
    fn serialize_none(self) -> Result<()> {
        self.serialize_unit()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<()> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<()> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<()> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(self, _name: &'static str, _index: u32, variant: &'static str) -> Result<()> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _name: &'static str, value: &T) -> Result<()> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<()> {
        self.variant_open(variant);
        value.serialize(&mut *self)?;
        self.out.push(b'}');
        Ok(())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq> {
        Ok(self.open(b"[", b"]"))
    }
    fn serialize_tuple(self, len: usize) -> Result<Self::SerializeTuple> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<Self::SerializeTupleStruct> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant> {
        self.variant_open(variant);
        Ok(self.open(b"[", b"]}"))
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap> {
        Ok(self.open(b"{", b"}"))
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Self::SerializeStruct> {
        Ok(self.open(b"{", b"}"))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant> {
        self.variant_open(variant);
        Ok(self.open(b"{", b"}}"))
    }
}

impl ser::SerializeSeq for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.comma();
        value.serialize(&mut *self.ser)
    }
    fn end(self) -> Result<()> {
        self.ser.out.extend_from_slice(self.close);
        Ok(())
    }
}

/// Tuples, tuple structs and tuple variants are written as arrays, like sequences.
macro_rules! as_seq {
    ($($trait:ident :: $method:ident),*) => {$(
        impl ser::$trait for Compound<'_, '_> {
            type Ok = ();
            type Error = Error;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
                ser::SerializeSeq::serialize_element(self, value)
            }
            fn end(self) -> Result<()> {
                ser::SerializeSeq::end(self)
            }
        }
    )*};
}

as_seq!(SerializeTuple::serialize_element, SerializeTupleStruct::serialize_field, SerializeTupleVariant::serialize_field);

impl ser::SerializeMap for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<()> {
        self.comma();
        key.serialize(KeySerializer { out: &mut *self.ser.out })?;
        self.ser.out.push(b':');
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        value.serialize(&mut *self.ser)
    }
    fn end(self) -> Result<()> {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeStruct for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<()> {
        self.comma();
        write_str(self.ser.out, key);
        self.ser.out.push(b':');
        value.serialize(&mut *self.ser)
    }
    fn end(self) -> Result<()> {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeStructVariant for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<()> {
        ser::SerializeStruct::serialize_field(self, key, value)
    }
    fn end(self) -> Result<()> {
        ser::SerializeSeq::end(self)
    }
}

/// Map keys: strings as they are, integers quoted.
struct KeySerializer<'a> {
    out: &'a mut Vec<u8>,
}

impl KeySerializer<'_> {
    fn int(self, negative: bool, v: u64) -> Result<()> {
        self.out.push(b'"');
        write_int(self.out, negative, v);
        self.out.push(b'"');
        Ok(())
    }

    fn text(self, v: impl Display) -> Result<()> {
        self.out.push(b'"');
        self.out.extend_from_slice(v.to_string().as_bytes());
        self.out.push(b'"');
        Ok(())
    }
}

fn key_error<T>() -> Result<T> {
    Err(ser::Error::custom("a map key must be a string or an integer"))
}

impl ser::Serializer for KeySerializer<'_> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = ser::Impossible<(), Error>;
    type SerializeTuple = ser::Impossible<(), Error>;
    type SerializeTupleStruct = ser::Impossible<(), Error>;
    type SerializeTupleVariant = ser::Impossible<(), Error>;
    type SerializeMap = ser::Impossible<(), Error>;
    type SerializeStruct = ser::Impossible<(), Error>;
    type SerializeStructVariant = ser::Impossible<(), Error>;

    fn serialize_str(self, v: &str) -> Result<()> {
        write_str(self.out, v);
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<()> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_unit_variant(self, _name: &'static str, _index: u32, variant: &'static str) -> Result<()> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _name: &'static str, value: &T) -> Result<()> {
        value.serialize(self)
    }
    narrow_ints_via_64!();
    fn serialize_i64(self, v: i64) -> Result<()> {
        self.int(v < 0, v.unsigned_abs())
    }
    fn serialize_i128(self, v: i128) -> Result<()> {
        self.text(v)
    }
    fn serialize_u64(self, v: u64) -> Result<()> {
        self.int(false, v)
    }
    fn serialize_u128(self, v: u128) -> Result<()> {
        self.text(v)
    }
    fn serialize_bool(self, _: bool) -> Result<()> {
        key_error()
    }
    fn serialize_f32(self, _: f32) -> Result<()> {
        key_error()
    }
    fn serialize_f64(self, _: f64) -> Result<()> {
        key_error()
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<()> {
        key_error()
    }
    fn serialize_none(self) -> Result<()> {
        key_error()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<()> {
        key_error()
    }
    fn serialize_unit(self) -> Result<()> {
        key_error()
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<()> {
        key_error()
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(self, _: &'static str, _: u32, _: &'static str, _: &T) -> Result<()> {
        key_error()
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq> {
        key_error()
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple> {
        key_error()
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeTupleStruct> {
        key_error()
    }
    fn serialize_tuple_variant(self, _: &'static str, _: u32, _: &'static str, _: usize) -> Result<Self::SerializeTupleVariant> {
        key_error()
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap> {
        key_error()
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct> {
        key_error()
    }
    fn serialize_struct_variant(self, _: &'static str, _: u32, _: &'static str, _: usize) -> Result<Self::SerializeStructVariant> {
        key_error()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::{Deserialize, Serialize};
    use std::collections::BTreeMap;

    #[test]
    fn pow10_is_powi() {
        for n in -400..=400 {
            assert_eq!(pow10(n).to_bits(), 10f64.powi(n).to_bits(), "10^{n}");
        }
        assert_eq!(from_str::<f64>("2.5e-3").unwrap(), 0.0025);
    }

    #[derive(Debug, Deserialize, Serialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Level {
        name: String,
        min_spend: u32,
        #[serde(default)]
        tags: Vec<String>,
    }

    #[derive(Debug, Deserialize, Serialize, PartialEq)]
    #[serde(rename_all = "snake_case")]
    enum Kind {
        Plain,
        Points(i64),
        Rate { unit: i64 },
    }

    #[derive(Debug, Deserialize, Serialize, PartialEq)]
    struct Config {
        levels: Vec<Level>,
        by: BTreeMap<String, u32>,
        kinds: Vec<Kind>,
        note: Option<String>,
        ratio: f64,
        big: i64,
    }

    /// The same texts through serde_json and through this module: equal values, equal output.
    #[test]
    fn reads_and_writes_what_serde_json_does() {
        let text = r#" { "levels": [ {"name": "silver \"s\" \u00e9 \ud83d\ude00", "min_spend": 10, "tags": ["a\nb"]},
            {"name":"gold","min_spend":4000000000} ], "by": {"coffee": 200, "z": 0},
            "kinds": ["plain", {"points": -5}, {"rate": {"unit": 100}}], "note": null,
            "ratio": 0.25e1, "big": -9223372036854775808 } "#;
        let ours: Config = from_str(text).unwrap();
        let theirs: Config = serde_json::from_str(text).unwrap();
        assert_eq!(ours, theirs);
        assert_eq!(to_string(&ours).unwrap(), serde_json::to_string(&theirs).unwrap());
        let state = BTreeMap::from([(3i64, "x\u{1}y"), (-2, "\\")]);
        assert_eq!(to_string(&state).unwrap(), serde_json::to_string(&state).unwrap());
        for n in ["0.01", "12.345", "1e-2", "-0.5", "100"] {
            let a: f64 = from_str(n).unwrap();
            let b: f64 = serde_json::from_str(n).unwrap();
            assert!((a - b).abs() < 1e-12, "{n}: {a} vs {b}");
        }
    }

    /// The error messages are serde's (as serde_json gives them, without its position).
    #[test]
    fn errors_read_as_serde_json_s() {
        #[derive(Debug, Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct One {
            a: u32,
        }
        #[derive(Debug, Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Two {
            a: bool,
            b: Option<String>,
        }
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        enum E2 {
            X,
            Y,
        }
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        enum E0 {}
        fn both<T: DeserializeOwned + core::fmt::Debug>(text: &str) {
            let ours = from_str::<T>(text).unwrap_err().message;
            let theirs = serde_json::from_str::<T>(text).unwrap_err().to_string();
            let theirs = theirs.rsplit_once(" at line ").map_or(theirs.as_str(), |t| t.0);
            assert_eq!(ours, theirs, "{text}");
        }
        both::<Level>(r#"{"name":"a","min_spend":1,"minspend":2}"#);
        both::<One>(r#"{"b":1}"#);
        both::<Two>(r#"{"c":1}"#);
        both::<Two>(r#"{"b":null}"#);
        both::<Level>(r#"{"name":"a","name":"b"}"#);
        both::<One>(r#"{"a":"7"}"#);
        both::<One>(r#"{"a":true}"#);
        both::<One>(r#"{"a":4294967296}"#);
        both::<One>(r#"{"a":-3}"#);
        both::<One>(r#"{"a":null}"#);
        both::<Two>(r#"{"a":1}"#);
        both::<Two>(r#"{"a":true,"b":2}"#);
        both::<One>(r#""x""#);
        both::<E2>(r#""Z""#);
        both::<E0>(r#""Z""#);
        both::<Vec<Kind>>(r#"["nope"]"#);
        // A unit variant's name for another variant (as serde's `StrDeserializer` said).
        assert_eq!(from_str::<Kind>(r#""points""#).unwrap_err().message, "invalid type: a unit variant, expected newtype variant");
        assert_eq!(
            from_str::<Vec<Kind>>(r#"["rate"]"#).unwrap_err().to_string(),
            "`[0]`: invalid type: a unit variant, expected struct variant"
        );
        both::<(u8, u8)>(r#"[1]"#);
        // Arrays and objects are named as in JSON (serde says "sequence" and "map").
        let ours = |text| from_str::<One>(text).unwrap_err().to_string();
        assert_eq!(ours(r#"{"a":[1]}"#), "`a`: invalid type: an array, expected u32");
        assert_eq!(ours(r#"{"a":{}}"#), "`a`: invalid type: an object, expected u32");
        assert_eq!(ours(r#"[1]"#), "invalid type: an array, expected struct One");
        assert_eq!(from_str::<Vec<u8>>(r#"{"a":1}"#).unwrap_err().to_string(), "invalid type: an object, expected a sequence");
        assert_eq!(from_str::<BTreeMap<String, u8>>("[1]").unwrap_err().to_string(), "invalid type: an array, expected a map");
    }

    #[test]
    fn errors_name_the_key_path() {
        let e = from_str::<Config>(r#"{"levels":[{"name":"a","min_spend":1},{"name":"b","min_spend":-1}]}"#).unwrap_err();
        assert_eq!(e.to_string(), "`levels[1].min_spend`: invalid value: integer `-1`, expected u32");
        let e = from_str::<Level>(r#"{"name":"a","min_spend":1,"minspend":2}"#).unwrap_err();
        assert!(e.to_string().starts_with("unknown field `minspend`, expected one of"), "{e}");
        let e = from_str::<Level>(r#"{"name":"a"}"#).unwrap_err();
        assert_eq!(e.to_string(), "missing field `min_spend`");
        let e = from_str::<Level>(r#"{"name":1.5,"min_spend":1}"#).unwrap_err();
        assert_eq!(e.to_string(), "`name`: invalid type: a number with decimals, expected a string");
        let e = from_str::<Vec<Kind>>(r#"["plain", {"nope": 1}]"#).unwrap_err();
        assert!(e.to_string().starts_with("`[1].nope`: unknown variant `nope`"), "{e}");
        // Skipping an unknown field's value checks it as reading it did, with the same path.
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Skips {
            a: u32,
        }
        #[derive(Debug)]
        struct Generic;
        impl<'de> Deserialize<'de> for Generic {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_any(serde::de::IgnoredAny).map(|_| Generic)
            }
        }
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Reads {
            a: u32,
            x: Generic,
        }
        for junk in [
            "1",
            "null",
            r#"{"k":[1,{"m":"\x"}]}"#,
            "[1,,2]",
            "[,1]",
            "[1 2]",
            r#"{"k" 1}"#,
            r#"{"k":1,}"#,
            r#"{,}"#,
            r#"{"k":1 "j":2}"#,
            r#"[{"k":[true,fals]}]"#,
            r#"{"k":{"j":[]}}"#,
            "[[[",
            r#"{"k":"#,
            "-",
            r#"[1,{"a":{}}]"#,
        ] {
            let text = format!(r#"{{"a":1,"x":{junk}}}"#);
            let skips = from_str::<Skips>(&text).map(drop).map_err(|e| e.to_string());
            let reads = from_str::<Reads>(&text).map(drop).map_err(|e| e.to_string());
            assert_eq!(skips, reads, "{text}");
        }
        for bad in ["", "{", r#"{"a" 1}"#, "[1 2]", r#""\x""#, "tru", "{} x", r#""\ud800""#, "-"] {
            assert!(from_str::<serde::de::IgnoredAny>(bad).is_err(), "{bad:?} should not parse");
        }
    }
}
