//! Warm calls straight into a component's core module.
//!
//! A component as `wit-component` makes one from a perk-sdk guest is one core module (the
//! policy) plus plumbing: each export of the world is `canon lift` of the module's export of
//! the same name, with the module's memory, its `cabi_realloc` and UTF-8 strings; `log` is
//! `canon lower`ed into it with the same memory. For such a component this module runs the
//! core module itself, on the same engine, store, limits and clock, and does the canonical
//! ABI of the four calls a warm instance makes by hand: the same `cabi_realloc` call per list
//! argument, the same checks on every pointer, length, case and string the guest answers,
//! the same `log` lowering. What it saves is wasmtime's generic component call path (export
//! lookup, lift and lower contexts, resource scopes; about a third of a pooled call, see
//! PERFORMANCE.md), not any check.
//!
//! [`plan`] decides, from the component's own sections, whether a component has that shape;
//! any other component (another toolchain's, post-return functions, other imports) runs
//! through the component call path, as do `describe`, fresh isolation and the reference
//! instances of the purity check, which therefore also compares the two paths.

use super::bindings::{types as w, PolicyImports};
use super::call::GuestState;
use std::ops::Range;
use wasmparser::{
    CanonicalFunction, CanonicalOption, ComponentAlias, ComponentExternalKind, ComponentTypeRef, ExternalKind, Instance, Parser, Payload,
    TypeRef,
};
use wasmtime::{Caller, Engine, Extern, InstancePre, Linker, Memory, Module, Store, TypedFunc};

/// The exports a warm call uses; each must be lifted from the core export of the same name.
const CALLS: [&str; 4] = ["configure", "on-purchase", "on-event", "on-purchase-batch"];

/// What [`plan`] found: the core module and the names of the memory and `realloc` the
/// world's exports are lifted with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// The core module's bytes within the component's.
    pub module: Range<usize>,
    pub memory: String,
    pub realloc: String,
}

/// A component function, as far as the plan needs to know it.
#[derive(Clone)]
enum CompFunc {
    Import(String),
    Lift {
        core_func: u32,
        options: Box<[CanonicalOption]>,
    },
    /// An export re-exports another index.
    Export(u32),
    Other,
}

/// A core instance: a module instantiated with named instances, or one made of exports
/// (name, and the core function when it is one).
enum CoreInstance {
    Of { module: u32, args: Vec<(String, u32)> },
    Made(Vec<(String, Option<u32>)>),
}

/// A core function: an export of a core instance, `log` lowered, or anything else.
#[derive(Clone)]
enum CoreFunc {
    Export { instance: u32, name: String },
    Lowered { func: u32, options: Box<[CanonicalOption]> },
    Other,
}

/// What one of the component's core modules is allowed to do.
#[derive(Default)]
struct ModuleFacts {
    range: Range<usize>,
    /// `module::name` and whether it is a function.
    imports: Vec<(String, bool)>,
    /// Imports something other than functions and tables (a memory, a global, a tag).
    imports_state: bool,
    /// Has a start function, or defines memory, globals or data.
    acts: bool,
    /// Function bodies.
    bodies: usize,
    /// Function bodies that only pass their parameters on to a table entry, in order:
    /// `local.get 0` … `local.get n-1`, `i32.const`, `call_indirect`, no locals of their own.
    forwarding: usize,
    /// Parameter counts of its function types, and the type of each defined function.
    params: Vec<usize>,
    func_types: Vec<u32>,
}

impl ModuleFacts {
    /// `wit-component`'s shim: nothing imported, no state, each function a forwarder.
    fn is_shim(&self) -> bool {
        self.imports.is_empty() && !self.acts && self.forwarding == self.bodies
    }

