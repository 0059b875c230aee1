//! [`Table`]: a map from names to values for configs and states, kept as one sorted vector.

#[allow(unused_imports)]
use crate::__alloc::*;
use crate::json::{self, FromJson, ToJson, Value};
use core::fmt;

/// Names to values, in name order: `by_category = { coffee = 5, books = 3 }` in a config,
/// counters by kind in a state. Reads and writes the same JSON as a
/// `BTreeMap<String, V>` (a later duplicate key replaces an earlier one) and has its
/// lookups, but is one sorted vector: a config's few entries are found by binary search,
/// and a guest carries a few hundred bytes of code per value type instead of a B-tree's
/// several kilobytes.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Table<V> {
    /// Sorted by name, names unique.
    entries: Vec<(String, V)>,
}

impl<V> Default for Table<V> {
    fn default() -> Self {
        Table { entries: Vec::new() }
    }
}

impl<V> Table<V> {
    pub const fn new() -> Self {
        Table { entries: Vec::new() }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Where `name` is, or where it would go.
    fn find(&self, name: &str) -> Result<usize, usize> {
        self.entries.binary_search_by(|(k, _)| k.as_str().cmp(name))
    }

    pub fn get(&self, name: &str) -> Option<&V> {
        self.find(name).ok().map(|i| &self.entries[i].1)
    }

    pub fn get_mut(&mut self, name: &str) -> Option<&mut V> {
        self.find(name).ok().map(|i| &mut self.entries[i].1)
    }

    /// The entry for `name`, with the table's own copy of the name.
    pub fn get_key_value(&self, name: &str) -> Option<(&String, &V)> {
        self.find(name).ok().map(|i| (&self.entries[i].0, &self.entries[i].1))
    }

    pub fn contains_key(&self, name: &str) -> bool {
        self.find(name).is_ok()
    }

    /// Sets `name` to `value`; returns the value it replaces.
    pub fn insert(&mut self, name: impl Into<String>, value: V) -> Option<V> {
        let name = name.into();
        match self.find(&name) {
            Ok(i) => Some(core::mem::replace(&mut self.entries[i].1, value)),
            Err(i) => {
                self.entries.insert(i, (name, value));
                None
            }
        }
    }

    /// The value of `name`, inserted as `V::default()` first when missing (the name is
    /// copied only then).
    pub fn get_or_default(&mut self, name: &str) -> &mut V
    where
        V: Default,
    {
        let i = match self.find(name) {
            Ok(i) => i,
            Err(i) => {
                self.entries.insert(i, (name.to_string(), V::default()));
                i
            }
        };
        &mut self.entries[i].1
    }

    pub fn remove(&mut self, name: &str) -> Option<V> {
        self.find(name).ok().map(|i| self.entries.remove(i).1)
    }

    pub fn clear(&mut self) {
        self.entries.clear()
    }

    /// Entries in name order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&String, &V)> + ExactSizeIterator {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &String> + ExactSizeIterator {
        self.entries.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + ExactSizeIterator {
        self.entries.iter().map(|(_, v)| v)
    }
}

impl<V: fmt::Debug> fmt::Debug for Table<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<K: Into<String>, V> FromIterator<(K, V)> for Table<V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut t = Table::new();
        for (k, v) in iter {
            t.insert(k, v);
        }
        t
    }
}

impl<K: Into<String>, V, const N: usize> From<[(K, V); N]> for Table<V> {
    fn from(entries: [(K, V); N]) -> Self {
        entries.into_iter().collect()
    }
}

impl<'a, V> IntoIterator for &'a Table<V> {
    type Item = (&'a String, &'a V);
    type IntoIter = core::iter::Map<core::slice::Iter<'a, (String, V)>, fn(&'a (String, V)) -> (&'a String, &'a V)>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter().map(|(k, v)| (k, v))
    }
}

