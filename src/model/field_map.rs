//! `FieldMap`: one item's canonical fields as `field → text`. The fields sync knows (`Field`) sit
//! in fixed slots; only what a mapping adds beyond them goes into a small map of strings. It
//! reads, iterates (by name, alphabetically) and serialises exactly as the map of strings it
//! replaced, so stored bases and callers see no difference.

use std::collections::{BTreeMap, btree_map};
use std::fmt;
use std::iter::{FilterMap, Peekable, Zip};
use std::ops::Index;
use std::sync::LazyLock;

use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::Kind;

/// How many fields sync knows.
const COUNT: usize = 17;

/// A canonical field sync knows, in the alphabetical order of its name (a map's order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    Acceptance,
    Activity,
    Benefit,
    Description,
    Epic,
    Likelihood,
    Milestone,
    Mitigation,
    Owner,
    Persona,
    Points,
    Priority,
    ReviewBy,
    Severity,
    State,
    Tags,
    Title,
}

impl Field {
    pub const ALL: [Field; COUNT] = [
        Field::Acceptance,
        Field::Activity,
        Field::Benefit,
        Field::Description,
        Field::Epic,
        Field::Likelihood,
        Field::Milestone,
        Field::Mitigation,
        Field::Owner,
        Field::Persona,
        Field::Points,
        Field::Priority,
        Field::ReviewBy,
        Field::Severity,
        Field::State,
        Field::Tags,
        Field::Title,
    ];

    /// An epic's fields, in display order.
    pub const EPIC: [Field; 7] = {
        use Field::*;
        [Title, State, Priority, Owner, Tags, Milestone, Description]
    };
    /// A story's fields, in display order.
    pub const STORY: [Field; 13] = {
        use Field::*;
        [
            Title,
            State,
            Priority,
            Owner,
            Tags,
            Milestone,
            Epic,
            Persona,
            Activity,
            Benefit,
            Points,
            Description,
            Acceptance,
        ]
    };
    /// A risk's fields, in display order.
    pub const RISK: [Field; 11] = {
        use Field::*;
        [Title, State, Priority, Owner, Tags, Milestone, Likelihood, Severity, Mitigation, ReviewBy, Description]
    };

    /// The fields sync carries for each kind, in display order (`fields_of` by name).
    pub fn of(kind: Kind) -> &'static [Field] {
        match kind {
            Kind::Epic => &Self::EPIC,
            Kind::Story => &Self::STORY,
            Kind::Risk => &Self::RISK,
        }
    }

    /// The names of `fields`, in their order (for tables of names built at compile time).
    pub const fn names<const N: usize>(fields: [Field; N]) -> [&'static str; N] {
        let mut out = [""; N];
        let mut i = 0;
        while i < N {
            out[i] = fields[i].name();
            i += 1;
        }
        out
    }

    /// The field's name in files, mappings and stored bases.
    pub const fn name(self) -> &'static str {
        match self {
            Field::Acceptance => "acceptance",
            Field::Activity => "activity",
            Field::Benefit => "benefit",
            Field::Description => "description",
            Field::Epic => "epic",
            Field::Likelihood => "likelihood",
            Field::Milestone => "milestone",
            Field::Mitigation => "mitigation",
            Field::Owner => "owner",
            Field::Persona => "persona",
            Field::Points => "points",
            Field::Priority => "priority",
            Field::ReviewBy => "review_by",
            Field::Severity => "severity",
            Field::State => "state",
            Field::Tags => "tags",
            Field::Title => "title",
        }
    }

    /// The known field of that name, if any.
    pub fn from_name(name: &str) -> Option<Field> {
        Some(match name {
            "acceptance" => Field::Acceptance,
            "activity" => Field::Activity,
            "benefit" => Field::Benefit,
            "description" => Field::Description,
            "epic" => Field::Epic,
            "likelihood" => Field::Likelihood,
            "milestone" => Field::Milestone,
            "mitigation" => Field::Mitigation,
            "owner" => Field::Owner,
            "persona" => Field::Persona,
            "points" => Field::Points,
            "priority" => Field::Priority,
            "review_by" => Field::ReviewBy,
            "severity" => Field::Severity,
            "state" => Field::State,
            "tags" => Field::Tags,
            "title" => Field::Title,
            _ => return None,
        })
    }

    /// The name as a `String` that lives for the whole process: the key `FieldMap` hands out, as
    /// the map of strings did, so callers keep taking `&String` keys.
    fn key(self) -> &'static String {
        static KEYS: LazyLock<[String; COUNT]> = LazyLock::new(|| Field::ALL.map(|f| f.name().to_string()));
        &KEYS[self as usize]
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

