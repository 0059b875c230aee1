//! `perk new policy <path>`: a policy crate that builds and tests out of the box.

use anyhow::{bail, Context as _, Result};
use std::path::{Path, PathBuf};

/// What was created.
pub struct Scaffolded {
    pub dir: PathBuf,
    pub package: String,
    /// The `[[policy]]` entry to paste into a manifest.
    pub manifest_snippet: String,
}

/// Creates a policy crate at `dir`, depending on the SDK at `sdk`.
pub fn new_policy(dir: &Path, sdk: &Path) -> Result<Scaffolded> {
    let package = dir
        .file_name()
        .and_then(|n| n.to_str())
        .context("the path must end in a directory name, which becomes the crate name")?
        .to_string();
    if package.is_empty()
        || !package.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        || !package.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
    {
        bail!("`{package}` cannot be a crate name: use lowercase letters, digits, `-` and `_`, starting with a letter");
    }
    if dir.exists() && dir.read_dir().map(|mut d| d.next().is_some()).unwrap_or(true) {
        bail!("{} already exists and is not empty", dir.display());
    }
    let sdk = sdk.canonicalize().with_context(|| format!("the SDK is not at {}", sdk.display()))?;
    let snake = package.replace('-', "_");
    let camel: String = snake.split('_').filter(|s| !s.is_empty()).map(|s| s[..1].to_uppercase() + &s[1..]).collect();

    std::fs::create_dir_all(dir.join("src")).with_context(|| format!("creating {}", dir.display()))?;
    let cargo_toml = format!(
        r#"[package]
name = "{package}"
version = "0.1.0"
edition = "2021"
publish = false

[lib]
# cdylib: the wasm component; rlib: native `cargo test`.
crate-type = ["cdylib", "rlib"]

[dependencies]
perk-sdk = {{ path = {sdk:?} }}

# A workspace of its own; delete this table to add the crate to an enclosing workspace.
[workspace]
"#,
        sdk = sdk.display().to_string()
    );
    let lib_rs = LIB_TEMPLATE.replace("{snake}", &snake).replace("{Camel}", &camel).replace("{package}", &package);
    std::fs::write(dir.join("Cargo.toml"), cargo_toml)?;
    std::fs::write(dir.join("src/lib.rs"), lib_rs)?;
    std::fs::write(dir.join(".gitignore"), "/target\n")?;
    let module = if dir.is_absolute() { dir.display().to_string() } else { format!("./{}", dir.display()) };
    let manifest_snippet = format!(
        "[[policy]]\nid = \"{package}\"\nmodule = \"{module}\"   # a path relative to perk.toml\n[policy.config]\nmin_total = 10000\nbonus_points = 50\n"
    );
    Ok(Scaffolded { dir: dir.to_path_buf(), package, manifest_snippet })
}

const LIB_TEMPLATE: &str = r#"//! `{package}`: a Perk reward policy.
//!
//! `cargo test` runs the tests below natively; `perk build <campaign dir>` compiles the
//! crate to a sandboxed component; `perk eval` shows what a purchase earns.

use perk_sdk::prelude::*;

/// The `[policy.config]` table of the manifest.
#[derive(Debug, FromJson)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Orders with a goods total of at least this many minor units earn the bonus.
    pub min_total: Money,
    pub bonus_points: i64,
}

/// Bonus points for an order over a threshold.
#[perk_sdk::policy(name = "{Camel}")]
fn {snake}(config: &Config, purchase: &Purchase, _customer: &Customer, _ctx: &Context) -> Outcome {
    let out = Outcome::new().progress("order bonus", purchase.total, config.min_total, Unit::Money);
    if purchase.total >= config.min_total {
        out.points(config.bonus_points, format!("order of {} or more", money(config.min_total)))
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use perk_sdk::testing::Harness;

    const CONFIG: &str = "min_total = 10000\nbonus_points = 50";

    #[test]
    fn big_orders_earn_the_bonus() {
        let mut h = Harness::<{Camel}>::new(CONFIG);
        assert_eq!(h.purchase(Purchase::new("p1", 12000)).points_total(), 50);
    }

    #[test]
    fn small_orders_show_progress() {
        let mut h = Harness::<{Camel}>::new(CONFIG);
        let out = h.purchase(Purchase::new("p1", 2500));
        assert_eq!(out.points_total(), 0);
        assert_eq!(out.progress[0].remaining(), 7500);
    }
}
"#;
