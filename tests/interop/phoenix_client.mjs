// Reads a roost server with Phoenix's own TypeScript client (@arizeai/phoenix-client): projects,
// spans (every page, and with each filter the client offers), traces, sessions and one session,
// then prints everything it got as one JSON object on stdout (read by
// tests/api/phoenix_client_interop_test.cc, which compares it with what the server stores).
//
// Usage: node phoenix_client.mjs <base url, e.g. http://127.0.0.1:6006> <project> <api key>
//          <trace id> <session id> <attribute key> <attribute value>
// Exit status: 0 when every call succeeded as expected, 1 when one failed, 2 on bad usage.

import { createClient } from '@arizeai/phoenix-client';
import { getSpans } from '@arizeai/phoenix-client/spans';
import { getTraces } from '@arizeai/phoenix-client/traces';
import { getSession, listSessions } from '@arizeai/phoenix-client/sessions';

const [baseUrl, projectName, apiKey, traceId, sessionId, attrKey, attrValue] =
  process.argv.slice(2);
if (!baseUrl || !projectName || !apiKey || !traceId || !sessionId || !attrKey || !attrValue) {
  console.error(
    'usage: node phoenix_client.mjs <base url> <project> <api key> <trace id> <session id> ' +
      '<attribute key> <attribute value>',
  );
  process.exit(2);
}

const client = createClient({
  options: { baseUrl, headers: { Authorization: `Bearer ${apiKey}` } },
  getEnvironmentOptions: () => ({}),
});
const project = { projectName };

// Every page of getSpans with the given filters, `limit` spans per page.
async function allSpans(filters, limit) {
  const spans = [];
  let cursor = null;
  let pages = 0;
  do {
    const page = await getSpans({ client, project, limit, cursor, ...filters });
    spans.push(...page.spans);
    cursor = page.nextCursor;
    if (++pages > 10000) throw new Error('getSpans: more than 10000 pages');
  } while (cursor);
  return { spans, pages };
}

// Every project, page by page, as phoenix-client's getProjects does (the pinned client
// version has no getProjects helper yet, so the same typed call is made directly).
async function allProjects(limit) {
  const projects = [];
  let cursor = null;
  let pages = 0;
  do {
    const { data, error } = await client.GET('/v1/projects', {
      params: { query: { cursor, limit } },
    });
    if (error) throw error;
    projects.push(...data.data);
    cursor = data.next_cursor;
    if (++pages > 10000) throw new Error('projects: more than 10000 pages');
  } while (cursor);
  return { projects, pages };
}

async function allTraces(params, limit) {
  const traces = [];
  let cursor = null;
  let pages = 0;
  do {
    const page = await getTraces({ client, project, limit, cursor, ...params });
    traces.push(...page.traces);
    cursor = page.nextCursor;
    if (++pages > 10000) throw new Error('getTraces: more than 10000 pages');
  } while (cursor);
  return { traces, pages };
}

const out = {};
try {
  out.version = await client.getServerVersion();
  out.projects = await allProjects(1);
  const byId = await client.GET('/v1/projects/{project_identifier}', {
    params: { path: { project_identifier: out.projects.projects[0].id } },
  });
  out.project_by_id = byId.data.data;
  out.spans_all = await allSpans({}, 3);
  out.spans_llm = await allSpans({ spanKind: 'LLM' }, 2);
  out.spans_error_or_unset = await allSpans({ statusCode: ['ERROR', 'UNSET'] }, 50);
  out.spans_roots = await allSpans({ parentId: null }, 50);
  out.spans_trace = await allSpans({ traceIds: [traceId] }, 50);
  out.spans_name = await allSpans({ name: 'ChatCompletion' }, 50);
  out.spans_attr = await allSpans({ attributes: { [attrKey]: attrValue } }, 50);
  out.spans_window = await allSpans(
    { startTime: new Date(Date.UTC(2026, 10, 25, 10, 0, 0)), endTime: '2026-11-25T10:30:00Z' },
    50,
  );
  out.traces = await allTraces({ sort: 'start_time', order: 'asc', includeSpans: true }, 2);
  out.traces_session = await allTraces({ sessionId }, 100);
  out.sessions = await listSessions({ client, projectName });
  out.session = await getSession({ client, sessionId });
  try {
    await getSpans({ client, project: { projectName: `${projectName}-missing` } });
    out.missing_project = 'no error';
  } catch (e) {
    out.missing_project = e.status ?? String(e.message ?? e);
  }
} catch (e) {
  console.error(`phoenix-client call failed: ${e?.stack ?? e}`);
  process.exit(1);
}
process.stdout.write(JSON.stringify(out) + '\n');
