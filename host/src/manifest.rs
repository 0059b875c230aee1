//! `perk.toml`: the campaign manifest, parsed into validated types. Every error names the
//! file, the line and column, and the key.
//!
//! ```toml
//! [campaign]
//! name = "Corner Coffee"
//! currency = "RUB"
//!
//! [[group]]
//! name = "bonus"
//! mode = "best"          # stack | best | first
//!
//! [[policy]]
//! id = "points"
//! module = "points"      # a standard policy, a path to a .wasm, or a path to an SDK crate
//! group = "bonus"
//! priority = 10
//! [policy.config]
//! unit = 100
//! points_per_unit = 1
//! ```

use crate::runtime::{Isolation, Limits};
use crate::stdlib;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::Spanned;

pub const FILE_NAME: &str = "perk.toml";

/// A validated campaign manifest.
#[derive(Clone, Debug)]
pub struct Manifest {
    /// The manifest file.
    pub path: PathBuf,
    /// `sha256:…` of the manifest text.
    pub digest: String,
    pub campaign: Campaign,
    pub limits: Limits,
    pub points: PointsRules,
    pub groups: BTreeMap<String, GroupMode>,
    pub policies: Vec<PolicySpec>,
}

/// `[points]`: how the ledger treats earned points.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PointsRules {
    /// Earned points become spendable this many days after the purchase (a return window).
    pub pending_days: u32,
    /// Each earning lot expires this many days after it was earned; `None`: never.
    pub lifetime_days: Option<u32>,
    /// The fewest points one redemption may spend.
    pub min_redemption: i64,
}

const DAY_MS: i64 = 86_400_000;

impl PointsRules {
    /// When points earned at `at` become spendable.
    pub fn available_at(&self, at: i64) -> i64 {
        at.saturating_add(self.pending_days as i64 * DAY_MS)
    }

    /// When points earned at `at` expire, if they do.
    pub fn expires_at(&self, at: i64) -> Option<i64> {
        self.lifetime_days.map(|d| at.saturating_add(d as i64 * DAY_MS))
    }
}

/// `budget = { total = ..., daily = ... }`: the most a policy's rewards may be worth
/// (minor units, points at the campaign's `point_value`), over the campaign and per UTC day.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Budget {
    pub total: Option<i64>,
    pub daily: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Campaign {
    pub name: String,
    /// ISO 4217 code; purchases in another currency are refused.
    pub currency: String,
    /// What one point is worth in minor units, to compare points with money (`best` groups).
    pub point_value: i64,
    /// How policies run unless a policy says otherwise.
    pub isolation: Isolation,
}

/// How the policies of one group combine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GroupMode {
    /// Every policy's rewards apply.
    Stack,
    /// Only the policy whose rewards are worth most to the customer applies.
    Best,
    /// Only the highest-priority policy that rewards anything applies.
    First,
}

/// What an exclusive policy suppresses when it rewards anything.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Exclusive {
    /// The other policies of its group.
    Group,
    /// Every other policy.
    All,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ModuleRef {
    /// A standard policy embedded in the binary.
    Std(String),
    /// A component (or core module) file.
    Wasm(PathBuf),
    /// An SDK crate, built by `perk build`.
    Crate(PathBuf),
}

impl fmt::Display for ModuleRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModuleRef::Std(name) => write!(f, "standard policy `{name}`"),
            ModuleRef::Wasm(p) => write!(f, "{}", p.display()),
            ModuleRef::Crate(p) => write!(f, "crate {}", p.display()),
        }
    }
}

#[derive(Clone, Debug)]
pub struct PolicySpec {
    pub id: String,
    pub module: ModuleRef,
    pub group: Option<String>,
    /// Higher wins in `first` groups, among exclusive policies and when caps cut.
    pub priority: i64,
    pub exclusive: Option<Exclusive>,
    /// Active from (unix ms, inclusive) ...
    pub starts: Option<i64>,
    /// ... until (unix ms, exclusive), by the purchase's time.
    pub ends: Option<i64>,
    /// Empty: every channel.
    pub channels: Vec<String>,
    /// Warm pooled instances (default) or a fresh instance per call.
    pub isolation: Isolation,
    /// `[policy.config]` as JSON, what the policy receives.
    pub config: String,
    /// `None`: unlimited.
    pub budget: Option<Budget>,
    /// Where the entry is, for errors found later (config rejected by the module).
    pub location: Location,
    pub config_location: Location,
}

