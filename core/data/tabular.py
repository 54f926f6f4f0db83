"""Tabular data: CSV files read with pandas' C parser, and scikit-learn's bundled sets (no download).

Everything that can go wrong with a user's file becomes a DataError that names the file, the column, how
many cells and the first bad row, and says what to do. Rows are counted from 1 below the header; file
lines (for ragged rows) count the header as line 1. Standardisation happens later (core.data.build),
fitted on the training rows only.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from core.data.dataset import DataError
from core.echo import clip, echo
from core.files.textfile import NotText, decode_text, file_problem
from core.data.sources import BUNDLED_REGRESSION, BUNDLED_SOURCES, SOURCES, DataSource

MAX_CLASSES = 100              # more distinct target values than this is not a classification problem
MAX_FIELD_CHARS = 1_000        # longer cells are almost always a broken quote or a non-CSV file
MAX_FILE_BYTES = 1 << 30       # 1 GiB: read into memory once
DELIMITERS = (",", ";", "\t")
_HEAD_CHARS = 1 << 20          # the header line is looked for in the first MiB


@dataclass(frozen=True, eq=False)
class Table:
    """Raw rows of a tabular set, before the split: x float32 (n, k) unscaled inputs; y float32 (n,) for
    regression and two classes (0/1), int64 class indices for more; class_names () for regression."""

    x: np.ndarray
    y: np.ndarray
    columns: tuple[str, ...]
    target: str
    task: str
    class_names: tuple[str, ...] = ()
    description: str = ""
    meta: dict = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------- CSV


def load_csv(path: str | Path, target: str, columns: list[str] | None = None,
             task: str = "classification") -> Table:
    """Read a CSV file into a Table; every problem with the file is a DataError saying how to fix it."""
    path = Path(path)
    where = f"CSV file {echo(str(path))}"
    raw, text = _read_text(path, where)
    sep = sniff_delimiter(text)
    df = _parse(raw, text, sep, where)
    target = _resolve_target(df, target, where)
    inputs = _resolve_columns(df, target, columns, where)
    _check_ragged_if_gaps(df, text, sep, where)
    _check_huge_cells(df, [*inputs, target], where)
    x = _numeric_inputs(df, inputs, where, decimal_comma=(sep == ";"))
    y, class_names = encode_target(df[target], target, task, where, decimal_comma=(sep == ";"))
    kind = f"{len(class_names)} classes" if class_names else "regression"
    description = f"{path.name}: {_plural(len(df), 'row')}, {_plural(len(inputs), 'input')}, target {echo(target)} ({kind})"
    return Table(x=x, y=y, columns=tuple(inputs), target=target, task=task, class_names=class_names,
                 description=description, meta={"path": str(path), "delimiter": sep, "rows": len(df)})


def sniff_delimiter(text: str) -> str:
    """Comma, semicolon or tab: whichever occurs most often (outside quotes) in the header line."""
    first = next((line for line in text[:_HEAD_CHARS].splitlines() if line.strip()), "")
    unquoted = re.sub(r'"[^"]*"', "", first)
    counts = {d: unquoted.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])  # ties keep the earlier (comma first)
    return best if counts[best] > 0 else ","


def _read_text(path: Path, where: str) -> tuple[bytes, str]:
    """(UTF-8 bytes without a byte order mark, the same decoded), once the file is known to be text
    (UTF-8, or UTF-16/32 with a byte order mark, which is re-encoded as UTF-8 for the parser)."""
    problem = file_problem(path)
    if problem == "no such file":
        hint = ""
        try:
            if path.parent.is_dir():
                names = [p.name for p in path.parent.iterdir()]
                near = difflib.get_close_matches(path.name, names, n=1, cutoff=0.8)
                hint = f" (did you mean {echo(near[0])}?)" if near else ""
        except OSError:
            pass
        raise DataError(f"{where}: no such file{hint}; check data.path")
    if problem and problem.startswith("is a folder"):
        raise DataError(f"{where}: is a folder, not a file; point data.path at a .csv file inside it")
    if problem:
        raise DataError(f"{where}: {problem}; point data.path at a CSV file")
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise DataError(f"{where}: {size / 2**30:.1f} GiB is larger than the {MAX_FILE_BYTES / 2**30:.0f} GiB "
                            "this app reads; use a sample of the rows")
        raw = path.read_bytes()
    except OSError as err:
        raise DataError(f"{where}: cannot be read ({err.strerror}); check that it exists and you may read it") from None
    if raw.isspace() or not raw:
        raise DataError(f"{where}: the file is empty; it needs a header line naming the columns and data rows")
    if raw.startswith(b"PK\x03\x04"):
        raise DataError(f"{where}: this is a zip or Excel workbook (.xlsx), not CSV text; "
                        "in your spreadsheet use 'Save as' -> 'CSV UTF-8'")
    try:
        text, encoding = decode_text(raw)
    except NotText as err:
        if b"\x00" in raw[:65536] and "UTF-16" not in str(err):
            raise DataError(f"{where}: contains NUL bytes, so it is a binary file rather than CSV text; "
                            "export the data as CSV") from None
        raise DataError(f"{where}: {err} (e.g. 'CSV UTF-8' in Excel)") from None
    if "\x00" in text[:65536]:
        raise DataError(f"{where}: contains NUL bytes, so it is a binary file rather than CSV text; "
                        "export the data as CSV")
    if encoding != "UTF-8" or raw.startswith(b"\xef\xbb\xbf"):
        raw = text.encode("utf-8")
    if not text.strip():
        raise DataError(f"{where}: the file is empty; it needs a header line naming the columns and data rows")
    return raw, text


_FIELDS_RE = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
_EOF_RE = re.compile(r"EOF inside string starting (?:at|with) (?:row|line) (\d+)")


def _parse(raw: bytes, text: str, sep: str, where: str) -> pd.DataFrame:
    sep_name = {",": "comma", ";": "semicolon", "\t": "tab"}[sep]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            # pandas' C tokenizer reads the bytes; `text` is kept for diagnostics
            df = pd.read_csv(io.BytesIO(raw), sep=sep, engine="c", index_col=False, skipinitialspace=True,
                             low_memory=False)
        except pd.errors.EmptyDataError:
            raise DataError(f"{where}: holds no columns; it needs a header line naming the columns") from None
        except pd.errors.ParserError as err:
            msg = str(err)
            if m := _FIELDS_RE.search(msg):
                expected, line, saw = m.groups()
                raise DataError(_ragged_message(where, int(line), int(saw), int(expected), sep_name)) from None
            if m := _EOF_RE.search(msg):
                row = int(m.group(1))  # pandas counts the header as row 0
                place = f"on data row {row}" if row > 0 else "in the header line"
                raise DataError(f"{where}: a quote (\") opened {place} is never closed; "
                                "close it or remove the stray quote character") from None
            raise DataError(f"{where}: cannot be read as {sep_name}-separated text ({msg})") from None
        except (ValueError, OverflowError, MemoryError) as err:  # anything else pandas may refuse
            raise DataError(f"{where}: cannot be read as {sep_name}-separated text ({err})") from None
    if any(issubclass(w.category, pd.errors.ParserWarning) for w in caught):
        # pandas drops fields beyond the header's count with a warning; that is a ragged row
        n_fields = len(_header_fields(text, sep))
        found = _first_ragged_line(text, sep, n_fields)
        line, saw = found if found else (2, n_fields + 1)
        raise DataError(_ragged_message(where, line, saw, n_fields, sep_name))
    header = [h.strip() for h in _header_fields(text, sep)]
    if len(header) != df.shape[1]:  # cannot happen for well-formed text; keep pandas' names then
        header = [str(c).strip() for c in df.columns]
    if not any(header):
        raise DataError(f"{where}: the header line has no column names; the first line must name the columns")
    _check_header(header, where)
    df.columns = range(df.shape[1])
    # a trailing delimiter on every line makes a nameless, empty column: drop it quietly
    keep = [i for i, name in enumerate(header) if name or not df[i].isna().all()]
    df = df[keep]
    df.columns = [header[i] for i in keep]
    if "" in df.columns:
        position = keep[list(df.columns).index("")] + 1
        raise DataError(f"{where}: column {position} has no name in the header line; "
                        "give it a name (or delete the column)")
    if len(df) == 0:
        raise DataError(f"{where}: has a header line but no data rows; add rows of values below it")
    return df


def _ragged_message(where: str, line: int, saw: int, expected: int, sep_name: str) -> str:
    return (f"{where}: line {line} has {saw} fields but the header has {expected} ({sep_name}-separated); "
            "check that line for a missing or extra separator, or quote values that contain one")


def _first_ragged_line(text: str, sep: str, n_fields: int) -> tuple[int, int] | None:
    """(file line, field count) of the first non-blank row whose field count differs from the header's."""
    if n_fields == 0:
        return None
    reader = csv.reader(io.StringIO(text), delimiter=sep, skipinitialspace=True)
    try:
        for row in reader:
            if row and len(row) != n_fields and any(cell.strip() for cell in row):
                return reader.line_num, len(row)
    except csv.Error:
        return None
    return None


