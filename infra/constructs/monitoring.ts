import { Duration } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  LogQueryWidget,
  Metric,
  TreatMissingData,
  type IWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Construct } from 'constructs';
import type { FlowirConfig } from '../../core/detection/config';
import { DETECTION_IDS, RULES, type DetectionGroup, type DetectionId, type Severity } from '../../core/detection/rules';
import { FINDING_METRIC, TRAFFIC_METRIC, findingMetric } from '../metrics';
import type { Alerts } from './alerts';
import type { FlowLogs } from './flow-logs';

/** An alarm condition, as the monitoring guide states it per severity. */
export interface AlarmCondition {
  readonly periodMinutes: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly threshold: number;
  readonly comparison: ComparisonOperator;
  readonly describe: string;
}

/**
 * warning: more than 5 findings in 30 minutes, read as 2 consecutive 15-minute periods each above 5;
 * critical: at least 1 finding in a 10-minute period.
 */
export const ALARM_CONDITIONS: Readonly<Record<Severity, AlarmCondition>> = {
  WARNING: {
    periodMinutes: 15,
    evaluationPeriods: 2,
    datapointsToAlarm: 2,
    threshold: 5,
    comparison: ComparisonOperator.GREATER_THAN_THRESHOLD,
    describe: 'more than 5 findings in each of 2 consecutive 15-minute periods',
  },
  CRITICAL: {
    periodMinutes: 10,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    threshold: 1,
    comparison: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    describe: 'at least 1 finding in 10 minutes',
  },
};

const GROUP_TITLE: Readonly<Record<DetectionGroup, string>> = {
  anomaly: 'Anomalies by detection',
  security: 'Security events by detection',
};

export interface MonitoringProps {
  readonly envName: string;
  readonly detection: FlowirConfig;
  readonly flowLogs: FlowLogs;
  readonly alerts: Alerts;
  /** The Logs Insights query behind the "top sources" widget (the saved top-talkers query). */
  readonly topSourcesQuery: string;
}

/** The dashboard `VPCFlowLogs-<env>` and one alarm per enabled detection, wired to its severity's topic. */
export class Monitoring extends Construct {
  readonly dashboard: Dashboard;
  readonly alarms: ReadonlyMap<DetectionId, Alarm>;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const enabled = DETECTION_IDS.filter((d) => props.detection.detections[d].enabled);

    const alarms = new Map<DetectionId, Alarm>();
    for (const detection of enabled) {
      const severity = props.detection.detections[detection].severity;
      const condition = ALARM_CONDITIONS[severity];
      const alarm = new Alarm(this, `${detection}Alarm`, {
        alarmName: `flowir-${props.envName}-${detection}`,
        alarmDescription: `${RULES[detection].title} (${severity}): ${condition.describe}. Findings are published by the flowir detection workflow.`,
        metric: this.findingMetric(props.envName, detection, condition.periodMinutes, false),
        threshold: condition.threshold,
        comparisonOperator: condition.comparison,
        evaluationPeriods: condition.evaluationPeriods,
        datapointsToAlarm: condition.datapointsToAlarm,
        // No datapoint means no detection run reported findings: nothing to alarm on.
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(new SnsAction(props.alerts.topicFor(severity)));
      alarms.set(detection, alarm);
    }
    this.alarms = alarms;

    const trafficWidget = (title: string, name: (typeof TRAFFIC_METRIC)[keyof typeof TRAFFIC_METRIC], unit: string): GraphWidget =>
      new GraphWidget({
        title,
        width: 12,
        height: 6,
        left: [props.flowLogs.trafficMetric(name, 'ACCEPT'), props.flowLogs.trafficMetric(name, 'REJECT')],
        leftYAxis: { label: unit, showUnits: false, min: 0 },
        stacked: true,
      });
    const groupWidget = (group: DetectionGroup): GraphWidget => {
      const detections = enabled.filter((d) => RULES[d].group === group);
      const periods = detections.map((d) => ALARM_CONDITIONS[props.detection.detections[d].severity].periodMinutes);
      const period = periods.length > 0 ? Math.min(...periods) : 10;
      return new GraphWidget({
        title: `${GROUP_TITLE[group]} (${FINDING_METRIC[group]})`,
        width: 12,
        height: 6,
        left: detections.map((d) => this.findingMetric(props.envName, d, period, true)),
        leftYAxis: { label: 'findings', showUnits: false, min: 0 },
        leftAnnotations: [...new Set(detections.map((d) => props.detection.detections[d].severity))].map((s) => ({
          value: ALARM_CONDITIONS[s].threshold,
          label: `${s.toLowerCase()} alarm`,
        })),
      });
    };
    const widgets: IWidget[][] = [
      [trafficWidget('Traffic volume (bytes)', TRAFFIC_METRIC.bytes, 'bytes'), trafficWidget('Packets', TRAFFIC_METRIC.packets, 'packets')],
      [groupWidget('anomaly'), groupWidget('security')],
      [
        new LogQueryWidget({
          title: 'Top sources (bytes)',
          width: 24,
          height: 8,
          logGroupNames: [props.flowLogs.logGroup.logGroupName],
          queryString: props.topSourcesQuery,
        }),
      ],
    ];
    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: `VPCFlowLogs-${props.envName}`,
      defaultInterval: Duration.hours(3),
      widgets,
    });
  }

  /** A label turns an alarm's metric into a metric-math expression; only graphs get one. */
  private findingMetric(envName: string, detection: DetectionId, periodMinutes: number, labelled: boolean): Metric {
    const identity = findingMetric(envName, detection);
    return new Metric({
      namespace: identity.namespace,
      metricName: identity.metricName,
      dimensionsMap: { ...identity.dimensions },
      statistic: 'Sum',
      period: Duration.minutes(periodMinutes),
      label: labelled ? detection : undefined,
    });
  }
}
