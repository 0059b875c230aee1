//! Glue the `#[policy]` attribute expands to. Not a public API.

#[allow(unused_imports)]
use crate::__alloc::*;
use crate::{Outcome, Result};

/// Lets a policy function return either `Outcome` or `Result<Outcome, E>`.
pub trait IntoOutcome {
    fn into_outcome(self) -> Result<Outcome>;
}

impl IntoOutcome for Outcome {
    fn into_outcome(self) -> Result<Outcome> {
        Ok(self)
    }
}

impl<E: core::fmt::Display> IntoOutcome for core::result::Result<Outcome, E> {
    fn into_outcome(self) -> Result<Outcome> {
        self.map_err(crate::Error::msg)
    }
}

/// The JSON `describe` answers, written out at compile time (no JSON value type in guests,
/// and no code to build it): name, version, description and SDK version as JSON strings, the
/// config schema (JSON) without the whitespace between its tokens, or `null` when empty.
pub struct DescribeParts {
    pub name: &'static str,
    pub version: &'static str,
    pub description: &'static str,
    pub config_schema: &'static str,
}

pub const SDK_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The length of the `describe` JSON, for [`describe_json`]'s array.
pub const fn describe_len(parts: &DescribeParts) -> usize {
    write_describe(parts, &mut [])
}

/// The `describe` JSON, `N` bytes long (`describe_len`): evaluated in a `const`.
pub const fn describe_json<const N: usize>(parts: &DescribeParts) -> [u8; N] {
    let mut out = [0; N];
    let n = write_describe(parts, &mut out);
    assert!(n == N, "describe_json: wrong length");
    out
}

/// The `describe` JSON at run time (native tests).
pub fn describe(parts: &DescribeParts) -> String {
    let mut out = vec![0; describe_len(parts)];
    write_describe(parts, &mut out);
    String::from_utf8(out).expect("describe JSON is UTF-8")
}

/// Writes the JSON into `out` when it is long enough (else only counts); returns its length.
const fn write_describe(parts: &DescribeParts, out: &mut [u8]) -> usize {
    let mut at = put(out, 0, b"{\"name\":");
    at = put_json_str(out, at, parts.name.as_bytes());
    at = put(out, at, b",\"version\":");
    at = put_json_str(out, at, parts.version.as_bytes());
    at = put(out, at, b",\"description\":");
    at = put_json_str(out, at, parts.description.as_bytes().trim_ascii());
    at = put(out, at, b",\"sdk\":");
    at = put_json_str(out, at, SDK_VERSION.as_bytes());
    at = put(out, at, b",\"config_schema\":");
    let schema = parts.config_schema.as_bytes().trim_ascii();
    at = if schema.is_empty() { put(out, at, b"null") } else { put_minified(out, at, schema) };
    put(out, at, b"}")
}

const fn put(out: &mut [u8], mut at: usize, bytes: &[u8]) -> usize {
    let mut i = 0;
    while i < bytes.len() {
        if at < out.len() {
            out[at] = bytes[i];
        }
        at += 1;
        i += 1;
    }
    at
}

/// `s` as a JSON string, escaped as `json::to_string` escapes it.
const fn put_json_str(out: &mut [u8], mut at: usize, s: &[u8]) -> usize {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    at = put(out, at, b"\"");
    let mut i = 0;
    while i < s.len() {
        let b = s[i];
        at = match b {
            b'"' => put(out, at, b"\\\""),
            b'\\' => put(out, at, b"\\\\"),
            b'\n' => put(out, at, b"\\n"),
            b'\r' => put(out, at, b"\\r"),
            b'\t' => put(out, at, b"\\t"),
            0..=0x1f => put(out, at, &[b'\\', b'u', b'0', b'0', HEX[(b >> 4) as usize], HEX[(b & 15) as usize]]),
            _ => put(out, at, &[b]),
        };
        i += 1;
    }
    put(out, at, b"\"")
}

