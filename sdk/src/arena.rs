#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
//! The guest allocator: two bump regions, so a reused instance starts every call with the
//! same heap as a fresh one, and no general-purpose allocator is linked into policies.
//!
//! - The **call** region serves everything a call cycle allocates: the host lowering the
//!   arguments (through `cabi_realloc`), the policy's work, the answer the host lifts.
//!   Freeing is a no-op. When a call ends ([`end_call`]) the region is marked spent, and the
//!   first allocation of the next cycle — the host lowering the next call's arguments, after
//!   it has read the answer and run post-return — rewinds it to empty.
//! - The **kept** region serves what [`persistent`] allocates (the parsed config, the
//!   policy id, the panic hook: kept for the instance's life). It only grows.
//!
//! Both take memory from `memory.grow` in chunks that double in size. wasm32 guests are
//! single-threaded; the cell is never shared between threads.

#[allow(unused_imports)]
use crate::__alloc::*;
use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;

/// The first chunk of a region; each next one doubles, so 20 chunks cover far beyond the
/// memory limit.
const FIRST_CHUNK: usize = 64 << 10;
const MAX_CHUNKS: usize = 20;

/// A bump allocator over chunks it never returns.
struct Region {
    /// (start, size) of each chunk, kept across rewinds.
    chunks: [(usize, usize); MAX_CHUNKS],
    allocated: usize,
    /// Chunk and offset the next bump starts from.
    current: usize,
    offset: usize,
    /// Start of the most recent bump, to grow it in place.
    last: usize,
}

struct State {
    call: Region,
    kept: Region,
    /// Nesting depth of [`persistent`].
    persistent: usize,
    /// The last call returned: the next allocation starts a new cycle.
    spent: bool,
}

pub struct CallArena(UnsafeCell<State>);

// SAFETY: wasm32-unknown-unknown guests run on one thread.
unsafe impl Sync for CallArena {}

impl Region {
    const fn new() -> Self {
        Region { chunks: [(0, 0); MAX_CHUNKS], allocated: 0, current: 0, offset: 0, last: 0 }
    }

    fn owns(&self, ptr: *mut u8) -> bool {
        let p = ptr as usize;
        self.chunks[..self.allocated].iter().any(|&(start, size)| p >= start && p < start + size)
    }

    fn rewind(&mut self) {
        self.current = 0;
        self.offset = 0;
        self.last = 0;
    }

    unsafe fn bump(&mut self, layout: Layout) -> *mut u8 {
        loop {
            if self.current < self.allocated {
                let (start, size) = self.chunks[self.current];
                let at = (start + self.offset + layout.align() - 1) & !(layout.align() - 1);
                if at + layout.size() <= start + size {
                    self.offset = at + layout.size() - start;
                    self.last = at;
                    return at as *mut u8;
                }
                self.current += 1;
                self.offset = 0;
                continue;
            }
            if self.allocated == MAX_CHUNKS {
                return core::ptr::null_mut();
            }
            let size = (FIRST_CHUNK << self.allocated).max(layout.size() + layout.align());
            let p = grab(size);
            if p.is_null() {
                return p;
            }
            self.chunks[self.allocated] = (p as usize, size);
            self.allocated += 1;
        }
    }

    /// Grows the most recent bump in place when its chunk has room.
    fn grow_last(&mut self, ptr: *mut u8, new_size: usize) -> bool {
        if ptr as usize != self.last || self.current >= self.allocated {
            return false;
        }
        let (start, size) = self.chunks[self.current];
        if self.last + new_size > start + size {
            return false;
        }
        self.offset = self.last + new_size - start;
        true
    }
}

/// `size` bytes of fresh memory (page-aligned), or null when the memory limit says no.
#[cfg(target_arch = "wasm32")]
fn grab(size: usize) -> *mut u8 {
    const PAGE: usize = 64 << 10;
    match core::arch::wasm32::memory_grow(0, size.div_ceil(PAGE)) {
        usize::MAX => core::ptr::null_mut(),
        old => (old * PAGE) as *mut u8,
    }
}

