//! Values between Rust and JavaScript: requests in, responses out, SQLite values both ways.

use std::collections::HashMap;
use std::net::IpAddr;

use rquickjs::function::Args;
use rquickjs::{Array, BigInt, Ctx, Exception, Object, Persistent, TypedArray, Value};
use rusqlite::types::{Value as SqlValue, ValueRef};

use super::ffi::{array_buffer_bytes, typed_array_bytes};
use crate::http::{Request, Response};

/// Integers beyond ±2^53 cannot round-trip through a JS number; they become BigInt.
const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;

/// JS strings for what repeats from request to request (method, protocol, version, host name,
/// peer address, header names and common header values), kept across requests by one
/// runtime: finding a kept one costs less than making (and later freeing) a new one.
#[derive(Default)]
pub struct StringCache {
    map: HashMap<Box<str>, Persistent<rquickjs::String<'static>>>,
    ip: Option<(IpAddr, Persistent<rquickjs::String<'static>>)>,
}

/// Longest string kept, and how many before the cache starts afresh.
const CACHED_MAX_LEN: usize = 128;
const CACHED_MAX: usize = 512;

/// Header values worth keeping (the same on every request of a client).
const CACHED_HEADERS: &[&str] = &[
    "host",
    "user-agent",
    "accept",
    "accept-encoding",
    "accept-language",
    "content-type",
    "connection",
];

impl StringCache {
    /// `s` as a JS string, kept for next time.
    pub fn get<'js>(&mut self, ctx: &Ctx<'js>, s: &str) -> rquickjs::Result<rquickjs::String<'js>> {
        if s.len() > CACHED_MAX_LEN {
            return rquickjs::String::from_str(ctx.clone(), s);
        }
        if let Some(p) = self.map.get(s) {
            return p.clone().restore(ctx);
        }
        let js = rquickjs::String::from_str(ctx.clone(), s)?;
        if self.map.len() >= CACHED_MAX {
            self.map.clear();
        }
        self.map.insert(s.into(), Persistent::save(ctx, js.clone()));
        Ok(js)
    }

    fn ip<'js>(&mut self, ctx: &Ctx<'js>, ip: IpAddr) -> rquickjs::Result<rquickjs::String<'js>> {
        if let Some((last, p)) = &self.ip {
            if *last == ip {
                return p.clone().restore(ctx);
            }
        }
        let js = rquickjs::String::from_str(ctx.clone(), &ip.to_string())?;
        self.ip = Some((ip, Persistent::save(ctx, js.clone())));
        Ok(js)
    }
}

/// The arguments of `express.__serve(app, method, url, headers, rawHeaders, body, ip,
/// protocol, hostname, httpVersion)` for one request.
pub fn request_args<'js>(
    ctx: &Ctx<'js>,
    strings: &mut StringCache,
    app: Value<'js>,
    req: &Request,
    hostname: &str,
) -> rquickjs::Result<Args<'js>> {
    let head = &req.head;
    let mut args = Args::new(ctx.clone(), 11);
    args.push_arg(app)?;
    args.push_arg(strings.get(ctx, &head.method)?)?;
    if head.path == "*" {
        args.push_arg("*")?;
    } else {
        match &head.query {
            Some(q) => args.push_arg(format!("{}?{}", head.path, q))?,
            None => args.push_arg(head.path.as_str())?,
        }
    }
    let (headers, raw) = headers_to_js(ctx, strings, &head.headers)?;
    args.push_arg(headers)?;
    args.push_arg(raw)?;
    if req.body.is_empty() {
        args.push_arg(Value::new_null(ctx.clone()))?;
    } else {
        args.push_arg(TypedArray::<u8>::new_copy(ctx.clone(), &req.body)?)?;
    }
    // The address the connection came from after --trust_proxy (Express's
    // `socket.remoteAddress`; the app's own `trust proxy` starts from it).
    args.push_arg(strings.ip(ctx, req.client_ip)?)?;
    args.push_arg(strings.get(ctx, if req.secure { "https" } else { "http" })?)?;
    args.push_arg(strings.get(ctx, hostname)?)?;
    let version = if head.version == crate::http::Version::Http10 {
        "1.0"
    } else {
        "1.1"
    };
    args.push_arg(strings.get(ctx, version)?)?;
    if req.client_ip != req.peer.ip().to_canonical() {
        // X-Forwarded-For entries left of the one --trust_proxy chose (oldest first).
        args.push_arg(unconsumed_forwarded(req))?;
    }
    Ok(args)
}

