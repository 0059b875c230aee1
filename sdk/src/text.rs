//! Reasons and labels built from pieces, without `core::fmt`.
//!
//! `format!` goes through `core::fmt`: a `dyn Write`, a `Formatter` with padding rules, and
//! a call per piece. Compiled to wasm that is several times the cost of the policy's own
//! arithmetic. [`text!`](crate::text!) appends each piece straight to one `String`, allocated
//! once at its widest size, so a reason costs about as much as its bytes:
//!
//! ```
//! use perk_sdk::{text, money};
//! let (n, goal) = (5, "free coffee");
//! assert_eq!(text!(goal, ": purchase #", n, " on ", money(1250)), "free coffee: purchase #5 on 12.50");
//! ```

#[allow(unused_imports)]
use crate::__alloc::*;
use crate::{Money, Percent};

/// Something [`text!`](crate::text!) can append.
pub trait Piece {
    fn push_to(&self, out: &mut String);
    /// Bytes it will take at most (numbers: their widest), so a text allocates once.
    fn max_len(&self) -> usize {
        20
    }
}

macro_rules! text_like {
    ($($t:ty),*) => {$(
        impl Piece for $t {
            #[inline]
            fn push_to(&self, out: &mut String) {
                push_str(out, self);
            }
            #[inline]
            fn max_len(&self) -> usize {
                self.len()
            }
        }
    )*};
}

text_like!(str, String);

/// `out.push_str(s)`, not inlined: a piece of `text!` is then a call at each use, not the
/// append's capacity check and copy (module size; `text!` reserved the capacity).
#[inline(never)]
pub(crate) fn push_str(out: &mut String, s: &str) {
    // SAFETY: appends whole UTF-8 text.
    append(unsafe { out.as_mut_vec() }, s.as_bytes());
}

/// `out.extend_from_slice(bytes)`, with short copies as a few word moves. In a guest every
/// copy of unknown length is a `memory.copy`, which wasmtime runs as a call out of compiled
/// code into the runtime; the names, codes and reasons a call copies are mostly a few
/// bytes long.
#[inline(never)]
pub(crate) fn append(out: &mut Vec<u8>, bytes: &[u8]) {
    let n = bytes.len();
    if n > 16 {
        out.extend_from_slice(bytes);
        return;
    }
    out.reserve(n);
    // SAFETY: `n` bytes are reserved past the end and every access is within `bytes` or
    // those; the pairs of moves overlap when `n` is short of twice their width.
    unsafe {
        let (src, dst) = (bytes.as_ptr(), out.as_mut_ptr().add(out.len()));
        if n >= 8 {
            dst.cast::<u64>().write_unaligned(src.cast::<u64>().read_unaligned());
            dst.add(n - 8).cast::<u64>().write_unaligned(src.add(n - 8).cast::<u64>().read_unaligned());
        } else if n >= 4 {
            dst.cast::<u32>().write_unaligned(src.cast::<u32>().read_unaligned());
            dst.add(n - 4).cast::<u32>().write_unaligned(src.add(n - 4).cast::<u32>().read_unaligned());
        } else if n > 0 {
            *dst = *src;
            *dst.add(n / 2) = *src.add(n / 2);
            *dst.add(n - 1) = *src.add(n - 1);
        }
        out.set_len(out.len() + n);
    }
}

impl Piece for char {
    #[inline]
    fn push_to(&self, out: &mut String) {
        push_str(out, self.encode_utf8(&mut [0; 4]));
    }
    #[inline]
    fn max_len(&self) -> usize {
        self.len_utf8()
    }
}

impl<T: Piece + ?Sized> Piece for &T {
    #[inline]
    fn push_to(&self, out: &mut String) {
        (**self).push_to(out);
    }
    #[inline]
    fn max_len(&self) -> usize {
        (**self).max_len()
    }
}

/// The pieces one after the other. For cold paths (error messages): one call with a slice,
/// where `text!` is a few instructions per piece at each use.
#[inline(never)]
pub(crate) fn concat(pieces: &[&str]) -> String {
    let mut out = String::with_capacity(pieces.iter().map(|p| p.len()).sum());
    for p in pieces {
        out.push_str(p);
    }
    out
}

