#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
//! The guest allocator: a per-call arena, so a reused instance starts every call with the
//! same heap as a fresh one.
//!
//! - Inside a policy call (between [`begin_call`] and [`end_call`]) every allocation is a
//!   bump in the arena; freeing is a no-op; [`begin_call`] rewinds the arena to empty.
//!   Nothing allocated in a call can outlive it: the outcome is copied out by the
//!   boundary glue before the next call begins.
//! - Outside a call (the host lowering arguments, the glue lowering results) and inside
//!   [`persistent`] (the parsed config kept for the instance's life) allocations go to the
//!   system allocator and are freed normally.
//!
//! wasm32 guests are single-threaded; the cell is never shared between threads.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::UnsafeCell;

/// The first chunk; each next one doubles, so 20 chunks cover far beyond the memory limit.
const FIRST_CHUNK: usize = 64 << 10;
const MAX_CHUNKS: usize = 20;

struct State {
    /// (start, size) of each chunk obtained from the system allocator, kept across calls.
    chunks: [(usize, usize); MAX_CHUNKS],
    allocated: usize,
    /// Chunk and offset the next bump starts from.
    current: usize,
    offset: usize,
    /// Start of the most recent bump, to grow it in place.
    last: usize,
    in_call: bool,
    persistent: usize,
}

pub struct CallArena(UnsafeCell<State>);

// SAFETY: wasm32-unknown-unknown guests run on one thread.
unsafe impl Sync for CallArena {}

impl CallArena {
    pub const fn new() -> Self {
        CallArena(UnsafeCell::new(State {
            chunks: [(0, 0); MAX_CHUNKS],
            allocated: 0,
            current: 0,
            offset: 0,
            last: 0,
            in_call: false,
            persistent: 0,
        }))
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

impl State {
    fn arena_active(&self) -> bool {
        self.in_call && self.persistent == 0
    }

    fn owns(&self, ptr: *mut u8) -> bool {
        let p = ptr as usize;
        self.chunks[..self.allocated].iter().any(|&(start, size)| p >= start && p < start + size)
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
                return std::ptr::null_mut();
            }
            let size = (FIRST_CHUNK << self.allocated).max(layout.size() + layout.align());
            let Ok(chunk) = Layout::from_size_align(size, 16) else { return std::ptr::null_mut() };
            let p = System.alloc(chunk);
            if p.is_null() {
                return p;
            }
            self.chunks[self.allocated] = (p as usize, size);
            self.allocated += 1;
        }
    }
}

unsafe impl GlobalAlloc for CallArena {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let s = self.state();
        if s.arena_active() {
            s.bump(layout)
        } else {
            System.alloc(layout)
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let s = self.state();
        if !s.owns(ptr) {
            System.dealloc(ptr, layout)
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let s = self.state();
        if !s.owns(ptr) {
            return System.realloc(ptr, layout, new_size);
        }
        if new_size <= layout.size() {
            return ptr;
        }
        // The latest bump grows in place while its chunk has room.
        if s.arena_active() && ptr as usize == s.last && s.current < s.allocated {
            let (start, size) = s.chunks[s.current];
            if s.last + new_size <= start + size {
                s.offset = s.last + new_size - start;
                return ptr;
            }
        }
        let new = self.alloc(Layout::from_size_align_unchecked(new_size, layout.align()));
        if !new.is_null() {
            std::ptr::copy_nonoverlapping(ptr, new, layout.size());
        }
        new
    }
}

#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: CallArena = CallArena::new();

/// Rewinds the arena and routes allocations to it: the start of a policy call.
#[cfg(target_arch = "wasm32")]
pub fn begin_call() {
    let s = ALLOCATOR.state();
    s.current = 0;
    s.offset = 0;
    s.last = 0;
    s.in_call = true;
}

/// Allocations go to the system allocator again: the end of a policy call.
#[cfg(target_arch = "wasm32")]
pub fn end_call() {
    ALLOCATOR.state().in_call = false;
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
            a.state().in_call = true;
            let l = Layout::from_size_align(10, 8).unwrap();
            let p1 = a.alloc(l);
            let p2 = a.alloc(l);
            assert!(a.state().owns(p1) && a.state().owns(p2));
            assert_eq!(p2 as usize - p1 as usize, 16, "aligned bump");
            let grown = a.realloc(p2, l, 1000);
            assert_eq!(grown, p2, "the last allocation grows in place");
            let big = a.alloc(Layout::from_size_align(200 << 10, 16).unwrap());
            assert!(a.state().owns(big), "a bigger chunk is added");
            a.dealloc(p1, l);
            // Rewind: the next call reuses the same memory from the start.
            a.state().current = 0;
            a.state().offset = 0;
            assert_eq!(a.alloc(l), p1);
            // Outside a call, the system allocator serves and frees.
            a.state().in_call = false;
            let sys = a.alloc(l);
            assert!(!a.state().owns(sys));
            a.dealloc(sys, l);
        }
    }
}
