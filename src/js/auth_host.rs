//! `__hbf_auth_native`, the host side of `hbf:auth`: Argon2id hashing and verification with
//! the henv's parameters, sessions for a user id, and the request's user (`req.user`).
//! These run on the worker thread that runs the app (Argon2 is slow by design).

use rquickjs::{Ctx, Exception, Function, Object, Value};

use super::host::HostEnv;
use crate::auth::{self, password, session, AuthSettings};

/// Installs `globalThis.__hbf_auth_native` (taken and deleted by `lib/auth.js`).
pub fn install<'js>(ctx: &Ctx<'js>, env: &HostEnv) -> rquickjs::Result<()> {
    let native = Object::new(ctx.clone())?;
    let conn = env.conn.clone();
    native.set(
        "hashPassword",
        Function::new(ctx.clone(), move |ctx: Ctx<'js>, pw: String| {
            let settings = AuthSettings::load(&conn).unwrap_or_default();
            password::hash(&pw, &settings.argon2)
                .map_err(|e| Exception::throw_range(&ctx, &e.to_string()))
        })?,
    )?;
    native.set(
        "verifyPassword",
        Function::new(ctx.clone(), |pw: String, phc: String| {
            password::verify(&pw, &phc)
        })?,
    )?;
    let (conn, log_ctx) = (env.conn.clone(), env.log_ctx.clone());
    native.set(
        "createSession",
        Function::new(ctx.clone(), move |ctx: Ctx<'js>, id: f64| {
            let fail = |m: &str| Exception::throw_message(&ctx, &format!("createSession: {m}"));
            let settings = AuthSettings::load(&conn).map_err(|e| fail(&e.to_string()))?;
            let enabled: Option<i64> = conn
                .query_row(
                    "SELECT enabled FROM _hbf_users WHERE id = ?1",
                    [id as i64],
                    |r| r.get(0),
                )
                .ok();
            let user = match (enabled, auth::user_by_id(&conn, id as i64)) {
                (Some(1), Ok(Some(u))) => u,
                _ => return Err(fail("no such enabled user")),
            };
            let key = session::signing_key(&conn).map_err(|e| fail(&e.to_string()))?;
            let henv = log_ctx.borrow().henv.clone();
            let (token, expires_at) = session::create(
                &conn,
                &user,
                &henv,
                settings.session_lifetime_hours,
                &key,
                crate::api::now(),
            )
            .map_err(|e| fail(&e.to_string()))?;
            let out = Object::new(ctx.clone())?;
            out.set("token", token)?;
            out.set("expires_at", expires_at as f64)?;
            Ok::<_, rquickjs::Error>(out)
        })?,
    )?;
    let user = env.user.clone();
    native.set(
        "currentUser",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>| -> rquickjs::Result<Value<'js>> {
                let Some(u) = user.borrow().clone() else {
                    return Ok(Value::new_null(ctx));
                };
                let o = Object::new(ctx.clone())?;
                o.set("id", u.id as f64)?;
                o.set("username", u.username)?;
                o.set("email", u.email)?;
                o.set("role", u.role)?;
                Ok(o.into_value())
            },
        )?,
    )?;
    ctx.globals().set("__hbf_auth_native", native)?;
    Ok(())
}
