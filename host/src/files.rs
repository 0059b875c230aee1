//! Files that several processes may write at once (built modules, the compile cache):
//! written under a name of their own, then renamed into place.

use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` so that readers see the old file or the whole new one, never a
/// part: written to a file of this call's own, then renamed over `path`.
pub fn write_whole(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let scratch = Scratch(unique_sibling(path));
    std::fs::write(&scratch.0, bytes).map_err(|e| format!("cannot write {}: {e}", scratch.0.display()))?;
    std::fs::rename(&scratch.0, path).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// `<path>.<pid>-<n>.tmp`: a name no other process or call uses at the same time.
pub fn unique_sibling(path: &Path) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{}-{n}.tmp", std::process::id()));
    path.with_file_name(name)
}

/// A scratch file, removed when dropped unless it was renamed away.
pub struct Scratch(pub PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_whole_replaces_a_file_and_says_where_it_could_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.component.wasm");
        write_whole(&path, b"old").unwrap();
        write_whole(&path, b"new").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        let err = write_whole(&dir.path().join("missing/p.wasm"), b"x").unwrap_err();
        assert!(err.starts_with("cannot write ") && err.contains("missing/p.wasm."), "{err}");
    }
}
