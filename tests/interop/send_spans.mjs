// Sends one small OpenInference trace to an OTLP/HTTP endpoint with an official OpenTelemetry JS
// exporter, then prints what it sent as JSON on stdout (read by tests/api/otel_js_interop_test.cc).
//
// Usage: node send_spans.mjs <endpoint url, e.g. http://127.0.0.1:6006/v1/traces> <proto|http>
// Exit status: 0 when the exporter reported success, 1 on export failure, 2 on bad usage.

import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPTraceExporter as HttpExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';

const [url, kind] = process.argv.slice(2);
if (!url || (kind !== 'proto' && kind !== 'http')) {
  console.error('usage: node send_spans.mjs <endpoint url> <proto|http>');
  process.exit(2);
}

// Fixed times with full nanosecond precision (beyond what a JS number holds as nanoseconds).
const kBaseSeconds = 1700000000;
const kBaseNanos = 123456789;
function hrTime(offsetMillis) {
  const nanos = kBaseNanos + offsetMillis * 1000000;
  return [kBaseSeconds + Math.floor(nanos / 1e9), nanos % 1e9];
}
function toNanoString([seconds, nanos]) {
  return (BigInt(seconds) * 1000000000n + BigInt(nanos)).toString();
}

const project = `interop-${kind}`;
const memory = new InMemorySpanExporter();
const provider = new BasicTracerProvider({
  resource: resourceFromAttributes({
    'service.name': 'roost-interop',
    'openinference.project.name': project,
  }),
  spanProcessors: [new SimpleSpanProcessor(memory)],
});
const tracer = provider.getTracer('roost-interop-test', '1.2.3');

const sent = [];
function finish(span, name, start, end, parentSpanId) {
  span.end(end);
  const ctx = span.spanContext();
  sent.push({
    name,
    traceId: ctx.traceId,
    spanId: ctx.spanId,
    parentSpanId: parentSpanId ?? '',
    startTimeUnixNano: toNanoString(start),
    endTimeUnixNano: toNanoString(end),
  });
}

const rootStart = hrTime(0);
const root = tracer.startSpan('conversation', {
  kind: SpanKind.SERVER,
  startTime: rootStart,
  attributes: {
    'openinference.span.kind': 'CHAIN',
    'session.id': `session-${kind}`,
    'input.value': 'What is the capital of France?',
  },
});
const rootContext = trace.setSpan(context.active(), root);
for (let i = 0; i < 2; i++) {
  const start = hrTime(10 + i * 500);
  const end = hrTime(10 + i * 500 + 420);
  const name = `ChatCompletion ${i}`;
  const llm = tracer.startSpan(
    name,
    {
      kind: SpanKind.CLIENT,
      startTime: start,
      attributes: {
        'openinference.span.kind': 'LLM',
        'llm.model_name': 'gpt-4o-mini',
        'llm.token_count.prompt': 321 + i,
        'llm.token_count.completion': 45,
        'llm.token_count.total': 366 + i,
        'llm.temperature': 0.25,
        'llm.stream': true,
        'session.id': `session-${kind}`,
        'input.value': `Question ${i}: what is the capital of France?`,
        tags: ['a', 'b'],
      },
      links: [{ context: root.spanContext(), attributes: { 'link.kind': 'follows' } }],
    },
    rootContext,
  );
  llm.addEvent('first_token', { token: 'Par' }, hrTime(10 + i * 500 + 100));
  llm.setStatus({ code: SpanStatusCode.OK });
  finish(llm, name, start, end, root.spanContext().spanId);
}
finish(root, 'conversation', rootStart, hrTime(2000));

const exporter =
  kind === 'proto'
    ? new ProtoExporter({ url, timeoutMillis: 10000 })
    : new HttpExporter({ url, timeoutMillis: 10000 });
const result = await new Promise((resolve) => exporter.export(memory.getFinishedSpans(), resolve));
await exporter.shutdown();
await provider.shutdown();
if (result.code !== 0) {
  console.error(`export failed: ${result.error ?? 'unknown error'}`);
  process.exit(1);
}
process.stdout.write(JSON.stringify({ project, spans: sent }) + '\n');