impl PolicySpec {
    /// Whether this policy applies to a purchase at `at` on `channel`.
    pub fn active(&self, at: i64, channel: &str) -> bool {
        self.starts.is_none_or(|s| at >= s)
            && self.ends.is_none_or(|e| at < e)
            && (self.channels.is_empty() || self.channels.iter().any(|c| c == channel))
    }
}

/// `file:line:column`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

/// One problem in a manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub location: Location,
    /// The key at fault: `policy[2].module`.
    pub key: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.key.is_empty() {
            write!(f, "{}: {}", self.location, self.message)
        } else {
            write!(f, "{}: {}: {}", self.location, self.key, self.message)
        }
    }
}

/// Everything wrong with a manifest, one problem per line.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ManifestError(pub Vec<Problem>);

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

// ------------------------------------------------------------------ raw, as written

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    campaign: Spanned<RawCampaign>,
    #[serde(default)]
    limits: Option<Spanned<RawLimits>>,
    #[serde(default)]
    points: Option<RawPoints>,
    #[serde(default, rename = "group")]
    groups: Vec<Spanned<RawGroup>>,
    #[serde(default, rename = "policy")]
    policies: Vec<Spanned<RawPolicy>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCampaign {
    name: Spanned<String>,
    currency: Spanned<String>,
    #[serde(default)]
    point_value: Option<Spanned<i64>>,
    isolation: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    cpu_ms: Option<Spanned<u64>>,
    memory_mib: Option<Spanned<u64>>,
    module_kib: Option<Spanned<u64>>,
    input_kib: Option<Spanned<u64>>,
    max_rewards: Option<Spanned<u64>>,
    recycle_after: Option<Spanned<u64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPoints {
    pending_days: Option<Spanned<i64>>,
    lifetime_days: Option<Spanned<i64>>,
    min_redemption: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBudget {
    total: Option<Spanned<i64>>,
    daily: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    name: Spanned<String>,
    #[serde(default)]
    mode: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    id: Spanned<String>,
    module: Spanned<String>,
    group: Option<Spanned<String>>,
    #[serde(default)]
    priority: i64,
    exclusive: Option<Spanned<toml::Value>>,
    starts: Option<Spanned<toml::Value>>,
    ends: Option<Spanned<toml::Value>>,
    #[serde(default)]
    channels: Vec<String>,
    isolation: Option<Spanned<String>>,
    budget: Option<Spanned<RawBudget>>,
    config: Option<Spanned<toml::Table>>,
}

// ------------------------------------------------------------------ loading

/// Reads `dir/perk.toml`, or the file itself when `path` is a file.
pub fn load(path: &Path) -> Result<Manifest, ManifestError> {
    let file = if path.is_dir() { path.join(FILE_NAME) } else { path.to_path_buf() };
    let source = std::fs::read_to_string(&file).map_err(|e| {
        ManifestError(vec![Problem {
            location: Location { file: file.clone(), line: 1, column: 1 },
            key: String::new(),
            message: format!("cannot read the manifest: {e}"),
        }])
    })?;
    parse(&source, &file)
}

/// Parses and validates manifest text; `file` names it in errors and anchors relative paths.
pub fn parse(source: &str, file: &Path) -> Result<Manifest, ManifestError> {
    let mut cx = Checker { source, file, problems: Vec::new() };
    let raw: Raw = match toml::from_str(source) {
        Ok(raw) => raw,
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            cx.problem(span, "", e.message().trim().to_string());
            return Err(ManifestError(cx.problems));
        }
    };
    let manifest = cx.check(raw);
    if cx.problems.is_empty() {
        Ok(manifest)
    } else {
        Err(ManifestError(cx.problems))
    }
}

struct Checker<'a> {
    source: &'a str,
    file: &'a Path,
    problems: Vec<Problem>,
}

