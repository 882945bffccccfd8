import { Fn, Stack, type StackProps } from 'aws-cdk-lib';
import { HttpApi, HttpAuthorizer, HttpAuthorizerType } from 'aws-cdk-lib/aws-apigatewayv2';
import type { Construct } from 'constructs';
import { deployedRoutes, type RouteStack } from '../api/routes.ts';
import { deployedSchedules } from '../api/schedules.ts';
import type { EndpointFunction } from '../constructs/endpoint-function.ts';
import type { HttpApiExports } from './api-stack.ts';
import { addHttpEndpoints, type HttpEndpointsProps } from './http-endpoints.ts';

export interface ApiRoutesStackProps extends StackProps, HttpEndpointsProps {
  /** The group of domains this stack holds: the routes and schedules whose `stack` it is. */
  readonly group: Exclude<RouteStack, 'api'>;
  /** The export names of the HTTP API and its authorizer (the base API stack's). */
  readonly httpApi: HttpApiExports;
}

/**
 * The routes of one group of domains (catalog, accounts, orders, messages: `stack` in
 * lib/api/routes/) on the base stack's HTTP API: their functions with their alarms, Lambda
 * integrations, invoke permissions, routes and scheduled jobs. The API and its JWT authorizer
 * are imported by export name; the API's `$default` stage deploys automatically, so these
 * routes are served as soon as this stack has created them.
 */
export class ApiRoutesStack extends Stack {
  readonly group: Exclude<RouteStack, 'api'>;
  /** Functions by construct id (`CatalogListProducts`), for tests and outputs. */
  readonly functions: ReadonlyMap<string, EndpointFunction>;

  constructor(scope: Construct, id: string, props: ApiRoutesStackProps) {
    super(scope, id, props);
    this.group = props.group;
    const routes = deployedRoutes(props.config).filter((route) => route.stack === props.group);
    const schedules = deployedSchedules(props.config).filter((job) => job.stack === props.group);
    if (routes.length === 0 && schedules.length === 0)
      throw new Error(`No route or schedule of the route table has stack: '${props.group}'.`);
    const api = HttpApi.fromHttpApiAttributes(this, 'HttpApi', {
      httpApiId: Fn.importValue(props.httpApi.apiId),
    });
    const authorizer = HttpAuthorizer.fromHttpAuthorizerAttributes(this, 'JwtAuthorizer', {
      authorizerId: Fn.importValue(props.httpApi.authorizerId),
      authorizerType: HttpAuthorizerType.JWT,
    });
    this.functions = addHttpEndpoints(this, { ...props, api, authorizer, routes, schedules }).functions;
  }
}
