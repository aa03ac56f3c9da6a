/**
 * Parent side of fakesChild.ts: starts the fakes in a child process and the real bot (through
 * `startHarness`) in this one, pointed at them.
 */
import { join } from 'node:path';
import type { BotOverrides } from '../src/app';
import type { Env } from '../src/config';
import type { FakeBkJob } from '../dev/fakeEsb';
import type { FakeSlackApi } from '../dev/fakeSlack';
import { type Harness, TEST_TEAM, startHarness } from '../dev/harness';
import type { FakesInfo } from './fakesChild';
import { ChildRpc } from './lib';

/**
 * keepAliveTimeout for the fakes' servers (default 5 s, like a real front end would allow; the
 * fakes' own 1 s makes Node clients reconnect for every call). BENCH_FAKE_KEEPALIVE_MS=1000
 * reproduces the fakes as they are.
 */
export const FAKE_KEEP_ALIVE_MS = Number(process.env.BENCH_FAKE_KEEPALIVE_MS ?? 5000);

export class RemoteFakes {
  private constructor(
    readonly rpc: ChildRpc,
    readonly info: FakesInfo,
  ) {}

  static async start(): Promise<RemoteFakes> {
    const rpc = ChildRpc.start(join(__dirname, 'fakesChild.ts'));
    const info = await rpc.call<FakesInfo>('start', { teamId: TEST_TEAM, keepAliveMs: FAKE_KEEP_ALIVE_MS }, 60_000);
    return new RemoteFakes(rpc, info);
  }

  /**
   * The real bot via startHarness, against the fakes in the child. startHarness reads only these
   * members of the fakes it is given (and stops only fakes it created itself), so stand-ins
   * carrying the child's URLs are enough. See the report: a `startHarness` option for external
   * fakes' URLs would make this cast unnecessary.
   */
  startBot(env: Env, overrides: BotOverrides = {}): Promise<Harness> {
    const slack: Pick<FakeSlackApi, 'apiUrl' | 'responseUrl'> = {
      apiUrl: this.info.slackApiUrl,
      responseUrl: (id: string) => `${this.info.slackUrl}/respond/${encodeURIComponent(id)}`,
    };
    const esb: Pick<FakeBkJob, 'url' | 'appCode' | 'appSecret'> = { url: this.info.esbUrl, appCode: this.info.appCode, appSecret: this.info.appSecret };
    return startHarness({ env: { LOG_LEVEL: 'silent', ...env }, overrides, slack: slack as FakeSlackApi, esb: esb as FakeBkJob });
  }

  async close(): Promise<void> {
    await this.rpc.call('stop', {}, 30_000).catch(() => undefined);
    await this.rpc.close();
  }
}
