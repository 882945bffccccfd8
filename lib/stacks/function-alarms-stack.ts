import { Stack, type StackProps } from 'aws-cdk-lib';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { EndpointFunction } from '../constructs/endpoint-function.ts';

export interface FunctionAlarmsStackProps extends StackProps {
  readonly topic: ITopic;
  /** The functions to watch, by construct id (the HTTP API stack's). */
  readonly functions: ReadonlyMap<string, EndpointFunction>;
}

/**
 * The errors, throttles and duration-near-timeout alarms of the HTTP API stack's functions.
 * They live here because that stack holds about 50 functions with their roles, policies, log
 * groups, permissions and routes, and three alarms each would take it past CloudFormation's 500
 * resources per stack. The alarms reference the functions by name through stack exports.
 */
export class FunctionAlarmsStack extends Stack {
  constructor(scope: Construct, id: string, props: FunctionAlarmsStackProps) {
    super(scope, id, props);
    for (const [functionId, fn] of props.functions)
      fn.addAlarms(props.topic, new Construct(this, functionId));
  }
}
