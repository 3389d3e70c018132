// Bytes on disk per span in DuckDB for the same spans roost stores: the denominator of the storage
// issue's size goal ("less than half of what DuckDB needs for the same spans").
//
//   node bench/compare/bytes.mjs --otlp spans.jsonl --dir /tmp/duck-bytes [--threads 2]
//
// spans.jsonl comes from `roost export --format otlp-json` (one ExportTraceServiceRequest per
// line), so DuckDB gets exactly the spans of a roost data dir. Each span becomes one row: the
// fields roost keeps as analytic columns in DuckDB's compact types (ids as UUID / UBIGINT, times
// as BIGINT ns, kind and status as small integers, names and models as VARCHAR that DuckDB
// dictionary-compresses), plus everything else roost keeps in its full records as JSON text
// (attributes, events, links, resource attributes) and the instrumentation scope. The table is
// written into fresh database files in three layouts (see the variants at the end: attributes as
// JSON text; one typed column per attribute key; JSON text with zstd forced), each checkpointed
// and closed; the file size divided by the row count is the figure. Prints one line per variant
// and a JSON summary on the last line.

import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { parseArgs } from 'node:util';

import { DuckDBInstance } from '@duckdb/node-api';

const { values: args } = parseArgs({
  options: {
    otlp: { type: 'string' },
    dir: { type: 'string' },
    threads: { type: 'string', default: '2' },
  },
});
if (!args.otlp || !args.dir) {
  console.error('usage: bytes.mjs --otlp spans.jsonl --dir DIR [--threads N]');
  process.exit(2);
}

// OTLP/JSON AnyValue -> plain JSON value (int64 as a number when it fits, as OTLP/JSON strings
// carry them).
function plain(v) {
  if (v == null) return null;
  if ('stringValue' in v) return v.stringValue;
  if ('boolValue' in v) return v.boolValue;
  if ('intValue' in v) {
    const n = Number(v.intValue);
    return Number.isSafeInteger(n) ? n : String(v.intValue);
  }
  if ('doubleValue' in v) return Number(v.doubleValue);
  if ('arrayValue' in v) return (v.arrayValue.values || []).map(plain);
  if ('kvlistValue' in v) return attrs(v.kvlistValue.values);
  if ('bytesValue' in v) return v.bytesValue;
  return null;
}

function attrs(list) {
  const out = {};
  for (const kv of list || []) out[kv.key] = plain(kv.value);
  return out;
}

