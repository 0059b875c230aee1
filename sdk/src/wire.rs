//! The bytes that cross the sandbox boundary on every call, as `wit/policy.wit` describes
//! them: a purchase (or event) with its customer and the host's clock, encoded once per
//! evaluation and shared by every policy; the outcome a policy answers.
//!
//! Lowering typed WIT records costs one guest `realloc` and one memory lookup per string,
//! per policy, per call; a single buffer costs one. The encoding is deliberately plain:
//!
//! - integers: fixed width, little-endian: `s64` in 8 bytes, `u32` and every length or count
//!   in 4 (a read is one load; varints, which we used before, cost a loop per byte and were
//!   the guest's hottest function in a replay: timestamps took 6 bytes each);
//! - `string`: length, then UTF-8 bytes; `list<T>`: count, then the elements;
//! - `bool`: one byte, `0` or `1`; `option<T>`: one byte, `0` (none) or `1` (some), then the value;
//! - records: their fields in WIT order; variants: the case's index (one byte), then its payload.
//!
//! Both sides use this module, so they cannot disagree; the decoder checks everything
//! (the host reads guest output with it), and its errors say what and where.

#[allow(unused_imports)]
use crate::__alloc::*;
use crate::json::Value;
use crate::{Coupon, Customer, Event, Granted, LineItem, Outcome, Progress, Purchase, Reward, Timestamp};

/// Version byte at the start of every input, so a policy built for another encoding fails
/// with a clear message rather than misreading.
pub const INPUT_VERSION: u8 = 3;

/// What the guest cannot decode, with the byte offset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WireError {
    pub at: usize,
    pub what: &'static str,
}

impl WireError {
    /// `truncated input at byte 12` (as `Display`).
    pub fn message(&self) -> String {
        let mut buf = [0; 21];
        crate::text::concat(&[self.what, " at byte ", crate::text::decimal(&mut buf, false, self.at as u64)])
    }
}

impl core::fmt::Display for WireError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.message())
    }
}

impl core::error::Error for WireError {}

pub type Result<T> = core::result::Result<T, WireError>;

// ------------------------------------------------------------------------------ encoding

/// Appends values to a buffer.
#[derive(Default)]
pub struct Writer {
    pub buf: Vec<u8>,
}

impl Writer {
    pub fn with_capacity(n: usize) -> Self {
        Writer { buf: Vec::with_capacity(n) }
    }

    // The fixed-width writes are out of line in a guest, which writes only its (small)
    // outcome with them: a call each instead of a capacity check and a copy (module size).
    #[cfg_attr(target_arch = "wasm32", inline(never))]
    pub fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    /// A length or count. Inputs are capped far below 4 GiB (`Limits::input_size`); a
    /// longer one would be written as `u32::MAX`, which no reader accepts.
    pub fn len(&mut self, n: usize) {
        self.u32(u32::try_from(n).unwrap_or(u32::MAX));
    }

    #[cfg_attr(target_arch = "wasm32", inline(never))]
    pub fn i64(&mut self, v: i64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    #[cfg_attr(target_arch = "wasm32", inline(never))]
    pub fn byte(&mut self, b: u8) {
        self.buf.push(b);
    }

    #[cfg_attr(target_arch = "wasm32", inline(never))]
    pub fn bytes(&mut self, b: &[u8]) {
        self.len(b.len());
        crate::text::append(&mut self.buf, b);
    }

    pub fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes())
    }

    pub fn opt_str(&mut self, s: Option<&str>) {
        match s {
            None => self.byte(0),
            Some(s) => {
                self.byte(1);
                self.str(s)
            }
        }
    }

    pub fn opt_i64(&mut self, v: Option<i64>) {
        match v {
            None => self.byte(0),
            Some(v) => {
                self.byte(1);
                self.i64(v)
            }
        }
    }

    pub fn strs(&mut self, list: &[String]) {
        self.len(list.len());
        for s in list {
            self.str(s);
        }
    }

    pub fn pairs(&mut self, list: &[(String, String)]) {
        self.len(list.len());
        for (k, v) in list {
            self.str(k);
            self.str(v);
        }
    }

    fn customer(&mut self, c: &Customer) {
        self.str(&c.id);
        self.opt_str(c.tier.as_deref());
        self.i64(c.points);
        self.i64(c.lifetime_spend);
        self.u32(c.purchases);
        self.opt_i64(c.first_purchase_at);
        self.opt_i64(c.last_purchase_at);
        self.opt_str(c.birthday.as_deref());
        self.strs(&c.segments);
    }

    fn head(&mut self, now: Timestamp, variant: Option<&str>, explain: bool) {
        self.byte(INPUT_VERSION);
        self.i64(now);
        self.opt_str(variant);
        self.byte(u8::from(explain));
    }
}

// Exact encoded sizes, so an input is written into one allocation (a guess that fell short
// cost a regrowth and a copy on every evaluation).

/// The head's fixed bytes: version, clock, explain (the variant comes on top).
const HEAD: usize = 1 + 8 + 1;

fn opt_str_size(s: Option<&str>) -> usize {
    1 + s.map_or(0, |s| 4 + s.len())
}

