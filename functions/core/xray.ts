import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';

/*
 * X-Ray subsegments sent to the X-Ray daemon ourselves, over its documented UDP protocol
 * (https://docs.aws.amazon.com/xray/latest/devguide/xray-api-sendingdata.html): one datagram per
 * subsegment, a header line and the segment document. Lambda's active tracing records the
 * invocation's segment and runs the daemon; these subsegments hang under it by the trace header
 * Lambda hands each invocation. This replaces the Powertools Tracer, whose X-Ray SDK was about
 * 120 KB of every traced function's bundle and a third more cold import (docs/operations.md).
 */

/** What precedes every segment document in a datagram to the daemon. */
export const DAEMON_HEADER = '{"format":"json","version":1}\n';

/** The invocation's trace, from the header Lambda sets: `Root=1-...;Parent=...;Sampled=1`. */
export interface TraceHeader {
  readonly root: string;
  readonly parent: string;
  readonly sampled: boolean;
}

export function parseTraceHeader(header: string | undefined): TraceHeader | undefined {
  if (!header) return undefined;
  const fields = new Map(
    header.split(';').map((field) => {
      const at = field.indexOf('=');
      return [field.slice(0, at).trim(), field.slice(at + 1).trim()] as const;
    }),
  );
  const root = fields.get('Root');
  const parent = fields.get('Parent');
  if (!root || !parent) return undefined;
  return { root, parent, sampled: fields.get('Sampled') === '1' };
}

export interface DaemonAddress {
  readonly host: string;
  readonly port: number;
}

/** `AWS_XRAY_DAEMON_ADDRESS`: `host:port`, or `udp:host:port tcp:host:port` (segments go over UDP). */
export function parseDaemonAddress(value: string | undefined): DaemonAddress | undefined {
  if (!value) return undefined;
  const parts = value.trim().split(/\s+/);
  const udp =
    parts.length > 1 ? parts.find((part) => part.startsWith('udp:'))?.slice('udp:'.length) : parts[0];
  const at = udp?.lastIndexOf(':') ?? -1;
  const port = Number(udp?.slice(at + 1));
  if (!udp || at <= 0 || !Number.isInteger(port) || port <= 0) return undefined;
  return { host: udp.slice(0, at), port };
}

/** The fields of a subsegment document a caller fills in (name, ids and times are the recorder's). */
export interface SubsegmentFields {
  namespace?: 'aws' | 'remote';
  http?: {
    request?: { method: string; url: string };
    response?: { status?: number; content_length?: number };
  };
  aws?: Record<string, string | number | undefined>;
  annotations?: Record<string, string | number | boolean>;
  error?: boolean;
  fault?: boolean;
  throttle?: boolean;
  cause?: { exceptions: { id: string; type: string; message: string; remote?: boolean }[] };
}

/** A subsegment document as the daemon takes it (an "independent" subsegment). */
export interface SubsegmentDocument extends SubsegmentFields {
  readonly name: string;
  readonly id: string;
  readonly trace_id: string;
  readonly parent_id: string;
  readonly type: 'subsegment';
  readonly start_time: number;
  end_time?: number;
}

/** An open subsegment: `end` times it, adds what the call's outcome says, and sends it. */
export interface OpenSubsegment {
  readonly document: SubsegmentDocument;
  end(fields?: SubsegmentFields): Promise<void>;
}

/** Invocations in flight at once in one execution environment, with room to spare. */
const MAX_OPEN_HANDLERS = 64;

const newId = () => randomBytes(8).toString('hex');
/** Epoch seconds with sub-millisecond precision, as segment documents want them. */
const now = () => (performance.timeOrigin + performance.now()) / 1000;

/** 4xx is an error (429 a throttle too), 5xx a fault: X-Ray's own classification. */
export function statusFlags(
  status: number | undefined,
): Pick<SubsegmentFields, 'error' | 'fault' | 'throttle'> {
  if (status === undefined) return {};
  if (status >= 500) return { fault: true };
  if (status === 429) return { error: true, throttle: true };
  if (status >= 400) return { error: true };
  return {};
}

