import { Validations } from 'aws-cdk-lib';
import type { IHttpRoute } from 'aws-cdk-lib/aws-apigatewayv2';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IConstruct } from 'constructs';
import type { EndpointFunction } from '../constructs/endpoint-function.ts';

/*
 * Every cdk-nag finding this app acknowledges instead of fixing, in one place, each with its
 * reason. The test suite (test/infra/nag.infra.test.ts) runs the AwsSolutions and Serverless packs
 * against the prod stacks and fails on any finding that is not acknowledged here.
 *
 * cdk-nag v3 reads acknowledgements from CDK's own `Validations.of(construct).acknowledge()`
 * (v2's `NagSuppressions` is gone). Each acknowledgement sits on the narrowest construct that
 * owns the finding and, for granular rules such as IAM5, names the exact finding
 * (`AwsSolutions-IAM5[Resource::...]`), so a new, different finding still fails the suite.
 *
 * Fixed rather than acknowledged:
 * - AwsSolutions-IAM5 `Resource::<table>/index/*`: `grantReadData` grants every index with a
 *   wildcard; EndpointFunction.bindTable names each index's ARN instead (and leaves out Scan,
 *   DescribeTable and the stream actions that the L2 grant adds).
 *
 * Already compliant by design; keep it that way rather than acknowledge:
 * - AwsSolutions-IAM4 (managed policies): functions use their own role that writes only to
 *   their own log group, not AWSLambdaBasicExecutionRole.
 * - Serverless-APIGWAccessLogging / APIGWStructuredLogging / APIGWDefaultThrottling: the
 *   `$default` stage writes JSON access logs and has stage-wide throttling.
 * - Serverless-LambdaTracing / LambdaLatestVersion / LambdaDefaultMemorySize /
 *   LambdaDefaultTimeout / CloudWatchLogGroupRetentionPeriod: X-Ray active, Node.js 24,
 *   explicit memory, timeout and log retention on every function.
 * - AwsSolutions-SNS2 / SNS3: the alarm topic is encrypted (with a key CloudWatch may use) and
 *   refuses non-TLS publishing.
 * - AwsSolutions-SMG4 on the token signing keys: a Secrets Manager rotation schedule runs
 *   functions/ops/rotate-signing-key.ts (the README's procedure).
 * - AwsSolutions-DDB3: PITR is on in prod (and staging).
 */

/** Acknowledges one rule on one construct; a reason is mandatory and must say why. */
function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/** A route that the route table marks `public` is unauthenticated on purpose. */
export function acknowledgePublicRoute(route: IHttpRoute, routeKey: string): void {
  acknowledge(
    route,
    'AwsSolutions-APIG4',
    `${routeKey} is public by design (route table auth: 'public'): the catalog, health, ` +
      'OpenAPI document and the 404/405 catch-all must answer anonymous shoppers. Routes with ' +
      "auth 'user' or 'admin' get the JWT authorizer and are not acknowledged.",
  );
}

/** What every API endpoint function trips over by design. */
export function acknowledgeApiEndpoint(endpoint: EndpointFunction): void {
  acknowledge(
    endpoint.function,
    'Serverless-LambdaDLQ',
    'API Gateway invokes this function synchronously; a dead-letter queue only receives failed ' +
      'asynchronous invocations and would stay empty. Failures reach the caller as a 5xx ' +
      'problem+json and count towards the API 5xx alarm.',
  );
  acknowledgeFunctionRole(endpoint);
}

/** The two wildcards every function role needs: its own log streams and X-Ray. */
function acknowledgeFunctionRole(endpoint: EndpointFunction): void {
  acknowledge(
    endpoint.role,
    `AwsSolutions-IAM5[Resource::<${endpoint.logGroupLogicalId}.Arn>:log-stream:*]`,
    'Lambda creates one log stream per execution environment with a generated name, so ' +
      'CreateLogStream/PutLogEvents must cover the streams of this function’s own log group; ' +
      'the wildcard is confined to that one log group.',
  );
  acknowledge(
    endpoint.role,
    'AwsSolutions-IAM5[Resource::*]',
    'Added by active X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords do not ' +
      'support resource-level permissions (https://docs.aws.amazon.com/service-authorization/' +
      'latest/reference/list_awsx-ray.html), so their resource must be "*". The infra tests ' +
      'assert that no other action in a function policy has a wildcard resource.',
  );
}

