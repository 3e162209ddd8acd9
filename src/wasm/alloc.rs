//! The wasm allocator: talc, growing memory in steps proportional to what it has.
//!
//! Each `memory.grow` is reported to V8 as external memory, and many small ones in a row
//! make it run a full mark-compact after each few; talc's own `WasmHandler` grows by
//! exactly what the failing allocation needs. Growing by an eighth of the current size
//! (1–32 MiB, or what the allocation needs) keeps growths few without holding much
//! unused memory. docs/design-notes.md ("The wasm allocator and V8's garbage
//! collector") has the measurements.

use core::alloc::Layout;
use talc::{locking::AssumeUnlockable, OomHandler, Span, Talc, Talck};

const PAGE_SIZE: usize = 64 * 1024;
/// The largest step beyond what an allocation needs: 32 MiB (a Worker has 128 MB).
const MAX_STEP_PAGES: usize = 512;
/// The smallest: 1 MiB.
const MIN_STEP_PAGES: usize = 16;

pub struct GrowingHandler {
    heap: Span,
}

impl OomHandler for GrowingHandler {
    fn handle_oom(talc: &mut Talc<Self>, layout: Layout) -> Result<(), ()> {
        let required = (layout.size() + 8).max(layout.align() * 2);
        let needed_pages = required.div_ceil(PAGE_SIZE);
        let current_pages = core::arch::wasm32::memory_size::<0>();
        let mut delta = needed_pages.max((current_pages / 8).clamp(MIN_STEP_PAGES, MAX_STEP_PAGES));
        // Ask for less when the runtime refuses (a memory maximum), down to what is needed.
        let previous_end_page = loop {
            let result = core::arch::wasm32::memory_grow::<0>(delta);
            if result != usize::MAX {
                break result;
            }
            if delta == needed_pages {
                return Err(());
            }
            delta = needed_pages.max(delta / 2);
        };
        let start = (previous_end_page * PAGE_SIZE) as *mut u8;
        let end = start.wrapping_add(delta * PAGE_SIZE);
        let heap = talc.oom_handler.heap;
        if let Some((base, acme)) = heap.get_base_acme() {
            if acme == start {
                // SAFETY: the new pages follow the heap talc already has, and are ours.
                talc.oom_handler.heap = unsafe { talc.extend(heap, Span::new(base, end)) };
                return Ok(());
            }
        }
        // SAFETY: fresh pages nobody else uses; one page is enough for talc's metadata.
        talc.oom_handler.heap = unsafe { talc.claim(Span::new(start, end)) }?;
        Ok(())
    }
}

pub type Allocator = Talck<AssumeUnlockable, GrowingHandler>;

/// # Safety
/// Only for single-threaded wasm, where no lock is needed (talc's `TalckWasm` makes the
/// same assumption), and only as the one allocator that owns the memory.
pub const unsafe fn allocator() -> Allocator {
    Talc::new(GrowingHandler { heap: Span::empty() }).lock()
}
