"""Write answers in the file formats the field sends: KoboToolbox CSV and XLSX, ODK Central
CSV and SPSS ``.sav``.

Every writer takes the form's layout and a table of answers with one text column per form
field, named by the field's ``name`` ("" = no answer, as submitted to the server). Headers,
group prefixes and the expansion of ``select_multiple`` and ``geopoint`` follow the form.
The formats are described in ``shared/domain/export_formats.md``: Kobo columns come from
formpack's field classes, and Central columns from central-backend's tests. Output is
byte-for-byte reproducible: nothing reads the wall clock, and the time stamps that
openpyxl and ReadStat would take from it are replaced with a fixed export time.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
from openpyxl import Workbook

from evaluation.errors import InstrumentError
from evaluation.synth.forms import Field, FormLayout
from evaluation.synth.submissions import n_rows
from evaluation.validation import is_number

CHUNK_ROWS = 20_000
KOBO_META = (
    "_id",
    "_uuid",
    "_submission_time",
    "_validation_status",
    "_notes",
    "_status",
    "_submitted_by",
    "__version__",
    "_tags",
    "_index",
)
CENTRAL_TRAILER = (
    "KEY",
    "SubmitterID",
    "SubmitterName",
    "AttachmentsPresent",
    "AttachmentsExpected",
    "Status",
    "ReviewState",
    "DeviceID",
    "Edits",
    "FormVersion",
)
_GPS_PARTS = ("latitude", "longitude", "altitude", "precision")
_CENTRAL_GPS = ("Latitude", "Longitude", "Altitude", "Accuracy")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Written:
    """What a writer wrote: data rows, columns and the form fields it had no answers for."""

    rows: int
    columns: int
    empty_fields: tuple[str, ...] = ()


def check_answers(layout: FormLayout, answers: Mapping[str, np.ndarray]) -> tuple[str, ...]:
    """Raise if ``answers`` has a column the form does not; return form fields it lacks."""
    names = {f.name for f in layout.fields}
    extra = [c for c in answers if c not in names]
    if extra:
        raise InstrumentError(
            f"the demo generator wrote {extra} but form '{layout.form_id}' (version "
            f"{layout.version}) has no such field; the generator and "
            f"surveys/instruments/{layout.form_id}.xlsx are out of step"
        )
    return tuple(f.name for f in layout.fields if f.name not in answers)


# --------------------------------------------------------------------------- text columns
def _values(answers: Mapping[str, np.ndarray], name: str, start: int, stop: int) -> np.ndarray:
    if name not in answers:
        return np.full(stop - start, "", dtype=object)
    return np.asarray(answers[name], dtype=object)[start:stop]


def _select_multiple_flags(summary: np.ndarray, choices: Sequence[str]) -> list[np.ndarray]:
    """One column per choice: "1"/"0", or "" where the question has no answer."""
    codes, uniques = pd.factorize(summary, use_na_sentinel=False)
    chosen = [set(str(u).split()) for u in uniques]
    columns = []
    for choice in choices:
        per_unique = np.array(
            ["" if not c else ("1" if choice in c else "0") for c in chosen], dtype=object
        )
        columns.append(per_unique[codes])
    return columns


def _gps_parts(raw: np.ndarray) -> list[np.ndarray]:
    parts = [str(v).split() for v in raw]
    return [np.array([p[i] if len(p) > i else "" for p in parts], dtype=object) for i in range(4)]


def _kobo_headers(layout: FormLayout, sep: str) -> list[str]:
    headers: list[str] = []
    for f in layout.fields:
        headers.append(f.path(sep))
        if f.kind == "select_multiple":
            headers += [f"{f.path(sep)}{sep}{c}" for c in layout.choice_names(f.list_name or "")]
        elif f.kind == "geopoint":
            prefix = sep.join(f.groups) + sep if f.groups else ""
            headers += [f"{prefix}_{f.name}_{part}" for part in _GPS_PARTS]
    return headers


def _kobo_columns(
    layout: FormLayout, answers: Mapping[str, np.ndarray], start: int, stop: int
) -> list[np.ndarray]:
    columns: list[np.ndarray] = []
    for f in layout.fields:
        values = _values(answers, f.name, start, stop)
        columns.append(values)
        if f.kind == "select_multiple":
            columns += _select_multiple_flags(values, layout.choice_names(f.list_name or ""))
        elif f.kind == "geopoint":
            columns += _gps_parts(values)
    return columns


def _chunks(n: int) -> Iterator[tuple[int, int]]:
    for start in range(0, n, CHUNK_ROWS):
        yield start, min(n, start + CHUNK_ROWS)


# --------------------------------------------------------------------------- KoboToolbox CSV
def write_kobo_csv(
    path: Path,
    layout: FormLayout,
    answers: Mapping[str, np.ndarray],
    meta: Mapping[str, np.ndarray],
    *,
    encoding: str = "utf-8",
    group_sep: str = "/",
) -> Written:
    """Write a KoboToolbox CSV export ("XML values and headers", groups in headers).

    Parameters
    ----------
    path : Path
        The file to write.
    layout : FormLayout
        The form the answers belong to.
    answers : pandas.DataFrame
        One text column per form field, named by the field's name; "" = no answer.
    meta : pandas.DataFrame
        The system columns ``_id`` … ``_index`` (see :data:`KOBO_META`), as text.
    encoding : str
        ``utf-8`` as Kobo writes it, or another encoding to imitate a file re-saved on
        a Windows PC (``cp1250``).
    group_sep : str
        The group separator in headers (Kobo's default ``/``).

    Notes
    -----
    formpack ``Export.to_csv``: ``;`` separator, every field quoted with ``"`` (inner
    quotes doubled), ``\\r\\n`` line ends, no byte-order mark. ``select_multiple`` gives a
    space-separated column and one ``1``/``0`` column per choice, left empty when the
    question has no answer. A geopoint gives its raw column plus
    ``_<name>_latitude|longitude|altitude|precision``.
    """
    empty = check_answers(layout, answers)
    headers = _kobo_headers(layout, group_sep) + list(KOBO_META)
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        writer.writerow(headers)
        for start, stop in _chunks(n_rows(answers)):
            columns = _kobo_columns(layout, answers, start, stop)
            columns += [np.asarray(meta[m], dtype=object)[start:stop] for m in KOBO_META]
            writer.writerows(zip(*columns, strict=True))
    return Written(n_rows(answers), len(headers), empty)


# --------------------------------------------------------------------------- KoboToolbox XLSX
def _typed(kind: str, name: str, values: np.ndarray) -> list[object]:
    """Excel cell values for one field, as a typed Kobo XLSX export stores them."""
    out: list[object] = []
    for v in values:
        if v == "" or v is None:
            out.append(None)
        elif kind == "integer":
            out.append(int(v))
        elif kind == "decimal":
            out.append(float(v))
        elif kind in {"date", "today"}:
            out.append(dt.date.fromisoformat(v))
        elif kind in {"start", "end", "dateTime", "datetime"}:
            # formpack writes Excel datetimes with the time zone removed
            out.append(dt.datetime.fromisoformat(v).replace(tzinfo=None))
        else:
            out.append(v)
    return out


def write_kobo_xlsx(
    path: Path,
    layout: FormLayout,
    answers: Mapping[str, np.ndarray],
    meta: Mapping[str, np.ndarray],
    *,
    exported_at: dt.datetime,
    group_sep: str = "/",
) -> Written:
    """Write a KoboToolbox XLSX export with typed cells (numbers, dates, datetimes).

    The single sheet is named after the form title (cut to Excel's 31 characters). Headers
    are the same as in :func:`write_kobo_csv`. ``_id`` and ``_index`` are numbers and
    ``_submission_time`` an Excel datetime, as in a real export
    (``tests/fixtures/real/kobo_sample_export.xlsx``).
    """
    empty = check_answers(layout, answers)
    headers = _kobo_headers(layout, group_sep) + list(KOBO_META)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_sheet_title(layout.title))
    ws.append(headers)
    columns: list[list[object]] = []
    for f in layout.fields:
        values = _values(answers, f.name, 0, n_rows(answers))
        columns.append(_typed(f.kind, f.name, values))
        if f.kind == "select_multiple":
            flags = _select_multiple_flags(values, layout.choice_names(f.list_name or ""))
            columns += [[None if v == "" else int(v) for v in col] for col in flags]
        elif f.kind == "geopoint":
            columns += [[float(v) if v else None for v in col] for col in _gps_parts(values)]
    for m in KOBO_META:
        values = np.asarray(meta[m], dtype=object)
        if m in {"_id", "_index"}:
            columns.append([int(v) for v in values])
        elif m == "_submission_time":
            columns.append([dt.datetime.fromisoformat(v) for v in values])
        else:
            columns.append([v if v != "" else None for v in values])
    for row in zip(*columns, strict=True):
        ws.append(row)
    wb.properties.creator = "KoboToolbox"
    wb.properties.created = exported_at
    wb.properties.modified = exported_at
    buffer = io.BytesIO()
    wb.save(buffer)
    path.write_bytes(_reproducible_zip(buffer.getvalue(), exported_at))
    return Written(n_rows(answers), len(headers), empty)


def _sheet_title(title: str) -> str:
    cleaned = re.sub(r"[\[\]:*?/\\]", " ", title)
    return cleaned[:31].rstrip()


_CORE_TIMES = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")


def _reproducible_zip(data: bytes, stamp: dt.datetime) -> bytes:
    """Re-pack an XLSX with fixed member times and fixed document-property times.

    openpyxl stamps ``docProps/core.xml`` and every zip member with the current time.
    """
    iso = stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as zin,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout,
    ):
        for item in zin.infolist():
            content = zin.read(item.filename)
            if item.filename == "docProps/core.xml":
                content = _CORE_TIMES.sub(rb"\g<1>" + iso + rb"\g<3>", content)
            info = zipfile.ZipInfo(item.filename, date_time=stamp.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zout.writestr(info, content)
    return out.getvalue()


# --------------------------------------------------------------------------- ODK Central CSV
def _central_headers(layout: FormLayout) -> list[str]:
    headers: list[str] = []
    for f in layout.fields:
        if f.kind == "geopoint":
            headers += [f"{f.path('-')}-{part}" for part in _CENTRAL_GPS]
        else:
            headers.append(f.path("-"))
    return headers


def write_central_csv(
    path: Path,
    layout: FormLayout,
    answers: Mapping[str, np.ndarray],
    submission_date: np.ndarray,
    instance_id: np.ndarray,
    trailer: Mapping[str, np.ndarray],
) -> Written:
    """Write an ODK Central CSV export (the root table, default options).

    Notes
    -----
    central-backend ``test/unit/data/briefcase.js``: ``,`` separator, quoting only where
    needed, ``SubmissionDate`` first, then the form fields in form order with groups joined
    by ``-`` (``select_multiple`` stays one space-separated column), ``meta-instanceID``
    where pyxform puts it (after the last field), then the trailer
    ``KEY,SubmitterID,SubmitterName,AttachmentsPresent,AttachmentsExpected,Status,
    ReviewState,DeviceID,Edits,FormVersion``.
    """
    empty = check_answers(layout, answers)
    headers = ["SubmissionDate", *_central_headers(layout), "meta-instanceID", *CENTRAL_TRAILER]
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter=",", quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        writer.writerow(headers)
        for start, stop in _chunks(n_rows(answers)):
            columns = [submission_date[start:stop]]
            for f in layout.fields:
                values = _values(answers, f.name, start, stop)
                columns += _gps_parts(values) if f.kind == "geopoint" else [values]
            columns.append(instance_id[start:stop])
            columns += [np.asarray(trailer[t], dtype=object)[start:stop] for t in CENTRAL_TRAILER]
            writer.writerows(zip(*columns, strict=True))
    return Written(n_rows(answers), len(headers), empty)


# --------------------------------------------------------------------------- SPSS .sav
def write_sav(
    path: Path,
    layout: FormLayout,
    answers: Mapping[str, np.ndarray],
    *,
    extra: Mapping[str, np.ndarray],
    rename: Mapping[str, str],
    exported_at: dt.datetime,
) -> Written:
    """Write the SPSS file a survey firm delivers from the same questionnaire.

    Variables have the field names without group prefixes. Choices with numeric names keep
    their number; text choices are recoded 1…k in the order of the choice list. Both get
    value labels from the English choice labels. ``select_multiple`` becomes a text
    variable plus one 0/1 variable ``<name>_<choice>`` per choice. Integer, decimal and
    numeric calculates are numbers; ``start``/``end`` are SPSS datetimes in local time;
    dates are SPSS dates. Variable labels are the English question labels.

    Parameters
    ----------
    extra : Mapping[str, numpy.ndarray]
        Text variables the firm appends (e.g. ``instanceID``).
    rename : Mapping[str, str]
        Variables the firm renamed, old name to new name.
    exported_at : datetime.datetime
        Written into the file header in place of the time of writing.
    """
    empty = check_answers(layout, answers)
    data: dict[str, object] = {}
    labels: dict[str, str] = {}
    value_labels: dict[str, dict[float, str]] = {}
    formats: dict[str, str] = {}
    for f in layout.fields:
        values = _values(answers, f.name, 0, n_rows(answers))
        _sav_field(f, layout, values, data, labels, value_labels, formats)
    for name, values in extra.items():
        data[name] = np.asarray(values, dtype=object)
        labels[name] = name
    # object columns stay object: pandas would otherwise convert text to Arrow strings,
    # which pyreadstat then iterates slowly
    frame = pd.DataFrame(
        {
            rename.get(k, k): pd.Series(v, dtype=object) if _is_text(v) else v
            for k, v in data.items()
        },
        copy=False,
    )
    value_labels = {rename.get(k, k): v for k, v in value_labels.items()}
    column_labels = [labels[k] for k in data]
    pyreadstat.write_sav(
        frame,
        str(path),
        column_labels=column_labels,
        variable_value_labels=value_labels,
        variable_format={rename.get(k, k): v for k, v in formats.items()},
        file_label=layout.title[:64],
    )
    _stamp_sav_header(path, exported_at)
    return Written(len(frame), frame.shape[1], empty)


def _sav_field(
    f: Field,
    layout: FormLayout,
    values: np.ndarray,
    data: dict[str, object],
    labels: dict[str, str],
    value_labels: dict[str, dict[float, str]],
    formats: dict[str, str],
) -> None:
    label = f.label or f.name
    if f.kind in {"select_one", "select_multiple"}:
        choices = layout.choices[f.list_name or ""]
        numeric = all(is_number(name) for name, _ in choices)
        codes = {
            name: float(name) if numeric else float(i)
            for i, (name, _) in enumerate(choices, start=1)
        }
        if f.kind == "select_one":
            data[f.name] = _lookup(values, codes)
            value_labels[f.name] = {codes[n]: lab for n, lab in choices}
            labels[f.name] = label
            return
        data[f.name] = values
        labels[f.name] = label
        for (name, choice_label), flags in zip(
            choices, _select_multiple_flags(values, [n for n, _ in choices]), strict=True
        ):
            var = f"{f.name}_{name}"
            data[var] = _lookup(flags, {"1": 1.0, "0": 0.0})
            labels[var] = f"{label}: {choice_label}"
            value_labels[var] = {0.0: "Not selected", 1.0: "Selected"}
        return
    labels[f.name] = label
    if f.kind in {"start", "end", "date", "today"}:
        data[f.name] = _spss_seconds(values)
        formats[f.name] = "DATETIME23.2" if f.kind in {"start", "end"} else "DATE11"
    elif f.kind in {"integer", "decimal"} or (
        f.kind == "calculate" and all(v == "" or is_number(v) for v in pd.unique(values))
    ):
        data[f.name] = _to_float(values)
    else:
        data[f.name] = values


# Seconds from the SPSS epoch (1582-10-14) to the Unix epoch.
_SPSS_EPOCH_OFFSET = 12_219_379_200.0


def _spss_seconds(values: np.ndarray) -> np.ndarray:
    """ISO dates or device datetimes as SPSS seconds since 1582-10-14, local clock time.

    Passing numbers with a DATE/DATETIME format (rather than datetime columns) keeps
    pyreadstat from copying the whole frame to convert them.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    local = [str(u)[:23] for u in uniques]
    stamps = pd.to_datetime(pd.Series(local).replace("", None), format="ISO8601")
    seconds = (stamps - pd.Timestamp("1970-01-01")).dt.total_seconds() + _SPSS_EPOCH_OFFSET
    return seconds.to_numpy(dtype=float)[codes] if len(uniques) else np.array([], dtype=float)


def _is_text(values: object) -> bool:
    return isinstance(values, np.ndarray) and values.dtype == object


def _to_float(values: np.ndarray) -> np.ndarray:
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    as_float = np.array([float(u) if u != "" else np.nan for u in uniques])
    return as_float[codes] if len(uniques) else np.array([], dtype=float)


def _lookup(values: np.ndarray, mapping: Mapping[str, float]) -> np.ndarray:
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    table = np.array([mapping.get(u, np.nan) for u in uniques], dtype=float)
    return table[codes] if len(uniques) else np.array([], dtype=float)


def _stamp_sav_header(path: Path, stamp: dt.datetime) -> None:
    """Overwrite the creation date and time ReadStat takes from the clock (bytes 92-108)."""
    data = bytearray(path.read_bytes())
    if data[:4] != b"$FL2":
        raise InstrumentError(f"{path}: not an SPSS file header; cannot fix its time stamp")
    month = _MONTHS[stamp.month - 1]  # not %b, which follows the locale
    data[92:101] = f"{stamp.day:02d} {month} {stamp.year % 100:02d}".encode("ascii")
    data[101:109] = stamp.strftime("%H:%M:%S").encode("ascii")
    path.write_bytes(bytes(data))


@dataclass(frozen=True)
class FileRecord:
    """One raw file of the demo world, as ``truth.json`` lists it."""

    name: str
    form: str
    form_version: str
    format: str
    encoding: str
    rows: int
    columns: int
    description: str
    empty_fields: tuple[str, ...] = ()

    @classmethod
    def of(
        cls,
        name: str,
        layout: FormLayout,
        written: Written,
        file_format: str,
        encoding: str,
        description: str,
    ) -> FileRecord:
        """The record of a file a writer wrote from ``layout``'s form."""
        return cls(
            name,
            layout.form_id,
            layout.version,
            file_format,
            encoding,
            written.rows,
            written.columns,
            description,
            written.empty_fields,
        )

    def as_truth(self) -> dict[str, object]:
        """JSON-ready dict (``empty_fields``: form fields the generator left empty)."""
        return {
            "form": self.form,
            "form_version": self.form_version,
            "format": self.format,
            "encoding": self.encoding,
            "rows": self.rows,
            "columns": self.columns,
            "description": self.description,
            "empty_fields": list(self.empty_fields),
        }