/// The X-Forwarded-For entries before (older than) the one HBF took as the client.
fn unconsumed_forwarded(req: &Request) -> Vec<String> {
    let entries: Vec<&str> = req
        .head
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("x-forwarded-for"))
        .flat_map(|(_, v)| v.split(','))
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .collect();
    let is_client = |e: &&str| {
        e.parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.to_canonical() == req.client_ip)
    };
    match entries.iter().rposition(is_client) {
        Some(i) => entries[..i].iter().map(|e| (*e).to_owned()).collect(),
        None => Vec::new(),
    }
}

/// `headers` (lower-case names; repeated fields joined with ", ", cookies with "; ",
/// set-cookie as an array) and `rawHeaders` ([name, value, ...]) as Node has them.
fn headers_to_js<'js>(
    ctx: &Ctx<'js>,
    strings: &mut StringCache,
    fields: &[(String, String)],
) -> rquickjs::Result<(Object<'js>, Array<'js>)> {
    let headers = Object::new(ctx.clone())?;
    let raw = Array::new(ctx.clone())?;
    let mut values = Vec::with_capacity(fields.len());
    for (i, (name, value)) in fields.iter().enumerate() {
        let value = if CACHED_HEADERS.contains(&name.as_str()) {
            strings.get(ctx, value)?
        } else {
            rquickjs::String::from_str(ctx.clone(), value)?
        };
        raw.set(2 * i, strings.get(ctx, name)?)?;
        raw.set(2 * i + 1, value.clone())?;
        values.push(value);
    }
    for (i, (name, value)) in fields.iter().enumerate() {
        if fields[..i].iter().any(|(n, _)| n == name) {
            continue; // joined into its first occurrence
        }
        let repeated = fields[i + 1..].iter().any(|(n, _)| n == name);
        if !repeated {
            headers.set(name.as_str(), values[i].clone())?;
        } else if name == "set-cookie" {
            let list = Array::new(ctx.clone())?;
            for (j, _) in fields.iter().enumerate().filter(|(_, (n, _))| n == name) {
                list.set(list.len(), values[j].clone())?;
            }
            headers.set(name.as_str(), list)?;
        } else {
            let sep = if name == "cookie" { "; " } else { ", " };
            let mut joined = value.clone();
            for (_, v) in fields[i + 1..].iter().filter(|(n, _)| n == name) {
                joined.push_str(sep);
                joined.push_str(v);
            }
            headers.set(name.as_str(), joined)?;
        }
    }
    Ok((headers, raw))
}

/// Reads a rawRes, `[status, [name, value, ...], body]`, back into a `Response`.
pub fn response_from_js(value: &Value<'_>) -> Result<Response, String> {
    let raw = value
        .as_array()
        .ok_or("handler result is not a rawRes array")?;
    let status: f64 = raw.get(0).map_err(|_| "response status is not a number")?;
    if !(100.0..=999.0).contains(&status) || status.fract() != 0.0 {
        return Err(format!("invalid status code {status}"));
    }
    let mut resp = Response::new(status as u16);
    if let Ok(headers) = raw.get::<Array>(1) {
        let n = headers.len();
        resp.headers.reserve(n / 2);
        for i in (0..n.saturating_sub(1)).step_by(2) {
            let name: String = headers.get(i).map_err(|_| "header name is not a string")?;
            let value: Value = headers.get(i + 1).map_err(|_| "header value missing")?;
            let value = match value.as_string() {
                Some(s) => s.to_string().map_err(|_| "header value is not a string")?,
                None => value_to_display(&value),
            };
            resp.headers.push((name, value));
        }
    }
    let body: Value = raw.get(2).map_err(|_| "response body unreadable")?;
    resp.body = bytes_of(&body).ok_or("response body is neither a string nor a Uint8Array")?;
    Ok(resp)
}

