/**
 * Child process of the summary benchmark playing BlueKing's ESB: serves a generated v2 response
 * over loopback HTTP in 64 KiB writes, from memory (the file is read once when serving starts,
 * so no file reads compete with the bot for the 2 cores during a measurement; with
 * content-length) or generated on the fly (chunked; for the 2 GB response, which is never held
 * in memory nor written to disk). A separate process, so the bot's process under measurement
 * only does the bot's work.
 * `/warm/...` answers a tiny response, for warming up the client.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type GenerateV2Options, generateV2Response, generateV2ResponseChunks } from '../dev/generate';
import { serveRpc } from './lib';

export interface ServeParams {
  readonly file?: string;
  readonly generate?: GenerateV2Options;
}

const CHUNK = 64 * 1024;
const TINY = generateV2Response({ hosts: 3, steps: 3, logBytes: 128, failingHosts: 1, seed: 3 });

/** Writes the generated response in ~64 KiB pieces, waiting for the socket when it is full. */
async function writeGenerated(res: http.ServerResponse, options: GenerateV2Options): Promise<void> {
  let batch: string[] = [];
  let chars = 0;
  const flush = async () => {
    const ok = res.write(batch.join(''));
    batch = [];
    chars = 0;
    if (!ok) await new Promise<void>((resolve) => res.once('drain', resolve));
  };
  for (const piece of generateV2ResponseChunks(options)) {
    if (res.destroyed) return;
    batch.push(piece);
    chars += piece.length;
    if (chars >= CHUNK) await flush();
  }
  await flush();
  res.end();
}

/** Writes `body` in 64 KiB pieces, waiting for the socket whenever it is full. */
function writeFromMemory(res: http.ServerResponse, body: Buffer): void {
  let at = 0;
  const more = () => {
    while (at < body.length) {
      if (res.destroyed) return;
      const ok = res.write(body.subarray(at, at + CHUNK));
      at += CHUNK;
      if (!ok) {
        res.once('drain', more);
        return;
      }
    }
    res.end();
  };
  more();
}

let server: http.Server | undefined;

async function serve(params: ServeParams): Promise<{ port: number }> {
  const body = params.file ? readFileSync(params.file) : null;
  server = http.createServer((req, res) => {
    if (req.url?.startsWith('/warm/')) {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(TINY)) });
      res.end(TINY);
      return;
    }
    if (body) {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(body.length) });
      writeFromMemory(res, body);
    } else if (params.generate) {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      void writeGenerated(res, params.generate);
    } else {
      res.writeHead(404).end();
    }
  });
  // The bot's process pauses between requests (reading the file for its JSON.parse reference,
  // GC): with Node's 5 s keep-alive the server could close the idle connection just as the next
  // request goes out on it (ECONNRESET). Keep idle connections for as long as a run lasts.
  server.keepAliveTimeout = 10 * 60_000;
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port };
}

serveRpc({ serve });
