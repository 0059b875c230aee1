//! Purchase histories for `perk simulate`: the CDNOW format, any CSV with a column map,
//! and JSON Lines of the API's purchase body. Errors name the file, row and column.

use super::history::{History, RowsBuilder};
use crate::input;
use perk_sdk::Money;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ReadError(pub String);

fn read(path: &Path) -> Result<String, ReadError> {
    std::fs::read_to_string(path).map_err(|e| ReadError(format!("cannot read {}: {e}", path.display())))
}

/// Unix ms of a `YYYYMMDD` or ISO 8601 date (`2026-03-02`) at 00:00 UTC, or an RFC 3339 time.
pub fn parse_time(s: &str) -> Result<i64, String> {
    use time::format_description::well_known::Rfc3339;
    let s = s.trim();
    // `YYYYMMDD` or `YYYY-MM-DD`: the digits' positions.
    let b = s.as_bytes();
    let at = match b.len() {
        8 => [0, 4, 6],
        10 if b[4] == b'-' && b[7] == b'-' => [0, 5, 8],
        _ => [usize::MAX; 3],
    };
    let number = |from: usize, len: usize| {
        b.get(from..)
            .and_then(|rest| rest.get(..len))
            .filter(|d| d.iter().all(u8::is_ascii_digit))
            .map(|d| d.iter().fold(0, |n, d| n * 10 + (d - b'0') as i32))
    };
    if let (Some(y), Some(m), Some(d)) = (number(at[0], 4), number(at[1], 2), number(at[2], 2)) {
        let month = time::Month::try_from(m as u8).map_err(|_| format!("`{s}`: no month {m}"))?;
        let date = time::Date::from_calendar_date(y, month, d as u8).map_err(|e| format!("`{s}`: {e}"))?;
        return Ok(date.midnight().assume_utc().unix_timestamp() * 1000);
    }
    if let Ok(t) = time::OffsetDateTime::parse(s, &Rfc3339) {
        return Ok((t.unix_timestamp_nanos() / 1_000_000) as i64);
    }
    Err(format!("`{s}` is not a date such as `2026-03-02` or `20260302`, or an RFC 3339 time"))
}

/// Digits after the decimal point in `currency` (ISO 4217).
pub fn minor_digits(currency: &str) -> u32 {
    match currency {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX" | "UYI" | "VND" | "VUV" | "XAF" | "XOF"
        | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        _ => 2,
    }
}

/// A decimal amount (`12.5`, `1234.56`, `-3`) in minor units, exactly: no floats.
pub fn parse_amount(s: &str, digits: u32) -> Result<Money, String> {
    let t = s.trim();
    let (neg, body) = t.strip_prefix('-').map_or((false, t), |b| (true, b));
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    let bad = || format!("`{s}` is not an amount such as `12.50`");
    if int.is_empty() && frac.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    if frac.len() > digits as usize {
        return Err(format!("`{s}` has more than {digits} decimals"));
    }
    let scale = 10i64.pow(digits);
    let int: i64 = if int.is_empty() { 0 } else { int.parse().map_err(|_| format!("`{s}` is too large"))? };
    // `5` of `12.5` is 50 cents: the digits given, scaled to `digits` places.
    let frac: i64 = frac.bytes().fold(0, |n, d| n * 10 + (d - b'0') as i64) * 10i64.pow(digits - frac.len() as u32);
    let v = int.checked_mul(scale).and_then(|v| v.checked_add(frac)).ok_or_else(|| format!("`{s}` is too large"))?;
    Ok(if neg { -v } else { v })
}

/// The CDNOW master file (see `examples/data/cdnow/README.md`), read by every core: each
/// parses a share of the lines.
pub fn cdnow(path: &Path) -> Result<History, ReadError> {
    let text = read(path)?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    // A share of at least 256 KiB: below that a thread costs more than it saves.
    let parts = cores.min(text.len() / (256 << 10)).max(1);
    let mut shares = line_shares(&text, parts).into_iter();
    let first = shares.next().expect("one share at least");
    std::thread::scope(|s| {
        let others: Vec<_> = shares.map(|share| s.spawn(move || cdnow_lines(path, &share))).collect();
        // The first share here while the others are parsed; theirs are appended in file
        // order (the first error wins).
        let mut out = cdnow_lines(path, &first);
        for other in others {
            let other = other.join().expect("a reading thread panicked");
            if let Ok(all) = &mut out {
                match other {
                    Ok(more) => all.append(more),
                    Err(e) => out = Err(e),
                }
            }
        }
        Ok(out?.finish("cdnow", "cd", "USD"))
    })
}

/// A run of whole lines of a file.
struct Share<'t> {
    /// The number of its first line.
    first: usize,
    /// How many lines it holds (at most; the last may lack its line end).
    lines: usize,
    text: &'t str,
}

