// Floor (c) of `npm run bench`: the empty handler plus Powertools Metrics, as every function has
// it (one instance at module scope, a metric flushed per invocation). Against floor (a) it is
// what EMF metrics add to a cold start.
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

const metrics = new Metrics({ namespace: 'Bench', serviceName: 'bench' });

export const handler = async () => {
  metrics.captureColdStartMetric();
  metrics.addMetric('BenchInvocation', MetricUnit.Count, 1);
  metrics.publishStoredMetrics();
  return { statusCode: 200 };
};
