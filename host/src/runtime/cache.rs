//! Compiled components on disk, keyed by module hash and engine settings, so a restart
//! does not recompile (loading takes well under a millisecond; compiling, tens).

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use wasmtime::component::Component;
use wasmtime::Engine;

pub struct Cache {
    dir: PathBuf,
    /// Hash of the engine settings that affect compiled code.
    engine_key: String,
}

impl Cache {
    pub fn new(dir: PathBuf, engine: &Engine) -> Self {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut h);
        Cache { dir, engine_key: format!("{:016x}", h.finish()) }
    }

    fn path(&self, content_hash: &str) -> PathBuf {
        let hex = content_hash.trim_start_matches("sha256:");
        self.dir.join(format!("{hex}-{}.cwasm", self.engine_key))
    }

    /// The cached compilation of the module with this hash, if there is a usable one.
    pub fn get(&self, engine: &Engine, content_hash: &str) -> Option<Component> {
        let path = self.path(content_hash);
        // Read, not mmap (`deserialize_file`): a file truncated under a live mapping would
        // crash the process with SIGBUS; a read costs a copy of a few hundred KiB.
        let bytes = std::fs::read(&path).ok()?;
        // SAFETY: the file was written by `put` below from `Component::serialize` of this
        // engine's settings (the key is in the name); wasmtime still checks the header and
        // refuses artifacts from another version or configuration.
        match unsafe { Component::deserialize(engine, &bytes) } {
            Ok(c) => Some(c),
            Err(e) => {
                tracing::warn!(path = %path.display(), "ignoring unusable cache entry: {e:#}");
                None
            }
        }
    }

    /// Stores a compilation; failures only cost a recompile later, so they are logged.
    pub fn put(&self, content_hash: &str, component: &Component) {
        if let Err(e) = self.try_put(&self.path(content_hash), component) {
            tracing::warn!(dir = %self.dir.display(), "could not cache compiled module: {e:#}");
        }
    }

    fn try_put(&self, path: &Path, component: &Component) -> anyhow::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let bytes = component.serialize()?;
        crate::files::write_whole(path, &bytes).map_err(anyhow::Error::msg)
    }
}
