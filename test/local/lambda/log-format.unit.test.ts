import { describe, expect, it } from 'vitest';
import { formatFunctionLog, shortFunctionName } from '../../../lib/local/lambda/log-format.ts';

const plain = (line: string) =>
  formatFunctionLog('OrdersCreateOrderFunctionC61615C2', line, { color: false });

describe('npm start’s readable function log lines', () => {
  it('names the function without its template suffix', () => {
    expect(shortFunctionName('OrdersCreateOrderFunctionC61615C2')).toBe('OrdersCreateOrder');
    expect(shortFunctionName('RealtimeDeliverMessagesConsumerFunction1A2B3C4D')).toBe(
      'RealtimeDeliverMessages',
    );
  });

  it('shows a Powertools line as time, level, function, message, its own fields and the request id', () => {
    const line = JSON.stringify({
      level: 'INFO',
      message: 'order placed',
      timestamp: '2026-01-02T12:34:56.789Z',
      service: 'shop-create-order',
      cold_start: true,
      function_request_id: 'abc',
      requestId: '0de6fbbe-d019-4a78-b747-87f895fdd6ce',
      orderId: '01KABC',
      lines: 2,
    });
    expect(plain(line)).toBe(
      '12:34:56.789 INFO  OrdersCreateOrder order placed orderId=01KABC lines=2 (0de6fbbe-d019-4a78-b747-87f895fdd6ce)',
    );
  });

  it('shows an error with its name, message and the first frames of its stack', () => {
    const line = JSON.stringify({
      level: 'ERROR',
      message: 'request failed',
      timestamp: '2026-01-02T12:34:56.789Z',
      error: {
        name: 'Error',
        message: 'boom',
        stack: 'Error: boom\n    at a (x.ts:1:1)\n    at b (y.ts:2:2)',
      },
    });
    expect(plain(line)).toBe(
      '12:34:56.789 ERROR OrdersCreateOrder request failed Error: boom\n    at a (x.ts:1:1)\n    at b (y.ts:2:2)',
    );
  });

  it('shows an EMF line as METRIC name=value with its dimensions other than service', () => {
    const line = JSON.stringify({
      _aws: {
        Timestamp: Date.parse('2026-01-02T12:34:56.789Z'),
        CloudWatchMetrics: [
          {
            Namespace: 'Shop/local',
            Dimensions: [['service', 'currency']],
            Metrics: [{ Name: 'OrderPaid', Unit: 'None' }],
          },
        ],
      },
      service: 'shop',
      currency: 'EUR',
      OrderPaid: 5000,
    });
    expect(plain(line)).toBe('12:34:56.789 METRIC OrdersCreateOrder OrderPaid=5000 currency=EUR');
  });

  it('shows a failed init as the platform reports it', () => {
    const line = JSON.stringify({
      time: '2026-01-02T12:34:56.789Z',
      type: 'platform.initReport',
      record: {
        phase: 'init',
        status: 'error',
        errorType: 'ConfigurationError',
        metrics: { durationMs: 12.5 },
      },
    });
    expect(plain(line)).toBe(
      '12:34:56.789 INIT  OrdersCreateOrder INIT_REPORT Init Duration: 12.5 ms Status: error Error Type: ConfigurationError',
    );
  });

  it('passes a line that is not JSON through after the function’s name', () => {
    expect(plain('Task timed out after 10.00 seconds')).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} OrdersCreateOrder Task timed out after 10.00 seconds$/,
    );
  });

  it('colours the level and the function when asked', () => {
    const line = JSON.stringify({ level: 'WARN', message: 'careful', timestamp: '2026-01-02T12:34:56.789Z' });
    const coloured = formatFunctionLog('OrdersCreateOrderFunctionC61615C2', line, { color: true });
    expect(coloured).toContain('\u001b[33mWARN \u001b[39m');
    expect(coloured).toContain('\u001b[35mOrdersCreateOrder\u001b[39m');
  });
});
