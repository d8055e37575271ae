import type { Node } from 'constructs';

/** Deployment settings read from CDK context (`cdk.json` or `-c key=value`), validated at synth. */
export interface DeploymentConfig {
  /** Prefix of every fixed physical name (tables, roles, log groups, aliases, stack names). */
  readonly prefix: string;
  /** pino level of both services. */
  readonly logLevel: string;
  /** API Gateway stage of both APIs. */
  readonly stageName: string;
  /**
   * Reserved concurrency per function (caps the blast radius and protects the rest of the account), or
   * `undefined` when not reserved: opt-in with `tokenization:reserveConcurrency`, because Lambda keeps 100
   * of the account's concurrency unreserved and new accounts may have a quota below 100 + the sum.
   */
  readonly reservedConcurrency:
    | {
        readonly tokenizer: number;
        readonly order: number;
        readonly auditForwarder: number;
      }
    | undefined;
  /** Self sign-up (with email verification) on the order user pool: the sample's walkthrough. */
  readonly selfSignUp: boolean;
  /**
   * Whether this deployment sets API Gateway's account-wide CloudWatch Logs role (AWS::ApiGateway::Account).
   * Off by default: the setting is one per account and region, and setting it replaces any existing one.
   */
  readonly setApiGatewayAccountLogging: boolean;
  /** Browser origins allowed by the order API's CORS (none by default: no CORS). */
  readonly corsAllowedOrigins: readonly string[];
  /** Requests per 5 minutes from one IP before the order API's web ACL blocks it. */
  readonly wafRateLimitPer5Minutes: number;
  /** Steady-state and burst request rates of each API stage. */
  readonly throttling: { readonly rateLimit: number; readonly burstLimit: number };
  /** Deterministic tokenizations one principal may make per minute (the tokenizer's 429 above it). */
  readonly deterministicTokenizationsPerMinute: number;
}

const defaults: DeploymentConfig = {
  prefix: 'tokenization',
  logLevel: 'info',
  stageName: 'prod',
  reservedConcurrency: undefined,
  selfSignUp: true,
  setApiGatewayAccountLogging: false,
  corsAllowedOrigins: [],
  wafRateLimitPer5Minutes: 500,
  throttling: { rateLimit: 50, burstLimit: 100 },
  // The tokenizer's own default (DETERMINISTIC_TOKENIZATIONS_PER_MINUTE), stated here so a deployment shows it.
  deterministicTokenizationsPerMinute: 60,
};

/** The reservations `tokenization:reserveConcurrency=true` makes, each overridable by its own key. */
export const defaultReservedConcurrency = { tokenizer: 20, order: 20, auditForwarder: 2 } as const;

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Reads `tokenization:*` context keys; throws naming the bad key. */
export function readDeploymentConfig(node: Node): DeploymentConfig {
  const prefix = stringContext(node, 'tokenization:prefix', defaults.prefix);
  // Fixed names must stay valid for IAM roles (64 chars with the suffixes added here) and tables.
  if (!/^[a-z][a-z0-9-]{1,20}$/.test(prefix)) {
    throw new Error(`Context "tokenization:prefix" must match ^[a-z][a-z0-9-]{1,20}$, got "${prefix}"`);
  }
  const logLevel = stringContext(node, 'tokenization:logLevel', defaults.logLevel);
  if (!logLevels.includes(logLevel)) {
    throw new Error(
      `Context "tokenization:logLevel" must be one of ${logLevels.join(', ')}, got "${logLevel}"`,
    );
  }
  const stageName = stringContext(node, 'tokenization:stageName', defaults.stageName);
  if (!/^[A-Za-z0-9_]{1,64}$/.test(stageName)) {
    throw new Error(`Context "tokenization:stageName" must match ^[A-Za-z0-9_]{1,64}$, got "${stageName}"`);
  }
  return {
    prefix,
    logLevel,
    stageName,
    reservedConcurrency: booleanContext(node, 'tokenization:reserveConcurrency', false)
      ? {
          tokenizer: intContext(
            node,
            'tokenization:tokenizerReservedConcurrency',
            defaultReservedConcurrency.tokenizer,
          ),
          order: intContext(node, 'tokenization:orderReservedConcurrency', defaultReservedConcurrency.order),
          auditForwarder: intContext(
            node,
            'tokenization:auditForwarderReservedConcurrency',
            defaultReservedConcurrency.auditForwarder,
          ),
        }
      : defaults.reservedConcurrency,
    selfSignUp: booleanContext(node, 'tokenization:selfSignUp', defaults.selfSignUp),
    setApiGatewayAccountLogging: booleanContext(
      node,
      'tokenization:setApiGatewayAccountLogging',
      defaults.setApiGatewayAccountLogging,
    ),
    corsAllowedOrigins: originsContext(node, 'tokenization:corsAllowedOrigins'),
    wafRateLimitPer5Minutes: intContext(
      node,
      'tokenization:wafRateLimitPer5Minutes',
      defaults.wafRateLimitPer5Minutes,
      10,
    ),
    throttling: {
      rateLimit: intContext(node, 'tokenization:throttleRateLimit', defaults.throttling.rateLimit),
      burstLimit: intContext(node, 'tokenization:throttleBurstLimit', defaults.throttling.burstLimit),
    },
    deterministicTokenizationsPerMinute: intContext(
      node,
      'tokenization:deterministicTokenizationsPerMinute',
      defaults.deterministicTokenizationsPerMinute,
      1,
      1_000_000,
    ),
  };
}

function stringContext(node: Node, key: string, fallback: string): string {
  const value: unknown = node.tryGetContext(key);
  if (value === undefined) return fallback;
  if (typeof value !== 'string') throw new Error(`Context "${key}" must be a string`);
  return value;
}

/** `true`/`false`, as JSON in cdk.json or as the strings `-c key=true` gives. */
function booleanContext(node: Node, key: string, fallback: boolean): boolean {
  const value: unknown = node.tryGetContext(key);
  if (value === undefined) return fallback;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new Error(`Context "${key}" must be true or false, got ${JSON.stringify(value)}`);
}

/**
 * Browser origins, as a JSON array in cdk.json or comma-separated with `-c`: each `https://host[:port]`
 * (or `http://localhost[:port]` for a developer's browser), never `*`.
 */
function originsContext(node: Node, key: string): string[] {
  const raw: unknown = node.tryGetContext(key);
  if (raw === undefined || raw === '') return [];
  const values = typeof raw === 'string' ? raw.split(',').map((o) => o.trim()) : raw;
  if (!Array.isArray(values)) throw new Error(`Context "${key}" must be a list of origins`);
  const origin = /^(https:\/\/[a-z0-9.-]+|http:\/\/localhost)(:\d{1,5})?$/;
  for (const value of values) {
    if (typeof value !== 'string' || !origin.test(value)) {
      throw new Error(
        `Context "${key}" must list origins such as https://shop.example.com (no "*", no path), got ${JSON.stringify(value)}`,
      );
    }
  }
  return values as string[];
}

function intContext(
  node: Node,
  key: string,
  fallback: number,
  minimum = 1,
  maximum = Number.MAX_SAFE_INTEGER,
): number {
  const raw: unknown = node.tryGetContext(key);
  if (raw === undefined) return fallback;
  const value = typeof raw === 'string' ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < minimum || value > maximum) {
    const range = maximum === Number.MAX_SAFE_INTEGER ? `>= ${minimum}` : `from ${minimum} to ${maximum}`;
    throw new Error(`Context "${key}" must be an integer ${range}, got ${JSON.stringify(raw)}`);
  }
  return value;
}