/// `text` cut into `parts` runs of whole lines (the last ones empty if lines run out).
fn line_shares(text: &str, parts: usize) -> Vec<Share<'_>> {
    let mut shares = Vec::with_capacity(parts);
    let (mut rest, mut line) = (text, 1);
    for k in (1..=parts).rev() {
        let from = rest.len() / k;
        // Just after a line end (so on a character boundary), or all of it.
        let cut = match k {
            1 => rest.len(),
            _ => rest.as_bytes()[from..].iter().position(|&b| b == b'\n').map_or(rest.len(), |i| from + i + 1),
        };
        let (share, tail) = rest.split_at(cut);
        let ends = share.bytes().filter(|&b| b == b'\n').count();
        shares.push(Share { first: line, lines: ends + 1, text: share });
        line += ends;
        rest = tail;
    }
    shares
}

/// The purchases of a share of the CDNOW lines.
fn cdnow_lines(path: &Path, share: &Share) -> Result<RowsBuilder, ReadError> {
    let mut out = RowsBuilder::with_capacity(share.lines);
    // The file is sorted by customer: most lines have the one before's.
    let mut last: Option<(&str, u32)> = None;
    for (n, line) in (share.first..).zip(share.text.lines()) {
        let mut columns = line.split_whitespace();
        let mut fields = [""; 4];
        let found = columns.by_ref().zip(&mut fields).map(|(c, f)| *f = c).count() + columns.count();
        if n == 1 && fields[0] == "customer_id" {
            continue;
        }
        if found == 0 {
            continue;
        }
        let at = |col: usize, what: &str| format!("{}:{n}: column {col} ({what})", path.display());
        if found != 4 {
            return Err(ReadError(format!(
                "{}:{n}: expected 4 columns (customer_id date number_of_cds dollar_value), found {found}",
                path.display(),
            )));
        }
        let time = parse_time(fields[1]).map_err(|e| ReadError(format!("{}: {e}", at(2, "date"))))?;
        let cds: u32 =
            fields[2].parse().map_err(|_| ReadError(format!("{}: `{}` is not a whole number", at(3, "number_of_cds"), fields[2])))?;
        let total = parse_amount(fields[3], 2).map_err(|e| ReadError(format!("{}: {e}", at(4, "dollar_value"))))?;
        if total < 0 {
            return Err(ReadError(format!("{}: must not be negative", at(4, "dollar_value"))));
        }
        let customer = match last {
            Some((id, k)) if id == fields[0] => k,
            _ => out.customers.get(fields[0]),
        };
        last = Some((fields[0], customer));
        // A line of zero CDs still bought something: one item, the whole total.
        out.push(n, customer, time, total, cds, "music", None);
    }
    Ok(out)
}

/// Which CSV columns hold what: `customer=<col>,at=<col>,total=<col>[,id=<col>][,category=<col>]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnMap {
    pub customer: String,
    pub at: String,
    pub total: String,
    pub id: Option<String>,
    pub category: Option<String>,
}

impl std::str::FromStr for ColumnMap {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let mut m: BTreeMap<&str, &str> = BTreeMap::new();
        for part in s.split(',').filter(|p| !p.trim().is_empty()) {
            let (k, v) = part.split_once('=').ok_or_else(|| format!("`{part}`: expected `field=column`"))?;
            let k = k.trim();
            if !["customer", "at", "total", "id", "category"].contains(&k) {
                return Err(format!("`{k}`: unknown field; map customer, at, total, and optionally id and category"));
            }
            if m.insert(k, v.trim()).is_some() {
                return Err(format!("`{k}` is mapped twice"));
            }
        }
        let need =
            |k: &str| m.get(k).map(|v| v.to_string()).ok_or_else(|| format!("map `{k}=<column>` (customer, at and total are required)"));
        Ok(ColumnMap {
            customer: need("customer")?,
            at: need("at")?,
            total: need("total")?,
            id: m.get("id").map(|v| v.to_string()),
            category: m.get("category").map(|v| v.to_string()),
        })
    }
}

