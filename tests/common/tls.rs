//! TLS helpers for the integration tests: a throwaway PKI made with the `openssl` CLI (root CA,
//! intermediate CA, leaf certificates for several names), a server started with it, and a
//! blocking TLS client built on the same mbed TLS crate the server uses (so a test can hold a
//! keep-alive connection, look at the peer certificate, or write raw bytes under TLS).

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use mbedtls::rng::{CtrDrbg, OsEntropy};
use mbedtls::ssl::config::{AuthMode, Endpoint, Preset, Transport};
use mbedtls::ssl::{Config, Context};
use mbedtls::x509::Certificate;

use super::{parse_response, Resp, IO_TIMEOUT};

/// The leaf certificates every PKI has: file stem → (common name, SANs, key type).
const LEAVES: [(&str, &str, &str, Key); 5] = [
    (
        "localhost",
        "localhost",
        "DNS:localhost,IP:127.0.0.1,DNS:app.test",
        Key::Ec,
    ),
    (
        "localhost-v2",
        "localhost",
        "DNS:localhost,IP:127.0.0.1,DNS:app.test",
        Key::Ec,
    ),
    ("other.test", "other.test", "DNS:other.test", Key::Rsa),
    ("wild.test", "*.wild.test", "DNS:*.wild.test", Key::Ec),
    ("default", "default.test", "DNS:default.test", Key::Ec),
];

#[derive(Clone, Copy)]
enum Key {
    Ec,
    Rsa,
}

/// A root CA, an intermediate CA and leaves issued by the intermediate. Each leaf's `.crt`
/// holds the chain (leaf, then intermediate); clients trust only the root.
pub struct Pki {
    pub dir: PathBuf,
}

impl Pki {
    /// The root CA certificate (what clients trust).
    pub fn ca(&self) -> PathBuf {
        self.dir.join("ca.crt")
    }

    /// `(chain, key)` of a leaf: `localhost`, `localhost-v2`, `other.test`, `wild.test`
    /// (`*.wild.test`), `default`.
    pub fn leaf(&self, name: &str) -> (PathBuf, PathBuf) {
        (
            self.dir.join(format!("{name}.crt")),
            self.dir.join(format!("{name}.key")),
        )
    }

    /// Copies leaves into `dir` under the names `--tls_cert_dir` expects.
    pub fn fill_cert_dir(&self, dir: &Path, leaves: &[(&str, &str)]) {
        for (leaf, as_name) in leaves {
            let (crt, key) = self.leaf(leaf);
            std::fs::copy(crt, dir.join(format!("{as_name}.crt"))).unwrap();
            std::fs::copy(key, dir.join(format!("{as_name}.key"))).unwrap();
        }
    }
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn new_key(dir: &Path, name: &str, key: Key) {
    let key_file = format!("{name}.key");
    match key {
        Key::Ec => openssl(
            dir,
            &[
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-out",
                &key_file,
            ],
        ),
        Key::Rsa => openssl(
            dir,
            &[
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
                "-out",
                &key_file,
            ],
        ),
    }
}

/// Issues `name` (key + certificate) signed by `ca` with the extensions in `ext`.
fn issue(dir: &Path, name: &str, cn: &str, key: Key, ca: &str, ext: &str) {
    new_key(dir, name, key);
    openssl(
        dir,
        &[
            "req",
            "-new",
            "-key",
            &format!("{name}.key"),
            "-subj",
            &format!("/O=hbf-test/OU={name}/CN={cn}"),
            "-out",
            &format!("{name}.csr"),
        ],
    );
    std::fs::write(dir.join(format!("{name}.ext")), ext).unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &format!("{name}.csr"),
            "-CA",
            &format!("{ca}.crt"),
            "-CAkey",
            &format!("{ca}.key"),
            "-CAcreateserial",
            "-days",
            "30",
            "-extfile",
            &format!("{name}.ext"),
            "-out",
            &format!("{name}.crt"),
        ],
    );
}

/// The PKI shared by the tests of one test binary (made once, on first use).
pub fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        let base = Path::new(env!("CARGO_TARGET_TMPDIR"));
        remove_stale_pkis(base);
        let dir = base.join(format!("tls-pki-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        new_key(&dir, "ca", Key::Ec);
        openssl(
            &dir,
            &[
                "req",
                "-x509",
                "-new",
                "-key",
                "ca.key",
                "-subj",
                "/O=hbf-test/CN=hbf test root CA",
                "-days",
                "30",
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
                "-out",
                "ca.crt",
            ],
        );
        issue(
            &dir,
            "int",
            "hbf test intermediate CA",
            Key::Ec,
            "ca",
            "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n",
        );
        for (name, cn, sans, key) in LEAVES {
            let ext = format!(
                "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n\
                 extendedKeyUsage=serverAuth\nsubjectAltName={sans}\n"
            );
            issue(&dir, name, cn, key, "int", &ext);
            // The file the server gets holds the chain: leaf, then the intermediate.
            let mut chain = std::fs::read(dir.join(format!("{name}.crt"))).unwrap();
            chain.extend(std::fs::read(dir.join("int.crt")).unwrap());
            std::fs::write(dir.join(format!("{name}.crt")), chain).unwrap();
        }
        Pki { dir }
    })
}

