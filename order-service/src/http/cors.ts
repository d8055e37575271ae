import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';

/**
 * CORS for the configured browser origins only. Behind API Gateway the preflight is answered by the API
 * (infra/lib/order-api.ts); with a Lambda proxy integration the actual answers must carry
 * Access-Control-Allow-Origin themselves. No origins: nothing registered, no CORS header on any answer.
 */
export function registerCors(app: FastifyInstance, allowedOrigins: readonly string[]): void {
  if (allowedOrigins.includes('*')) {
    throw new Error('CORS allowed origins must be listed exactly, never "*"');
  }
  if (allowedOrigins.length === 0) return;
  // An exact list: @fastify/cors echoes a listed Origin, sends nothing for another, and always adds Vary: Origin.
  app.register(cors, {
    origin: [...allowedOrigins],
    methods: ['GET', 'POST'],
    allowedHeaders: ['Authorization', 'Content-Type'],
    maxAge: 600,
  });
}