fn strs_size(list: &[String]) -> usize {
    4 + list.iter().map(|s| 4 + s.len()).sum::<usize>()
}

fn pairs_size(list: &[(String, String)]) -> usize {
    4 + list.iter().map(|(k, v)| 8 + k.len() + v.len()).sum::<usize>()
}

fn customer_size(c: &Customer) -> usize {
    4 + c.id.len()
        + opt_str_size(c.tier.as_deref())
        + 8
        + 8
        + 4
        + 1
        + c.first_purchase_at.map_or(0, |_| 8)
        + 1
        + c.last_purchase_at.map_or(0, |_| 8)
        + opt_str_size(c.birthday.as_deref())
        + strs_size(&c.segments)
}

fn purchase_input_size(variant: Option<&str>, p: &Purchase, c: &Customer) -> usize {
    let items: usize = p.items.iter().map(|i| 4 + i.sku.len() + 4 + i.category.len() + 4 + 8 + strs_size(&i.tags)).sum();
    HEAD + opt_str_size(variant)
        + (4 + p.id.len())
        + (4 + p.customer_id.len())
        + 8
        + (4 + p.currency.len())
        + 8
        + 8
        + 4
        + items
        + (4 + p.channel.len())
        + opt_str_size(p.partner.as_deref())
        + strs_size(&p.coupons)
        + pairs_size(&p.attributes)
        + customer_size(c)
}

fn event_input_size(variant: Option<&str>, e: &Event, c: &Customer) -> usize {
    HEAD + opt_str_size(variant)
        + (4 + e.id.len())
        + (4 + e.customer_id.len())
        + 8
        + (4 + e.kind.len())
        + pairs_size(&e.attributes)
        + customer_size(c)
}

/// A `purchase-input`: the host's clock, the customer's experiment variant, whether the
/// host shows reasons, the purchase and the customer.
pub fn encode_purchase_input(now: Timestamp, variant: Option<&str>, explain: bool, p: &Purchase, c: &Customer) -> Vec<u8> {
    let mut w = Writer::with_capacity(purchase_input_size(variant, p, c));
    w.head(now, variant, explain);
    w.str(&p.id);
    w.str(&p.customer_id);
    w.i64(p.at);
    w.str(&p.currency);
    w.i64(p.total);
    w.i64(p.shipping);
    w.len(p.items.len());
    for i in &p.items {
        w.str(&i.sku);
        w.str(&i.category);
        w.u32(i.quantity);
        w.i64(i.unit_price);
        w.strs(&i.tags);
    }
    w.str(&p.channel);
    w.opt_str(p.partner.as_deref());
    w.strs(&p.coupons);
    w.pairs(&p.attributes);
    w.customer(c);
    w.buf
}

/// An `event-input`: the clock, the variant, whether reasons are shown, the event and the
/// customer.
pub fn encode_event_input(now: Timestamp, variant: Option<&str>, explain: bool, e: &Event, c: &Customer) -> Vec<u8> {
    let mut w = Writer::with_capacity(event_input_size(variant, e, c));
    w.head(now, variant, explain);
    w.str(&e.id);
    w.str(&e.customer_id);
    w.i64(e.at);
    w.str(&e.kind);
    w.pairs(&e.attributes);
    w.customer(c);
    w.buf
}

/// An `outcome`.
pub fn encode_outcome(o: &Outcome) -> Vec<u8> {
    let mut w = Writer::default();
    encode_outcome_into(&mut w, o);
    w.buf
}

/// At least the bytes [`encode_outcome_into`] writes for `o` (a reward's fixed part is 29
/// bytes at its widest, a coupon's; a progress report's 24), so writing it never regrows
/// the buffer: reasons are often longer than any guess per reward.
fn outcome_size(o: &Outcome) -> usize {
    let text = |g: &Granted| {
        g.reason.len()
            + match &g.reward {
                Reward::PointsFor { customer: s, .. }
                | Reward::ItemDiscount { sku: s, .. }
                | Reward::SetTier { tier: s }
                | Reward::Badge { name: s }
                | Reward::Perk { name: s } => s.len(),
                Reward::Coupon(c) => c.code.len(),
                _ => 0,
            }
    };
    4 + o.rewards.iter().map(|g| 29 + text(g)).sum::<usize>()
        + 5
        + o.state.as_ref().map_or(0, Vec::len)
        + 4
        + o.progress.iter().map(|p| 24 + p.goal.len() + p.unit.len()).sum::<usize>()
}