type Slots = [Option<String>; COUNT];
static NO_SLOTS: Slots = [const { None }; COUNT];

/// Field name → normalised text; an empty string means "unset", a missing field "says nothing".
/// Known fields live in slots (allocated on the first one set); `extra` holds the rest.
#[derive(Clone, Default)]
pub struct FieldMap {
    known: Option<Box<Slots>>,
    extra: BTreeMap<String, String>,
}

impl FieldMap {
    pub const fn new() -> FieldMap {
        FieldMap { known: None, extra: BTreeMap::new() }
    }

    fn slots(&self) -> &Slots {
        self.known.as_deref().unwrap_or(&NO_SLOTS)
    }

    fn slots_mut(&mut self) -> &mut Slots {
        self.known.get_or_insert_with(|| Box::new([const { None }; COUNT]))
    }

    /// The value of a known field.
    pub fn value(&self, field: Field) -> Option<&String> {
        self.known.as_ref()?[field as usize].as_ref()
    }

    /// Sets a known field, returning what it held.
    pub fn set(&mut self, field: Field, value: String) -> Option<String> {
        self.slots_mut()[field as usize].replace(value)
    }

    /// Removes a known field, returning what it held.
    pub fn take(&mut self, field: Field) -> Option<String> {
        self.known.as_mut()?[field as usize].take()
    }

    pub fn get<Q: AsRef<str> + ?Sized>(&self, name: &Q) -> Option<&String> {
        let name = name.as_ref();
        match Field::from_name(name) {
            Some(f) => self.value(f),
            None => self.extra.get(name),
        }
    }

    pub fn get_mut<Q: AsRef<str> + ?Sized>(&mut self, name: &Q) -> Option<&mut String> {
        let name = name.as_ref();
        match Field::from_name(name) {
            Some(f) => self.known.as_mut()?[f as usize].as_mut(),
            None => self.extra.get_mut(name),
        }
    }

    pub fn insert(&mut self, name: String, value: String) -> Option<String> {
        match Field::from_name(&name) {
            Some(f) => self.set(f, value),
            None => self.extra.insert(name, value),
        }
    }

    pub fn remove<Q: AsRef<str> + ?Sized>(&mut self, name: &Q) -> Option<String> {
        let name = name.as_ref();
        match Field::from_name(name) {
            Some(f) => self.take(f),
            None => self.extra.remove(name),
        }
    }

    pub fn contains_key<Q: AsRef<str> + ?Sized>(&self, name: &Q) -> bool {
        self.get(name).is_some()
    }

    pub fn len(&self) -> usize {
        self.slots().iter().filter(|v| v.is_some()).count() + self.extra.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots().iter().all(Option::is_none) && self.extra.is_empty()
    }

    pub fn clear(&mut self) {
        self.known = None;
        self.extra.clear();
    }

    /// Keeps only the fields `keep` says yes to.
    pub fn retain(&mut self, mut keep: impl FnMut(&String, &mut String) -> bool) {
        if let Some(slots) = self.known.as_mut() {
            for (slot, f) in slots.iter_mut().zip(Field::ALL) {
                if slot.as_mut().is_some_and(|v| !keep(f.key(), v)) {
                    *slot = None;
                }
            }
        }
        self.extra.retain(|k, v| keep(k, v));
    }

