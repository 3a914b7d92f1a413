import { ConfigError, DEFAULT_CONFIG, DEFAULT_DELIVERY_LAG_SECONDS, defaultConfigFor, FLOW_LOG_AGGREGATION_SECONDS, parseConfig, parseConfigText } from '../../../core/detection/config';

describe('DEFAULT_CONFIG is DESIGN section 3', () => {
  it('has the documented thresholds, severities and ports', () => {
    expect(DEFAULT_CONFIG.windowSeconds).toBe(3600);
    expect(DEFAULT_CONFIG.detections).toEqual({
      HIGH_TRAFFIC_VOLUME: { enabled: true, threshold: 1_000_000_000, severity: 'WARNING' },
      HIGH_CONNECTION_COUNT: { enabled: true, threshold: 1000, severity: 'WARNING' },
      PORT_SCAN: { enabled: true, threshold: 50, severity: 'CRITICAL' },
      SUSPICIOUS_PORT_ACCESS: { enabled: true, threshold: 10, severity: 'CRITICAL' },
    });
    expect([...DEFAULT_CONFIG.suspiciousPorts].sort((a, b) => a - b)).toEqual([22, 23, 135, 139, 445, 3389]);
    expect(DEFAULT_CONFIG.schedules).toEqual({ anomaly: { everyMinutes: 15 }, security: { everyMinutes: 10 } });
    expect(DEFAULT_CONFIG.allowlist).toEqual([]);
    expect(DEFAULT_CONFIG.format).toBe('v2');
    expect(DEFAULT_CONFIG.deliveryLagSeconds).toBe(1200);
  });

  it('an empty document gives the defaults', () => {
    expect(parseConfig({})).toEqual(DEFAULT_CONFIG);
    expect(parseConfigText('{}', 'flowir.json')).toEqual(DEFAULT_CONFIG);
  });
});

describe('the default delivery lag, per engine', () => {
  // AWS: a record is published after its aggregation interval closes, then "typically delivers logs to
  // CloudWatch Logs in about 5 minutes and to Amazon S3 in about 10 minutes" (VPC User Guide).
  it.each([
    ['logs-insights', 5 * 60],
    ['athena', 10 * 60],
  ] as const)('%s: longer than the 10-minute aggregation interval plus AWS\'s typical delivery (%i s), with a margin', (engine, typicalDelivery) => {
    expect(FLOW_LOG_AGGREGATION_SECONDS).toBe(600);
    expect(DEFAULT_DELIVERY_LAG_SECONDS[engine]).toBeGreaterThan(FLOW_LOG_AGGREGATION_SECONDS + typicalDelivery);
  });

  it('is 20 minutes for logs-insights and 25 for athena, when the config sets none', () => {
    expect(DEFAULT_DELIVERY_LAG_SECONDS).toEqual({ 'logs-insights': 1200, athena: 1500 });
    expect(parseConfig({}).deliveryLagSeconds).toBe(1200);
    expect(parseConfig({}, 'flowir.json', { engine: 'logs-insights' }).deliveryLagSeconds).toBe(1200);
    expect(parseConfig({}, 'flowir.json', { engine: 'athena' }).deliveryLagSeconds).toBe(1500);
    expect(parseConfigText('{"windowSeconds": 900}', 'flowir.json', { engine: 'athena' })).toEqual({ ...DEFAULT_CONFIG, windowSeconds: 900, deliveryLagSeconds: 1500 });
    expect(defaultConfigFor('athena')).toEqual({ ...DEFAULT_CONFIG, deliveryLagSeconds: 1500 });
    expect(defaultConfigFor('logs-insights')).toEqual(DEFAULT_CONFIG);
  });

  it('gives way to the one the config sets, whatever the engine', () => {
    for (const engine of ['logs-insights', 'athena'] as const) {
      expect(parseConfig({ deliveryLagSeconds: 300 }, 'flowir.json', { engine }).deliveryLagSeconds).toBe(300);
      expect(parseConfig({ deliveryLagSeconds: 0 }, 'flowir.json', { engine }).deliveryLagSeconds).toBe(0);
    }
  });
});

