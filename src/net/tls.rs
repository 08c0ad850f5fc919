//! Native TLS with mbed TLS 2.28: certificate loading, the server policy, SNI, hot reload, and
//! the non-blocking `TlsStream` that the connection state machine drives.
//!
//! Policy (see SECURITY.md): TLS 1.2 only (mbed TLS 2.28 has no TLS 1.3 server, and TLS 1.0/1.1
//! are not even compiled in); ECDHE key exchange with AEAD suites only (AES-GCM and
//! ChaCha20-Poly1305, ECDSA or RSA certificates); curves X25519, P-256, P-384; no renegotiation;
//! no compression (mbed TLS is built without zlib); ALPN `http/1.1`; no client certificates;
//! session resumption by RFC 5077 session tickets (AES-256-GCM, keys rotated every
//! `--tls_ticket_lifetime_secs`, the previous key still accepted; the keys live in memory only
//! and survive certificate reloads, not restarts). AES-GCM runs on AES-NI where the CPU has it.
//!
//! The handshake never blocks: `TlsStream::handshake` runs mbed TLS as far as the socket allows
//! and reports `WouldBlock` when it needs the peer (WANT_READ) or room in the send buffer
//! (WANT_WRITE). Sockets are registered for both readiness kinds, edge-triggered, so whichever
//! comes next drives the next step.
//!
//! Certificates live in an `Acceptor`, held in an `Arc` that `TlsState::reload` swaps: new
//! connections take the current one; a connection keeps the configuration it started with
//! (its mbed TLS context holds an `Arc` to it) until it closes.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::os::raw::c_int;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Once, RwLock};
use std::time::Instant;

use mbedtls::alloc::List as CertList;
use mbedtls::cipher::raw::CipherType;
use mbedtls::error::codes;
use mbedtls::pk::{EcGroupId, Pk};
use mbedtls::rng::{CtrDrbg, OsEntropy};
use mbedtls::ssl::config::{
    AuthMode, Endpoint, NullTerminatedStrList, Preset, Renegotiation, Transport as SslTransport,
};
use mbedtls::ssl::{Config as SslConfig, Context, TicketContext, Version};
use mbedtls::x509::Certificate;
use mio::net::TcpStream;

use crate::config::Config;