/// [`encode_outcome`] into `w` (cleared first), reusing its buffer.
pub fn encode_outcome_into(w: &mut Writer, o: &Outcome) {
    w.buf.clear();
    w.buf.reserve(outcome_size(o));
    w.len(o.rewards.len());
    for g in &o.rewards {
        match &g.reward {
            Reward::Points { amount } => {
                w.byte(0);
                w.i64(*amount);
            }
            Reward::PointsFor { customer, amount } => {
                w.byte(1);
                w.str(customer);
                w.i64(*amount);
            }
            Reward::OrderDiscount { amount } => {
                w.byte(2);
                w.i64(*amount);
            }
            Reward::ItemDiscount { sku, amount } => {
                w.byte(3);
                w.str(sku);
                w.i64(*amount);
            }
            Reward::PercentDiscount { basis_points } => {
                w.byte(4);
                w.u32(*basis_points);
            }
            Reward::Cashback { amount } => {
                w.byte(5);
                w.i64(*amount);
            }
            Reward::FreeShipping => w.byte(6),
            Reward::Coupon(c) => {
                w.byte(7);
                w.str(&c.code);
                w.u32(c.percent_off);
                w.i64(c.amount_off);
                w.i64(c.valid_until);
            }
            Reward::SetTier { tier } => {
                w.byte(8);
                w.str(tier);
            }
            Reward::Badge { name } => {
                w.byte(9);
                w.str(name);
            }
            Reward::Perk { name } => {
                w.byte(10);
                w.str(name);
            }
        }
        w.str(&g.reason);
    }
    match &o.state {
        None => w.byte(0),
        Some(s) => {
            w.byte(1);
            w.bytes(s);
        }
    }
    w.len(o.progress.len());
    for p in &o.progress {
        w.str(&p.goal);
        w.i64(p.current);
        w.i64(p.target);
        w.str(&p.unit);
    }
}

// ------------------------------------------------------------------------------- batches

/// An `on-purchase-batch` argument: the number of calls, then each call's input and state.
pub fn encode_batch<'a>(calls: impl ExactSizeIterator<Item = (&'a [u8], &'a [u8])> + Clone) -> Vec<u8> {
    // Sized up front: growing it would copy the batch several times over.
    let size = 4 + calls.clone().map(|(input, state)| 8 + input.len() + state.len()).sum::<usize>();
    let mut w = Writer::with_capacity(size);
    w.len(calls.len());
    for (input, state) in calls {
        w.bytes(input);
        w.bytes(state);
    }
    w.buf
}

/// The calls of an `on-purchase-batch` argument, as `(input, state)`, read one at a time;
/// [`BatchCalls::finish`] then says whether the argument was whole.
pub struct BatchCalls<'a> {
    reader: Reader<'a>,
    left: usize,
    len: usize,
}

impl<'a> BatchCalls<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        let mut reader = Reader::new(buf);
        let len = reader.len();
        BatchCalls { reader, left: len, len }
    }

    /// The number of calls the argument declares.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// An error if the argument was damaged (the calls before the damage were read).
    pub fn finish(self) -> Result<()> {
        self.reader.finish(())
    }
}

impl<'a> Iterator for BatchCalls<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let call = (self.reader.bytes(), self.reader.bytes());
        if self.reader.error.is_some() {
            self.left = 0;
            return None;
        }
        Some(call)
    }
}

/// Appends one call's answer to an `on-purchase-batch` answer: `0` and the outcome's bytes,
/// or `1` and the policy's error.
pub fn write_batch_answer(w: &mut Writer, answer: core::result::Result<&[u8], &str>) {
    match answer {
        Ok(outcome) => {
            w.byte(0);
            w.bytes(outcome);
        }
        Err(message) => {
            w.byte(1);
            w.str(message);
        }
    }
}

/// An `on-purchase-batch` answer of `n` calls: each call's outcome bytes (to decode with
/// [`decode_outcome`]) or the policy's error.
pub fn decode_batch_answer(buf: &[u8], n: usize) -> Result<Vec<core::result::Result<&[u8], &str>>> {
    let mut r = Reader::new(buf);
    let start = r.at;
    if r.len() != n {
        r.fail(start, "batch answer has another number of answers than calls");
    }
    let mut answers = Vec::with_capacity(n);
    for _ in 0..n {
        let answer = match r.byte() {
            0 => Ok(r.bytes()),
            1 => Err(r.str()),
            _ => {
                let at = r.at - 1;
                r.fail(at, "batch answer is neither 0 (outcome) nor 1 (error)");
                break;
            }
        };
        answers.push(answer);
    }
    r.finish(answers)
}

// ------------------------------------------------------------------------------ decoding

