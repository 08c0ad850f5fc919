//! The runtime's request loop with real QuickJS and an in-memory henv: parking, timers,
//! and a completion produced on another thread through `HostEnv::completer`.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rquickjs::{Function, Object};

use super::*;
use crate::db::authz::{Authz, Principal, Role};
use crate::http::Request;
use crate::observe::Logger;
use crate::{LogFormat, LogLevel};

const SERVER: &str = r#"
const app = require('express')();
app.get('/later', (req, res) => {
  later().then((v) => res.send(v + ' for ' + require('hbf:host').whoami()));
});
app.get('/timer', async (req, res) => {
  await new Promise((r) => setTimeout(r, 20));
  res.send('timer for ' + require('hbf:host').whoami());
});
module.exports = app;
"#;

struct Fixture {
    rt: AppRuntime,
    rx: crossbeam_channel::Receiver<Completion>,
}

fn fixture() -> Fixture {
    let mut conn = rusqlite::Connection::open_in_memory().unwrap();
    crate::db::migrate(&mut conn, ":memory:").unwrap();
    crate::db::put_file(&conn, "server.js", SERVER.as_bytes()).unwrap();
    let authz = Authz::install(&mut conn).unwrap();
    let (tx, rx) = super::super::completion::channel();
    let mut env = HostEnv::new(
        Rc::new(conn),
        Rc::new(authz),
        Rc::default(),
        Arc::new(Logger::new(LogLevel::Error, LogFormat::Text).unwrap()),
        Rc::new(RefCell::new(LogContext {
            henv: "h".into(),
            request_id: 0,
        })),
        Default::default(),
    );
    env.completions = Some(tx);
    env.runtime_id = 7;
    let express = Bytecode {
        bytes: compile_commonjs("express.js", super::super::EXPRESS_JS).unwrap(),
    };
    let source = AppSource {
        code_hash: "x".into(),
        express: &express,
        mem_limit_bytes: 64 << 20,
        henv: "h",
    };
    let producer = env.clone();
    let scopes = env.scopes.clone();
    let rt = AppRuntime::build(&source, env, Instant::now() + Duration::from_secs(5)).unwrap();
    rt.context
        .with(|ctx| install_test_host(&ctx, producer, scopes));
    Fixture { rt, rx }
}

fn install_test_host<'js>(
    ctx: &rquickjs::Ctx<'js>,
    producer: HostEnv,
    scopes: Rc<super::super::scope::Scopes>,
) {
    {
        // `later()`: a promise resolved by a completion from another thread after 30 ms.
        let later = Function::new(ctx.clone(), move |ctx: rquickjs::Ctx<'js>| {
            let completer = producer.completer().expect("a completion channel");
            let (promise, resolve, _) = ctx.promise()?;
            ctx.globals().set("__resolve_later", resolve)?;
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(30));
                completer.complete(Box::new(|ctx| {
                    let resolve: Function = ctx.globals().get("__resolve_later").unwrap();
                    resolve.call::<_, ()>(("done",)).unwrap();
                }));
            });
            Ok::<rquickjs::Promise<'js>, rquickjs::Error>(promise)
        })
        .unwrap();
        ctx.globals().set("later", later).unwrap();
        let host: Object = ctx.globals().get("__hbf_host").unwrap_or_else(|_| {
            let require: Function = ctx.globals().get("require").unwrap();
            require.call(("hbf:host",)).unwrap()
        });
        let whoami = Function::new(ctx.clone(), move || scopes.current() as f64).unwrap();
        host.set("whoami", whoami).unwrap();
    }
}

fn request(id: u64, path: &str) -> (Request, Binding) {
    let req = crate::worker::test_request(id, "h", path, Duration::from_secs(2));
    let deadline = req.deadline;
    let principal = Principal::Request {
        user_id: None,
        role: Role::Anon,
    };
    (req, Binding::new(id, None, principal, deadline))
}

#[test]
fn a_completion_and_a_timer_finish_interleaved_requests_each_in_its_own_turn() {
    let mut f = fixture();
    let (a, ba) = request(11, "/later");
    let (b, bb) = request(12, "/timer");
    assert!(matches!(f.rt.start(&a, "h", ba), Step::Parked));
    assert!(matches!(f.rt.start(&b, "h", bb), Step::Parked));
    assert_eq!(f.rt.parked(), 2);
    let mut done = Vec::new();
    let until = Instant::now() + Duration::from_secs(2);
    while done.len() < 2 && Instant::now() < until {
        let wake = f.rt.next_wake().unwrap();
        let wait = wake.saturating_duration_since(Instant::now());
        match f.rx.recv_timeout(wait) {
            Ok(c) => {
                assert_eq!((c.henv.as_str(), c.runtime_id, c.request), ("h", 7, 11));
                f.rt.complete(c, &mut done);
            }
            Err(_) => f.rt.advance(Instant::now(), &mut done),
        }
    }
    done.sort_by_key(|(id, _)| *id);
    let bodies: Vec<(u64, String)> = done
        .into_iter()
        .map(|(id, r)| (id, String::from_utf8(r.unwrap().body).unwrap()))
        .collect();
    assert_eq!(
        bodies,
        vec![
            (11, "done for 11".to_owned()),
            (12, "timer for 12".to_owned())
        ]
    );
    assert_eq!(f.rt.parked(), 0);
}

#[test]
fn a_completion_for_a_request_past_its_deadline_is_dropped() {
    let mut f = fixture();
    let (mut a, mut ba) = request(21, "/later");
    a.deadline = Instant::now() + Duration::from_millis(5);
    ba.deadline = a.deadline;
    assert!(matches!(f.rt.start(&a, "h", ba), Step::Parked));
    std::thread::sleep(Duration::from_millis(10));
    let mut done = Vec::new();
    f.rt.advance(Instant::now(), &mut done);
    assert!(matches!(done.as_slice(), [(21, Err(JsError::Expired))]));
    let c = f.rx.recv_timeout(Duration::from_secs(2)).unwrap();
    done.clear();
    f.rt.complete(c, &mut done);
    assert!(done.is_empty());
    assert!(!f.rt.broken());
}
