"""Parquet copies of the tables (`steps.parquet`, `probes.parquet`): pandas (pyarrow engine)
and polars read them with the column names and types documented in
src/results/parquet_files.rs, and their values are the CSVs' values."""

import filecmp

import numpy as np
import pandas as pd
import polars as pl
import pytest

import driftlab
from conftest import REFERENCE

STEPS_HEADER = (REFERENCE / "steps.csv").read_text().splitlines()[0].split(",")
PROBES_HEADER = (REFERENCE / "probes.csv").read_text().splitlines()[0].split(",")

# The documented types (src/results/parquet_files.rs, linked from the README).
TEXT = {"arm", "persona"}
NULLABLE = {"first_flagged_step", "first_flagged_follow_step"}
FLAG = {"censored"}
INT = {"replicate", "step", "probe", "start_community", "drift_step"}


def polars_type(name, table):
    if name in TEXT:
        return pl.String
    if name in FLAG:
        return pl.Boolean
    if name in INT or name in NULLABLE:
        return pl.Int64
    assert table == "steps", name  # every other column is a step metric
    return pl.Float64


@pytest.fixture(scope="module")
def run_dir(small_on_disk):
    return small_on_disk.dir


@pytest.mark.parametrize("table,header", [("steps", STEPS_HEADER), ("probes", PROBES_HEADER)])
def test_polars_reads_the_documented_columns_and_the_csv_values(run_dir, table, header):
    pq = pl.read_parquet(f"{run_dir}/{table}.parquet")
    assert pq.columns == header
    expected = {name: polars_type(name, table) for name in header}
    assert dict(pq.schema) == expected
    for name in header:
        if name not in NULLABLE and table == "probes":
            assert pq[name].null_count() == 0, name
    # The CSV read with the same types (a flag is 0/1 there): the same rows and values,
    # empty cells as nulls.
    csv_types = {n: (pl.Int64 if t == pl.Boolean else t) for n, t in expected.items()}
    csv = pl.read_csv(f"{run_dir}/{table}.csv", schema=csv_types)
    as_csv = pq.with_columns([pl.col(n).cast(pl.Int64) for n in header if n in FLAG])
    assert as_csv.height == csv.height > 0
    assert as_csv.equals(csv)


@pytest.mark.parametrize("table,header", [("steps", STEPS_HEADER), ("probes", PROBES_HEADER)])
def test_pandas_reads_the_documented_columns_and_the_csv_values(run_dir, table, header):
    pq = pd.read_parquet(f"{run_dir}/{table}.parquet", engine="pyarrow")
    assert list(pq.columns) == header
    nullable = pd.read_parquet(
        f"{run_dir}/{table}.parquet", engine="pyarrow", dtype_backend="numpy_nullable"
    )
    for name in header:
        dtype = pq[name].dtype
        if name in TEXT:
            assert pd.api.types.is_string_dtype(dtype), (name, dtype)
        elif name in FLAG:
            assert dtype == np.bool_, (name, dtype)
        elif name in INT:
            assert dtype == np.int64, (name, dtype)
        elif name in NULLABLE:
            # Nulls make pandas' default a float column; the nullable backend keeps Int64.
            assert dtype in (np.int64, np.float64), (name, dtype)
            assert nullable[name].dtype == pd.Int64Dtype(), (name, nullable[name].dtype)
        else:
            assert dtype == np.float64, (name, dtype)
    # The CSV as text, every number parsed exactly by Python (an empty cell: NaN), a flag's
    # 0/1 against False/True.
    csv = pd.read_csv(f"{run_dir}/{table}.csv", dtype=str, keep_default_na=False)
    assert list(csv.columns) == header
    assert len(pq) == len(csv) > 0
    for name in header:
        if name in TEXT:
            assert pq[name].astype(str).tolist() == csv[name].tolist(), name
        else:
            expected = np.array([float(v) if v else np.nan for v in csv[name]])
            got = pq[name].to_numpy(dtype=np.float64, na_value=np.nan)
            np.testing.assert_array_equal(got, expected, err_msg=name)


def test_parquet_bytes_are_the_same_for_one_and_two_threads_and_a_rerun(small, tmp_path):
    dirs = [small.run(threads=t, out=tmp_path / f"t{i}").dir for i, t in enumerate([1, 2, 2])]
    for table in ["steps.parquet", "probes.parquet"]:
        for other in dirs[1:]:
            assert filecmp.cmp(f"{dirs[0]}/{table}", f"{other}/{table}", shallow=False), table
