//! Memory available to a new run: the machine's `MemAvailable` (`/proc/meminfo`), and the room
//! left under the memory limit of the process's control group, which is what Slurm's `--mem`,
//! a container's `--memory` or a systemd slice set: the smaller of the two.
//!
//! Both cgroup versions are read. Version 2: the process's group is the `0::PATH` line of
//! `/proc/self/cgroup`, under the `cgroup2` mount; each of it and its parents up to the mount
//! may set `memory.max` (`max` for none), and the room at a level is `memory.max` minus
//! `memory.current`. Version 1: the group is the line whose controllers include `memory`,
//! under the `cgroup` mount with the `memory` option; the files are `memory.limit_in_bytes`
//! (a huge number for none) and `memory.usage_in_bytes`. The room is the smallest over every
//! level of both. Mount points come from `/proc/self/mountinfo` (the usual `/sys/fs/cgroup`
//! and `/sys/fs/cgroup/memory` when it cannot be read). A file that is missing or does not
//! hold a number counts as no limit: the estimate is then as good as `MemAvailable`.
//!
//! The parsing is done by pure functions of the files' text; [`available_with`] takes the
//! reader, so every case is tested on given contents.

use std::path::{Component, Path, PathBuf};

/// Memory available to a new process in bytes (`None` where nothing can be read).
pub fn available_memory() -> Option<u64> {
    available_with(&|path| std::fs::read_to_string(path).ok())
}

/// [`available_memory`] with the files read by `read`.
pub(crate) fn available_with(read: &dyn Fn(&Path) -> Option<String>) -> Option<u64> {
    let machine = read(Path::new("/proc/meminfo")).and_then(|t| mem_available(&t));
    let group = cgroup_room(read);
    [machine, group].into_iter().flatten().min()
}

