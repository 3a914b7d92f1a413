export * from './athena';
export * from './logs-insights';
export * from './rule-plan';
export * from './saved-queries';