/** The HMAC key that signs pagination cursors. */
export function acknowledgeCursorSecret(secret: ISecret): void {
  acknowledge(
    secret,
    'AwsSolutions-SMG4',
    'The cursor HMAC key is not a credential for another system, so there is no rotation ' +
      'target, and automatic rotation today would make every outstanding pagination cursor ' +
      'fail with 400 while warm functions still cache the old key. Rotate it by hand (a new ' +
      'random value) if it leaks; the only cost is that clients restart listings. Automatic ' +
      'rotation becomes sensible once cursors are also verified against AWSPREVIOUS.',
  );
}

/** The deploy-time function behind the `Custom::SigningKeySet` custom resource. */
export function acknowledgeDeployFunction(fn: EndpointFunction): void {
  acknowledgeFunctionRole(fn);
  acknowledge(
    fn.function,
    'Serverless-LambdaDLQ',
    'Only CloudFormation invokes this function, during deployments; a failure is reported to ' +
      'CloudFormation, which rolls the deployment back, so there is nothing for a queue to keep.',
  );
}

/** The rotation function of the token signing-key secret (Secrets Manager's rotation schedule). */
export function acknowledgeRotationFunction(fn: EndpointFunction): void {
  acknowledgeFunctionRole(fn);
  acknowledge(
    fn.function,
    'Serverless-LambdaDLQ',
    'Only Secrets Manager invokes this function, once per step of a rotation, and waits for the ' +
      'answer; a failed step leaves the rotation pending (the secret keeps its current value) and ' +
      'is reported by Secrets Manager and this function’s error alarm, so a queue would hold nothing.',
  );
}

/** Secrets issued by the payment provider (Stripe API key, webhook endpoint secret). */
export function acknowledgeProviderSecret(secret: ISecret): void {
  acknowledge(
    secret,
    'AwsSolutions-SMG4',
    'This value is issued by the payment provider (Stripe dashboard: API key / webhook endpoint ' +
      'secret); Secrets Manager cannot rotate it on the provider’s side. It is rolled in the ' +
      'provider’s dashboard and pasted here, per the README’s payment runbook.',
  );
}

/** A function EventBridge runs on a schedule. */
export function acknowledgeScheduledFunction(fn: EndpointFunction): void {
  acknowledgeFunctionRole(fn);
  acknowledge(
    fn.function,
    'Serverless-LambdaDLQ',
    'A scheduled sweep: EventBridge retries a failed run twice, and the next run (a minute ' +
      'later) picks up whatever this one left, since the work is found by a Query, not carried ' +
      'in the event. A failed event in a queue would hold nothing worth replaying.',
  );
}

/** The EventBridge rule that starts a scheduled sweep. */
export function acknowledgeScheduleRule(rule: IConstruct): void {
  acknowledge(
    rule,
    'Serverless-EventBusDLQ',
    'The event of a scheduled sweep carries no work, only "run now": a failed delivery is ' +
      'retried twice by EventBridge and otherwise made up by the next run a minute later, ' +
      'which finds the same due items by a Query. A dead-letter queue would hold empty ticks.',
  );
}

/** A function behind the WebSocket API (`$connect` authorizer and routes). */
export function acknowledgeWebSocketFunction(fn: EndpointFunction): void {
  acknowledge(
    fn.function,
    'Serverless-LambdaDLQ',
    'API Gateway invokes WebSocket route and authorizer functions synchronously; a dead-letter ' +
      'queue only receives failed asynchronous invocations and would stay empty. A failure refuses ' +
      'the handshake or answers the frame with an error, and shows in the function’s Errors metric.',
  );
  acknowledgeFunctionRole(fn);
}

/** `$disconnect` and `$default`: API Gateway allows an authorizer on `$connect` only. */
export function acknowledgeWebSocketRoute(route: IConstruct, routeKey: string): void {
  acknowledge(
    route,
    'AwsSolutions-APIG4',
    `${routeKey} cannot carry an authorizer: API Gateway runs the authorizer of a WebSocket API on ` +
      '$connect only, and every later frame of the connection is covered by that decision (the ' +
      'authorizer context reaches these routes as requestContext.authorizer).',
  );
}

/** The role API Gateway's account settings use to write WebSocket access logs. */
export function acknowledgeApiGatewayLoggingRole(role: IConstruct): void {
  acknowledge(
    role,
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
    'This is the service role API Gateway assumes (account setting cloudWatchRoleArn) to write ' +
      'WebSocket stage logs to log groups it names itself; AWS documents exactly this managed ' +
      'policy for it, and API Gateway, not our code, is the only principal that can assume the role.',
  );
}