def _header_fields(text: str, sep: str) -> list[str]:
    try:
        return next(csv.reader(io.StringIO(text[:_HEAD_CHARS]), delimiter=sep, skipinitialspace=True), [])
    except csv.Error:
        return []


def _check_header(names: list[str], where: str) -> None:
    seen: set[str] = set()
    for name in names:
        if name and name in seen:
            raise DataError(f"{where}: the header names column {echo(name)} twice; give each column its own name")
        seen.add(name)


def _looks_like_data(names: list[str]) -> bool:
    """True when every header cell is a number: the file most likely has no header line."""
    def is_number(s: str) -> bool:
        try:
            float(s)
            return True
        except ValueError:
            return False
    return bool(names) and all(is_number(n) for n in names)


def _suggest(name: str, options: list[str]) -> str:
    lower = {o.lower(): o for o in options}
    match = lower.get(name.lower()) or next(iter(difflib.get_close_matches(name, options, n=1)), None)
    return f" (did you mean {echo(match)}?)" if match else ""


def _listing(names: list[str], limit: int = 30) -> str:
    shown = ", ".join(echo(n) for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _resolve_target(df: pd.DataFrame, target: str, where: str) -> str:
    names = list(df.columns)
    target = target.strip()
    if target in names:
        return target
    if _looks_like_data(names):
        raise DataError(f"{where}: the first line ({', '.join(clip(n) for n in names[:5])}) looks like data, not column names; "
                        f"add a header line naming the columns, including the target {echo(target)}")
    raise DataError(f"{where}: has no target column {echo(target)}{_suggest(target, names)}; "
                    f"its columns are {_listing(names)}; set data.target to one of them")


def _resolve_columns(df: pd.DataFrame, target: str, columns: list[str] | None, where: str) -> list[str]:
    names = list(df.columns)
    if columns is None:
        inputs = [c for c in names if c != target]
        if not inputs:
            raise DataError(f"{where}: has only the target column {echo(target)}; add at least one input column")
        return inputs
    chosen = [c.strip() for c in columns]
    unknown = [c for c in chosen if c not in names]
    if unknown:
        first = unknown[0]
        raise DataError(f"{where}: data.columns names {_listing(unknown)}, which it does not have"
                        f"{_suggest(first, names)}; its columns are {_listing(names)}")
    if target in chosen:
        raise DataError(f"{where}: the target {echo(target)} is also listed in data.columns; "
                        "remove it there (a model cannot use the answer as an input)")
    if not chosen:
        raise DataError(f"{where}: data.columns is empty; name at least one input column or leave it out")
    repeated = sorted({c for c in chosen if chosen.count(c) > 1})
    if repeated:
        raise DataError(f"{where}: data.columns lists {_listing(repeated)} more than once; list each column once")
    return chosen


def _check_ragged_if_gaps(df: pd.DataFrame, text: str, sep: str, where: str) -> None:
    """pandas pads short rows with NaN silently; when there are gaps, look for a short row to blame."""
    if not df.isna().to_numpy().any():
        return
    n_fields = len(_header_fields(text, sep))
    found = _first_ragged_line(text, sep, n_fields)
    if found:
        sep_name = {",": "comma", ";": "semicolon", "\t": "tab"}[sep]
        raise DataError(_ragged_message(where, found[0], found[1], n_fields, sep_name))


def _is_text(col: pd.Series) -> bool:
    return not (pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col))


