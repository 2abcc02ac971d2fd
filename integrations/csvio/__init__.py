"""CSV import and export for apps without an API for their records (Time To Pet, PT
Distinction): generic over connectors.

A connector opts in by declaring `csv_objects` (see `connectors.base.CsvObject`): what its
export file holds and how its usual headers map to HighLevel contact fields. Then:

- `parse.parse_csv(data)` reads an uploaded file or raises `CSVError` with a sentence
  (encoding, binary data, no header, ragged rows, size and row limits);
- `imports.create_batch(...)` stores the rows (a draft ImportBatch),
  `columns.suggest(...)` proposes a column → field choice per column,
  `imports.start(batch, choices)` turns the choices into mapping rules (the wizard's
  transforms, `sync/mapping`) and queues the workers; each row gets a result (created,
  updated, failed + message) and `imports.report_csv(batch)` is the downloadable report;
- `exports.start(...)` lists HighLevel contacts in a worker into a CSV with chosen columns.

The dashboard pages (`dashboard/views/csv_import.py`) drive all of it from the connection
card of any app that declares `csv_objects`.
"""
