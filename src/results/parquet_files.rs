//! Parquet copies of the tables (cargo feature `parquet`, on by default): `steps.parquet` and
//! `probes.parquet` beside `steps.csv` and `probes.csv`, with the same rows in the same order
//! and the same columns, typed. They are written from the same part bodies as the CSVs, by
//! streaming: rows are parsed into column builders and handed to the Parquet writer every
//! [`BATCH_ROWS`] rows, in row groups of at most [`ROW_GROUP_ROWS`] rows, so memory stays
//! bounded whatever the table's size.
//!
//! The CSVs stay the reference (`driftlab compare --exact` compares them and ignores these
//! files). The Parquet files are deterministic all the same: the same run gives the same bytes
//! with any thread count, resumed or merged from shards, for one build (`created_by` names
//! driftlab's and the Parquet writer's versions; no time is written). Compression: Snappy.
//!
//! # Column types
//!
//! | columns | Arrow / Parquet type | pandas (`pd.read_parquet`) | polars |
//! |---|---|---|---|
//! | `arm`, `persona` | `Utf8` (dictionary-encoded in the file) | `object` (str) | `String` |
//! | `replicate`, `step`, `probe`, `start_community`, `drift_step` | `Int64` | `int64` | `Int64` |
//! | `first_flagged_step`, `first_flagged_follow_step` | `Int64`, nullable (null: never happened) | `float64` with NaN, or `Int64` with `dtype_backend="numpy_nullable"` | `Int64` with nulls |
//! | `censored` | `Boolean` | `bool` | `Boolean` |
//! | every metric of `steps` ([`crate::metrics::STEP_METRICS`]) | `Float64`, nullable (null: an empty CSV cell) | `float64` (NaN) | `Float64` with nulls |
//!
//! The floats are the CSV's six-decimal values read back (what
//! [`crate::results::output::csv_value`] gives), so a Parquet table equals its CSV read with
//! the types above.

use crate::atomic::AtomicFile;
use crate::metrics::{PROBE_IDENTITY, PROBE_METRICS, STEP_KEYS, STEP_METRICS};
use arrow_array::builder::{BooleanBuilder, Float64Builder, Int64Builder, StringBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::{WriterProperties, DEFAULT_CREATED_BY};
use std::io;
use std::path::Path;
use std::sync::Arc;

/// Rows parsed before they are handed to the Parquet writer as one record batch.
pub const BATCH_ROWS: usize = 1 << 14;

/// The most rows of a row group.
pub const ROW_GROUP_ROWS: usize = 1 << 18;

/// The type of one column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// A name (`Utf8`).
    Text,
    /// An integer (`Int64`), never empty.
    Int,
    /// An integer (`Int64`), null for an empty cell.
    NullableInt,
    /// A float (`Float64`), null for an empty cell.
    Float,
    /// `0` or `1` (`Boolean`).
    Flag,
}

impl Kind {
    fn field(self, name: &str) -> Field {
        let (ty, nullable) = match self {
            Kind::Text => (DataType::Utf8, false),
            Kind::Int => (DataType::Int64, false),
            Kind::NullableInt => (DataType::Int64, true),
            Kind::Float => (DataType::Float64, true),
            Kind::Flag => (DataType::Boolean, false),
        };
        Field::new(name, ty, nullable)
    }

    fn builder(self) -> Builder {
        match self {
            Kind::Text => Builder::Text(StringBuilder::with_capacity(BATCH_ROWS, BATCH_ROWS * 8)),
            Kind::Int | Kind::NullableInt => Builder::Int(
                Int64Builder::with_capacity(BATCH_ROWS),
                self == Kind::NullableInt,
            ),
            Kind::Float => Builder::Float(Float64Builder::with_capacity(BATCH_ROWS)),
            Kind::Flag => Builder::Flag(BooleanBuilder::with_capacity(BATCH_ROWS)),
        }
    }
}