    /// Every field, by name in alphabetical order.
    pub fn iter(&self) -> Iter<'_> {
        let known: KnownIter<'_> =
            self.slots().iter().zip(Field::ALL).filter_map(|(v, f)| Some((f.key(), v.as_ref()?)));
        Iter(Sorted { a: known.peekable(), b: self.extra.iter().peekable() })
    }

    /// Every field with its value to change, by name in alphabetical order.
    pub fn iter_mut(&mut self) -> IterMut<'_> {
        let slots: &mut [Option<String>] = match self.known.as_deref_mut() {
            Some(s) => s,
            None => &mut [],
        };
        let known: KnownIterMut<'_> =
            slots.iter_mut().zip(Field::ALL).filter_map(|(v, f)| Some((f.key(), v.as_mut()?)));
        IterMut(Sorted { a: known.peekable(), b: self.extra.iter_mut().peekable() })
    }

    pub fn keys(&self) -> impl Iterator<Item = &String> + Clone + '_ {
        self.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl Iterator<Item = &String> + Clone + '_ {
        self.iter().map(|(_, v)| v)
    }

    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut String> + '_ {
        self.iter_mut().map(|(_, v)| v)
    }

    pub fn into_keys(self) -> impl Iterator<Item = String> {
        self.into_iter().map(|(k, _)| k)
    }

    pub fn into_values(self) -> impl Iterator<Item = String> {
        self.into_iter().map(|(_, v)| v)
    }

    /// The field of that name, to fill in if missing.
    pub fn entry(&mut self, name: String) -> Entry<'_> {
        Entry { map: self, name }
    }

    /// Sets every field `other` holds (known ones without touching their names).
    pub fn overlay(&mut self, other: FieldMap) {
        if let Some(theirs) = other.known {
            let mine = self.slots_mut();
            for (slot, value) in mine.iter_mut().zip(*theirs) {
                if value.is_some() {
                    *slot = value;
                }
            }
        }
        self.extra.extend(other.extra);
    }
}

/// A field of a `FieldMap`, set or not.
pub struct Entry<'a> {
    map: &'a mut FieldMap,
    name: String,
}

impl<'a> Entry<'a> {
    pub fn or_insert(self, value: String) -> &'a mut String {
        match Field::from_name(&self.name) {
            Some(f) => self.map.slots_mut()[f as usize].get_or_insert(value),
            None => self.map.extra.entry(self.name).or_insert(value),
        }
    }

    pub fn or_default(self) -> &'a mut String {
        self.or_insert(String::new())
    }
}

/// Merges two iterators sorted by key into one sorted by key (`a` first on equal keys, which
/// never happens: a name is either known or extra).
struct Sorted<A: Iterator, B: Iterator> {
    a: Peekable<A>,
    b: Peekable<B>,
}

impl<K: Ord, V, A: Iterator<Item = (K, V)>, B: Iterator<Item = (K, V)>> Iterator for Sorted<A, B> {
    type Item = (K, V);

    fn next(&mut self) -> Option<(K, V)> {
        match (self.a.peek(), self.b.peek()) {
            (Some((ka, _)), Some((kb, _))) if kb < ka => self.b.next(),
            (Some(_), _) => self.a.next(),
            (None, _) => self.b.next(),
        }
    }
}

