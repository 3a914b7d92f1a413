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
  // The CLI's account and region, which infra/environment.ts takes or leaves (its region may be a fallback).
  buildFlowirApp(app, { cliDefaults: { CDK_DEFAULT_ACCOUNT: process.env.CDK_DEFAULT_ACCOUNT, CDK_DEFAULT_REGION: process.env.CDK_DEFAULT_REGION } });
} catch (e) {
  if (e instanceof InfraConfigError) {
    process.stderr.write(`flowir: ${e.message}\n`);
    process.exit(1);
  }
  throw e;
}
