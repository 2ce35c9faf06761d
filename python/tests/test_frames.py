"""The result tables as polars DataFrames and pyarrow Tables: the same columns, types and
values as the pandas frames (CI installs both packages; elsewhere these tests skip)."""

import numpy as np
import pandas as pd
import pytest

import driftlab


def test_polars_frames_match_pandas(small_on_disk):
    pl = pytest.importorskip("polars")
    for table in ["steps", "probes", "summary"]:
        pandas = getattr(small_on_disk, table)()
        polars = getattr(small_on_disk, table)(to="polars")
        assert isinstance(polars, pl.DataFrame)
        assert polars.columns == list(pandas.columns), table
        for name in pandas.columns:
            p, q = pandas[name], polars[name]
            if isinstance(p.dtype, pd.CategoricalDtype):
                assert q.dtype == pl.Enum(list(p.cat.categories)), name
                assert q.cast(pl.String).to_list() == p.astype(str).to_list(), name
            elif isinstance(p.dtype, pd.Int64Dtype):
                assert q.dtype == pl.Int64, name
                assert q.null_count() == int(p.isna().sum()), name
                assert q.to_list() == [None if pd.isna(x) else int(x) for x in p], name
            elif p.dtype == np.float64:
                assert q.dtype == pl.Float64, name
                np.testing.assert_array_equal(q.to_numpy(), p.to_numpy(), err_msg=name)
            elif p.dtype == np.int64:
                assert q.dtype == pl.Int64, name
                assert q.to_list() == p.to_list(), name
            elif p.dtype == bool:
                assert q.dtype == pl.Boolean, name
                assert q.to_list() == p.to_list(), name
            else:
                assert q.to_list() == p.to_list(), name


def test_arrow_tables_match_pandas(small_on_disk):
    pa = pytest.importorskip("pyarrow")
    for table in ["steps", "probes", "summary"]:
        pandas = getattr(small_on_disk, table)()
        arrow = getattr(small_on_disk, table)(to="arrow")
        assert isinstance(arrow, pa.Table)
        assert arrow.column_names == list(pandas.columns), table
        back = arrow.to_pandas()
        for name in pandas.columns:
            if isinstance(pandas[name].dtype, pd.CategoricalDtype):
                assert pa.types.is_dictionary(arrow.schema.field(name).type), name
                assert list(back[name].astype(str)) == list(pandas[name].astype(str)), name
            elif isinstance(pandas[name].dtype, pd.Int64Dtype):
                assert arrow.schema.field(name).type == pa.int64(), name
                assert arrow.column(name).null_count == int(pandas[name].isna().sum()), name
            else:
                assert list(back[name]) == list(pandas[name]) or np.array_equal(
                    back[name].to_numpy(), pandas[name].to_numpy(), equal_nan=True
                ), name


def test_an_unknown_frame_kind_is_refused(small_on_disk):
    with pytest.raises(ValueError, match="expected one of"):
        small_on_disk.steps(to="excel")
