//! The public seams: `Server` (configure and start) and `ServerHandle` (addresses, metrics,
//! certificate reload, stop).

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use mio::{Poll, Token, Waker};

use crate::config::{Config, ConfigError};
use crate::net::{EventLoop, TlsError, TlsState};
use crate::observe::Field;
use crate::observe::{Event, Hook, Logger, Metrics};
use crate::worker::{Handler, NotFound, Pool};

/// Token of the waker that workers and `ServerHandle::stop` use to interrupt `poll`.
pub(crate) const WAKER: Token = Token(usize::MAX - 1);

/// State shared by the loop, the workers and the handle.
pub(crate) struct Shared {
    pub config: Config,
    /// TLS certificates and policy, when `--tls_port` is set.
    pub tls: Option<TlsState>,
    pub metrics: Arc<Metrics>,
    hooks: Vec<Arc<dyn Hook>>,
    pub log: Arc<Logger>,
    pub waker: Waker,
    /// Set when a reply wake is on its way and the loop has not collected replies since:
    /// workers then skip the wake (a syscall each) and the loop picks their replies up with
    /// the earlier ones.
    reply_wake_pending: AtomicBool,
    pub stop: AtomicBool,
    pub started_at: Instant,
    request_ids: AtomicU64,
}

impl Shared {
    /// Reports an event to the built-in metrics and every registered hook.
    pub fn emit(&self, event: &Event<'_>) {
        self.metrics.on_event(event);
        for hook in &self.hooks {
            hook.on_event(event);
        }
    }

    /// Tells the loop a reply is queued (call after queueing it). Wakes the loop only when
    /// no wake is pending already.
    pub fn reply_queued(&self) {
        if !self.reply_wake_pending.swap(true, Ordering::AcqRel) {
            let _ = self.waker.wake();
        }
    }

    /// Called by the loop before it collects replies: replies queued from now on wake it again.
    pub fn collecting_replies(&self) {
        self.reply_wake_pending.store(false, Ordering::SeqCst);
    }