/** A stream consumer: its function, role and dead-letter queue. */
export function acknowledgeStreamConsumer(consumer: {
  endpoint: EndpointFunction;
  deadLetterQueue: IConstruct;
}): void {
  acknowledgeFunctionRole(consumer.endpoint);
  acknowledge(
    consumer.endpoint.function,
    'Serverless-LambdaDLQ',
    'Only its event source mapping invokes this function (synchronously); failed batches go to ' +
      'the mapping’s on-failure destination, an SQS dead-letter queue with a depth alarm. A ' +
      'function-level dead-letter queue only serves asynchronous invocations and would stay empty.',
  );
  acknowledge(
    consumer.deadLetterQueue,
    'AwsSolutions-SQS3',
    'This queue IS a dead-letter queue (the event source mapping’s on-failure destination), which ' +
      'cdk-nag cannot see because the mapping, not a redrive policy, points at it. Its messages ' +
      'wait for an operator (alarm on depth > 0), so a queue behind it would have nothing to catch.',
  );
  acknowledge(
    consumer.deadLetterQueue,
    'Serverless-SQSRedrivePolicy',
    'A redrive policy moves messages a consumer failed on to a further queue; nothing consumes this ' +
      'dead-letter queue automatically (an operator reads it after its depth alarm), so there are ' +
      'no receive attempts to count and no further queue to redrive to.',
  );
}

/**
 * A consumer's right to post to (deliver frames) or delete (close) any connection of its
 * WebSocket stage, with that one method.
 */
export function acknowledgeConnectionsAccess(
  role: IConstruct,
  apiIdExport: string,
  stageName: string,
  method: 'POST' | 'DELETE',
): void {
  // cdk-nag writes an imported value (the API stack exports the API's id) by its export name.
  acknowledge(
    role,
    `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:${apiIdExport}/${stageName}/${method}/@connections/*]`,
    'Connection ids are random values API Gateway assigns per socket at run time, so the consumer ' +
      `that ${method === 'POST' ? 'delivers frames' : 'closes sockets'} must be allowed to ${method} any ` +
      'connection of its own API and stage; the wildcard covers nothing else (no other API, stage, ' +
      'method or account).',
  );
}

/** The HTTP API stage's access log format, whose numbers are unquoted. */
export function acknowledgeAccessLogFormat(stage: IConstruct): void {
  acknowledge(
    stage,
    'Serverless-APIGWStructuredLogging',
    'Every access log line IS JSON: the format writes $context.status and $context.responseLatency ' +
      'unquoted, so they arrive as JSON numbers that metric filters compare and measure, which makes the ' +
      'template itself (not its output) fail a JSON parse. Both variables are set on every request; the ' +
      'infra tests substitute sample values into the format and parse the result as JSON.',
  );
}

/** The alarm topic's email subscription. */
export function acknowledgeAlarmEmailSubscription(subscription: IConstruct): void {
  acknowledge(
    subscription,
    'Serverless-SNSRedrivePolicy',
    'An email subscription of the alarm topic: SNS retries email delivery itself, and a dead-letter ' +
      'queue for undeliverable alarm emails would need an alarm of its own, which could only notify this ' +
      'same topic. The alarm state stays visible in CloudWatch and on the dashboard whatever the email does.',
  );
}

/** The image buckets (uploads and renditions; lib/stacks/media-stack.ts). */
export function acknowledgeImageBuckets(buckets: readonly IConstruct[]): void {
  for (const bucket of buckets) {
    acknowledge(
      bucket,
      'AwsSolutions-S1',
      'Server access logs would need a log bucket per environment for objects that are either ' +
        'transient (originals: deleted after processing, expired after 2 days) or public through ' +
        'CloudFront (renditions). Who wrote what is in CloudTrail (PutObject through presigned ' +
        'URLs is signed by the API function’s role), and the table records every image change.',
    );
  }
}

