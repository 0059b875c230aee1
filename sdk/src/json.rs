//! JSON for policies: configs and per-customer states, read into a small [`Value`] by one
//! parser and turned into Rust types by [`FromJson`]; written back by [`ToJson`].
//!
//! Policies read JSON twice: their config (once per instance) and their per-customer state
//! (once per call). serde with serde_json, or with a streaming deserializer of our own, puts
//! a visitor per field type into every guest — the bulk of a small policy's module. Here the
//! parsing and the error messages are written once, not generic, and what a derive adds per
//! type is a few calls: `#[derive(FromJson)]` reads a struct's fields from a [`Value`] by
//! name, `#[derive(ToJson)]` writes them. Both read the `#[serde(...)]` attributes a config
//! already has (`default`, `deny_unknown_fields`, `rename_all`, `rename`), so schemars'
//! `JsonSchema` derive and the JSON read here agree. Everything runs natively too, so
//! `cargo test` of a policy parses exactly as the guest does.

#[allow(unused_imports)]
use crate::__alloc::*;
use crate::text::{concat, decimal, push_str};
use crate::wire::value_tag as tag;
use alloc::collections::BTreeMap;
use core::fmt::{self, Display};

/// What went wrong, and where (the key path, empty at the top level). One pointer wide, so
/// that every `Result` the readers pass around stays small (module size).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error(Box<Located>);

#[derive(Clone, Debug, PartialEq, Eq)]
struct Located {
    path: String,
    message: String,
}

impl Error {
    /// An error at the top level (the value being read).
    #[cold]
    pub fn new(message: impl Into<String>) -> Self {
        Error(Box::new(Located { path: String::new(), message: message.into() }))
    }

    /// Where: `levels[1].min_spend`, or empty at the top level.
    pub fn path(&self) -> &str {
        &self.0.path
    }

    /// What, without where.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// The message with its path: `` `levels[1].min_spend`: invalid value: … `` (as `Display`).
    pub fn into_message(self) -> String {
        let Located { path, message } = *self.0;
        if path.is_empty() {
            message
        } else {
            concat(&["`", &path, "`: ", &message])
        }
    }

    /// This error, found in the value of key `key`.
    #[cold]
    pub fn in_key(mut self, key: &str) -> Self {
        let path = &mut self.0.path;
        let sep = if path.is_empty() || path.starts_with('[') { "" } else { "." };
        *path = concat(&[key, sep, path]);
        self
    }

    /// This error, found in element `index` of an array.
    #[cold]
    pub fn in_element(mut self, index: usize) -> Self {
        let path = &mut self.0.path;
        let sep = if path.is_empty() || path.starts_with('[') { "" } else { "." };
        *path = concat(&["[", decimal(&mut [0; 21], false, index as u64), "]", sep, path]);
        self
    }
}

impl Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.0.path.is_empty() {
            f.write_str("`")?;
            f.write_str(&self.0.path)?;
            f.write_str("`: ")?;
        }
        f.write_str(&self.0.message)
    }
}

impl core::error::Error for Error {}

pub type Result<T, E = Error> = core::result::Result<T, E>;

// ------------------------------------------------------------------------------ values

/// A parsed JSON value. Objects keep their keys in the order written.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    /// A number without fraction or exponent (`-9223372036854775808` to `9223372036854775807`).
    Int(i64),
    /// Any other number (`2.5`, `1e3`).
    Float(f64),
    Str(String),
    Array(Vec<Value>),
    Object(Vec<(String, Value)>),
}

impl Value {
    /// The value of `key`, when this is an object that has it.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(n) => Some(*n),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }

    /// `invalid type: string "x", expected u32`: this value where `expected` was wanted.
    /// Shared by every type read (not generic).
    #[cold]
    #[inline(never)]
    pub fn invalid_type(&self, expected: &str) -> Error {
        self.invalid("invalid type: ", expected)
    }

    #[cold]
    #[inline(never)]
    fn invalid(&self, what: &str, expected: &str) -> Error {
        let mut buf = [0; 21];
        let pieces: [&str; 3] = match self {
            Value::Null => ["null", "", ""],
            Value::Bool(b) => ["boolean `", if *b { "true" } else { "false" }, "`"],
            Value::Int(n) => ["integer `", decimal(&mut buf, *n < 0, n.unsigned_abs()), "`"],
            // Not printed: float formatting would add kilobytes to every guest.
            Value::Float(_) => ["a number with decimals", "", ""],
            Value::Str(s) => ["string \"", s, "\""],
            Value::Array(_) => ["an array", "", ""],
            Value::Object(_) => ["an object", "", ""],
        };
        Error::new(concat(&[what, pieces[0], pieces[1], pieces[2], ", expected ", expected]))
    }
}

