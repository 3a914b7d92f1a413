export * from './athena';
export * from './logs-insights';
export * from './rows';
export * from './rule-plan';
export * from './saved-queries';
