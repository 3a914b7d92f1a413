#!/usr/bin/env node
// The CDK app (cdk.json runs it with tsx): `npx cdk synth`, `npx cdk deploy -c vpcId=vpc-... -c approverEmails=...`.
import { App } from 'aws-cdk-lib';
import { dropBundlingNotices } from './bundling-notices';
import { InfraConfigError } from './config';
import { buildFlowirApp } from './flowir-app';

// For the whole process: the App synthesizes (and bundles) as the process exits.
dropBundlingNotices();
const app = new App();
try {
  // With credentials the CLI fills these in; offline they are absent and the stack stays environment-agnostic.
  const account = process.env.CDK_DEFAULT_ACCOUNT;
  const region = process.env.CDK_DEFAULT_REGION;
  buildFlowirApp(app, { env: account || region ? { account, region } : undefined });
} catch (e) {
  if (e instanceof InfraConfigError) {
    process.stderr.write(`flowir: ${e.message}\n`);
    process.exit(1);
  }
  throw e;
}
