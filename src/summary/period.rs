//! Periods: a stakeholder's cadence (`weekly`, `biweekly`, `monthly`, `daily` or a cron
//! expression) turned into the key of the period a moment falls in (`2026-W45`, `2026-11`), and
//! the key of the period before. One summary goes to each channel and audience per period.

use std::str::FromStr;

use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, Utc};

/// How often a stakeholder hears from us.
#[derive(Debug, Clone, PartialEq)]
pub enum Cadence {
    Daily,
    Weekly,
    /// Every other ISO week, blocks starting on odd weeks.
    Biweekly,
    Monthly,
    /// A cron expression with seconds, as in `[schedule]`.
    Cron(Box<cron::Schedule>),
}

/// Why a cadence cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "cadence `{0}` is neither daily, weekly, biweekly, monthly nor a cron expression with seconds (e.g. `0 0 9 * * Mon`); fix it in stakeholders.toml"
)]
pub struct BadCadence(pub String);

impl FromStr for Cadence {
    type Err = BadCadence;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "daily" => Ok(Cadence::Daily),
            "weekly" => Ok(Cadence::Weekly),
            "biweekly" | "fortnightly" => Ok(Cadence::Biweekly),
            "monthly" => Ok(Cadence::Monthly),
            _ => cron::Schedule::from_str(s.trim())
                .map(|c| Cadence::Cron(Box::new(c)))
                .map_err(|_| BadCadence(s.to_string())),
        }
    }
}

impl Cadence {
    /// Roughly how long a period lasts; orders cadences and bounds "since" when nothing was posted.
    pub fn length(&self) -> Duration {
        match self {
            Cadence::Daily => Duration::days(1),
            Cadence::Weekly => Duration::days(7),
            Cadence::Biweekly => Duration::days(14),
            Cadence::Monthly => Duration::days(30),
            Cadence::Cron(s) => {
                let mut next = s.after(&DateTime::<Utc>::UNIX_EPOCH);
                match (next.next(), next.next()) {
                    (Some(a), Some(b)) => b - a,
                    _ => Duration::days(7),
                }
            }
        }
    }

    /// The key of the period `now` falls in.
    pub fn period(&self, now: DateTime<Utc>) -> String {
        let day = now.date_naive();
        match self {
            Cadence::Daily => day.format("%Y-%m-%d").to_string(),
            Cadence::Weekly => week_key(day, 1),
            Cadence::Biweekly => week_key(day, 2),
            Cadence::Monthly => day.format("%Y-%m").to_string(),
            Cadence::Cron(s) => match s.after(&now).next_back() {
                Some(fired) => fired.format("%Y-%m-%dT%H:%M").to_string(),
                None => day.format("%Y-%m-%d").to_string(),
            },
        }
    }

    /// The key of the period before the one `now` falls in.
    pub fn previous_period(&self, now: DateTime<Utc>) -> String {
        let day = now.date_naive();
        match self {
            Cadence::Daily => self.period(now - Duration::days(1)),
            Cadence::Weekly => week_key(day - Duration::days(7), 1),
            Cadence::Biweekly => week_key(start_of_block(day) - Duration::days(1), 2),
            Cadence::Monthly => {
                let first = day.with_day(1).unwrap_or(day);
                (first - Months::new(1)).format("%Y-%m").to_string()
            }
            Cadence::Cron(s) => {
                let mut back = s.after(&now);
                back.next_back();
                match back.next_back() {
                    Some(fired) => fired.format("%Y-%m-%dT%H:%M").to_string(),
                    None => self.period(now - self.length()),
                }
            }
        }
    }
}

/// `2026-W45`; with `block` 2, the first (odd) week of the two-week block.
fn week_key(day: NaiveDate, block: u32) -> String {
    let iso = day.iso_week();
    let week = iso.week() - (iso.week() - 1) % block;
    format!("{}-W{week:02}", iso.year())
}

fn start_of_block(day: NaiveDate) -> NaiveDate {
    let monday = day - Duration::days(i64::from(day.weekday().num_days_from_monday()));
    if day.iso_week().week().is_multiple_of(2) { monday - Duration::days(7) } else { monday }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    #[test]
    fn periods_and_the_period_before() {
        let cases: &[(&str, &str, &str, &str)] = &[
            // cadence, now, period, previous
            ("weekly", "2026-11-02T09:00:00Z", "2026-W45", "2026-W44"),
            ("weekly", "2026-01-01T09:00:00Z", "2026-W01", "2025-W52"),
            ("biweekly", "2026-11-02T09:00:00Z", "2026-W45", "2026-W43"),
            ("biweekly", "2026-11-09T09:00:00Z", "2026-W45", "2026-W43"),
            ("monthly", "2026-11-30T23:59:00Z", "2026-11", "2026-10"),
            ("monthly", "2026-01-15T00:00:00Z", "2026-01", "2025-12"),
            ("daily", "2026-03-01T08:00:00Z", "2026-03-01", "2026-02-28"),
            ("0 0 9 * * Mon", "2026-11-04T12:00:00Z", "2026-11-02T09:00", "2026-10-26T09:00"),
        ];
        for (cadence, now, period, previous) in cases {
            let c: Cadence = cadence.parse().unwrap();
            assert_eq!(c.period(at(now)), *period, "{cadence} at {now}");
            assert_eq!(c.previous_period(at(now)), *previous, "{cadence} before {now}");
        }
    }

    #[test]
    fn cadences_order_by_length_and_bad_ones_say_how_to_fix() {
        let weekly: Cadence = "Weekly".parse().unwrap();
        let monthly: Cadence = "monthly".parse().unwrap();
        assert!(weekly.length() < monthly.length());
        assert_eq!("0 0 9 * * Mon".parse::<Cadence>().unwrap().length(), Duration::days(7));
        let err = "every now and then".parse::<Cadence>().unwrap_err().to_string();
        assert!(err.contains("`every now and then`") && err.contains("stakeholders.toml"), "{err}");
    }
}
