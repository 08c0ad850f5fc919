//! The only `unsafe` of the JavaScript layer, fenced here: reading bytes out of typed arrays
//! and loading bytecode we compiled ourselves.

use rquickjs::{ArrayBuffer, Ctx, Module, TypedArray};

/// Copies the bytes of a Uint8Array (honouring its offset and length). `None` if detached.
pub fn typed_array_bytes(array: &TypedArray<'_, u8>) -> Option<Vec<u8>> {
    let buffer = array.arraybuffer().ok()?;
    buffer.as_raw()?; // detached buffers have no backing store
                      // SAFETY: the slice is copied into a Vec before any JavaScript can run, so the engine
                      // cannot write to, detach or reallocate the buffer while the slice is alive; the buffer
                      // was checked not to be detached just above, so `as_slice` does not panic.
    Some(unsafe { array.as_slice() }.to_vec())
}

/// Copies the bytes of an ArrayBuffer. `None` if detached.
pub fn array_buffer_bytes(buffer: &ArrayBuffer<'_>) -> Option<Vec<u8>> {
    // SAFETY: as above — copied immediately, no JavaScript runs in between.
    unsafe { buffer.as_bytes() }.map(<[u8]>::to_vec)
}

/// Loads module bytecode produced by `Module::write` in this process.
pub fn load_module<'js>(ctx: &Ctx<'js>, bytecode: &[u8]) -> rquickjs::Result<Module<'js>> {
    // SAFETY: QuickJS trusts bytecode completely; we only ever pass bytes that this process
    // produced with `Module::write` from source, for the same QuickJS build (bytecode is never
    // stored on disk or read from a henv).
    unsafe { Module::load(ctx.clone(), bytecode) }
}

/// The runtime's current garbage-collection threshold in bytes. After each automatic collection
/// QuickJS sets it to 1.5 × the heap then in use.
pub fn gc_threshold(ctx: &Ctx<'_>) -> usize {
    // SAFETY: `ctx` is a live context, so `JS_GetRuntime` returns its live runtime, and
    // `JS_GetGCThreshold` only reads one of its fields; the caller holds the runtime lock
    // (it is inside `Context::with`), so nothing writes it concurrently.
    let bytes = unsafe {
        rquickjs::qjs::JS_GetGCThreshold(rquickjs::qjs::JS_GetRuntime(ctx.as_raw().as_ptr()))
    };
    usize::try_from(bytes).unwrap_or(usize::MAX)
}