function uuid(hex) {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function int(x) {
  return typeof x === 'number' && Number.isFinite(x) ? Math.trunc(x) : null;
}

// Flattens the export into newline-delimited rows DuckDB's read_json loads; returns the count.
async function flatten(from, to) {
  const out = fs.createWriteStream(to);
  const lines = readline.createInterface({ input: fs.createReadStream(from), crlfDelay: Infinity });
  let rows = 0;
  let chunk = [];
  const drain = async () => {
    if (chunk.length === 0) return;
    if (!out.write(chunk.join(''))) await new Promise((r) => out.once('drain', r));
    chunk = [];
  };
  for await (const line of lines) {
    if (line.trim() === '') continue;
    const request = JSON.parse(line);
    for (const rs of request.resourceSpans || []) {
      const resource = attrs(rs.resource?.attributes);
      const resourceJson = JSON.stringify(resource);
      const project = resource['openinference.project.name'] ?? 'default';
      for (const ss of rs.scopeSpans || []) {
        for (const s of ss.spans || []) {
          const a = attrs(s.attributes);
          const row = {
            trace_id: uuid(s.traceId),
            span_id: s.spanId,
            parent_id: s.parentSpanId || null,
            name: s.name,
            kind: a['openinference.span.kind'] ?? 'UNKNOWN',
            otel_kind: s.kind ?? 0,
            start_ns: String(s.startTimeUnixNano),
            end_ns: String(s.endTimeUnixNano),
            status_code: s.status?.code ?? 0,
            status_message: s.status?.message ?? '',
            project,
            session_id: a['session.id'] ?? null,
            user_id: a['user.id'] ?? null,
            model: a['llm.model_name'] ?? null,
            provider: a['llm.provider'] ?? null,
            prompt_tokens: int(a['llm.token_count.prompt']),
            completion_tokens: int(a['llm.token_count.completion']),
            total_tokens: int(a['llm.token_count.total']),
            cost: typeof a['llm.cost.total'] === 'number' ? a['llm.cost.total'] : null,
            attributes: JSON.stringify(a),
            events: JSON.stringify(
              (s.events || []).map((e) => ({
                name: e.name,
                time_unix_nano: String(e.timeUnixNano),
                attributes: attrs(e.attributes),
              })),
            ),
            links: JSON.stringify(
              (s.links || []).map((l) => ({
                trace_id: l.traceId,
                span_id: l.spanId,
                attributes: attrs(l.attributes),
              })),
            ),
            resource: resourceJson,
            scope_name: ss.scope?.name ?? '',
            scope_version: ss.scope?.version ?? '',
          };
          chunk.push(JSON.stringify(row) + '\n');
          rows++;
          if (chunk.length >= 4096) await drain();
        }
      }
    }
  }
  await drain();
  await new Promise((r) => out.end(r));
  return rows;
}

const COLUMNS = `{
  trace_id: 'VARCHAR', span_id: 'VARCHAR', parent_id: 'VARCHAR', name: 'VARCHAR', kind: 'VARCHAR',
  otel_kind: 'TINYINT', start_ns: 'VARCHAR', end_ns: 'VARCHAR', status_code: 'TINYINT',
  status_message: 'VARCHAR', project: 'VARCHAR', session_id: 'VARCHAR', user_id: 'VARCHAR',
  model: 'VARCHAR', provider: 'VARCHAR', prompt_tokens: 'INTEGER', completion_tokens: 'INTEGER',
  total_tokens: 'INTEGER', cost: 'DOUBLE', attributes: 'VARCHAR', events: 'VARCHAR',
  links: 'VARCHAR', resource: 'VARCHAR', scope_name: 'VARCHAR', scope_version: 'VARCHAR'
}`;

// A fresh database file (and its WAL) at `file`, opened with `config`.
async function freshDb(file, config = {}) {
  for (const f of [file, `${file}.wal`]) fs.rmSync(f, { force: true });
  const db = await DuckDBInstance.create(file, { threads: args.threads, ...config });
  return { db, c: await db.connect() };
}

// Checkpoints and closes; returns the file's size, the row count and the segments by method.
async function finish({ db, c }, file) {
  const count = (await c.runAndReadAll('SELECT count(*) FROM spans')).getRows()[0][0];
  const methods = (
    await c.runAndReadAll(
      `SELECT compression, count(*) FROM pragma_storage_info('spans') GROUP BY ALL ORDER BY 2 DESC`,
    )
  ).getRows();
  await c.run('CHECKPOINT');
  c.closeSync();
  db.closeSync();
  let bytes = fs.statSync(file).size;
  if (fs.existsSync(`${file}.wal`)) bytes += fs.statSync(`${file}.wal`).size;
  return { count: Number(count), bytes, methods: methods.map(([m, n]) => `${m}:${n}`).join(' ') };
}

// Variant "json": attributes as JSON text (Phoenix's layout), DuckDB's default settings.
async function loadJson(rowsFile, file) {
  const d = await freshDb(file);
  await d.c.run(`
    CREATE TABLE spans AS SELECT
      trace_id::UUID AS trace_id, ('0x' || span_id)::UBIGINT AS span_id,
      ('0x' || parent_id)::UBIGINT AS parent_id, name, kind, otel_kind,
      start_ns::BIGINT AS start_ns, end_ns::BIGINT AS end_ns, status_code, status_message,
      project, session_id, user_id, model, provider, prompt_tokens, completion_tokens,
      total_tokens, cost, attributes::JSON AS attributes, events::JSON AS events,
      links::JSON AS links, resource::JSON AS resource, scope_name, scope_version
    FROM read_json('${rowsFile}', format = 'newline_delimited', columns = ${COLUMNS})`);
  return finish(d, file);
}

// Variant "columns": the "json" table with its attributes turned into a STRUCT, one typed column
// per attribute key (the structure DuckDB infers from every row), so each key's values are
// compressed together: DuckDB's most compact layout for these spans with its own settings.
async function loadColumns(jsonFile, file) {
  const d = await freshDb(file);
  await d.c.run(`ATTACH '${jsonFile}' AS src (READ_ONLY)`);
  const structure = (
    await d.c.runAndReadAll('SELECT json_group_structure(attributes)::VARCHAR FROM src.spans')
  ).getRows()[0][0];
  await d.c.run(
    `CREATE TABLE spans AS SELECT * EXCLUDE (attributes),
       json_transform(attributes, '${structure.replaceAll("'", "''")}') AS attributes
     FROM src.spans`,
  );
  await d.c.run('DETACH src');
  return finish(d, file);
}

// Variant "json-zstd": the "json" table copied with storage version 'latest' and
// force_compression = 'zstd', which DuckDB calls a DEBUG setting; its own analysis never picks
// zstd for these strings. The smallest file DuckDB wrote for these spans; for reference.
async function loadZstd(jsonFile, file) {
  const d = await freshDb(file, { storage_compatibility_version: 'latest' });
  await d.c.run(`SET force_compression = 'zstd'`);
  await d.c.run(`ATTACH '${jsonFile}' AS src (READ_ONLY)`);
  await d.c.run('CREATE TABLE spans AS SELECT * FROM src.spans');
  await d.c.run('DETACH src');
  return finish(d, file);
}

fs.mkdirSync(args.dir, { recursive: true });
const rowsFile = path.join(args.dir, 'rows.ndjson');
const rows = await flatten(args.otlp, rowsFile);
console.log(`${rows} spans flattened into ${rowsFile}`);
const summary = { spans: rows, duckdb: {} };
const jsonFile = path.join(args.dir, 'spans-json.duckdb');
const variants = [
  ['json', 'attributes as JSON text, default settings', () => loadJson(rowsFile, jsonFile)],
  [
    'columns',
    'one typed column per attribute key, default settings',
    () => loadColumns(jsonFile, path.join(args.dir, 'spans-columns.duckdb')),
  ],
  [
    'json-zstd',
    "as 'json', storage version 'latest' and force_compression = 'zstd' (a DEBUG setting)",
    () => loadZstd(jsonFile, path.join(args.dir, 'spans-json-zstd.duckdb')),
  ],
];
for (const [name, what, load] of variants) {
  const r = await load();
  if (r.count !== rows) {
    console.error(`DuckDB (${name}) holds ${r.count} rows, expected ${rows}`);
    process.exit(1);
  }
  const perSpan = r.bytes / rows;
  summary.duckdb[name] = { bytes: r.bytes, bytes_per_span: perSpan };
  console.log(
    `DuckDB ${name} (${what}): ${r.bytes} bytes, ${perSpan.toFixed(1)} bytes/span (segments: ${r.methods})`,
  );
}
console.log(JSON.stringify(summary));