/// The columns of `steps.csv` and their types.
fn steps_columns() -> Vec<(&'static str, Kind)> {
    let keys = [Kind::Text, Kind::Int, Kind::Int];
    STEP_KEYS
        .iter()
        .copied()
        .zip(keys)
        .chain(STEP_METRICS.iter().map(|m| (m.column, Kind::Float)))
        .collect()
}

/// The columns of `probes.csv` and their types: every probe metric is a step, a count or a
/// flag ([`crate::metrics::ProbeMetric`]); only the first-event steps may be empty.
fn probes_columns() -> Vec<(&'static str, Kind)> {
    let identity = [Kind::Text, Kind::Int, Kind::Int, Kind::Text, Kind::Int];
    PROBE_IDENTITY
        .iter()
        .copied()
        .zip(identity)
        .chain(PROBE_METRICS.iter().map(|m| {
            let kind = match m.column {
                "censored" => Kind::Flag,
                "drift_step" => Kind::Int,
                _ => Kind::NullableInt,
            };
            (m.column, kind)
        }))
        .collect()
}

/// The Arrow schema of `steps.parquet`.
pub fn steps_schema() -> SchemaRef {
    schema(&steps_columns())
}

/// The Arrow schema of `probes.parquet`.
pub fn probes_schema() -> SchemaRef {
    schema(&probes_columns())
}

fn schema(columns: &[(&str, Kind)]) -> SchemaRef {
    Arc::new(Schema::new(
        columns
            .iter()
            .map(|(name, kind)| kind.field(name))
            .collect::<Vec<_>>(),
    ))
}

/// One column's values of the batch being parsed.
enum Builder {
    Text(StringBuilder),
    /// The values, and whether an empty cell is allowed (null).
    Int(Int64Builder, bool),
    Float(Float64Builder),
    Flag(BooleanBuilder),
}

impl Builder {
    fn push(&mut self, cell: &str) -> Result<(), String> {
        match self {
            Builder::Text(b) => b.append_value(cell),
            Builder::Int(b, true) if cell.is_empty() => b.append_null(),
            Builder::Int(b, _) => b.append_value(
                cell.parse()
                    .map_err(|_| format!("`{cell}` is not an integer"))?,
            ),
            Builder::Float(b) if cell.is_empty() => b.append_null(),
            Builder::Float(b) => b.append_value(
                cell.parse()
                    .map_err(|_| format!("`{cell}` is not a number"))?,
            ),
            Builder::Flag(b) => b.append_value(match cell {
                "0" => false,
                "1" => true,
                _ => return Err(format!("`{cell}` is not 0 or 1")),
            }),
        }
        Ok(())
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Builder::Text(b) => Arc::new(b.finish()),
            Builder::Int(b, _) => Arc::new(b.finish()),
            Builder::Float(b) => Arc::new(b.finish()),
            Builder::Flag(b) => Arc::new(b.finish()),
        }
    }
}

/// One Parquet table being written.
struct Table {
    writer: ArrowWriter<AtomicFile>,
    schema: SchemaRef,
    columns: Vec<Builder>,
    /// Rows in the builders.
    rows: usize,
}

fn named(path: &Path, e: impl std::fmt::Display) -> io::Error {
    io::Error::other(format!("cannot write {}: {e}", path.display()))
}

impl Table {
    fn create(path: &Path, columns: &[(&str, Kind)]) -> io::Result<Self> {
        let schema = schema(columns);
        let file = AtomicFile::create(path).map_err(|e| named(path, e))?;
        let props = WriterProperties::builder()
            .set_created_by(format!(
                "driftlab {} ({DEFAULT_CREATED_BY})",
                env!("CARGO_PKG_VERSION")
            ))
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            .build();
        let writer =
            ArrowWriter::try_new(file, schema.clone(), Some(props)).map_err(|e| named(path, e))?;
        Ok(Self {
            writer,
            schema,
            columns: columns.iter().map(|(_, kind)| kind.builder()).collect(),
            rows: 0,
        })
    }

    fn path(&self) -> &Path {
        self.writer.inner().path()
    }