def _check_huge_cells(df: pd.DataFrame, names: list[str], where: str) -> None:
    for name in names:
        col = df[name]
        if not _is_text(col):
            continue
        strings = col.astype("string")
        lengths = strings.str.len().fillna(0).to_numpy()
        if lengths.max() > MAX_FIELD_CHARS:
            row = int(np.argmax(lengths)) + 1
            raise DataError(f"{where}: column {echo(name)} has a {int(lengths.max()):,}-character value at row {row}; "
                            "that is usually a quote that is never closed or text that is not table data; "
                            "fix that cell or leave the column out with data.columns")
        multiline = strings.str.contains("\n", regex=False).fillna(False).to_numpy(dtype=bool)
        if multiline.any():
            row = _first_row(multiline)
            raise DataError(f"{where}: column {echo(name)} has a value spanning several lines at row {row} "
                            f"({_preview(col.iloc[row - 1])}); a quote (\") there probably closes much later; "
                            "remove the stray quote or leave the column out with data.columns")


def _preview(value: object) -> str:
    return echo(str(value))


def _as_numbers(col: pd.Series, decimal_comma: bool) -> pd.Series:
    if not _is_text(col):
        return col.astype(np.float64)
    text = col.astype("string").str.strip()
    if decimal_comma:  # semicolon files from European spreadsheets write 1,5 for 1.5
        text = text.str.replace(",", ".", regex=False)
    return pd.to_numeric(text, errors="coerce").astype(np.float64)


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _count(mask: np.ndarray, noun: str) -> str:
    return _plural(int(np.count_nonzero(mask)), noun)