/// Reads values from a buffer, checking every length against what is left.
///
/// Reads do not return `Result`: the first problem is remembered (with its offset), every
/// later read then sees the end of the buffer and yields an empty value, and [`Reader::finish`]
/// reports the problem. Decoders are straight-line code, which compiles to far less wasm than
/// a `?` after every field, and a damaged buffer still never allocates past its own size.
pub struct Reader<'a> {
    buf: &'a [u8],
    at: usize,
    /// Strings point into `buf` instead of being copied (see [`InPlace`]).
    in_place: bool,
    error: Option<WireError>,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, at: 0, in_place: false, error: None }
    }

    /// Remembers the first problem and stops reading.
    #[cold]
    fn fail(&mut self, at: usize, what: &'static str) {
        if self.error.is_none() {
            self.error = Some(WireError { at, what });
        }
        self.at = self.buf.len();
    }

    /// `value`, unless a read failed or bytes are left over.
    pub fn finish<T>(self, value: T) -> Result<T> {
        match self.error {
            Some(e) => Err(e),
            None if self.at != self.buf.len() => Err(WireError { at: self.at, what: "trailing bytes" }),
            None => Ok(value),
        }
    }

    #[inline]
    pub fn byte(&mut self) -> u8 {
        match self.buf.get(self.at) {
            Some(&b) => {
                self.at += 1;
                b
            }
            None => {
                self.fail(self.at, "unexpected end");
                0
            }
        }
    }

    /// The next `N` bytes.
    #[inline]
    fn fixed<const N: usize>(&mut self) -> [u8; N] {
        match self.buf.get(self.at..self.at + N) {
            Some(b) => {
                self.at += N;
                b.try_into().unwrap_or([0; N])
            }
            None => {
                self.fail(self.at, "unexpected end");
                [0; N]
            }
        }
    }

    #[inline]
    pub fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.fixed())
    }

    #[inline]
    pub fn i64(&mut self) -> i64 {
        i64::from_le_bytes(self.fixed())
    }

    /// A length or count, at most what is left (every element takes a byte at least).
    #[inline]
    fn len(&mut self) -> usize {
        let start = self.at;
        let n = self.u32() as usize;
        if n > self.buf.len() - self.at {
            self.fail(start, "length beyond the end");
            return 0;
        }
        n
    }

    #[inline]
    pub fn bytes(&mut self) -> &'a [u8] {
        let n = self.len();
        let b = &self.buf[self.at..self.at + n];
        self.at += n;
        b
    }

    #[inline]
    pub fn str(&mut self) -> &'a str {
        let start = self.at;
        let b = self.bytes();
        if self.in_place || cfg!(target_arch = "wasm32") {
            // SAFETY: in-place decoding is only for buffers `encode_*` wrote from `str`s
            // (the callers' contract), and a guest decodes nothing but what the host encoded
            // from `str`s (its input, config and state); the host checks what a guest writes.
            return unsafe { core::str::from_utf8_unchecked(b) };
        }
        core::str::from_utf8(b).unwrap_or_else(|_| {
            self.fail(start, "string is not UTF-8");
            ""
        })
    }

    /// Not inlined: every string field of the purchase and customer calls it, and one copy
    /// keeps guests small.
    #[inline(never)]
    pub fn string(&mut self) -> String {
        let s = self.str();
        if self.in_place && !s.is_empty() {
            // SAFETY: only reached through `InPlace`, which never drops the value the
            // string ends up in, never hands out `&mut` to it, and cannot outlive `buf`;
            // so this string is never freed, grown or written, and only read while `buf` lives.
            return unsafe { String::from_raw_parts(s.as_ptr() as *mut u8, s.len(), s.len()) };
        }
        s.to_string()
    }

    /// A byte that must be 0 or 1.
    #[inline]
    fn zero_or_one(&mut self, what: &'static str) -> bool {
        match self.byte() {
            0 => false,
            1 => true,
            _ => {
                self.fail(self.at - 1, what);
                false
            }
        }
    }

    #[inline]
    fn flag(&mut self) -> bool {
        self.zero_or_one("option flag is neither 0 nor 1")
    }

    #[inline]
    fn bool(&mut self) -> bool {
        self.zero_or_one("boolean is neither 0 nor 1")
    }

    #[inline]
    pub fn opt_string(&mut self) -> Option<String> {
        self.flag().then(|| self.string())
    }

    #[inline]
    pub fn opt_i64(&mut self) -> Option<i64> {
        self.flag().then(|| self.i64())
    }

    pub fn strings(&mut self) -> Vec<String> {
        let n = self.len();
        // Most lists are empty: they skip `Vec`'s out-of-line allocation path (a call in
        // every guest decode, though it allocates nothing for zero elements).
        if n == 0 {
            return Vec::new();
        }
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            v.push(self.string());
        }
        v
    }

    #[inline]
    pub fn pairs(&mut self) -> Vec<(String, String)> {
        let n = self.len();
        if n == 0 {
            return Vec::new();
        }
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            v.push((self.string(), self.string()));
        }
        v
    }

    fn customer(&mut self) -> Customer {
        Customer {
            id: self.string(),
            tier: self.opt_string(),
            points: self.i64(),
            lifetime_spend: self.i64(),
            purchases: self.u32(),
            first_purchase_at: self.opt_i64(),
            last_purchase_at: self.opt_i64(),
            birthday: self.opt_string(),
            segments: self.strings(),
        }
    }

    fn head(&mut self) -> Head {
        if self.byte() != INPUT_VERSION {
            self.fail(0, "input encoding version differs from this SDK's (rebuild the policy with a matching perk-sdk)");
        }
        Head { now: self.i64(), variant: self.opt_string(), explain: self.bool() }
    }
}

/// A decoded value whose strings point into the buffer it was read from, so decoding
/// copies no text: the guest reads the purchase in place. Read-only (it derefs to `&T`
/// only), tied to the buffer's lifetime, and never dropped: its few allocations (the
/// vectors) are left to the arena's call region, which the next call rewinds.
pub struct InPlace<'a, T> {
    value: core::mem::ManuallyDrop<T>,
    _buf: core::marker::PhantomData<&'a [u8]>,
}

impl<T> core::ops::Deref for InPlace<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

