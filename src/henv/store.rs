//! The storage directory's layout: private directories and files, a henv's file set
//! (`{hash}.db` and its `-wal`/`-shm`), sizes and modification times, and the trash folder.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// Suffixes of the files SQLite keeps next to a database in WAL mode.
pub const SIDE_SUFFIXES: [&str; 2] = ["-wal", "-shm"];

/// Folder under the storage directory that `hbf henv delete` moves henv files to.
pub const TRASH_DIR: &str = "trash";

/// Seconds since the Unix epoch, now.
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Creates `dir` (and missing parents) with mode 0700. An existing directory is left as is.
pub fn ensure_private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)?;
    set_mode(dir, 0o700);
    Ok(())
}

/// Makes sure `path` exists with mode 0600 before SQLite opens it, so the `-wal` and `-shm`
/// files SQLite creates next to it (which copy the database file's mode) are private too.
pub fn ensure_private_file(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?;
    set_mode(path, 0o600);
    for side in side_files(path) {
        if side.exists() {
            set_mode(&side, 0o600);
        }
    }
    Ok(())
}

fn set_mode(path: &Path, mode: u32) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode));
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
}

/// `X-wal` and `X-shm` for a database file `X`.
pub fn side_files(db: &Path) -> [PathBuf; 2] {
    SIDE_SUFFIXES.map(|s| {
        let mut name = db.as_os_str().to_owned();
        name.push(s);
        PathBuf::from(name)
    })
}

/// `{storage_dir}/{hash}.db`.
pub fn hash_path(storage_dir: &Path, hash: &str) -> PathBuf {
    storage_dir.join(format!("{hash}.db"))
}

/// Bytes used by a database and its WAL files (0 for missing files).
pub fn files_size(db: &Path) -> u64 {
    std::iter::once(db.to_path_buf())
        .chain(side_files(db))
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum()
}

/// The file's (device, inode): identifies a henv file across renames and re-creations.
pub fn file_identity(path: &Path) -> Option<(u64, u64)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        std::fs::metadata(path).ok().map(|m| (m.len(), 0))
    }
}

/// Moves a database and its WAL files to `{storage_dir}/trash/{hash}-{unix time}.db[-wal|-shm]`
/// (the trash folder is created 0700). Returns the new path of the database file.
pub fn move_to_trash(storage_dir: &Path, db: &Path, hash: &str) -> std::io::Result<PathBuf> {
    let trash = storage_dir.join(TRASH_DIR);
    ensure_private_dir(&trash)?;
    let mut stamp = unix_now();
    let target = loop {
        let candidate = trash.join(format!("{hash}-{stamp}.db"));
        if !candidate.exists() {
            break candidate;
        }
        stamp += 1;
    };
    for (from, to) in side_files(db).iter().zip(side_files(&target)) {
        if from.exists() {
            std::fs::rename(from, to)?;
        }
    }
    std::fs::rename(db, &target)?;
    Ok(target)
}

/// Removes a database and its WAL files (missing ones are fine).
pub fn remove_files(db: &Path) -> std::io::Result<()> {
    for path in std::iter::once(db.to_path_buf()).chain(side_files(db)) {
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    Ok(())
}

/// Hashes of the henv files (`{hash}.db`) in the storage directory.
pub fn henv_files(storage_dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(storage_dir) else {
        return Vec::new();
    };
    let mut out: Vec<String> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let hash = name.strip_suffix(".db")?.to_owned();
            (hash.len() == super::HASH_LEN
                && hash
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase()))
            .then_some(hash)
        })
        .collect();
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_files_and_trash() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("a/b");
        ensure_private_dir(&store).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&store), 0o700);
        let db = hash_path(&store, "abcdefgh");
        ensure_private_file(&db).unwrap();
        assert_eq!(mode(&db), 0o600);
        std::fs::write(side_files(&db)[0].clone(), b"wal").unwrap();
        assert_eq!(files_size(&db), 3);
        assert_eq!(henv_files(&store), vec!["abcdefgh".to_owned()]);
        let moved = move_to_trash(&store, &db, "abcdefgh").unwrap();
        assert!(!db.exists() && moved.exists() && side_files(&moved)[0].exists());
        assert_eq!(mode(&store.join(TRASH_DIR)), 0o700);
        remove_files(&moved).unwrap();
        assert!(!moved.exists() && !side_files(&moved)[0].exists());
    }
}