/// Natively (the unit test below) chunks come from the system allocator and are leaked.
#[cfg(not(target_arch = "wasm32"))]
fn grab(size: usize) -> *mut u8 {
    Layout::from_size_align(size, 16).map_or(core::ptr::null_mut(), |l| unsafe { std::alloc::System.alloc(l) })
}

impl CallArena {
    pub const fn new() -> Self {
        CallArena(UnsafeCell::new(State { call: Region::new(), kept: Region::new(), persistent: 0, spent: false }))
    }

    #[allow(clippy::mut_from_ref)]
    fn state(&self) -> &mut State {
        // SAFETY: single-threaded, and no reference outlives one allocator call.
        unsafe { &mut *self.0.get() }
    }
}

impl Default for CallArena {
    fn default() -> Self {
        Self::new()
    }
}

unsafe impl GlobalAlloc for CallArena {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let s = self.state();
        if s.persistent > 0 {
            return s.kept.bump(layout);
        }
        if s.spent {
            s.spent = false;
            s.call.rewind();
        }
        s.call.bump(layout)
    }

    /// Nothing is freed one by one: the call region rewinds as a whole, the kept one lives
    /// as long as the instance.
    unsafe fn dealloc(&self, _ptr: *mut u8, _layout: Layout) {}

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size <= layout.size() {
            return ptr;
        }
        let s = self.state();
        let region = if s.kept.owns(ptr) { &mut s.kept } else { &mut s.call };
        if region.grow_last(ptr, new_size) {
            return ptr;
        }
        // A bump in the same region (never a rewind: `ptr` is still live).
        let new = region.bump(Layout::from_size_align_unchecked(new_size, layout.align()));
        if !new.is_null() {
            core::ptr::copy_nonoverlapping(ptr, new, layout.size());
        }
        new
    }
}

/// The global allocator of policy components. Linked into another wasm program
/// (`no-component-exports`), a policy crate leaves that program's allocator alone.
#[cfg(target_arch = "wasm32")]
#[cfg_attr(not(feature = "no-component-exports"), global_allocator)]
static ALLOCATOR: CallArena = CallArena::new();

/// The call has returned: what it allocated stays readable until the host starts the next
/// cycle, whose first allocation rewinds the call region.
#[cfg(target_arch = "wasm32")]
pub fn end_call() {
    ALLOCATOR.state().spent = true;
}

/// Runs `f` with allocations that outlive the call (the instance's cached config).
#[cfg(target_arch = "wasm32")]
pub fn persistent<R>(f: impl FnOnce() -> R) -> R {
    ALLOCATOR.state().persistent += 1;
    let r = f();
    ALLOCATOR.state().persistent -= 1;
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The arena logic, driven directly (natively the global allocator is the system's).
    #[test]
    fn bumps_rewinds_and_grows_in_place() {
        let a = CallArena::new();
        unsafe {
            let l = Layout::from_size_align(10, 8).unwrap();
            let p1 = a.alloc(l);
            let p2 = a.alloc(l);
            assert!(a.state().call.owns(p1) && a.state().call.owns(p2));
            assert_eq!(p2 as usize - p1 as usize, 16, "aligned bump");
            let grown = a.realloc(p2, l, 1000);
            assert_eq!(grown, p2, "the last allocation grows in place");
            let big = a.alloc(Layout::from_size_align(200 << 10, 16).unwrap());
            assert!(a.state().call.owns(big), "a bigger chunk is added");
            a.dealloc(p1, l);
            // Kept allocations come from their own region and survive the rewind.
            a.state().persistent += 1;
            let kept = a.alloc(l);
            a.state().persistent -= 1;
            assert!(a.state().kept.owns(kept) && !a.state().call.owns(kept));
            // The call ends; its answer stays readable until the next cycle's first
            // allocation, which starts again from the beginning.
            a.state().spent = true;
            assert_eq!(a.realloc(big, Layout::from_size_align(200 << 10, 16).unwrap(), 10), big, "shrinking keeps the block");
            assert_eq!(a.alloc(l), p1);
            assert_eq!(a.alloc(l), p2, "rewound once, then bumps on");
            assert!(a.state().kept.owns(kept) && a.state().kept.offset > 0, "the kept region does not rewind");
        }
    }
}