type KnownIter<'a> = FilterMap<
    Zip<std::slice::Iter<'a, Option<String>>, std::array::IntoIter<Field, COUNT>>,
    fn((&'a Option<String>, Field)) -> Option<(&'a String, &'a String)>,
>;
type KnownIterMut<'a> = FilterMap<
    Zip<std::slice::IterMut<'a, Option<String>>, std::array::IntoIter<Field, COUNT>>,
    fn((&'a mut Option<String>, Field)) -> Option<(&'a String, &'a mut String)>,
>;
type KnownIntoIter = FilterMap<
    Zip<std::array::IntoIter<Option<String>, COUNT>, std::array::IntoIter<Field, COUNT>>,
    fn((Option<String>, Field)) -> Option<(String, String)>,
>;

/// A `FieldMap`'s fields by name, alphabetically.
pub struct Iter<'a>(Sorted<KnownIter<'a>, btree_map::Iter<'a, String, String>>);

impl Clone for Iter<'_> {
    fn clone(&self) -> Self {
        Iter(Sorted { a: self.0.a.clone(), b: self.0.b.clone() })
    }
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a String, &'a String);
    fn next(&mut self) -> Option<Self::Item> {
        self.0.next()
    }
}

/// A `FieldMap`'s fields by name, alphabetically, with values to change.
pub struct IterMut<'a>(Sorted<KnownIterMut<'a>, btree_map::IterMut<'a, String, String>>);

impl<'a> Iterator for IterMut<'a> {
    type Item = (&'a String, &'a mut String);
    fn next(&mut self) -> Option<Self::Item> {
        self.0.next()
    }
}

/// A `FieldMap`'s fields by name, alphabetically, owned.
pub struct IntoIter(Sorted<KnownIntoIter, btree_map::IntoIter<String, String>>);

impl Iterator for IntoIter {
    type Item = (String, String);
    fn next(&mut self) -> Option<Self::Item> {
        self.0.next()
    }
}

impl IntoIterator for FieldMap {
    type Item = (String, String);
    type IntoIter = IntoIter;
    fn into_iter(self) -> IntoIter {
        let slots: Slots = self.known.map(|b| *b).unwrap_or_else(|| [const { None }; COUNT]);
        let known: KnownIntoIter =
            slots.into_iter().zip(Field::ALL).filter_map(|(v, f)| Some((f.name().to_string(), v?)));
        IntoIter(Sorted { a: known.peekable(), b: self.extra.into_iter().peekable() })
    }
}

impl<'a> IntoIterator for &'a FieldMap {
    type Item = (&'a String, &'a String);
    type IntoIter = Iter<'a>;
    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl<'a> IntoIterator for &'a mut FieldMap {
    type Item = (&'a String, &'a mut String);
    type IntoIter = IterMut<'a>;
    fn into_iter(self) -> IterMut<'a> {
        self.iter_mut()
    }
}

impl FromIterator<(String, String)> for FieldMap {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(iter: I) -> FieldMap {
        let mut map = FieldMap::new();
        map.extend(iter);
        map
    }
}

impl Extend<(String, String)> for FieldMap {
    fn extend<I: IntoIterator<Item = (String, String)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl<const N: usize> From<[(String, String); N]> for FieldMap {
    fn from(pairs: [(String, String); N]) -> FieldMap {
        pairs.into_iter().collect()
    }
}

impl From<BTreeMap<String, String>> for FieldMap {
    fn from(map: BTreeMap<String, String>) -> FieldMap {
        map.into_iter().collect()
    }
}

impl<Q: AsRef<str> + ?Sized> Index<&Q> for FieldMap {
    type Output = String;
    fn index(&self, name: &Q) -> &String {
        let name = name.as_ref();
        self.get(name).unwrap_or_else(|| panic!("no field `{name}` in the map"))
    }
}

impl PartialEq for FieldMap {
    fn eq(&self, other: &FieldMap) -> bool {
        self.slots() == other.slots() && self.extra == other.extra
    }
}

impl Eq for FieldMap {}

impl fmt::Debug for FieldMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// A JSON object of strings, keys in alphabetical order: what the map of strings wrote.
impl Serialize for FieldMap {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

impl<'de> Deserialize<'de> for FieldMap {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<FieldMap, D::Error> {
        deserializer.deserialize_map(MapVisitor)
    }
}

struct MapVisitor;

impl<'de> Visitor<'de> for MapVisitor {
    type Value = FieldMap;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map of field names to text")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut access: M) -> Result<FieldMap, M::Error> {
        let mut map = FieldMap::new();
        while let Some((key, value)) = access.next_entry::<Key, String>()? {
            match key {
                Key::Known(f) => map.set(f, value),
                Key::Other(name) => map.extra.insert(name, value),
            };
        }
        Ok(map)
    }
}

/// A field name read from JSON: a known one costs no allocation.
enum Key {
    Known(Field),
    Other(String),
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Key, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<Key, E> {
                Ok(Field::from_name(name).map_or_else(|| Key::Other(name.to_string()), Key::Known))
            }
            fn visit_string<E: serde::de::Error>(self, name: String) -> Result<Key, E> {
                Ok(Field::from_name(&name).map_or(Key::Other(name), Key::Known))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn field_names_are_in_the_order_of_the_enum_and_read_back() {
        let names: Vec<&str> = Field::ALL.iter().map(|f| f.name()).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted, "slots must iterate in a map's (alphabetical) order");
        for (i, f) in Field::ALL.into_iter().enumerate() {
            assert_eq!(f as usize, i);
            assert_eq!(Field::from_name(f.name()), Some(f));
            assert_eq!(f.key(), f.name());
        }
        assert_eq!(Field::from_name("definition_of_done"), None);
    }

    #[test]
    fn field_map_behaves_as_the_map_of_strings() {
        let pairs = [
            ("title", "T"),
            ("definition_of_done", "x"),
            ("acceptance", ""),
            ("zz_custom", "z"),
            ("a_custom", "a"),
            ("state", "new"),
            ("review_by", "2026-01-01"),
        ];
        let old = strings(&pairs);
        let mut new: FieldMap = old.clone().into_iter().collect();
        assert_eq!(new.iter().collect::<Vec<_>>(), old.iter().collect::<Vec<_>>());
        assert_eq!(new.keys().collect::<Vec<_>>(), old.keys().collect::<Vec<_>>());
        assert_eq!(new.clone().into_iter().collect::<Vec<_>>(), old.clone().into_iter().collect::<Vec<_>>());
        assert_eq!((new.len(), new.is_empty()), (old.len(), false));
        assert_eq!(format!("{new:?}"), format!("{old:?}"));
        assert_eq!(new["title"], "T");
        assert_eq!(new[&"zz_custom".to_string()], "z");
        assert_eq!(new.get("acceptance").map(String::as_str), Some(""));
        assert!(!new.contains_key("owner") && new.contains_key("definition_of_done"));
        assert_eq!(new.insert("title".into(), "U".into()).as_deref(), Some("T"));
        assert_eq!(new.remove("zz_custom").as_deref(), Some("z"));
        assert_eq!(new.remove("owner"), None);
        for (_, v) in new.iter_mut() {
            v.push('!');
        }
        assert_eq!(new.value(Field::Title).map(String::as_str), Some("U!"));
        new.retain(|k, _| k != "state" && k != "a_custom");
        assert_eq!(
            new.keys().map(String::as_str).collect::<Vec<_>>(),
            ["acceptance", "definition_of_done", "review_by", "title"]
        );
        // Empty however it got there.
        let mut emptied = FieldMap::from([("epic".to_string(), "EP-1".to_string())]);
        emptied.remove("epic");
        assert_eq!(emptied, FieldMap::new());
        assert!(emptied.is_empty());
        let mut over = FieldMap::from([("title".to_string(), "a".to_string()), ("x".to_string(), "1".to_string())]);
        over.overlay(FieldMap::from([("state".to_string(), "new".to_string()), ("x".to_string(), "2".to_string())]));
        let mut by_extend =
            FieldMap::from([("title".to_string(), "a".to_string()), ("x".to_string(), "1".to_string())]);
        by_extend.extend([("state".to_string(), "new".to_string()), ("x".to_string(), "2".to_string())]);
        assert_eq!(over, by_extend);
    }

    #[test]
    fn field_map_json_is_the_map_of_strings_json() {
        let old = strings(&[("title", "Export \"claims\""), ("owner", ""), ("custom_x", "é"), ("state", "active")]);
        let json = serde_json::to_string(&old).unwrap();
        let read: FieldMap = serde_json::from_str(&json).unwrap();
        assert_eq!(read, FieldMap::from(old.clone()));
        assert_eq!(serde_json::to_string(&read).unwrap(), json);
        let empty: FieldMap = serde_json::from_str("{}").unwrap();
        assert!(empty.is_empty());
        assert_eq!(serde_json::to_string(&empty).unwrap(), "{}");
        assert!(serde_json::from_str::<FieldMap>(r#"{"title": 3}"#).is_err());
    }
}
