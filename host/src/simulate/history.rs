//! A purchase history as `perk simulate` holds it: one small row per purchase, and each
//! distinct customer id, category and given purchase id once.
//!
//! A CDNOW or CSV row says no more than who bought, when, how much, of what category and
//! (CSV) under which id, so a history of such rows holds a few machine words per purchase
//! instead of a [`Purchase`] with its six allocations: the real CDNOW file takes 3 MB
//! rather than 30, and on a virtual machine every fresh megabyte costs about a millisecond
//! of the kernel zeroing pages. The replay materialises a batch of purchases at a time
//! into buffers it reuses ([`History::purchases`]). A history of whole purchases (JSON
//! Lines, or made [`From`] a `Vec<Purchase>`) keeps them as they are.

use perk_sdk::{LineItem, Money, Purchase, Timestamp};
use rustc_hash::FxHashMap;

/// Marks a row without an id of its own (its id is made from its line number).
const NO_ID: u32 = u32::MAX;

#[derive(Clone, Copy, Debug)]
struct Row {
    at: Timestamp,
    total: Money,
    /// Index into [`History::customers`].
    customer: u32,
    /// The file's line number (rows), or the index into [`Form::Whole`].
    line: u32,
    quantity: u32,
    /// Index into [`Form::Rows::categories`].
    category: u32,
    /// Index into [`Form::Rows::ids`], or [`NO_ID`].
    id: u32,
}

#[derive(Debug)]
enum Form {
    /// One line item per purchase: `quantity` × (the total ÷ quantity, rounded down) of
    /// `sku` in the row's category; the id is the row's own or `<prefix>-<line>`.
    Rows { prefix: &'static str, sku: &'static str, currency: String, categories: Vec<Box<str>>, ids: Vec<Box<str>> },
    /// Whole purchases, in row order.
    Whole(Vec<Purchase>),
}

/// See the module docs.
#[derive(Debug)]
pub struct History {
    rows: Vec<Row>,
    customers: Vec<Box<str>>,
    form: Form,
}

/// Distinct strings, each given an index on first sight.
#[derive(Default)]
pub(crate) struct Interner {
    index: FxHashMap<Box<str>, u32>,
}

impl Interner {
    pub(crate) fn get(&mut self, s: &str) -> u32 {
        if let Some(&k) = self.index.get(s) {
            return k;
        }
        let k = self.index.len() as u32;
        self.index.insert(s.into(), k);
        k
    }

    /// The strings, by index.
    pub(crate) fn into_strings(self) -> Vec<Box<str>> {
        let mut v: Vec<Box<str>> = vec![Box::from(""); self.index.len()];
        for (s, k) in self.index {
            v[k as usize] = s;
        }
        v
    }
}

/// Builds a history of rows (the CDNOW and CSV readers).
pub(crate) struct RowsBuilder {
    rows: Vec<Row>,
    pub(crate) customers: Interner,
    categories: Interner,
    ids: Vec<Box<str>>,
}

impl RowsBuilder {
    pub(crate) fn with_capacity(rows: usize) -> Self {
        RowsBuilder { rows: Vec::with_capacity(rows), customers: Interner::default(), categories: Interner::default(), ids: Vec::new() }
    }

