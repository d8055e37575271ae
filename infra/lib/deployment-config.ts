import type { Node } from 'constructs';

/** Deployment settings read from CDK context (`cdk.json` or `-c key=value`), validated at synth. */
export interface DeploymentConfig {
  /** Prefix of every fixed physical name (tables, roles, log groups, aliases, stack names). */
  readonly prefix: string;
  /** pino level of both services. */
  readonly logLevel: string;
  /** API Gateway stage of both APIs. */
  readonly stageName: string;
  /** Reserved concurrency per function: caps the blast radius and protects the rest of the account. */
  readonly reservedConcurrency: {
    readonly tokenizer: number;
    readonly order: number;
    readonly auditForwarder: number;
  };
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
  reservedConcurrency: { tokenizer: 20, order: 20, auditForwarder: 2 },
  wafRateLimitPer5Minutes: 500,
  throttling: { rateLimit: 50, burstLimit: 100 },
  // The tokenizer's own default (DETERMINISTIC_TOKENIZATIONS_PER_MINUTE), stated here so a deployment shows it.
  deterministicTokenizationsPerMinute: 60,
};

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
    reservedConcurrency: {
      tokenizer: intContext(
        node,
        'tokenization:tokenizerReservedConcurrency',
        defaults.reservedConcurrency.tokenizer,
      ),
      order: intContext(node, 'tokenization:orderReservedConcurrency', defaults.reservedConcurrency.order),
      auditForwarder: intContext(
        node,
        'tokenization:auditForwarderReservedConcurrency',
        defaults.reservedConcurrency.auditForwarder,
      ),
    },
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