    /// A new server-unique request id.
    pub fn next_request_id(&self) -> u64 {
        self.request_ids.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Shared state without a listener or workers, for driving a connection in memory.
    #[cfg(any(test, feature = "fuzzing"))]
    pub fn for_fuzzing(config: Config, poll: &Poll) -> io::Result<Shared> {
        Ok(Shared {
            log: Arc::new(Logger::new(config.log_level, config.log_format)?),
            config,
            tls: None,
            metrics: Arc::new(Metrics::new()),
            hooks: Vec::new(),
            waker: Waker::new(poll.registry(), WAKER)?,
            reply_wake_pending: AtomicBool::new(false),
            stop: AtomicBool::new(false),
            started_at: Instant::now(),
            request_ids: AtomicU64::new(0),
        })
    }
}

/// Why a server could not start. `Display` says what to fix.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{flag}: cannot listen on {addr}: {source}")]
    Bind {
        flag: &'static str,
        addr: SocketAddr,
        source: io::Error,
    },
    #[error(transparent)]
    Tls(#[from] TlsError),
    #[error("cannot start server: {0}")]
    Io(#[from] io::Error),
}

/// A configured, not yet running server.
pub struct Server {
    config: Config,
    handler: Arc<dyn Handler>,
    hooks: Vec<Arc<dyn Hook>>,
}

impl Server {
    /// A server with the built-in routes and a JSON 404 for everything else.
    pub fn new(config: Config) -> Self {
        Server {
            config,
            handler: Arc::new(NotFound),
            hooks: Vec::new(),
        }
    }

    /// Sets the handler that runs requests on the worker threads.
    pub fn handler(mut self, handler: impl Handler) -> Self {
        self.handler = Arc::new(handler);
        self
    }

    /// Adds a hook that receives every counter event.
    pub fn hook(mut self, hook: Arc<dyn Hook>) -> Self {
        self.hooks.push(hook);
        self
    }

    /// Validates the configuration, binds the listener, starts the workers and the event loop.
    pub fn start(self) -> Result<ServerHandle, StartError> {
        let config = self.config;
        config.validate()?;
        config.prepare_storage_dir()?;
        crate::db::set_durability(config.durability);
        crate::db::set_heap_limits(
            config.sqlite_soft_heap_limit_mb,
            config.sqlite_hard_heap_limit_mb,
        )
        .map_err(|e| io::Error::other(format!("--sqlite_hard_heap_limit_mb: {e}")))?;
        let tls = TlsState::load(&config)?;
        let bind = |flag: &'static str, port: u16| {
            let addr = SocketAddr::new(config.bind, port);
            listen(addr, config.listen_backlog).map_err(|source| StartError::Bind {
                flag,
                addr,
                source,
            })
        };
        let listener = match config.tls_only {
            true => None,
            false => Some(bind("--bind/--port", config.port)?),
        };
        let tls_listener = match config.tls_port {
            Some(port) => Some(bind("--bind/--tls_port", port)?),
            None => None,
        };
        let admin_listener = match config.admin_bind.0 {
            Some(addr) => Some(listen(addr, 64).map_err(|source| StartError::Bind {
                flag: "--admin_bind",
                addr,
                source,
            })?),
            None => None,
        };
        let admin_addr = admin_listener
            .as_ref()
            .map(|l| l.local_addr())
            .transpose()?;
        let plain_addr = listener.as_ref().map(|l| l.local_addr()).transpose()?;
        let tls_addr = tls_listener.as_ref().map(|l| l.local_addr()).transpose()?;
        let local_addr = plain_addr
            .or(tls_addr)
            .ok_or_else(|| io::Error::other("no listener"))?;
        let poll = Poll::new()?;
        let waker = Waker::new(poll.registry(), WAKER)?;
        let shared = Arc::new(Shared {
            log: Arc::new(Logger::new(config.log_level, config.log_format)?),
            config,
            tls,
            metrics: Arc::new(Metrics::new()),
            hooks: self.hooks,
            waker,
            reply_wake_pending: AtomicBool::new(false),
            stop: AtomicBool::new(false),
            started_at: Instant::now(),
            request_ids: AtomicU64::new(0),
        });
        shared
            .metrics
            .henv_requests
            .set_top(shared.config.metrics_henv_top);
        let (replies_tx, replies_rx) = crossbeam_channel::unbounded();
        let (jobs_tx, jobs_rx): (Vec<_>, Vec<_>) = (0..shared.config.worker_count())
            .map(|_| crossbeam_channel::bounded(shared.config.queue_len()))
            .unzip();
        let henvs = Arc::new(crate::worker::HenvTable::default());
        let (dispatch, queue) = crate::worker::Dispatch::new(
            jobs_tx,
            shared.config.queue_len(),
            henvs.clone(),
            self.handler.affinity(&shared.log, &shared.metrics),
            shared.config.henv_inflight_cap(),
            Duration::from_secs(shared.config.henv_idle_secs),
        );
        let pool = Pool::start(
            self.handler,
            jobs_rx,
            queue,
            henvs,
            replies_tx,
            shared.clone(),
        )?;
        let event_loop = EventLoop::new(
            poll,
            [listener, tls_listener, admin_listener],
            dispatch,
            replies_rx,
            shared.clone(),
        )?;
        let plain = plain_addr.map_or_else(|| "off".to_owned(), |a| a.to_string());
        let https = tls_addr.map_or_else(|| "off".to_owned(), |a| a.to_string());
        let admin = admin_addr.map_or_else(|| "off".to_owned(), |a| a.to_string());
        let sni = shared
            .tls
            .as_ref()
            .map(|t| t.current().names.join(","))
            .unwrap_or_default();
        shared.log.info(
            "listening",
            &[
                ("addr", Field::Str(&plain)),
                ("tls_addr", Field::Str(&https)),
                ("admin_addr", Field::Str(&admin)),
                ("sni_names", Field::Str(&sni)),
                ("workers", Field::U64(shared.config.worker_count() as u64)),
                ("version", Field::Str(crate::VERSION)),
            ],
        );
        let thread = std::thread::Builder::new()
            .name("hbf-loop".into())
            .spawn(move || event_loop.run(pool))?;
        Ok(ServerHandle {
            local_addr,
            tls_addr,
            admin_addr,
            shared,
            thread: Some(thread),
        })
    }
}

/// A running server. Dropping it stops the server gracefully and waits for it.
pub struct ServerHandle {
    local_addr: SocketAddr,
    tls_addr: Option<SocketAddr>,
    admin_addr: Option<SocketAddr>,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<io::Result<()>>>,
}

impl ServerHandle {
    /// The address the plain HTTP listener is bound to (useful with port 0); with
    /// `--tls_only`, the HTTPS one.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The address the HTTPS listener is bound to, when TLS is on.
    pub fn tls_addr(&self) -> Option<SocketAddr> {
        self.tls_addr
    }

