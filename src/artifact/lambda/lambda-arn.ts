import { TrawlError } from '../../errors/trawl-error.js';

export interface FunctionArn {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  readonly functionName: string;
  /** Version or alias after the name, when the ARN is qualified. */
  readonly qualifier?: string;
  /** The unqualified ARN. */
  readonly arn: string;
}

export interface LayerVersionArn {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  readonly layerName: string;
  readonly version: number;
  /** The layer ARN without the version, which GetLayerVersion accepts as LayerName. */
  readonly layerArn: string;
  readonly arn: string;
}

const PARTITION = '(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b|aws-iso-e|aws-iso-f|aws-eusc)';
const REGION = '([a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-[0-9])';
const ACCOUNT = '([0-9]{12})';
const FUNCTION_ARN = new RegExp(`^arn:${PARTITION}:lambda:${REGION}:${ACCOUNT}:function:([A-Za-z0-9_-]{1,64})(?::(\\$LATEST|[A-Za-z0-9_-]{1,128}))?$`);
const LAYER_ARN = new RegExp(`^arn:${PARTITION}:lambda:${REGION}:${ACCOUNT}:layer:([A-Za-z0-9_-]{1,140}):([0-9]{1,10})$`);
const ROLE_ARN = new RegExp(`^arn:${PARTITION}:iam::${ACCOUNT}:role/[\\w+=,.@/-]{1,512}$`);
const FUNCTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;
export const REGION_PATTERN = new RegExp(`^${REGION}$`);

function shown(value: string): string {
  return JSON.stringify(value.length > 200 ? `${value.slice(0, 200)}…` : value);
}

export function isLambdaArn(value: string): boolean {
  return value.startsWith('arn:') && value.includes(':lambda:');
}

/** arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]; anything else is TRAWL_E_BAD_TARGET naming it. */
export function parseFunctionArn(value: string): FunctionArn {
  const m = FUNCTION_ARN.exec(value);
  if (m === null) {
    throw new TrawlError('TRAWL_E_BAD_TARGET', `${shown(value)} is not a Lambda function ARN (expected arn:aws:lambda:REGION:ACCOUNT_ID:function:NAME[:QUALIFIER])`, { value: value.slice(0, 200) });
  }
  const [, partition, region, accountId, functionName, qualifier] = m as unknown as [string, string, string, string, string, string | undefined];
  return { partition, region, accountId, functionName, ...(qualifier !== undefined ? { qualifier } : {}), arn: `arn:${partition}:lambda:${region}:${accountId}:function:${functionName}` };
}

export function parseLayerVersionArn(value: string): LayerVersionArn {
  const m = LAYER_ARN.exec(value);
  if (m === null) {
    throw new TrawlError('TRAWL_E_BAD_TARGET', `${shown(value)} is not a Lambda layer version ARN (expected arn:aws:lambda:REGION:ACCOUNT_ID:layer:NAME:VERSION)`, { value: value.slice(0, 200) });
  }
  const [, partition, region, accountId, layerName, version] = m as unknown as [string, string, string, string, string, string];
  return { partition, region, accountId, layerName, version: Number(version), layerArn: `arn:${partition}:lambda:${region}:${accountId}:layer:${layerName}`, arn: value };
}

export function checkRoleArn(value: string): string {
  if (!ROLE_ARN.test(value)) {
    throw new TrawlError('TRAWL_E_BAD_OPTION', `${shown(value)} is not an IAM role ARN (expected arn:aws:iam::ACCOUNT_ID:role/NAME)`, { value: value.slice(0, 200) });
  }
  return value;
}

export function checkRegion(value: string): string {
  if (!REGION_PATTERN.test(value)) throw new TrawlError('TRAWL_E_BAD_OPTION', `${shown(value)} is not an AWS region name (like us-east-1)`, { value: value.slice(0, 200) });
  return value;
}

/** A bare function name, a partial ARN, or a full ARN, resolved to a function ARN with the given defaults. */
export function resolveFunctionRef(ref: string, defaults: { partition?: string; region?: string; accountId?: string }): FunctionArn {
  if (ref.startsWith('arn:')) return parseFunctionArn(ref);
  const name = ref.includes(':function:') ? ref.slice(ref.indexOf(':function:') + ':function:'.length) : ref;
  const [fn, qualifier, extra] = name.split(':');
  if (fn === undefined || !FUNCTION_NAME.test(fn) || extra !== undefined || defaults.region === undefined || defaults.accountId === undefined) {
    throw new TrawlError('TRAWL_E_BAD_TARGET', `${shown(ref)} cannot be resolved to a Lambda function ARN${defaults.region === undefined || defaults.accountId === undefined ? ' (region or account unknown)' : ''}`, { value: ref.slice(0, 200) });
  }
  return parseFunctionArn(`arn:${defaults.partition ?? 'aws'}:lambda:${defaults.region}:${defaults.accountId}:function:${fn}${qualifier !== undefined ? `:${qualifier}` : ''}`);
}
