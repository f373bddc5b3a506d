//! Writing files without ever leaving one half-written.
//!
//! The new contents go to a temporary file in the same directory (so the rename cannot cross
//! file systems), which is synced and renamed over the target: a reader sees the old file or
//! the new one, never a mix, and a failure leaves the old file as it was.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` atomically. `permissions` are given to the new file (those of the
/// file it replaces); `None` gives an ordinary file (read-write as the umask allows; the
/// temporary file's own default is owner-only).
pub fn atomic_write(
    path: &Path,
    bytes: &[u8],
    permissions: Option<std::fs::Permissions>,
) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    // Said here, or the error would name the temporary file that could not be created.
    if !dir.is_dir() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("directory {} does not exist", dir.display()),
        ));
    }
    let mut builder = tempfile::Builder::new();
    builder.prefix(".forklint-");
    let permissions = permissions.or_else(default_permissions);
    if let Some(p) = &permissions {
        builder.permissions(p.clone());
    }
    let mut tmp = builder.tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    // The umask applied when the file was created; set the exact bits now.
    if let Some(p) = permissions {
        tmp.as_file().set_permissions(p)?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(unix)]
fn default_permissions() -> Option<std::fs::Permissions> {
    use std::os::unix::fs::PermissionsExt;
    // 0o666 less the umask: what `open(…, "w")` would give. The umask cannot be read without
    // changing it, so it is read from the mode a fresh file gets.
    Some(std::fs::Permissions::from_mode(0o666 & !umask()))
}

#[cfg(not(unix))]
fn default_permissions() -> Option<std::fs::Permissions> {
    None
}

#[cfg(unix)]
fn umask() -> u32 {
    // /proc/self/status has the umask on Linux 4.7+; elsewhere assume the usual 022.
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Umask:"))
                .and_then(|v| u32::from_str_radix(v.trim(), 8).ok())
        })
        .unwrap_or(0o022)
}

/// Why a fixed file was not written.
#[derive(Debug, thiserror::Error)]
pub enum FixWriteError {
    #[error("the file changed on disk since it was read; not overwritten (run forklint again)")]
    ChangedOnDisk,
    #[error("the file is read-only; not changed")]
    ReadOnly,
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Replaces the file at `path`, whose contents were `original` when they were analysed, with
/// `fixed`. Nothing is written if the file no longer holds `original` or is read-only. The
/// file's permissions are kept; a symbolic link is followed, so the link stays a link and its
/// target gets the fixed text.
pub fn write_fixed(path: &Path, original: &str, fixed: &str) -> Result<(), FixWriteError> {
    write_fixed_bytes(path, original.as_bytes(), fixed.as_bytes())
}

/// [`write_fixed`] for the bytes of a file in any encoding.
pub fn write_fixed_bytes(path: &Path, original: &[u8], fixed: &[u8]) -> Result<(), FixWriteError> {
    let target: PathBuf = std::fs::canonicalize(path)?;
    let metadata = std::fs::metadata(&target)?;
    if metadata.permissions().readonly() {
        return Err(FixWriteError::ReadOnly);
    }
    let current = std::fs::read(&target)?;
    if current != original {
        return Err(FixWriteError::ChangedOnDisk);
    }
    atomic_write(&target, fixed, Some(metadata.permissions()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_keeps_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.py");
        std::fs::write(&path, "a = 1\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o751)).unwrap();
        }
        write_fixed(&path, "a = 1\n", "b = 2\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "b = 2\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o751);
        }
        // No temporary file is left behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn does_not_overwrite_a_file_changed_since_it_was_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.py");
        std::fs::write(&path, "edited = True\n").unwrap();
        let err = write_fixed(&path, "a = 1\n", "b = 2\n").unwrap_err();
        assert!(matches!(err, FixWriteError::ChangedOnDisk));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "edited = True\n");
    }

    #[test]
    fn does_not_touch_a_read_only_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.py");
        std::fs::write(&path, "a = 1\n").unwrap();
        let mut perms = std::fs::metadata(&path).unwrap().permissions();
        perms.set_readonly(true);
        std::fs::set_permissions(&path, perms).unwrap();
        let err = write_fixed(&path, "a = 1\n", "b = 2\n").unwrap_err();
        assert!(matches!(err, FixWriteError::ReadOnly));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "a = 1\n");
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_stays_a_link_and_its_target_is_fixed() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.py");
        let link = dir.path().join("link.py");
        std::fs::write(&real, "a = 1\n").unwrap();
        std::os::unix::fs::symlink(&real, &link).unwrap();
        write_fixed(&link, "a = 1\n", "b = 2\n").unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "b = 2\n");
    }
}
