/**
 * The Lambda edge: Powertools Logger, Tracer and Metrics, created once per execution environment,
 * around a handler factory's function. Handlers stay free of them, so the local runtime calls the
 * same functions without Lambda.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import type { Context } from 'aws-lambda';
import { METRIC_NAMESPACE } from '../../infra/metrics';

const SERVICE = 'flowir';

export const logger = new Logger({ serviceName: SERVICE });
export const tracer = new Tracer({ serviceName: SERVICE });
export const metrics = new Metrics({ namespace: METRIC_NAMESPACE, serviceName: SERVICE });

/**
 * Wrap a task function for Lambda: request context in every log line, a traced subsegment, a
 * cold-start metric, and a logged error with its name (Step Functions matches Retry and Catch on
 * it) before it is rethrown unchanged.
 */
export function lambdaHandler<I, O>(task: string, run: (input: I) => Promise<O>): (event: I, context: Context) => Promise<O> {
  return async (event, context) => {
    logger.addContext(context);
    metrics.captureColdStartMetric(context.functionName);
    const segment = tracer.getSegment();
    const subsegment = segment?.addNewSubsegment(`## ${task}`);
    if (subsegment !== undefined) tracer.setSegment(subsegment);
    tracer.annotateColdStart();
    tracer.addServiceNameAnnotation();
    try {
      const output = await run(event);
      logger.info(`${task} done`);
      return output;
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      logger.error(`${task} failed: ${error.name}`, error);
      tracer.addErrorAsMetadata(error);
      throw e;
    } finally {
      if (subsegment !== undefined && segment !== undefined) {
        subsegment.close();
        tracer.setSegment(segment);
      }
    }
  };
}
