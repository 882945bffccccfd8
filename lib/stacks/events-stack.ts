import { Fn, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { AccessLogFormat, CfnAccount } from 'aws-cdk-lib/aws-apigateway';
import {
  type IWebSocketApi,
  LogGroupLogDestination,
  WebSocketApi,
  WebSocketRoute,
  WebSocketStage,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, ManagedPolicy, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { STREAM_CONSUMERS } from '../api/stream-consumers.ts';
import { WEBSOCKET_API, webSocketStageName } from '../api/websocket.ts';
import type { EnvironmentConfig } from '../config/environments.ts';
import { EndpointFunction } from '../constructs/endpoint-function.ts';
import { StreamConsumer } from '../constructs/stream-consumer.ts';
import { SHOP_TABLE_INDEXES } from '../constructs/table-definition.ts';
import { TransactionalEmail } from '../constructs/transactional-email.ts';
import type { WebSocketApiExports } from './api-stack.ts';
import { SECRET_VARIABLES } from './http-endpoints.ts';
import {
  acknowledgeApiGatewayLoggingRole,
  acknowledgeConnectionsAccess,
  acknowledgeStreamConsumer,
  acknowledgeWebSocketFunction,
  acknowledgeWebSocketRoute,
} from './nag-suppressions.ts';

export interface EventsStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  readonly table: ITable;
  /** The access-token issuer (the HTTP API's URL or the configured one): `$connect` verifies against its JWKS. */
  readonly issuer: string;
  /** The environment's alarm topic. */
  readonly alarmTopic: ITopic;
  /** Where the API stack exports its WebSocket API (its routes, authorizer and stage are built here). */
  readonly webSocketApi: WebSocketApiExports;
  /** Secrets stream consumers may read (the cursor secret, from which server keys are derived). */
  readonly secrets: { readonly cursor: ISecret };
}

/**
 * Everything driven by events rather than by HTTP requests: the WebSocket API (real-time
 * delivery) and the consumers of the table's stream, each with its dead-letter queue.
 */
export class EventsStack extends Stack {
  /** The API stack's WebSocket API, as this stack refers to it. */
  readonly webSocketApi: IWebSocketApi;
  readonly stage: WebSocketStage;
  /** Functions by construct id (`RealtimeConnect`, `RealtimeDeliverMessages`...). */
  readonly functions = new Map<string, EndpointFunction>();
  readonly consumers = new Map<string, StreamConsumer>();
  readonly email: TransactionalEmail;

  constructor(scope: Construct, id: string, props: EventsStackProps) {
    super(scope, id, props);
    const { config, table } = props;
    const authEnvironment = { AUTH_ISSUER: props.issuer, AUTH_AUDIENCE: config.authAudience };

    const authorizerFn = new EndpointFunction(this, WEBSOCKET_API.authorizer.id, {
      entry: WEBSOCKET_API.authorizer.entry,
      config,
      alarmTopic: props.alarmTopic,
      environment: authEnvironment,
    });
    acknowledgeWebSocketFunction(authorizerFn);
    this.functions.set(WEBSOCKET_API.authorizer.id, authorizerFn);
    const authorizer = new WebSocketLambdaAuthorizer('ConnectAuthorizer', authorizerFn.function, {
      identitySource: [WEBSOCKET_API.identitySource],
    });

    // Imported, not the construct itself: what CDK builds for a route (its integration, the
    // authorizer) is then created in this stack, next to the functions it points at.
    this.webSocketApi = WebSocketApi.fromWebSocketApiAttributes(this, 'WebSocketApi', {
      webSocketId: Fn.importValue(props.webSocketApi.apiId),
      apiEndpoint: Fn.importValue(props.webSocketApi.apiEndpoint),
    });
    for (const route of WEBSOCKET_API.routes) {
      const { id } = route;
      const fn = new EndpointFunction(this, id, {
        entry: route.entry,
        config,
        alarmTopic: props.alarmTopic,
        ...(route.routeKey === '$connect'
          ? {
              environment: {
                WEBSOCKET_MAX_CONNECTIONS_PER_USER: String(config.webSocketConnectionsPerUser),
              },
            }
          : {}),
      });
      if (route.table !== 'none') fn.bindTable(table, route.table, SHOP_TABLE_INDEXES);
      acknowledgeWebSocketFunction(fn);
      this.functions.set(id, fn);
      const webSocketRoute = new WebSocketRoute(this, `${id}Route`, {
        webSocketApi: this.webSocketApi,
        routeKey: route.routeKey,
        integration: new WebSocketLambdaIntegration(`${id}Integration`, fn.function),
        ...(route.routeKey === '$connect' ? { authorizer } : {}),
        ...('returnsResponse' in route && route.returnsResponse ? { returnResponse: true } : {}),
      });
      if (route.routeKey !== '$connect') acknowledgeWebSocketRoute(webSocketRoute, route.routeKey);
    }

    // WebSocket stages log through API Gateway's account-wide CloudWatch role (HTTP APIs need
    // none). Retained, so deleting one environment never breaks another's logging.
    const loggingRole = new Role(this, 'ApiGatewayLoggingRole', {
      assumedBy: new ServicePrincipal('apigateway.amazonaws.com'),
      managedPolicies: [
        ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonAPIGatewayPushToCloudWatchLogs'),
      ],
    });
    loggingRole.applyRemovalPolicy(RemovalPolicy.RETAIN);
    acknowledgeApiGatewayLoggingRole(loggingRole);
    const account = new CfnAccount(this, 'ApiGatewayAccount', { cloudWatchRoleArn: loggingRole.roleArn });
    account.applyRemovalPolicy(RemovalPolicy.RETAIN);

    const accessLogs = new LogGroup(this, 'WebSocketAccessLogs', {
      retention: config.logRetention,
      removalPolicy: config.removalPolicy,
    });
    this.stage = new WebSocketStage(this, 'Stage', {
      webSocketApi: this.webSocketApi,
      stageName: webSocketStageName(config),
      autoDeploy: true,
      throttle: { ...config.throttling },
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        // No headers and no query string: the access token never reaches a log line.
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            time: '$context.requestTime',
            ip: '$context.identity.sourceIp',
            connectionId: '$context.connectionId',
            eventType: '$context.eventType',
            routeKey: '$context.routeKey',
            status: '$context.status',
            integrationLatencyMs: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
            authorizerError: '$context.authorizer.error',
            error: '$context.error.message',
          }),
        ),
      },
    });
    this.stage.node.addDependency(account);

    this.email = new TransactionalEmail(this, 'Email', { config });
    // Literal names, not references: the local runtime passes them to the functions as they are.
    const emailEnvironment = {
      EMAIL_FROM: this.email.fromAddress,
      EMAIL_CONFIGURATION_SET: this.email.configurationSetName,
      UNSUBSCRIBE_URL: `${props.issuer}/email/unsubscribe`,
    };
    for (const definition of STREAM_CONSUMERS) {
      const { id } = definition;
      const consumer = new StreamConsumer(this, id, {
        definition,
        config,
        table,
        indexNames: SHOP_TABLE_INDEXES,
        alarmTopic: props.alarmTopic,
        environment: {
          ...(definition.webSocket
            ? { WEBSOCKET_API_ENDPOINT: this.webSocketApi.apiEndpoint, WEBSOCKET_STAGE: this.stage.stageName }
            : {}),
          ...(definition.sendsEmail ? emailEnvironment : {}),
        },
      });
      for (const name of definition.secrets ?? []) {
        const secret = name === 'cursor' ? props.secrets.cursor : undefined;
        if (!secret)
          throw new Error(
            `Stream consumer ${id} asks for secret ${name}, which the events stack does not have.`,
          );
        consumer.endpoint.bindSecret(secret, SECRET_VARIABLES[name]);
      }
      if (definition.sendsEmail) this.email.grantSend(consumer.endpoint.function);
      if (definition.webSocket) {
        // One method (post frames, or close sockets) on connections of this stage only.
        consumer.endpoint.function.addToRolePolicy(
          new PolicyStatement({
            effect: Effect.ALLOW,
            actions: ['execute-api:ManageConnections'],
            resources: [
              this.formatArn({
                service: 'execute-api',
                resource: this.webSocketApi.apiId,
                resourceName: `${this.stage.stageName}/${definition.webSocket}/@connections/*`,
              }),
            ],
          }),
        );
        acknowledgeConnectionsAccess(
          consumer.endpoint.function.role ?? consumer.endpoint.role,
          props.webSocketApi.apiId,
          this.stage.stageName,
          definition.webSocket,
        );
      }
      acknowledgeStreamConsumer(consumer);
      this.consumers.set(id, consumer);
      this.functions.set(id, consumer.endpoint);
    }
  }
}
