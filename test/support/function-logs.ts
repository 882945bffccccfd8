/** One line a function of the local backend wrote, as `startTestBackend({ log })` receives it. */
export interface FunctionLogLine {
  /** The function's logical id in the template (`OrdersCreateOrderFunctionC61615C2`). */
  readonly logicalId: string;
  readonly raw: string;
  /** The line as JSON, when it is JSON. */
  readonly json?: Record<string, unknown>;
}

/** A metric of an EMF line: its name, value, namespace, dimensions and the function that wrote it. */
export interface EmittedMetric {
  readonly logicalId: string;
  readonly namespace: string;
  readonly name: string;
  readonly unit: string | undefined;
  readonly value: unknown;
  readonly dimensions: Readonly<Record<string, unknown>>;
}

/**
 * Collects the backend's log lines (pass `collector.log` to `startTestBackend`) and reads them
 * back: function lines (`  [LogicalId] ...` in the `json` log format) and the EMF metrics in them.
 */
export function logCollector() {
  const lines: string[] = [];
  const functionLines = (from = 0): FunctionLogLine[] =>
    lines.slice(from).flatMap((line) => {
      const match = /^ {2}\[([A-Za-z0-9]+)\] (.*)$/.exec(line);
      if (!match) return [];
      const [, logicalId = '', raw = ''] = match;
      let json: Record<string, unknown> | undefined;
      try {
        const parsed: unknown = JSON.parse(raw);
        if (typeof parsed === 'object' && parsed !== null) json = parsed as Record<string, unknown>;
      } catch {
        json = undefined;
      }
      return [{ logicalId, raw, ...(json ? { json } : {}) }];
    });
  return {
    log: (line: string) => {
      lines.push(line);
    },
    /** How many lines so far: a mark to read only what came after. */
    mark: () => lines.length,
    /**
     * Resolves once no line has arrived for `quietMs`: function output reaches the log a moment
     * after the answer (as in CloudWatch), so "exactly once" is only decidable when it is quiet.
     */
    async quiet(quietMs = 300): Promise<void> {
      for (let seen = -1; seen !== lines.length; ) {
        seen = lines.length;
        await new Promise((resolve) => setTimeout(resolve, quietMs));
      }
    },
    lines: (from = 0) => lines.slice(from),
    functionLines,
    /** Every metric of every EMF line (CloudWatch embedded metric format) since the mark. */
    metrics(from = 0): EmittedMetric[] {
      return functionLines(from).flatMap(({ logicalId, json }) => {
        const aws = json?._aws as
          | {
              CloudWatchMetrics?: {
                Namespace: string;
                Dimensions: string[][];
                Metrics: { Name: string; Unit?: string }[];
              }[];
            }
          | undefined;
        return (aws?.CloudWatchMetrics ?? []).flatMap((directive) =>
          directive.Metrics.map((metric) => ({
            logicalId,
            namespace: directive.Namespace,
            name: metric.Name,
            unit: metric.Unit,
            value: json?.[metric.Name],
            dimensions: Object.fromEntries(directive.Dimensions.flat().map((name) => [name, json?.[name]])),
          })),
        );
      });
    },
  };
}

/** The values of one metric (an EMF value may be one number or an array of them), flattened. */
export function valuesOf(metrics: readonly EmittedMetric[], name: string): number[] {
  return metrics
    .filter((metric) => metric.name === name)
    .flatMap((metric) => (Array.isArray(metric.value) ? metric.value : [metric.value]))
    .map(Number);
}