/// Any CSV with a header row; amounts are decimals in `currency`.
pub fn csv(path: &Path, map: &ColumnMap, currency: &str) -> Result<History, ReadError> {
    let mut reader = ::csv::ReaderBuilder::new()
        .trim(::csv::Trim::All)
        .from_path(path)
        .map_err(|e| ReadError(format!("cannot read {}: {e}", path.display())))?;
    let header = reader.headers().map_err(|e| ReadError(format!("{}: header: {e}", path.display())))?.clone();
    let col = |name: &str| -> Result<usize, ReadError> {
        header.iter().position(|h| h == name).ok_or_else(|| {
            ReadError(format!("{}: no column `{name}`; the header has: {}", path.display(), header.iter().collect::<Vec<_>>().join(", ")))
        })
    };
    let (c_customer, c_at, c_total) = (col(&map.customer)?, col(&map.at)?, col(&map.total)?);
    let c_id = map.id.as_deref().map(col).transpose()?;
    let c_category = map.category.as_deref().map(col).transpose()?;
    let digits = minor_digits(currency);
    let mut out = RowsBuilder::with_capacity(0);
    for (i, record) in reader.records().enumerate() {
        let row = i + 2;
        let record = record.map_err(|e| ReadError(format!("{}:{row}: {e}", path.display())))?;
        let field = |c: usize, name: &str| -> Result<&str, ReadError> {
            let v = record.get(c).unwrap_or_default();
            if v.is_empty() {
                return Err(ReadError(format!("{}:{row}: column `{name}` is empty", path.display())));
            }
            Ok(v)
        };
        let customer = field(c_customer, &map.customer)?;
        let at = parse_time(field(c_at, &map.at)?).map_err(|e| ReadError(format!("{}:{row}: column `{}`: {e}", path.display(), map.at)))?;
        let total = parse_amount(field(c_total, &map.total)?, digits)
            .map_err(|e| ReadError(format!("{}:{row}: column `{}`: {e}", path.display(), map.total)))?;
        if total < 0 {
            return Err(ReadError(format!("{}:{row}: column `{}`: must not be negative", path.display(), map.total)));
        }
        let id = c_id.map(|c| field(c, map.id.as_deref().unwrap())).transpose()?;
        let category = c_category.map(|c| record.get(c).unwrap_or_default()).unwrap_or_default();
        let customer = out.customers.get(customer);
        out.push(row, customer, at, total, 1, category, id);
    }
    Ok(out.finish("csv", "item", currency))
}

/// One API purchase body per line.
pub fn jsonl(path: &Path, currency: &str) -> Result<History, ReadError> {
    let text = read(path)?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let p = input::purchase(line, currency, 0).map_err(|e| ReadError(format!("{}:{}: {e}", path.display(), i + 1)))?;
        out.push(p);
    }
    Ok(History::from(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_exact_minor_units() {
        assert_eq!(parse_amount("11.77", 2), Ok(1177));
        assert_eq!(parse_amount("12", 2), Ok(1200));
        assert_eq!(parse_amount("0.5", 2), Ok(50));
        assert_eq!(parse_amount(".5", 2), Ok(50));
        assert_eq!(parse_amount("-3.10", 2), Ok(-310));
        assert_eq!(parse_amount("1500", 0), Ok(1500));
        assert_eq!(parse_amount("1.234", 3), Ok(1234));
        assert!(parse_amount("1.234", 2).unwrap_err().contains("more than 2 decimals"));
        assert!(parse_amount("12,50", 2).is_err());
        assert!(parse_amount("", 2).is_err());
        assert!(parse_amount("99999999999999999999", 2).unwrap_err().contains("too large"));
    }

    #[test]
    fn dates_in_three_spellings() {
        let day = 1_772_409_600_000; // 2026-03-02
        assert_eq!(parse_time("20260302"), Ok(day));
        assert_eq!(parse_time("2026-03-02"), Ok(day));
        assert_eq!(parse_time("2026-03-02T00:00:00Z"), Ok(day));
        assert!(parse_time("20261302").unwrap_err().contains("no month 13"));
        assert!(parse_time("02/03/2026").is_err());
        assert!(parse_time("2026-03-é").is_err() && parse_time("é026-03-02").is_err());
    }

    #[test]
    fn shares_are_whole_lines_numbered_as_in_the_file() {
        let text = "a 1\nbé 2\nccc 3\n\ndddd 4\nééé 5";
        for parts in 1..=8 {
            let shares = line_shares(text, parts);
            assert!(shares.len() == parts);
            assert_eq!(shares.iter().map(|s| s.text).collect::<String>(), text, "{parts} parts");
            for share in shares {
                assert!(share.text.lines().count() <= share.lines);
                for (n, line) in (share.first..).zip(share.text.lines()) {
                    assert_eq!(text.lines().nth(n - 1), Some(line), "{parts} parts: line {n}");
                }
            }
        }
    }

    #[test]
    fn column_maps_name_what_is_missing() {
        let m: ColumnMap = "customer=cust, at=date,total=amount,id=order".parse().unwrap();
        assert_eq!((m.customer.as_str(), m.id.as_deref(), m.category), ("cust", Some("order"), None));
        assert!("customer=a,at=b".parse::<ColumnMap>().unwrap_err().contains("total"));
        assert!("customer=a,at=b,total=c,colour=d".parse::<ColumnMap>().unwrap_err().contains("unknown field"));
    }
}
