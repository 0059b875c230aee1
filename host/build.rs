//! Builds the standard policies in `policies/` to components and embeds them in the
//! binary, so campaigns of standard policies run on a machine without a Rust toolchain.

#[path = "src/files.rs"]
#[allow(dead_code)]
mod files;
#[path = "src/guest_build.rs"]
#[allow(dead_code)]
mod guest_build;
#[path = "src/prune.rs"]
mod prune;

use std::path::{Path, PathBuf};

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("host/ has a parent").to_path_buf();
    println!("cargo:rerun-if-changed={}", root.join("policies").display());
    println!("cargo:rerun-if-changed={}", root.join("sdk").display());
    println!("cargo:rerun-if-changed={}", root.join("Cargo.lock").display());
    println!("cargo:rerun-if-env-changed=PERK_WASM_OPT");
    if guest_build::wasm_opt().is_none() {
        println!(
            "cargo:warning=wasm-opt (Binaryen) not found: the standard policies are built without it, \
             12-14 % larger (`apt-get install binaryen`, or PERK_WASM_OPT=/path/to/wasm-opt)"
        );
    }

    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    let mut policies: Vec<String> = std::fs::read_dir(root.join("policies"))
        .expect("policies/ exists")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("Cargo.toml").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    policies.sort();

    let packages: Vec<String> = policies.iter().map(|p| format!("perk-policy-{p}")).collect();
    let cargo = PathBuf::from(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    let built = guest_build::cargo_build(&cargo, &root.join("Cargo.toml"), &packages, &[], Some(&guest_target_dir(&out)))
        .unwrap_or_else(|e| panic!("building the standard policies: {e}"));

    // Optimized and wrapped in parallel (wasm-opt takes about a second a module).
    let files: Vec<PathBuf> = std::thread::scope(|scope| {
        let jobs: Vec<_> = policies
            .iter()
            .map(|name| {
                let lib = format!("perk_policy_{}", name.replace('-', "_"));
                let b = built.iter().find(|b| b.package == lib).unwrap_or_else(|| panic!("no wasm built for policies/{name}"));
                let file = out.join(format!("{name}.wasm"));
                scope.spawn(move || {
                    let core = guest_build::optimized_core(&b.wasm).unwrap_or_else(|e| panic!("optimizing {name}: {e}"));
                    let component = guest_build::componentize(&core).unwrap_or_else(|e| panic!("componentizing {name}: {e}"));
                    files::write_whole(&file, &component).unwrap_or_else(|e| panic!("{name}: {e}"));
                    file
                })
            })
            .collect();
        jobs.into_iter().map(|j| j.join().expect("a policy's build thread")).collect()
    });

    let mut table = String::from("/// (name, component bytes) of every standard policy.\npub static STD: &[(&str, &[u8])] = &[\n");
    for (name, file) in policies.iter().zip(&files) {
        table.push_str(&format!("    ({name:?}, include_bytes!({:?})),\n", file.display().to_string()));
    }
    table.push_str("];\n");
    std::fs::write(out.join("stdlib.rs"), table).unwrap();
}

/// `<cargo target dir>/guests`: found from OUT_DIR (the target dir holds CACHEDIR.TAG), so
/// guest dependencies are built once per checkout and shared with `perk build` in tests.
fn guest_target_dir(out: &Path) -> PathBuf {
    out.ancestors().find(|d| d.join("CACHEDIR.TAG").is_file()).map(|d| d.join("guests")).unwrap_or_else(|| out.join("guests"))
}
