/**
 * Process entry point: read the environment once, start the bot, stop it cleanly on SIGTERM/SIGINT.
 */
import { existsSync } from 'node:fs';
import { createBot } from './app';
import { ConfigError, type Config, loadConfig, secretsOf } from './config';
import { createRedactor } from './redact';

let config: Config | undefined;

async function main(): Promise<void> {
  // A .env file in the working directory is read if present; real environment variables win.
  if (existsSync('.env')) process.loadEnvFile('.env');
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  // A bad BK_USER_MAP_FILE is found when the bot is built: a settings problem like the others.
  const bot = await createBot(config).catch((err: unknown) => {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(78); // EX_CONFIG
  });
  // Last-resort handlers: log through pino (secrets scrubbed) instead of Node's raw dump.
  process.on('unhandledRejection', (reason) => bot.logger.error({ err: reason }, 'unhandled promise rejection'));
  process.on('uncaughtException', (err) => {
    bot.logger.fatal({ err }, 'uncaught exception; exiting');
    process.exit(1);
  });
  await bot.start();

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    bot.logger.info({ signal }, 'shutting down');
    bot
      .stop()
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        bot.logger.error({ err }, 'error during shutdown');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  // Start-up failures (database unreachable, port in use): one clear line, no stack trace dump.
  const redact = createRedactor(config ? secretsOf(config) : []);
  process.stderr.write(`joblog-bot failed to start: ${redact(err instanceof Error ? err.message : String(err))}\n`);
  process.exit(1);
});