    /// A purchase of `quantity` items of `category` (at least one) for `total`, by
    /// customer `customer` (an index from `self.customers`), read from `line`, under `id`
    /// if the file gives one.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn push(
        &mut self,
        line: usize,
        customer: u32,
        at: Timestamp,
        total: Money,
        quantity: u32,
        category: &str,
        id: Option<&str>,
    ) {
        let category = self.categories.get(category);
        let id = match id {
            Some(id) => {
                self.ids.push(id.into());
                (self.ids.len() - 1) as u32
            }
            None => NO_ID,
        };
        let line = u32::try_from(line).expect("a history of fewer than 4 billion lines");
        self.rows.push(Row { at, total, customer, line, quantity: quantity.max(1), category, id });
    }

    /// Appends `other` (read from later lines), its customers and categories mapped onto
    /// this builder's.
    pub(crate) fn append(&mut self, other: RowsBuilder) {
        let customers: Vec<u32> = other.customers.into_strings().iter().map(|c| self.customers.get(c)).collect();
        let categories: Vec<u32> = other.categories.into_strings().iter().map(|c| self.categories.get(c)).collect();
        let ids = self.ids.len() as u32;
        self.ids.extend(other.ids);
        self.rows.extend(other.rows.into_iter().map(|r| Row {
            customer: customers[r.customer as usize],
            category: categories[r.category as usize],
            id: if r.id == NO_ID { NO_ID } else { r.id + ids },
            ..r
        }));
    }

    /// The history: ids made as `<prefix>-<line>` where a row has none, each purchase of
    /// one line item `sku`, in `currency`.
    pub(crate) fn finish(self, prefix: &'static str, sku: &'static str, currency: &str) -> History {
        History {
            rows: self.rows,
            customers: self.customers.into_strings(),
            form: Form::Rows { prefix, sku, currency: currency.to_string(), categories: self.categories.into_strings(), ids: self.ids },
        }
    }
}

impl From<Vec<Purchase>> for History {
    fn from(purchases: Vec<Purchase>) -> Self {
        let mut customers = Interner::default();
        let rows = (0u32..)
            .zip(&purchases)
            .map(|(line, p)| Row {
                at: p.at,
                total: p.total,
                customer: customers.get(&p.customer_id),
                line,
                quantity: 0,
                category: 0,
                id: 0,
            })
            .collect();
        History { rows, customers: customers.into_strings(), form: Form::Whole(purchases) }
    }
}

impl History {
    /// Purchases, in file order.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Distinct customers.
    pub fn customers(&self) -> usize {
        self.customers.len()
    }

    /// When purchase `k` happened.
    pub fn at(&self, k: usize) -> Timestamp {
        self.rows[k].at
    }

    /// The index of purchase `k`'s customer, below [`History::customers`].
    pub fn customer_index(&self, k: usize) -> usize {
        self.rows[k].customer as usize
    }

    /// Purchase `k`'s customer id.
    pub fn customer(&self, k: usize) -> &str {
        &self.customers[self.rows[k].customer as usize]
    }

    /// The id of customer `index`.
    pub fn customer_id(&self, index: usize) -> &str {
        &self.customers[index]
    }

    /// Purchase `k`'s id if the file gave it (an id made from a line number is unique, so
    /// `None` also says that no other purchase has it).
    pub fn given_id(&self, k: usize) -> Option<&str> {
        let row = &self.rows[k];
        match &self.form {
            Form::Rows { ids, .. } => (row.id != NO_ID).then(|| &*ids[row.id as usize]),
            Form::Whole(all) => Some(&all[row.line as usize].id),
        }
    }

    /// Purchases `ks`, made in `scratch` where the history holds rows (its buffers are
    /// reused, so a replay allocates nothing per purchase once they have grown).
    pub fn purchases<'s>(&'s self, ks: &[u32], scratch: &'s mut Vec<Purchase>) -> Vec<&'s Purchase> {
        if let Form::Whole(all) = &self.form {
            return ks.iter().map(|&k| &all[self.rows[k as usize].line as usize]).collect();
        }
        if scratch.len() < ks.len() {
            scratch.resize_with(ks.len(), Purchase::default);
        }
        for (p, &k) in scratch.iter_mut().zip(ks) {
            self.fill(k as usize, p);
        }
        scratch[..ks.len()].iter().collect()
    }

    /// Every purchase, in file order.
    pub fn to_vec(&self) -> Vec<Purchase> {
        (0..self.len() as u32).map(|k| self.purchases(&[k], &mut Vec::new())[0].clone()).collect()
    }

