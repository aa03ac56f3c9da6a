/**
 * Starts the real bot (Bolt app, poller, store) against the local fakes: a fake Slack Web API and
 * a fake BlueKing JOB. Used by the end-to-end tests and by `npm run demo`, so both exercise
 * exactly the same wiring as production.
 */
import type { AddressInfo } from 'node:net';
import { type Bot, type BotOverrides, createBot } from '../src/app';
import { type Config, type Env, loadConfig } from '../src/config';
import { FakeBkJob } from './fakeEsb';
import { FakeSlackApi } from './fakeSlack';
import { type BlockActionInput, type PostSignedResult, blockActionsBody, postSigned, slashCommandBody } from './slackRequests';

export const TEST_SIGNING_SECRET = 'test-signing-secret-0123456789abcdef';
export const TEST_BOT_TOKEN = 'xoxb-test-bot-token-0123456789';
export const TEST_TEAM = 'T0TEST001';

export interface HarnessOptions {
  /** Extra or overriding environment variables. */
  readonly env?: Env;
  readonly overrides?: BotOverrides;
  /** Reuse running fakes (e.g. to restart the bot against the same Slack and BlueKing). */
  readonly slack?: FakeSlackApi;
  readonly esb?: FakeBkJob;
}

export interface Harness {
  readonly bot: Bot;
  readonly config: Config;
  readonly slack: FakeSlackApi;
  readonly esb: FakeBkJob;
  /** Base URL of the running bot, e.g. http://127.0.0.1:41234 */
  readonly appUrl: string;
  /** Sends a signed `/joblog <text>` as a user in a channel; resolves to the HTTP answer (the ack). */
  slash(text: string, options?: { userId?: string; channelId?: string; responseId?: string }): Promise<PostSignedResult>;
  /** Sends a signed block_actions payload (a button click). */
  click(input: Omit<BlockActionInput, 'teamId' | 'responseUrl' | 'triggerId'> & { responseId?: string }): Promise<PostSignedResult>;
  /** Stops the bot; `keepFakes` leaves the fakes running for a restart. */
  stop(options?: { keepFakes?: boolean }): Promise<void>;
}

/** The BlueKing settings that point the bot at a running fake BlueKing JOB, as user `alice`. */
export function bkEnv(esb: FakeBkJob): Record<string, string> {
  return {
    BK_API_BASE_URL: esb.url,
    BK_APP_CODE: esb.appCode,
    BK_APP_SECRET: esb.appSecret,
    BK_USERNAME: 'alice',
  };
}

/** The settings that run the bot in HTTP mode (any free port) against running fakes; add a database and log level. */
export function botEnv(slack: FakeSlackApi, esb: FakeBkJob): Record<string, string> {
  return {
    SLACK_BOT_TOKEN: TEST_BOT_TOKEN,
    SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
    SLACK_API_URL: slack.apiUrl,
    PORT: '0',
    ...bkEnv(esb),
  };
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const slack = options.slack ?? new FakeSlackApi({ teamId: TEST_TEAM });
  const esb = options.esb ?? new FakeBkJob();
  if (!options.slack) await slack.start();
  if (!options.esb) await esb.start();
  const env: Env = {
    ...botEnv(slack, esb),
    DATABASE_URL: 'sqlite::memory:',
    LOG_LEVEL: 'silent',
    ...options.env,
  };
  const config = loadConfig(env);
  const bot = await createBot(config, { slackRetries: 0, schedulePolling: false, defaultMetrics: false, ...options.overrides });
  const server = await bot.start();
  if (!server) throw new Error('the harness needs HTTP mode (no SLACK_APP_TOKEN)');
  const appUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let counter = 0;

  return {
    bot,
    config,
    slack,
    esb,
    appUrl,
    slash(text, opts = {}) {
      counter++;
      const body = slashCommandBody({
        text,
        userId: opts.userId ?? 'U0ALICE01',
        channelId: opts.channelId ?? 'C0OPS0001',
        teamId: TEST_TEAM,
        responseUrl: slack.responseUrl(opts.responseId ?? `cmd-${counter}`),
        triggerId: `trigger-${counter}`,
      });
      return postSigned(appUrl, body, TEST_SIGNING_SECRET);
    },
    click(input) {
      counter++;
      const { responseId, ...rest } = input;
      const body = blockActionsBody({ ...rest, teamId: TEST_TEAM, responseUrl: slack.responseUrl(responseId ?? `action-${counter}`), triggerId: `trigger-${counter}` });
      return postSigned(appUrl, body, TEST_SIGNING_SECRET);
    },
    async stop(stopOptions = {}) {
      await bot.stop(5000);
      if (!stopOptions.keepFakes) {
        if (!options.slack) await slack.stop();
        if (!options.esb) await esb.stop();
      }
    },
  };
}
