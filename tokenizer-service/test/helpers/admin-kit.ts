// The admin operations wired against a test stack's tables and local KMS, as the CLI wires them, with a
// clock the test moves (waiting periods, rotation windows) and the job's test hook.

import type { Test } from 'tap';
import { loadAdminConfig } from '../../src/admin/admin-config.js';
import { type AdminServices, createAdminServices } from '../../src/admin/admin-wiring.js';
import type { TestStack } from './test-stack.js';

/** The wall clock, plus whatever the test moved it forward by hand. */
export interface MovableClock {
  (): Date;
  advance(seconds: number): void;
}

export function movableClock(): MovableClock {
  let offset = 0;
  const clock = (() => new Date(Date.now() + offset)) as MovableClock;
  clock.advance = (seconds) => {
    offset += seconds * 1000;
  };
  return clock;
}

/** The admin configuration the stack's tokenizer runs with (same tables, keys and cache times). */
export function adminEnv(stack: TestStack): Record<string, string> {
  const c = stack.config;
  return {
    AWS_REGION: c.AWS_REGION,
    TOKEN_VAULT_TABLE_NAME: c.TOKEN_VAULT_TABLE_NAME,
    KMS_KEY_ARN: c.KMS_KEY_ARN,
    KEY_STORE_TABLE_NAME: c.KEY_STORE_TABLE_NAME,
    BRANCH_KEY_KMS_KEY_ARN: c.BRANCH_KEY_KMS_KEY_ARN,
    KEY_STORE_LOGICAL_NAME: c.KEY_STORE_LOGICAL_NAME,
    BRANCH_KEY_CACHE_TTL_SECONDS: String(c.BRANCH_KEY_CACHE_TTL_SECONDS),
    TENANT_STATE_CACHE_SECONDS: String(c.TENANT_STATE_CACHE_SECONDS),
    FINGERPRINT_ROTATION_WINDOW_SECONDS: String(c.FINGERPRINT_ROTATION_WINDOW_SECONDS),
    ...(c.DYNAMODB_ENDPOINT ? { DYNAMODB_ENDPOINT: c.DYNAMODB_ENDPOINT } : {}),
    ...(c.KMS_ENDPOINT ? { KMS_ENDPOINT: c.KMS_ENDPOINT } : {}),
    ADMIN_ACTOR: 'test-admin',
  };
}

export interface AdminKitOptions {
  clock?: () => Date;
  beforeRewrite?: (token: string) => Promise<void>;
  /** Scan page size of the re-encryption job (small pages: more checkpoints). */
  pageSize?: number;
}

export function adminFor(t: Test, stack: TestStack, options: AdminKitOptions = {}): AdminServices {
  const services = createAdminServices(loadAdminConfig(adminEnv(stack)), options);
  t.teardown(() => services.close());
  return services;
}
