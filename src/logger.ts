/**
 * Structured JSON logging (pino) with secrets scrubbed from every line, plus an adapter that lets
 * Bolt log through the same logger.
 */
import type { Logger as SlackLogger } from '@slack/logger';
import { LogLevel } from '@slack/logger';
import pino, { type Logger } from 'pino';
import type { Redactor } from './redact';

export type AppLogger = Logger;

export interface LoggerOptions {
  readonly level: string;
  readonly redact: Redactor;
  /** Where lines go; stdout by default. Tests pass a stream to read what was logged. */
  readonly destination?: pino.DestinationStream;
}

export function createLogger(options: LoggerOptions): AppLogger {
  const { redact } = options;
  return pino(
    {
      level: options.level,
      base: { app: 'joblog-bot' },
      timestamp: pino.stdTimeFunctions.isoTime,
      serializers: {
        // Errors keep their type, message and stable fields; the stack goes only to debug.
        err: (err: unknown) => {
          if (!(err instanceof Error)) return { message: redact(String(err)) };
          const extra: Record<string, unknown> = {};
          for (const key of ['kind', 'code', 'requestId', 'bkMessage', 'data'] as const) {
            const value = (err as unknown as Record<string, unknown>)[key];
            if (value !== undefined) extra[key] = value;
          }
          return { type: err.name, message: err.message, ...extra, stack: options.level === 'debug' || options.level === 'trace' ? err.stack : undefined };
        },
      },
      hooks: {
        // Scrub the finished line: secrets can hide in any field, message or error.
        streamWrite: (line: string) => redact(line),
      },
    },
    options.destination,
  );
}

const TO_PINO: Readonly<Record<LogLevel, string>> = { [LogLevel.ERROR]: 'error', [LogLevel.WARN]: 'warn', [LogLevel.INFO]: 'info', [LogLevel.DEBUG]: 'debug' };

/** Bolt's Logger interface over pino, so Bolt's own lines are structured and scrubbed too. */
export function boltLogger(logger: AppLogger): SlackLogger {
  let child = logger.child({ component: 'bolt' });
  const join = (msg: unknown[]) => msg.map((m) => (typeof m === 'string' ? m : m instanceof Error ? m.message : JSON.stringify(m))).join(' ');
  return {
    debug: (...msg: unknown[]) => child.debug(join(msg)),
    info: (...msg: unknown[]) => child.info(join(msg)),
    warn: (...msg: unknown[]) => child.warn(join(msg)),
    error: (...msg: unknown[]) => child.error(join(msg)),
    setLevel: (level: LogLevel) => {
      child.level = TO_PINO[level] ?? 'info';
    },
    getLevel: () => (Object.entries(TO_PINO).find(([, v]) => v === child.level)?.[0] as LogLevel | undefined) ?? LogLevel.INFO,
    setName: (name: string) => {
      child = logger.child({ component: name });
    },
  };
}