/// JSON text without the whitespace between its tokens (strings are kept as they are).
const fn put_minified(out: &mut [u8], mut at: usize, json: &[u8]) -> usize {
    let (mut in_string, mut escaped) = (false, false);
    let mut i = 0;
    while i < json.len() {
        let b = json[i];
        i += 1;
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else if matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
            continue;
        } else if b == b'"' {
            in_string = true;
        }
        at = put(out, at, &[b]);
    }
    at
}

#[cfg(target_arch = "wasm32")]
pub use guest::*;

#[cfg(target_arch = "wasm32")]
mod guest {
    #[allow(unused_imports)]
    use crate::__alloc::*;
    use crate::__bindings::perk::policy::types as w;
    use crate::text::{concat, decimal};
    use crate::{wire, Context, Policy};

    /// Routes panic messages to the host before the guest aborts (the hook is kept for the
    /// instance's life).
    #[cfg(feature = "std")]
    fn install_panic_hook() {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            crate::arena::persistent(|| {
                std::panic::set_hook(Box::new(|info| {
                    crate::__bindings::log(w::Level::Panic, &panic_message(info.location(), info.payload_as_str()));
                }))
            })
        });
    }

    /// A lean guest has no `std` and no hook to install: [`panic`] is its handler.
    #[cfg(not(feature = "std"))]
    #[inline(always)]
    fn install_panic_hook() {}

    /// A lean guest's panic handler: the host gets the panic's place, and its message when
    /// the message is a plain string (`panic!("…")`, `unreachable!()`); a formatted
    /// message (`expect`, an index out of bounds) would need `core::fmt`, kilobytes in every
    /// module, so it is named, not written. Then the guest traps.
    #[cfg(not(feature = "std"))]
    #[panic_handler]
    fn panic(info: &core::panic::PanicInfo) -> ! {
        let message = info.message().as_str().unwrap_or("(a formatted message; perk-sdk's `std` feature shows it)");
        crate::__bindings::log(w::Level::Panic, &panic_message(info.location(), Some(message)));
        core::arch::wasm32::unreachable()
    }

    /// As the hook info's `Display` (`panicked at src/lib.rs:7:5:\nmessage`), written
    /// without `core::fmt`'s padding and integer formatting.
    #[inline(never)]
    fn panic_message(location: Option<&core::panic::Location>, message: Option<&str>) -> String {
        let (mut line, mut column) = ([0; 21], [0; 21]);
        let (file, line, column) = match location {
            Some(l) => (l.file(), decimal(&mut line, false, l.line() as u64), decimal(&mut column, false, l.column() as u64)),
            None => ("", "", ""),
        };
        let (colon, payload) = match message {
            Some(p) => (":\n", p),
            None => ("", ""),
        };
        concat(&["panicked at ", file, ":", line, ":", column, colon, payload])
    }

    /// Runs one export call; what it allocated is dropped as a whole when the host starts
    /// the next call (see `arena.rs`).
    pub fn call<R>(f: impl FnOnce() -> R) -> R {
        install_panic_hook();
        let r = f();
        crate::arena::end_call();
        r
    }

    // ------------------------------------------------------------------ the exports
    //
    // Written against the canonical ABI by hand rather than by wit-bindgen's `export!`, for
    // one reason: wit-bindgen gives every export that answers a list or string a
    // post-return function, which the host must enter after reading each answer only to
    // free it — a fourth guest entry per call, for memory the arena rewinds anyway. Without
    // it a stateless call enters the guest twice (`cabi_realloc` for the input, the call).
    // The signatures are checked against `policy.wit` when the module is componentized.

    /// Where an answer of more than one flat value goes (the canonical ABI's return area):
    /// a `string` as (pointer, length); a `result` as its case (a byte, widened to a word
    /// here) then (pointer, length). One area, as wasm32 guests are single-threaded and the
    /// host reads an answer before it makes the next call.
    #[repr(C, align(4))]
    struct ReturnArea(core::cell::UnsafeCell<[u32; 3]>);
    // SAFETY: wasm32 guests are single-threaded.
    unsafe impl Sync for ReturnArea {}
    static RETURN_AREA: ReturnArea = ReturnArea(core::cell::UnsafeCell::new([0; 3]));

    fn return_words(words: [u32; 3]) -> *mut u8 {
        let area = RETURN_AREA.0.get();
        // SAFETY: single-threaded; the host reads the area before the next export call.
        unsafe { *area = words };
        area.cast()
    }

    /// A `result<list<u8>, string>` answer. Its bytes stay where they are until the next
    /// call's first allocation rewinds the call region: after the host has read them.
    fn answer_result(r: Result<Vec<u8>, String>) -> *mut u8 {
        let (case, bytes) = match r {
            Ok(v) => (0, core::mem::ManuallyDrop::new(v)),
            Err(s) => (1, core::mem::ManuallyDrop::new(s.into_bytes())),
        };
        return_words([case, bytes.as_ptr() as u32, bytes.len() as u32])
    }

    /// A list or string argument the host lowered into the call region (through
    /// `cabi_realloc`); borrowed, as nothing in the call region is freed one by one.
    ///
    /// # Safety
    /// `ptr` and `len` are a list argument the host passed to this call.
    unsafe fn arg<'a>(ptr: *const u8, len: usize) -> &'a [u8] {
        if len == 0 {
            return &[];
        }
        // SAFETY: the caller's contract; the canonical ABI checked the range is in memory.
        unsafe { core::slice::from_raw_parts(ptr, len) }
    }

    /// Every export starts here: static constructors once (as wit-bindgen's exports do),
    /// and `cabi_realloc` kept in the module (the host lowers arguments through it).
    #[inline(always)]
    fn enter() {
        wit_bindgen::rt::run_ctors_once();
        wit_bindgen::rt::maybe_link_cabi_realloc();
    }

    /// `describe`: the JSON, written at compile time, answered in place.
    pub fn export_describe(json: &'static str) -> *mut u8 {
        enter();
        return_words([json.as_ptr() as u32, json.len() as u32, 0])
    }

    /// `configure(policy-id: string, config: list<u8>) -> result<_, string>`.
    ///
    /// # Safety
    /// Called by the host with the canonical ABI's lowering of its arguments.
    pub unsafe fn export_configure<P: Policy>(id: *const u8, id_len: usize, config: *const u8, config_len: usize) -> *mut u8 {
        enter();
        // SAFETY: the host lowered the id as a string, which the canonical ABI keeps UTF-8.
        let (id, config) = unsafe { (core::str::from_utf8_unchecked(arg(id, id_len)), arg(config, config_len)) };
        match configure::<P>(id, config) {
            Ok(()) => return_words([0; 3]),
            Err(e) => answer_result(Err(e)),
        }
    }

    /// `on-purchase` and `on-event`: `(input: list<u8>, state: option<list<u8>>) ->
    /// result<list<u8>, string>`, answered by `call` ([`on_purchase`] or [`on_event`]).
    ///
    /// # Safety
    /// Called by the host with the canonical ABI's lowering of its arguments.
    pub unsafe fn export_input_call(
        call: impl FnOnce(&[u8], &[u8]) -> Result<Vec<u8>, String>,
        input: *const u8,
        input_len: usize,
        has_state: u32,
        state: *const u8,
        state_len: usize,
    ) -> *mut u8 {
        enter();
        // SAFETY: the host's arguments; a `none` state's words are not a list.
        let (input, state) = unsafe { (arg(input, input_len), if has_state == 0 { &[][..] } else { arg(state, state_len) }) };
        answer_result(call(input, state))
    }

    /// `on-purchase-batch(batch: list<u8>) -> result<list<u8>, string>`.
    ///
    /// # Safety
    /// Called by the host with the canonical ABI's lowering of its argument.
    pub unsafe fn export_on_purchase_batch<P: Policy>(batch: *const u8, batch_len: usize) -> *mut u8 {
        enter();
        // SAFETY: the host's argument.
        answer_result(on_purchase_batch::<P>(unsafe { arg(batch, batch_len) }))
    }

    /// The instance's policy id and parsed config, set by `configure` once and kept for the
    /// instance's life (in the arena's kept region).
    struct Configured(core::cell::UnsafeCell<Option<Slot>>);

    /// The policy id, the config (kept alive as `Box<dyn Any>`), and where it is and of
    /// which type: a call checks the type with one comparison instead of `downcast_ref`'s
    /// indirect call through the vtable.
    struct Slot {
        id: String,
        _config: Box<dyn core::any::Any>,
        at: *const (),
        type_id: core::any::TypeId,
    }
    // SAFETY: wasm32 guests are single-threaded.
    unsafe impl Sync for Configured {}
    static CONFIGURED: Configured = Configured(core::cell::UnsafeCell::new(None));

    /// Parses the config and keeps it with the policy id, both copied out of the call
    /// region (the arguments live there) into memory kept for the instance's life.
    fn configure<P: Policy>(policy_id: &str, config: &[u8]) -> Result<(), String> {
        call(|| {
            let kept = crate::arena::persistent(|| {
                crate::config_from_wire::<P>(config).map(|c| {
                    let config = Box::new(c);
                    let at = &*config as *const P::Config as *const ();
                    Slot { id: policy_id.to_owned(), _config: config, at, type_id: core::any::TypeId::of::<P::Config>() }
                })
            });
            let kept = kept.map_err(crate::Error::into_message)?;
            // SAFETY: single-threaded; the slot is only touched here and in `configured`.
            unsafe { *CONFIGURED.0.get() = Some(kept) };
            Ok(())
        })
    }

    fn configured<P: Policy>() -> Result<(&'static str, &'static P::Config), String> {
        // SAFETY: single-threaded; `configure` does not run during a call.
        let slot = unsafe { &*CONFIGURED.0.get() };
        match slot {
            // SAFETY: `at` points into the box `_config` owns, which lives as long as the
            // slot, and holds a `P::Config` since the type ids agree.
            Some(s) if s.type_id == core::any::TypeId::of::<P::Config>() => Ok((&s.id, unsafe { &*(s.at as *const P::Config) })),
            Some(_) => Err("configured with another policy's config".into()),
            None => Err("called before `configure`".into()),
        }
    }

    pub fn on_purchase<P: Policy>(input: &[u8], state: &[u8]) -> Result<Vec<u8>, String> {
        call(|| {
            let (id, config) = configured::<P>()?;
            let mut out = wire::Writer::default();
            purchase::<P>(id, config, input, state, &mut out)?;
            Ok(out.buf)
        })
    }

    /// Every call of the batch as [`on_purchase`] makes it, one after the other; what they
    /// allocate is dropped with the batch.
    fn on_purchase_batch<P: Policy>(batch: &[u8]) -> Result<Vec<u8>, String> {
        call(|| {
            let (id, config) = configured::<P>()?;
            let mut calls = wire::BatchCalls::new(batch);
            let mut w = wire::Writer::with_capacity(batch.len());
            w.len(calls.len());
            // Each outcome is encoded here, then copied after its length.
            let mut out = wire::Writer::default();
            for (input, state) in calls.by_ref() {
                let answer = purchase::<P>(id, config, input, state, &mut out);
                wire::write_batch_answer(&mut w, answer.as_ref().map(|()| out.buf.as_slice()).map_err(String::as_str));
            }
            calls.finish().map_err(|e| crate::text::concat(&["batch: ", &e.message()]))?;
            Ok(w.buf)
        })
    }

    /// One `on-purchase` call, shared by both exports (not inlined into each: the policy's
    /// code and the decoder would be in the module twice).
    #[inline(never)]
    fn purchase<P: Policy>(
        id: &'static str,
        config: &'static P::Config,
        input: &[u8],
        state: &[u8],
        out: &mut wire::Writer,
    ) -> Result<(), String> {
        // SAFETY: the host encodes inputs with `wire::encode_purchase_input`.
        let decoded =
            unsafe { wire::decode_purchase_input_in_place(input) }.map_err(|e| crate::text::concat(&["input: ", &e.message()]))?;
        let (head, p, c) = &*decoded;
        crate::outcome::set_explaining(head.explain);
        let ctx = context(id, head, state);
        answer(P::on_purchase(config, p, c, &ctx), ctx, out)
    }

    pub fn on_event<P: Policy>(input: &[u8], state: &[u8]) -> Result<Vec<u8>, String> {
        call(|| {
            let (id, config) = configured::<P>()?;
            // SAFETY: the host encodes inputs with `wire::encode_event_input`.
            let decoded =
                unsafe { wire::decode_event_input_in_place(input) }.map_err(|e| crate::text::concat(&["input: ", &e.message()]))?;
            let (head, e, c) = &*decoded;
            crate::outcome::set_explaining(head.explain);
            let ctx = context(id, head, state);
            let mut out = wire::Writer::default();
            answer(P::on_event(config, e, c, &ctx), ctx, &mut out)?;
            Ok(out.buf)
        })
    }

    /// `on-event` for a policy whose `impl Policy` has no `on_event` (the `#[policy]`
    /// attribute sees that): the trait's default answer, an empty outcome, without decoding
    /// an event the policy would ignore — nor carrying the event decoder in the module.
    pub fn on_ignored_event<P: Policy>(_input: &[u8], _state: &[u8]) -> Result<Vec<u8>, String> {
        call(|| {
            configured::<P>()?;
            let mut out = wire::Writer::default();
            wire::encode_outcome_into(&mut out, &crate::Outcome::new());
            Ok(out.buf)
        })
    }

    /// The policy's context; its strings and state point at the configured id and into
    /// the host's arguments, without copies (never dropped, see `answer`).
    fn context(id: &'static str, head: &wire::Head, state: &[u8]) -> core::mem::ManuallyDrop<Context> {
        // SAFETY: `borrowed` strings and the borrowed state are never dropped, grown or
        // written (the context is only lent to the policy as `&Context` and then taken
        // apart in `answer`, which forgets them), and live no longer than the arguments.
        let borrowed = |s: &str| unsafe { String::from_raw_parts(s.as_ptr() as *mut u8, s.len(), s.len()) };
        let state = match state.len() {
            0 => Vec::new(),
            n => unsafe { Vec::from_raw_parts(state.as_ptr() as *mut u8, n, n) },
        };
        core::mem::ManuallyDrop::new(Context {
            now: head.now,
            policy_id: borrowed(id),
            variant: head.variant.as_deref().map(borrowed),
            state,
        })
    }

    /// Encodes the outcome into `out`. Nothing the call allocated is dropped one by one:
    /// the call region rewinds as a whole at the next call. The context ends here, not
    /// dropped (its strings and state are borrowed, see `context`).
    fn answer(
        outcome: crate::Result<crate::Outcome>,
        _ctx: core::mem::ManuallyDrop<Context>,
        out: &mut wire::Writer,
    ) -> Result<(), String> {
        match outcome {
            Ok(o) => {
                wire::encode_outcome_into(out, &o);
                core::mem::forget(o);
                Ok(())
            }
            Err(e) => Err(e.into_message()),
        }
    }
}

