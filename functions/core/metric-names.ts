/*
 * The business metrics functions emit (CloudWatch embedded metric format, one namespace per
 * environment) and the names CDK alarms and dashboards read. No dependencies: the CDK app
 * imports this module too.
 */

/** The `service` dimension of every business metric: one series per metric and environment. */
export const METRICS_SERVICE = 'shop';

/** Every business metric, by name. Counts unless noted. */
export const BUSINESS_METRICS = {
  /** An order was placed (stock reserved). */
  OrderPlaced: 'OrderPlaced',
  /**
   * An order was paid. Its value is the order total in minor units, with a `currency`
   * dimension: SampleCount is the number of paid orders, Sum the revenue.
   */
  OrderPaid: 'OrderPaid',
  /** The provider declined a charge (the order stays payable). */
  PaymentDeclined: 'PaymentDeclined',
  /** The provider refused or could not be asked for a refund: an operator must look. */
  RefundFailed: 'RefundFailed',
  /** A webhook delivery whose signature did not verify. */
  WebhookSignatureRejected: 'WebhookSignatureRejected',
  /** A sign-in refused because of too many failed attempts for the email. */
  LoginThrottled: 'LoginThrottled',
  /** A message was written to a conversation (not a replay). */
  MessageSent: 'MessageSent',
  /** A push to a WebSocket connection failed (not counting connections that are gone). */
  WebSocketDeliveryFailed: 'WebSocketDeliveryFailed',
  /** A stream record a consumer failed on (it is retried, then dead-lettered). */
  StreamRecordFailed: 'StreamRecordFailed',
  /** An attempt with an unknown outcome that reconciliation settled (dimension `outcome`). */
  PaymentReconciled: 'PaymentReconciled',
} as const;
export type BusinessMetric = (typeof BUSINESS_METRICS)[keyof typeof BUSINESS_METRICS];

/** Powertools' own cold-start metric (dimensions `service` and `function_name`). */
export const COLD_START_METRIC = 'ColdStart';
