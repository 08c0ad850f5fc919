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

/// The UTF-8 form of a JavaScript string, as Node's `Buffer.from(str)` makes it: a lone
/// surrogate becomes U+FFFD (same length: QuickJS encodes it in 3 bytes, as WTF-8).
pub fn string_utf8(s: &rquickjs::String<'_>) -> rquickjs::Result<Vec<u8>> {
    let c = s.clone().to_cstring()?;
    // SAFETY: `as_ptr`/`len` describe the buffer `JS_ToCStringLen` returned, which stays valid
    // and unchanged until `c` drops; it is copied into a Vec at once, with no JavaScript running.
    let mut bytes =
        unsafe { std::slice::from_raw_parts(c.as_ptr().cast::<u8>(), c.len()) }.to_vec();
    drop(c);
    // WTF-8 surrogates are ED A0..BF xx; in UTF-8, 0xED only ever leads a 3-byte sequence.
    let mut i = 0;
    while let Some(p) = bytes[i..].iter().position(|&b| b == 0xED) {
        let at = i + p;
        if bytes.get(at + 1).is_some_and(|&b| b >= 0xA0) && at + 2 < bytes.len() {
            bytes[at..at + 3].copy_from_slice(&[0xEF, 0xBF, 0xBD]);
        }
        i = at + 1;
    }
    Ok(bytes)
}

/// Byte length of a JavaScript string's UTF-8 form (as `string_utf8` makes it).
pub fn string_utf8_len(s: &rquickjs::String<'_>) -> rquickjs::Result<usize> {
    Ok(s.clone().to_cstring()?.len())
}

/// An own property of an object, as read by `own_property`.
pub enum OwnProperty<'js> {
    Absent,
    Data(rquickjs::Value<'js>),
    /// A getter/setter pair: its value would take a call to read.
    Accessor,
}

/// A property key: a name or an array index.
#[derive(Clone, Copy)]
pub enum Key<'a> {
    Name(&'a str),
    Index(u32),
}

/// Reads an own property without calling anything: no getter runs (an accessor is reported as
/// such). `obj` must not be a Proxy (whose traps this would run).
pub fn own_property<'js>(
    obj: &rquickjs::Object<'js>,
    key: Key<'_>,
) -> rquickjs::Result<OwnProperty<'js>> {
    use rquickjs::qjs;
    let ctx = obj.ctx().clone();
    let raw = ctx.as_raw().as_ptr();
    // SAFETY: `raw` is the live context of `obj`, and the caller holds the runtime lock (it has
    // a `Ctx`). Atoms are freed once each; `JS_GetOwnProperty` only initialises `desc` when it
    // returns 1, which is the only case reading it, and then the descriptor's values are owned
    // by us: `value` moves into the returned `Value`, the getter and setter are freed.
    unsafe {
        let atom = match key {
            Key::Name(name) => qjs::JS_NewAtomLen(raw, name.as_ptr().cast(), name.len() as _),
            Key::Index(i) => qjs::JS_NewAtomUInt32(raw, i),
        };
        if atom == qjs::JS_ATOM_NULL {
            return Err(rquickjs::Error::Exception);
        }
        let mut desc = std::mem::MaybeUninit::<qjs::JSPropertyDescriptor>::uninit();
        let found = qjs::JS_GetOwnProperty(raw, desc.as_mut_ptr(), obj.as_raw(), atom);
        qjs::JS_FreeAtom(raw, atom);
        match found {
            0 => Ok(OwnProperty::Absent),
            1 => {
                let desc = desc.assume_init();
                qjs::JS_FreeValue(raw, desc.getter);
                qjs::JS_FreeValue(raw, desc.setter);
                if desc.flags & qjs::JS_PROP_GETSET as i32 != 0 {
                    qjs::JS_FreeValue(raw, desc.value);
                    Ok(OwnProperty::Accessor)
                } else {
                    Ok(OwnProperty::Data(rquickjs::Value::from_raw(
                        ctx, desc.value,
                    )))
                }
            }
            _ => Err(rquickjs::Error::Exception),
        }
    }
}

// SAFETY: `Native` holds only `'static` Rust data (a boxed `Any`), no JavaScript value, so
// it has no `'js` lifetime to rebind and `Changed<'to>` is the type itself, as the trait's
// documentation prescribes for static types.
unsafe impl<'js> rquickjs::JsLifetime<'js> for super::native::Native {
    type Changed<'to> = super::native::Native;
}

/// The memory limit of the runtime `ctx` belongs to, in bytes (`None` when unlimited).
/// Walks the heap (`JS_ComputeMemoryUsage`): call it once and keep the answer.
pub fn memory_limit(ctx: &Ctx<'_>) -> Option<usize> {
    let mut usage = std::mem::MaybeUninit::<rquickjs::qjs::JSMemoryUsage>::zeroed();
    // SAFETY: `ctx` is a live context whose runtime lock the caller holds (it is inside
    // `Context::with`); `JS_ComputeMemoryUsage` only fills the struct it is given, which is
    // zero-initialised plain data (integers only), so `assume_init` is sound.
    let usage = unsafe {
        let rt = rquickjs::qjs::JS_GetRuntime(ctx.as_raw().as_ptr());
        rquickjs::qjs::JS_ComputeMemoryUsage(rt, usage.as_mut_ptr());
        usage.assume_init()
    };
    usize::try_from(usage.malloc_limit)
        .ok()
        .filter(|&n| n > 0 && n < usize::MAX / 2)
}