/** The cause of a failed call, as X-Ray shows it: the error's type and message, no stack. */
export function causeOf(error: unknown, remote: boolean): SubsegmentFields['cause'] {
  const type = error instanceof Error ? error.name : typeof error;
  const message = error instanceof Error ? error.message : String(error);
  return { exceptions: [{ id: newId(), type, message, remote }] };
}

/**
 * Records subsegments of the current invocation's trace. Calls made while a handler subsegment
 * is open become its children; anything outside a sampled invocation (module init, an unsampled
 * trace, no trace header at all) is not recorded.
 */
export class XRayRecorder {
  readonly #daemon: DaemonAddress;
  readonly #traceHeader: () => string | undefined;
  /**
   * The open handler subsegment of each invocation in flight, by its trace header. An invocation
   * that a middleware answers before the handler runs never closes its subsegment: past
   * MAX_OPEN_HANDLERS, the oldest entries go.
   */
  readonly #handlers = new Map<string, string>();

  constructor(daemon: DaemonAddress, traceHeader: () => string | undefined) {
    this.#daemon = daemon;
    this.#traceHeader = traceHeader;
  }

  /** The current invocation's trace, when it is sampled. */
  current(): (TraceHeader & { readonly raw: string }) | undefined {
    const raw = this.#traceHeader();
    const header = parseTraceHeader(raw);
    return header?.sampled && raw ? { ...header, raw } : undefined;
  }

  /** Opens the handler's subsegment (`## index.handler`); the calls it makes hang under it. */
  openHandler(
    name: string,
    annotations: Record<string, string | number | boolean>,
  ): OpenSubsegment | undefined {
    const trace = this.current();
    if (!trace) return undefined;
    const open = this.#open(name, trace.root, trace.parent, { annotations });
    this.#handlers.set(trace.raw, open.document.id);
    for (const stale of this.#handlers.keys()) {
      if (this.#handlers.size <= MAX_OPEN_HANDLERS) break;
      this.#handlers.delete(stale);
    }
    return {
      document: open.document,
      end: (fields) => {
        this.#handlers.delete(trace.raw);
        return open.end(fields);
      },
    };
  }

  /** Opens a subsegment for one call of the current invocation (undefined when not traced). */
  open(name: string, fields: SubsegmentFields = {}): OpenSubsegment | undefined {
    const trace = this.current();
    if (!trace) return undefined;
    return this.#open(name, trace.root, this.#handlers.get(trace.raw) ?? trace.parent, fields);
  }

  /** The trace header for a downstream AWS call made within `subsegment`. */
  static downstreamHeader(subsegment: OpenSubsegment): string {
    return `Root=${subsegment.document.trace_id};Parent=${subsegment.document.id};Sampled=1`;
  }

  #open(name: string, traceId: string, parentId: string, fields: SubsegmentFields): OpenSubsegment {
    const document: SubsegmentDocument = {
      name,
      id: newId(),
      trace_id: traceId,
      parent_id: parentId,
      type: 'subsegment',
      start_time: now(),
      ...fields,
    };
    return {
      document,
      end: (more = {}) => {
        Object.assign(document, more, { end_time: now() });
        if (more.http) document.http = { ...fields.http, ...more.http };
        return this.#send(document);
      },
    };
  }

  /**
   * One datagram per document, on a socket of its own: Lambda freezes the process between
   * invocations, and a socket kept across a freeze is what the X-Ray SDK itself avoids there.
   * Never throws: a lost subsegment must not fail the call it describes.
   */
  #send(document: SubsegmentDocument): Promise<void> {
    return new Promise((resolve) => {
      try {
        const socket = createSocket('udp4');
        socket.unref();
        let closed = false;
        const done = () => {
          if (!closed) socket.close();
          closed = true;
          resolve();
        };
        socket.on('error', done);
        const message = Buffer.from(`${DAEMON_HEADER}${JSON.stringify(document)}`);
        socket.send(message, this.#daemon.port, this.#daemon.host, done);
      } catch {
        resolve();
      }
    });
  }
}
