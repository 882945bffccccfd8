import http from 'node:http';

export interface BenchRequest {
  readonly method?: string;
  /** Path and query, e.g. `/products?limit=20`. */
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

export interface BenchResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  /** Send to last byte of the body, client side. */
  readonly ms: number;
}

/**
 * A lean keep-alive HTTP/1.1 client for timing the local API. `fetch` adds a few hundred
 * microseconds of its own per request, which would be charged to the API under test; the
 * floors are timed with the SDK's own (node:http) client, so the API is timed with node:http too.
 */
export class BenchClient {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  private readonly host: string;
  private readonly port: number;

  constructor(baseUrl: string) {
    const url = new URL(baseUrl);
    // 127.0.0.1 rather than `localhost`: the emulator listens on IPv4 only.
    this.host = url.hostname === 'localhost' ? '127.0.0.1' : url.hostname;
    this.port = Number(url.port);
  }

  request(request: BenchRequest): Promise<BenchResponse> {
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = { ...request.headers };
      if (request.body !== undefined) headers['content-length'] = Buffer.byteLength(request.body);
      const req = http.request(
        {
          agent: this.agent,
          host: this.host,
          port: this.port,
          method: request.method ?? 'GET',
          path: request.path,
          headers,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks).toString('utf8'),
              ms: performance.now() - started,
            }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(request.body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