    /// Appends the rows of a CSV body (lines without a header, each ending in a newline).
    fn append(&mut self, body: &str) -> io::Result<()> {
        for line in body.lines() {
            self.push_row(line).map_err(|e| {
                named(
                    self.path(),
                    format!("a row of the table cannot be read ({e}): `{line}`"),
                )
            })?;
            self.rows += 1;
            if self.rows == BATCH_ROWS {
                self.flush()?;
            }
        }
        Ok(())
    }

    fn push_row(&mut self, line: &str) -> Result<(), String> {
        let mut cells = line.split(',');
        for column in &mut self.columns {
            column.push(cells.next().ok_or("too few cells")?)?;
        }
        match cells.next() {
            Some(_) => Err("too many cells".into()),
            None => Ok(()),
        }
    }

    /// Hands the parsed rows to the writer as one record batch.
    fn flush(&mut self) -> io::Result<()> {
        if self.rows == 0 {
            return Ok(());
        }
        let arrays = self.columns.iter_mut().map(Builder::finish).collect();
        let batch =
            RecordBatch::try_new(self.schema.clone(), arrays).map_err(|e| named(self.path(), e))?;
        self.writer
            .write(&batch)
            .map_err(|e| named(self.path(), e))?;
        self.rows = 0;
        Ok(())
    }

    /// Writes the last rows and the footer, and renames the file into place.
    fn commit(mut self) -> io::Result<()> {
        self.flush()?;
        let path = self.path().to_path_buf();
        let file = self.writer.into_inner().map_err(|e| named(&path, e))?;
        file.commit().map_err(|e| named(&path, e))
    }
}

/// `steps.parquet` and `probes.parquet` of one results directory, being written.
pub(crate) struct ParquetTables {
    steps: Table,
    probes: Table,
}

impl ParquetTables {
    /// Starts both files in `dir` (temporaries until [`Self::commit`]).
    pub(crate) fn create(dir: &Path) -> io::Result<Self> {
        Ok(Self {
            steps: Table::create(&dir.join("steps.parquet"), &steps_columns())?,
            probes: Table::create(&dir.join("probes.parquet"), &probes_columns())?,
        })
    }

    /// Appends one part's rows: CSV bodies of `steps.csv` and `probes.csv` (no header).
    pub(crate) fn append(&mut self, steps: &str, probes: &str) -> io::Result<()> {
        self.steps.append(steps)?;
        self.probes.append(probes)
    }

