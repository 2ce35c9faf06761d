//! Atomic, durable file writes: a reader never sees half a file, and a file that was written
//! survives a host crash (its data is flushed before the rename, the directory entry after).

use std::io::{self, Write};
use std::path::Path;

/// Writes `contents` to `path` atomically and durably: a temporary file in the same directory,
/// flushed to disk (`fsync`), renamed into place, then the directory flushed so the rename
/// itself survives a crash. On failure the temporary file is removed.
pub fn write_atomic(path: &Path, contents: &[u8]) -> io::Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    let written = (|| {
        // A leftover of the same name (a killed run, or a link planted to redirect the write
        // elsewhere) is removed, not followed: the temporary is always a new file here.
        let _ = std::fs::remove_file(&tmp);
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        file.write_all(contents)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
        return written;
    }
    sync_dir(
        path.parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new(".")),
    )
}

/// Flushes a directory's entries to disk (where the platform allows opening a directory).
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        std::fs::File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_whole_files_and_leaves_no_temporary_behind() {
        let dir = std::env::temp_dir().join(format!("driftlab-atomic-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("x.csv");
        write_atomic(&path, b"a,b\n1,2\n").unwrap();
        write_atomic(&path, b"a,b\n3,4\n").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"a,b\n3,4\n");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        // A failed write (the target is a directory) leaves nothing behind.
        let sub = dir.join("sub");
        std::fs::create_dir_all(&sub).unwrap();
        assert!(write_atomic(&sub, b"x").is_err());
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 2);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A link planted at the temporary's name (a hostile results directory) is replaced, not
    /// written through: nothing is written outside the directory.
    #[cfg(unix)]
    #[test]
    fn a_planted_link_at_the_temporary_name_is_not_followed() {
        let root =
            std::env::temp_dir().join(format!("driftlab-atomic-link-{}", std::process::id()));
        let (dir, outside) = (root.join("results"), root.join("outside"));
        std::fs::create_dir_all(&dir).unwrap();
        let tmp = dir.join(format!(".x.csv.tmp-{}", std::process::id()));
        std::os::unix::fs::symlink(&outside, &tmp).unwrap();
        write_atomic(&dir.join("x.csv"), b"data").unwrap();
        assert!(!outside.exists());
        assert_eq!(std::fs::read(dir.join("x.csv")).unwrap(), b"data");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        let _ = std::fs::remove_dir_all(&root);
    }
}