/// `` unknown field `minspend`, expected one of `name`, `min_spend` `` (serde's wording).
#[cold]
#[inline(never)]
fn unknown(what: &str, name: &str, expected: &[&str], none: &str) -> Error {
    let n = expected.len();
    let mut out = concat(&[
        what,
        name,
        match n {
            0 => none,
            1 | 2 => "`, expected `",
            _ => "`, expected one of `",
        },
    ]);
    for (i, e) in expected.iter().enumerate() {
        if i > 0 {
            push_str(&mut out, if n == 2 { "` or `" } else { "`, `" });
        }
        push_str(&mut out, e);
    }
    if n > 0 {
        push_str(&mut out, "`");
    }
    Error::new(out)
}

// ------------------------------------------------------------------------------ reading

/// A type read from JSON. `#[derive(FromJson)]` writes it for structs with named fields and
/// for enums of unit variants (names as strings); the SDK has it for integers, `bool`,
/// `String`, `Option`, `Vec`, arrays, [`Table`](crate::Table), `BTreeMap<String, _>`,
/// [`Percent`](crate::Percent), [`RewardSpec`](crate::RewardSpec) and [`Value`] itself.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be read from JSON",
    label = "configs and states are read with `perk_sdk::json::FromJson`",
    note = "add `#[derive(FromJson)]` (from `perk_sdk::prelude`) to `{Self}`; serde's `Deserialize` is not used in guests"
)]
pub trait FromJson: Sized {
    fn from_json(value: Value) -> Result<Self>;

    /// The value of a struct field that is not written at all: `None` makes it a
    /// `missing field` error (an `Option` is `None` instead).
    fn absent() -> Option<Self> {
        None
    }
}

/// Parses `text` into `T`; the error names the key path.
pub fn from_str<T: FromJson>(text: &str) -> Result<T> {
    from_slice(text.as_bytes())
}

pub fn from_slice<T: FromJson>(bytes: &[u8]) -> Result<T> {
    T::from_json(parse(bytes)?)
}

/// Parses one JSON value (and nothing after it but whitespace).
pub fn parse(bytes: &[u8]) -> Result<Value> {
    let wire = transcode(bytes)?;
    crate::wire::decode_value(&wire).map_err(|e| Error::new(e.message()))
}

/// One JSON value (and nothing after it but whitespace) in the wire encoding of values
/// ([`crate::wire::value_tag`]), read in one pass without building a [`Value`].
pub(crate) fn transcode(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut p = Parser { s: bytes, i: 0, depth: 0, w: crate::wire::Writer::with_capacity(bytes.len() + 8) };
    p.value()?;
    p.ws();
    if p.i != p.s.len() {
        return Err(p.error("trailing characters after the value"));
    }
    Ok(p.w.buf)
}

impl FromJson for Value {
    fn from_json(value: Value) -> Result<Self> {
        Ok(value)
    }
}

impl FromJson for bool {
    fn from_json(value: Value) -> Result<Self> {
        match value {
            Value::Bool(b) => Ok(b),
            v => Err(v.invalid_type("a boolean")),
        }
    }
}

impl FromJson for String {
    fn from_json(value: Value) -> Result<Self> {
        match value {
            Value::Str(s) => Ok(s),
            v => Err(v.invalid_type("a string")),
        }
    }
}

/// An integer in `min..=max`; `name` is the type's (`u32`) for the messages.
#[inline(never)]
fn integer(value: Value, min: i64, max: i64, name: &str) -> Result<i64> {
    match value {
        Value::Int(n) if (min..=max).contains(&n) => Ok(n),
        v @ Value::Int(_) => Err(v.invalid("invalid value: ", name)),
        v => Err(v.invalid_type(name)),
    }
}

macro_rules! integers {
    ($($t:ident)*) => {$(
        impl FromJson for $t {
            fn from_json(value: Value) -> Result<Self> {
                // Every bound fits `i64` (`u64` and `usize` above `i64::MAX` do not parse).
                let max = if (<$t>::MAX as u64) > i64::MAX as u64 { i64::MAX } else { <$t>::MAX as i64 };
                integer(value, <$t>::MIN as i64, max, stringify!($t)).map(|n| n as $t)
            }
        }
    )*};
}

integers!(i8 i16 i32 i64 isize u8 u16 u32 u64 usize);

impl<T: FromJson> FromJson for Option<T> {
    fn from_json(value: Value) -> Result<Self> {
        match value {
            Value::Null => Ok(None),
            v => T::from_json(v).map(Some),
        }
    }

    fn absent() -> Option<Self> {
        Some(None)
    }
}

impl<T: FromJson> FromJson for Box<T> {
    fn from_json(value: Value) -> Result<Self> {
        T::from_json(value).map(Box::new)
    }
}