    /// Finishes both files and renames them into place.
    pub(crate) fn commit(self) -> io::Result<()> {
        self.steps.commit()?;
        self.probes.commit()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{PROBES_HEADER, STEPS_HEADER};
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Float64Type, Int64Type};
    use arrow_array::Array;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    fn temp(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("driftlab-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn read(path: &Path) -> Vec<RecordBatch> {
        let file = std::fs::File::open(path).unwrap();
        ParquetRecordBatchReaderBuilder::try_new(file)
            .unwrap()
            .build()
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    /// The schemas name the CSV headers' columns, in order.
    #[test]
    fn the_schemas_are_the_csv_headers() {
        let names = |s: SchemaRef| {
            s.fields()
                .iter()
                .map(|f| f.name().clone())
                .collect::<Vec<_>>()
                .join(",")
                + "\n"
        };
        assert_eq!(names(steps_schema()), STEPS_HEADER);
        assert_eq!(names(probes_schema()), PROBES_HEADER);
    }

    fn step_row(arm: &str, replicate: u32, step: u32, empty: bool) -> String {
        let cells = (0..STEP_METRICS.len()).map(|m| {
            if empty && m == 1 {
                String::new()
            } else {
                format!("{:.6}", f64::from(step) / 7.0 + m as f64)
            }
        });
        format!("{arm},{replicate},{step},") + &cells.collect::<Vec<_>>().join(",") + "\n"
    }

    fn probe_row(replicate: u32, probe: u32) -> String {
        let first = if probe.is_multiple_of(3) {
            String::new()
        } else {
            probe.to_string()
        };
        format!(
            "base-line,{replicate},{probe},adjacent,{},{first},,{},{}\n",
            probe % 4,
            probe + 2,
            probe % 2
        )
    }

    /// Rows written over several batches and parts read back as written, nulls included, and
    /// the same rows give the same bytes however they were split into parts.
    #[test]
    fn tables_read_back_as_written() {
        assert_eq!(PROBE_METRICS.len(), 4, "probe_row writes four metric cells");
        let dir = temp("parquet-rows");
        let write = |parts: usize| {
            let mut tables = ParquetTables::create(&dir).unwrap();
            let n = 2 * BATCH_ROWS as u32 + 5;
            let per = n.div_ceil(parts as u32);
            for part in 0..parts as u32 {
                let (mut steps, mut probes) = (String::new(), String::new());
                for i in part * per..((part + 1) * per).min(n) {
                    steps.push_str(&step_row("arm-0", i / 1000, i, i.is_multiple_of(5)));
                    probes.push_str(&probe_row(i / 1000, i));
                }
                tables.append(&steps, &probes).unwrap();
            }
            tables.commit().unwrap();
            (
                std::fs::read(dir.join("steps.parquet")).unwrap(),
                std::fs::read(dir.join("probes.parquet")).unwrap(),
            )
        };
        let one = write(1);
        assert_eq!(write(7), one);
        // Only the two tables are left: no temporary.
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 2);

        let steps = read(&dir.join("steps.parquet"));
        assert_eq!(steps[0].schema(), steps_schema());
        let mut i = 0u32;
        for batch in &steps {
            let arm = batch.column(0).as_string::<i32>();
            let step = batch.column(2).as_primitive::<Int64Type>();
            let m0 = batch.column(3).as_primitive::<Float64Type>();
            let m1 = batch.column(4).as_primitive::<Float64Type>();
            for row in 0..batch.num_rows() {
                assert_eq!(arm.value(row), "arm-0");
                assert_eq!(step.value(row), i64::from(i));
                let v: f64 = format!("{:.6}", f64::from(i) / 7.0).parse().unwrap();
                assert_eq!(m0.value(row).to_bits(), v.to_bits());
                assert_eq!(m1.is_null(row), i.is_multiple_of(5));
                i += 1;
            }
        }
        assert_eq!(i, 2 * BATCH_ROWS as u32 + 5);

        let probes = read(&dir.join("probes.parquet"));
        assert_eq!(probes[0].schema(), probes_schema());
        let mut i = 0u32;
        for batch in &probes {
            let persona = batch.column(3).as_string::<i32>();
            let first = batch.column(5).as_primitive::<Int64Type>();
            let follow = batch.column(6);
            let drift = batch.column(7).as_primitive::<Int64Type>();
            let censored = batch.column(8).as_boolean();
            for row in 0..batch.num_rows() {
                assert_eq!(persona.value(row), "adjacent");
                assert_eq!(first.is_null(row), i.is_multiple_of(3));
                if !i.is_multiple_of(3) {
                    assert_eq!(first.value(row), i64::from(i));
                }
                assert!(follow.is_null(row));
                assert_eq!(drift.value(row), i64::from(i + 2));
                assert_eq!(censored.value(row), i % 2 == 1);
                i += 1;
            }
        }
        assert_eq!(i, 2 * BATCH_ROWS as u32 + 5);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A malformed row is an error naming the file, and leaves no file behind.
    #[test]
    fn a_malformed_row_is_an_error_not_a_panic() {
        let dir = temp("parquet-bad");
        for (steps, probes) in [
            ("a,0,1\n", ""),
            ("", "a,0,1,p,0,1,,2,7\n"),
            ("", "a,0,1,p,0,1,,x,0\n"),
            ("", "a,0,1,p,0,1,,2,0,9\n"),
            (&*step_row("a", 0, 1, false).replace("0.", "z."), ""),
        ] {
            let mut tables = ParquetTables::create(&dir).unwrap();
            let e = tables.append(steps, probes).unwrap_err().to_string();
            assert!(e.contains("cannot write") && e.contains(".parquet"), "{e}");
            drop(tables);
            assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