fn in_place<'a, T>(value: T) -> InPlace<'a, T> {
    InPlace { value: core::mem::ManuallyDrop::new(value), _buf: core::marker::PhantomData }
}

/// [`decode_purchase_input`] without copying or re-checking strings.
///
/// # Safety
/// `buf` must have been written by [`encode_purchase_input`] (its strings are valid UTF-8).
pub unsafe fn decode_purchase_input_in_place(buf: &[u8]) -> Result<InPlace<'_, (Head, Purchase, Customer)>> {
    let mut r = Reader { in_place: true, ..Reader::new(buf) };
    let value = purchase_input(&mut r);
    // A damaged buffer's partial value is never dropped either: its strings may point
    // into the buffer.
    let value = in_place(value);
    r.finish(()).map(|()| value)
}

/// [`decode_event_input`] without copying or re-checking strings.
///
/// # Safety
/// `buf` must have been written by [`encode_event_input`] (its strings are valid UTF-8).
pub unsafe fn decode_event_input_in_place(buf: &[u8]) -> Result<InPlace<'_, (Head, Event, Customer)>> {
    let mut r = Reader { in_place: true, ..Reader::new(buf) };
    let value = in_place(event_input(&mut r));
    r.finish(()).map(|()| value)
}

/// The host's clock and the customer's variant, which go into the policy's `Context`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Head {
    pub now: Timestamp,
    pub variant: Option<String>,
    /// Whether the host shows this call's reasons (a replay does not): `reason!` is written
    /// only then.
    pub explain: bool,
}

pub fn decode_purchase_input(buf: &[u8]) -> Result<(Head, Purchase, Customer)> {
    let mut r = Reader::new(buf);
    let value = purchase_input(&mut r);
    r.finish(value)
}

fn purchase_input(r: &mut Reader) -> (Head, Purchase, Customer) {
    let head = r.head();
    let mut p = Purchase {
        id: r.string(),
        customer_id: r.string(),
        at: r.i64(),
        currency: r.string(),
        total: r.i64(),
        shipping: r.i64(),
        ..Default::default()
    };
    let n = r.len();
    p.items = Vec::with_capacity(n);
    for _ in 0..n {
        p.items.push(LineItem { sku: r.string(), category: r.string(), quantity: r.u32(), unit_price: r.i64(), tags: r.strings() });
    }
    p.channel = r.string();
    p.partner = r.opt_string();
    p.coupons = r.strings();
    p.attributes = r.pairs();
    let c = r.customer();
    (head, p, c)
}

pub fn decode_event_input(buf: &[u8]) -> Result<(Head, Event, Customer)> {
    let mut r = Reader::new(buf);
    let value = event_input(&mut r);
    r.finish(value)
}

fn event_input(r: &mut Reader) -> (Head, Event, Customer) {
    let head = r.head();
    let e = Event { id: r.string(), customer_id: r.string(), at: r.i64(), kind: r.string(), attributes: r.pairs() };
    let c = r.customer();
    (head, e, c)
}

pub fn decode_outcome(buf: &[u8]) -> Result<Outcome> {
    decode_outcome_as(buf, true).map(|(o, _)| o)
}

/// What [`decode_outcome_without_text`] read and checked but did not keep.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Skipped {
    /// Bytes of reasons and of progress goals and units.
    pub text: usize,
    /// Progress entries.
    pub progress: usize,
}

/// An outcome without its explanations, for a host that shows none (a replay): every
/// reason left empty and no progress entries, though each is read and checked (lengths,
/// UTF-8) as [`decode_outcome`] does; [`Skipped`] says how much was left out, so limits
/// apply as to the whole outcome. Saves the host an allocation per reason, goal and unit.
pub fn decode_outcome_without_text(buf: &[u8]) -> Result<(Outcome, Skipped)> {
    decode_outcome_as(buf, false)
}

fn decode_outcome_as(buf: &[u8], keep_text: bool) -> Result<(Outcome, Skipped)> {
    let mut skipped = Skipped::default();
    let mut text = |r: &mut Reader| {
        if keep_text {
            r.string()
        } else {
            skipped.text += r.str().len();
            String::new()
        }
    };
    let mut r = Reader::new(buf);
    let n = r.len();
    let mut rewards = Vec::with_capacity(n);
    for _ in 0..n {
        let reward = match r.byte() {
            0 => Reward::Points { amount: r.i64() },
            1 => Reward::PointsFor { customer: r.string(), amount: r.i64() },
            2 => Reward::OrderDiscount { amount: r.i64() },
            3 => Reward::ItemDiscount { sku: r.string(), amount: r.i64() },
            4 => Reward::PercentDiscount { basis_points: r.u32() },
            5 => Reward::Cashback { amount: r.i64() },
            6 => Reward::FreeShipping,
            7 => Reward::Coupon(Coupon { code: r.string(), percent_off: r.u32(), amount_off: r.i64(), valid_until: r.i64() }),
            8 => Reward::SetTier { tier: r.string() },
            9 => Reward::Badge { name: r.string() },
            10 => Reward::Perk { name: r.string() },
            _ => {
                let at = r.at - 1;
                r.fail(at, "unknown reward kind");
                break;
            }
        };
        rewards.push(Granted { reward, reason: text(&mut r) });
    }
    let state = r.flag().then(|| r.bytes().to_vec());
    let n = r.len();
    let mut progress = Vec::with_capacity(if keep_text { n } else { 0 });
    for _ in 0..n {
        let entry = Progress { goal: text(&mut r), current: r.i64(), target: r.i64(), unit: text(&mut r) };
        if keep_text {
            progress.push(entry);
        }
    }
    if !keep_text {
        skipped.progress = n;
    }
    r.finish((Outcome { rewards, state, progress }, skipped))
}