/// PKIs of earlier runs (older than an hour) are removed.
fn remove_stale_pkis(base: &Path) {
    let Ok(entries) = std::fs::read_dir(base) else {
        return;
    };
    for e in entries.flatten() {
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| SystemTime::now().duration_since(t).ok())
            .is_some_and(|age| age > Duration::from_secs(3600));
        if old && e.file_name().to_string_lossy().starts_with("tls-pki-") {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// Whether the `openssl` CLI is available (every TLS test needs it for the PKI).
pub fn have_openssl() -> bool {
    let ok = Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("note: openssl CLI not found; skipping this test");
    }
    ok
}

// ---------------------------------------------------------------------------------------------
// TLS client
// ---------------------------------------------------------------------------------------------

fn nul_terminated(path: &Path) -> Vec<u8> {
    let mut v = std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    v.push(0);
    v
}

/// A client configuration trusting `ca`; `verify` false accepts any certificate (to look at it).
pub fn client_config(ca: &Path, verify: bool) -> Arc<Config> {
    let mut cfg = Config::new(Endpoint::Client, Transport::Stream, Preset::Default);
    let rng = CtrDrbg::new(Arc::new(OsEntropy::new()), None).expect("seed client RNG");
    cfg.set_rng(Arc::new(rng));
    let roots = Certificate::from_pem_multiple(&nul_terminated(ca)).expect("parse CA");
    cfg.set_ca_list(Arc::new(roots), None);
    cfg.set_authmode(if verify {
        AuthMode::Required
    } else {
        AuthMode::Optional
    });
    Arc::new(cfg)
}

/// A blocking TLS connection. `raw` is a second handle on the same socket, for writing bytes
/// under TLS.
pub struct TlsClient {
    pub ctx: Context<TcpStream>,
    pub raw: TcpStream,
    pub buf: Vec<u8>,
}

/// Connects and completes a handshake (verifying against the PKI root) with `sni` as the server
/// name (also the name verified), or without SNI.
pub fn tls_connect(addr: SocketAddr, sni: Option<&str>) -> Result<TlsClient, String> {
    tls_connect_with(addr, sni, client_config(&pki().ca(), sni.is_some()))
}

pub fn tls_connect_with(
    addr: SocketAddr,
    sni: Option<&str>,
    config: Arc<Config>,
) -> Result<TlsClient, String> {
    let stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT).map_err(|e| e.to_string())?;
    stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
    stream.set_nodelay(true).unwrap();
    let raw = stream.try_clone().unwrap();
    let mut ctx = Context::new(config);
    ctx.establish(stream, sni)
        .map_err(|e| format!("handshake failed: {e}"))?;
    Ok(TlsClient {
        ctx,
        raw,
        buf: Vec::new(),
    })
}

impl TlsClient {
    /// The subject of the server's leaf certificate, e.g. `O=hbf-test, OU=localhost, CN=localhost`.
    pub fn peer_subject(&self) -> String {
        let chain = self
            .ctx
            .peer_cert()
            .expect("session")
            .expect("a peer certificate");
        let leaf = chain.iter().next().expect("a leaf");
        leaf.subject().expect("subject")
    }

    /// The `OU` of the server's certificate: the PKI leaf name it was issued as.
    pub fn peer_leaf(&self) -> String {
        let subject = self.peer_subject();
        subject
            .split(", ")
            .find_map(|p| p.strip_prefix("OU="))
            .unwrap_or_else(|| panic!("no OU in {subject}"))
            .to_owned()
    }

    pub fn alpn(&self) -> Option<String> {
        self.ctx
            .get_alpn_protocol()
            .ok()
            .flatten()
            .map(str::to_owned)
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.ctx
            .write_all(bytes)
            .unwrap_or_else(|e| panic!("TLS write failed: {e}"));
    }

    /// Reads one response (to a non-HEAD request) within `IO_TIMEOUT`.
    pub fn read_response(&mut self) -> Resp {
        let deadline = Instant::now() + IO_TIMEOUT;
        let mut chunk = vec![0u8; 64 * 1024];
        loop {
            match parse_response(&self.buf, false, false) {
                Ok(Some((resp, n))) => {
                    self.buf.drain(..n);
                    return resp;
                }
                Ok(None) => {}
                Err(e) => panic!("bad response: {e}"),
            }
            assert!(
                Instant::now() < deadline,
                "no response within {IO_TIMEOUT:?}"
            );
            match self.ctx.read(&mut chunk) {
                Ok(0) => panic!(
                    "connection closed before a complete response; got {:?}",
                    String::from_utf8_lossy(&self.buf)
                ),
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) => panic!("TLS read failed: {e}"),
            }
        }
    }

    pub fn request(&mut self, raw: &[u8]) -> Resp {
        self.send(raw);
        self.read_response()
    }

    /// Reads until the server ends the session. `Ok(())` means a clean `close_notify`; an error
    /// describes any other ending (TCP close without `close_notify`, reset, timeout).
    pub fn read_to_close(&mut self) -> io::Result<Vec<u8>> {
        let mut chunk = vec![0u8; 16 * 1024];
        let mut got = Vec::new();
        loop {
            match self.ctx.read(&mut chunk) {
                Ok(0) => return Ok(got),
                Ok(n) => got.extend_from_slice(&chunk[..n]),
                Err(e) => return Err(e),
            }
        }
    }
}

/// `GET path` for host `localhost`.
pub fn get_localhost(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").into_bytes()
}
