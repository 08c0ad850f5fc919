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
    let mut args = Args::new(ctx.clone(), 10);
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
    args.push_arg(strings.ip(ctx, req.peer.ip())?)?;
    args.push_arg(strings.get(ctx, if req.secure { "https" } else { "http" })?)?;
    args.push_arg(strings.get(ctx, hostname)?)?;
    let version = if head.version == crate::http::Version::Http10 {
        "1.0"
    } else {
        "1.1"
    };
    args.push_arg(strings.get(ctx, version)?)?;
    Ok(args)
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
