import type { FastifyPluginAsync } from 'fastify';
import type { PortState } from '../../model/observation.js';
import type { OutputFormat } from '../../output/result-writer.js';
import type { OrgScanStatus } from '../../store/schema.js';
import type { ApiContext } from '../api-context.js';
import { principalOf } from '../auth/auth-plugin.js';
import { exportMediaTypes, exportScan } from '../export/scan-export.js';
import { TrawlError } from '../../errors/trawl-error.js';
import { errorResponses, idParam, idPattern, pageOf, pageParams, pageQuery, type PageQuery } from '../http/schemas.js';
import { diffScans } from '../../inventory/diff-scans.js';
import { sarifFromFindings } from '../../inventory/sarif.js';
import { findingFromRow } from '../../inventory/finding-lifecycle.js';
import { changeSchema } from './inventory-routes.js';
import { getOrgScanRecord, getScan, listResults, listScans, resultSorts, scanSorts } from '../queries/scan-queries.js';
import { observationSchema, scanViewSchema } from './view-schemas.js';

function scanNotFound(id: string): TrawlError {
  return new TrawlError('TRAWL_E_SCAN_NOT_FOUND', `no scan ${id}`, { id });
}

/** Scans (runs of assessments): list, one, its results page by page, exports, and diffs. */
export const scanRoutes: FastifyPluginAsync<ApiContext> = async (app, ctx) => {
  const tags = ['scans'];
  const statuses = ['running', 'done', 'failed', 'cancelled', 'interrupted'];

  app.get<{ Querystring: PageQuery & { assessmentId?: string; status?: OrgScanStatus } }>('/scans', {
    schema: {
      tags, summary: 'List scans',
      querystring: pageQuery(Object.keys(scanSorts), { assessmentId: { type: 'string', pattern: idPattern }, status: { type: 'string', enum: statuses } }),
      response: { 200: pageOf(scanViewSchema), ...errorResponses },
    },
  }, async (request) => {
    const { assessmentId, status } = request.query;
    return listScans(ctx.db, principalOf(request).orgId, { ...(assessmentId !== undefined ? { assessmentId } : {}), ...(status !== undefined ? { status } : {}) }, pageParams(request.query, scanSorts, 'desc'));
  });

  app.get<{ Params: { id: string } }>('/scans/:id', {
    schema: { tags, summary: 'One scan with its coverage counters', params: idParam, response: { 200: scanViewSchema, ...errorResponses } },
  }, async (request) => {
    const scan = await getScan(ctx.db, principalOf(request).orgId, request.params.id);
    if (!scan) throw scanNotFound(request.params.id);
    return scan;
  });

  app.get<{ Params: { id: string }; Querystring: PageQuery & { state?: PortState; port?: number } }>('/scans/:id/results', {
    schema: {
      tags, summary: 'Port observations of a scan, in address order',
      params: idParam,
      querystring: pageQuery(Object.keys(resultSorts), { state: { type: 'string', enum: ['open', 'closed', 'filtered'] }, port: { type: 'integer', minimum: 0, maximum: 65535 } }),
      response: { 200: pageOf(observationSchema), ...errorResponses },
    },
  }, async (request) => {
    const scan = await getScan(ctx.db, principalOf(request).orgId, request.params.id);
    if (!scan) throw scanNotFound(request.params.id);
    const { state, port } = request.query;
    return listResults(ctx.db, scan.id, { ...(state !== undefined ? { state } : {}), ...(port !== undefined ? { port } : {}) }, pageParams(request.query, resultSorts, 'asc'));
  });

  app.get<{ Params: { id: string }; Querystring: { format: OutputFormat | 'sarif' } }>('/scans/:id/export', {
    schema: {
      tags, summary: 'Open ports of a scan as JSON lines, CSV or nmap XML (the CLI\'s writers), or its findings as SARIF 2.1.0',
      params: idParam,
      querystring: { type: 'object', properties: { format: { type: 'string', enum: ['jsonl', 'csv', 'xml', 'sarif'] } }, required: ['format'], additionalProperties: false },
      produces: ['application/jsonl', 'text/csv', 'application/xml', 'application/sarif+json'],
      response: { 200: { description: 'The export document', content: { 'application/jsonl': { schema: { type: 'string' } }, 'text/csv': { schema: { type: 'string' } }, 'application/xml': { schema: { type: 'string' } }, 'application/sarif+json': { schema: { type: 'object' } } } }, ...errorResponses },
    },
  }, async (request, reply) => {
    const scan = await getOrgScanRecord(ctx.db, principalOf(request).orgId, request.params.id);
    if (!scan) throw scanNotFound(request.params.id);
    const format = request.query.format;
    if (format === 'sarif') {
      // The findings this scan reported last (the inventory's view), as one SARIF log.
      const rows = await ctx.db.selectFrom('findings').selectAll().where('org_id', '=', principalOf(request).orgId).where('last_scan_id', '=', scan.id)
        .orderBy('ip_key').orderBy('port').orderBy('proto').orderBy('check_id').limit(MAX_SARIF_FINDINGS).execute();
      return reply.type('application/sarif+json').header('content-disposition', `attachment; filename="trawl-${scan.id}.sarif"`)
        .send(JSON.stringify(sarifFromFindings(rows.map(findingFromRow))));
    }
    const ext = format;
    return reply
      .type(exportMediaTypes[format])
      .header('content-disposition', `attachment; filename="trawl-${scan.id}.${ext}"`)
      .send(exportScan(ctx.store, scan, format));
  });

  app.get<{ Params: { a: string; b: string } }>('/scans/:a/diff/:b', {
    schema: {
      tags, summary: 'Typed changes from scan a to scan b (ports opened/closed, services, certificates, findings), computed from their observations',
      params: { type: 'object', properties: { a: { type: 'string', pattern: idPattern }, b: { type: 'string', pattern: idPattern } }, required: ['a', 'b'], additionalProperties: false },
      response: {
        200: {
          type: 'object',
          properties: {
            base: { type: 'string' }, head: { type: 'string' }, total: { type: 'integer' }, truncated: { type: 'boolean' },
            counts: { type: 'object', additionalProperties: { type: 'integer' } },
            changes: { type: 'array', items: changeSchema },
          },
        },
        ...errorResponses,
      },
    },
  }, async (request) => {
    const orgId = principalOf(request).orgId;
    for (const id of [request.params.a, request.params.b]) if (!(await getScan(ctx.db, orgId, id))) throw scanNotFound(id);
    const all = await diffScans(ctx.db, request.params.a, request.params.b);
    const counts: Record<string, number> = {};
    for (const c of all) counts[c.kind] = (counts[c.kind] ?? 0) + 1;
    return {
      base: request.params.a, head: request.params.b, total: all.length, truncated: all.length > MAX_DIFF_CHANGES, counts,
      changes: all.slice(0, MAX_DIFF_CHANGES).map(({ orgId: _org, ...c }) => c),
    };
  });
};

/** A diff or SARIF document larger than this is cut (the counts stay exact). */
const MAX_DIFF_CHANGES = 10_000;
const MAX_SARIF_FINDINGS = 50_000;
