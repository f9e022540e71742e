"""The write stage: exactly one row in ``decisions.jsonl`` per input record,
its reason worded here, the kept documents (cleaned) in ``documents.jsonl`` or
``documents.parquet``, ``report.html`` and the summary; with an index, this run's kept
documents are added to it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from .. import _backend
from .. import report as html_report
from .._version import __version__
from ..align import align
from ..decide import Decisions, describe
from ..io.errors import InputError
from ..io.read import ARROW_BATCH_ROWS, ArrowInput, Record, RecordReader
from ..io.write import json_document, json_line, json_strings, json_values
from ..spans import CutMap, merge_spans
from .decide import KEEP_POLICY, Decided
from .state import CleanOptions, Doc, DocTable, Run, Spool, open_index


@dataclass
class Tally:
    """What the summary and the report count while the decisions are written."""

    actions: Counter[str] = field(default_factory=Counter)
    removed_chars: Counter[str] = field(default_factory=Counter)
    #: Per site: characters read, characters removed as chrome or repeats.
    site_chars: defaultdict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    examples: list[html_report.Example] = field(default_factory=list)
    most_chrome: list[tuple[float, Record, list[tuple[int, int, str]]]] = field(default_factory=list)
    truncated: int = 0


class KeptDocuments:
    """The kept documents, cleaned, under the input's id and text field names with every other
    field as it was: ``documents.parquet`` when every input is Parquet (the columns of all of
    them), else ``documents.jsonl``. Rows are written 1024 at a time."""

    def __init__(self, run: Run) -> None:
        self.out = run.out
        self.parquet = run.parquet_out
        self.name = "documents.parquet" if self.parquet else "documents.jsonl"
        self.path = run.out.path(self.name)
        #: (id, cleaned text in UTF-8, other fields): for Parquet the id and a dict, for JSONL
        #: the id's JSON and the other fields' (:func:`neardup.io.write.json_tail`)
        self.rows: list[tuple[Any, bytes, Any]] = []
        self.parquet_writer: Any = None
        self.schema = documents_schema(run.reader) if self.parquet else None
        self.id_field, self.text_field = run.reader.fields.id, run.reader.fields.text
        self.file = None if self.parquet else run.out.open(self.name, "wb")

    def add(self, record: Record, cleaned: bytes) -> None:
        """Add ``record``'s row to ``documents.parquet``, its text ``cleaned`` (UTF-8; ids
        are written as text)."""
        assert self.parquet, "documents.jsonl rows are added with add_json"
        self.rows.append((record.id, cleaned, record.extra))
        self.flush()

    def add_json(self, ids: list[str], cleaned: list[bytes], tails: list[bytes]) -> None:
        """Add ``documents.jsonl`` rows: each one's id as JSON (:func:`neardup.io.write.json_values`),
        its cleaned text in UTF-8 and the JSON of its other fields
        (:func:`neardup.io.write.json_tail`)."""
        self.rows.extend(zip(ids, cleaned, tails))
        self.flush()

    def flush(self, final: bool = False) -> None:
        if not self.rows or (not final and len(self.rows) < 1024):
            return
        id_field, text_field = self.id_field, self.text_field
        if self.parquet:
            import pyarrow as pa
            import pyarrow.parquet as pq

            rows = [{id_field: id_value, text_field: cleaned.decode("utf-8"), **extra} for id_value, cleaned, extra in self.rows]
            table = pa.Table.from_pylist(rows, schema=self.schema)
            with self.out.guard(self.name):
                if self.parquet_writer is None:
                    self.parquet_writer = pq.ParquetWriter(self.path, self.schema)
                self.parquet_writer.write_table(table)
        else:
            assert self.file is not None
            # The texts, most of the bytes, quoted in one call from the spool's UTF-8 to the
            # file's (never made Python strings); each line as json_line writes the whole row
            # (an id field that is the text field is the text).
            quoted = json_strings([cleaned for _, cleaned, _ in self.rows])
            self.file.writelines(
                json_document(id_field, id_json, text_field, text_json, tail) for (id_json, _, tail), text_json in zip(self.rows, quoted)
            )
        self.rows.clear()

    def close(self) -> None:
        self.flush(final=True)
        if self.file is not None:
            self.file.close()
        with self.out.guard(self.name):
            if self.parquet_writer is not None:
                self.parquet_writer.close()
            elif self.parquet:
                import pyarrow.parquet as pq

                pq.write_table(self.schema.empty_table(), self.path)

    def abandon(self) -> None:
        """Close what is open quietly: the first error is the one to report."""
        if self.file is not None:
            self.file.abandon()
        if self.parquet_writer is not None:
            try:
                self.parquet_writer.close()
            except Exception:  # noqa: BLE001 - the error being raised is the one to report
                pass


class DecisionTable:
    """``decisions.arrow``: the decisions as an Arrow table (IPC stream format, which
    ``pyarrow.ipc.open_stream`` and ``datasets.Dataset.from_file`` read memory-mapped), one row
    per input record in input order, with the cleaned text of each kept document; written
    :data:`neardup.io.ARROW_BATCH_ROWS` rows at a time. Columns: see
    :func:`neardup.pipeline.decisions_schema`."""

    def __init__(self, run: Run) -> None:
        self.out = run.out
        self.name = "decisions.arrow"
        self.schema = decisions_schema(id_type_of(run.reader))
        self.id_is_text = is_text_type(self.schema.field("id").type)
        self.rows: list[dict[str, Any]] = []
        self.writer: Any = None

    def typed(self, id_value: Any) -> Any:
        """An id as the ``id`` column holds it: a made-up (text) id of a row whose id column
        is not text is null there."""
        return id_value if self.id_is_text or not isinstance(id_value, str) else None

    def add(self, record: Record, row: dict[str, Any], kept_index: int | None, cleaned: bytes | None) -> None:
        self.rows.append({
            "row": record.index,
            "id": self.typed(record.written_id),
            "action": row["action"],
            "reason": row["reason"],
            "duplicate_of": None if row["duplicate_of"] is None else self.typed(row["duplicate_of"]),
            "duplicate_of_row": kept_index,
            "score": row["score"],
            "removed": [{"start": s, "end": e, "reason": why} for s, e, why in row["removed"]],
            "truncated": bool(row.get("truncated", False)),
            "source": row.get("source"),
            "cleaned_text": None if cleaned is None else cleaned.decode("utf-8"),
        })
        if len(self.rows) >= ARROW_BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        import pyarrow as pa

        if not self.rows:
            return
        batch = pa.RecordBatch.from_pylist(self.rows, schema=self.schema)
        with self.out.guard(self.name):
            if self.writer is None:
                self.writer = pa.ipc.new_stream(str(self.out.path(self.name)), self.schema)
            self.writer.write_batch(batch)
        self.rows.clear()

    def close(self) -> None:
        import pyarrow as pa

        self.flush()
        with self.out.guard(self.name):
            if self.writer is None:  # no input record: an empty table
                self.writer = pa.ipc.new_stream(str(self.out.path(self.name)), self.schema)
            self.writer.close()

    def abandon(self) -> None:
        """Close what is open quietly: the first error is the one to report."""
        if self.writer is not None:
            try:
                self.writer.close()
            except Exception:  # noqa: BLE001 - the error being raised is the one to report
                pass


def write(run: Run, decided: Decided) -> dict[str, Any]:
    """The last stage (a last pass over the input for Parquet output only): one decision per
    input record, the kept documents, the report; returns the summary (``summary.json`` is
    written by :func:`neardup.pipeline.clean`)."""
    tally = Tally()
    documents = KeptDocuments(run)
    table = DecisionTable(run) if run.arrow_out else None
    rows = DecisionRows(run, decided, documents, tally)
    try:
        with run.out.open("decisions.jsonl") as decisions_file:
            if run.writes_from_spool:
                rows.write_from_spool(decisions_file)
            else:
                # Records are made in this thread: the pass is Python throughout, and a
                # reading thread would only contend for the GIL (measured: 1.99 s against
                # 1.76 s on bench-corpus-22k). Gzip inflates in a thread of ISA-L's own.
                for record in run.progress(run.corpus.read(threads=run.options.num_threads != 1), desc="write"):
                    row, kept_index, cleaned = rows.decision(record)
                    decisions_file.write(json_line(row))
                    if table is not None:
                        table.add(record, row, kept_index, cleaned)
                    if record.index % 4096 == 0:
                        run.out.check()
        documents.close()
        if table is not None:
            table.close()
    except BaseException:
        documents.abandon()
        if table is not None:
            table.abandon()
        raise
    summary = summarize(run, decided, tally, [documents.name, "decisions.jsonl"] + ([table.name] if table else []))
    examples = tally.examples + [chrome_example(record, rows.text_of(record), removed) for _, record, removed in tally.most_chrome]
    with run.out.open("report.html") as handle:
        handle.write(report(decided, tally, summary, len(run.docs), examples))
    if run.options.index:
        summary["index"] = add_to_index(run.docs, decided.decisions, run.spool, run.options)
    return summary


#: The ``decisions.jsonl`` row of a document kept whole (nothing removed, nothing truncated)
#: that no other document duplicates, around its id: most rows of a corpus.
_UNIQUE_ROW = json_line({"id": 0, "action": "kept", "reason": "unique", "duplicate_of": None, "score": None, "removed": []})
UNIQUE_ROW_HEAD, UNIQUE_ROW_TAIL = _UNIQUE_ROW.split("0", 1)
#: Records whose rows and documents the write stage writes at once (their ids quoted and the
#: kept ones' texts read in one call each).
WRITE_WINDOW = 1024


class DecisionRows:
    """The ``decisions.jsonl`` row of each input record, in input order; kept documents go
    to ``documents``, counts and examples to ``tally``."""

    def __init__(self, run: Run, decided: Decided, documents: KeptDocuments, tally: Tally) -> None:
        self.run, self.decided, self.documents, self.tally = run, decided, documents, tally
        self.count = len(run.docs)
        #: Span reasons seen that are their own category in the summary and not a duplicate's
        #: ("template", not "duplicate of d7"): most spans, counted without parsing the reason.
        self.plain_reasons: set[str] = set()

    def name(self, node: int) -> str:
        docs, indexed_ids, count = self.run.docs, self.decided.indexed_ids, self.count
        return docs.id_of(node) if node < count else f"{indexed_ids[node - count]} in the index"

    def reason(self, position: int) -> str:
        decided, options, docs = self.decided, self.run.options, self.run.docs
        empty = options.dedup and docs.int_of("shingles", position) == 0
        return describe(decided.decisions, position, name=self.name, methods=decided.methods, policy=KEEP_POLICY, empty=empty)

    def unique_whole(self) -> list[bool]:
        """Per document of the corpus: whether it is kept whole and unique (its row is
        :data:`UNIQUE_ROW_HEAD`, its id and :data:`UNIQUE_ROW_TAIL`)."""
        docs, outcome, count = self.run.docs, self.decided.decisions, self.count
        positions = np.arange(count)
        unique = (outcome.kept[:count] == positions) & (outcome.cluster[:count] < 0) & ~outcome.matched[:count].astype(bool)
        if self.run.options.dedup:
            unique &= docs.column("shingles") > 0  # (else "empty: no shingles to compare")
        cut = docs.cut_positions()
        if cut:
            unique[np.fromiter(cut, dtype=np.int64, count=len(cut))] = False
        return unique.tolist()

    def write_from_spool(self, file: Any) -> None:
        """Write every input record's row to ``file`` (``decisions.jsonl``) in input order, and
        the kept documents, from the document table and the spool (no input is read),
        :data:`WRITE_WINDOW` records at a time: the kept documents' texts are read in one call
        and their ids quoted in another, and the rows of unique documents kept whole, most of
        them, are made without deciding them one by one."""
        run, docs, skipped = self.run, self.run.docs, self.run.skipped
        unique = self.unique_whole()
        # The window's rows in order (a unique document kept whole as its position), and the
        # positions of its kept documents.
        lines: list[str | int] = []
        kept: list[int] = []
        position = 0  # the next readable record's row of the document table
        for index in run.progress(range(len(docs) + len(skipped)), desc="write"):
            if index % 4096 == 0:
                run.out.check()
            unreadable = skipped.get(index)
            if unreadable is not None:
                lines.append(json_line(self.decision(unreadable.record(index))[0]))
            else:
                p, position = position, position + 1
                if unique[p]:
                    lines.append(p)
                    kept.append(p)
                else:
                    row = self.decision(Record(index, docs.id_of(p), None, site=docs.site_of(p), id_value=docs.written_id_of(p)))[0]
                    lines.append(json_line(row))
                    if row["action"] in ("kept", "changed"):
                        kept.append(p)
            if len(lines) >= WRITE_WINDOW:
                self.write_window(lines, kept, file)
        self.write_window(lines, kept, file)

    def write_window(self, lines: list[str | int], kept: list[int], file: Any) -> None:
        """Write a window's rows (``lines``: a row's JSON line, or the position of a unique
        document kept whole) and its ``kept`` documents; empties both."""
        docs, spool, tally = self.run.docs, self.run.spool, self.tally
        ids = json_values([docs.written_id_of(p) for p in kept])
        id_of = dict(zip(kept, ids))
        file.write("".join(line if line.__class__ is str else f"{UNIQUE_ROW_HEAD}{id_of[line]}{UNIQUE_ROW_TAIL}" for line in lines))
        # Each kept document's text and the JSON of its other fields are spooled one after the
        # other (sign.sign_batch): one read of the window's stretch of the spool.
        texts = spool.read_utf8_many([offset for p in kept for offset in (docs.int_of("spool_offset", p), docs.int_of("tail_offset", p))])
        self.documents.add_json(ids, texts[0::2], texts[1::2])
        site_chars, unique = tally.site_chars, 0
        for line in lines:
            if line.__class__ is int:
                site_chars[docs.site_of(line) or "(none)"][0] += docs.int_of("length", line)
                unique += 1
        tally.actions["kept"] += unique
        lines.clear()
        kept.clear()

    def text_of(self, record: Record) -> str:
        """The text of readable ``record`` as read (less what truncation cut): its own, or
        made again from its cleaned text and the characters removed, both spooled."""
        if record.text is not None:
            return record.text
        docs, spool = self.run.docs, self.run.spool
        position = docs.position(record.index)
        assert position is not None, "a readable record"
        cleaned = spool.read(docs.int_of("spool_offset", position))
        removed = docs.removed_of(position)
        if not removed:
            return cleaned
        removed_text = spool.read(docs.int_of("removed_text_offset", position))
        return CutMap(docs.int_of("length", position), removed).uncut(cleaned, removed_text)

    def decision(self, record: Record) -> tuple[dict[str, Any], int | None, bytes | None]:
        """``(row, kept_index, cleaned)``: the ``decisions.jsonl`` row of ``record``, the input
        position of the corpus document it was dropped for (None if not dropped for one) and
        its cleaned text in UTF-8 if it is kept (None if not)."""
        run, tally, count = self.run, self.tally, self.count
        docs, spool, skipped, outcome = run.docs, run.spool, run.skipped, self.decided.decisions
        indexed_ids = self.decided.indexed_ids
        actions, removed_chars, site_chars = tally.actions, tally.removed_chars, tally.site_chars
        reason = self.reason
        row: dict[str, Any] = {"id": record.written_id, "action": "", "reason": "", "duplicate_of": None, "score": None, "removed": []}
        position = docs.position(record.index)
        if not run.writes_from_spool and (
            (record.index not in skipped) if record.text is None else (position is None or docs.id_of(position) != record.id)
        ):
            run.corpus.changed()  # (a change the digest at the end of the pass would tell too late)
        if position is None:
            row.update(action="skipped", reason=skipped[record.index].reason, source=record.source)
            actions["skipped"] += 1
            return row, None, None
        doc_removed = docs.removed_of(position)
        length = docs.int_of("length", position)
        truncation = docs.truncation_of(position)
        kept_node = int(outcome.kept[position])
        site = docs.site_of(position) or "(none)"
        site_chars[site][0] += length if truncation is None else truncation[0]
        kept_index: int | None = None
        kept_text: bytes | None = None
        if kept_node >= count:
            indexed_id = indexed_ids[kept_node - count]
            spans = dropped_spans(length, CutMap(length, list(doc_removed)), [], indexed_id)
            row.update(action="dropped", duplicate_of=indexed_id, score=round(float(outcome.score[position]), 6))
            row["reason"] = f"seen before: {reason(position)}"
            row["removed"] = [[s, e, why] for s, e, why in spans]
        elif kept_node != position:
            kept_index = docs.int_of("index", kept_node)
            own = self.decided.wrapper_chrome.get(position, []) if outcome.wraps[position] else []
            spans = dropped_spans(length, CutMap(length, list(doc_removed)), own, docs.id_of(kept_node))
            row.update(action="dropped", duplicate_of=docs.written_id_of(kept_node), score=round(float(outcome.score[position]), 6), reason=reason(position))
            row["removed"] = [[s, e, why] for s, e, why in spans]
            if len(tally.examples) < run.options.examples:
                tally.examples.append(pair_example(record, self.text_of(record), spans, docs[kept_node], spool))
        else:
            removed = sorted(doc_removed)
            row["removed"] = [[s, e, why] for s, e, why in removed]
            row.update(action="changed" if removed or truncation else "kept", reason=kept_reason(removed, reason(position)))
            if not run.writes_from_spool:  # (from the spool, documents are added in batches)
                kept_text = spool.read_utf8(docs.int_of("spool_offset", position))
                # Under the input's own field names, every other field as it was.
                self.documents.add(record, kept_text)
            share = sum(e - s for s, e, _ in removed) / max(length, 1)
            if removed:
                tally.most_chrome.append((share, record, removed))
                tally.most_chrome.sort(key=lambda item: (-item[0], item[1].index))
                del tally.most_chrome[run.options.examples :]
        if truncation is not None:
            original_length, truncated = truncation
            # Whatever the action (changed or dropped), the reason says the text was cut.
            cut_note = f"truncated to the size limits ({sum(e - s for s, e, _ in truncated):,} characters cut)"
            row["reason"] = cut_note if row["reason"] in ("", "unique") else f"{cut_note}; {row['reason']}"
            # Spans so far index the truncated text; decisions index the text as read.
            row["removed"] = with_truncation(original_length, truncated, row["removed"])
            row["truncated"] = True
            tally.truncated += 1
        plain = self.plain_reasons
        for start, end, why in row["removed"]:
            if why in plain:
                removed_chars[why] += end - start
                site_chars[site][1] += end - start
                continue
            category = why.split(":")[0].split(" of ")[0]
            if category == why and not why.startswith("duplicate"):
                plain.add(why)
            removed_chars[category] += end - start
            if not why.startswith("duplicate"):
                site_chars[site][1] += end - start
        actions[row["action"]] += 1
        return row, kept_index, kept_text


def kept_reason(removed: list[tuple[int, int, str]], why: str) -> str:
    """The reason of a kept document: how many spans of each reason were removed from it,
    then its duplicate decision as :func:`neardup.decide.describe` words it (left out when
    ``"unique"``); ``"unique"`` when there is neither."""
    parts = []
    if removed:
        by_reason = Counter(reason for _, _, reason in removed)
        parts.append("removed " + ", ".join(f"{n} {reason}" for reason, n in sorted(by_reason.items())))
    if why != "unique":
        parts.append(why)
    return "; ".join(parts) or "unique"


def summarize(run: Run, decided: Decided, tally: Tally, outputs: list[str]) -> dict[str, Any]:
    """The run's counts, limits and options (``summary.json``, less the time it took)."""
    reader, actions, site_chars, count = run.reader, tally.actions, tally.site_chars, len(run.docs)
    total = sum(actions.values())
    heads = np.array([kept for kept, _ in decided.decisions.clusters()], dtype=np.int64)
    summary: dict[str, Any] = {
        "neardup": __version__,
        "backend": _backend.backend(),
        "inputs": reader.names,
        "documents": total,
        "kept": actions["kept"],
        "changed": actions["changed"],
        "dropped": actions["dropped"],
        "skipped": actions["skipped"],
        "clusters": int(np.count_nonzero(heads < count)),
        "truncated": tally.truncated,
        "limits": {"max_chars": reader.max_chars, "max_line_chars": reader.max_line_chars, "oversize": reader.oversize},
        "characters_in": sum(c[0] for c in site_chars.values()),
        "characters_removed": dict(sorted(tally.removed_chars.items())),
        "sites": len(site_chars),
        "outputs": [*outputs, "report.html", "summary.json"],
        "options": asdict(run.options),
    }
    return summary