/// `v` in decimal, written into `buf`, with a `-` when `negative`.
#[inline(never)]
pub(crate) fn decimal(buf: &mut [u8; 21], negative: bool, mut v: u64) -> &str {
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    if negative {
        at -= 1;
        buf[at] = b'-';
    }
    // SAFETY: ASCII digits and `-` only.
    unsafe { core::str::from_utf8_unchecked(&buf[at..]) }
}

/// `s.trim()`, out of line: `str::trim` is inlined into each crate that calls it, and each
/// brings its own copy of a double-ended pattern search (0.65 KB); a policy and the SDK
/// calling this one share it. To check for a blank name, [`is_blank`] is smaller still.
#[inline(never)]
pub fn trim(s: &str) -> &str {
    s.trim()
}

/// `items` with `sep` between them, as `items.join(sep)` — whose overflow check's `expect`
/// brings `str` formatting (0.6 KB) into a guest.
/// ```
/// assert_eq!(perk_sdk::text::joined(&["sat", "sun"], ", "), "sat, sun");
/// ```
pub fn joined<S: AsRef<str>>(items: &[S], sep: &str) -> String {
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            push_str(&mut out, sep);
        }
        push_str(&mut out, item.as_ref());
    }
    out
}

/// Whether `s` is empty or only whitespace: `s.trim().is_empty()` in a fifth of the code.
#[inline(never)]
pub fn is_blank(s: &str) -> bool {
    s.chars().all(char::is_whitespace)
}

/// Appends `v` in decimal.
#[inline(never)]
pub fn push_u64(out: &mut String, v: u64) {
    push_str(out, decimal(&mut [0; 21], false, v));
}

/// Appends `v` in decimal, with a `-` when negative.
#[inline(never)]
pub fn push_i64(out: &mut String, v: i64) {
    push_str(out, decimal(&mut [0; 21], v < 0, v.unsigned_abs()));
}

/// Appends minor units with two decimals: `12345` → `123.45` (as [`money`](crate::money)).
pub fn push_money(out: &mut String, amount: Money) {
    let a = amount.unsigned_abs();
    // `-0.05`: the sign goes with the whole part, even a zero one.
    push_str(out, decimal(&mut [0; 21], amount < 0, a / 100));
    let cents = [b'.', b'0' + (a % 100 / 10) as u8, b'0' + (a % 10) as u8];
    // SAFETY: ASCII.
    push_str(out, unsafe { core::str::from_utf8_unchecked(&cents) });
}

macro_rules! unsigned {
    ($($t:ty),*) => {$(
        impl Piece for $t {
            #[inline]
            fn push_to(&self, out: &mut String) {
                push_u64(out, *self as u64);
            }
        }
    )*};
}

macro_rules! signed {
    ($($t:ty),*) => {$(
        impl Piece for $t {
            #[inline]
            fn push_to(&self, out: &mut String) {
                push_i64(out, *self as i64);
            }
        }
    )*};
}

unsigned!(u8, u16, u32, u64, usize);
signed!(i8, i16, i32, i64, isize);

/// As its `Display`: `5%`, `2.5%`, `1.25%`.
impl Piece for Percent {
    fn push_to(&self, out: &mut String) {
        let bp = self.basis_points();
        push_u64(out, (bp / 100) as u64);
        // The rest in one append (`push(char)` is a UTF-8 encoder at every use).
        let r = bp % 100;
        let (tenths, hundredths) = (b'0' + (r / 10) as u8, b'0' + (r % 10) as u8);
        let (all, short) = ([b'.', tenths, hundredths, b'%'], [b'.', tenths, b'%']);
        let rest: &[u8] = match (r, hundredths) {
            (0, _) => b"%",
            (_, b'0') => &short,
            _ => &all,
        };
        // SAFETY: ASCII.
        push_str(out, unsafe { core::str::from_utf8_unchecked(rest) });
    }
}

/// A number written with at least two digits, as `format!("{:02}", n)`: a month or a day.
/// ```
/// use perk_sdk::{text, text::two_digits};
/// assert_eq!(text!(2026, '-', two_digits(3), '-', two_digits(14)), "2026-03-14");
/// ```
pub fn two_digits(n: u32) -> TwoDigits {
    TwoDigits(n)
}

/// See [`two_digits`].
#[derive(Clone, Copy, Debug)]
pub struct TwoDigits(pub u32);

