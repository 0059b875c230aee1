//! Removes the code of functions a core module can never run, judged by type.
//!
//! A `call_indirect` reaches only functions of exactly its type, so a function that is only
//! ever called through the table, and whose type no reachable `call_indirect` (or
//! `call_ref`) names, is dead. rustc keeps such functions: every guest holds `core::fmt`'s
//! integer `Display` (with `pad_integral` and `count_chars` behind it, 1.8 KB) because
//! bounds-check panics build `fmt::Arguments` pointing at it, although a lean guest's panic
//! handler never formats the message. Binaryen (108, as Debian ships it) counts everything
//! in the table as reachable. [`prune`] replaces the body of each dead function with
//! `unreachable`; `wasm-opt` afterwards drops the functions that then have no callers.
//!
//! Conservative where it cannot see: exported functions, the start function, functions
//! named by `ref.func` in globals or in passive and declared element segments, and every
//! table entry when a table is imported or exported, are all taken as reachable. A module
//! using anything the analysis does not model (non-function types, DWARF that would go
//! stale) is left as it is.

use std::collections::HashMap;
use std::ops::Range;

use wasmparser::{CompositeInnerType, ConstExpr, ElementItems, ElementKind, ExternalKind, FuncType, Operator, Parser, Payload, TypeRef};

/// What [`prune`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pruned {
    /// The module, with dead bodies replaced.
    pub wasm: Vec<u8>,
    /// How many bodies were replaced.
    pub functions: usize,
}

/// `wasm` with the body of every function it can never run replaced by `unreachable`;
/// `None` when there is none, or when the module uses what the analysis does not model.
pub fn prune(wasm: &[u8]) -> Result<Option<Pruned>, wasmparser::BinaryReaderError> {
    let module = match Module::read(wasm) {
        Ok(m) => m,
        Err(Stop::Unmodeled) => return Ok(None),
        Err(Stop::Malformed(e)) => return Err(e),
    };
    let live = module.live();
    // Bodies that are a lone `unreachable` already are not counted again.
    let dead: Vec<bool> =
        module.bodies.iter().enumerate().map(|(i, b)| !live[module.imported + i] && wasm[b.range.clone()] != STUB).collect();
    let functions = dead.iter().filter(|d| **d).count();
    if functions == 0 {
        return Ok(None);
    }
    Ok(Some(Pruned { wasm: module.rewrite(wasm, &dead)?, functions }))
}

/// A body of no locals and `unreachable`.
const STUB: [u8; 3] = [0x00, 0x00, 0x0b];

/// What the analysis needs of a module.
#[derive(Default)]
struct Module {
    /// Per type index, a canonical index (the first structurally equal function type), or
    /// `None` for a type that is not a function type.
    canonical: Vec<usize>,
    /// Per function (imports first), its canonical type.
    func_type: Vec<usize>,
    imported: usize,
    roots: Vec<u32>,
    /// Functions placed in a table by active element segments.
    in_table: Vec<u32>,
    table_shared: bool,
    /// Per defined function: its body's byte range, what it calls directly (and takes the
    /// address of), and the canonical types it calls indirectly.
    bodies: Vec<Body>,
}

/// Why [`Module::read`] gave up.
enum Stop {
    Malformed(wasmparser::BinaryReaderError),
    /// Something the analysis does not model: the module is left as it is.
    Unmodeled,
}

impl From<wasmparser::BinaryReaderError> for Stop {
    fn from(e: wasmparser::BinaryReaderError) -> Self {
        Stop::Malformed(e)
    }
}

struct Body {
    range: Range<usize>,
    calls: Vec<u32>,
    indirect: Vec<usize>,
}

