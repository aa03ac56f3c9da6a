/**
 * The HTTP plumbing shared by the fakes (Slack, BlueKing JOB): a loopback server on a free port
 * that buffers request bodies, tracks its sockets and timers, and leaves nothing running after
 * `stop()` — jest must be able to exit, and the demo must shut down cleanly on Ctrl-C.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface FakeRequest {
  readonly method: string;
  /** Path without the query string, e.g. `/api/chat.postMessage`. */
  readonly path: string;
  readonly query: URLSearchParams;
  /** Lower-cased header names; repeated headers joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

export type FakeHandler = (request: FakeRequest, response: http.ServerResponse) => Promise<void>;

export interface FakeServerOptions {
  /** Bodies larger than this get HTTP 413 (a fake should fail loudly, not eat memory). */
  readonly maxBodyBytes?: number;
}

const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024;

export class FakeHttpServer {
  private server: http.Server | undefined;
  private baseUrl: string | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly sleepers = new Map<NodeJS.Timeout, (completed: boolean) => void>();
  private readonly maxBodyBytes: number;

  constructor(
    private readonly name: string,
    private readonly handler: FakeHandler,
    options: FakeServerOptions = {},
  ) {
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  }

  /** `http://127.0.0.1:<port>` once started. */
  get url(): string {
    if (this.baseUrl === undefined) throw new Error(`${this.name} is not started: call start() first`);
    return this.baseUrl;
  }

  get running(): boolean {
    return this.server !== undefined;
  }

  async start(): Promise<void> {
    if (this.server) throw new Error(`${this.name} is already started`);
    const server = http.createServer((req, res) => void this.dispatch(req, res));
    // Keep-alive sockets would otherwise hold stop() open until they time out.
    // Clients keep a connection for this hint minus a second: long enough to reuse one. stop() closes them anyway.
    server.keepAliveTimeout = 5_000;
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    this.server = server;
    this.baseUrl = `http://127.0.0.1:${port}`;
  }

  /** Closes the server, every open connection (including ones deliberately left hanging) and timer. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.baseUrl = undefined;
    for (const [timer, wake] of this.sleepers) {
      clearTimeout(timer);
      wake(false);
    }
    this.sleepers.clear();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await closed;
  }

  /**
   * Waits `ms`; resolves `false` instead if the server stops first, so handlers can bail out.
   * The timer is tracked (and cleared by stop), unlike a bare setTimeout.
   */
  sleep(ms: number): Promise<boolean> {
    if (ms <= 0) return Promise.resolve(this.running);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.sleepers.delete(timer);
        resolve(true);
      }, ms);
      this.sleepers.set(timer, resolve);
    });
  }

  private async dispatch(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    try {
      const body = await readBody(req, this.maxBodyBytes);
      if (body === 'too_large') {
        sendText(res, 413, `${this.name}: request body larger than ${this.maxBodyBytes} bytes`);
        return;
      }
      const url = new URL(req.url ?? '/', 'http://fake.invalid');
      await this.handler({ method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: flattenHeaders(req.headers), body }, res);
    } catch (err) {
      // A bug in a fake must show up in the test that hit it, not as a hung request.
      if (!res.headersSent && !res.destroyed) sendText(res, 500, `${this.name} failed: ${err instanceof Error ? err.message : String(err)}`);
      else res.destroy();
    }
  }
}

function flattenHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[key.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer | 'too_large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      if (!tooLarge) chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? 'too_large' : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function sendText(res: http.ServerResponse, status: number, text: string, headers: Readonly<Record<string, string>> = {}): void {
  const body = Buffer.from(text, 'utf8');
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(body.length), ...headers });
  res.end(body);
}

export function sendJson(res: http.ServerResponse, status: number, value: unknown, headers: Readonly<Record<string, string>> = {}): void {
  const body = Buffer.from(JSON.stringify(value), 'utf8');
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(body.length), ...headers });
  res.end(body);
}

const STREAM_BATCH_CHARS = 64 * 1024;

/**
 * Writes a body produced piece by piece (chunked encoding), batching small pieces and honouring
 * backpressure, so a 400 MB response never exists as one string. Stops early if the client leaves.
 */
export async function sendJsonChunks(res: http.ServerResponse, status: number, pieces: Iterable<string>, headers: Readonly<Record<string, string>> = {}): Promise<void> {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...headers });
  let batch: string[] = [];
  let batchChars = 0;
  const flush = async (): Promise<boolean> => {
    if (batch.length === 0) return true;
    const text = batch.join('');
    batch = [];
    batchChars = 0;
    if (res.destroyed) return false;
    if (!res.write(text)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.on('drain', done);
        res.on('close', done);
      });
    }
    return !res.destroyed;
  };
  for (const piece of pieces) {
    batch.push(piece);
    batchChars += piece.length;
    if (batchChars >= STREAM_BATCH_CHARS && !(await flush())) return;
  }
  if (await flush()) res.end();
}
