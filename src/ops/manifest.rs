//! The backup manifest (`manifest.json` in a backup directory): which henvs, their registry
//! entries (hostname, owner, custom domains), and the size and SHA-256 of each copied file.
//! Written last, atomically: a backup directory without a manifest is incomplete.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{io_err, OpsError};

/// The manifest's file name inside a backup directory.
pub const MANIFEST_FILE: &str = "manifest.json";
/// The `format` value this build writes and reads.
pub const FORMAT: &str = "hbf-backup-1";

/// A backup directory's table of contents.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub hbf_version: String,
    /// Unix seconds when the backup started.
    pub created_at: i64,
    pub henvs: Vec<ManifestEntry>,
}

/// One henv in a backup.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ManifestEntry {
    pub hostname: String,
    pub hash: String,
    pub owner: Option<String>,
    #[serde(default)]
    pub domains: Vec<String>,
    /// File name inside the backup directory (`{hash}.db`).
    pub file: String,
    pub bytes: u64,
    /// Lowercase hex SHA-256 of the file.
    pub sha256: String,
}

impl Manifest {
    /// An empty manifest for a backup starting now.
    pub fn new() -> Manifest {
        Manifest {
            format: FORMAT.into(),
            hbf_version: crate::VERSION.into(),
            created_at: crate::henv::store::unix_now(),
            henvs: Vec::new(),
        }
    }

    /// Reads `dir/manifest.json`.
    pub fn read(dir: &Path) -> Result<Manifest, OpsError> {
        let path = dir.join(MANIFEST_FILE);
        let text = std::fs::read_to_string(&path).map_err(io_err(&path))?;
        let manifest: Manifest = serde_json::from_str(&text).map_err(|e| OpsError::Manifest {
            path: path.clone(),
            detail: e.to_string(),
        })?;
        if manifest.format != FORMAT {
            return Err(OpsError::Manifest {
                path,
                detail: format!("format {:?}, expected {FORMAT:?}", manifest.format),
            });
        }
        Ok(manifest)
    }

    /// Writes `dir/manifest.json` atomically (temporary file, fsync, rename).
    pub fn write(&self, dir: &Path) -> Result<PathBuf, OpsError> {
        let path = dir.join(MANIFEST_FILE);
        let tmp = dir.join(format!("{MANIFEST_FILE}.partial"));
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| OpsError::Invalid(format!("cannot encode the manifest: {e}")))?;
        write_synced(&tmp, text.as_bytes())?;
        std::fs::rename(&tmp, &path).map_err(io_err(&path))?;
        sync_dir(dir);
        Ok(path)
    }

    /// The entry for `name`: a hostname, a custom domain or a hash.
    pub fn find(&self, name: &str) -> Option<&ManifestEntry> {
        let name = name.trim().trim_end_matches('.').to_ascii_lowercase();
        self.henvs
            .iter()
            .find(|e| e.hostname == name || e.hash == name || e.domains.contains(&name))
    }
}

impl Default for Manifest {
    fn default() -> Self {
        Manifest::new()
    }
}

/// Lowercase hex SHA-256 and length of the file at `path`.
pub fn sha256_file(path: &Path) -> Result<(String, u64), OpsError> {
    let mut file = std::fs::File::open(path).map_err(io_err(path))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0u64;
    loop {
        let n = file.read(&mut buf).map_err(io_err(path))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        total += n as u64;
    }
    Ok((crate::util::hex(&hasher.finalize()), total))
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), OpsError> {
    use std::io::Write;
    let mut f = std::fs::File::create(path).map_err(io_err(path))?;
    f.write_all(bytes).map_err(io_err(path))?;
    f.sync_all().map_err(io_err(path))
}

/// Fsyncs a directory so a rename in it is durable (best effort).
pub(crate) fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_lookup() {
        let dir = tempfile::tempdir().unwrap();
        let mut m = Manifest::new();
        m.henvs.push(ManifestEntry {
            hostname: "shop.example".into(),
            hash: "abcd1234".into(),
            owner: Some("ann".into()),
            domains: vec!["www.shop.example".into()],
            file: "abcd1234.db".into(),
            bytes: 3,
            sha256: "00".into(),
        });
        m.write(dir.path()).unwrap();
        let back = Manifest::read(dir.path()).unwrap();
        assert_eq!(back.henvs.len(), 1);
        assert!(back.find("SHOP.example.").is_some());
        assert!(back.find("www.shop.example").is_some());
        assert!(back.find("abcd1234").is_some());
        assert!(back.find("other").is_none());
    }

    #[test]
    fn foreign_json_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(MANIFEST_FILE), r#"{"format":"x"}"#).unwrap();
        assert!(matches!(
            Manifest::read(dir.path()),
            Err(OpsError::Manifest { .. })
        ));
    }

    #[test]
    fn sha256_of_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, b"abc").unwrap();
        let (h, n) = sha256_file(&p).unwrap();
        assert_eq!(n, 3);
        assert_eq!(
            h,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
