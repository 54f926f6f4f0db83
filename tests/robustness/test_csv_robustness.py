"""Every kind of broken CSV a user may pick gives a DataError that names the file and says what is wrong,
where, and what to do, never a pandas traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.data import DataError, load_dataset
from core.data.tabular import load_csv
from core.spec import Experiment


def write(tmp_path: Path, text: str, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def error_for(path: Path, target: str = "y", **kw) -> str:
    with pytest.raises(DataError) as info:
        load_csv(path, target, **kw)
    message = str(info.value)
    assert str(path) in message  # every message names the file
    return message


def rows(n: int, start: int = 0) -> str:
    return "".join(f"{i},{i * 2},{'ab'[i % 2]}\n" for i in range(start, start + n))


def test_missing_file(tmp_path):
    message = error_for(tmp_path / "nope.csv")
    assert "no such file" in message and "data.path" in message


def test_missing_file_suggests_a_near_name(tmp_path):
    write(tmp_path, "a,y\n1,x\n", "measurements.csv")
    assert "did you mean 'measurements.csv'" in error_for(tmp_path / "measurement.csv")


def test_folder_instead_of_file(tmp_path):
    (tmp_path / "folder.csv").mkdir()
    assert "is a folder" in error_for(tmp_path / "folder.csv")


@pytest.mark.parametrize("text", ["", "\n\n  \n"])
def test_empty_file(tmp_path, text):
    assert "empty" in error_for(write(tmp_path, text))


def test_header_only(tmp_path):
    message = error_for(write(tmp_path, "a,b,y\n"))
    assert "header" in message and "no data rows" in message


def test_no_header_line(tmp_path):
    message = error_for(write(tmp_path, "1,2,3\n4,5,6\n7,8,9\n"))
    assert "looks like data" in message and "add a header line" in message


def test_row_with_too_many_fields(tmp_path):
    message = error_for(write(tmp_path, "a,b,y\n" + rows(5) + "9,9,a,extra\n" + rows(3)))
    assert "line 7 has 4 fields but the header has 3" in message and "separator" in message


def test_first_row_with_too_many_fields(tmp_path):
    # pandas would silently drop the extra field here (with only a warning)
    assert "line 2 has 4 fields" in error_for(write(tmp_path, "a,b,y\n1,2,a,extra\n" + rows(4)))


def test_row_with_too_few_fields(tmp_path):
    message = error_for(write(tmp_path, "a,b,y\n" + rows(3) + "7,b\n" + rows(3)))
    assert "line 5 has 2 fields but the header has 3" in message


def test_non_numeric_input_cells(tmp_path):
    body = rows(16) + "abc,1,a\n" + rows(5) + "n/a!,2,b\n-,3,a\n"
    message = error_for(write(tmp_path, "age,b,y\n" + body))
    assert "column 'age' has 3 non-numeric values, first at row 17 ('abc')" in message
    assert "data.columns" in message  # says how to leave the column out


def test_every_bad_column_is_reported_at_once(tmp_path):
    message = error_for(write(tmp_path, "a,b,y\nx,1,a\n2,,b\n3,4,a\n4,5,b\n"))
    assert "column 'a' has 1 non-numeric value, first at row 1" in message
    assert "column 'b' has 1 missing value, first at row 2" in message


def test_text_column_is_fine_when_left_out(tmp_path):
    path = write(tmp_path, "name,a,y\nbob,1,a\nann,2,b\nsue,3,a\nmax,4,b\n")
    assert "column 'name' has 4 non-numeric values" in error_for(path)
    assert load_csv(path, "y", columns=["a"]).columns == ("a",)


def test_infinite_input(tmp_path):
    message = error_for(write(tmp_path, "a,b,y\n1,2,a\n3,inf,b\n4,-inf,a\n5,6,b\n"))
    assert "column 'b' has 2 infinite values, first at row 2" in message


def test_missing_target_column_lists_the_columns(tmp_path):
    message = error_for(write(tmp_path, "age,height,Species\n" + rows(4)), target="species")
    assert "no target column 'species'" in message
    assert "did you mean 'Species'" in message and "'age', 'height', 'Species'" in message


def test_unknown_input_columns(tmp_path):
    message = error_for(write(tmp_path, "age,height,y\n" + rows(4)), columns=["age", "weight"])
    assert "'weight'" in message and "'age', 'height', 'y'" in message


def test_target_listed_as_input(tmp_path):
    message = error_for(write(tmp_path, "a,b,y\n" + rows(4)), columns=["a", "y"])
    assert "target 'y' is also listed in data.columns" in message


def test_duplicate_header_names(tmp_path):
    assert "names column 'a' twice" in error_for(write(tmp_path, "a,a,y\n" + rows(4)))


def test_only_one_class(tmp_path):
    message = error_for(write(tmp_path, "a,y\n1,yes\n2,yes\n3,yes\n"))
    assert "only one class ('yes') in 3 rows" in message and "at least two" in message


def test_too_many_classes(tmp_path):
    body = "".join(f"{i},id{i}\n" for i in range(300))
    message = error_for(write(tmp_path, "a,y\n" + body))
    assert "300 distinct values in 300 rows" in message and "regression" in message


def test_more_classes_than_half_the_rows(tmp_path):
    body = "".join(f"{i},{i % 7}\n" for i in range(10))
    assert "7 distinct values in 10 rows" in error_for(write(tmp_path, "a,y\n" + body))


def test_fractional_target_in_classification(tmp_path):
    message = error_for(write(tmp_path, "a,y\n1,0.5\n2,1\n3,2\n4,1\n"))
    assert "fractional" in message and "0.5 at row 1" in message and "regression" in message


def test_text_target_in_regression(tmp_path):
    message = error_for(write(tmp_path, "a,y\n1,3.5\n2,high\n3,2\n"), task="regression")
    assert "target 'y' has 1 non-numeric value, first at row 2 ('high')" in message
    assert "classification" in message


def test_target_with_missing_values(tmp_path):
    message = error_for(write(tmp_path, "a,y\n1,a\n2,\n3,b\n4,\n5,a\n"))
    assert "target 'y' is empty in 2 rows, first at row 2" in message


def test_not_utf8(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("a,y\n1,caf\u00e9\n2,th\u00e9\n".encode("latin-1"))
    message = error_for(path)
    assert "not UTF-8" in message and "line 2" in message and "UTF-8" in message


def test_utf16_and_excel_files(tmp_path):
    utf16 = tmp_path / "u16.csv"  # with its byte order mark: read, as Excel's "Unicode Text" writes it
    utf16.write_bytes("a,y\n1,x\n2,z\n3,x\n4,z\n".encode("utf-16"))
    table = load_csv(utf16, "y")
    assert table.columns == ("a",) and table.class_names == ("x", "z") and table.x[:, 0].tolist() == [1, 2, 3, 4]
    bare = tmp_path / "u16-no-mark.csv"  # without it, it cannot be told from binary: say what it looks like
    bare.write_bytes("a,y\n1,x\n2,z\n".encode("utf-16-le"))
    assert "UTF-16" in error_for(bare) and "save it again as UTF-8" in error_for(bare)
    xlsx = tmp_path / "book.csv"
    xlsx.write_bytes(b"PK\x03\x04" + bytes(200))
    assert "Excel" in error_for(xlsx)


def test_binary_file(tmp_path):
    path = tmp_path / "blob.csv"
    path.write_bytes(b"a,y\n1,\x00\x01\x02\n")
    assert "binary" in error_for(path)


def test_huge_field(tmp_path):
    message = error_for(write(tmp_path, "a,y\n1,a\n2," + "x" * 50_000 + "\n3,b\n"))
    assert "50,000-character value at row 2" in message


def test_quote_never_closed(tmp_path):
    message = error_for(write(tmp_path, "a,y\n1,a\n2,\"b\n3,a\n"))
    assert "never closed" in message


def test_quote_closed_many_lines_later(tmp_path):
    message = error_for(write(tmp_path, "a,y\n1,a\n2,\"b\n3,a\"\n4,b\n5,a\n"))
    assert "spanning several lines at row 2" in message


def test_too_few_rows_to_split(tmp_path):
    path = write(tmp_path, "a,y\n1,a\n2,b\n3,a\n4,b\n")
    spec = Experiment.model_validate({"data": {"source": "csv", "path": str(path), "target": "y",
                                               "train_fraction": 0.9}})
    with pytest.raises(DataError, match="4 rows cannot be split .* 4 for training and 0 for testing"):
        load_dataset(spec)


def test_broken_files_never_leak_pandas_errors(tmp_path):
    # a grab bag of odd inputs: each is either read or refused with a DataError, nothing else
    odd = ["\"", ",,,\n,,,\n", "y\n1\n2\n", "a,y\n\"1\"\"\",x\n", ";;;\n1;2;3\n", "a,y\n1,x\r\n2,z\r\n",
           "a,y\n" + "\n" * 50 + "1,x\n", "a\ty\n1\t\n"]
    for i, text in enumerate(odd):
        path = write(tmp_path, text, f"odd{i}.csv")
        try:
            load_csv(path, "y")
        except DataError as err:
            assert str(path) in str(err)


def test_column_without_a_name(tmp_path):
    message = error_for(write(tmp_path, "a,,y\n1,2,x\n3,4,z\n"))
    assert "column 2 has no name in the header line" in message


def test_header_without_any_names(tmp_path):
    assert "no column names" in error_for(write(tmp_path, ",,,\n1,2,3\n"))
