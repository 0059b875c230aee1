//! The active campaign: a validated manifest with every policy's module loaded, checked
//! and its config accepted. Immutable once built, so a server can share one snapshot
//! between requests and swap in the next one whole.

use crate::guest_build;
use crate::manifest::{self, Location, Manifest, ManifestError, ModuleRef, PolicySpec, Problem};
use crate::runtime::{BoundPolicy, Isolation, PolicyModule, Runtime};
use crate::stdlib;
use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// How policy crates named in a manifest are built.
#[derive(Clone, Debug)]
pub struct BuildOptions {
    pub cargo: PathBuf,
    /// `--target-dir` for cargo; `None` lets cargo decide (`CARGO_TARGET_DIR`, workspace).
    pub target_dir: Option<PathBuf>,
}

impl Default for BuildOptions {
    fn default() -> Self {
        BuildOptions { cargo: std::env::var_os("CARGO").map_or_else(|| "cargo".into(), PathBuf::from), target_dir: None }
    }
}

#[derive(Clone)]
pub struct LoadedPolicy {
    pub spec: PolicySpec,
    pub module: PolicyModule,
    /// The module configured as this policy, with its warm instances.
    pub bound: BoundPolicy,
    /// What every reward and progress report of this policy names it by.
    pub names: Names,
}

/// A policy's id, module version and group, shared by everything an evaluation reports
/// (candidates, applied and suppressed rewards, progress) instead of copied into each.
#[derive(Clone, Debug)]
pub struct Names {
    pub id: Arc<str>,
    /// `sha256:…` of the module.
    pub version: Arc<str>,
    pub group: Option<Arc<str>>,
}

impl Names {
    pub fn new(spec: &PolicySpec, module: &PolicyModule) -> Self {
        Names { id: spec.id.as_str().into(), version: module.hash().into(), group: spec.group.as_deref().map(Into::into) }
    }

    /// The same names, not shared with the original: threads counting references to the
    /// same names would contend for them.
    fn own(&self) -> Self {
        Names { id: (*self.id).into(), version: (*self.version).into(), group: self.group.as_deref().map(Into::into) }
    }
}

/// A campaign ready to evaluate.
#[derive(Clone)]
pub struct Campaign {
    pub manifest: Manifest,
    pub policies: Vec<LoadedPolicy>,
    /// The policy set's version: a hash of the manifest and every module it loads.
    /// Recorded with every ledger entry the set produces.
    pub version: String,
}

impl Campaign {
    /// The same campaign with warm-instance pools of its own (see
    /// [`BoundPolicy::with_own_pool`]): one per replay thread.
    pub fn with_own_pools(&self) -> Campaign {
        let mut c = self.clone();
        for p in &mut c.policies {
            p.bound = p.bound.with_own_pool();
            p.names = p.names.own();
        }
        c
    }

    /// Loads `dir/perk.toml` (or the manifest file `path`) and every module it names.
    pub fn load(path: &Path, runtime: &Runtime, build: &BuildOptions) -> Result<Campaign, ManifestError> {
        let manifest = manifest::load(path)?;
        Campaign::from_manifest(manifest, runtime, build)
    }

    /// Loads the modules of a parsed manifest, asks each to accept its config, and reports
    /// every problem with the manifest location it comes from. Modules used by several
    /// policies load once.
    pub fn from_manifest(manifest: Manifest, runtime: &Runtime, build: &BuildOptions) -> Result<Campaign, ManifestError> {
        let runtime = if manifest.limits == *runtime.limits() {
            runtime.clone()
        } else {
            runtime.with_limits(manifest.limits.clone()).map_err(|e| {
                ManifestError(vec![Problem {
                    location: Location { file: manifest.path.clone(), line: 1, column: 1 },
                    key: "limits".into(),
                    message: format!("cannot set up the sandbox with these limits: {e:#}"),
                }])
            })?
        };
        let mut problems = Vec::new();
        let mut loaded: HashMap<ModuleRef, PolicyModule> = HashMap::new();
        let mut policies = Vec::new();
        for (i, spec) in manifest.policies.iter().enumerate() {
            let problem = |location: &Location, key: &str, message: String| Problem {
                location: location.clone(),
                key: format!("policy[{i}].{key}"),
                message: format!("policy `{}`: {message}", spec.id),
            };
            let module = match loaded.get(&spec.module) {
                Some(m) => m.clone(),
                None => {
                    let result = module_bytes(&spec.module, build)
                        .and_then(|bytes| runtime.load(&bytes).map_err(|e| format!("{}: {e}", spec.module)));
                    match result {
                        Ok(m) => {
                            loaded.insert(spec.module.clone(), m.clone());
                            m
                        }
                        Err(message) => {
                            problems.push(problem(&spec.location, "module", message));
                            continue;
                        }
                    }
                }
            };
            let bound = match module.bind(&spec.id, &spec.config) {
                Ok(b) => b,
                Err(f) => {
                    problems.push(problem(&spec.config_location, "config", format!("config rejected by {}: {}", spec.module, f.message)));
                    continue;
                }
            };
            if spec.isolation == Isolation::Pooled {
                if let Err(message) = bound.check_purity() {
                    problems.push(problem(&spec.location, "isolation", format!("{} {message}", spec.module)));
                    continue;
                }
            }
            let names = Names::new(spec, &module);
            policies.push(LoadedPolicy { spec: spec.clone(), module, bound, names });
        }
        if !problems.is_empty() {
            return Err(ManifestError(problems));
        }
        let version = set_version(&manifest, &policies);
        Ok(Campaign { manifest, policies, version })
    }
}

/// `set-` and 12 hex digits of a hash over the manifest text and each policy's module.
fn set_version(manifest: &Manifest, policies: &[LoadedPolicy]) -> String {
    let mut text = manifest.digest.clone();
    for p in policies {
        text.push_str(&format!("\n{}={}", p.spec.id, p.module.hash()));
    }
    let hash = crate::runtime::content_hash(text.as_bytes());
    format!("set-{}", &hash["sha256:".len().."sha256:".len() + 12])
}

/// The bytes of a module: embedded, read from disk, or built from its crate.
pub fn module_bytes(m: &ModuleRef, build: &BuildOptions) -> Result<Cow<'static, [u8]>, String> {
    match m {
        ModuleRef::Std(name) => stdlib::get(name).map(Cow::Borrowed).ok_or_else(|| format!("no standard policy `{name}`")),
        ModuleRef::Wasm(path) => std::fs::read(path).map(Cow::Owned).map_err(|e| format!("cannot read {}: {e}", path.display())),
        ModuleRef::Crate(dir) => build_crate(dir, build).map(|b| Cow::Owned(b.component)),
    }
}

/// A policy crate built into a component.
pub struct BuiltCrate {
    pub package: String,
    /// Where the component was written, next to cargo's core module.
    pub path: PathBuf,
    pub component: Vec<u8>,
}

pub fn build_crate(dir: &Path, build: &BuildOptions) -> Result<BuiltCrate, String> {
    let built = guest_build::cargo_build(&build.cargo, &dir.join("Cargo.toml"), &[], &[], build.target_dir.as_deref())?;
    let [b] = built.as_slice() else {
        return Err(format!("{} built {} wasm libraries; a policy crate builds one", dir.display(), built.len()));
    };
    let core = guest_build::optimized_core(&b.wasm)?;
    let component = guest_build::componentize(&core).map_err(|e| format!("{}: {e}", b.wasm.display()))?;
    let path = b.wasm.with_extension("component.wasm");
    crate::files::write_whole(&path, &component)?;
    Ok(BuiltCrate { package: b.package.clone(), path, component })
}
