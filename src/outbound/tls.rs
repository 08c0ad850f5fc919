//! The TLS client seam of the outbound engine: mbed TLS in client mode over a non-blocking
//! socket, with SNI and certificate + hostname verification against a CA bundle (the system
//! store or `--fetch_ca_file`). Everything mbed TLS-specific for outbound requests is in this
//! file, so a move to another mbed TLS version touches only it.
//!
//! A configuration without verification exists only for henvs that set `fetch_insecure_tls`;
//! the engine logs every use of it.

use std::io::{self, Read, Write};
use std::path::Path;
use std::sync::{Arc, Once};

use mbedtls::error::codes;
use mbedtls::rng::{CtrDrbg, OsEntropy};
use mbedtls::ssl::config::{AuthMode, Endpoint, Preset, Transport};
use mbedtls::ssl::{Config, Context, Version};
use mbedtls::x509::Certificate;
use mio::net::TcpStream;

/// The two client configurations, built once per engine.
pub(super) struct Connector {
    verified: Arc<Config>,
    insecure: Arc<Config>,
}

impl Connector {
    /// Loads the CA bundle at `ca_file` (PEM, several certificates).
    pub fn new(ca_file: &Path) -> Result<Connector, String> {
        static INIT: Once = Once::new();
        INIT.call_once(|| {
            drop(Config::new(
                Endpoint::Client,
                Transport::Stream,
                Preset::Default,
            ))
        });
        let mut pem = std::fs::read(ca_file)
            .map_err(|e| format!("cannot read CA bundle {}: {e}", ca_file.display()))?;
        pem.push(0); // mbed TLS recognises PEM by its terminating NUL
        let cas = Certificate::from_pem_multiple(&pem)
            .map_err(|e| format!("cannot parse CA bundle {}: {e}", ca_file.display()))?;
        let cas = Arc::new(cas);
        let build = |mode: AuthMode| -> Result<Arc<Config>, String> {
            let mut cfg = Config::new(Endpoint::Client, Transport::Stream, Preset::Default);
            let rng = CtrDrbg::new(Arc::new(OsEntropy::new()), None)
                .map_err(|e| format!("seeding the TLS RNG: {e}"))?;
            cfg.set_rng(Arc::new(rng));
            cfg.set_min_version(Version::Tls1_2)
                .map_err(|e| format!("TLS version: {e}"))?;
            cfg.set_authmode(mode);
            cfg.set_ca_list(cas.clone(), None);
            Ok(Arc::new(cfg))
        };
        Ok(Connector {
            verified: build(AuthMode::Required)?,
            insecure: build(AuthMode::None)?,
        })
    }

    /// A client session over `sock` for `host` (SNI and the name the certificate must carry).
    pub fn stream(&self, sock: Arc<TcpStream>, host: &str, insecure: bool) -> ClientTls {
        let config = if insecure {
            self.insecure.clone()
        } else {
            self.verified.clone()
        };
        ClientTls {
            ctx: Context::new(config),
            sock,
            host: host.to_owned(),
            started: false,
        }
    }
}

/// The socket as mbed TLS sees it.
struct SockIo {
    sock: Arc<TcpStream>,
    eof: bool,
}

impl Read for SockIo {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
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

/// A TLS client session.
pub(super) struct ClientTls {
    ctx: Context<SockIo>,
    sock: Arc<TcpStream>,
    host: String,
    started: bool,
}

impl ClientTls {
    /// Advances the handshake: `Ok(true)` when done, `Ok(false)` when it needs the socket.
    pub fn handshake(&mut self) -> Result<bool, String> {
        let result = if self.started {
            self.ctx.handshake()
        } else {
            self.started = true;
            let io = SockIo {
                sock: self.sock.clone(),
                eof: false,
            };
            // An IP literal is not a valid SNI name; it is still what the certificate must
            // name.
            self.ctx.establish(io, Some(&self.host))
        };
        let e = match result {
            Ok(()) => return Ok(true),
            Err(e) => e,
        };
        match e.high_level() {
            Some(codes::SslWantRead | codes::SslWantWrite) => Ok(false),
            Some(codes::X509CertVerifyFailed) => {
                let detail = match self.ctx.verify_result() {
                    Err(flags) => describe_verify(flags),
                    Ok(()) => "certificate verification failed".into(),
                };
                Err(detail)
            }
            Some(codes::SslFatalAlertMessage) => Err("the server sent a fatal alert".into()),
            Some(codes::SslConnEof) => Err("the server closed the connection".into()),
            _ => Err(format!("handshake failed: {e}")),
        }
    }

    /// Whether the peer closed the TCP connection.
    fn peer_eof(&self) -> bool {
        self.ctx.io().is_none_or(|io| io.eof)
    }
}

/// The verification failure in words.
fn describe_verify(flags: mbedtls::x509::VerifyError) -> String {
    use mbedtls::x509::VerifyError as V;
    let mut why = Vec::new();
    if flags.contains(V::CERT_CN_MISMATCH) {
        why.push("the certificate does not name this host");
    }
    if flags.contains(V::CERT_NOT_TRUSTED) {
        why.push("the certificate is not signed by a trusted CA");
    }
    if flags.contains(V::CERT_EXPIRED) {
        why.push("the certificate has expired");
    }
    if flags.contains(V::CERT_FUTURE) {
        why.push("the certificate is not valid yet");
    }
    if why.is_empty() {
        return format!("certificate verification failed ({flags:?})");
    }
    format!("certificate verification failed: {}", why.join(", "))
}

impl Read for ClientTls {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.ctx.read(buf) {
            Err(e) if e.kind() != io::ErrorKind::WouldBlock && self.peer_eof() => Ok(0),
            other => other,
        }
    }
}

impl Write for ClientTls {
    /// After `WouldBlock` the caller retries with the same bytes.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.ctx.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