def report(decided: Decided, tally: Tally, summary: dict[str, Any], count: int, examples: list[html_report.Example]) -> str:
    """``report.html``: the summary, charts of the clusters, the chrome removed per site and
    the pair scores (of the ``count`` documents of the corpus), and ``examples``: dropped
    pages and the pages that lost the most."""
    outcome = decided.decisions
    heads = np.array([kept for kept, _ in outcome.clusters()], dtype=np.int64)
    chrome_share = sorted(((site, c[1] / c[0]) for site, c in tally.site_chars.items() if c[0]), key=lambda x: (-x[1], x[0]))
    sizes = Counter(outcome.sizes[heads < count].tolist())
    return html_report.render(
        title=f"neardup clean: {summary['documents']} documents",
        summary={k: v for k, v in summary.items() if k not in ("options", "inputs", "outputs")},
        charts=[
            ("Cluster sizes (clusters of n documents)", [(f"{n} docs", float(c)) for n, c in sorted(sizes.items())], ""),
            ("Chrome and repeats removed, share of characters per site", chrome_share[:15], "%"),
            ("Similarity of verified duplicate pairs", html_report.histogram(decided.pair_scores), ""),
        ],
        examples=examples,
    )


def dropped_spans(length: int, cut: CutMap, own: list[tuple[int, int]], kept_id: str) -> list[tuple[int, int, str]]:
    """Spans of a dropped page of ``length`` characters: what the earlier stages removed
    (``cut``), its own chrome (``own``: spans of its cleaned text, when it wraps the kept
    copy: :func:`.decide.wrapper_own_lines`), and the rest as the duplicate."""
    removed = list(cut.removed)
    for start, end in own:
        for span in cut.to_original(start, end):
            removed.append((*span, f"chrome: not in the kept copy {kept_id}"))
    taken = merge_spans((s, e) for s, e, _ in removed)
    cursor = 0
    for start, end in taken + [(length, length)]:
        if start > cursor:
            removed.append((cursor, start, f"duplicate of {kept_id}"))
        cursor = max(cursor, end)
    return sorted(removed)