impl Module {
    fn read(wasm: &[u8]) -> Result<Module, Stop> {
        let mut m = Module::default();
        let mut types: Vec<FuncType> = Vec::new();
        for payload in Parser::new(0).parse_all(wasm) {
            match payload? {
                Payload::Version { encoding: wasmparser::Encoding::Component, .. } => return Err(Stop::Unmodeled),
                Payload::TypeSection(s) => {
                    for group in s {
                        for ty in group?.into_types() {
                            let CompositeInnerType::Func(f) = ty.composite_type.inner else { return Err(Stop::Unmodeled) };
                            let same = types.iter().position(|t| *t == f).unwrap_or(types.len());
                            if same == types.len() {
                                types.push(f);
                            }
                            m.canonical.push(same);
                        }
                    }
                }
                Payload::ImportSection(s) => {
                    for import in s.into_imports() {
                        match import?.ty {
                            TypeRef::Func(t) | TypeRef::FuncExact(t) => {
                                m.func_type.push(m.canonical_of(t)?);
                                m.imported += 1;
                            }
                            TypeRef::Table(_) => m.table_shared = true,
                            _ => {}
                        }
                    }
                }
                Payload::FunctionSection(s) => {
                    for t in s {
                        let t = m.canonical_of(t?)?;
                        m.func_type.push(t);
                    }
                }
                Payload::ExportSection(s) => {
                    for e in s {
                        let e = e?;
                        match e.kind {
                            ExternalKind::Func => m.roots.push(e.index),
                            ExternalKind::Table => m.table_shared = true,
                            _ => {}
                        }
                    }
                }
                Payload::StartSection { func, .. } => m.roots.push(func),
                Payload::GlobalSection(s) => {
                    for g in s {
                        refs_in(&g?.init_expr, &mut m.roots)?;
                    }
                }
                Payload::ElementSection(s) => {
                    for e in s {
                        let e = e?;
                        let mut funcs = Vec::new();
                        match e.items {
                            ElementItems::Functions(fs) => {
                                for f in fs {
                                    funcs.push(f?);
                                }
                            }
                            ElementItems::Expressions(_, exprs) => {
                                for expr in exprs {
                                    refs_in(&expr?, &mut funcs)?;
                                }
                            }
                        }
                        match e.kind {
                            ElementKind::Active { .. } => m.in_table.extend(funcs),
                            ElementKind::Passive | ElementKind::Declared => m.roots.extend(funcs),
                        }
                    }
                }
                Payload::CodeSectionEntry(body) => {
                    let mut calls = Vec::new();
                    let mut indirect = Vec::new();
                    let mut ops = body.get_operators_reader()?;
                    while !ops.eof() {
                        match ops.read()? {
                            Operator::Call { function_index }
                            | Operator::ReturnCall { function_index }
                            | Operator::RefFunc { function_index } => calls.push(function_index),
                            Operator::CallIndirect { type_index, .. }
                            | Operator::ReturnCallIndirect { type_index, .. }
                            | Operator::CallRef { type_index }
                            | Operator::ReturnCallRef { type_index } => indirect.push(m.canonical_of(type_index)?),
                            _ => {}
                        }
                    }
                    let range = body.range();
                    m.bodies.push(Body { range: range.start as usize..range.end as usize, calls, indirect });
                }
                Payload::CustomSection(c) if c.name().starts_with(".debug_") => return Err(Stop::Unmodeled),
                _ => {}
            }
        }
        if m.table_shared {
            m.roots.append(&mut m.in_table);
        }
        Ok(m)
    }

    /// The canonical type of a type index; an index out of bounds (an invalid module, which
    /// the validator after us reports) stops the analysis.
    fn canonical_of(&self, type_index: u32) -> Result<usize, Stop> {
        self.canonical.get(type_index as usize).copied().ok_or(Stop::Unmodeled)
    }

    /// Which functions can run: the roots, what reachable code calls, and the table entries
    /// of every type reachable code calls indirectly.
    fn live(&self) -> Vec<bool> {
        let n = self.func_type.len();
        let mut live = vec![false; n];
        let mut by_type: HashMap<usize, Vec<u32>> = HashMap::new();
        for &f in &self.in_table {
            if let Some(&t) = self.func_type.get(f as usize) {
                by_type.entry(t).or_default().push(f);
            }
        }
        let mut work: Vec<u32> = self.roots.clone();
        while let Some(f) = work.pop() {
            let Some(seen) = live.get_mut(f as usize) else { continue };
            if std::mem::replace(seen, true) {
                continue;
            }
            let Some(body) = (f as usize).checked_sub(self.imported).and_then(|i| self.bodies.get(i)) else { continue };
            work.extend(&body.calls);
            for t in &body.indirect {
                // Each type's entries are queued once; `live` stops repeats.
                if let Some(targets) = by_type.remove(t) {
                    work.extend(targets);
                }
            }
        }
        live
    }

    /// The module's bytes with the bodies marked `dead` replaced; every other byte copied.
    fn rewrite(&self, wasm: &[u8], dead: &[bool]) -> Result<Vec<u8>, wasmparser::BinaryReaderError> {
        let mut out = wasm_encoder::Module::new();
        for payload in Parser::new(0).parse_all(wasm) {
            let payload = payload?;
            if let Payload::CodeSectionStart { .. } = payload {
                let mut code = wasm_encoder::CodeSection::new();
                for (body, dead) in self.bodies.iter().zip(dead) {
                    code.raw(if *dead { &STUB } else { &wasm[body.range.clone()] });
                }
                out.section(&code);
            } else if let Some((id, range)) = payload.as_section() {
                out.section(&wasm_encoder::RawSection { id, data: &wasm[range.start as usize..range.end as usize] });
            }
        }
        Ok(out.finish())
    }
}