/// The cipher suites HBF offers, in order of preference (IANA numbers).
pub const CIPHER_SUITES: [(c_int, &str); 6] = [
    (0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"),
    (0xC02C, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"),
    (0xCCA9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"),
    (0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
    (0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"),
    (0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"),
];

/// The first byte of every TLS handshake record.
const TLS_HANDSHAKE_RECORD: u8 = 0x16;

/// Why TLS could not be set up. `Display` names the flag and the file.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("{flag}: cannot read {}: {reason}", path.display())]
    Read {
        flag: &'static str,
        path: PathBuf,
        reason: String,
    },
    #[error("{flag}: cannot parse {}: {reason}", path.display())]
    Parse {
        flag: &'static str,
        path: PathBuf,
        reason: String,
    },
    #[error("{flag}: {} does not match the certificate in {}", key.display(), cert.display())]
    Mismatch {
        flag: &'static str,
        key: PathBuf,
        cert: PathBuf,
    },
    #[error("--tls_cert_dir: {}: {reason}", dir.display())]
    Dir { dir: PathBuf, reason: String },
    #[error("TLS is not enabled (no --tls_port)")]
    NotEnabled,
    #[error("cannot set up TLS: {0}")]
    Setup(String),
}

fn setup(what: &str) -> impl Fn(mbedtls::Error) -> TlsError + '_ {
    move |e| TlsError::Setup(format!("{what}: {e}"))
}

/// A certificate chain and its private key.
#[derive(Clone)]
struct Identity {
    chain: Arc<CertList<Certificate>>,
    key: Arc<Pk>,
}

/// Reads a PEM file into a NUL-terminated buffer (mbed TLS needs the NUL to detect PEM).
fn read_pem(flag: &'static str, path: &Path) -> Result<Vec<u8>, TlsError> {
    let mut bytes = std::fs::read(path).map_err(|e| TlsError::Read {
        flag,
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    bytes.push(0);
    Ok(bytes)
}

/// mbed TLS parse errors in words.
fn parse_reason(e: &mbedtls::Error) -> String {
    let words = match e.high_level() {
        Some(codes::PkPasswordRequired | codes::PkPasswordMismatch) => {
            "the key is encrypted; HBF needs an unencrypted key"
        }
        Some(codes::PkKeyInvalidFormat | codes::PkKeyInvalidVersion) => {
            "not a valid private key (PEM or DER; PKCS#1, SEC1 or PKCS#8)"
        }
        Some(codes::PkUnknownPkAlg | codes::PkFeatureUnavailable) => {
            "unsupported key type (use EC P-256/P-384 or RSA)"
        }
        Some(
            codes::X509InvalidFormat
            | codes::X509InvalidVersion
            | codes::X509InvalidSerial
            | codes::X509InvalidAlg
            | codes::X509InvalidName
            | codes::X509InvalidDate
            | codes::X509InvalidSignature
            | codes::X509InvalidExtensions
            | codes::X509CertUnknownFormat,
        ) => "not a valid X.509 certificate",
        Some(codes::X509UnknownSigAlg | codes::X509FeatureUnavailable) => {
            "unsupported certificate (signature algorithm)"
        }
        _ => return format!("{e}"),
    };
    match e.high_level() {
        Some(code) => format!("{words} (mbed TLS: {code:?})"),
        None => words.to_owned(),
    }
}

/// Loads a certificate chain (leaf first) and its key, and checks that they belong together.
fn load_identity(
    cert_flag: &'static str,
    cert_path: &Path,
    key_flag: &'static str,
    key_path: &Path,
) -> Result<Identity, TlsError> {
    let parse_err = |flag, path: &Path, e: mbedtls::Error| TlsError::Parse {
        flag,
        path: path.to_owned(),
        reason: parse_reason(&e),
    };
    let cert_pem = read_pem(cert_flag, cert_path)?;
    if !cert_pem.windows(11).any(|w| w == b"-----BEGIN ") {
        return Err(TlsError::Parse {
            flag: cert_flag,
            path: cert_path.to_owned(),
            reason: "no PEM certificate in the file".into(),
        });
    }
    let chain = Certificate::from_pem_multiple(&cert_pem)
        .map_err(|e| parse_err(cert_flag, cert_path, e))?;
    let key_pem = read_pem(key_flag, key_path)?;
    let key = Pk::from_private_key(&key_pem, None).map_err(|e| parse_err(key_flag, key_path, e))?;
    let leaf = chain.iter().next().ok_or_else(|| TlsError::Parse {
        flag: cert_flag,
        path: cert_path.to_owned(),
        reason: "no certificate in the file".into(),
    })?;
    if !Pk::check_pair(leaf.public_key(), &key) {
        return Err(TlsError::Mismatch {
            flag: key_flag,
            key: key_path.to_owned(),
            cert: cert_path.to_owned(),
        });
    }
    Ok(Identity {
        chain: Arc::new(chain),
        key: Arc::new(key),
    })
}

/// Where the certificates come from: `--tls_cert`/`--tls_key` and/or `--tls_cert_dir`.
#[derive(Clone, Debug)]
pub(crate) struct CertSource {
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
    dir: Option<PathBuf>,
}

impl CertSource {
    pub fn from_config(c: &Config) -> Option<CertSource> {
        c.tls_port?;
        Some(CertSource {
            cert: c.tls_cert.clone(),
            key: c.tls_key.clone(),
            dir: c.tls_cert_dir.clone(),
        })
    }

    /// The default identity and the per-hostname ones.
    fn load(&self) -> Result<(Identity, HashMap<String, Identity>), TlsError> {
        let mut by_name = HashMap::new();
        let mut dir_default = None;
        if let Some(dir) = &self.dir {
            let dir_err = |e: io::Error| TlsError::Dir {
                dir: dir.clone(),
                reason: e.to_string(),
            };
            let mut certs: Vec<PathBuf> = std::fs::read_dir(dir)
                .map_err(dir_err)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "crt"))
                .collect();
            certs.sort();
            for cert in certs {
                let Some(name) = cert.file_stem().and_then(|s| s.to_str()) else {
                    continue;
                };
                let name = name.to_ascii_lowercase();
                let key = cert.with_extension("key");
                if !key.exists() {
                    return Err(TlsError::Dir {
                        dir: dir.clone(),
                        reason: format!("{} has no matching {}", file_name(&cert), file_name(&key)),
                    });
                }
                let id = load_identity("--tls_cert_dir", &cert, "--tls_cert_dir", &key)?;
                if name == "default" {
                    dir_default = Some(id);
                } else {
                    by_name.insert(name, id);
                }
            }
        }
        let default = match (&self.cert, &self.key) {
            (Some(cert), Some(key)) => load_identity("--tls_cert", cert, "--tls_key", key)?,
            _ => match dir_default {
                Some(id) => id,
                None => match &self.dir {
                    Some(dir) => {
                        return Err(TlsError::Dir {
                            dir: dir.clone(),
                            reason: "no default.crt/default.key (and no --tls_cert/--tls_key)"
                                .into(),
                        })
                    }
                    None => return Err(TlsError::Setup("no certificate configured".into())),
                },
            },
        };
        Ok((default, by_name))
    }
}

fn file_name(p: &Path) -> String {
    p.file_name().map_or_else(
        || p.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// A ready-to-use server configuration: policy, RNG, default certificate, SNI table.
pub(crate) struct Acceptor {
    config: Arc<SslConfig>,
    /// Hostnames with their own certificate.
    pub names: Vec<String>,
}

/// Session-ticket keys: one set per server, shared by every acceptor (so tickets survive a
/// certificate reload). mbed TLS rotates the key every lifetime and accepts the previous one.
fn ticket_keys(lifetime_secs: u32) -> Result<Option<Arc<TicketContext>>, TlsError> {
    if lifetime_secs == 0 {
        return Ok(None);
    }
    init_mbedtls_tables();
    let rng = CtrDrbg::new(Arc::new(OsEntropy::new()), None).map_err(setup("ticket RNG"))?;
    let tickets = TicketContext::new(Arc::new(rng), CipherType::Aes256Gcm, lifetime_secs)
        .map_err(setup("session tickets"))?;
    Ok(Some(Arc::new(tickets)))
}

/// mbed TLS fills a few tables (the list of supported cipher suites, for one) on first use.
/// Do that once, before two threads can race on it (a reload, or several servers in one
/// process).
fn init_mbedtls_tables() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        drop(SslConfig::new(
            Endpoint::Server,
            SslTransport::Stream,
            Preset::Default,
        ))
    });
}

impl Acceptor {
    fn build(
        source: &CertSource,
        tickets: Option<&Arc<TicketContext>>,
    ) -> Result<Acceptor, TlsError> {
        init_mbedtls_tables();
        let (default, by_name) = source.load()?;
        let mut cfg = SslConfig::new(Endpoint::Server, SslTransport::Stream, Preset::Default);
        let entropy = Arc::new(OsEntropy::new());
        let rng = CtrDrbg::new(entropy, None).map_err(setup("seeding the RNG"))?;
        cfg.set_rng(Arc::new(rng));
        cfg.set_min_version(Version::Tls1_2)
            .map_err(setup("minimum version"))?;
        cfg.set_max_version(Version::Tls1_2)
            .map_err(setup("maximum version"))?;
        let mut suites: Vec<c_int> = CIPHER_SUITES.iter().map(|(id, _)| *id).collect();
        suites.push(0);
        cfg.set_ciphersuites(Arc::new(suites));
        cfg.set_curves(Arc::new(vec![
            EcGroupId::Curve25519.into(),
            EcGroupId::SecP256R1.into(),
            EcGroupId::SecP384R1.into(),
            EcGroupId::None.into(),
        ]));
        cfg.set_renegotiation(Renegotiation::Disabled);
        if let Some(tickets) = tickets {
            cfg.set_session_tickets_callback(tickets.clone());
        }
        cfg.set_authmode(AuthMode::None);
        let alpn = NullTerminatedStrList::new(&["http/1.1"]).map_err(setup("ALPN"))?;
        cfg.set_alpn_protocols(Arc::new(alpn))
            .map_err(setup("ALPN"))?;
        cfg.push_cert(default.chain, default.key)
            .map_err(setup("default certificate"))?;
        let mut names: Vec<String> = by_name.keys().cloned().collect();
        names.sort();
        if !by_name.is_empty() {
            cfg.set_sni_callback(move |ctx, name: &[u8]| {
                let Ok(name) = std::str::from_utf8(name) else {
                    return Ok(()); // unreadable name: the default certificate
                };
                let name = name.trim_end_matches('.').to_ascii_lowercase();
                let wildcard = name.split_once('.').map(|(_, rest)| format!("*.{rest}"));
                let id = by_name
                    .get(&name)
                    .or_else(|| wildcard.and_then(|w| by_name.get(&w)));
                if let Some(id) = id {
                    ctx.push_cert(id.chain.clone(), id.key.clone())?;
                }
                Ok(())
            });
        }
        Ok(Acceptor {
            config: Arc::new(cfg),
            names,
        })
    }

    /// Wraps an accepted socket; the handshake starts on its first readiness.
    pub fn stream(&self, sock: TcpStream) -> TlsStream {
        let sock = Arc::new(sock);
        TlsStream {
            session: Some(Box::new(Session {
                ctx: Context::new(self.config.clone()),
                sock: sock.clone(),
                first_byte: None,
            })),
            sock,
            established: false,
            started: Instant::now(),
        }
    }
}

/// TLS for the whole server: where certificates come from and the acceptor in use.
pub(crate) struct TlsState {
    source: CertSource,
    tickets: Option<Arc<TicketContext>>,
    current: RwLock<Arc<Acceptor>>,
}

impl TlsState {
    /// Loads the certificates named by `config`; `None` when TLS is off.
    pub fn load(config: &Config) -> Result<Option<TlsState>, TlsError> {
        let Some(source) = CertSource::from_config(config) else {
            return Ok(None);
        };
        let tickets = ticket_keys(config.tls_ticket_lifetime_secs)?;
        let acceptor = Acceptor::build(&source, tickets.as_ref())?;
        Ok(Some(TlsState {
            source,
            tickets,
            current: RwLock::new(Arc::new(acceptor)),
        }))
    }

    /// The acceptor new connections use.
    pub fn current(&self) -> Arc<Acceptor> {
        match self.current.read() {
            Ok(a) => a.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Re-reads every certificate; on success new connections use them. On failure the old
    /// ones stay in use. Returns the acceptor now in use.
    pub fn reload(&self) -> Result<Arc<Acceptor>, TlsError> {
        let acceptor = Arc::new(Acceptor::build(&self.source, self.tickets.as_ref())?);
        match self.current.write() {
            Ok(mut a) => *a = acceptor.clone(),
            Err(poisoned) => *poisoned.into_inner() = acceptor.clone(),
        }
        Ok(acceptor)
    }
}

/// Bytes read from the socket at once for mbed TLS: several small records (a request is
/// usually one). mbed TLS's reads of a larger record body go to the socket directly.
const READ_AHEAD: usize = 4096;

/// The socket as mbed TLS sees it. It shares the socket with `TlsStream` so that the stream can
/// still shut it down and drain it (lingering close) after the TLS session is closed.
///
/// Reads are buffered: mbed TLS asks for a record's 5-byte header and then for its body, two
/// `recv` calls per record unbuffered; one read-ahead serves both (and any records behind
/// them). The buffer exists only during a read burst: it is freed when the socket has nothing
/// more (`WouldBlock`), so an idle connection holds none.
struct SockIo {
    sock: Arc<TcpStream>,
    /// The peer closed the TCP connection (possibly without a `close_notify`).
    eof: bool,
    ahead: Vec<u8>,
    pos: usize,
}

impl Read for SockIo {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos < self.ahead.len() {
            let n = buf.len().min(self.ahead.len() - self.pos);
            buf[..n].copy_from_slice(&self.ahead[self.pos..self.pos + n]);
            self.pos += n;
            return Ok(n);
        }
        if buf.len() >= READ_AHEAD {
            return self.read_socket(buf);
        }
        let mut ahead = std::mem::take(&mut self.ahead);
        ahead.resize(READ_AHEAD, 0);
        // On an error (WouldBlock: the burst is over) the buffer is dropped here.
        let n = self.read_socket(&mut ahead)?;
        ahead.truncate(n);
        let give = buf.len().min(n);
        buf[..give].copy_from_slice(&ahead[..give]);
        self.ahead = ahead;
        self.pos = give;
        Ok(give)
    }
}

impl SockIo {
    fn new(sock: Arc<TcpStream>) -> SockIo {
        SockIo {
            sock,
            eof: false,
            ahead: Vec::new(),
            pos: 0,
        }
    }

    fn read_socket(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = (&*self.sock).read(buf)?;
        if n == 0 {
            self.eof = true;
        }
        Ok(n)
    }
}

impl Write for SockIo {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&*self.sock).write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// How a handshake step ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Handshake {
    /// Established: application data may flow.
    Done,
    /// Needs the peer or the socket; retry on the next readiness event.
    Wait,
    /// Failed; the label says why (`hbf_handshakes_total{result=...}`).
    Failed(&'static str),
}

/// The mbed TLS session of one connection: what a handshake step needs, and nothing the loop
/// owns, so the step can run on a handshake-pool thread (`net::handshake`) while the
/// connection stays parked in `Handshake`. `Send`: the socket inside is an `Arc<TcpStream>`.
pub(crate) struct Session {
    ctx: Context<SockIo>,
    sock: Arc<TcpStream>,
    first_byte: Option<u8>,
}

impl Session {
    /// Advances the handshake as far as the socket allows (one step: it never blocks).
    pub fn handshake(&mut self) -> Handshake {
        if self.first_byte.is_none() {
            // Look before mbed TLS does: a client speaking plain HTTP (or anything else) to the
            // TLS port is recognised and closed without a reply.
            let mut b = [0u8; 1];
            match self.sock.peek(&mut b) {
                Ok(0) => return Handshake::Failed("eof"),
                Ok(_) => self.first_byte = Some(b[0]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Handshake::Wait,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => return Handshake::Wait,
                Err(_) => return Handshake::Failed("io"),
            }
            if b[0] != TLS_HANDSHAKE_RECORD {
                return Handshake::Failed("not_tls");
            }
            let io = SockIo::new(self.sock.clone());
            return self.step(|ctx| ctx.establish(io, None));
        }
        self.step(|ctx| ctx.handshake())
    }

    fn step(&mut self, f: impl FnOnce(&mut Context<SockIo>) -> mbedtls::Result<()>) -> Handshake {
        let e = match f(&mut self.ctx) {
            Ok(()) => return Handshake::Done,
            Err(e) => e,
        };
        if e.low_level() == Some(codes::NetRecvFailed)
            || e.low_level() == Some(codes::NetSendFailed)
        {
            return Handshake::Failed("io");
        }
        match e.high_level() {
            Some(codes::SslWantRead | codes::SslWantWrite) => Handshake::Wait,
            Some(codes::SslConnEof) => Handshake::Failed("eof"),
            Some(codes::SslBadHsProtocolVersion) => Handshake::Failed("version"),
            Some(codes::SslNoCipherChosen | codes::SslNoUsableCiphersuite) => {
                Handshake::Failed("no_shared_cipher")
            }
            Some(codes::SslFatalAlertMessage) => Handshake::Failed("client_alert"),
            Some(_) => Handshake::Failed("bad_message"),
            None => Handshake::Failed("other"),
        }
    }
}

/// A TLS server session over a non-blocking socket. The session is absent only while a
/// handshake step runs on the handshake pool.
pub(crate) struct TlsStream {
    session: Option<Box<Session>>,
    sock: Arc<TcpStream>,
    established: bool,
    /// When the connection was accepted (for the handshake duration).
    pub started: Instant,
}

/// What `TlsStream` answers while its session is away on the handshake pool (never asked: a
/// parked connection neither reads nor writes).
fn session_away() -> io::Error {
    io::Error::new(
        io::ErrorKind::WouldBlock,
        "TLS session on the handshake pool",
    )
}

impl TlsStream {
    /// The socket (for registration and shutdown).
    pub fn socket(&self) -> &TcpStream {
        &self.sock
    }

    /// Advances the handshake on this thread as far as the socket allows.
    pub fn handshake(&mut self) -> Handshake {
        let Some(session) = &mut self.session else {
            return Handshake::Wait;
        };
        let outcome = session.handshake();
        self.established = matches!(outcome, Handshake::Done);
        outcome
    }

    /// Takes the session out for a handshake step elsewhere (the handshake pool).
    pub fn take_session(&mut self) -> Option<Box<Session>> {
        self.session.take()
    }

    /// Puts the session back after a step elsewhere, with that step's outcome.
    pub fn restore_session(&mut self, session: Box<Session>, outcome: &Handshake) {
        self.session = Some(session);
        self.established = matches!(outcome, Handshake::Done);
    }

    fn peer_eof(&self) -> bool {
        // `io()` is gone once mbed TLS closed the session after a fatal error.
        self.session
            .as_ref()
            .is_some_and(|s| s.ctx.io().is_some_and(|io| io.eof))
    }

    /// The negotiated protocol and suite, e.g. `TLSv1.2 TLS_ECDHE_...`, for debug logs.
    pub fn describe(&self) -> String {
        let suite = self.session.as_ref().and_then(|s| s.ctx.ciphersuite().ok());
        let name = CIPHER_SUITES
            .iter()
            .find(|(id, _)| suite.is_some_and(|s| c_int::from(s) == *id))
            .map_or("?", |(_, n)| n);
        format!("TLSv1.2 {name}")
    }

    /// Sends `close_notify` (best effort) and shuts down the sending side of the socket. The
    /// socket stays open for a lingering close, read with `read_raw`.
    pub fn shutdown_write(&mut self) -> io::Result<()> {
        if self.established {
            if let Some(session) = &mut self.session {
                session.ctx.close(); // close_notify, then mbed TLS lets go of the socket
            }
            self.established = false;
        }
        self.sock.shutdown(Shutdown::Write)
    }

    /// Reads (and discards, at the caller) raw bytes after `shutdown_write`.
    pub fn read_raw(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self.sock).read(buf)
    }
}

impl Read for TlsStream {
    /// Decrypted application data. `WouldBlock` when mbed TLS needs the socket (either way);
    /// `Ok(0)` at `close_notify` or when the peer closed the TCP connection.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let Some(session) = &mut self.session else {
            return Err(session_away());
        };
        match session.ctx.read(buf) {
            Err(e) if e.kind() != io::ErrorKind::WouldBlock && self.peer_eof() => Ok(0),
            other => other,
        }
    }
}

impl Write for TlsStream {
    /// Encrypts and sends. After `WouldBlock` the caller must retry with the same bytes (mbed TLS
    /// may already hold them in its output buffer), which the connection's write loop does.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.session {
            Some(session) => session.ctx.write(buf),
            None => Err(session_away()),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The connection's byte stream: the one seam between HTTP and the socket. Plain and TLS
/// connections run the same HTTP code over it.
pub(crate) enum Transport {
    Plain(TcpStream),
    Tls(Box<TlsStream>),
    /// Bytes in memory, for driving the state machine in tests and fuzzing.
    #[cfg(any(test, feature = "fuzzing"))]
    Memory(Box<super::fuzzing::MemoryIo>),
}

impl Transport {
    pub fn is_tls(&self) -> bool {
        matches!(self, Transport::Tls(_))
    }

    /// The underlying socket (registration, deregistration); none in memory.
    pub fn socket(&self) -> Option<&TcpStream> {
        match self {
            Transport::Plain(s) => Some(s),
            Transport::Tls(t) => Some(t.socket()),
            #[cfg(any(test, feature = "fuzzing"))]
            Transport::Memory(_) => None,
        }
    }

    /// Ends our side: `close_notify` for TLS, then a TCP half-close.
    pub fn shutdown_write(&mut self) -> io::Result<()> {
        match self {
            Transport::Plain(s) => s.shutdown(Shutdown::Write),
            Transport::Tls(t) => t.shutdown_write(),
            #[cfg(any(test, feature = "fuzzing"))]
            Transport::Memory(m) => m.shutdown_write(),
        }
    }

    /// Reads bytes below TLS (for the lingering close, which only discards).
    pub fn read_raw(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Transport::Plain(s) => s.read(buf),
            Transport::Tls(t) => t.read_raw(buf),
            #[cfg(any(test, feature = "fuzzing"))]
            Transport::Memory(m) => m.read(buf),
        }
    }
}

impl Read for Transport {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Transport::Plain(s) => s.read(buf),
            Transport::Tls(t) => t.read(buf),
            #[cfg(any(test, feature = "fuzzing"))]
            Transport::Memory(m) => m.read(buf),
        }
    }
}

impl Write for Transport {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Transport::Plain(s) => s.write(buf),
            Transport::Tls(t) => t.write(buf),
            #[cfg(any(test, feature = "fuzzing"))]
            Transport::Memory(m) => m.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