    /// The address the operator listener (`--admin_bind`: `/metrics`, full `/health`) is
    /// bound to, when it is on.
    pub fn admin_addr(&self) -> Option<SocketAddr> {
        self.admin_addr
    }

    /// Re-reads the TLS certificates (`--tls_cert`/`--tls_key`, `--tls_cert_dir`). New
    /// connections use the new ones; open connections keep theirs. On error the old
    /// certificates stay in use. SIGHUP does this for `hbf serve`.
    pub fn reload_tls(&self) -> Result<(), TlsError> {
        self.tls_reloader().reload()
    }

    /// A cloneable handle that can only reload certificates (for a signal-handling thread).
    pub fn tls_reloader(&self) -> TlsReloader {
        TlsReloader {
            shared: self.shared.clone(),
        }
    }

    /// The built-in counters.
    pub fn metrics(&self) -> &Metrics {
        &self.shared.metrics
    }

    /// The configuration the server runs with.
    pub fn config(&self) -> &Config {
        &self.shared.config
    }

    /// Begins a graceful stop: no new connections, in-flight requests finish within
    /// `--shutdown_timeout_ms`, idle connections close. Returns at once.
    pub fn stop(&self) {
        self.stopper().stop();
    }

    /// A cloneable handle that can only stop the server (for signal handlers and other
    /// threads, which must not own the `ServerHandle` itself).
    pub fn stopper(&self) -> StopHandle {
        StopHandle {
            shared: self.shared.clone(),
        }
    }

    /// Whether the event loop has exited.
    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(|t| t.is_finished())
    }

    /// Waits for the server to stop (after `stop()` or a fatal loop error).
    pub fn wait(mut self) -> io::Result<()> {
        self.join()
    }

    fn join(&mut self) -> io::Result<()> {
        match self.thread.take() {
            Some(t) => t
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("event loop panicked"))),
            None => Ok(()),
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        if self.thread.is_some() {
            self.stop();
            let _ = self.join();
        }
    }
}

/// Reloads a server's TLS certificates from any thread; see `ServerHandle::reload_tls`.
#[derive(Clone)]
pub struct TlsReloader {
    shared: Arc<Shared>,
}

impl TlsReloader {
    /// Re-reads the certificates; logs and returns the outcome.
    pub fn reload(&self) -> Result<(), TlsError> {
        let Some(tls) = &self.shared.tls else {
            return Err(TlsError::NotEnabled);
        };
        match tls.reload() {
            Ok(acceptor) => {
                self.shared.log.info(
                    "tls certificates reloaded",
                    &[("sni_names", Field::Str(&acceptor.names.join(",")))],
                );
                Ok(())
            }
            Err(e) => {
                self.shared.log.error(
                    "tls reload failed; keeping the previous certificates",
                    &[("error", Field::Str(&e.to_string()))],
                );
                Err(e)
            }
        }
    }
}

/// Stops a server from any thread; see `ServerHandle::stopper`.
#[derive(Clone)]
pub struct StopHandle {
    shared: Arc<Shared>,
}

impl StopHandle {
    /// Begins a graceful stop, as `ServerHandle::stop`.
    pub fn stop(&self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        let _ = self.shared.waker.wake();
    }
}

/// A non-blocking, close-on-exec listener on `addr` with `backlog` pending connections.
///
/// mio's `TcpListener::bind` always asks for a backlog of 128, which a burst of new
/// connections overflows: the kernel then drops SYNs and those clients wait for a
/// retransmission (1 s, then 3 s, ...), as `stress/idle_keepalive.sh` showed.
fn listen(addr: SocketAddr, backlog: u32) -> io::Result<mio::net::TcpListener> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(i32::try_from(backlog).unwrap_or(i32::MAX))?;
    socket.set_nonblocking(true)?;
    Ok(mio::net::TcpListener::from_std(socket.into()))
}
