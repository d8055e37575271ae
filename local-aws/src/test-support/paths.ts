import { fileURLToPath } from 'node:url';

/**
 * Where the tap `before` script records the shared DynamoDB Local of a test run. The `before` script, the
 * `after` script and every test file are children of one tap runner, so its pid names the run: two runs
 * at once never share (or stop) each other's DynamoDB Local.
 */
export const dynamoDbStateFile = fileURLToPath(
  new URL(`../../../.tap/dynamodb-local-${process.ppid}.json`, import.meta.url),
);

/**
 * Where the test processes of a run append every log line their apps wrote (one `<pid>.ndjson` each), for
 * the `after` script's scan of the whole run. Named by the tap runner's pid, as the DynamoDB state is.
 */
export const runLogDirectory = fileURLToPath(
  new URL(`../../../.tap/logs/run-${process.ppid}/`, import.meta.url),
);

/**
 * Where the test processes of a run append every response body the test stacks' apps (and the shared
 * request helpers) produced, one `<pid>.ndjson` each, for the `after` script's scan (response-capture.ts).
 * Inside the run's log directory, so that it is cleared and kept with it.
 */
export const runResponseDirectory = fileURLToPath(
  new URL(`../../../.tap/logs/run-${process.ppid}/responses/`, import.meta.url),
);