/// An array's elements, or the error for anything else (not generic).
#[inline(never)]
fn elements(value: Value, expected: &str) -> Result<Vec<Value>> {
    match value {
        Value::Array(items) => Ok(items),
        v => Err(v.invalid_type(expected)),
    }
}

impl<T: FromJson> FromJson for Vec<T> {
    fn from_json(value: Value) -> Result<Self> {
        let items = elements(value, "a sequence")?;
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.into_iter().enumerate() {
            out.push(T::from_json(item).map_err(|e| e.in_element(i))?);
        }
        Ok(out)
    }
}

/// `invalid length 1, expected an array of length 2`.
#[cold]
#[inline(never)]
fn wrong_length(len: usize, want: usize) -> Error {
    let (mut a, mut b) = ([0; 21], [0; 21]);
    Error::new(concat(&[
        "invalid length ",
        decimal(&mut a, false, len as u64),
        ", expected an array of length ",
        decimal(&mut b, false, want as u64),
    ]))
}

impl<T: FromJson, const N: usize> FromJson for [T; N] {
    fn from_json(value: Value) -> Result<Self> {
        let items: Vec<T> = FromJson::from_json(value)?;
        let len = items.len();
        items.try_into().map_err(|_| wrong_length(len, N))
    }
}

/// An object's entries, or the error for anything else (not generic).
#[inline(never)]
pub(crate) fn entries(value: Value, expected: &str) -> Result<Vec<(String, Value)>> {
    match value {
        Value::Object(entries) => Ok(entries),
        v => Err(v.invalid_type(expected)),
    }
}

impl<V: FromJson> FromJson for BTreeMap<String, V> {
    fn from_json(value: Value) -> Result<Self> {
        let mut out = BTreeMap::new();
        for (k, v) in entries(value, "a map")? {
            let v = V::from_json(v).map_err(|e| e.in_key(&k))?;
            out.insert(k, v);
        }
        Ok(out)
    }
}

/// A struct's fields being read, by `#[derive(FromJson)]`: the object's entries, taken out
/// as each field is read.
#[doc(hidden)]
pub struct Fields {
    entries: Vec<(String, Value)>,
}

impl Fields {
    /// The object `value` for `struct Name` (`expected`), with its keys checked against the
    /// struct's (`names`): a key written twice, or (with `deny_unknown`) one the struct does
    /// not have, is an error. Other unknown keys are ignored, as serde ignores them.
    #[inline(never)]
    pub fn open(value: Value, expected: &str, names: &[&str], deny_unknown: bool) -> Result<Fields> {
        let entries = entries(value, expected)?;
        for (i, (k, _)) in entries.iter().enumerate() {
            // (With `deny_unknown`, an unknown key fails at its first appearance.)
            let known = names.contains(&k.as_str());
            if !known && deny_unknown {
                return Err(unknown("unknown field `", k, names, "`, there are no fields"));
            }
            if known && entries[..i].iter().any(|(earlier, _)| earlier == k) {
                return Err(Error::new(concat(&["duplicate field `", k, "`"])));
            }
        }
        Ok(Fields { entries })
    }

    /// Takes the value of `name` out, when written.
    #[inline(never)]
    fn take(&mut self, name: &str) -> Option<Value> {
        let at = self.entries.iter().position(|(k, _)| k == name)?;
        Some(core::mem::replace(&mut self.entries[at].1, Value::Null))
    }

    /// The field `name`: an error names it; not written, it is the type's `absent` value
    /// (`None` for an `Option`) or a `missing field` error.
    pub fn field<T: FromJson>(&mut self, name: &str) -> Result<T> {
        match self.take(name) {
            Some(v) => T::from_json(v).map_err(|e| e.in_key(name)),
            None => T::absent().ok_or_else(|| missing(name)),
        }
    }

    /// The field `name`, or `default()` when it is not written (`#[serde(default)]`).
    pub fn field_or<T: FromJson>(&mut self, name: &str, default: fn() -> T) -> Result<T> {
        match self.take(name) {
            Some(v) => T::from_json(v).map_err(|e| e.in_key(name)),
            None => Ok(default()),
        }
    }
}

/// A field `#[derive(FromJson)]` has read, held until the struct is built. In a guest it is
/// not dropped when a later field fails: the arena takes back the failed call's (or failed
/// `configure`'s) memory anyway, and each struct's drop code for its fields on every error
/// path was up to 0.85 KB a module. Natively it drops as any value does.
#[doc(hidden)]
#[cfg(target_arch = "wasm32")]
pub type Held<T> = core::mem::ManuallyDrop<T>;

#[doc(hidden)]
#[cfg(not(target_arch = "wasm32"))]
pub struct Held<T>(T);

#[cfg(not(target_arch = "wasm32"))]
impl<T> Held<T> {
    pub fn new(value: T) -> Self {
        Held(value)
    }