def _first_row(mask: np.ndarray) -> int:
    return int(np.argmax(mask)) + 1


def _numeric_inputs(df: pd.DataFrame, inputs: list[str], where: str, decimal_comma: bool) -> np.ndarray:
    """float32 (n, k) inputs; every column with a problem is reported at once."""
    problems: list[str] = []
    out = np.empty((len(df), len(inputs)), dtype=np.float32)
    for j, name in enumerate(inputs):
        col = df[name]
        values = _as_numbers(col, decimal_comma).to_numpy()
        given = col.notna().to_numpy()
        bad = np.isnan(values) & given
        missing = ~given
        infinite = np.isinf(values)
        if bad.any():
            first = _first_row(bad)
            problems.append(f"column {echo(name)} has {_count(bad, 'non-numeric value')}, first at row {first} "
                            f"({_preview(col.iloc[first - 1])})")
        elif missing.any():
            problems.append(f"column {echo(name)} has {_count(missing, 'missing value')}, first at row "
                            f"{_first_row(missing)}")
        elif infinite.any():
            problems.append(f"column {echo(name)} has {_count(infinite, 'infinite value')}, first at row "
                            f"{_first_row(infinite)}")
        elif (np.abs(values) > np.finfo(np.float32).max).any():
            huge = np.abs(values) > np.finfo(np.float32).max
            problems.append(f"column {echo(name)} has {_count(huge, 'value')} beyond the 32-bit float range "
                            f"(about 3.4e38), first at row {_first_row(huge)}")
        else:
            out[:, j] = values
    if problems:
        shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more columns" if len(problems) > 5 else "")
        raise DataError(f"{where}: {shown}. Inputs must be numbers: fix or delete those rows, "
                        "or leave the columns out with data.columns")
    return out


# ------------------------------------------------------------------------------------------- target


