//! Calendar arithmetic on unix milliseconds, without a clock and without a time crate
//! (which would grow every guest): civil dates, weekdays and local time by a fixed offset.

#[allow(unused_imports)]
use crate::__alloc::*;
use crate::Timestamp;

const DAY_MS: i64 = 86_400_000;

/// A date in the proleptic Gregorian calendar.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: i64,
    /// 1–12.
    pub month: u32,
    /// 1–31.
    pub day: u32,
}

impl Date {
    /// The local date of `at` for a shop `utc_offset_minutes` ahead of UTC.
    pub fn of(at: Timestamp, utc_offset_minutes: i64) -> Date {
        Date::from_days(local_ms(at, utc_offset_minutes).div_euclid(DAY_MS))
    }

    /// Days since 1970-01-01 → date (Howard Hinnant's `civil_from_days`).
    pub fn from_days(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        Date { year: yoe + era * 400 + i64::from(month <= 2), month, day }
    }

    /// Date → days since 1970-01-01 (`days_from_civil`).
    pub fn days(self) -> i64 {
        let y = self.year - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = self.month as i64;
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + self.day as i64 - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// 0 = Monday … 6 = Sunday.
    pub fn weekday(self) -> u32 {
        (self.days() + 3).rem_euclid(7) as u32
    }

    pub fn is_leap_year(year: i64) -> bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    /// Months since 1970-01 (for "once a month" rules).
    pub fn month_index(self) -> i64 {
        (self.year - 1970) * 12 + self.month as i64 - 1
    }
}

/// `at` shifted to the shop's wall clock.
pub fn local_ms(at: Timestamp, utc_offset_minutes: i64) -> i64 {
    at + utc_offset_minutes * 60_000
}

/// The local hour (0–23) of `at`.
pub fn hour(at: Timestamp, utc_offset_minutes: i64) -> u32 {
    (local_ms(at, utc_offset_minutes).rem_euclid(DAY_MS) / 3_600_000) as u32
}

/// `"mon"`…`"sun"` → 0…6.
pub fn weekday_from_name(name: &str) -> Option<u32> {
    ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].iter().position(|d| name.eq_ignore_ascii_case(d)).map(|i| i as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_and_know_their_weekday() {
        assert_eq!(Date::from_days(0), Date { year: 1970, month: 1, day: 1 });
        assert_eq!(Date::from_days(0).weekday(), 3, "1970-01-01 was a Thursday");
        let d = Date::of(1_772_454_600_000, 0);
        assert_eq!(d, Date { year: 2026, month: 3, day: 2 });
        assert_eq!(d.weekday(), 0, "2026-03-02 is a Monday");
        for days in [-800_000, -1, 0, 59, 10_956, 20_513, 2_932_896] {
            assert_eq!(Date::from_days(days).days(), days);
        }
        assert_eq!(Date::of(1_772_454_600_000 - 16 * 3_600_000, 180), Date { year: 2026, month: 3, day: 1 });
        assert_eq!(hour(1_772_454_600_000, 180), 15);
        assert!(Date::is_leap_year(2028) && !Date::is_leap_year(2100) && Date::is_leap_year(2000));
        assert_eq!(weekday_from_name("Sat"), Some(5));
    }
}
