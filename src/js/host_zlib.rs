//! Host functions behind `node:zlib` (`lib/node/zlib.js`), installed on the `hbf:host`
//! object: a codec (`zlib_codec::Codec`) held by a host object, fed chunk by chunk with a
//! flush mode and an output limit, and the runtime's memory limit that bounds that output.

use rquickjs::{function::Opt, Ctx, Exception, Function, Object, TypedArray, Value};

use super::convert::bytes_of;
use super::native::{new_native, throw_coded, with_native};
use super::zlib_codec::{Codec, Flush, Mode, Options, ZError};

fn zlib_error(ctx: &Ctx<'_>, e: ZError) -> rquickjs::Error {
    let ctor = if matches!(e, ZError::TooLarge(_)) {
        "RangeError"
    } else {
        "Error"
    };
    throw_coded(ctx, ctor, e.code(), &e.to_string(), e.errno())
}

/// Installs the `zlib*` functions on `host`.
pub fn install<'js>(ctx: &Ctx<'js>, host: &Object<'js>) -> rquickjs::Result<()> {
    host.set(
        "zlibNew",
        // mode: "gzip", "inflateRaw", "brotliCompress", ...; opts: { level, quality, lgwin }
        // (checked against Node's ranges by zlib.js).
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, mode: String, opts: Opt<Object<'js>>| {
                let mode = Mode::parse(&mode).ok_or_else(|| {
                    Exception::throw_type(&ctx, &format!("unknown zlib mode {mode}"))
                })?;
                let mut o = Options::default();
                if let Some(opts) = opts.0 {
                    if let Some(level) = opts.get::<_, Option<i32>>("level")? {
                        o.level = level;
                    }
                    if let Some(q) = opts.get::<_, Option<u32>>("quality")? {
                        o.quality = q;
                    }
                    if let Some(w) = opts.get::<_, Option<u32>>("lgwin")? {
                        o.lgwin = w;
                    }
                }
                new_native(&ctx, Codec::new(mode, o))
            },
        )?,
    )?;
    host.set(
        "zlibPush",
        // flush: 0 (none), 2 (sync), 4 (finish); limit: most output bytes this call may make.
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, h: Value<'js>, chunk: Value<'js>, flush: i32, limit: f64| {
                let data = bytes_of(&chunk)
                    .ok_or_else(|| Exception::throw_type(&ctx, "zlib input must be bytes"))?;
                let flush = match flush {
                    0 => Flush::None,
                    4 => Flush::Finish,
                    _ => Flush::Sync,
                };
                let limit = if limit.is_finite() && limit >= 0.0 {
                    limit as usize
                } else {
                    usize::MAX
                };
                let out = with_native(&ctx, &h, "zlib stream", |c: &mut Codec| {
                    c.push(&data, flush, limit)
                })?
                .map_err(|e| zlib_error(&ctx, e))?;
                TypedArray::<u8>::new(ctx.clone(), out).map(|a| a.into_value())
            },
        )?,
    )?;
    host.set(
        "zlibReset",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, h: Value<'js>| {
            with_native(&ctx, &h, "zlib stream", Codec::reset)
        })?,
    )?;
    // Whether brotliCompress is built in (the `brotli-compress` cargo feature).
    host.set("zlibBrotliCompress", cfg!(feature = "brotli-compress"))?;
    host.set(
        "zlibMemoryLimit",
        // The runtime's memory limit in bytes, or null: zlib.js asks once.
        Function::new(ctx.clone(), |ctx: Ctx<'js>| {
            super::ffi::memory_limit(&ctx).map(|n| n as f64)
        })?,
    )?;
    Ok(())
}
