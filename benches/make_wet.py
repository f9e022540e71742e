"""Write a JSONL(.gz) corpus as a WET file (one gzip member per record, as Common Crawl's are),
to measure WET reading against the same documents in JSONL (docs/input.md):

    .venv/bin/python benches/make_wet.py ../shared/data/bench-corpus-22k.jsonl.gz /tmp/bench.warc.wet.gz

Each line {id, text, url?} becomes a warcinfo-led file of ``conversion`` records with
WARC-Record-ID ``<urn:neardup-bench:ID>`` and, when the line has a url, WARC-Target-URI.
Needs warcio (the ``warc`` extra).
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
from pathlib import Path

from warcio.warcwriter import WARCWriter


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("jsonl", type=Path)
    parser.add_argument("wet", type=Path)
    args = parser.parse_args()
    opener = gzip.open if args.jsonl.name.endswith(".gz") else open
    with opener(args.jsonl, "rt", encoding="utf-8") as lines, open(args.wet, "wb") as out:
        writer = WARCWriter(out, gzip=args.wet.name.endswith(".gz"), warc_version="WARC/1.0")
        writer.write_record(writer.create_warcinfo_record(args.wet.name, {"software": "neardup benches/make_wet.py"}))
        for line in lines:
            row = json.loads(line)
            block = row["text"].encode("utf-8")
            record = writer.create_warc_record(
                row.get("url") or "", "conversion", payload=io.BytesIO(block), length=len(block), warc_content_type="text/plain",
                warc_headers_dict={"WARC-Record-ID": f"<urn:neardup-bench:{row['id']}>"},
            )
            writer.write_record(record)


if __name__ == "__main__":
    main()