describe('a good file', () => {
  const text = JSON.stringify({
    $schema: './flowir.schema.json',
    windowSeconds: 900,
    deliveryLagSeconds: 300,
    suspiciousPorts: [22, 3389, 5900],
    allowlist: ['10.0.0.0/8', '198.51.100.7', '2001:DB8::/32', '192.0.2.77/24'],
    format: '${srcaddr} ${dstaddr} ${dstport} ${bytes} ${start} ${action} ${log-status}',
    detections: { PORT_SCAN: { threshold: 20 }, HIGH_CONNECTION_COUNT: { enabled: false, severity: 'CRITICAL' } },
    schedules: { security: { everyMinutes: 5 } },
  });

  it('overrides what it names and keeps the defaults for the rest', () => {
    const c = parseConfigText(text, 'flowir.json');
    expect(c.windowSeconds).toBe(900);
    expect(c.deliveryLagSeconds).toBe(300);
    expect(c.suspiciousPorts).toEqual([22, 3389, 5900]);
    expect(c.format).toBe('${srcaddr} ${dstaddr} ${dstport} ${bytes} ${start} ${action} ${log-status}');
    expect(c.detections.PORT_SCAN).toEqual({ enabled: true, threshold: 20, severity: 'CRITICAL' });
    expect(c.detections.HIGH_CONNECTION_COUNT).toEqual({ enabled: false, threshold: 1000, severity: 'CRITICAL' });
    expect(c.detections.HIGH_TRAFFIC_VOLUME).toEqual(DEFAULT_CONFIG.detections.HIGH_TRAFFIC_VOLUME);
    expect(c.schedules).toEqual({ anomaly: { everyMinutes: 15 }, security: { everyMinutes: 5 } });
  });

  it('writes allowlist CIDRs in canonical form', () => {
    expect(parseConfigText(text, 'flowir.json').allowlist).toEqual(['10.0.0.0/8', '198.51.100.7/32', '2001:db8::/32', '192.0.2.0/24']);
  });

  it('does not change the defaults it was merged over', () => {
    parseConfigText(text, 'flowir.json');
    expect(DEFAULT_CONFIG.detections.PORT_SCAN.threshold).toBe(50);
    expect(DEFAULT_CONFIG.windowSeconds).toBe(3600);
  });

  it('accepts the bounds of each range', () => {
    expect(parseConfig({ windowSeconds: 1 }).windowSeconds).toBe(1);
    expect(parseConfig({ windowSeconds: 7 * 86400 }).windowSeconds).toBe(604800);
    expect(parseConfig({ suspiciousPorts: [0, 65535] }).suspiciousPorts).toEqual([0, 65535]);
    expect(parseConfig({ detections: { PORT_SCAN: { threshold: 0 } } }).detections.PORT_SCAN.threshold).toBe(0);
    expect(parseConfig({ schedules: { anomaly: { everyMinutes: 1440 } } }).schedules.anomaly.everyMinutes).toBe(1440);
    expect(parseConfig({ format: 'v5' }).format).toBe('v5');
  });
});

