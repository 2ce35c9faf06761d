//! Parameter sweeps: the `[sweep]` table of a scenario expands into a grid of scenarios, one
//! per combination of values, each run and reported on its own; `report::write_sweep_summary` then plots
//! the headline metrics against each swept parameter.

use std::collections::BTreeMap;
use toml::Value;

/// One point of a sweep grid.
#[derive(Clone, Debug, PartialEq)]
pub struct GridPoint {
    /// Position in the grid (first key varies slowest).
    pub index: usize,
    /// The parameter assignments of this point, in key order.
    pub assignments: Vec<(String, Value)>,
}

impl GridPoint {
    /// Directory and scenario name of the point.
    pub fn name(&self) -> String {
        format!("p{:03}", self.index)
    }

    /// The point as `--set` assignments.
    pub fn sets(&self) -> Vec<String> {
        self.assignments
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect()
    }

    /// A short label such as `world.flagged_fraction=0.01, moderation.recall=0.5`.
    pub fn label(&self) -> String {
        self.sets().join(", ")
    }
}

/// The cartesian product of the sweep's values (empty sweep: no points).
pub fn grid(sweep: &BTreeMap<String, Vec<Value>>) -> Vec<GridPoint> {
    if sweep.is_empty() || sweep.values().any(Vec::is_empty) {
        return Vec::new();
    }
    let keys: Vec<(&String, &Vec<Value>)> = sweep.iter().collect();
    let total: usize = keys.iter().map(|(_, v)| v.len()).product();
    (0..total)
        .map(|index| {
            let mut rest = index;
            let mut assignments: Vec<(String, Value)> = Vec::with_capacity(keys.len());
            for (k, values) in keys.iter().rev() {
                assignments.push(((*k).clone(), values[rest % values.len()].clone()));
                rest /= values.len();
            }
            assignments.reverse();
            GridPoint { index, assignments }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_is_the_cartesian_product_in_key_order() {
        let mut sweep = BTreeMap::new();
        sweep.insert("a".to_string(), vec![Value::Integer(1), Value::Integer(2)]);
        sweep.insert(
            "b".to_string(),
            vec![Value::Float(0.5), Value::Float(0.9), Value::Float(1.0)],
        );
        let g = grid(&sweep);
        assert_eq!(g.len(), 6);
        assert_eq!(g[0].sets(), vec!["a=1", "b=0.5"]);
        assert_eq!(g[1].sets(), vec!["a=1", "b=0.9"]);
        assert_eq!(g[5].sets(), vec!["a=2", "b=1.0"]);
        assert_eq!(g[4].name(), "p004");
        assert!(grid(&BTreeMap::new()).is_empty());
    }
}