/// Bytes of a string (UTF-8, a lone surrogate as U+FFFD), Uint8Array, ArrayBuffer, or nothing
/// for null/undefined.
pub fn bytes_of(value: &Value<'_>) -> Option<Vec<u8>> {
    if value.is_null() || value.is_undefined() {
        return Some(Vec::new());
    }
    if let Some(s) = value.as_string() {
        return super::ffi::string_utf8(s).ok();
    }
    if let Ok(arr) = TypedArray::<u8>::from_value(value.clone()) {
        return typed_array_bytes(&arr);
    }
    if let Some(buf) = rquickjs::ArrayBuffer::from_value(value.clone()) {
        return array_buffer_bytes(&buf);
    }
    None
}

fn value_to_display(value: &Value<'_>) -> String {
    if let Some(n) = value.as_number() {
        if n.fract() == 0.0 && n.abs() < 1e15 {
            return format!("{}", n as i64);
        }
        return n.to_string();
    }
    value.as_bool().map(|b| b.to_string()).unwrap_or_default()
}

/// A JS value as an SQLite parameter.
pub fn sql_param<'js>(ctx: &Ctx<'js>, value: &Value<'js>) -> rquickjs::Result<SqlValue> {
    if value.is_null() || value.is_undefined() {
        return Ok(SqlValue::Null);
    }
    if let Some(b) = value.as_bool() {
        return Ok(SqlValue::Integer(i64::from(b)));
    }
    if let Some(i) = value.as_int() {
        return Ok(SqlValue::Integer(i64::from(i)));
    }
    if let Some(f) = value.as_float() {
        if f.fract() == 0.0 && f.abs() <= MAX_SAFE_INTEGER as f64 {
            return Ok(SqlValue::Integer(f as i64));
        }
        return Ok(SqlValue::Real(f));
    }
    if let Some(s) = value.as_string() {
        return Ok(SqlValue::Text(s.to_string()?));
    }
    if let Some(big) = value.as_big_int() {
        return big.clone().to_i64().map(SqlValue::Integer);
    }
    if let Some(bytes) = bytes_of(value) {
        return Ok(SqlValue::Blob(bytes));
    }
    Err(Exception::throw_type(
        ctx,
        "unsupported SQL parameter type: use null, boolean, number, bigint, string or Uint8Array",
    ))
}

/// An SQLite column value as a JS value.
pub fn sql_to_js<'js>(ctx: &Ctx<'js>, value: ValueRef<'_>) -> rquickjs::Result<Value<'js>> {
    Ok(match value {
        ValueRef::Null => Value::new_null(ctx.clone()),
        ValueRef::Integer(i) if (-MAX_SAFE_INTEGER..=MAX_SAFE_INTEGER).contains(&i) => {
            match i32::try_from(i) {
                Ok(small) => Value::new_int(ctx.clone(), small),
                Err(_) => Value::new_float(ctx.clone(), i as f64),
            }
        }
        ValueRef::Integer(i) => BigInt::from_i64(ctx.clone(), i)?.into_value(),
        ValueRef::Real(f) => Value::new_float(ctx.clone(), f),
        ValueRef::Text(t) => {
            rquickjs::String::from_str(ctx.clone(), &String::from_utf8_lossy(t))?.into_value()
        }
        ValueRef::Blob(b) => TypedArray::<u8>::new_copy(ctx.clone(), b)?.into_value(),
    })
}

/// The engine's own `Object.prototype` and `Array.prototype` (those of a new object and a new
/// array: app code may have replaced the globals).
pub struct PlainProtos<'js> {
    object: Object<'js>,
    array: Object<'js>,
}

impl<'js> PlainProtos<'js> {
    pub fn new(ctx: &Ctx<'js>) -> rquickjs::Result<Option<Self>> {
        let object = Object::new(ctx.clone())?.get_prototype();
        let array = Array::new(ctx.clone())?.as_object().get_prototype();
        Ok(object
            .zip(array)
            .map(|(object, array)| PlainProtos { object, array }))
    }
}

/// Deepest nesting `plain_json` takes (JSON.stringify then reports cycles itself).
const PLAIN_JSON_DEPTH: usize = 64;