/// Read as a `BTreeMap<String, V>` reads it: any order, a later duplicate name replacing
/// an earlier one (every value is checked).
impl<V: FromJson> FromJson for Table<V> {
    fn from_json(value: Value) -> json::Result<Self> {
        let mut raw = json::entries(value, "a map")?;
        let mut entries: Vec<(String, V)> = Vec::with_capacity(raw.len());
        for i in name_order(&raw) {
            let name = core::mem::take(&mut raw[i].0);
            let v = V::from_json(core::mem::replace(&mut raw[i].1, Value::Null)).map_err(|e| e.in_key(&name))?;
            match entries.last_mut() {
                Some(last) if last.0 == name => last.1 = v,
                _ => entries.push((name, v)),
            }
        }
        Ok(Table { entries })
    }
}

/// The indices of `entries` in name order, equal names in input order. Not generic, and a
/// binary insertion rather than `sort_by` (whose code is several kilobytes per guest): a
/// config's or state's names come few, and usually sorted already (each then goes last).
fn name_order(entries: &[(String, Value)]) -> Vec<usize> {
    let mut order: Vec<usize> = Vec::with_capacity(entries.len());
    for (i, (name, _)) in entries.iter().enumerate() {
        // After every equal name: stable.
        let at = order.partition_point(|&j| entries[j].0 <= *name);
        order.insert(at, i);
    }
    order
}

impl<V: ToJson> ToJson for Table<V> {
    fn write_json(&self, out: &mut String) {
        json::write_object(out, self.iter())
    }
}

/// For schemars, which writes a field's `#[serde(default)]` value into the schema with it.
#[cfg(not(target_arch = "wasm32"))]
impl<V: serde::Serialize> serde::Serialize for Table<V> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.iter())
    }
}

/// The schema of a `BTreeMap<String, V>`: the same JSON.
#[cfg(all(feature = "schema", not(target_arch = "wasm32")))]
impl<V: schemars::JsonSchema> schemars::JsonSchema for Table<V> {
    fn inline_schema() -> bool {
        <std::collections::BTreeMap<String, V> as schemars::JsonSchema>::inline_schema()
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        <std::collections::BTreeMap<String, V> as schemars::JsonSchema>::schema_name()
    }

    fn schema_id() -> std::borrow::Cow<'static, str> {
        <std::collections::BTreeMap<String, V> as schemars::JsonSchema>::schema_id()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        <std::collections::BTreeMap<String, V> as schemars::JsonSchema>::json_schema(generator)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn reads_and_writes_what_a_btree_map_does() {
        for json in [r#"{}"#, r#"{"b":2,"a":1,"c":3}"#, r#"{"a":1,"a":5}"#, r#"{"я":1,"z":2,"":0}"#, r#"{"b":1,"a":2,"b":3,"a":4}"#] {
            let table: Table<u32> = crate::json::from_str(json).unwrap();
            let map: BTreeMap<String, u32> = serde_json::from_str(json).unwrap();
            assert_eq!(crate::json::to_string(&table), serde_json::to_string(&map).unwrap(), "{json}");
            assert!(table.iter().map(|(k, v)| (k.clone(), *v)).eq(map.clone()), "{json}");
            for k in ["a", "b", "я", "", "missing"] {
                assert_eq!(table.get(k), map.get(k), "{json} {k}");
            }
        }
        for bad in ["[1]", r#"{"a":"x"}"#, r#"{"a":1"#, r#"{"a":"x","a":1}"#] {
            let table = crate::json::from_str::<Table<u32>>(bad).unwrap_err().to_string();
            assert_eq!(table, crate::json::from_str::<BTreeMap<String, u32>>(bad).unwrap_err().to_string(), "{bad}");
        }
    }

    #[test]
    fn keeps_names_sorted_and_unique() {
        let mut t = Table::new();
        for (i, k) in ["m", "c", "x", "c", "a"].into_iter().enumerate() {
            t.insert(k, i);
        }
        assert_eq!(t.keys().map(String::as_str).collect::<Vec<_>>(), ["a", "c", "m", "x"]);
        assert_eq!(t.get("c"), Some(&3));
        *t.get_or_default("b") += 7;
        *t.get_or_default("c") += 1;
        assert_eq!(format!("{t:?}"), r#"{"a": 4, "b": 7, "c": 4, "m": 0, "x": 2}"#);
        assert_eq!(t.remove("m"), Some(0));
        assert_eq!((t.len(), t.contains_key("m"), t.get_key_value("x")), (4, false, Some((&"x".to_string(), &2))));
        t.clear();
        assert!(t.is_empty());
    }
}
