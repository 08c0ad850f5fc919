//! The stages after the henv is open, each a function over the request: HBF's own
//! endpoints (caller identification, CSRF, `/_api/...`), static files of a henv without an
//! app, and the app runtime; plus the error response of a failed app.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use rusqlite::Connection;

use super::henvs::OpenHenv;
use super::AppConfig;
use crate::api;
use crate::db::{self, authz};
use crate::henv::{self, assets};
use crate::http::{Request, Response};
use crate::js::completion::CompletionSender;
use crate::js::host_fetch::{FetchEnv, Outbound};
use crate::js::{
    next_runtime_id, AppRuntime, AppSource, Binding, BytecodeCache, HostEnv, JsError, LogContext,
    Step,
};
use crate::observe::{Field, Logger};

/// Stage 3: who is calling (Bearer token or session cookie) and HBF's own endpoints. Binds
/// `db` to the caller for the app; `Err` is the response HBF answered itself.
pub(super) fn endpoints(henv: &OpenHenv, req: &Request) -> Result<api::Caller, Response> {
    let env = api::ApiEnv {
        conn: &henv.conn,
        authz: &henv.authz,
        henv: &henv.hash,
        settings: &henv.auth,
    };
    let caller = api::identify(&env, req);
    if !api::csrf_ok(req, &caller) {
        return Err(Response::error(
            403,
            "CSRF check failed: send the request from the same origin or with X-CSRF-Token",
        ));
    }
    if let authz::Principal::Request { user_id, role } = api::principal_of(&caller) {
        henv.authz.begin_request(user_id, role);
    }
    match api::handle(&env, req, &caller) {
        Some(resp) => Err(resp),
        None => Ok(caller),
    }
}

/// Stage 4: a henv with no server.js serves its `www/` files, or 404.
pub(super) fn static_files(conn: &Connection, req: &Request, cache_control: &str) -> Response {
    if req.head.method != "GET" && req.head.method != "HEAD" {
        return Response::error(405, "method not allowed").with_header("Allow", "GET, HEAD");
    }
    let rel = crate::util::percent_decode(&req.head.path).unwrap_or_default();
    let rel = rel.trim_matches('/');
    let candidates = [
        format!("www/{rel}"),
        format!("www/{rel}/index.html").replace("//", "/"),
    ];
    for path in candidates.iter().filter(|p| db::valid_file_path(p)) {
        if let Ok(Some(file)) = db::read_file(conn, path) {
            let cond = assets::Conditions {
                if_none_match: req.header("if-none-match"),
                if_modified_since: req.header("if-modified-since"),
                range: req.header("range"),
                if_range: req.header("if-range"),
            };
            return assets::respond(path, &file, &cond, cache_control);
        }
    }
    Response::error(404, &format!("no such file {}", req.head.path))
}

/// Stage 5, first half: the henv's runtime, built (or rebuilt after a code change) when
/// needed. server.js's module-level code runs as the owner (schema changes allowed); tables
/// it creates get their policy views before the request's code runs.
#[allow(clippy::too_many_arguments)]
pub(super) fn runtime<'a>(
    henv: &'a mut OpenHenv,
    server_hash: &str,
    req: &Request,
    config: &AppConfig,
    cache: &BytecodeCache,
    log: &Arc<Logger>,
    completions: Option<&CompletionSender>,
    outbound: &Arc<Outbound>,
) -> Result<&'a mut AppRuntime, JsError> {
    let stale = henv
        .runtime
        .as_ref()
        .is_some_and(|rt| rt.code_hash != server_hash);
    // Hot reload: build the new version first; if it fails to load (a module that throws, a
    // syntax error, a missing module), the previous version keeps serving.
    if henv.runtime.is_none() || (stale && henv.failed_code.as_deref() != Some(server_hash)) {
        let express = cache.express()?;
        let log_ctx = Rc::new(RefCell::new(LogContext {
            henv: henv.hash.clone(),
            request_id: req.id,
        }));
        let mut env = HostEnv::new(
            henv.conn.clone(),
            henv.authz.clone(),
            henv.user.clone(),
            log.clone(),
            log_ctx,
            henv.residency.deadline.clone(),
        );
        env.completions = completions.cloned();
        env.runtime_id = next_runtime_id();
        env.dev = config.dev;
        // Its deliveries travel on the worker's completion channel, which only a runtime the
        // worker keeps receives (`isolation: "request"` runs to its end in `handle`).
        if completions.is_some() && henv.settings.isolation != henv::Isolation::Request {
            env = env.with_fetch(FetchEnv::new(outbound.clone(), &henv.settings.fetch));
        }
        let source = AppSource {
            code_hash: server_hash.to_owned(),
            express: &express,
            mem_limit_bytes: config.mem_limit_bytes,
            henv: &henv.hash,
        };
        match henv
            .authz
            .loading(|| AppRuntime::build(&source, env, req.deadline))
        {
            Ok(built) => {
                henv.runtime = Some(built);
                henv.failed_code = None;
            }
            Err(e) if stale && !e.poisons_runtime() => {
                log.error(
                    "new app version failed to load; still serving the previous one",
                    &[
                        ("henv", Field::Str(&henv.hash)),
                        ("error", Field::Str(&e.to_string())),
                    ],
                );
                henv.failed_code = Some(server_hash.to_owned());
            }
            Err(e) => return Err(e),
        }
        henv.authz
            .refresh(&henv.conn)
            .map_err(|e| JsError::Engine(format!("authorization: {e}")))?;
    }
    let rt = henv
        .runtime
        .as_mut()
        .ok_or(JsError::Engine("runtime missing".into()))?;
    if let Some(fetch) = &rt.fetch {
        fetch.set_settings(&henv.settings.fetch); // (the policy as of this request)
    }
    Ok(rt)
}