def with_truncation(original_length: int, truncated: list[tuple[int, int, str]], removed: list[list[Any]]) -> list[list[Any]]:
    """Spans of a truncated text as spans of the text as read (``original_length``
    characters, of which the ``truncated`` spans were cut), with the cut parts."""
    cut = CutMap(original_length, list(truncated))
    spans = [[a, b, why] for start, end, why in removed for a, b in cut.to_original(start, end)]
    return sorted(spans + [[s, e, why] for s, e, why in truncated])


def inputs_schema(reader: RecordReader) -> Any:
    """The columns of the Parquet and Arrow inputs, as one schema (a column empty in the first
    rows or present in one input only is kept)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return pa.unify_schemas([spec.schema() if isinstance(spec, ArrowInput) else pq.read_schema(spec) for spec in reader.inputs])
    except (pa.ArrowException, OSError) as error:
        raise InputError(f"the columns of the inputs cannot be combined into one table: {error}") from None


def documents_schema(reader: RecordReader) -> Any:
    """The columns of documents.parquet: every column of the inputs (:func:`inputs_schema`),
    the id and text columns as strings (ids are written as text; the text is the cleaned text)."""
    import pyarrow as pa

    schema = inputs_schema(reader)
    names = (reader.fields.id, reader.fields.text)
    return pa.schema([pa.field(name, pa.string()) for name in names] + [f for f in schema if f.name not in names])


def is_text_type(data_type: Any) -> bool:
    """Whether an Arrow column of ``data_type`` holds text (plain or dictionary-encoded)."""
    import pyarrow as pa

    if pa.types.is_dictionary(data_type):
        data_type = data_type.value_type
    return bool(pa.types.is_string(data_type) or pa.types.is_large_string(data_type) or pa.types.is_string_view(data_type))


def id_type_of(reader: RecordReader) -> Any:
    """The type of the ``id`` column of decisions.arrow: the inputs' id column's (so that it
    joins back on it), text when they have none."""
    import pyarrow as pa

    schema = inputs_schema(reader)
    index = schema.get_field_index(reader.fields.id)
    return schema.field(index).type if index >= 0 else pa.string()


def decisions_schema(id_type: Any) -> Any:
    """The columns of decisions.arrow, one row per input record: ``row`` (its position in the
    input, from 0), ``id`` (the input's id, of the input's id column type; a made-up id
    ``name#row`` where the input has none and the column is text, else null), ``action``,
    ``reason``, ``duplicate_of`` (the kept document's id, typed as ``id``),
    ``duplicate_of_row`` (the kept document's ``row``; null unless dropped for a document of
    the input), ``score``, ``removed`` (``start``, ``end``, ``reason`` of each span of the text
    as read), ``truncated``, ``source`` (where a skipped record is) and ``cleaned_text`` (the
    cleaned text of a kept or changed document, null for the others): the fields of
    ``decisions.jsonl``, typed."""
    import pyarrow as pa

    span = pa.struct([("start", pa.int64()), ("end", pa.int64()), ("reason", pa.string())])
    return pa.schema([
        ("row", pa.int64()),
        ("id", id_type),
        ("action", pa.string()),
        ("reason", pa.string()),
        ("duplicate_of", id_type),
        ("duplicate_of_row", pa.int64()),
        ("score", pa.float64()),
        ("removed", pa.list_(span)),
        ("truncated", pa.bool_()),
        ("source", pa.string()),
        # large_string: a batch of long documents may pass 2 GB of text.
        ("cleaned_text", pa.large_string()),
    ])


def add_to_index(docs: DocTable | list[Doc], outcome: Decisions, spool: Spool, options: CleanOptions) -> dict[str, Any]:
    """Add the documents this run keeps to the index (ids already there are left as they are)."""
    added = 0
    new = [p for p in range(len(docs)) if outcome.kept[p] == p]
    seen_before = int(np.count_nonzero(outcome.kept[: len(docs)] >= len(docs)))
    with open_index(options) as index:
        for first in range(0, len(new), options.batch_size):
            chunk = new[first : first + options.batch_size]
            added += index.add(
                [spool.read(docs[p].spool_offset) for p in chunk],
                [docs[p].id for p in chunk],
                sites=[docs[p].site for p in chunk],
                existing="skip",
                num_threads=options.num_threads,
            )
        total = len(index)
    return {"path": str(options.index), "seen_before": seen_before, "added": added, "documents": total}


def pair_example(record: Record, text: str, spans: list[tuple[int, int, str]], kept: Doc, spool: Spool) -> html_report.Example:
    """The report's example of ``record`` (its text as read: ``text``) dropped for ``kept``."""
    kept_text = spool.read(kept.spool_offset)
    passages = align(text, kept_text)
    dropped_marks = [html_report.Highlight(s, e, "removed", why) for s, e, why in spans if not why.startswith("duplicate")]
    dropped_marks += [html_report.Highlight(p.a_start, p.a_end, "aligned", f"score {p.score:.2f}") for p in passages]
    kept_marks = [html_report.Highlight(p.b_start, p.b_end, "aligned", f"score {p.score:.2f}") for p in passages]
    return html_report.Example(
        title=f"{record.id} dropped as a duplicate of {kept.id}",
        note="Right: the kept copy as cleaned. Left: the dropped page; aligned passages in green, its own chrome struck through.",
        sides=[
            html_report.Side(record.id, text, dropped_marks, "(dropped)"),
            html_report.Side(kept.id, kept_text, kept_marks, "(kept, cleaned)"),
        ],
    )


def chrome_example(record: Record, text: str, removed: list[tuple[int, int, str]]) -> html_report.Example:
    """The report's example of ``record`` (its text as read: ``text``) and what was removed."""
    share = sum(e - s for s, e, _ in removed) / max(len(text), 1)
    return html_report.Example(
        title=f"{record.id}: {share:.0%} removed as chrome or repeats",
        sides=[html_report.Side(record.id, text, [html_report.Highlight(s, e, "removed", why) for s, e, why in removed], f"site {record.site or '(none)'}")],
    )
