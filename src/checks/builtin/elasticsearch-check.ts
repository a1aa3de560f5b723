/**
 * elasticsearch-no-auth: Elasticsearch/OpenSearch answering `GET /` with its cluster JSON (name,
 * cluster_name, version.number, the tagline) instead of 401. Usually no traffic: identification's
 * HTTP handshake already fetched "/" and kept the body. Only when it has no usable answer for "/"
 * (redirected, cut off, not an HTTP identity) does the check GET "/" itself.
 */
import type { ServiceIdentity } from '../../engines/identify/service-identity.js';
import type { Check, CheckMeta, CheckTarget } from '../check.js';
import { makeFinding } from '../check.js';
import { httpGet, requestUrl } from '../check-io.js';
import type { JsonValue } from '../finding.js';
import { headerValue, httpView, isRec, str } from '../identity-facts.js';

export interface SearchClusterInfo {
  readonly distribution: 'elasticsearch' | 'opensearch';
  readonly version: string;
  readonly nodeName?: string;
  readonly clusterName?: string;
  readonly clusterUuid?: string;
  readonly buildFlavor?: string;
  readonly tagline?: string;
}

/** The root document of Elasticsearch/OpenSearch, or undefined when `body` is anything else. */
export function searchClusterInfo(body: string): SearchClusterInfo | undefined {
  if (body.length === 0 || body.length > 64 * 1024 || !body.trimStart().startsWith('{')) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (!isRec(v) || !isRec(v['version'])) return undefined;
  const version = str(v['version']['number'], 64);
  if (version === undefined || !/^\d+\.\d+/.test(version)) return undefined;
  const tagline = str(v['tagline'], 200);
  const clusterName = str(v['cluster_name'], 200);
  const clusterUuid = str(v['cluster_uuid'], 64);
  const opensearch = v['version']['distribution'] === 'opensearch' || /opensearch/i.test(tagline ?? '');
  const elastic = /You Know, for Search/i.test(tagline ?? '');
  if (!opensearch && !elastic && (clusterName === undefined || clusterUuid === undefined)) return undefined;
  const nodeName = str(v['name'], 200);
  const buildFlavor = str(v['version']['build_flavor'], 64);
  return {
    distribution: opensearch ? 'opensearch' : 'elasticsearch',
    version,
    ...(nodeName !== undefined ? { nodeName } : {}),
    ...(clusterName !== undefined ? { clusterName } : {}),
    ...(clusterUuid !== undefined ? { clusterUuid } : {}),
    ...(buildFlavor !== undefined ? { buildFlavor } : {}),
    ...(tagline !== undefined ? { tagline } : {}),
  };
}

const SEARCH_PORTS = new Set([9200, 9201]);

const meta: CheckMeta = {
  id: 'elasticsearch-no-auth',
  title: 'Elasticsearch/OpenSearch reachable without authentication',
  severity: 'critical',
  safe: true,
  traffic: 'requests',
  description:
    "Fires when GET / returns 200 with the cluster's root document (version.number plus the \"You Know, for Search\"/OpenSearch tagline, or cluster_name and cluster_uuid) — with security on it answers 401. Reads identification's response for \"/\"; GETs \"/\" itself only when that is missing or unusable. No index is listed or searched.",
  remediation: 'Enable security (Elasticsearch `xpack.security.enabled: true`, the default since 8.0; OpenSearch security plugin), disable anonymous access, and keep 9200 off public networks.',
  references: { cwe: ['CWE-306'], urls: ['https://www.elastic.co/guide/en/elasticsearch/reference/current/security-minimal-setup.html'] },
  cvssVector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
};

function rootPath(url: string): boolean {
  try {
    return new URL(url).pathname === '/';
  } catch {
    return false;
  }
}

export const elasticsearchNoAuth: Check = {
  ...meta,
  appliesTo(identity: ServiceIdentity, target: CheckTarget) {
    if (httpView(identity) !== undefined || /elasticsearch|opensearch/i.test(identity.product ?? '')) return true;
    return SEARCH_PORTS.has(target.port) && ['http', 'unknown', 'tcpwrapped'].includes(identity.name);
  },
  async run(target, identity, ctx) {
    const h = httpView(identity);
    let status: number;
    let body: string;
    let product: string | undefined;
    let fromIdentify = false;
    if (h !== undefined && rootPath(h.url) && !h.bodyTruncated) {
      // Identification's answer for "/" is decisive either way (a 401 means security is on).
      ({ status, body } = h);
      product = headerValue(h.headers, 'x-elastic-product');
      fromIdentify = true;
    } else {
      const r = await httpGet(target, identity, ctx, '/');
      if (r === undefined) return [];
      status = r.status;
      body = r.bodyTruncated ? '' : r.body.toString('utf8');
      product = headerValue(r.headers, 'x-elastic-product');
    }
    if (status !== 200) return [];
    const info = searchClusterInfo(body);
    if (info === undefined) return [];
    const evidence: Record<string, JsonValue> = {
      url: fromIdentify && h !== undefined ? h.url : requestUrl(target, identity, '/'),
      status,
      distribution: info.distribution,
      version: info.version,
      ...(info.clusterName !== undefined ? { cluster_name: info.clusterName } : {}),
      ...(info.clusterUuid !== undefined ? { cluster_uuid: info.clusterUuid } : {}),
      ...(info.nodeName !== undefined ? { node_name: info.nodeName } : {}),
      ...(info.buildFlavor !== undefined ? { build_flavor: info.buildFlavor } : {}),
      ...(info.tagline !== undefined ? { tagline: info.tagline } : {}),
      ...(product !== undefined ? { x_elastic_product: product } : {}),
      from_identify: fromIdentify,
      credentials_sent: false,
    };
    return [
      makeFinding(meta, target, ctx.now(), {
        summary: `${info.distribution === 'opensearch' ? 'OpenSearch' : 'Elasticsearch'} ${info.version}${info.clusterName !== undefined ? ` (cluster ${info.clusterName})` : ''} answers GET / without authentication`,
        confidence: 'certain',
        evidence,
      }),
    ];
  },
};