describe('a bad file: the error names the file and the field', () => {
  it.each<[string, unknown, string, RegExp]>([
    ['not an object', [], '', /expected a JSON object/],
    ['an unknown top-level field', { windowSecs: 60 }, 'windowSecs', /unknown field/],
    ['a window of zero', { windowSeconds: 0 }, 'windowSeconds', /whole number from 1 to 604800, got 0/],
    ['a window over a week', { windowSeconds: 604801 }, 'windowSeconds', /from 1 to 604800/],
    ['a fractional window', { windowSeconds: 1.5 }, 'windowSeconds', /got 1.5/],
    ['a window as a string', { windowSeconds: '1h' }, 'windowSeconds', /got "1h"/],
    ['a negative delivery lag', { deliveryLagSeconds: -1 }, 'deliveryLagSeconds', /from 0 to 86400/],
    ['an empty port list', { suspiciousPorts: [] }, 'suspiciousPorts', /non-empty array/],
    ['ports that are no array', { suspiciousPorts: 22 }, 'suspiciousPorts', /non-empty array/],
    ['a port out of range', { suspiciousPorts: [22, 65536] }, 'suspiciousPorts[1]', /from 0 to 65535, got 65536/],
    ['a port as text', { suspiciousPorts: ['ssh'] }, 'suspiciousPorts[0]', /got "ssh"/],
    ['a port listed twice', { suspiciousPorts: [22, 22] }, 'suspiciousPorts', /twice/],
    ['an allowlist that is no array', { allowlist: '10.0.0.0/8' }, 'allowlist', /array of CIDR strings/],
    ['a bad CIDR', { allowlist: ['10.0.0.0/8', '10.0.0.0/33'] }, 'allowlist[1]', /"10.0.0.0\/33" has an invalid prefix length/],
    ['a CIDR that is no address', { allowlist: ['office'] }, 'allowlist[0]', /"office" is not an IPv4 or IPv6 CIDR/],
    ['a CIDR as a number', { allowlist: [10] }, 'allowlist[0]', /expected a CIDR string, got 10/],
    ['a format that is no string', { format: 2 }, 'format', /expected a string/],
    ['a bad format', { format: '${srcaddr} ${srcaddr}' }, 'format', /appears twice/],
    ['detections that are no object', { detections: [] }, 'detections', /object keyed by detection name/],
    ['an unknown detection', { detections: { PORTSCAN: {} } }, 'detections.PORTSCAN', /unknown detection \(known: PORT_SCAN/],
    ['a detection that is no object', { detections: { PORT_SCAN: 50 } }, 'detections.PORT_SCAN', /expected an object/],
    ['a negative threshold', { detections: { PORT_SCAN: { threshold: -1 } } }, 'detections.PORT_SCAN.threshold', /whole number from 0/],
    ['a fractional threshold', { detections: { HIGH_TRAFFIC_VOLUME: { threshold: 1.5e9 + 0.5 } } }, 'detections.HIGH_TRAFFIC_VOLUME.threshold', /got 1500000000.5/],
    ['a threshold beyond 2^53', { detections: { HIGH_TRAFFIC_VOLUME: { threshold: 2 ** 53 } } }, 'detections.HIGH_TRAFFIC_VOLUME.threshold', /to 9007199254740991/],
    ['a threshold as text', { detections: { SUSPICIOUS_PORT_ACCESS: { threshold: '10' } } }, 'detections.SUSPICIOUS_PORT_ACCESS.threshold', /got "10"/],
    ['enabled as text', { detections: { HIGH_CONNECTION_COUNT: { enabled: 'no' } } }, 'detections.HIGH_CONNECTION_COUNT.enabled', /true or false/],
    ['an unknown severity', { detections: { PORT_SCAN: { severity: 'HIGH' } } }, 'detections.PORT_SCAN.severity', /"WARNING" or "CRITICAL", got "HIGH"/],
    ['an unknown detection field', { detections: { PORT_SCAN: { treshold: 5 } } }, 'detections.PORT_SCAN.treshold', /unknown field/],
    ['schedules that are no object', { schedules: 'hourly' }, 'schedules', /expected an object/],
    ['an unknown schedule', { schedules: { daily: { everyMinutes: 5 } } }, 'schedules.daily', /unknown schedule/],
    ['a schedule that is no object', { schedules: { security: 10 } }, 'schedules.security', /expected an object/],
    ['a schedule of zero minutes', { schedules: { security: { everyMinutes: 0 } } }, 'schedules.security.everyMinutes', /from 1 to 1440/],
    ['an unknown schedule field', { schedules: { anomaly: { cron: '* * * * *' } } }, 'schedules.anomaly.cron', /unknown field/],
  ])('%s', (_why, doc, field, message) => {
    let error: unknown;
    try {
      parseConfig(doc, 'conf/flowir.json');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const e = error as ConfigError;
    expect(e.name).toBe('ConfigError');
    expect(e.source).toBe('conf/flowir.json');
    expect(e.field).toBe(field);
    expect(e.message).toMatch(message);
    expect(e.message.startsWith(field ? `conf/flowir.json: ${field}: ` : 'conf/flowir.json: ')).toBe(true);
  });

  it('an unknown top-level field lists every field the file may hold, the incident section included', () => {
    expect(() => parseConfig({ incidnet: {} }, 'flowir.json')).toThrow(
      'flowir.json: incidnet: unknown field (known: windowSeconds, deliveryLagSeconds, suspiciousPorts, allowlist, format, detections, schedules, incident)',
    );
  });

  it('leaves the incident section to its own parser (core/policy/incident-config)', () => {
    expect(parseConfig({ windowSeconds: 60, incident: { approvalTimeoutSeconds: 300 } })).toEqual({ ...DEFAULT_CONFIG, windowSeconds: 60 });
  });

  it('text that is not JSON names the file', () => {
    expect(() => parseConfigText('{"windowSeconds": 60,}', 'flowir.json')).toThrow(ConfigError);
    expect(() => parseConfigText('{"windowSeconds": 60,}', 'flowir.json')).toThrow(/^flowir\.json: not valid JSON/);
  });
});