def encode_target(values: pd.Series, name: str, task: str, where: str,
                  decimal_comma: bool = False) -> tuple[np.ndarray, tuple[str, ...]]:
    """(y, class_names) for a target column: text or whole numbers become classes (class_names sorted
    as the original labels sort; y is 0/1 float32 for two classes, int64 indices for more), numbers stay
    float32 for regression."""
    n = len(values)
    missing = values.isna().to_numpy()
    if missing.any():
        raise DataError(f"{where}: target {echo(name)} is empty in {_count(missing, 'row')}, first at row "
                        f"{_first_row(missing)}; fill those cells in or delete the rows")
    if task == "regression":
        numbers = _as_numbers(values, decimal_comma).to_numpy()
        bad = ~np.isfinite(numbers)
        if bad.any():
            first = _first_row(bad)
            raise DataError(f"{where}: target {echo(name)} has {_count(bad, 'non-numeric value')}, "
                            f"first at row {first} ({_preview(values.iloc[first - 1])}); regression needs numbers: "
                            "fix those cells, or set task to 'classification' if they are categories")
        huge = np.abs(numbers) > np.finfo(np.float32).max
        if huge.any():
            raise DataError(f"{where}: target {echo(name)} has {_count(huge, 'value')} beyond the 32-bit float "
                            f"range (about 3.4e38), first at row {_first_row(huge)}; rescale the column")
        return numbers.astype(np.float32), ()
    if _is_text(values):
        labels = values.astype("string").str.strip()
        codes, uniques = pd.factorize(labels, sort=True)
        names = tuple(str(u) for u in uniques)
    else:
        numbers = values.to_numpy(dtype=np.float64)
        bad = ~np.isfinite(numbers)
        if bad.any():
            raise DataError(f"{where}: target {echo(name)} has {_count(bad, 'infinite value')}, first at row "
                            f"{_first_row(bad)}; fix or delete those rows")
        fractional = numbers != np.round(numbers)
        if fractional.any():
            first = _first_row(fractional)
            raise DataError(f"{where}: target {echo(name)} holds fractional numbers (e.g. {numbers[first - 1]:g} at row "
                            f"{first}), which are not classes; set task to 'regression' to predict them")
        uniques, codes = np.unique(numbers, return_inverse=True)
        if pd.api.types.is_bool_dtype(values):
            names = tuple(str(bool(u)) for u in uniques)
        else:
            names = tuple(str(int(u)) for u in uniques)
    k = len(names)
    if k < 2:
        raise DataError(f"{where}: target {echo(name)} has only one class ({echo(names[0])}) in {_plural(n, 'row')}; "
                        "classification needs at least two; pick another target or add rows of the other classes")
    limit = min(MAX_CLASSES, max(2, n // 2))
    if k > limit:
        raise DataError(f"{where}: target {echo(name)} has {k} distinct values in {n} rows, too many classes to learn "
                        f"(at most {MAX_CLASSES}, and at most half the rows); if it is a number to predict, "
                        "set task to 'regression', otherwise pick another target")
    codes = np.asarray(codes)
    y = codes.astype(np.float32) if k == 2 else codes.astype(np.int64)
    return y, names


# ------------------------------------------------------------------------------------------ bundled

def load_bundled(source: DataSource | str, columns: list[str] | None = None) -> Table:
    """One of scikit-learn's bundled sets (shipped with scikit-learn, nothing is downloaded)."""
    from sklearn import datasets  # imported here: it is slow to import and only these sets need it

    source = DataSource(source)
    if source not in BUNDLED_SOURCES:
        raise DataError(f"'{source.value}' is not a bundled set; choose one of "
                        + ", ".join(s.value for s in BUNDLED_SOURCES))
    record = SOURCES[source]
    description = record.description
    loader = getattr(datasets, record.load)
    bunch = loader(scaled=False) if source == DataSource.diabetes else loader()
    all_columns = [str(c) for c in bunch.feature_names]
    x = np.asarray(bunch.data, dtype=np.float32)
    where = f"bundled set '{source.value}'"
    if columns is not None:
        frame = pd.DataFrame(x, columns=all_columns)
        chosen = _resolve_columns(frame, "", columns, where)
        x = frame[chosen].to_numpy(np.float32)
    else:
        chosen = all_columns
    if source in BUNDLED_REGRESSION:
        y = np.asarray(bunch.target, dtype=np.float32)
        class_names: tuple[str, ...] = ()
        task, target = "regression", "progression"
    else:
        codes = np.asarray(bunch.target, dtype=np.int64)
        class_names = tuple(str(n) for n in bunch.target_names)
        y = codes.astype(np.float32) if len(class_names) == 2 else codes
        task, target = "classification", "class"
    return Table(x=np.ascontiguousarray(x), y=y, columns=tuple(chosen), target=target, task=task,
                 class_names=class_names, description=description, meta={"source": source.value})
