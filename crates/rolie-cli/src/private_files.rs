//! Files only the server's own user may read: the data directory (0700), the SQLite
//! database with its `-wal` and `-shm` companions, and the development secret (0600). They
//! hold every incident and the key to an administrator token.
//!
//! Modes are set explicitly after creation, so the result does not depend on the umask the
//! server was started with. Files and directories that already exist are left as they are:
//! the operator chose them.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

/// Mode of the directories the server creates.
#[cfg(unix)]
const DIRECTORY_MODE: u32 = 0o700;
/// Mode of the files the server creates.
#[cfg(unix)]
const FILE_MODE: u32 = 0o600;

/// Creates `dir` (and missing parents) unless it exists; the directory itself is made
/// owner-only.
///
/// # Errors
/// When it cannot be created.
pub fn create_dir(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(DIRECTORY_MODE))?;
    }
    Ok(())
}

/// Creates `path` as a new, empty, owner-only file; `None` when it already exists.
///
/// # Errors
/// When it cannot be created.
pub fn create_file(path: &Path) -> io::Result<Option<File>> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(FILE_MODE);
    }
    let file = match options.open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Ok(None),
        Err(e) => return Err(e),
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(FILE_MODE))?;
    }
    Ok(Some(file))
}

/// The file a `sqlite:` URL names, when it is a plain file that SQLite would create: not
/// in memory, not opened read-only, not percent-encoded (left to SQLite as written).
///
/// Creating it empty and owner-only before SQLite opens it gives the database that mode,
/// and SQLite gives its `-wal` and `-shm` files the mode of the database file.
pub fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let plain = !path.is_empty() && path != ":memory:" && !path.contains('%');
    (plain && !query.contains("mode=")).then(|| PathBuf::from(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_name_their_file_unless_in_memory_or_read_only() {
        assert_eq!(
            sqlite_file("sqlite://rolie-data/rolie.db"),
            Some(PathBuf::from("rolie-data/rolie.db"))
        );
        assert_eq!(
            sqlite_file("sqlite:///var/lib/rolie/rolie.db?cache=shared"),
            Some(PathBuf::from("/var/lib/rolie/rolie.db"))
        );
        assert_eq!(
            sqlite_file("sqlite:rolie.db"),
            Some(PathBuf::from("rolie.db"))
        );
        for url in [
            "sqlite::memory:",
            "sqlite://:memory:",
            "sqlite://db.sqlite?mode=ro",
            "sqlite://db.sqlite?mode=memory",
            "sqlite://odd%20name.db",
            "postgres://db/rolie",
        ] {
            assert_eq!(sqlite_file(url), None, "{url}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn created_files_and_directories_are_owner_only_whatever_exists() {
        use std::os::unix::fs::PermissionsExt;
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("a/b");
        create_dir(&dir).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        let file = dir.join("f");
        assert!(create_file(&file).unwrap().is_some());
        assert_eq!(mode(&file), 0o600);
        // What exists is left alone.
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
        assert!(create_file(&file).unwrap().is_none());
        assert_eq!(mode(&file), 0o640);
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o750)).unwrap();
        create_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o750);
    }
}
