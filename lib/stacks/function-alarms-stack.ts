import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config/environments.ts';
import { ApiMonitoring } from '../constructs/api-monitoring.ts';
import type { EndpointFunction } from '../constructs/endpoint-function.ts';

export interface FunctionAlarmsStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  readonly topic: ITopic;
  /** The functions to watch, by construct id (the HTTP API stack's). */
  readonly functions: ReadonlyMap<string, EndpointFunction>;
  /** The HTTP API and its access log group: the route groups' metrics, alarms and saved queries. */
  readonly api: HttpApi;
  readonly accessLogs: ILogGroup;
  /** The table the dashboard shows. */
  readonly table: ITable;
}

/**
 * The HTTP API's monitoring: its functions' errors, throttles and duration-near-timeout alarms,
 * the route groups' metric filters and alarms, the dashboard and the saved Logs Insights
 * queries. They live here, apart from the API stack, because that stack holds about 60
 * functions with their roles, policies, log groups, permissions, integrations and routes (about
 * 7 resources each), and its monitoring would take it past CloudFormation's 500 resources per
 * stack. The alarms and filters reference the functions and the access log group through stack
 * exports.
 */
export class FunctionAlarmsStack extends Stack {
  readonly monitoring: ApiMonitoring;

  constructor(scope: Construct, id: string, props: FunctionAlarmsStackProps) {
    super(scope, id, props);
    for (const [functionId, fn] of props.functions)
      fn.addAlarms(props.topic, new Construct(this, functionId));
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