// --------------------------------------------------------------------------- JSON values

/// A JSON value (a policy's config, the state it stored) as it crosses into a guest: a tag
/// byte, then for an integer its `s64`, for any other number its `f64`'s bits (8 bytes),
/// for a string its length and bytes, for an array its count and the elements, for an object
/// its count and per entry its key (as a string) and its value, in order. A guest reads this
/// without a JSON parser, which was 5 KB of every module; the host turns JSON text into it
/// with [`json_to_wire`] (policies still answer their state as JSON text).
pub mod value_tag {
    pub const NULL: u8 = 0;
    pub const FALSE: u8 = 1;
    pub const TRUE: u8 = 2;
    pub const INT: u8 = 3;
    pub const FLOAT: u8 = 4;
    pub const STR: u8 = 5;
    pub const ARRAY: u8 = 6;
    pub const OBJECT: u8 = 7;
}

/// JSON text in the encoding of [`value_tag`], in one pass (no [`Value`] is built); the error
/// is the JSON parser's (line and column).
pub fn json_to_wire(json: &[u8]) -> crate::json::Result<Vec<u8>> {
    crate::json::transcode(json)
}

/// A state as a policy answered it (JSON text) as it goes back to the policy on its next
/// call: in the wire encoding; no state (empty) stays empty.
pub fn state_to_wire(json: &[u8]) -> crate::json::Result<Vec<u8>> {
    if json.is_empty() {
        return Ok(Vec::new());
    }
    json_to_wire(json)
}

/// A value in the encoding of [`value_tag`].
pub fn decode_value(buf: &[u8]) -> Result<Value> {
    let mut r = Reader::new(buf);
    let value = r.value(0);
    r.finish(value)
}

