//! An exclusive lock on a results directory, so that two runs never write into the same one:
//! an advisory `flock` on `<dir>/.lock`, held for the whole run and released by the kernel on
//! any exit (kill -9 included). The holder's process id is written into the file so that a
//! refused run can name it.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

/// A held lock; dropping it releases the lock.
#[derive(Debug)]
pub struct DirLock {
    _file: File,
}

/// Why a lock could not be taken.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LockError {
    /// Another live process holds it.
    #[error(
        "{dir} is in use by another driftlab run (process {holder}); wait for it to finish, or \
         write to another --out"
    )]
    Held {
        /// The results directory.
        dir: PathBuf,
        /// The holder's process id, as it wrote it (`?` when unreadable).
        holder: String,
    },
    /// A file system error.
    #[error("{path}: {source}")]
    Io {
        /// The lock file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
}

impl DirLock {
    /// Takes the lock of `dir` (which must exist) without waiting.
    pub fn acquire(dir: &Path) -> Result<Self, LockError> {
        use std::io::{Read, Seek, Write};
        let path = dir.join(".lock");
        let io_err = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io_err)?;
        if !try_lock(&file).map_err(io_err)? {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim();
            return Err(LockError::Held {
                dir: dir.to_path_buf(),
                holder: if holder.is_empty() || holder.len() > 20 {
                    "?".into()
                } else {
                    holder.to_string()
                },
            });
        }
        file.set_len(0).map_err(io_err)?;
        file.rewind().map_err(io_err)?;
        write!(file, "{}", std::process::id()).map_err(io_err)?;
        Ok(Self { _file: file })
    }
}

/// `flock(LOCK_EX | LOCK_NB)`: true when taken, false when another open file description holds
/// it.
#[cfg(target_os = "linux")]
fn try_lock(file: &File) -> io::Result<bool> {
    use std::os::fd::AsRawFd;
    // SAFETY: flock on a file descriptor this process owns (kept open by `file`).
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc == 0 {
        return Ok(true);
    }
    let err = io::Error::last_os_error();
    if err.raw_os_error() == Some(libc::EWOULDBLOCK) {
        Ok(false)
    } else {
        Err(err)
    }
}

/// Without `flock`, no lock (a documented limit).
#[cfg(not(target_os = "linux"))]
fn try_lock(_: &File) -> io::Result<bool> {
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_and_named_until_the_first_lets_go() {
        let dir = std::env::temp_dir().join(format!("driftlab-lock-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let first = DirLock::acquire(&dir).unwrap();
        match DirLock::acquire(&dir) {
            Err(LockError::Held { holder, .. }) => {
                assert_eq!(holder, std::process::id().to_string())
            }
            other => panic!("{other:?}"),
        }
        drop(first);
        assert!(DirLock::acquire(&dir).is_ok());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
