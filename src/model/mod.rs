//! Canonical backlog types: items, ids, states, risk levels. No I/O lives here.

mod field_map;
pub mod sentence;

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What an item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Epic,
    Story,
    Risk,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Epic, Kind::Story, Kind::Risk];

    /// The folder that holds items of this kind inside a backlog.
    pub fn folder(self) -> &'static str {
        match self {
            Kind::Epic => "epics",
            Kind::Story => "stories",
            Kind::Risk => "risks",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Epic => "epic",
            Kind::Story => "story",
            Kind::Risk => "risk",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A canonical id such as `EP-1`, `ST-14` or `RK-3`: a prefix, a dash, a number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ItemId {
    prefix: Cow<'static, str>,
    number: u32,
}

/// The prefixes `backlog.toml` gives by default. Ids with one of them share it instead of each
/// holding a copy, so reading or cloning such an id allocates nothing.
const DEFAULT_PREFIXES: [&str; 3] = ["EP", "ST", "RK"];

/// `prefix`, shared when it is a default one.
fn shared_prefix(prefix: &str) -> Cow<'static, str> {
    match DEFAULT_PREFIXES.into_iter().find(|p| *p == prefix) {
        Some(p) => Cow::Borrowed(p),
        None => Cow::Owned(prefix.to_string()),
    }
}

impl ItemId {
    pub fn new(prefix: &str, number: u32) -> Self {
        ItemId { prefix: shared_prefix(prefix), number }
    }
    pub fn prefix(&self) -> &str {
        &self.prefix
    }
    pub fn number(&self) -> u32 {
        self.number
    }

    /// Whether `text` is this id as it prints, in any letter case (`st-14` spells `ST-14`):
    /// `text.eq_ignore_ascii_case(&id.to_string())`, without building the string.
    pub fn is_spelled(&self, text: &str) -> bool {
        let Some((prefix, number)) = text.rsplit_once('-') else { return false };
        let canonical_number =
            number.bytes().all(|b| b.is_ascii_digit()) && (number == "0" || !number.starts_with('0'));
        prefix.eq_ignore_ascii_case(&self.prefix) && canonical_number && number.parse() == Ok(self.number)
    }
}

impl Ord for ItemId {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (&self.prefix, self.number).cmp(&(&other.prefix, other.number))
    }
}
impl PartialOrd for ItemId {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for ItemId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.prefix, self.number)
    }
}

/// Why a string is not an item id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an item id; ids look like `ST-14`: letters, a dash, a number")]
pub struct BadItemId(pub String);

impl FromStr for ItemId {
    type Err = BadItemId;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let (prefix, number) = s.rsplit_once('-').ok_or_else(|| BadItemId(s.to_string()))?;
        if prefix.is_empty() || !prefix.chars().all(|c| c.is_ascii_alphabetic()) {
            return Err(BadItemId(s.to_string()));
        }
        let number = number.parse::<u32>().map_err(|_| BadItemId(s.to_string()))?;
        // Upper case, as `shared_prefix` would give it, without an upper-cased copy to look up.
        let prefix = match DEFAULT_PREFIXES.into_iter().find(|p| p.eq_ignore_ascii_case(prefix)) {
            Some(p) => Cow::Borrowed(p),
            None => Cow::Owned(prefix.to_ascii_uppercase()),
        };
        Ok(ItemId { prefix, number })
    }
}

impl TryFrom<String> for ItemId {
    type Error = BadItemId;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}
impl From<ItemId> for String {
    fn from(id: ItemId) -> String {
        id.to_string()
    }
}

/// Canonical lifecycle states; each mapping translates them to a remote's states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    New,
    Active,
    Resolved,
    Closed,
    Removed,
}

impl State {
    pub const ALL: [State; 5] = [State::New, State::Active, State::Resolved, State::Closed, State::Removed];

    pub fn as_str(self) -> &'static str {
        match self {
            State::New => "new",
            State::Active => "active",
            State::Resolved => "resolved",
            State::Closed => "closed",
            State::Removed => "removed",
        }
    }

    /// Work is finished (or abandoned): resolved, closed or removed.
    pub fn is_done(self) -> bool {
        matches!(self, State::Resolved | State::Closed | State::Removed)
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for State {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        State::ALL
            .into_iter()
            .find(|st| st.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("`{s}` is not a state; use one of new, active, resolved, closed, removed"))
    }
}

/// Risk likelihood and severity share one four-step scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Low,
    Medium,
    High,
    Critical,
}

impl Level {
    pub const ALL: [Level; 4] = [Level::Low, Level::Medium, Level::High, Level::Critical];

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
            Level::Critical => "critical",
        }
    }

    /// 1 (low) to 4 (critical); exposure is the product of two of these.
    pub fn weight(self) -> u32 {
        self as u32 + 1
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Level {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Level::ALL
            .into_iter()
            .find(|l| l.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("`{s}` is not a level; use one of low, medium, high, critical"))
    }
}

mod item;
pub use field_map::{Field, FieldMap};
pub use item::{Item, SentenceSource};

/// A persona from `backlog.toml`, with the other names people use for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Persona {
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub description: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_read_upper_case_whether_their_prefix_is_shared_or_not() {
        for (text, want) in
            [("st-3", "ST-3"), ("Rk-12", "RK-12"), ("ep-1", "EP-1"), ("bug-7", "BUG-7"), ("ST-0", "ST-0")]
        {
            let id: ItemId = text.parse().unwrap();
            assert_eq!(id.to_string(), want);
            assert_eq!(id, want.parse().unwrap());
            assert_eq!(id, ItemId::new(id.prefix(), id.number()));
        }
        assert_eq!(ItemId::new("st", 1).to_string(), "st-1", "`new` keeps the prefix as given");
        assert!(ItemId::new("ST", 9) < ItemId::new("ST", 10) && ItemId::new("RK", 99) < ItemId::new("ST", 1));
    }

    #[test]
    fn an_id_is_spelled_as_it_prints_in_any_letter_case() {
        let ids = [ItemId::new("ST", 14), ItemId::new("RK", 0), ItemId::new("A-B", 7)];
        let texts = [
            "ST-14", "st-14", "St-14", "ST-014", "ST-14 ", " ST-14", "ST14", "ST-", "-14", "SP-14", "ST-+14", "ST-140",
            "ST--14", "", "ST-1-4", "RK-0", "rk-00", "RK-", "a-b-7", "A-B-07", "B-7",
        ];
        for id in &ids {
            for text in texts {
                assert_eq!(id.is_spelled(text), text.eq_ignore_ascii_case(&id.to_string()), "{id} {text:?}");
            }
        }
    }
}