/// `JSON.stringify(value)` for plain data, or `None` for anything else (the caller then uses
/// JSON.stringify). Plain data: objects whose prototype is `Object.prototype` (or null) and
/// arrays (`Array.prototype`, no holes), with data properties only and no `toJSON` anywhere on
/// their prototype chains, holding strings (well-formed), numbers, booleans, null, undefined
/// and plain data again. Reading it calls nothing (no getter, no toJSON, no proxy trap), so
/// giving up half way and leaving it to JSON.stringify is never observable.
pub fn plain_json<'js>(
    value: &Value<'js>,
    protos: &PlainProtos<'js>,
) -> rquickjs::Result<Option<String>> {
    use super::ffi::{own_property, Key, OwnProperty};
    // A toJSON on Object.prototype or Array.prototype applies to every object or array.
    for proto in [&protos.object, &protos.array] {
        if !matches!(
            own_property(proto, Key::Name("toJSON"))?,
            OwnProperty::Absent
        ) {
            return Ok(None);
        }
    }
    let mut out = String::with_capacity(128);
    Ok(write_plain_json(&mut out, value, protos, 0)?.then_some(out))
}

/// Appends `value` as JSON; false if it is not plain data (see `plain_json`).
fn write_plain_json<'js>(
    out: &mut String,
    value: &Value<'js>,
    protos: &PlainProtos<'js>,
    depth: usize,
) -> rquickjs::Result<bool> {
    use super::ffi::{own_property, Key, OwnProperty};
    use rquickjs::Type;
    match value.type_of() {
        Type::Null => out.push_str("null"),
        Type::Bool => out.push_str(if value.as_bool() == Some(true) {
            "true"
        } else {
            "false"
        }),
        Type::Int => {
            let _ =
                std::fmt::Write::write_fmt(out, format_args!("{}", value.as_int().unwrap_or(0)));
        }
        Type::Float => {
            let f = value.as_float().unwrap_or(f64::NAN);
            if !f.is_finite() {
                out.push_str("null");
            } else if f.fract() == 0.0 && f.abs() <= MAX_SAFE_INTEGER as f64 {
                let _ = std::fmt::Write::write_fmt(out, format_args!("{}", f as i64));
            // (-0 too: "0")
            } else {
                // JS number formatting, from the engine (a number's ToString calls nothing)
                let s: rquickjs::Coerced<String> = value.get()?;
                out.push_str(&s.0);
            }
        }
        Type::String => {
            let Ok(s) = value.as_string().map(|s| s.to_string()).transpose() else {
                return Ok(false); // a lone surrogate: JSON.stringify escapes it
            };
            quote_json(out, &s.unwrap_or_default());
        }
        Type::Array | Type::Object if depth < PLAIN_JSON_DEPTH && !value.is_proxy() => {
            let Some(obj) = value.as_object() else {
                return Ok(false);
            };
            let proto = obj.get_prototype();
            let is_array = value.is_array();
            let plain = match &proto {
                None => !is_array,
                Some(p) => {
                    if is_array {
                        *p == protos.array
                    } else {
                        *p == protos.object
                    }
                }
            };
            if !plain || !matches!(own_property(obj, Key::Name("toJSON"))?, OwnProperty::Absent) {
                return Ok(false);
            }
            if is_array {
                let len = match own_property(obj, Key::Name("length"))? {
                    OwnProperty::Data(v) => v.as_number().unwrap_or(-1.0),
                    _ => -1.0,
                };
                if !(0.0..=f64::from(u32::MAX)).contains(&len) {
                    return Ok(false);
                }
                out.push('[');
                for i in 0..len as u32 {
                    if i > 0 {
                        out.push(',');
                    }
                    let OwnProperty::Data(item) = own_property(obj, Key::Index(i))? else {
                        return Ok(false); // a hole (or an accessor)
                    };
                    if item.is_undefined() {
                        out.push_str("null");
                    } else if !write_plain_json(out, &item, protos, depth + 1)? {
                        return Ok(false);
                    }
                }
                out.push(']');
            } else {
                out.push('{');
                let mut first = true;
                for key in obj.keys::<Value>() {
                    let key = key?;
                    let Some(name) = key
                        .as_string()
                        .map(|s| s.to_string())
                        .transpose()
                        .ok()
                        .flatten()
                    else {
                        return Ok(false);
                    };
                    let OwnProperty::Data(item) = own_property(obj, Key::Name(&name))? else {
                        return Ok(false);
                    };
                    if item.is_undefined() {
                        continue; // left out, as JSON.stringify does
                    }
                    if !first {
                        out.push(',');
                    }
                    first = false;
                    quote_json(out, &name);
                    out.push(':');
                    if !write_plain_json(out, &item, protos, depth + 1)? {
                        return Ok(false);
                    }
                }
                out.push('}');
            }
        }
        _ => return Ok(false), // undefined at the top, functions, symbols, BigInts, ...
    }
    Ok(true)
}