    pub fn into_inner(held: Self) -> T {
        held.0
    }
}

#[cold]
#[inline(never)]
fn missing(name: &str) -> Error {
    Error::new(concat(&["missing field `", name, "`"]))
}

/// The index in `names` of the unit variant a string names (`#[derive(FromJson)]` on an
/// enum); `expected` (`enum Review`) is for other values.
#[doc(hidden)]
#[inline(never)]
pub fn variant(value: Value, expected: &str, names: &[&str]) -> Result<usize> {
    match value {
        Value::Str(s) => {
            names.iter().position(|n| *n == s).ok_or_else(|| unknown("unknown variant `", &s, names, "`, there are no variants"))
        }
        v => Err(v.invalid_type(expected)),
    }
}

/// The one key of an object written for an enum's variant with a value (`{ points = 100 }`),
/// as its index in `names`, and the value.
#[doc(hidden)]
#[inline(never)]
pub fn variant_with_value(value: Value, expected: &str, names: &[&str]) -> Result<(usize, Value)> {
    let mut entries = entries(value, expected)?;
    if entries.len() != 1 {
        return Err(Error::new(concat(&[
            "invalid value: an object with ",
            if entries.is_empty() { "no keys" } else { "several keys" },
            ", expected ",
            expected,
        ])));
    }
    let Some((k, v)) = entries.pop() else { unreachable!("one entry") };
    match names.iter().position(|n| *n == k) {
        Some(i) => Ok((i, v)),
        None => Err(unknown("unknown variant `", &k, names, "`, there are no variants").in_key(&k)),
    }
}

/// A JSON parser writing the wire encoding of values (which [`crate::wire::decode_value`]
/// reads into a [`Value`]). Its messages give the line and column: configs come from the
/// host's JSON of a TOML table and states from [`ToJson`], so a syntax error means damaged
/// data, which needs no key path (the type errors that a config's author makes have one).
/// Hosts and native code run it; a guest gets values already encoded.
struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    /// Arrays and objects open around the value being read.
    depth: usize,
    w: crate::wire::Writer,
}

/// Arrays and objects nested deeper than this are refused (as serde_json does): a guest's
/// stack is small, and no config or state needs more.
pub(crate) const MAX_DEPTH: usize = 128;

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