    /// Reads a body: counts it, and counts it as forwarding when it is one.
    fn body(&mut self, body: &wasmparser::FunctionBody<'_>) -> Option<()> {
        let index = self.bodies;
        self.bodies += 1;
        let params = *self.params.get(*self.func_types.get(index)? as usize)?;
        if body.get_locals_reader().ok()?.get_count() != 0 {
            return Some(());
        }
        let mut ops = body.get_operators_reader().ok()?;
        // Any other body (or one that does not read) is simply not a forwarder.
        let mut next = || ops.read().ok();
        for i in 0..params {
            match next() {
                Some(wasmparser::Operator::LocalGet { local_index }) if local_index as usize == i => {}
                _ => return Some(()),
            }
        }
        let rest = [next(), next(), next()];
        if matches!(
            rest,
            [Some(wasmparser::Operator::I32Const { .. }), Some(wasmparser::Operator::CallIndirect { .. }), Some(wasmparser::Operator::End)]
        ) && ops.eof()
        {
            self.forwarding += 1;
        }
        Some(())
    }
}

/// Whether warm calls on this component may go straight to its core module, and with which
/// memory and `realloc`; `None` for any component of another shape.
pub fn plan(component: &[u8]) -> Option<Plan> {
    let mut modules: Vec<ModuleFacts> = Vec::new();
    // Per core instance: the module it instantiates with its arguments, or the functions
    // it is made of (name, core function).
    let mut core_instances: Vec<CoreInstance> = Vec::new();
    // Tables and globals taken out of a core instance.
    let mut shared_state: Vec<u32> = Vec::new();
    let mut core_funcs: Vec<CoreFunc> = Vec::new();
    let mut memories: Vec<(u32, String)> = Vec::new();
    let mut funcs: Vec<CompFunc> = Vec::new();
    let mut exports: Vec<(String, u32)> = Vec::new();
    // The module whose payloads are being read, when inside one.
    let mut inside: Option<usize> = None;
    for payload in Parser::new(0).parse_all(component) {
        let payload = payload.ok()?;
        if let Some(m) = inside {
            match payload {
                Payload::ImportSection(reader) => {
                    for import in reader.into_imports() {
                        let import = import.ok()?;
                        let func = matches!(import.ty, TypeRef::Func(_));
                        modules[m].imports_state |= !func && !matches!(import.ty, TypeRef::Table(_));
                        modules[m].imports.push((format!("{}::{}", import.module, import.name), func));
                    }
                }
                Payload::StartSection { .. }
                | Payload::MemorySection(_)
                | Payload::GlobalSection(_)
                | Payload::DataSection(_)
                | Payload::TagSection(_) => modules[m].acts = true,
                Payload::TypeSection(reader) => {
                    for group in reader {
                        for ty in group.ok()?.into_types() {
                            let params = match ty.composite_type.inner {
                                wasmparser::CompositeInnerType::Func(f) => f.params().len(),
                                _ => usize::MAX,
                            };
                            modules[m].params.push(params);
                        }
                    }
                }
                Payload::FunctionSection(reader) => {
                    for ty in reader {
                        modules[m].func_types.push(ty.ok()?);
                    }
                }
                Payload::CodeSectionEntry(body) => modules[m].body(&body)?,
                Payload::End(_) => inside = None,
                _ => {}
            }
            continue;
        }
        match payload {
            Payload::ModuleSection { unchecked_range, .. } => {
                let range = usize::try_from(unchecked_range.start).ok()?..usize::try_from(unchecked_range.end).ok()?;
                modules.push(ModuleFacts { range, ..ModuleFacts::default() });
                inside = Some(modules.len() - 1);
            }
            // Nested components and outer aliases are beyond what this path models.
            Payload::ComponentSection { .. } => return None,
            Payload::InstanceSection(reader) => {
                for instance in reader {
                    core_instances.push(match instance.ok()? {
                        Instance::Instantiate { module_index, args } => {
                            CoreInstance::Of { module: module_index, args: args.iter().map(|a| (a.name.to_string(), a.index)).collect() }
                        }
                        Instance::FromExports(exports) => CoreInstance::Made(
                            exports.iter().map(|e| (e.name.to_string(), (e.kind == ExternalKind::Func).then_some(e.index))).collect(),
                        ),
                    });
                }
            }
            Payload::ComponentImportSection(reader) => {
                for import in reader {
                    let import = import.ok()?;
                    match import.ty {
                        ComponentTypeRef::Func(_) => funcs.push(CompFunc::Import(import.name.name.to_string())),
                        // A module from outside would shift the module index space.
                        ComponentTypeRef::Module(_) => return None,
                        _ => {}
                    }
                }
            }
            Payload::ComponentAliasSection(reader) => {
                for alias in reader {
                    match alias.ok()? {
                        ComponentAlias::CoreInstanceExport { kind: ExternalKind::Func, instance_index, name } => {
                            core_funcs.push(CoreFunc::Export { instance: instance_index, name: name.to_string() })
                        }
                        ComponentAlias::CoreInstanceExport { kind: ExternalKind::Memory, instance_index, name } => {
                            memories.push((instance_index, name.to_string()))
                        }
                        ComponentAlias::CoreInstanceExport { kind: ExternalKind::Table | ExternalKind::Global, instance_index, .. } => {
                            shared_state.push(instance_index)
                        }
                        ComponentAlias::CoreInstanceExport { kind: ExternalKind::Tag, .. } => return None,
                        ComponentAlias::InstanceExport { kind: ComponentExternalKind::Func, .. } => funcs.push(CompFunc::Other),
                        // Modules from elsewhere shift the module index space.
                        ComponentAlias::InstanceExport { kind: ComponentExternalKind::Module, .. } | ComponentAlias::Outer { .. } => {
                            return None
                        }
                        _ => {}
                    }
                }
            }
            Payload::ComponentCanonicalSection(reader) => {
                for canon in reader {
                    match canon.ok()? {
                        CanonicalFunction::Lift { core_func_index, options, .. } => {
                            funcs.push(CompFunc::Lift { core_func: core_func_index, options })
                        }
                        CanonicalFunction::Lower { func_index, options } => {
                            core_funcs.push(CoreFunc::Lowered { func: func_index, options })
                        }
                        // Every other canonical built-in defines a core function; none is
                        // modelled here.
                        _ => core_funcs.push(CoreFunc::Other),
                    }
                }
            }
            Payload::ComponentExportSection(reader) => {
                for export in reader {
                    let export = export.ok()?;
                    match export.kind {
                        ComponentExternalKind::Func => {
                            exports.push((export.name.name.to_string(), export.index));
                            funcs.push(CompFunc::Export(export.index));
                        }
                        // An exported module takes an index in the module index space.
                        ComponentExternalKind::Module => return None,
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }

    // Each call: `canon lift` of the same core instance's export of the same name, with its
    // memory, a `realloc` of its own and UTF-8, and no post-return.
    let mut found: Option<(u32, u32, u32)> = None; // core instance, memory, realloc
    for name in CALLS {
        let mut index = exports.iter().find(|(n, _)| n == name)?.1;
        let (core_func, options) = loop {
            match funcs.get(index as usize)? {
                // An export names an index defined before it.
                CompFunc::Export(i) if *i < index => index = *i,
                CompFunc::Lift { core_func, options } => break (*core_func, options),
                _ => return None,
            }
        };
        let CoreFunc::Export { instance, name: core_name } = core_funcs.get(core_func as usize)? else { return None };
        if core_name != name {
            return None;
        }
        let (mut memory, mut realloc) = (None, None);
        for option in options.iter() {
            match option {
                CanonicalOption::UTF8 => {}
                CanonicalOption::Memory(m) => memory = Some(*m),
                CanonicalOption::Realloc(r) => realloc = Some(*r),
                _ => return None,
            }
        }
        let this = (*instance, memory?, realloc?);
        if found.is_some_and(|f| f != this) {
            return None;
        }
        found = Some(this);
    }
    let (instance, memory, realloc) = found?;
    let (memory_instance, memory) = memories.get(memory as usize)?;
    let CoreFunc::Export { instance: realloc_instance, name: realloc } = core_funcs.get(realloc as usize)? else { return None };
    if *memory_instance != instance || *realloc_instance != instance {
        return None;
    }
    let CoreInstance::Of { module: main, args } = core_instances.get(instance as usize)? else { return None };
    let main = *main as usize;

    // The module imports at most `log`; every function the component lowers is `log`, with
    // that memory and UTF-8, and what the module gets as `log` is one of them or a shim's
    // function forwarding to a table entry. The shims (`wit-component`'s way to break the
    // cycle between the lowered `log` and the memory it reads) hold no state; the modules
    // that fill their tables (the fixups) run no code of their own and may import only
    // functions and tables; nothing takes a table or global out of the policy's instance.
    if !modules.get(main)?.imports.iter().all(|(name, func)| name == "$root::log" && *func) {
        return None;
    }
    let lowered_log = |f: u32| match core_funcs.get(f as usize) {
        Some(CoreFunc::Lowered { func, options }) => {
            matches!(funcs.get(*func as usize), Some(CompFunc::Import(n)) if n == "log")
                && options.iter().all(|o| match o {
                    CanonicalOption::UTF8 => true,
                    CanonicalOption::Memory(m) => memories.get(*m as usize) == Some(&(instance, memory.clone())),
                    _ => false,
                })
        }
        _ => false,
    };
    let shim_export = |f: u32| match core_funcs.get(f as usize) {
        Some(CoreFunc::Export { instance: i, .. }) => matches!(
            core_instances.get(*i as usize),
            Some(CoreInstance::Of { module, args }) if args.is_empty() && modules.get(*module as usize).is_some_and(ModuleFacts::is_shim)
        ),
        _ => false,
    };
    for (_, arg) in args.iter() {
        let Some(CoreInstance::Made(exports)) = core_instances.get(*arg as usize) else { return None };
        if !exports.iter().all(|(_, f)| f.is_some_and(|f| lowered_log(f) || shim_export(f))) {
            return None;
        }
    }
    // What the other modules are instantiated with: lowered `log`s, or a shim's instance
    // (a fixup fills the shim's table with the lowered `log`s it gets).
    for other in &core_instances {
        let CoreInstance::Of { module, args } = other else { continue };
        if *module as usize == main {
            continue;
        }
        for (_, arg) in args {
            let fine = match core_instances.get(*arg as usize) {
                Some(CoreInstance::Made(exports)) => exports.iter().all(|(_, f)| f.is_some_and(lowered_log)),
                Some(CoreInstance::Of { module, args }) => {
                    args.is_empty() && modules.get(*module as usize).is_some_and(ModuleFacts::is_shim)
                }
                None => false,
            };
            if !fine {
                return None;
            }
        }
    }
    if shared_state.contains(&instance) {
        return None;
    }
    for (i, m) in modules.iter().enumerate() {
        if i != main && !m.is_shim() && (m.acts || m.imports_state || m.bodies > 0) {
            return None;
        }
    }
    if !core_funcs.iter().all(|f| match f {
        CoreFunc::Lowered { .. } => true,
        CoreFunc::Export { .. } => true,
        CoreFunc::Other => false,
    }) {
        return None;
    }
    for (index, f) in core_funcs.iter().enumerate() {
        if matches!(f, CoreFunc::Lowered { .. }) && !lowered_log(index as u32) {
            return None;
        }
    }
    Some(Plan { module: modules[main].range.clone(), memory: memory.clone(), realloc: realloc.clone() })
}

/// A planned component's core module, linked and ready to instantiate.
#[derive(Clone)]
pub struct Pre {
    pre: InstancePre<GuestState>,
    memory: std::sync::Arc<str>,
    realloc: std::sync::Arc<str>,
}

impl Pre {
    /// Links `module` (the planned core module, compiled on `engine`) with the host's `log`
    /// as the component lowers it.
    pub fn new(engine: &Engine, module: &Module, plan: &Plan) -> wasmtime::Result<Self> {
        let mut linker = Linker::new(engine);
        let memory: std::sync::Arc<str> = plan.memory.as_str().into();
        let name = memory.clone();
        linker.func_wrap("$root", "log", move |mut caller: Caller<'_, GuestState>, level: i32, ptr: i32, len: i32| {
            log(&mut caller, &name, level, ptr, len)
        })?;
        Ok(Pre { pre: linker.instantiate_pre(module)?, memory, realloc: plan.realloc.as_str().into() })
    }

    /// Instantiates into `store`, with every export the calls use found and type-checked.
    pub fn instantiate(&self, store: &mut Store<GuestState>) -> wasmtime::Result<Exports> {
        let instance = self.pre.instantiate(&mut *store)?;
        let memory =
            instance.get_memory(&mut *store, &self.memory).ok_or_else(|| wasmtime::format_err!("no memory export `{}`", self.memory))?;
        Ok(Exports {
            memory,
            realloc: instance.get_typed_func(&mut *store, &self.realloc)?,
            configure: instance.get_typed_func(&mut *store, "configure")?,
            on_purchase: instance.get_typed_func(&mut *store, "on-purchase")?,
            on_event: instance.get_typed_func(&mut *store, "on-event")?,
            on_purchase_batch: instance.get_typed_func(&mut *store, "on-purchase-batch")?,
        })
    }
}

/// `log(level, message)` as `canon lower` with the module's memory and UTF-8 lifts it.
fn log(caller: &mut Caller<'_, GuestState>, memory: &str, level: i32, ptr: i32, len: i32) -> wasmtime::Result<()> {
    if caller.data().in_realloc {
        // The canonical ABI runs `realloc` unable to leave the instance.
        return Err(wasmtime::Trap::CannotLeaveComponent.into());
    }
    let level = match level {
        0 => w::Level::Trace,
        1 => w::Level::Debug,
        2 => w::Level::Info,
        3 => w::Level::Warn,
        4 => w::Level::Error,
        5 => w::Level::Panic,
        _ => wasmtime::bail!("unexpected discriminant: {}", level as u32),
    };
    let Some(Extern::Memory(m)) = caller.get_export(memory) else { wasmtime::bail!("no memory export `{memory}`") };
    let message = read(m.data(&*caller), ptr as u32, len as u32, "string")?;
    let message = std::str::from_utf8(message)?.to_string();
    caller.data_mut().log(level, message);
    Ok(())
}

/// `len` bytes at `ptr`, or the error lifting them out of bounds is.
fn read<'m>(memory: &'m [u8], ptr: u32, len: u32, what: &str) -> wasmtime::Result<&'m [u8]> {
    memory
        .get(ptr as usize..)
        .and_then(|m| m.get(..len as usize))
        .ok_or_else(|| wasmtime::format_err!("{what} pointer/length out of bounds of memory"))
}

/// An instance's exports, as the world's calls use them.
pub struct Exports {
    memory: Memory,
    realloc: TypedFunc<(i32, i32, i32, i32), i32>,
    configure: TypedFunc<(i32, i32, i32, i32), i32>,
    on_purchase: TypedFunc<(i32, i32, i32, i32, i32), i32>,
    on_event: TypedFunc<(i32, i32, i32, i32, i32), i32>,
    on_purchase_batch: TypedFunc<(i32, i32), i32>,
}

impl Exports {
    /// A `list<u8>` or `string` argument as `canon lower` passes it: `realloc(0, 0, 1, len)`
    /// (unable to call `log`), the result checked to be in memory, the bytes copied there.
    fn lower(&self, store: &mut Store<GuestState>, bytes: &[u8]) -> wasmtime::Result<(i32, i32)> {
        let len = u32::try_from(bytes.len())? as i32;
        store.data_mut().in_realloc = true;
        let ptr = self.realloc.call(&mut *store, (0, 0, 1, len));
        store.data_mut().in_realloc = false;
        let ptr = ptr?;
        let dst = self
            .memory
            .data_mut(&mut *store)
            .get_mut(ptr as u32 as usize..)
            .and_then(|m| m.get_mut(..bytes.len()))
            .ok_or_else(|| wasmtime::format_err!("realloc return: beyond end of memory"))?;
        dst.copy_from_slice(bytes);
        Ok((ptr, len))
    }

    /// The `(case, pointer, length)` an answer of `result<list<u8>, string>` or
    /// `result<_, string>` left at `ret`, the return area, checked as lifting it checks.
    fn result_area(&self, store: &Store<GuestState>, ret: i32) -> wasmtime::Result<(u8, u32, u32)> {
        let ret = ret as u32;
        if !ret.is_multiple_of(4) {
            wasmtime::bail!("return pointer not aligned");
        }
        let area = self
            .memory
            .data(store)
            .get(ret as usize..)
            .and_then(|m| m.get(..12))
            .ok_or_else(|| wasmtime::format_err!("pointer out of bounds of memory"))?;
        let word = |i: usize| u32::from_le_bytes([area[i], area[i + 1], area[i + 2], area[i + 3]]);
        match area[0] {
            case @ (0 | 1) => Ok((case, word(4), word(8))),
            _ => wasmtime::bail!("invalid expected discriminant"),
        }
    }

    /// Hands the answer at `ret` (`result<list<u8>, string>`) to `read_answer` where the
    /// guest wrote it.
    fn answer<R>(&self, store: &Store<GuestState>, ret: i32, read_answer: impl FnOnce(Result<&[u8], &str>) -> R) -> wasmtime::Result<R> {
        let (case, ptr, len) = self.result_area(store, ret)?;
        let bytes = read(self.memory.data(store), ptr, len, if case == 0 { "list" } else { "string" })?;
        Ok(match case {
            0 => read_answer(Ok(bytes)),
            _ => read_answer(Err(std::str::from_utf8(bytes)?)),
        })
    }

    /// `configure(policy-id, config) -> result<_, string>`.
    pub fn configure(&self, store: &mut Store<GuestState>, policy_id: &str, config: &[u8]) -> wasmtime::Result<Result<(), String>> {
        let (id, id_len) = self.lower(store, policy_id.as_bytes())?;
        let (c, c_len) = self.lower(store, config)?;
        let ret = self.configure.call(&mut *store, (id, id_len, c, c_len))?;
        let (case, ptr, len) = self.result_area(store, ret)?;
        if case == 0 {
            return Ok(Ok(()));
        }
        let message = read(self.memory.data(&*store), ptr, len, "string")?;
        Ok(Err(std::str::from_utf8(message)?.to_string()))
    }

    /// `on-purchase` (`event` false) or `on-event`.
    pub fn call_input<R>(
        &self,
        store: &mut Store<GuestState>,
        event: bool,
        input: &[u8],
        state: Option<&[u8]>,
        read_answer: impl FnOnce(Result<&[u8], &str>) -> R,
    ) -> wasmtime::Result<R> {
        let (i, i_len) = self.lower(store, input)?;
        let (has_state, s, s_len) = match state {
            Some(state) => {
                let (s, s_len) = self.lower(store, state)?;
                (1, s, s_len)
            }
            None => (0, 0, 0),
        };
        let func = if event { &self.on_event } else { &self.on_purchase };
        let ret = func.call(&mut *store, (i, i_len, has_state, s, s_len))?;
        self.answer(store, ret, read_answer)
    }

    /// `on-purchase-batch`.
    pub fn call_batch<R>(
        &self,
        store: &mut Store<GuestState>,
        batch: &[u8],
        read_answer: impl FnOnce(Result<&[u8], &str>) -> R,
    ) -> wasmtime::Result<R> {
        let (b, b_len) = self.lower(store, batch)?;
        let ret = self.on_purchase_batch.call(&mut *store, (b, b_len))?;
        self.answer(store, ret, read_answer)
    }
}

#[cfg(test)]
mod tests {
    use super::plan;
    use crate::runtime::{Isolation, Limits, Runtime};
    use perk_sdk::{Customer, Outcome, Purchase};

    #[test]
    fn every_standard_component_has_the_direct_shape() {
        for name in crate::stdlib::names() {
            let bytes = crate::stdlib::get(name).unwrap();
            let plan = plan(bytes).unwrap_or_else(|| panic!("{name}: no plan"));
            assert_eq!((plan.memory.as_str(), plan.realloc.as_str()), ("memory", "cabi_realloc"), "{name}");
            assert!(wasmparser::Parser::is_core_wasm(&bytes[plan.module.clone()]), "{name}");
        }
    }

    /// Indices the component does not define (it is not valid, and `plan` sees it before
    /// wasmtime validates it) end the plan, even when an export names itself.
    #[test]
    fn a_component_exporting_itself_has_no_plan() {
        let mut exports = wasm_encoder::ComponentExportSection::new();
        exports.export("configure", wasm_encoder::ComponentExportKind::Func, 0, None);
        let mut component = wasm_encoder::Component::new();
        component.section(&exports);
        assert_eq!(plan(&component.finish()), None);
    }

    /// A core module of the world written by hand, `policy.wit` embedded as perk-sdk embeds
    /// it: `realloc` and the answers of `on-purchase` as given (WAT), the rest well-behaved,
    /// and `extra` functions.
    fn guest(realloc: &str, answer: &str, extra: &str) -> Vec<u8> {
        let describe = r#"{"name":"abi","version":"0.1.0","description":"","sdk":"0","config_schema":null}"#;
        let outcome: String = perk_sdk::wire::encode_outcome(&Outcome::new()).iter().map(|b| format!("\\{b:02x}")).collect();
        let wat = format!(
            r#"(module
                (import "$root" "log" (func $log (param i32 i32 i32)))
                (memory (export "memory") 1)
                (global $next (mut i32) (i32.const 4096))
                (data (i32.const 16) "{describe}")
                (data (i32.const 1024) "{outcome}")
                (data (i32.const 2048) "\ff\fe")
                (func $bump (param $size i32) (result i32)
                    (global.get $next)
                    (global.set $next (i32.add (global.get $next) (local.get $size))))
                (func $area (param i32 i32 i32) (result i32)
                    (i32.store (i32.const 512) (local.get 0))
                    (i32.store (i32.const 516) (local.get 1))
                    (i32.store (i32.const 520) (local.get 2))
                    (i32.const 512))
                (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) {realloc})
                (func (export "describe") (result i32) (call $area (i32.const 16) (i32.const {len}) (i32.const 0)))
                (func (export "configure") (param i32 i32 i32 i32) (result i32) (call $area (i32.const 0) (i32.const 0) (i32.const 0)))
                (func (export "on-purchase") (param i32 i32 i32 i32 i32) (result i32) {answer})
                (func (export "on-event") (param i32 i32 i32 i32 i32) (result i32) {answer})
                (func (export "on-purchase-batch") (param i32 i32) (result i32) {answer})
                {extra})"#,
            len = describe.len(),
            describe = describe.replace('"', "\\\""),
        );
        let mut wasm = wat::parse_str(&wat).unwrap();
        let mut resolve = wit_parser::Resolve::default();
        let (package, _) = resolve.push_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../sdk/wit")).unwrap();
        let world = resolve.select_world(&[package], Some("policy")).unwrap();
        wit_component::embed_component_metadata(&mut wasm, &resolve, world, wit_component::StringEncoding::UTF8, false).unwrap();
        wasm
    }

    /// Whatever a guest answers, a warm instance called directly answers as the component
    /// call path (a fresh instance) does: the same outcome, or the same failure.
    #[test]
    fn direct_calls_check_answers_as_the_component_path_does() {
        let bump = "(call $bump (local.get 3))";
        let empty = "(call $area (i32.const 0) (i32.const 1024) (i32.const 9))";
        // Inputs are larger than the policy id and config: only their lowering misbehaves.
        let cases = [
            (bump, empty, None),
            (bump, "(i32.const 513)", Some("return pointer not aligned")),
            (bump, "(i32.const 65532)", Some("pointer out of bounds of memory")),
            (bump, "(call $area (i32.const 2) (i32.const 1024) (i32.const 9))", Some("invalid expected discriminant")),
            (bump, "(call $area (i32.const 0) (i32.const 65530) (i32.const 9))", Some("list pointer/length out of bounds of memory")),
            (bump, "(call $area (i32.const 1) (i32.const 65530) (i32.const 9))", Some("string pointer/length out of bounds of memory")),
            (bump, "(call $area (i32.const 1) (i32.const 2048) (i32.const 2))", Some("invalid utf-8 sequence of 1 bytes from index 0")),
            (bump, "(call $area (i32.const 1) (i32.const 16) (i32.const 5))", Some(r#"{"nam"#)),
            (
                "(if (result i32) (i32.gt_u (local.get 3) (i32.const 32)) (then (i32.const 65530)) (else (call $bump (local.get 3))))",
                empty,
                Some("realloc return: beyond end of memory"),
            ),
            (
                "(if (i32.gt_u (local.get 3) (i32.const 32)) (then (call $log (i32.const 2) (i32.const 16) (i32.const 4)))) (call $bump (local.get 3))",
                empty,
                Some("cannot leave component instance"),
            ),
        ];
        let rt = Runtime::new(Limits::default(), None).unwrap();
        let (p, c) = (Purchase::new("order-1", 1_000), Customer::new("anna"));
        for (realloc, answer, failure) in cases {
            let module = rt.load(&guest(realloc, answer, "")).unwrap();
            assert!(module.calls_directly(), "{realloc} {answer}");
            let policy = module.bind("abi", "{}").unwrap();
            let direct = policy.on_purchase(&p, &c, 0, &[], Isolation::Pooled);
            let component = policy.on_purchase(&p, &c, 0, &[], Isolation::Fresh);
            match failure {
                None => assert_eq!(direct.unwrap().outcome, component.unwrap().outcome),
                Some(want) => {
                    let (direct, component) = (direct.unwrap_err(), component.unwrap_err());
                    assert_eq!((direct.kind, &direct.message), (component.kind, &component.message), "{answer}");
                    assert!(direct.message.contains(want), "{answer}: `{}` lacks `{want}`", direct.message);
                }
            }
        }
    }

    /// A component of another shape (here: its export lifted with a post-return function)
    /// is called through the component path.
    #[test]
    fn other_shapes_take_the_component_path() {
        let rt = Runtime::new(Limits::default(), None).unwrap();
        let (bump, empty) = ("(call $bump (local.get 3))", "(call $area (i32.const 0) (i32.const 1024) (i32.const 9))");
        assert!(rt.load(&guest(bump, empty, "")).unwrap().calls_directly());
        // wit-component lifts `on-purchase` with `cabi_post_on-purchase` when there is one.
        let module = rt.load(&guest(bump, empty, r#"(func (export "cabi_post_on-purchase") (param i32))"#)).unwrap();
        assert!(!module.calls_directly());
        let policy = module.bind("abi", "{}").unwrap();
        let (p, c) = (Purchase::new("order-1", 1_000), Customer::new("anna"));
        assert_eq!(policy.on_purchase(&p, &c, 0, &[], Isolation::Pooled).unwrap().outcome, Outcome::new());
    }
}
