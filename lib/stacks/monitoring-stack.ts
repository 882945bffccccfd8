import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config/environments.ts';
import { ApiMonitoring } from '../constructs/api-monitoring.ts';

export interface MonitoringStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  readonly topic: ITopic;
  /** The HTTP API and its access log group: the route groups' metrics, alarms and saved queries. */
  readonly api: HttpApi;
  readonly accessLogs: ILogGroup;
  /** The table the dashboard shows. */
  readonly table: ITable;
}

/**
 * The HTTP API's monitoring as a whole: the route groups' metric filters and alarms (on the
 * access logs), the alarms on refunds and webhook signatures, the dashboard and the saved Logs
 * Insights queries. Each function's own alarms (errors, throttles, duration) live with the
 * function, in the API stack that holds it, so this stack does not grow with the route table.
 */
export class MonitoringStack extends Stack {
  readonly monitoring: ApiMonitoring;

  constructor(scope: Construct, id: string, props: MonitoringStackProps) {
    super(scope, id, props);
    this.monitoring = new ApiMonitoring(this, 'Monitoring', {
      config: props.config,
      api: props.api,
      accessLogs: props.accessLogs,
      table: props.table,
      topic: props.topic,
    });
    new CfnOutput(this, 'DashboardName', { value: this.monitoring.dashboard.dashboardName });
  }
}