impl Parser<'_> {
    #[cold]
    #[inline(never)]
    fn error(&self, message: &str) -> Error {
        // `at line 1 column 47`, as serde_json says it.
        let before = &self.s[..self.i.min(self.s.len())];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let column = before.len() - before.iter().rposition(|&b| b == b'\n').map_or(0, |n| n + 1) + 1;
        let (mut a, mut b) = ([0; 21], [0; 21]);
        Error::new(concat(&[message, " at line ", decimal(&mut a, false, line as u64), " column ", decimal(&mut b, false, column as u64)]))
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.s.get(self.i) {
            self.i += 1;
        }
    }

    /// What was found where `message` was expected: at the end of the input, that it ended.
    #[cold]
    fn unexpected(&self, message: &str) -> Error {
        self.error(if self.i >= self.s.len() { "unexpected end of input" } else { message })
    }

    /// The next byte after whitespace; 0 at the end, which no caller accepts (their error
    /// is then [`unexpected`](Self::unexpected)'s).
    fn peek(&mut self) -> u8 {
        self.ws();
        self.s.get(self.i).copied().unwrap_or(0)
    }

    fn expect(&mut self, b: u8, what: &str) -> Result<()> {
        if self.peek() != b {
            return Err(self.unexpected(what));
        }
        self.i += 1;
        Ok(())
    }

    /// `word` (a literal), written as the value's `tag`.
    fn literal(&mut self, word: &[u8], tag: u8) -> Result<()> {
        if self.s[self.i..].starts_with(word) {
            self.i += word.len();
            self.w.byte(tag);
            Ok(())
        } else {
            Err(self.error("expected a value"))
        }
    }

    /// The next value.
    fn value(&mut self) -> Result<()> {
        match self.peek() {
            b'n' => self.literal(b"null", tag::NULL),
            b'f' => self.literal(b"false", tag::FALSE),
            b't' => self.literal(b"true", tag::TRUE),
            b'"' => {
                self.i += 1;
                self.w.byte(tag::STR);
                self.string()
            }
            b'[' => {
                let count = self.open(tag::ARRAY)?;
                let mut n = 0;
                while self.next(b']', "expected `,` or `]`", n == 0)? {
                    self.value()?;
                    n += 1;
                }
                self.close(count, n);
                Ok(())
            }
            b'{' => {
                let count = self.open(tag::OBJECT)?;
                let mut n = 0;
                while self.next(b'}', "expected `,` or `}`", n == 0)? {
                    self.expect(b'"', "expected a key")?;
                    self.string()?;
                    self.expect(b':', "expected `:`")?;
                    self.value()?;
                    n += 1;
                }
                self.close(count, n);
                Ok(())
            }
            b'-' | b'0'..=b'9' => self.number(),
            _ => Err(self.unexpected("expected a value")),
        }
    }

    /// Past a `[` or `{`, one level deeper: writes the value's `tag` and room for its
    /// count, and answers where that is.
    fn open(&mut self, tag: u8) -> Result<usize> {
        if self.depth >= MAX_DEPTH {
            return Err(self.error("nested too deeply"));
        }
        self.i += 1;
        self.depth += 1;
        self.w.byte(tag);
        Ok(self.placeholder())
    }

    /// Past the last element: its count written where [`open`](Self::open) left room.
    fn close(&mut self, at: usize, n: usize) {
        self.depth -= 1;
        self.patch(at, n);
    }

    /// Room for a length or count, filled in by [`patch`](Self::patch).
    fn placeholder(&mut self) -> usize {
        let at = self.w.buf.len();
        self.w.buf.extend_from_slice(&[0; 4]);
        at
    }

    fn patch(&mut self, at: usize, n: usize) {
        self.w.buf[at..at + 4].copy_from_slice(&(n as u32).to_le_bytes());
    }

    /// Whether another element follows (past its `,`), or the array or object ends (past
    /// its `close`); `first` before the first element.
    fn next(&mut self, close: u8, expected: &str, first: bool) -> Result<bool> {
        let b = self.peek();
        if b == close {
            self.i += 1;
            return Ok(false);
        }
        if !first {
            if b != b',' {
                return Err(self.unexpected(expected));
            }
            self.i += 1;
        }
        Ok(true)
    }

    /// A string, after its opening quote, with its escapes resolved: written as its length
    /// and its UTF-8 bytes.
    fn string(&mut self) -> Result<()> {
        let len = self.placeholder();
        let start = self.w.buf.len();
        loop {
            let from = self.i;
            while let Some(&b) = self.s.get(self.i) {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.i += 1;
            }
            self.w.buf.extend_from_slice(&self.s[from..self.i]);
            match self.s.get(self.i) {
                Some(b'"') => {
                    self.i += 1;
                    if core::str::from_utf8(&self.w.buf[start..]).is_err() {
                        return Err(self.error("string is not UTF-8"));
                    }
                    let n = self.w.buf.len() - start;
                    self.patch(len, n);
                    return Ok(());
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
                    self.w.buf.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
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

    /// A number: an integer when it has no fraction or exponent, else a float computed from
    /// its decimal digits (enough for config values such as `2.5`).
    fn number(&mut self) -> Result<()> {
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
                    // Compared, not `checked_mul`: a 64-bit multiply's overflow check is a
                    // 128-bit multiply on wasm32. Up to 19 digits always fit.
                    if mantissa < 1_000_000_000_000_000_000 {
                        mantissa = mantissa * 10 + (b - b'0') as u64;
                        if fraction {
                            scale -= 1;
                        }
                    } else if !fraction {
                        overflow = true;
                        scale += 1;
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
        if !fraction && !has_exponent {
            let n = match i64::try_from(mantissa) {
                Ok(n) if !overflow => {
                    if negative {
                        -n
                    } else {
                        n
                    }
                }
                Err(_) if negative && mantissa == 1 << 63 && !overflow => i64::MIN,
                _ => return Err(self.error("integer out of range")),
            };
            self.w.byte(tag::INT);
            self.w.i64(n);
            return Ok(());
        }
        let value = mantissa as f64 * pow10(scale.saturating_add(exponent));
        self.w.byte(tag::FLOAT);
        self.w.i64((if negative { -value } else { value }).to_bits() as i64);
        Ok(())
    }
}

// ------------------------------------------------------------------------------ writing

/// A type written as JSON: compact, object keys in declaration (or, for maps, key) order, as
/// serde_json writes the same type. `#[derive(ToJson)]` writes it for structs with named
/// fields and enums of unit variants.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be written as JSON",
    label = "states are written with `perk_sdk::json::ToJson`",
    note = "add `#[derive(ToJson)]` (from `perk_sdk::prelude`) to `{Self}`; serde's `Serialize` is not used in guests"
)]
pub trait ToJson {
    fn write_json(&self, out: &mut String);
}

/// Compact JSON of `value`.
pub fn to_string<T: ToJson + ?Sized>(value: &T) -> String {
    let mut out = String::with_capacity(64);
    value.write_json(&mut out);
    out
}

pub fn to_vec<T: ToJson + ?Sized>(value: &T) -> Vec<u8> {
    to_string(value).into_bytes()
}

/// Appends JSON text as it is (`{"day":`, `,`): not inlined, so each piece of a written
/// state is a call, not a capacity check and a copy (module size).
#[doc(hidden)]
#[inline(never)]
pub fn raw(out: &mut String, text: &str) {
    out.push_str(text);
}

/// `s` as a JSON string, escaped as serde_json escapes it.
#[inline(never)]
pub fn write_str(out: &mut String, s: &str) {
    // SAFETY: what is appended is ASCII and runs of `s` cut only before or after an ASCII
    // byte, so `out` stays UTF-8. (Bytes, not `&s[a..b]`: a `str` slice's boundary check
    // brings `char` debug-escaping into every guest.)
    let out = unsafe { out.as_mut_vec() };
    let bytes = s.as_bytes();
    out.push(b'"');
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        if esc.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(&[b'\\', b'u', b'0', b'0', HEX[(b >> 4) as usize], HEX[(b & 15) as usize]]);
        } else {
            out.extend_from_slice(esc);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

impl ToJson for str {
    fn write_json(&self, out: &mut String) {
        write_str(out, self)
    }
}

impl ToJson for String {
    fn write_json(&self, out: &mut String) {
        write_str(out, self)
    }
}

impl ToJson for bool {
    fn write_json(&self, out: &mut String) {
        raw(out, if *self { "true" } else { "false" })
    }
}

macro_rules! write_integers {
    (signed $($t:ident)*) => {$(
        impl ToJson for $t {
            fn write_json(&self, out: &mut String) {
                raw(out, decimal(&mut [0; 21], *self < 0, (*self as i64).unsigned_abs()))
            }
        }
    )*};
    ($($t:ident)*) => {$(
        impl ToJson for $t {
            fn write_json(&self, out: &mut String) {
                raw(out, decimal(&mut [0; 21], false, *self as u64))
            }
        }
    )*};
}

write_integers!(u8 u16 u32 u64 usize);
write_integers!(signed i8 i16 i32 i64 isize);

impl<T: ToJson + ?Sized> ToJson for &T {
    fn write_json(&self, out: &mut String) {
        (**self).write_json(out)
    }
}

impl<T: ToJson + ?Sized> ToJson for Box<T> {
    fn write_json(&self, out: &mut String) {
        (**self).write_json(out)
    }
}

impl<T: ToJson> ToJson for Option<T> {
    fn write_json(&self, out: &mut String) {
        match self {
            Some(v) => v.write_json(out),
            None => raw(out, "null"),
        }
    }
}

impl<T: ToJson> ToJson for [T] {
    fn write_json(&self, out: &mut String) {
        raw(out, "[");
        for (i, v) in self.iter().enumerate() {
            if i > 0 {
                raw(out, ",");
            }
            v.write_json(out);
        }
        raw(out, "]");
    }
}

impl<T: ToJson> ToJson for Vec<T> {
    fn write_json(&self, out: &mut String) {
        self.as_slice().write_json(out)
    }
}

impl<T: ToJson, const N: usize> ToJson for [T; N] {
    fn write_json(&self, out: &mut String) {
        self.as_slice().write_json(out)
    }
}

/// Writes `{"k":v,...}` of `entries` in their order.
pub(crate) fn write_object<'a, V: ToJson + 'a>(out: &mut String, entries: impl Iterator<Item = (&'a String, &'a V)>) {
    raw(out, "{");
    for (i, (k, v)) in entries.enumerate() {
        if i > 0 {
            raw(out, ",");
        }
        write_str(out, k);
        raw(out, ":");
        v.write_json(out);
    }
    raw(out, "}");
}

impl<V: ToJson> ToJson for BTreeMap<String, V> {
    fn write_json(&self, out: &mut String) {
        write_object(out, self.iter())
    }
}

/// Numbers with decimals are written with `core::fmt` (only a policy that writes a `Value`
/// holding one links float formatting).
impl ToJson for Value {
    fn write_json(&self, out: &mut String) {
        match self {
            Value::Null => raw(out, "null"),
            Value::Bool(b) => b.write_json(out),
            Value::Int(n) => n.write_json(out),
            Value::Float(f) if f.is_finite() => {
                // `2.5`, `1e300`: JSON numbers (serde_json writes `null` for the others).
                let _ = fmt::Write::write_fmt(out, format_args!("{f:?}"));
            }
            Value::Float(_) => raw(out, "null"),
            Value::Str(s) => write_str(out, s),
            Value::Array(items) => items.write_json(out),
            Value::Object(entries) => write_object(out, entries.iter().map(|(k, v)| (k, v))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FromJson, ToJson};

    #[test]
    fn pow10_is_powi() {
        for n in -400..=400 {
            assert_eq!(pow10(n).to_bits(), 10f64.powi(n).to_bits(), "10^{n}");
        }
        assert_eq!(parse(b"2.5e-3").unwrap(), Value::Float(0.0025));
    }

    #[derive(Debug, PartialEq, FromJson, ToJson, serde::Deserialize, serde::Serialize)]
    #[serde(deny_unknown_fields)]
    struct Level {
        name: String,
        min_spend: u32,
        #[serde(default)]
        tags: Vec<String>,
    }

    #[derive(Debug, PartialEq, Clone, Copy, FromJson, ToJson, serde::Deserialize, serde::Serialize)]
    #[serde(rename_all = "snake_case")]
    enum Kind {
        Plain,
        TwoWords,
        #[serde(rename = "other")]
        Third,
    }

    fn often() -> u8 {
        7
    }

    #[derive(Debug, PartialEq, FromJson, ToJson, serde::Deserialize, serde::Serialize)]
    struct Config {
        levels: Vec<Level>,
        by: BTreeMap<String, u32>,
        kinds: Vec<Kind>,
        note: Option<String>,
        pair: [i64; 2],
        big: i64,
        #[serde(default = "often")]
        every: u8,
        #[serde(rename = "renamed")]
        was: bool,
    }

    /// Field names the derive's own code might have used, a raw identifier among them.
    #[derive(Debug, PartialEq, FromJson, ToJson)]
    struct Awkward {
        value: u8,
        fields: u8,
        r#type: u8,
        #[serde(rename = "a \"quoted\" key")]
        quoted: u8,
    }

    /// A generic struct: its parameter must be readable and writable.
    #[derive(Debug, PartialEq, FromJson, ToJson)]
    struct Named<T> {
        name: String,
        value: Option<T>,
    }

    #[test]
    fn generic_structs_read_and_write() {
        let n: Named<Vec<u8>> = from_str(r#"{"name":"a","value":[1,2]}"#).unwrap();
        assert_eq!(n, Named { name: "a".into(), value: Some(vec![1, 2]) });
        assert_eq!(to_string(&n), r#"{"name":"a","value":[1,2]}"#);
    }

    #[test]
    fn any_field_name_reads_and_writes() {
        let text = r#"{"value":1,"fields":2,"type":3,"a \"quoted\" key":4}"#;
        let a: Awkward = from_str(text).unwrap();
        assert_eq!(a, Awkward { value: 1, fields: 2, r#type: 3, quoted: 4 });
        assert_eq!(to_string(&a), text);
    }

    /// The same texts through serde_json and through this module: equal values, equal output.
    #[test]
    fn reads_and_writes_what_serde_json_does() {
        let text = r#" { "levels": [ {"name": "silver \"s\" \u00e9 \ud83d\ude00", "min_spend": 10, "tags": ["a\nb\u0001"]},
            {"name":"gold","min_spend":4000000000} ], "by": {"coffee": 200, "z": 0},
            "kinds": ["plain", "two_words", "other"], "note": null, "pair": [-1, 2],
            "big": -9223372036854775808, "renamed": true, "ignored": {"a": [1, 2.5, null]} } "#;
        let ours: Config = from_str(text).unwrap();
        let theirs: Config = serde_json::from_str(text).unwrap();
        assert_eq!(ours, theirs);
        assert_eq!(ours.every, 7);
        assert_eq!(to_string(&ours), serde_json::to_string(&theirs).unwrap());
        let value = parse(text.as_bytes()).unwrap();
        let back: serde_json::Value = serde_json::from_str(&to_string(&value)).unwrap();
        assert_eq!(back, serde_json::from_str::<serde_json::Value>(text).unwrap());
        for n in ["0.01", "12.345", "1e-2", "-0.5", "1E3", "0.0000001"] {
            let Value::Float(a) = parse(n.as_bytes()).unwrap() else { panic!("{n} is a float") };
            let b: f64 = serde_json::from_str(n).unwrap();
            assert!((a - b).abs() < 1e-12, "{n}: {a} vs {b}");
        }
    }

    /// The error messages are serde's, as serde_json gives them without its position, except
    /// that arrays and objects are named as in JSON.
    #[test]
    fn errors_read_as_serde_json_s() {
        #[derive(Debug, FromJson, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct One {
            a: u32,
        }
        #[derive(Debug, FromJson, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Two {
            a: bool,
            b: Option<String>,
        }
        #[derive(Debug, FromJson, serde::Deserialize)]
        #[allow(dead_code)]
        enum E2 {
            X,
            Y,
        }
        fn both<T: FromJson + serde::de::DeserializeOwned + core::fmt::Debug>(text: &str) {
            let ours = from_str::<T>(text).unwrap_err().message().to_string();
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
        both::<Two>(r#"{"a":1}"#);
        both::<Two>(r#"{"a":true,"b":2}"#);
        both::<E2>(r#""Z""#);
        both::<Vec<Kind>>(r#"["nope"]"#);
        both::<[u8; 2]>(r#"[1]"#);
        let ours = |text| from_str::<One>(text).unwrap_err().to_string();
        assert_eq!(ours(r#"{"a":null}"#), "`a`: invalid type: null, expected u32");
        assert_eq!(ours(r#"{"a":[1]}"#), "`a`: invalid type: an array, expected u32");
        assert_eq!(ours(r#"{"a":{}}"#), "`a`: invalid type: an object, expected u32");
        assert_eq!(ours(r#"{"a":1.5}"#), "`a`: invalid type: a number with decimals, expected u32");
        assert_eq!(ours(r#"[1]"#), "invalid type: an array, expected struct One");
        assert_eq!(ours(r#""x""#), "invalid type: string \"x\", expected struct One");
        assert_eq!(from_str::<E2>("1").unwrap_err().to_string(), "invalid type: integer `1`, expected enum E2");
        assert_eq!(from_str::<Vec<u8>>(r#"{"a":1}"#).unwrap_err().to_string(), "invalid type: an object, expected a sequence");
        assert_eq!(from_str::<BTreeMap<String, u8>>("[1]").unwrap_err().to_string(), "invalid type: an array, expected a map");
        for big in ["18446744073709551615", "9223372036854775808", "-9223372036854775809", "-92233720368547758080", "99999999999999999999"]
        {
            let e = parse(big.as_bytes()).unwrap_err().to_string();
            assert!(e.starts_with("integer out of range at line 1 column "), "{big}: {e}");
        }
        assert_eq!(parse(b"-9223372036854775808").unwrap(), Value::Int(i64::MIN));
        assert_eq!(parse(b"9223372036854775807").unwrap(), Value::Int(i64::MAX));
        assert_eq!(parse(b"123456789012345678901.5").unwrap(), Value::Float(123456789012345678901.5));
        assert_eq!(from_str::<Option<u8>>("null").unwrap(), None);
    }

    #[test]
    fn errors_name_the_key_path() {
        let e = from_str::<Config>(r#"{"levels":[{"name":"a","min_spend":1},{"name":"b","min_spend":-1}]}"#).unwrap_err();
        assert_eq!(e.to_string(), "`levels[1].min_spend`: invalid value: integer `-1`, expected u32");
        let e = from_str::<Vec<Vec<Level>>>(r#"[[], [{"name":"a","min_spend":1,"tags":["x",2]}]]"#).unwrap_err();
        assert_eq!(e.to_string(), "`[1][0].tags[1]`: invalid type: integer `2`, expected a string");
        let e = from_str::<BTreeMap<String, Level>>(r#"{"x y":{"name":"a"}}"#).unwrap_err();
        assert_eq!(e.to_string(), "`x y`: missing field `min_spend`");
        let e = from_str::<Level>(r#"{"name":"a"}"#).unwrap_err();
        assert_eq!(e.to_string(), "missing field `min_spend`");
        // Syntax errors say where the parser was.
        let e = from_str::<Config>(r#"{"levels":[{"name":"a","min_spend":1},{"name" 1}]}"#).unwrap_err();
        assert_eq!(e.to_string(), "expected `:` at line 1 column 47");
        let e = from_str::<Config>("{\n  \"levels\": [\n    1,, 2]}").unwrap_err();
        assert_eq!(e.to_string(), "expected a value at line 3 column 7");
        for (cut, at) in [("[1,", 4), ("{\"a\"", 5), ("{\"a\":", 6), ("", 1), ("[", 2), ("{\"a\":1", 7)] {
            assert_eq!(parse(cut.as_bytes()).unwrap_err().to_string(), format!("unexpected end of input at line 1 column {at}"), "{cut}");
        }
        for bad in ["", "{", r#"{"a" 1}"#, "[1 2]", r#""\x""#, "tru", "{} x", r#""\ud800""#, "-", "[1,,2]", "[,1]", r#"{"k":1,}"#, "{,}"] {
            assert!(parse(bad.as_bytes()).is_err(), "{bad:?} should not parse");
            assert!(serde_json::from_str::<serde_json::Value>(bad).is_err(), "{bad:?} is not JSON");
        }
        let deep = "[".repeat(200) + &"]".repeat(200);
        assert_eq!(parse(deep.as_bytes()).unwrap_err().message(), "nested too deeply at line 1 column 129");
    }

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        for s in ["", "plain", "q\"b\\s/", "\n\r\t\u{1}\u{1f}\u{7f}", "é😀"] {
            assert_eq!(to_string(s), serde_json::to_string(s).unwrap());
            assert_eq!(from_str::<String>(&to_string(s)).unwrap(), s);
        }
        for n in [i64::MIN, -1, 0, 7, i64::MAX] {
            assert_eq!(to_string(&n), n.to_string());
        }
        assert_eq!(to_string(&u64::MAX), u64::MAX.to_string());
    }
}
