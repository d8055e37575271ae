// The CDK app (`npx cdk synth|deploy|diff|destroy` from infra/, see cdk.json).
import { App } from 'aws-cdk-lib';
import { buildTokenizationApp } from '../lib/tokenization-app.js';

const app = new App();
buildTokenizationApp(app);
app.synth();