impl Checker<'_> {
    fn location(&self, span: Range<usize>) -> Location {
        let start = span.start.min(self.source.len());
        let before = &self.source[..start];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Location { file: self.file.to_path_buf(), line, column }
    }

    fn problem(&mut self, span: Range<usize>, key: impl Into<String>, message: impl Into<String>) {
        let location = self.location(span);
        self.problems.push(Problem { location, key: key.into(), message: message.into() });
    }

    fn check(&mut self, raw: Raw) -> Manifest {
        let campaign = self.campaign(raw.campaign.into_inner());
        let default_isolation = campaign.isolation;
        let limits = raw.limits.map(|l| self.limits(l.into_inner())).unwrap_or_default();
        let points = raw.points.map(|p| self.points(p)).unwrap_or(PointsRules { min_redemption: 1, ..Default::default() });

        let mut groups = BTreeMap::new();
        for (i, g) in raw.groups.into_iter().enumerate() {
            let span = g.span();
            let g = g.into_inner();
            let mode = match g.mode {
                None => GroupMode::Stack,
                Some(m) => match m.get_ref().as_str() {
                    "stack" => GroupMode::Stack,
                    "best" => GroupMode::Best,
                    "first" => GroupMode::First,
                    other => {
                        self.problem(
                            m.span(),
                            format!("group[{i}].mode"),
                            format!("unknown mode `{other}`; expected `stack`, `best` or `first`"),
                        );
                        GroupMode::Stack
                    }
                },
            };
            let name = g.name.get_ref().trim().to_string();
            if name.is_empty() {
                self.problem(g.name.span(), format!("group[{i}].name"), "must not be empty");
            } else if groups.insert(name.clone(), mode).is_some() {
                self.problem(span, format!("group[{i}].name"), format!("group `{name}` is declared twice"));
            }
        }

        let mut policies: Vec<PolicySpec> = Vec::new();
        for (i, p) in raw.policies.into_iter().enumerate() {
            if let Some(spec) = self.policy(i, p, &groups, default_isolation) {
                if policies.iter().any(|o| o.id == spec.id) {
                    let key = format!("policy[{i}].id");
                    self.problems.push(Problem {
                        location: spec.location.clone(),
                        key,
                        message: format!("policy id `{}` is used twice", spec.id),
                    });
                }
                policies.push(spec);
            }
        }
        Manifest {
            path: self.file.to_path_buf(),
            digest: crate::runtime::content_hash(self.source.as_bytes()),
            campaign,
            limits,
            points,
            groups,
            policies,
        }
    }

    fn campaign(&mut self, c: RawCampaign) -> Campaign {
        let name = c.name.get_ref().trim().to_string();
        if name.is_empty() {
            self.problem(c.name.span(), "campaign.name", "must not be empty");
        }
        let currency = c.currency.get_ref().trim().to_string();
        if currency.len() != 3 || !currency.chars().all(|ch| ch.is_ascii_uppercase()) {
            self.problem(
                c.currency.span(),
                "campaign.currency",
                format!("`{currency}` is not an ISO 4217 code such as `RUB`, `USD`, `EUR`"),
            );
        }
        let point_value = match c.point_value {
            Some(v) if *v.get_ref() < 0 => {
                self.problem(v.span(), "campaign.point_value", "must not be negative");
                1
            }
            Some(v) => v.into_inner(),
            None => 1,
        };
        let isolation = c.isolation.map_or(Isolation::Pooled, |i| self.isolation(i, "campaign.isolation"));
        Campaign { name, currency, point_value, isolation }
    }

    /// A whole number in `range`, or a problem at its span.
    fn bounded(&mut self, v: Spanned<i64>, key: &str, range: std::ops::RangeInclusive<i64>) -> Option<i64> {
        if range.contains(v.get_ref()) {
            return Some(v.into_inner());
        }
        let (lo, hi) = (*range.start(), *range.end());
        let message = if hi == i64::MAX {
            format!("must be at least {lo}, got {}", v.get_ref())
        } else {
            format!("must be between {lo} and {hi}, got {}", v.get_ref())
        };
        self.problem(v.span(), key, message);
        None
    }

    fn points(&mut self, p: RawPoints) -> PointsRules {
        const TEN_YEARS: i64 = 3660;
        PointsRules {
            pending_days: p.pending_days.and_then(|v| self.bounded(v, "points.pending_days", 0..=TEN_YEARS)).unwrap_or(0) as u32,
            lifetime_days: p.lifetime_days.and_then(|v| self.bounded(v, "points.lifetime_days", 1..=TEN_YEARS)).map(|d| d as u32),
            min_redemption: p.min_redemption.and_then(|v| self.bounded(v, "points.min_redemption", 1..=i64::MAX)).unwrap_or(1),
        }
    }

    fn budget(&mut self, b: Spanned<RawBudget>, key: &str) -> Option<Budget> {
        let span = b.span();
        let b = b.into_inner();
        let total = b.total.and_then(|v| self.bounded(v, &format!("{key}.total"), 0..=i64::MAX));
        let daily = b.daily.and_then(|v| self.bounded(v, &format!("{key}.daily"), 0..=i64::MAX));
        if total.is_none() && daily.is_none() {
            self.problem(span, key, "give `total`, `daily` or both (minor units of reward value)");
            return None;
        }
        Some(Budget { total, daily })
    }

    fn isolation(&mut self, v: Spanned<String>, key: &str) -> Isolation {
        match v.get_ref().as_str() {
            "pooled" => Isolation::Pooled,
            "fresh" => Isolation::Fresh,
            other => {
                self.problem(v.span(), key, format!("unknown isolation `{other}`; expected `pooled` or `fresh`"));
                Isolation::Pooled
            }
        }
    }

    fn limits(&mut self, l: RawLimits) -> Limits {
        let mut limits = Limits::default();
        let positive = |cx: &mut Self, v: Option<Spanned<u64>>, key: &str| -> Option<u64> {
            let v = v?;
            if *v.get_ref() == 0 {
                cx.problem(v.span(), format!("limits.{key}"), "must be at least 1");
                return None;
            }
            Some(v.into_inner())
        };
        if let Some(ms) = l.cpu_ms {
            if !(1..=10_000).contains(ms.get_ref()) {
                self.problem(ms.span(), "limits.cpu_ms", "must be between 1 and 10000 (milliseconds)");
            } else {
                limits.cpu_ms = ms.into_inner();
            }
        }
        if let Some(m) = l.memory_mib {
            if !(1..=1024).contains(m.get_ref()) {
                self.problem(m.span(), "limits.memory_mib", "must be between 1 and 1024");
            } else {
                limits.memory = (m.into_inner() as usize) << 20;
            }
        }
        if let Some(k) = positive(self, l.module_kib, "module_kib") {
            limits.module_size = (k as usize) << 10;
        }
        if let Some(k) = positive(self, l.input_kib, "input_kib") {
            limits.input_size = (k as usize) << 10;
        }
        if let Some(n) = positive(self, l.max_rewards, "max_rewards") {
            limits.max_rewards = n as usize;
        }
        if let Some(n) = positive(self, l.recycle_after, "recycle_after") {
            limits.recycle_after = n.min(u32::MAX as u64) as u32;
        }
        limits
    }

    fn policy(
        &mut self,
        i: usize,
        p: Spanned<RawPolicy>,
        groups: &BTreeMap<String, GroupMode>,
        default_isolation: Isolation,
    ) -> Option<PolicySpec> {
        let location = self.location(p.span());
        let p = p.into_inner();
        let key = |k: &str| format!("policy[{i}].{k}");
        let before = self.problems.len();

        let id = p.id.get_ref().trim().to_string();
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            self.problem(p.id.span(), key("id"), format!("`{id}` is not a valid id: use letters, digits, `-` and `_`"));
        }

        let module = self.module_ref(&p.module, &key("module"));

        let group = p.group.map(|g| {
            let name = g.get_ref().trim().to_string();
            if !groups.contains_key(&name) {
                if let Some(close) = groups.keys().find(|k| strsim::levenshtein(k, &name) <= 2) {
                    self.problem(g.span(), key("group"), format!("no group `{name}` is declared; did you mean `{close}`?"));
                }
            }
            name
        });

        let exclusive = p.exclusive.and_then(|e| match e.get_ref() {
            toml::Value::Boolean(false) => None,
            toml::Value::Boolean(true) => Some(Exclusive::All),
            toml::Value::String(s) if s == "all" => Some(Exclusive::All),
            toml::Value::String(s) if s == "group" => Some(Exclusive::Group),
            other => {
                self.problem(e.span(), key("exclusive"), format!("expected `true`, `false`, `\"group\"` or `\"all\"`, found `{other}`"));
                None
            }
        });

        let starts = p.starts.and_then(|v| self.timestamp(v, &key("starts")));
        let ends_span = p.ends.as_ref().map_or(0..0, |e| e.span());
        let ends = p.ends.and_then(|v| self.timestamp(v, &key("ends")));
        if let (Some(s), Some(e)) = (starts, ends) {
            if e <= s {
                self.problem(ends_span, key("ends"), "must be after `starts`");
            }
        }

        let isolation = p.isolation.map_or(default_isolation, |v| self.isolation(v, &key("isolation")));
        let budget = p.budget.and_then(|b| self.budget(b, &key("budget")));

        let (config, config_location) = match p.config {
            Some(c) => {
                let loc = self.location(c.span());
                (toml_to_json(&toml::Value::Table(c.into_inner())).to_string(), loc)
            }
            None => ("{}".to_string(), location.clone()),
        };

        if self.problems.len() > before {
            return None;
        }
        Some(PolicySpec {
            id,
            module: module?,
            group,
            priority: p.priority,
            exclusive,
            starts,
            ends,
            channels: p.channels,
            isolation,
            config,
            budget,
            location,
            config_location,
        })
    }

    fn module_ref(&mut self, m: &Spanned<String>, key: &str) -> Option<ModuleRef> {
        let value = m.get_ref().trim();
        let looks_like_path = value.contains('/') || value.contains('\\') || value.ends_with(".wasm") || value.starts_with('.');
        if !looks_like_path {
            if stdlib::get(value).is_some() {
                return Some(ModuleRef::Std(value.to_string()));
            }
            let known = stdlib::names().collect::<Vec<_>>().join(", ");
            let hint = stdlib::names()
                .min_by_key(|n| strsim::levenshtein(n, value))
                .filter(|n| strsim::levenshtein(n, value) <= 3)
                .map(|n| format!("; did you mean `{n}`?"))
                .unwrap_or_default();
            self.problem(
                m.span(),
                key,
                format!("`{value}` is not a standard policy (known: {known}){hint}; for your own module give a path such as `./policies/mine` or `./mine.wasm`"),
            );
            return None;
        }
        let base = self.file.parent().unwrap_or(Path::new("."));
        let path: PathBuf = base.join(value).components().collect();
        if path.is_dir() {
            if path.join("Cargo.toml").is_file() {
                return Some(ModuleRef::Crate(path));
            }
            self.problem(m.span(), key, format!("{} is a directory without a Cargo.toml, not an SDK crate", path.display()));
            return None;
        }
        if path.is_file() {
            return Some(ModuleRef::Wasm(path));
        }
        self.problem(m.span(), key, format!("{} does not exist", path.display()));
        None
    }

    fn timestamp(&mut self, v: Spanned<toml::Value>, key: &str) -> Option<i64> {
        let text = match v.get_ref() {
            toml::Value::String(s) => s.clone(),
            toml::Value::Datetime(d) => d.to_string(),
            other => other.to_string(),
        };
        match time::OffsetDateTime::parse(&text, &time::format_description::well_known::Rfc3339) {
            Ok(t) => Some((t.unix_timestamp_nanos() / 1_000_000) as i64),
            Err(e) => {
                self.problem(v.span(), key, format!("`{text}` is not an RFC 3339 time such as `2026-12-01T00:00:00Z` ({e})"));
                None
            }
        }
    }
}

