import type { RouteStack, SecretName, TableAccess } from './routes.ts';

/** A function that runs on a schedule (an EventBridge rule), not behind a route. */
export interface ScheduleDefinition {
  /** The function's stable id (see `RouteDefinition.id`). */
  readonly id: string;
  readonly entry: string;
  readonly description: string;
  /** Minutes between runs (EventBridge `rate(...)`). */
  readonly everyMinutes: number;
  /** The stack that holds the function and its rule (see `RouteDefinition.stack`). */
  readonly stack: RouteStack;
  readonly table: Exclude<TableAccess, 'none'>;
  readonly secrets?: readonly SecretName[];
  /** Deployed only where the environment's payment provider is this one. */
  readonly paymentProvider?: 'simulated' | 'stripe';
}

/** THE list of scheduled jobs; CDK creates a rule for each, the local runtime runs them too. */
export const SCHEDULES: readonly ScheduleDefinition[] = [
  {
    id: 'OrdersExpireOrders',
    entry: 'functions/orders/expire-orders.ts',
    description: 'Expire unpaid orders past their payment window and return their stock',
    everyMinutes: 1,
    stack: 'orders',
    table: 'readwrite',
  },
  {
    id: 'SearchCompactIndex',
    entry: 'functions/search/compact-index.ts',
    description: 'Fold the search change log into a new snapshot (the first one from the catalog)',
    everyMinutes: 5,
    stack: 'catalog',
    table: 'readwrite',
  },
  {
    id: 'PaymentsReconcilePayments',
    entry: 'functions/payments/reconcile-payments.ts',
    description: 'Ask the payment provider about attempts whose outcome is unknown and settle them',
    everyMinutes: 5,
    stack: 'orders',
    table: 'readwrite',
    secrets: ['paymentWebhook', 'stripeApiKey'],
  },
  {
    id: 'PaymentsCompleteSimulatedPayments',
    entry: 'functions/payments/complete-simulated-payments.ts',
    description: 'Deliver the webhook events of simulated payments that settle later',
    everyMinutes: 1,
    stack: 'orders',
    table: 'readwrite',
    secrets: ['paymentWebhook'],
    // Where Stripe charges cards there are no simulated payments: nothing to run every minute.
    paymentProvider: 'simulated',
  },
];

/** The schedules an environment deploys: those for its payment provider, and every other. */
export const deployedSchedules = (config: {
  readonly paymentProvider: 'simulated' | 'stripe';
}): readonly ScheduleDefinition[] =>
  SCHEDULES.filter((job) => !job.paymentProvider || job.paymentProvider === config.paymentProvider);
