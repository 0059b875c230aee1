//! Hot reload on file changes: the manifest, every module file it names and, when asked
//! (`perk up`), the sources of the SDK crates it builds. Events are debounced, then one
//! thread reloads off the request path ([`Engine::reload`]); requests keep being served on
//! the current set meanwhile, and a set that fails to load never replaces it.

use super::{Engine, Reloaded};
use crate::manifest::{self, ModuleRef};
use notify_debouncer_full::notify::{self, EventKind, RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{new_debouncer, DebounceEventResult, Debouncer, RecommendedCache};
use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

/// Quiet time after the last event before reloading: editors write a file in bursts.
const DEBOUNCE: Duration = Duration::from_millis(20);

/// What to watch: files whose change means a reload, and crate directories whose sources do.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Interest {
    files: BTreeSet<PathBuf>,
    crates: BTreeSet<PathBuf>,
}

impl Interest {
    /// From the manifest on disk; a manifest that does not parse still names itself.
    fn of(manifest_path: &Path, crates: bool) -> Interest {
        let mut i = Interest::default();
        i.files.insert(manifest_path.to_path_buf());
        if let Ok(m) = manifest::load(manifest_path) {
            for p in &m.policies {
                match &p.module {
                    ModuleRef::Wasm(path) => {
                        i.files.insert(absolute(path));
                    }
                    ModuleRef::Crate(dir) if crates => {
                        i.crates.insert(absolute(dir));
                    }
                    _ => {}
                }
            }
        }
        i
    }

    fn matches(&self, path: &Path) -> bool {
        if self.files.contains(path) {
            return true;
        }
        self.crates.iter().any(|dir| {
            let Ok(rest) = path.strip_prefix(dir) else { return false };
            let in_target = rest.components().any(|c| c == Component::Normal("target".as_ref()));
            !in_target && (rest.starts_with("src") || rest == Path::new("Cargo.toml") || rest.starts_with("wit"))
        })
    }

    /// Directories to watch, and how.
    fn watches(&self) -> BTreeSet<(PathBuf, bool)> {
        let mut w: BTreeSet<(PathBuf, bool)> = self.files.iter().filter_map(|f| Some((f.parent()?.to_path_buf(), false))).collect();
        w.extend(self.crates.iter().map(|d| (d.clone(), true)));
        w
    }
}

fn absolute(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf()))
}

fn relevant(kind: &EventKind) -> bool {
    use notify::event::{AccessKind, AccessMode};
    matches!(
        kind,
        EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_) | EventKind::Access(AccessKind::Close(AccessMode::Write))
    )
}

/// Keeps watching while alive.
pub struct Watcher {
    _debouncer: Arc<Mutex<Debouncer<RecommendedWatcher, RecommendedCache>>>,
}

/// Watches the engine's source and reloads on change; `on_reload` hears every outcome
/// (`perk up` prints them). `crates`: also rebuild when an SDK crate's sources change.
pub fn watch(engine: Arc<Engine>, crates: bool, on_reload: impl Fn(&Result<Reloaded, String>) + Send + 'static) -> Result<Watcher, String> {
    let manifest_path = absolute(&engine.source().ok_or("this engine has no manifest to watch")?.manifest);
    let interest = Arc::new(Mutex::new(Interest::of(&manifest_path, crates)));
    let (tx, rx) = mpsc::channel::<()>();
    let seen = interest.clone();
    let debouncer = new_debouncer(DEBOUNCE, None, move |result: DebounceEventResult| {
        let Ok(events) = result else { return };
        let interest = seen.lock().unwrap_or_else(|p| p.into_inner());
        if events.iter().any(|e| relevant(&e.kind) && e.paths.iter().any(|p| interest.matches(p))) {
            let _ = tx.send(());
        }
    })
    .map_err(|e| format!("cannot watch files: {e}"))?;
    let debouncer = Arc::new(Mutex::new(debouncer));
    let mut watched = BTreeSet::new();
    update_watches(&debouncer, &mut watched, &interest.lock().unwrap());

    let d = debouncer.clone();
    std::thread::Builder::new()
        .name("perk-reload".into())
        .spawn(move || {
            while rx.recv().is_ok() {
                while rx.try_recv().is_ok() {}
                let result = engine.reload();
                on_reload(&result);
                let next = Interest::of(&manifest_path, crates);
                let mut current = interest.lock().unwrap_or_else(|p| p.into_inner());
                if *current != next {
                    update_watches(&d, &mut watched, &next);
                    *current = next;
                }
            }
        })
        .map_err(|e| format!("cannot start the reload thread: {e}"))?;
    Ok(Watcher { _debouncer: debouncer })
}

fn update_watches(
    debouncer: &Mutex<Debouncer<RecommendedWatcher, RecommendedCache>>,
    watched: &mut BTreeSet<(PathBuf, bool)>,
    interest: &Interest,
) {
    let mut d = debouncer.lock().unwrap_or_else(|p| p.into_inner());
    for (dir, recursive) in interest.watches() {
        if watched.contains(&(dir.clone(), recursive)) {
            continue;
        }
        let mode = if recursive { RecursiveMode::Recursive } else { RecursiveMode::NonRecursive };
        match d.watch(&dir, mode) {
            Ok(()) => {
                watched.insert((dir, recursive));
            }
            Err(e) => tracing::warn!("cannot watch {}: {e}", dir.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crate_sources_count_and_build_output_does_not() {
        let i = Interest { files: [PathBuf::from("/c/perk.toml")].into(), crates: [PathBuf::from("/c/policies/mine")].into() };
        assert!(i.matches(Path::new("/c/perk.toml")));
        assert!(!i.matches(Path::new("/c/perk.toml.swp")));
        assert!(i.matches(Path::new("/c/policies/mine/src/lib.rs")));
        assert!(i.matches(Path::new("/c/policies/mine/Cargo.toml")));
        assert!(!i.matches(Path::new("/c/policies/mine/target/wasm32-unknown-unknown/release/mine.wasm")));
        assert!(!i.matches(Path::new("/c/policies/mine/Cargo.lock")));
        let w = i.watches();
        assert!(w.contains(&(PathBuf::from("/c"), false)) && w.contains(&(PathBuf::from("/c/policies/mine"), true)));
    }
}
