//! Reading a data file of an import within bounds: only a regular file of at most
//! [`MAX_IMPORT_BYTES`], read a line at a time into one buffer of at most [`MAX_LINE_BYTES`],
//! skipping blank and comment lines.

use super::error::WorldError;
use std::fs::{File, Metadata};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

/// Largest data file of an import (4 GiB, about 300 million edges of 9-digit ids), refused
/// before it is read.
pub const MAX_IMPORT_BYTES: u64 = 1 << 32;

/// Longest line of a data file (64 KiB; a data line needs at most 41 bytes).
pub const MAX_LINE_BYTES: usize = 1 << 16;

/// Why the file at `path` cannot be a data file of an import (`what` names it: "edge list"),
/// as a sentence naming the file; `None` when it can be read. Only metadata is read, so a pipe
/// or a device is refused without being opened.
pub(crate) fn file_problem(path: &Path, what: &str) -> Option<String> {
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some(format!(
            "file {} does not exist (a relative path is relative to the scenario file)",
            path.display()
        )),
        Err(e) => Some(format!("cannot read {}: {}", path.display(), e.kind())),
        Ok(meta) => metadata_problem(&meta, path, what),
    }
}

/// Why a file of this metadata cannot be a data file (see [`file_problem`]).
fn metadata_problem(meta: &Metadata, path: &Path, what: &str) -> Option<String> {
    let path = path.display();
    if meta.is_dir() {
        Some(format!(
            "{path} is a directory, not a file: give the {what}"
        ))
    } else if !meta.is_file() {
        Some(format!(
            "{path} is not a regular file (a device, pipe or socket): give the {what}"
        ))
    } else if meta.len() > MAX_IMPORT_BYTES {
        Some(format!(
            "{path} is {} bytes, larger than the limit of {MAX_IMPORT_BYTES} bytes (4 GiB) for a \
             file of an import",
            meta.len()
        ))
    } else {
        None
    }
}

/// Opens a data file after checking it is a regular file within [`MAX_IMPORT_BYTES`], before
/// and (in case it was swapped) after opening. On Linux it is opened without blocking, so a
/// pipe put in its place cannot hang the open.
fn open(path: &Path, what: &str) -> Result<BufReader<File>, WorldError> {
    let refused = |message| WorldError::File {
        path: path.to_path_buf(),
        message,
    };
    let io = |source| WorldError::Io {
        path: path.to_path_buf(),
        source,
    };
    if let Some(message) = file_problem(path, what) {
        return Err(refused(message));
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(io)?;
    if let Some(message) = metadata_problem(&file.metadata().map_err(io)?, path, what) {
        return Err(refused(message));
    }
    Ok(BufReader::with_capacity(1 << 16, file))
}

/// Calls `f` with the number and trimmed text of every line of a data file that is not blank or
/// a comment, and returns how many there were. The file is read a line at a time into one
/// buffer of at most [`MAX_LINE_BYTES`]; an error of `f` is reported at its line.
pub(super) fn for_each_line(
    path: &Path,
    what: &str,
    mut f: impl FnMut(usize, &str) -> Result<(), String>,
) -> Result<u64, WorldError> {
    let mut reader = open(path, what)?;
    let at = |line, message| WorldError::Format {
        path: path.to_path_buf(),
        line,
        message,
    };
    let mut buf = Vec::with_capacity(256);
    let (mut line, mut bytes, mut data) = (0usize, 0u64, 0u64);
    loop {
        buf.clear();
        let n = (&mut reader)
            .take(MAX_LINE_BYTES as u64 + 1)
            .read_until(b'\n', &mut buf)
            .map_err(|source| WorldError::Io {
                path: path.to_path_buf(),
                source,
            })?;
        if n == 0 {
            return Ok(data);
        }
        line += 1;
        bytes += n as u64;
        if bytes > MAX_IMPORT_BYTES {
            return Err(WorldError::File {
                path: path.to_path_buf(),
                message: format!(
                    "{} grew beyond the limit of {MAX_IMPORT_BYTES} bytes (4 GiB) for a file of \
                     an import while it was read",
                    path.display()
                ),
            });
        }
        if buf.last() == Some(&b'\n') {
            buf.pop();
        } else if buf.len() > MAX_LINE_BYTES {
            return Err(at(
                line,
                format!("the line is longer than {MAX_LINE_BYTES} bytes; is this the {what}?"),
            ));
        }
        let text = std::str::from_utf8(&buf).map_err(|e| {
            let i = e.valid_up_to();
            at(
                line,
                format!(
                    "the line is not UTF-8 text (byte {} is 0x{:02x}); give the {what} as plain \
                     text",
                    i + 1,
                    buf[i]
                ),
            )
        })?;
        let text = text.trim();
        if text.is_empty() || text.starts_with('#') || text.starts_with('%') {
            continue;
        }
        data += 1;
        f(line, text).map_err(|message| at(line, message))?;
    }
}

/// The error for a data file without a data line (reported at line 1).
pub(super) fn no_data(path: &Path, what: &str) -> WorldError {
    WorldError::Format {
        path: path.to_path_buf(),
        line: 1,
        message: format!("the file is empty or holds only comments: give the {what}"),
    }
}