/// TOML → JSON as a policy receives its config (datetimes become RFC 3339 strings).
pub fn toml_to_json(v: &toml::Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        toml::Value::String(s) => J::String(s.clone()),
        toml::Value::Integer(i) => J::from(*i),
        toml::Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
        toml::Value::Boolean(b) => J::Bool(*b),
        toml::Value::Datetime(d) => J::String(d.to_string()),
        toml::Value::Array(a) => J::Array(a.iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => J::Object(t.iter().map(|(k, v)| (k.clone(), toml_to_json(v))).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(src: &str) -> String {
        parse(src, Path::new("perk.toml")).map(|_| ()).expect_err("should fail").to_string()
    }

    const HEAD: &str = "[campaign]\nname = \"Test\"\ncurrency = \"RUB\"\n";

    #[test]
    fn a_plain_list_of_policies_parses() {
        let src = format!("{HEAD}\n[[policy]]\nid = \"points\"\nmodule = \"points\"\n[policy.config]\nunit = 100\npoints_per_unit = 1\n");
        let m = parse(&src, Path::new("perk.toml")).unwrap();
        assert_eq!(m.campaign.currency, "RUB");
        assert_eq!(m.policies.len(), 1);
        assert_eq!(m.policies[0].module, ModuleRef::Std("points".into()));
        assert_eq!(m.policies[0].config, r#"{"points_per_unit":1,"unit":100}"#);
        assert_eq!(m.policies[0].location.line, 5);
    }

    #[test]
    fn errors_name_file_line_and_key() {
        let cases: &[(&str, &str)] = &[
            ("[[policy]]\nid = \"p\"\nmodule = \"pointz\"\n", "perk.toml:7:10: policy[0].module: `pointz` is not a standard policy"),
            ("[[policy]]\nid = \"p\"\nmodule = \"pointz\"\n", "did you mean `points`?"),
            ("[[group]]\nname = \"g\"\nmode = \"bestest\"\n", "perk.toml:7:8: group[0].mode: unknown mode `bestest`"),
            (
                "[[policy]]\nid = \"p\"\nmodule = \"points\"\nstarts = \"yesterday\"\n",
                "perk.toml:8:10: policy[0].starts: `yesterday` is not an RFC 3339 time",
            ),
            ("[[policy]]\nid = \"p\"\nmodule = \"points\"\nexclusive = 3\n", "policy[0].exclusive: expected"),
            ("[[policy]]\nid = \"a b\"\nmodule = \"points\"\n", "policy[0].id: `a b` is not a valid id"),
            ("[[policy]]\nid = \"p\"\nmodule = \"./nope.wasm\"\n", "nope.wasm does not exist"),
            (
                "[[policy]]\nid = \"p\"\nmodule = \"points\"\n[[policy]]\nid = \"p\"\nmodule = \"tiers\"\n",
                "policy[1].id: policy id `p` is used twice",
            ),
            ("[[policy]]\nid = \"p\"\nmodul = \"points\"\n", "perk.toml:7:1: unknown field `modul`"),
            (
                "[[group]]\nname = \"discounts\"\n[[policy]]\nid = \"p\"\nmodule = \"points\"\ngroup = \"discount\"\n",
                "did you mean `discounts`?",
            ),
            ("[limits]\ncpu_ms = 0\n", "limits.cpu_ms: must be between 1 and 10000"),
            ("[limits]\nfuel = 1000\n", "unknown field `fuel`"),
            ("[[policy]]\nid = \"p\"\nmodule = \"points\"\nisolation = \"shared\"\n", "policy[0].isolation: unknown isolation `shared`"),
        ];
        for (body, want) in cases {
            let got = errors(&format!("{HEAD}\n{body}"));
            assert!(got.contains(want), "for\n{body}\nwant `{want}`\ngot  `{got}`");
        }
        assert!(errors("[campaign]\nname = \"x\"\ncurrency = \"rubles\"\n").contains("perk.toml:3:12: campaign.currency"));
        assert!(errors("[campaign\n").contains("perk.toml:1:"));
    }

    #[test]
    fn all_problems_are_reported_at_once() {
        let src = format!("{HEAD}\n[[policy]]\nid = \"\"\nmodule = \"nope\"\n[[group]]\nname = \"g\"\nmode = \"x\"\n");
        assert_eq!(parse(&src, Path::new("perk.toml")).unwrap_err().0.len(), 3);
    }

    #[test]
    fn schedule_and_channels_decide_activity() {
        let src = format!(
            "{HEAD}\n[[policy]]\nid = \"p\"\nmodule = \"points\"\nstarts = \"2026-12-01T00:00:00Z\"\nends = 2026-12-02T00:00:00Z\nchannels = [\"store\"]\n"
        );
        let m = parse(&src, Path::new("perk.toml")).unwrap();
        let p = &m.policies[0];
        let dec1 = 1_796_083_200_000;
        assert!(!p.active(dec1 - 1, "store"));
        assert!(p.active(dec1, "store"));
        assert!(!p.active(dec1, "online"));
        assert!(!p.active(dec1 + 86_400_000, "store"));
    }

    #[test]
    fn config_datetimes_become_strings() {
        let v: toml::Table = "a = 1979-05-27T07:32:00Z\nb = [1, 2]".parse().unwrap();
        assert_eq!(toml_to_json(&toml::Value::Table(v)).to_string(), r#"{"a":"1979-05-27T07:32:00Z","b":[1,2]}"#);
    }
}