/** The distribution serving renditions. */
export function acknowledgeImageDistribution(distribution: IConstruct): void {
  acknowledge(
    distribution,
    'AwsSolutions-CFR1',
    'Product images are for every shopper wherever they are; the shop decides where it sells, ' +
      'not where its pictures may be seen.',
  );
  acknowledge(
    distribution,
    'AwsSolutions-CFR2',
    'The distribution serves immutable public images from a private bucket (GET and HEAD only, ' +
      'no origin compute): a WAF web ACL (USD 5 a month plus per request) would guard nothing ' +
      'that CloudFront’s own DDoS protection does not. Add one per environment if abuse appears.',
  );
  acknowledge(
    distribution,
    'AwsSolutions-CFR3',
    'Access logs of public, immutable images record nothing an operator acts on; CloudFront’s ' +
      'standard metrics (requests, error rates, bytes) are on by default.',
  );
  acknowledge(
    distribution,
    'AwsSolutions-CFR4',
    'The distribution uses the default *.cloudfront.net certificate, on which CloudFront allows ' +
      'TLSv1 for old clients and no minimum protocol version can be set; a custom domain with an ' +
      'ACM certificate (and TLSv1.2_2021) is an operator setting to add with the shop’s domain.',
  );
}

/** The S3-triggered image processing function, its dead-letter queue and CDK’s bucket notification handler. */
export function acknowledgeImageProcessing(
  stack: IConstruct,
  processing: EndpointFunction,
  names: {
    uploads: string;
    renditions: string;
    originalsPrefix: string;
    renditionsPrefix: string;
    deadLetterQueue: IConstruct;
  },
): void {
  acknowledgeFunctionRole(processing);
  acknowledge(
    processing.role,
    `AwsSolutions-IAM5[Resource::<${names.uploads}.Arn>/${names.originalsPrefix}*]`,
    'The processing function reads and then deletes the original S3 announced, whose key holds ' +
      'per-upload ids: s3:GetObject and s3:DeleteObject under originals/ of the uploads bucket only.',
  );
  acknowledge(
    processing.role,
    `AwsSolutions-IAM5[Resource::<${names.renditions}.Arn>/${names.renditionsPrefix}*]`,
    'The processing function writes (and, for an image deleted meanwhile, removes) renditions at ' +
      'keys generated per image: s3:PutObject and s3:DeleteObject under products/ of the ' +
      'renditions bucket only.',
  );
  acknowledge(
    processing.function,
    'Serverless-LambdaDLQ',
    'Failed asynchronous invocations (S3 events) go to the function’s on-failure destination, an ' +
      'SQS queue with a depth alarm: the destination record also carries the error, which a ' +
      'dead-letter queue (DeadLetterConfig) would not; Lambda uses one or the other.',
  );
  acknowledge(
    names.deadLetterQueue,
    'AwsSolutions-SQS3',
    'This queue IS the processing function’s failure destination (its EventInvokeConfig points at ' +
      'it, which cdk-nag does not see as a dead-letter use); nothing consumes it but an operator ' +
      'after its depth alarm, so a queue behind it would have nothing to catch.',
  );
  acknowledge(
    names.deadLetterQueue,
    'Serverless-SQSRedrivePolicy',
    'This queue IS the failure destination of the processing function’s asynchronous invocations; ' +
      'nothing consumes it automatically (an operator reads it after its depth alarm), so there are ' +
      'no receive attempts to count and no further queue to redrive to.',
  );
  for (const child of stack.node.findAll()) {
    if (!child.node.path.endsWith('BucketNotificationsHandler050a0587b7544547bf325f094a3db834/Role'))
      continue;
    acknowledge(
      child,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      'CDK’s own deploy-time handler that puts the bucket’s notification configuration (one per ' +
        'stack, not configurable) uses this managed policy; it runs only during deployments.',
    );
  }
}

/** An API function's access to image objects, under one key prefix of a bucket each. */
export function acknowledgeImageAccess(
  role: IConstruct,
  access: 'upload' | 'delete',
  exportNames: { uploadsArn: string; renditionsArn: string },
  originalsPrefix: string,
  renditionsPrefix: string,
): void {
  // cdk-nag writes an imported value (the media stack exports the buckets' ARNs) by its export name.
  acknowledge(
    role,
    `AwsSolutions-IAM5[Resource::${exportNames.uploadsArn}/${originalsPrefix}*]`,
    'Image ids are ULIDs generated per upload, so the function that presigns uploads (the URL ' +
      'carries its permission) or deletes images must reach any key under originals/ of the ' +
      `uploads bucket, with that one action (s3:${access === 'upload' ? 'PutObject' : 'DeleteObject'}); no other prefix or bucket.`,
  );
  if (access === 'delete') {
    acknowledge(
      role,
      `AwsSolutions-IAM5[Resource::${exportNames.renditionsArn}/${renditionsPrefix}*]`,
      'Deleting an image deletes its renditions, at keys generated per image under products/ of ' +
        'the renditions bucket; s3:DeleteObject only, on that prefix only.',
    );
  }
}
