// AWS Lambda entry: the app is built once per container and serves API Gateway (REST, v1) events.
import awsLambdaFastify from '@fastify/aws-lambda';
import { buildApp } from './app.js';
import { loadConfig } from './config.js';
import { createLogger } from './logging.js';
import { createDependencies } from './wiring.js';

const config = loadConfig(process.env);
const app = buildApp(createDependencies(config, createLogger(config.LOG_LEVEL)));

export const handler = awsLambdaFastify(app);
await app.ready();