    /// Writes row `k` into `p` (which holds an earlier row, or nothing).
    fn fill(&self, k: usize, p: &mut Purchase) {
        let Form::Rows { prefix, sku, currency, categories, ids } = &self.form else { unreachable!("whole purchases are not filled") };
        let row = &self.rows[k];
        p.id.clear();
        match row.id {
            NO_ID => {
                p.id.push_str(prefix);
                p.id.push('-');
                // Not `write!`: the formatting machinery, once per replayed purchase.
                perk_sdk::text::push_u64(&mut p.id, row.line.into());
            }
            id => p.id.push_str(&ids[id as usize]),
        }
        p.customer_id.clear();
        p.customer_id.push_str(&self.customers[row.customer as usize]);
        p.at = row.at;
        if p.currency != *currency {
            p.currency.clone_from(currency);
        }
        p.total = row.total;
        p.items.truncate(1);
        if p.items.is_empty() {
            p.items.push(LineItem::new(*sku, "", 1, 0));
        }
        let item = &mut p.items[0];
        item.category.clear();
        item.category.push_str(&categories[row.category as usize]);
        item.quantity = row.quantity;
        // The order total is exact; the line's unit price is it per item, rounded down.
        item.unit_price = row.total / row.quantity as Money;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_read_back_as_the_purchases_they_stand_for() {
        let mut a = RowsBuilder::with_capacity(2);
        let (ann, bob) = (a.customers.get("ann"), a.customers.get("bob"));
        a.push(2, ann, 1_000, 1_250, 3, "music", None);
        a.push(3, bob, 2_000, 999, 0, "books", Some("order-7"));
        let mut b = RowsBuilder::with_capacity(2);
        let (cy, bob) = (b.customers.get("cy"), b.customers.get("bob"));
        b.push(4, bob, 3_000, 500, 1, "music", Some("order-8"));
        b.push(5, cy, 4_000, 10, 2, "toys", None);
        a.append(b);
        let h = a.finish("shop", "item", "EUR");
        assert_eq!((h.len(), h.customers()), (4, 3));
        assert_eq!((h.customer(1), h.customer(2), h.customer_index(1) == h.customer_index(2)), ("bob", "bob", true));
        assert_eq!((h.given_id(0), h.given_id(1), h.given_id(2)), (None, Some("order-7"), Some("order-8")));
        let all = h.to_vec();
        assert_eq!(all[0].id, "shop-2");
        assert_eq!((all[0].currency.as_str(), all[0].total, all[0].at), ("EUR", 1_250, 1_000));
        assert_eq!(all[0].items, vec![LineItem::new("item", "music", 3, 416)]);
        assert_eq!(all[1].items, vec![LineItem::new("item", "books", 1, 999)]);
        assert_eq!((all[2].id.as_str(), all[2].customer_id.as_str(), all[3].items[0].category.as_str()), ("order-8", "bob", "toys"));
        // Reused buffers hold nothing of the purchase made in them before.
        let mut scratch = Vec::new();
        let ids = |ps: Vec<&Purchase>| ps.iter().map(|p| (p.id.clone(), p.customer_id.clone(), p.items.clone())).collect::<Vec<_>>();
        let first = ids(h.purchases(&[3, 1], &mut scratch));
        assert_eq!(first, ids(vec![&all[3], &all[1]]));
        assert_eq!(ids(h.purchases(&[0, 2], &mut scratch)), ids(vec![&all[0], &all[2]]));
    }

    #[test]
    fn whole_purchases_are_kept_as_they_are() {
        let p = Purchase::new("x", 5).with_item(LineItem::new("a", "b", 2, 3)).with_channel("web");
        let h = History::from(vec![p.clone(), Purchase::new("y", 1)]);
        assert_eq!((h.len(), h.given_id(0), h.to_vec()[0].clone()), (2, Some("x"), p));
        assert_eq!(h.purchases(&[1], &mut Vec::new())[0].id, "y");
    }
}