/// With `no-component-exports`, a policy crate is plain Rust on every target.
#[cfg(feature = "no-component-exports")]
#[macro_export]
#[doc(hidden)]
macro_rules! __export_policy {
    ($ty:ty, $description:expr, $on_event:ident) => {};
}

/// Expands to the component exports for policy type `$ty` (wasm builds only): the
/// `perk:policy` world's functions under their core names, each a thin call into
/// `__rt` (which writes them against the canonical ABI; see there).
#[cfg(not(feature = "no-component-exports"))]
#[macro_export]
#[doc(hidden)]
macro_rules! __export_policy {
    // `$on_event`: `on_event`, or `on_ignored_event` for a policy without one.
    ($ty:ty, $description:expr, $on_event:ident) => {
        #[cfg(target_arch = "wasm32")]
        const _: () = {
            #[unsafe(export_name = "describe")]
            extern "C" fn __perk_describe() -> *mut u8 {
                const PARTS: $crate::__rt::DescribeParts = $crate::__rt::DescribeParts {
                    name: env!("CARGO_PKG_NAME"),
                    version: env!("CARGO_PKG_VERSION"),
                    description: $description,
                    config_schema: <$ty as $crate::Policy>::CONFIG_SCHEMA,
                };
                const LEN: usize = $crate::__rt::describe_len(&PARTS);
                const JSON: [u8; LEN] = $crate::__rt::describe_json::<LEN>(&PARTS);
                const TEXT: &str = match ::core::str::from_utf8(&JSON) {
                    Ok(s) => s,
                    Err(_) => panic!("describe JSON is not UTF-8"),
                };
                $crate::__rt::export_describe(TEXT)
            }
            #[unsafe(export_name = "configure")]
            unsafe extern "C" fn __perk_configure(id: *const u8, id_len: usize, config: *const u8, config_len: usize) -> *mut u8 {
                // SAFETY: the host calls it with the canonical ABI's lowering of its arguments.
                unsafe { $crate::__rt::export_configure::<$ty>(id, id_len, config, config_len) }
            }
            #[unsafe(export_name = "on-purchase")]
            unsafe extern "C" fn __perk_on_purchase(
                input: *const u8,
                input_len: usize,
                has_state: u32,
                state: *const u8,
                state_len: usize,
            ) -> *mut u8 {
                // SAFETY: as above.
                unsafe { $crate::__rt::export_input_call($crate::__rt::on_purchase::<$ty>, input, input_len, has_state, state, state_len) }
            }
            #[unsafe(export_name = "on-event")]
            unsafe extern "C" fn __perk_on_event(
                input: *const u8,
                input_len: usize,
                has_state: u32,
                state: *const u8,
                state_len: usize,
            ) -> *mut u8 {
                // SAFETY: as above.
                unsafe { $crate::__rt::export_input_call($crate::__rt::$on_event::<$ty>, input, input_len, has_state, state, state_len) }
            }
            #[unsafe(export_name = "on-purchase-batch")]
            unsafe extern "C" fn __perk_on_purchase_batch(batch: *const u8, batch_len: usize) -> *mut u8 {
                // SAFETY: as above.
                unsafe { $crate::__rt::export_on_purchase_batch::<$ty>(batch, batch_len) }
            }
        };
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describe_is_json_with_the_schema_minified() {
        let schema = "{\n  \"type\": \"object\",\n  \"properties\": { \"a b\": { \"description\": \"x \\\" y\\n z  é\" } },\n  \"required\": [ \"a b\" ]\n}\n";
        let description = "  A \"quoted\" policy\\ with\na tab\t and \u{1} é  ";
        let parts = DescribeParts { name: "perk-policy-x", version: "1.2.3", description, config_schema: schema };
        let json = describe(&parts);
        assert_eq!(json.len(), describe_len(&parts));
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["name"], "perk-policy-x");
        assert_eq!(v["version"], "1.2.3");
        assert_eq!(v["description"], description.trim());
        assert_eq!(v["sdk"], SDK_VERSION);
        assert_eq!(v["config_schema"], serde_json::from_str::<serde_json::Value>(schema).unwrap());
        assert!(json.contains(&crate::json::to_string(description.trim())), "escaped as json::to_string does");
        assert!(json.contains(r#"{"type":"object","properties":{"a b":{"description":"x \" y\n z  é"}},"required":["a b"]}"#), "{json}");
        let none = describe(&DescribeParts { config_schema: " \n", ..parts });
        assert!(none.ends_with(r#","config_schema":null}"#), "{none}");
        const N: usize = describe_len(&DescribeParts { name: "n", version: "v", description: "d", config_schema: "" });
        const A: [u8; N] = describe_json::<N>(&DescribeParts { name: "n", version: "v", description: "d", config_schema: "" });
        assert_eq!(
            core::str::from_utf8(&A).unwrap(),
            format!(r#"{{"name":"n","version":"v","description":"d","sdk":"{SDK_VERSION}","config_schema":null}}"#)
        );
    }
}