/// The functions a constant expression takes the address of.
fn refs_in(expr: &ConstExpr<'_>, into: &mut Vec<u32>) -> Result<(), Stop> {
    let mut ops = expr.get_operators_reader();
    while !ops.eof() {
        if let Operator::RefFunc { function_index } = ops.read()? {
            into.push(function_index);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names of the functions whose body is a lone `unreachable` after pruning.
    fn pruned(wat: &str) -> Vec<String> {
        let wasm = wat::parse_str(wat).unwrap();
        let Some(p) = prune(&wasm).unwrap() else { return Vec::new() };
        wasmparser::Validator::new().validate_all(&p.wasm).expect("a valid module");
        let mut names = Vec::new();
        let mut index = Vec::new();
        let mut imported = 0;
        for payload in Parser::new(0).parse_all(&p.wasm) {
            match payload.unwrap() {
                Payload::ImportSection(s) => imported = s.into_imports().count(),
                Payload::CodeSectionEntry(body) => {
                    let ops: Vec<_> = body.get_operators_reader().unwrap().into_iter().map(|o| format!("{:?}", o.unwrap())).collect();
                    index.push(ops == ["Unreachable", "End"]);
                }
                Payload::CustomSection(c) => {
                    if let wasmparser::KnownCustom::Name(n) = c.as_known() {
                        for sub in n {
                            if let wasmparser::Name::Function(map) = sub.unwrap() {
                                for naming in map {
                                    let naming = naming.unwrap();
                                    if index.get(naming.index as usize - imported) == Some(&true) {
                                        names.push(naming.name.to_string());
                                    }
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        assert_eq!(names.len(), p.functions, "every pruned function is named in these tests");
        names
    }

    const TABLE: &str = r#"
        (type $fmt (func (param i32 i32) (result i32)))
        (type $drop (func (param i32)))
        (table 3 3 funcref)
        (elem (i32.const 0) $display $drop_config $also_drop)
        (func $display (type $fmt) (call $pad (local.get 0)))
        (func $pad (param i32) (result i32) (local.get 0))
        (func $drop_config (type $drop))
        (func $also_drop (type $drop))
        (func $helper)
        (func $orphan)
    "#;

    #[test]
    fn table_entries_of_types_nobody_calls_indirectly_are_dead() {
        let wat = format!(
            r#"(module {TABLE}
                (func (export "run") (call $helper) (call_indirect (type $drop) (i32.const 0) (i32.const 1))))"#
        );
        // `display` is in the table but nothing calls a `$fmt` indirectly; `pad` is reached
        // only from it. Both `$drop` entries stay: one such call could reach either.
        assert_eq!(pruned(&wat), ["display", "pad", "orphan"]);
    }

    #[test]
    fn an_indirect_call_of_a_structurally_equal_type_keeps_the_entries() {
        let wat = format!(
            r#"(module {TABLE}
                (type $same_as_fmt (func (param i32 i32) (result i32)))
                (func (export "run") (drop (call_indirect (type $same_as_fmt) (i32.const 0) (i32.const 0) (i32.const 0)))))"#
        );
        assert_eq!(pruned(&wat), ["drop_config", "also_drop", "helper", "orphan"]);
    }

    #[test]
    fn an_indirect_call_inside_dead_code_keeps_nothing_alive() {
        // `display` calls a `$drop` indirectly, but `display` itself never runs.
        let wat = r#"(module
            (type $fmt (func (param i32 i32) (result i32)))
            (type $drop (func (param i32)))
            (table 2 2 funcref)
            (elem (i32.const 0) $display $drop_config)
            (func $display (type $fmt) (call_indirect (type $drop) (i32.const 0) (i32.const 1)) (i32.const 0))
            (func $drop_config (type $drop))
            (func (export "run")))"#;
        assert_eq!(pruned(wat), ["display", "drop_config"]);
    }

    #[test]
    fn what_the_outside_can_reach_is_kept() {
        // An exported table: the host may call any entry.
        let shared = format!(r#"(module {TABLE} (export "t" (table 0)) (func (export "run")))"#);
        assert_eq!(pruned(&shared), ["helper", "orphan"]);
        // The start function, `ref.func` in a global and in a declared segment, and what
        // those reach.
        let refs = r#"(module
            (global funcref (ref.func $in_global))
            (elem declare func $declared)
            (start $start)
            (func $start (call $from_start))
            (func $from_start)
            (func $in_global)
            (func $declared)
            (func $orphan))"#;
        assert_eq!(pruned(refs), ["orphan"]);
        // A function that takes another's address keeps it.
        let taken = r#"(module
            (elem declare func $target)
            (func (export "run") (drop (ref.func $target)))
            (func $target))"#;
        assert!(pruned(taken).is_empty());
    }

    #[test]
    fn modules_it_cannot_judge_are_left_alone() {
        let with_dwarf = wat::parse_str(r#"(module (func $dead) (@custom ".debug_info" "x"))"#).unwrap();
        assert_eq!(prune(&with_dwarf).unwrap(), None);
        let component = wat::parse_str("(component)").unwrap();
        assert_eq!(prune(&component).unwrap(), None);
        assert!(prune(b"\0asm\x01\0\0\0\x01\x05").is_err(), "a truncated section is an error");
    }

    /// The embedded standard modules were pruned when built, and `wasm-opt` left no dead
    /// entry behind: pruning them again finds nothing.
    #[test]
    fn the_embedded_standard_modules_have_nothing_left_to_prune() {
        for name in crate::stdlib::names() {
            assert_eq!(prune(&crate::stdlib::core_module(name)).unwrap().map(|p| p.functions), None, "{name}");
        }
    }
}
