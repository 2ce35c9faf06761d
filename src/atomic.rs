//! Atomic, durable file writes: a reader never sees half a file, and a file that was written
//! survives a host crash (its data is flushed before the rename, the directory entry after).

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Writes `contents` to `path` atomically and durably: a temporary file in the same directory,
/// flushed to disk (`fsync`), renamed into place, then the directory flushed so the rename
/// itself survives a crash. On failure the temporary file is removed.
pub fn write_atomic(path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut file = AtomicFile::create(path)?;
    file.write_all(contents)?;
    file.commit()
}

/// A file written by streaming, with the guarantees of [`write_atomic`]: the bytes go through
/// a buffer to a temporary file in the same directory (`.<name>.tmp-<pid>`, see
/// [`is_temporary`]), and [`AtomicFile::commit`] flushes it to disk, renames it into place and
/// flushes the directory. Dropped without a commit (an error on the way), the temporary is
/// removed and `path` is untouched, so a reader never sees half a file.
pub struct AtomicFile {
    path: PathBuf,
    tmp: PathBuf,
    /// `None` only after [`AtomicFile::commit`] took it.
    file: Option<BufWriter<File>>,
}

impl AtomicFile {
    /// Starts writing `path`: creates its temporary.
    pub fn create(path: &Path) -> io::Result<Self> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
        // A leftover of the same name (a killed run, or a link planted to redirect the write
        // elsewhere) is removed, not followed: the temporary is always a new file here.
        let _ = std::fs::remove_file(&tmp);
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        Ok(Self {
            path: path.to_path_buf(),
            tmp,
            file: Some(BufWriter::with_capacity(1 << 16, file)),
        })
    }

    /// The path the file is renamed to by [`AtomicFile::commit`].
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Flushes the buffer and the file to disk, renames the temporary into place and flushes
    /// the directory. On failure the temporary is removed.
    pub fn commit(mut self) -> io::Result<()> {
        let written = (|| {
            let file = self
                .file
                .take()
                .ok_or_else(|| io::Error::other("committed twice"))?;
            let file = file.into_inner().map_err(io::IntoInnerError::into_error)?;
            file.sync_all()?;
            drop(file);
            std::fs::rename(&self.tmp, &self.path)
        })();
        if written.is_err() {
            let _ = std::fs::remove_file(&self.tmp);
            return written;
        }
        // Renamed: nothing for `drop` to remove.
        self.tmp = PathBuf::new();
        sync_dir(
            self.path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new(".")),
        )
    }

    fn writer(&mut self) -> io::Result<&mut BufWriter<File>> {
        self.file
            .as_mut()
            .ok_or_else(|| io::Error::other("written after its commit"))
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.writer()?.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.writer()?.write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.writer()?.flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if !self.tmp.as_os_str().is_empty() {
            drop(self.file.take());
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// [`write_atomic`] with the path in its error: "cannot write <path>: <why>".
pub fn write_named(path: &Path, contents: &[u8]) -> io::Result<()> {
    write_atomic(path, contents)
        .map_err(|e| io::Error::new(e.kind(), format!("cannot write {}: {e}", path.display())))
}

/// Whether a file name is one of this crate's temporaries: hidden, with `.tmp` in it (the
/// `.<name>.tmp-<pid>` of [`write_atomic`] and the plots' `.<name>.<pid>-<n>.tmp.<ext>`).
pub fn is_temporary(name: &str) -> bool {
    name.starts_with('.') && (name.contains(".tmp-") || name.contains(".tmp."))
}

/// Removes the temporaries (see [`is_temporary`]) that a killed run left directly in `dir`, and
/// returns how many. Call it only while holding the directory's lock: a live run's temporaries
/// look the same.
pub fn remove_temporaries(dir: &Path) -> io::Result<usize> {
    let mut removed = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let stale =
            entry.file_type()?.is_file() && is_temporary(&entry.file_name().to_string_lossy());
        if stale {
            std::fs::remove_file(entry.path())?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Flushes a directory's entries to disk (where the platform allows opening a directory).
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
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
    fn only_temporaries_are_removed() {
        let dir = std::env::temp_dir().join(format!("driftlab-tmps-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join(".parts")).unwrap();
        for name in [
            ".steps.csv.tmp-12",
            ".drift.34-0.tmp.png",
            "steps.csv",
            ".lock",
            "a.tmp-1",
        ] {
            std::fs::write(dir.join(name), b"x").unwrap();
        }
        assert_eq!(remove_temporaries(&dir).unwrap(), 2);
        let mut left: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, [".lock", ".parts", "a.tmp-1", "steps.csv"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

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

    /// A streamed file appears whole at its commit; dropped before, it leaves the old file and
    /// no temporary behind.
    #[test]
    fn a_streamed_file_appears_only_at_its_commit() {
        let dir = std::env::temp_dir().join(format!("driftlab-stream-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("probes.csv");
        std::fs::write(&path, b"old\n").unwrap();
        let mut file = AtomicFile::create(&path).unwrap();
        for i in 0..10_000 {
            writeln!(file, "row {i}").unwrap();
        }
        assert_eq!(std::fs::read(&path).unwrap(), b"old\n");
        drop(file);
        assert_eq!(std::fs::read(&path).unwrap(), b"old\n");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        let mut file = AtomicFile::create(&path).unwrap();
        assert_eq!(file.path(), path);
        for i in 0..10_000 {
            writeln!(file, "row {i}").unwrap();
        }
        file.commit().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 10_000);
        assert!(text.ends_with("row 9999\n"));
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
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
