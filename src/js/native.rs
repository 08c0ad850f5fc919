//! `Native`: a Rust value owned by a JavaScript object, for host state that outlives one call
//! (a hash in progress, a parsed key, a zlib stream). The object is opaque to JavaScript; the
//! Rust value is dropped when the garbage collector frees the object. Host functions get the
//! value back with [`with_native`], which checks its type.

use std::any::Any;

use rquickjs::class::{JsClass, Trace, Tracer, Writable};
use rquickjs::{Class, Ctx, Exception, Value};

/// A boxed Rust value carried by a JavaScript object of class `HostObject`.
pub struct Native(pub Box<dyn Any>);

impl<'js> Trace<'js> for Native {
    fn trace<'a>(&self, _tracer: Tracer<'a, 'js>) {
        // Holds no JavaScript values.
    }
}

impl<'js> JsClass<'js> for Native {
    const NAME: &'static str = "HostObject";
    type Mutable = Writable;

    fn constructor(
        _ctx: &Ctx<'js>,
    ) -> rquickjs::Result<Option<rquickjs::function::Constructor<'js>>> {
        Ok(None)
    }
}

/// Wraps `value` in a new JavaScript object.
pub fn new_native<'js, T: Any>(ctx: &Ctx<'js>, value: T) -> rquickjs::Result<Value<'js>> {
    Class::instance(ctx.clone(), Native(Box::new(value))).map(|c| c.into_value())
}

/// Runs `f` on the `T` inside `value`, or throws a TypeError naming `what` when `value` is not
/// a host object holding a `T` (or is in use by an outer call).
pub fn with_native<'js, T: Any, R>(
    ctx: &Ctx<'js>,
    value: &Value<'js>,
    what: &str,
    f: impl FnOnce(&mut T) -> R,
) -> rquickjs::Result<R> {
    let class = value
        .as_object()
        .and_then(Class::<Native>::from_object)
        .ok_or_else(|| Exception::throw_type(ctx, &format!("expected a {what}")))?;
    let mut cell = class
        .try_borrow_mut()
        .map_err(|_| Exception::throw_type(ctx, &format!("{what} is busy")))?;
    let inner = cell
        .0
        .downcast_mut::<T>()
        .ok_or_else(|| Exception::throw_type(ctx, &format!("expected a {what}")))?;
    Ok(f(inner))
}

/// Throws a new `ctor` (`"Error"`, `"TypeError"`, `"RangeError"`) with `message` and a Node
/// style `code` property, plus `errno` when given (zlib errors carry one).
pub fn throw_coded(
    ctx: &Ctx<'_>,
    ctor: &str,
    code: &str,
    message: &str,
    errno: Option<i32>,
) -> rquickjs::Error {
    let make = || -> rquickjs::Result<Value<'_>> {
        let c: rquickjs::function::Constructor = ctx.globals().get(ctor)?;
        let e: rquickjs::Object = c.construct((message,))?;
        e.set("code", code)?;
        if let Some(n) = errno {
            e.set("errno", n)?;
        }
        Ok(e.into_value())
    };
    match make() {
        Ok(v) => ctx.throw(v),
        Err(e) => e,
    }
}
