//! Where a problem caused by an assignment is reported. A scenario is its file with
//! assignments applied over it: the command line's `--set`s, then, for a point of the file's
//! `[sweep]`, the point's values. A problem a `--set` caused is blamed on the command line;
//! one a sweep value caused is blamed on that value's key in the file's `[sweep]`, so the
//! message names the file and the line that holds the value.

use super::locate;

/// Where assignments are blamed that were given on the command line.
pub(super) const COMMAND_LINE: &str = "command line";

/// The text a scenario was read from, where from, and the assignments applied over it.
#[derive(Clone, Copy, Debug)]
pub(super) struct Input<'a> {
    /// The file's text.
    pub text: &'a str,
    /// The file (or `<embedded quickstart>`).
    pub origin: &'a str,
    /// Every assignment, in order: the command line's `--set`s, then a sweep point's.
    pub sets: &'a [String],
    /// How many of `sets` come from the command line.
    pub command_line: usize,
    /// Whether `--replicates` was given.
    pub replicates_overridden: bool,
}

/// Where a problem is reported: the file (or the command line), its line, and the words that
/// name the assignment at fault (`--set KEY=VALUE: `), if the message needs them.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Place {
    pub file: String,
    pub line: Option<usize>,
    pub prefix: String,
}

impl Input<'_> {
    /// Where the problem caused by `sets[index]` is reported.
    fn place_of(&self, index: usize) -> Place {
        let set = &self.sets[index];
        if index < self.command_line {
            return Place {
                file: COMMAND_LINE.into(),
                line: None,
                prefix: set_prefix(Some(set)),
            };
        }
        let key = set.split_once('=').map_or(set.as_str(), |(k, _)| k).trim();
        Place {
            file: self.origin.to_string(),
            line: locate::line_of(self.text, &format!("sweep.{key:?}")),
            prefix: String::new(),
        }
    }

    /// Where the problem caused by the assignment `set` (as given) is reported.
    pub fn place_of_set(&self, set: &str) -> Place {
        match self.sets.iter().rposition(|s| s == set) {
            Some(index) => self.place_of(index),
            None => Place {
                file: COMMAND_LINE.into(),
                line: None,
                prefix: set_prefix(Some(set)),
            },
        }
    }

    /// The assignment that touched `key` (the last one wins), if any, and where a problem with
    /// `key` is then reported.
    pub fn blame(&self, key: &str) -> Option<Place> {
        let inside = |a: &str, b: &str| {
            a == b || a.strip_prefix(b).is_some_and(|r| r.starts_with(['.', '[']))
        };
        self.sets
            .iter()
            .rposition(|s| {
                let k = s.split_once('=').map_or(s.as_str(), |(k, _)| k).trim();
                !k.is_empty() && (inside(key, k) || inside(k, key))
            })
            .map(|index| self.place_of(index))
    }
}

/// `--set SET: ` or `--set: ` when no single assignment is to blame.
pub(super) fn set_prefix(set: Option<&str>) -> String {
    set.map_or("--set: ".into(), |s| format!("--set {s}: "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line_sets_and_sweep_values_are_blamed_where_they_were_written() {
        let text = "name = \"t\"\n[world]\naccounts = 5\n[sweep]\n\"world.accounts\" = [1, 2]\n\
                    \"world.graph\" = [3]\n";
        let sets = [
            "world.accounts=9".to_string(),
            "steps=3".into(),
            "world.accounts=1".into(),
            "world.graph=3".into(),
        ];
        let input = Input {
            text,
            origin: "t.toml",
            sets: &sets,
            command_line: 2,
            replicates_overridden: false,
        };
        // The last assignment of a key wins: here the sweep's.
        let sweep = |line| Place {
            file: "t.toml".into(),
            line: Some(line),
            prefix: String::new(),
        };
        assert_eq!(input.blame("world.accounts"), Some(sweep(5)));
        assert_eq!(input.blame("world.graph.benign.within"), Some(sweep(6)));
        assert_eq!(
            input.blame("steps"),
            Some(Place {
                file: COMMAND_LINE.into(),
                line: None,
                prefix: "--set steps=3: ".into()
            })
        );
        assert_eq!(input.blame("seed"), None);
        assert_eq!(input.place_of_set("world.graph=3"), sweep(6));
        assert_eq!(input.place_of_set("other=1").file, COMMAND_LINE);
    }

    #[test]
    fn a_sweep_point_is_refused_at_its_key_in_the_file_and_named() {
        use crate::scenario::sweep::grid;
        use crate::scenario::{Overrides, Scenario};
        let text = "name = \"t\"\nseed = 1\n[world]\naccounts = 2000\n[[arms]]\nname = \"b\"\n\
                    [sweep]\n\"world.accounts\" = [3000, 1]\n\"world.acounts\" = [5]\n\
                    \"a..b\" = [1]\n";
        let o = Overrides {
            sets: vec!["steps=50".into()],
            ..Overrides::default()
        };
        let s = Scenario::from_toml_str(text, "t.toml", ".".as_ref(), &o).unwrap();
        let errors: Vec<String> = grid(&s.spec().sweep)
            .iter()
            .map(|p| s.sweep_point(p).unwrap_err().to_string())
            .collect();
        assert_eq!(
            errors,
            [
                "t.toml:10: sweep point p000 (a..b=1, world.accounts=3000, world.acounts=5): \
                 `a..b`: `` is not a key",
                "t.toml:10: sweep point p001 (a..b=1, world.accounts=1, world.acounts=5): \
                 `a..b`: `` is not a key",
            ]
        );
        let text = text.replace("\"a..b\" = [1]\n", "");
        let s = Scenario::from_toml_str(&text, "t.toml", ".".as_ref(), &o).unwrap();
        let points = grid(&s.spec().sweep);
        assert_eq!(
            s.sweep_point(&points[0]).unwrap_err().to_string(),
            "t.toml:9: sweep point p000 (world.accounts=3000, world.acounts=5): \
             `world.acounts`: unknown key `acounts`, did you mean `accounts`?"
        );
        let text = text.replace("\"world.acounts\" = [5]\n", "");
        let s = Scenario::from_toml_str(&text, "t.toml", ".".as_ref(), &o).unwrap();
        let points = grid(&s.spec().sweep);
        let p0 = s.sweep_point(&points[0]).unwrap();
        assert_eq!(p0.spec().name, "p000");
        assert_eq!(p0.spec().steps, 50);
        assert!(p0.spec().sweep.is_empty());
        assert_eq!(
            s.sweep_point(&points[1]).unwrap_err().to_string(),
            "t.toml:8: sweep point p001 (world.accounts=1): `world.accounts` = 1 is out of \
             range: expected 2 ..= 50000000"
        );
        // A --set at fault stays on the command line, in the point.
        let o = Overrides {
            sets: vec!["world.flagged_accounts=1800".into()],
            ..Overrides::default()
        };
        let text = text.replace("[3000, 1]", "[1500]");
        let s = Scenario::from_toml_str(&text, "t.toml", ".".as_ref(), &o).unwrap();
        let m = s
            .sweep_point(&grid(&s.spec().sweep)[0])
            .unwrap_err()
            .to_string();
        assert!(
            m.starts_with(
                "command line: sweep point p000 (world.accounts=1500): --set \
                 world.flagged_accounts=1800: the flagged cluster (1800 accounts) is larger"
            ),
            "{m}"
        );
    }
}