impl Reader<'_> {
    fn value(&mut self, depth: usize) -> Value {
        let start = self.at;
        use value_tag::*;
        match self.byte() {
            NULL => Value::Null,
            FALSE => Value::Bool(false),
            TRUE => Value::Bool(true),
            INT => Value::Int(self.i64()),
            FLOAT => Value::Float(f64::from_bits(self.i64() as u64)),
            STR => Value::Str(self.string()),
            ARRAY | OBJECT if depth >= crate::json::MAX_DEPTH => {
                self.fail(start, "value nested too deep");
                Value::Null
            }
            // Collected from a range: one allocation of the exact size, no growth code.
            ARRAY => {
                let n = self.len();
                Value::Array((0..n).map(|_| self.value(depth + 1)).collect())
            }
            OBJECT => {
                let n = self.len();
                Value::Object((0..n).map(|_| (self.string(), self.value(depth + 1))).collect())
            }
            _ => {
                self.fail(start, "unknown value tag");
                Value::Null
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> (Purchase, Customer) {
        let p = Purchase {
            id: "p-1".into(),
            customer_id: "анна".into(),
            at: -5,
            currency: "RUB".into(),
            total: i64::MAX,
            shipping: i64::MIN,
            items: vec![LineItem { tags: vec!["hot".into(), String::new()], ..LineItem::new("latte", "coffee", u32::MAX, 350) }],
            channel: "store".into(),
            partner: Some("air".into()),
            coupons: vec!["WELCOME".into()],
            attributes: vec![("referred_by".into(), "boris".into())],
        };
        let mut c = Customer::new("анна").with_tier("silver");
        c.points = -3;
        c.purchases = 17;
        c.first_purchase_at = Some(0);
        c.birthday = Some("03-02".into());
        c.segments = vec!["regulars".into()];
        (p, c)
    }

    #[test]
    fn inputs_round_trip() {
        let (p, c) = sample();
        let bytes = encode_purchase_input(42, Some("b"), true, &p, &c);
        let (head, p2, c2) = decode_purchase_input(&bytes).unwrap();
        assert_eq!((head.now, head.variant.as_deref(), head.explain, &p2, &c2), (42, Some("b"), true, &p, &c));
        // SAFETY: `encode_purchase_input` wrote it.
        let borrowed = unsafe { decode_purchase_input_in_place(&bytes) }.unwrap();
        assert_eq!(&borrowed.1, &p);
        assert!(bytes.as_ptr_range().contains(&borrowed.1.items[0].sku.as_ptr()), "read in place, not copied");
        let e = Event::new("e-1", "review").with_attribute("stars", "5");
        let (head, e2, c2) = decode_event_input(&encode_event_input(-1, None, false, &e, &c)).unwrap();
        assert_eq!((head.now, head.variant, head.explain, e2, c2), (-1, None, false, e, c));
    }

    /// Inputs are written into one allocation of exactly their size, with every optional
    /// part present or absent.
    #[test]
    fn input_sizes_are_exact() {
        let (p, c) = sample();
        let (mut bare_p, mut bare_c) = (Purchase::new("p", 1), Customer::new("c"));
        bare_c.last_purchase_at = Some(5);
        bare_p.items.push(LineItem::new("a", "b", 1, 2));
        for (variant, p, c) in [(Some("variant-b"), &p, &c), (None, &bare_p, &bare_c), (None, &p, &bare_c), (Some(""), &bare_p, &c)] {
            let bytes = encode_purchase_input(1, variant, false, p, c);
            assert_eq!((bytes.len(), bytes.capacity()), (purchase_input_size(variant, p, c), bytes.len()), "{variant:?} {p:?}");
            let e = Event::new("e-1", "review").with_attribute("stars", "5");
            let bytes = encode_event_input(1, variant, true, &e, c);
            assert_eq!((bytes.len(), bytes.capacity()), (event_input_size(variant, &e, c), bytes.len()), "{variant:?} {e:?}");
        }
    }

    #[test]
    fn outcomes_round_trip() {
        let o = Outcome::new()
            .points(5, "five")
            .points_for("boris", 500, "referral")
            .order_discount(100, "d")
            .reward(Reward::ItemDiscount { sku: "latte".into(), amount: 50 }, "i")
            .reward(Reward::PercentDiscount { basis_points: 1500 }, "p")
            .cashback(7, "c")
            .reward(Reward::FreeShipping, "f")
            .reward(Reward::Coupon(Coupon { code: "X".into(), percent_off: 1, amount_off: 2, valid_until: 3 }), "cp")
            .set_tier("gold", "t")
            .reward(Reward::Badge { name: "b".into() }, "b")
            .reward(Reward::Perk { name: "lounge".into() }, "k")
            .progress("free coffee", 4, 6, crate::Unit::Purchases);
        let o = Outcome { state: Some(vec![0, 1, 255]), ..o };
        assert_eq!(decode_outcome(&encode_outcome(&o)).unwrap(), o);
        let (lean, skipped) = decode_outcome_without_text(&encode_outcome(&o)).unwrap();
        let reasons: usize = o.rewards.iter().map(|g| g.reason.len()).sum();
        assert_eq!(skipped, Skipped { text: reasons + "free coffee".len() + "purchases".len(), progress: 1 });
        assert!(lean.progress.is_empty() && lean.rewards.iter().all(|g| g.reason.is_empty()));
        let rewards = |o: &Outcome| o.rewards.iter().map(|g| g.reward.clone()).collect::<Vec<_>>();
        assert_eq!((rewards(&lean), &lean.state), (rewards(&o), &o.state));
        assert_eq!(decode_outcome(&encode_outcome(&Outcome::new())).unwrap(), Outcome::new());
        // The size reserved up front covers what is written, exactly for the widest reward.
        assert!(encode_outcome(&o).len() <= outcome_size(&o));
        let coupon = Outcome::new()
            .reward(Reward::Coupon(Coupon { code: "X".into(), percent_off: 1, amount_off: 2, valid_until: 3 }), "cp")
            .progress("free coffee", 4, 6, crate::Unit::Purchases);
        let coupon = Outcome { state: Some(vec![0, 1, 255]), ..coupon };
        assert_eq!(encode_outcome(&coupon).len(), outcome_size(&coupon));
    }

    #[test]
    fn damaged_bytes_are_errors_not_panics() {
        let (p, c) = sample();
        let good = encode_purchase_input(42, None, true, &p, &c);
        for cut in 0..good.len() {
            assert!(decode_purchase_input(&good[..cut]).is_err(), "cut at {cut}");
        }
        let mut long = good.clone();
        long.push(0);
        assert_eq!(decode_purchase_input(&long).unwrap_err().what, "trailing bytes");
        let mut maybe = encode_purchase_input(42, None, true, &p, &c);
        maybe[1 + 8 + 1] = 2;
        assert_eq!(decode_purchase_input(&maybe).unwrap_err(), WireError { at: 10, what: "boolean is neither 0 nor 1" });
        let mut old = good;
        old[0] = 0;
        assert!(decode_purchase_input(&old).unwrap_err().what.contains("version"));
        // Huge counts, bad flags, bad kinds, bad UTF-8.
        assert_eq!(decode_outcome(&[0xff, 0xff, 0xff, 0xff, 0]).unwrap_err().what, "length beyond the end");
        assert_eq!(decode_outcome(&[0, 0, 0, 0, 2, 0]).unwrap_err().what, "option flag is neither 0 nor 1");
        assert_eq!(decode_outcome(&[1, 0, 0, 0, 11]).unwrap_err(), WireError { at: 4, what: "unknown reward kind" });
        assert_eq!(decode_outcome(&[1, 0, 0, 0, 8, 1, 0, 0, 0, 0xc3, 0]).unwrap_err().what, "string is not UTF-8");
        // Text that is not kept is still checked.
        let bad_reason = [1, 0, 0, 0, 6, 1, 0, 0, 0, 0xc3, 0, 0, 0, 0, 0];
        assert_eq!(decode_outcome_without_text(&bad_reason).unwrap_err(), WireError { at: 5, what: "string is not UTF-8" });
        assert_eq!(decode_outcome(&[1, 0, 0]).unwrap_err(), WireError { at: 0, what: "unexpected end" });
        assert!(decode_outcome(&[0xff; 11]).is_err());
    }

    #[test]
    fn batches_round_trip_and_damage_is_an_error() {
        let calls: [(&[u8], &[u8]); 3] = [(b"in-1", b""), (b"", b"{}"), (b"in-3", b"state")];
        let buf = encode_batch(calls.iter().copied());
        let decode = |buf: &[u8]| {
            let mut calls = BatchCalls::new(buf);
            let seen: Vec<_> = calls.by_ref().map(|(i, s)| (i.to_vec(), s.to_vec())).collect();
            calls.finish().map(|()| seen)
        };
        let want: Vec<_> = calls.iter().map(|(i, s)| (i.to_vec(), s.to_vec())).collect();
        assert_eq!(decode(&buf).unwrap(), want);
        for cut in 0..buf.len() {
            assert!(decode(&buf[..cut]).is_err(), "cut at {cut}");
        }
        let mut w = Writer::default();
        w.len(2);
        write_batch_answer(&mut w, Ok(b"outcome"));
        write_batch_answer(&mut w, Err("no config"));
        let answers = decode_batch_answer(&w.buf, 2).unwrap();
        assert_eq!(answers, [Ok(&b"outcome"[..]), Err("no config")]);
        assert_eq!(decode_batch_answer(&w.buf, 3).unwrap_err().what, "batch answer has another number of answers than calls");
        for cut in 0..w.buf.len() {
            assert!(decode_batch_answer(&w.buf[..cut], 2).is_err(), "cut at {cut}");
        }
        assert_eq!(decode_batch_answer(&[1, 0, 0, 0, 2], 1).unwrap_err().what, "batch answer is neither 0 (outcome) nor 1 (error)");
    }

    #[test]
    fn json_text_becomes_the_values_it_writes() {
        let s = |t: &str| Value::Str(t.into());
        let cases = [
            ("null", Value::Null),
            (" true ", Value::Bool(true)),
            ("false", Value::Bool(false)),
            ("-9223372036854775808", Value::Int(i64::MIN)),
            ("9223372036854775807", Value::Int(i64::MAX)),
            ("2.5", Value::Float(2.5)),
            ("-1e3", Value::Float(-1000.0)),
            (r#""\u00e9t\u00e9 \"quoted\" \ud83d\ude00""#, s("été \"quoted\" 😀")),
            ("[]", Value::Array(vec![])),
            ("{}", Value::Object(vec![])),
            (
                r#"[[1, "a"], {"k": null}]"#,
                Value::Array(vec![Value::Array(vec![Value::Int(1), s("a")]), Value::Object(vec![("k".into(), Value::Null)])]),
            ),
            // Keys in the order written, repeats kept (the reader refuses a repeated field).
            (
                r#"{"b":1,"a":2,"b":3}"#,
                Value::Object(vec![("b".into(), Value::Int(1)), ("a".into(), Value::Int(2)), ("b".into(), Value::Int(3))]),
            ),
        ];
        for (text, want) in cases {
            assert_eq!(decode_value(&json_to_wire(text.as_bytes()).unwrap()).unwrap(), want, "{text}");
        }
        // The bytes themselves, as the WIT describes them.
        assert_eq!(json_to_wire(br#"{"a":[true,"x"]}"#).unwrap(), [7, 1, 0, 0, 0, 1, 0, 0, 0, b'a', 6, 2, 0, 0, 0, 2, 5, 1, 0, 0, 0, b'x']);
        assert_eq!(state_to_wire(b"").unwrap(), Vec::<u8>::new());
        assert_eq!(json_to_wire(b"{\"a\":").unwrap_err().to_string(), "unexpected end of input at line 1 column 6");
    }

    #[test]
    fn damaged_values_are_errors_not_panics() {
        let wire = json_to_wire(br#"{"a":[1,"two",{"b":null}],"c":2.5}"#).unwrap();
        for cut in 0..wire.len() {
            assert!(decode_value(&wire[..cut]).is_err(), "cut at {cut}");
        }
        assert_eq!(decode_value(&[9]).unwrap_err(), WireError { at: 0, what: "unknown value tag" });
        assert_eq!(decode_value(&[0, 0]).unwrap_err(), WireError { at: 1, what: "trailing bytes" });
        assert_eq!(decode_value(&[6, 255, 255, 255, 255]).unwrap_err(), WireError { at: 1, what: "length beyond the end" });
        // Nested deeper than the JSON parser allows: refused, without deep recursion.
        let deep: Vec<u8> = [6, 1, 0, 0, 0].repeat(200).into_iter().chain([0]).collect();
        assert_eq!(decode_value(&deep).unwrap_err(), WireError { at: 5 * 128, what: "value nested too deep" });
        let ok: Vec<u8> = [6, 1, 0, 0, 0].repeat(128).into_iter().chain([0]).collect();
        assert!(decode_value(&ok).is_ok());
    }
}