/// Stage 5: starts the request in the henv's app (static files when it has none). With
/// `isolation: "request"` the request runs to its end here (its runtime is not kept).
#[allow(clippy::too_many_arguments)]
pub(super) fn app(
    henv: &mut OpenHenv,
    req: &Request,
    hostname: &str,
    binding: Binding,
    config: &AppConfig,
    cache: &BytecodeCache,
    log: &Arc<Logger>,
    completions: Option<&CompletionSender>,
    outbound: &Arc<Outbound>,
) -> Step {
    let Some(server_hash) = henv.server_hash.clone() else {
        let resp = static_files(&henv.conn, req, &henv.settings.cache_control);
        return Step::Done(Ok(crate::docs::serve::after_404(
            &henv.conn,
            &henv.authz,
            &henv.settings,
            req,
            resp,
        )));
    };
    let per_request = henv.settings.isolation == henv::Isolation::Request;
    let rt = match runtime(
        henv,
        &server_hash,
        req,
        config,
        cache,
        log,
        completions,
        outbound,
    ) {
        Ok(rt) => rt,
        Err(e) => return Step::Done(Err(e)),
    };

    if per_request {
        return Step::Done(rt.handle(req, hostname, binding));
    }
    rt.start(req, hostname, binding)
}

/// When the app's router matched nothing (express.js marks its final 404 with
/// `X-HBF-Unmatched`, removed here), HBF's opt-in root auth aliases (`/login`, ...) answer.
pub(super) fn unmatched_alias(
    henv: &OpenHenv,
    req: &Request,
    hash: &str,
    resp: &mut Response,
) -> Option<Response> {
    let before = resp.headers.len();
    resp.headers
        .retain(|(n, _)| !n.eq_ignore_ascii_case(api::UNMATCHED_MARKER));
    if resp.headers.len() == before {
        return None;
    }
    let env = api::ApiEnv {
        conn: &henv.conn,
        authz: &henv.authz,
        henv: hash,
        settings: &henv.auth,
    };
    // (the caller again: a parked request's response is finished in a later turn)
    let caller = api::identify(&env, req);
    if let authz::Principal::Request { user_id, role } = api::principal_of(&caller) {
        henv.authz.begin_request(user_id, role);
    }
    let answer = api::handle_alias(&env, req, &caller);
    henv.authz.end_request();
    if !henv.conn.is_autocommit() {
        let _ = henv.conn.execute_batch("ROLLBACK");
    }
    answer
}

/// The response for an app that failed (logged with its stack; the detail shown in `--dev`).
pub(super) fn error_response(
    e: &JsError,
    request_id: u64,
    henv: &str,
    dev: bool,
    log: &Logger,
) -> Response {
    let (status, public) = match e {
        JsError::Deadline | JsError::Expired => (504, "app did not answer in time"),
        JsError::OutOfMemory => (500, "app ran out of memory"),
        JsError::NoResponse => (500, "app never sent a response"),
        JsError::Exception { .. } | JsError::Engine(_) => (500, "Internal Server Error"),
    };
    let stack = match e {
        JsError::Exception { stack, .. } => stack.as_str(),
        _ => "",
    };
    log.error(
        "app error",
        &[
            ("henv", Field::Str(henv)),
            ("request_id", Field::U64(request_id)),
            ("error", Field::Str(&e.to_string())),
            ("stack", Field::Str(stack)),
        ],
    );
    if dev {
        Response::json(
            status,
            &serde_json::json!({ "error": public, "status": status, "detail": e.to_string(), "stack": stack }),
        )
    } else {
        Response::error(status, public)
    }
}