/// A string as JSON.stringify quotes it (QuickJS-NG's JS_ToQuotedString, well-formed input).
fn quote_json(out: &mut String, s: &str) {
    out.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if escape.is_empty() {
            let _ = std::fmt::Write::write_fmt(out, format_args!("\\u{:04x}", b));
        } else {
            out.push_str(escape);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use rquickjs::{Context, Runtime};

    /// plain_json agrees with JSON.stringify, and takes the plain cases.
    #[test]
    fn plain_json_is_json_stringify() {
        let rt = Runtime::new().unwrap();
        let context = Context::full(&rt).unwrap();
        context.with(|ctx| {
            // (expression, whether plain_json must take it)
            let cases: &[(&str, bool)] = &[
                (r#"({ message: 'Hello, world!', n: 42, ok: true })"#, true),
                (r#"({ id: 5000, name: 'user 5000', email: 'user5000@example.com', created_at: 1700005000 })"#, true),
                (r#"({ name: 'tobi', tags: ['a', 'b'], n: 42, nested: { x: [1, [2, {}]], y: null } })"#, true),
                (r#"({ f: 1.5, e: 1e21, small: 5e-7, neg: -0, big: 2 ** 60, nan: NaN, inf: -Infinity })"#, true),
                (r#"({ s: 'quote " back \\ nl \n cr \r tab \t bs \b ff \f ctl \u0001 \u001f del \u007f é ✓ 😀 \u2028' })"#, true),
                (r#"({ 2: 'b', 1: 'a', z: 1, [Symbol('s')]: 1, u: undefined })"#, true),
                (r#"[1, 'two', null, undefined, true, { a: [] }]"#, true),
                (r#"Object.assign(Object.create(null), { a: 1 })"#, true),
                (r#"({ 'k"ey\n': 1, '': 2 })"#, true),
                (r#"[]"#, true),
                (r#"({})"#, true),
                (r#"'a string'"#, true),
                (r#"42"#, true),
                (r#"({ d: new Date(0) })"#, false),
                (r#"({ t: { toJSON() { return 'x'; } } })"#, false),
                (r#"({ get g() { return 1; } })"#, false),
                (r#"({ s: 'lone \ud800 surrogate' })"#, false),
                (r#"({ f() {} })"#, false),
                (r#"({ b: 1n })"#, false),
                (r#"[1, , 3]"#, false),
                (r#"new Proxy({}, {})"#, false),
                (r#"new (class K { constructor() { this.a = 1; } })()"#, false),
                (r#"new Number(5)"#, false),
                (r#"undefined"#, false),
                (r#"(() => { const a = []; a[0] = a; return a; })()"#, false),
            ];
            let stringify: rquickjs::Function = ctx.eval("(v) => JSON.stringify(v)").unwrap();
            let protos = PlainProtos::new(&ctx).unwrap().unwrap();
            for (src, plain) in cases {
                let v: Value = ctx.eval(*src).unwrap();
                let fast = plain_json(&v, &protos).unwrap();
                assert_eq!(fast.is_some(), *plain, "{src}: {fast:?}");
                if let Some(fast) = fast {
                    let expected: String = stringify.call((v,)).unwrap();
                    assert_eq!(fast, expected, "{src}");
                }
            }
            // A toJSON on Object.prototype applies to every object.
            let _: () = ctx.eval("Object.prototype.toJSON = function () { return 1; }").unwrap();
            let v: Value = ctx.eval("({ a: 1 })").unwrap();
            assert_eq!(plain_json(&v, &protos).unwrap(), None);
        });
    }
}