impl Piece for TwoDigits {
    fn push_to(&self, out: &mut String) {
        if self.0 < 10 {
            out.push('0');
        }
        push_u64(out, self.0 as u64);
    }
}

/// As its `Display`: `100 points`, `15% off`, `free shipping`.
impl Piece for crate::RewardSpec {
    fn push_to(&self, out: &mut String) {
        out.push_str(&self.label());
    }
    fn max_len(&self) -> usize {
        32
    }
}

/// A `String` of the pieces in order: `&str`, `String`, `char`, integers, [`Percent`](crate::Percent),
/// [`RewardSpec`](crate::RewardSpec).
/// Each piece is evaluated once; the string is allocated once, at its widest size.
#[macro_export]
macro_rules! text {
    ($($piece:expr),* $(,)?) => {
        $crate::__text!(@bind [] $($piece,)*)
    };
}

/// [`text!`](crate::text!) as a reward's reason, written only when the host shows reasons
/// (a replay shows none): the pieces are evaluated then, not before. Use it where building
/// the reason is work (numbers, amounts); pieces computed only for the reason belong inside.
/// ```
/// use perk_sdk::{money, reason, Outcome};
/// let o = Outcome::new().points(40, reason!("1 point per ", money(100), " spent"));
/// assert_eq!(o.rewards[0].reason, "1 point per 1.00 spent");
/// ```
#[macro_export]
macro_rules! reason {
    ($($piece:expr),* $(,)?) => {
        $crate::Deferred(|| $crate::text!($($piece),*))
    };
}

/// `text!`'s binding step: each piece is evaluated into its own (hygienic) `piece` local.
#[doc(hidden)]
#[macro_export]
macro_rules! __text {
    (@bind [$($bound:ident)*] $head:expr, $($rest:expr,)*) => {{
        let piece = &$head;
        $crate::__text!(@bind [$($bound)* piece] $($rest,)*)
    }};
    (@bind [$($bound:ident)*]) => {{
        #[allow(unused_mut)] // `text!()`: nothing to push
        let mut out = $crate::__alloc::String::with_capacity(0 $( + $crate::text::Piece::max_len($bound) )*);
        $( $crate::text::Piece::push_to($bound, &mut out); )*
        out
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trim_is_str_trim() {
        for s in ["", " ", "a", " a ", "\u{a0}é b\u{2003}", "\t\n", "ab", "\u{3000}x", "x\u{85}"] {
            assert_eq!(trim(s), s.trim(), "{s:?}");
            assert_eq!(is_blank(s), s.trim().is_empty(), "{s:?}");
        }
    }

    #[test]
    fn append_copies_every_length_exactly() {
        let source: Vec<u8> = (1..=40).collect();
        for prefix in [0, 1, 7] {
            for n in 0..=source.len() {
                let mut out = vec![0xAA; prefix];
                append(&mut out, &source[..n]);
                append(&mut out, &source[n..]);
                assert_eq!(&out[..prefix], &vec![0xAA; prefix][..], "prefix {prefix}, n {n}");
                assert_eq!(&out[prefix..], &source[..], "prefix {prefix}, n {n}");
            }
        }
    }

    #[test]
    fn pieces_read_as_their_display() {
        for v in [0i64, 7, -7, 10, 1234567, i64::MAX, i64::MIN] {
            assert_eq!(text!(v), v.to_string());
        }
        for v in [0u64, 9, 10, u64::MAX] {
            assert_eq!(text!(v), v.to_string());
        }
        for bp in [0u32, 500, 250, 125, 10_000, 1, 10] {
            let p = Percent::from_basis_points(bp);
            assert_eq!(text!(p), p.to_string(), "{bp} basis points");
        }
        for m in [0, 5, 12345, -250, i64::MAX, i64::MIN] {
            let mut s = String::new();
            push_money(&mut s, m);
            assert_eq!(s, crate::money(m));
        }
        for n in [0u32, 7, 10, 99, 123] {
            assert_eq!(text!(two_digits(n)), format!("{n:02}"));
        }
        let name = String::from("anna");
        assert_eq!(text!("hi ", name, '!', " #", 3u32, " ", &name), "hi anna! #3 anna");
        let mut calls = 0;
        let mut next = || {
            calls += 1;
            calls
        };
        assert_eq!(text!(next(), "-", next()), "1-2", "each piece is evaluated once, in order");
        assert_eq!(text!(), "");
    }
}