/// `MemAvailable` of a `/proc/meminfo` text, in bytes.
pub(crate) fn mem_available(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

/// A limit at or above this (v1 writes `PAGE_COUNTER_MAX` pages, about 2^63) is no limit.
const NO_LIMIT: u64 = 1 << 60;

/// The bytes a memory-limit file allows: `None` for `max` (v2), a v1 "unlimited" value, or
/// anything that is not a number.
pub(crate) fn limit(text: &str) -> Option<u64> {
    text.trim().parse().ok().filter(|&n| n < NO_LIMIT)
}

/// The room left under a limit, from the text of the limit and usage files (`None`: no limit,
/// or unreadable).
pub(crate) fn room(limit_text: &str, usage_text: &str) -> Option<u64> {
    let limit = limit(limit_text)?;
    let usage: u64 = usage_text.trim().parse().ok()?;
    Some(limit.saturating_sub(usage))
}

/// The process's cgroup path for version 2 (`0::PATH`) in a `/proc/self/cgroup` text.
pub(crate) fn v2_group(proc_cgroup: &str) -> Option<&str> {
    proc_cgroup
        .lines()
        .find_map(|l| l.strip_prefix("0::"))
        .map(str::trim)
}

/// The process's cgroup path for the version 1 memory controller (`N:...memory...:PATH`).
pub(crate) fn v1_group(proc_cgroup: &str) -> Option<&str> {
    proc_cgroup.lines().find_map(|l| {
        let mut parts = l.splitn(3, ':');
        let (_, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
        controllers
            .split(',')
            .any(|c| c == "memory")
            .then_some(path.trim())
    })
}

/// A cgroup mount: where it is mounted, and which path of the hierarchy is its root.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Mount {
    pub root: String,
    pub point: PathBuf,
}

/// The `cgroup2` mount and the version 1 mount with the `memory` controller in a
/// `/proc/self/mountinfo` text.
pub(crate) fn mounts(mountinfo: &str) -> (Option<Mount>, Option<Mount>) {
    let (mut v2, mut v1) = (None, None);
    for line in mountinfo.lines() {
        // ID PARENT MAJ:MIN ROOT POINT OPTIONS [OPTIONAL...] - TYPE SOURCE SUPER_OPTIONS
        let Some((before, after)) = line.split_once(" - ") else {
            continue;
        };
        let fields: Vec<&str> = before.split_whitespace().collect();
        let theirs: Vec<&str> = after.split_whitespace().collect();
        let (Some(root), Some(point), Some(kind)) = (fields.get(3), fields.get(4), theirs.first())
        else {
            continue;
        };
        let mount = Mount {
            root: root.to_string(),
            point: PathBuf::from(point),
        };
        match *kind {
            "cgroup2" if v2.is_none() => v2 = Some(mount),
            "cgroup"
                if v1.is_none()
                    && theirs
                        .get(2)
                        .is_some_and(|o| o.split(',').any(|o| o == "memory")) =>
            {
                v1 = Some(mount)
            }
            _ => {}
        }
    }
    (v2, v1)
}

/// The directories of a group and of each parent up to its mount, deepest first. The group's
/// path is taken relative to the mount's root; only plain names are followed (no `..`).
pub(crate) fn levels(mount: &Mount, group: &str) -> Vec<PathBuf> {
    let relative = Path::new(group)
        .strip_prefix(&mount.root)
        .unwrap_or(Path::new(group));
    let mut dir = mount.point.clone();
    let mut out = vec![dir.clone()];
    for part in relative.components() {
        if let Component::Normal(name) = part {
            dir.push(name);
            out.push(dir.clone());
        }
    }
    out.reverse();
    out
}

/// The room left under the process's cgroup limits (the smallest over every level of both
/// versions), `None` when no level sets a limit that can be read.
pub(crate) fn cgroup_room(read: &dyn Fn(&Path) -> Option<String>) -> Option<u64> {
    let groups = read(Path::new("/proc/self/cgroup"))?;
    let (v2_mount, v1_mount) = read(Path::new("/proc/self/mountinfo"))
        .map(|m| mounts(&m))
        .unwrap_or_default();
    let default = |point: &str| Mount {
        root: "/".into(),
        point: PathBuf::from(point),
    };
    let mut rooms = Vec::new();
    let mut measure = |mount: Mount, group: &str, limit_file: &str, usage_file: &str| {
        for dir in levels(&mount, group) {
            let (Some(l), Some(u)) = (read(&dir.join(limit_file)), read(&dir.join(usage_file)))
            else {
                continue;
            };
            rooms.extend(room(&l, &u));
        }
    };
    if let Some(group) = v2_group(&groups) {
        let mount = v2_mount.unwrap_or_else(|| default("/sys/fs/cgroup"));
        measure(mount, group, "memory.max", "memory.current");
    }
    if let Some(group) = v1_group(&groups) {
        let mount = v1_mount.unwrap_or_else(|| default("/sys/fs/cgroup/memory"));
        measure(
            mount,
            group,
            "memory.limit_in_bytes",
            "memory.usage_in_bytes",
        );
    }
    rooms.into_iter().min()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const GIB: u64 = 1 << 30;

    /// A reader of the given files only.
    fn files(pairs: &[(&str, String)]) -> impl Fn(&Path) -> Option<String> {
        let map: HashMap<PathBuf, String> = pairs
            .iter()
            .map(|(p, t)| (PathBuf::from(p), t.clone()))
            .collect();
        move |p: &Path| map.get(p).cloned()
    }

    fn meminfo(gib: u64) -> String {
        format!(
            "MemTotal:       65000000 kB\nMemFree:  1 kB\nMemAvailable:   {} kB\n",
            gib * GIB / 1024
        )
    }

    #[test]
    fn meminfo_alone() {
        assert_eq!(mem_available(&meminfo(8)), Some(8 * GIB));
        assert_eq!(mem_available("MemFree: 5 kB\n"), None);
        assert_eq!(mem_available("MemAvailable: lots kB\n"), None);
        assert_eq!(
            mem_available("MemAvailable: 99999999999999999999 kB\n"),
            None
        );
        let read = files(&[("/proc/meminfo", meminfo(8))]);
        assert_eq!(available_with(&read), Some(8 * GIB));
        assert_eq!(available_with(&files(&[])), None);
    }

    #[test]
    fn limit_files() {
        assert_eq!(limit("max\n"), None);
        assert_eq!(limit("9223372036854771712\n"), None);
        assert_eq!(limit("4294967296\n"), Some(4 * GIB));
        assert_eq!(limit("garbage"), None);
        assert_eq!(limit(""), None);
        assert_eq!(room("4294967296", "1073741824"), Some(3 * GIB));
        assert_eq!(room("1073741824", "4294967296"), Some(0));
        assert_eq!(room("max", "1"), None);
        assert_eq!(room("4294967296", "-1"), None);
    }

    #[test]
    fn version_2_limits_of_the_group_and_its_parents() {
        let job = "/system.slice/slurmstepd.scope/job_42";
        let read = files(&[
            ("/proc/meminfo", meminfo(64)),
            ("/proc/self/cgroup", format!("0::{job}\n")),
            (
                "/proc/self/mountinfo",
                "30 20 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n".into(),
            ),
            // The job: 4 GiB, 1 used.
            (
                "/sys/fs/cgroup/system.slice/slurmstepd.scope/job_42/memory.max",
                "4294967296\n".into(),
            ),
            (
                "/sys/fs/cgroup/system.slice/slurmstepd.scope/job_42/memory.current",
                "1073741824\n".into(),
            ),
            // Its parent: no limit.
            (
                "/sys/fs/cgroup/system.slice/slurmstepd.scope/memory.max",
                "max\n".into(),
            ),
            (
                "/sys/fs/cgroup/system.slice/slurmstepd.scope/memory.current",
                "8589934592\n".into(),
            ),
        ]);
        assert_eq!(available_with(&read), Some(3 * GIB));
        // A tighter parent wins.
        let read_parent = {
            let inner = read;
            move |p: &Path| {
                if p == Path::new("/sys/fs/cgroup/system.slice/memory.max") {
                    Some("3221225472".into())
                } else if p == Path::new("/sys/fs/cgroup/system.slice/memory.current") {
                    Some("2147483648".into())
                } else {
                    inner(p)
                }
            }
        };
        assert_eq!(available_with(&read_parent), Some(GIB));
    }

    #[test]
    fn version_2_in_a_container_and_without_mountinfo() {
        // A container sees its own group as the root.
        let read = files(&[
            ("/proc/meminfo", meminfo(64)),
            ("/proc/self/cgroup", "0::/\n".into()),
            ("/sys/fs/cgroup/memory.max", "2147483648".into()),
            ("/sys/fs/cgroup/memory.current", "1073741824".into()),
        ]);
        assert_eq!(available_with(&read), Some(GIB));
        // MemAvailable is smaller than the room: it wins.
        let read = files(&[
            ("/proc/meminfo", meminfo(1)),
            ("/proc/self/cgroup", "0::/\n".into()),
            ("/sys/fs/cgroup/memory.max", (8 * GIB).to_string()),
            ("/sys/fs/cgroup/memory.current", "0".into()),
        ]);
        assert_eq!(available_with(&read), Some(GIB));
    }

    #[test]
    fn version_1_memory_controller_in_a_hybrid_layout() {
        let read = files(&[
            ("/proc/meminfo", meminfo(64)),
            (
                "/proc/self/cgroup",
                "9:name=systemd:/\n4:memory:/job/7\n1:cpu,cpuacct:/\n0::/\n".into(),
            ),
            (
                "/proc/self/mountinfo",
                "31 23 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n\
                 35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n\
                 41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n"
                    .into(),
            ),
            (
                "/sys/fs/cgroup/memory/job/7/memory.limit_in_bytes",
                (6 * GIB).to_string(),
            ),
            (
                "/sys/fs/cgroup/memory/job/7/memory.usage_in_bytes",
                (2 * GIB).to_string(),
            ),
            (
                "/sys/fs/cgroup/memory/memory.limit_in_bytes",
                "9223372036854771712".into(),
            ),
            (
                "/sys/fs/cgroup/memory/memory.usage_in_bytes",
                (20 * GIB).to_string(),
            ),
            // The v2 hierarchy has no memory controller here.
            ("/sys/fs/cgroup/unified/cgroup.procs", "1\n".into()),
        ]);
        assert_eq!(available_with(&read), Some(4 * GIB));
    }

    #[test]
    fn missing_and_garbage_files_count_as_no_limit() {
        for (cgroup, max, current) in [
            ("0::/job\n", None, None),
            ("0::/job\n", Some("garbage"), Some("1")),
            ("0::/job\n", Some("max"), Some("1")),
            ("0::/job\n", Some("2147483648"), None),
            ("0::/job\n", Some("2147483648"), Some("lots")),
            ("garbage without colons\n", Some("2147483648"), Some("0")),
            ("", Some("2147483648"), Some("0")),
        ] {
            let mut pairs = vec![
                ("/proc/meminfo", meminfo(5)),
                ("/proc/self/cgroup", cgroup.to_string()),
                ("/proc/self/mountinfo", "garbage\n\n - \n".into()),
            ];
            if let Some(m) = max {
                pairs.push(("/sys/fs/cgroup/job/memory.max", m.into()));
            }
            if let Some(c) = current {
                pairs.push(("/sys/fs/cgroup/job/memory.current", c.into()));
            }
            assert_eq!(
                available_with(&files(&pairs)),
                Some(5 * GIB),
                "{cgroup:?} {max:?} {current:?}"
            );
        }
    }

    #[test]
    fn group_paths_stay_under_their_mount() {
        let mount = Mount {
            root: "/".into(),
            point: "/sys/fs/cgroup".into(),
        };
        assert_eq!(
            levels(&mount, "/a/../../etc"),
            [
                PathBuf::from("/sys/fs/cgroup/a/etc"),
                "/sys/fs/cgroup/a".into(),
                "/sys/fs/cgroup".into()
            ]
        );
        // A mount of a sub-tree: the group is relative to its root.
        let mount = Mount {
            root: "/docker/abc".into(),
            point: "/sys/fs/cgroup/memory".into(),
        };
        assert_eq!(
            levels(&mount, "/docker/abc/x"),
            [
                PathBuf::from("/sys/fs/cgroup/memory/x"),
                "/sys/fs/cgroup/memory".into()
            ]
        );
        assert_eq!(v2_group("1:cpu:/x\n0::/a/b\n"), Some("/a/b"));
        assert_eq!(v1_group("3:cpu,memory:/m\n"), Some("/m"));
        assert_eq!(v1_group("3:memoryless:/m\n"), None);
    }

    #[test]
    fn this_machine_reads_without_panicking() {
        if let Some(bytes) = available_memory() {
            assert!(bytes > 0);
        }
    }
}
