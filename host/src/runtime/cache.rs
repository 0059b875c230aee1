//! Compiled components on disk, keyed by module hash and engine settings, so a restart
//! does not recompile (loading takes well under a millisecond; compiling, tens).

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use wasmtime::component::Component;
use wasmtime::{Engine, Module};

/// What the cache keeps: compiled components, and the core modules warm instances call
/// directly (`direct.rs`), each under a name of its own.
pub trait Artifact: Sized {
    /// The file name's end.
    const SUFFIX: &'static str;
    fn serialize(&self) -> wasmtime::Result<Vec<u8>>;
    /// # Safety
    /// `bytes` must come from [`Artifact::serialize`] (see `Component::deserialize`).
    unsafe fn deserialize(engine: &Engine, bytes: &[u8]) -> wasmtime::Result<Self>;
}

impl Artifact for Component {
    const SUFFIX: &'static str = "cwasm";
    fn serialize(&self) -> wasmtime::Result<Vec<u8>> {
        Component::serialize(self)
    }
    unsafe fn deserialize(engine: &Engine, bytes: &[u8]) -> wasmtime::Result<Self> {
        // SAFETY: the caller's contract.
        unsafe { Component::deserialize(engine, bytes) }
    }
}

impl Artifact for Module {
    const SUFFIX: &'static str = "core.cwasm";
    fn serialize(&self) -> wasmtime::Result<Vec<u8>> {
        Module::serialize(self)
    }
    unsafe fn deserialize(engine: &Engine, bytes: &[u8]) -> wasmtime::Result<Self> {
        // SAFETY: the caller's contract.
        unsafe { Module::deserialize(engine, bytes) }
    }
}

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

    fn path<A: Artifact>(&self, content_hash: &str) -> PathBuf {
        let hex = content_hash.trim_start_matches("sha256:");
        self.dir.join(format!("{hex}-{}.{}", self.engine_key, A::SUFFIX))
    }

    /// The cached compilation of the module with this hash, if there is a usable one.
    pub fn get<A: Artifact>(&self, engine: &Engine, content_hash: &str) -> Option<A> {
        let path = self.path::<A>(content_hash);
        // Read, not mmap (`deserialize_file`): a file truncated under a live mapping would
        // crash the process with SIGBUS; a read costs a copy of a few hundred KiB.
        let bytes = std::fs::read(&path).ok()?;
        // SAFETY: the file was written by `put` below from `Component::serialize` of this
        // engine's settings (the key is in the name); wasmtime still checks the header and
        // refuses artifacts from another version or configuration.
        match unsafe { A::deserialize(engine, &bytes) } {
            Ok(c) => Some(c),
            Err(e) => {
                tracing::warn!(path = %path.display(), "ignoring unusable cache entry: {e:#}");
                None
            }
        }
    }

    /// Stores a compilation; failures only cost a recompile later, so they are logged.
    pub fn put<A: Artifact>(&self, content_hash: &str, artifact: &A) {
        if let Err(e) = self.try_put(&self.path::<A>(content_hash), artifact) {
            tracing::warn!(dir = %self.dir.display(), "could not cache compiled module: {e:#}");
        }
    }

    fn try_put<A: Artifact>(&self, path: &Path, artifact: &A) -> anyhow::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let bytes = artifact.serialize()?;
        crate::files::write_whole(path, &bytes).map_err(anyhow::Error::msg)
    }
}
