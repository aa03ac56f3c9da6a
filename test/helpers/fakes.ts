/**
 * Test helpers: the fake Slack Web API and the fake BlueKing JOB that the end-to-end tests run
 * the bot against (see dev/harness.ts).
 */
import { FakeBkJob } from '../../dev/fakeEsb';
import { FakeSlackApi } from '../../dev/fakeSlack';
import { TEST_TEAM, bkEnv } from '../../dev/harness';

export interface Fakes {
  readonly slack: FakeSlackApi;
  readonly esb: FakeBkJob;
}

/** A fake Slack (the harness's team) and an empty fake BlueKing, not started. */
export function newFakes(): Fakes {
  return { slack: new FakeSlackApi({ teamId: TEST_TEAM }), esb: new FakeBkJob() };
}

export async function startFakes(fakes: Fakes = newFakes()): Promise<Fakes> {
  await fakes.slack.start();
  await fakes.esb.start();
  return fakes;
}

export async function stopFakes(fakes: Fakes): Promise<void> {
  await fakes.slack.stop();
  await fakes.esb.stop();
}

/**
 * Fakes for the enclosing describe block (or file): started before all its tests, stopped after
 * them, and reset before each test. Call it before registering hooks that use the fakes.
 */
export function useFakes(): Fakes {
  const fakes = newFakes();
  beforeAll(() => startFakes(fakes));
  afterAll(() => stopFakes(fakes));
  beforeEach(() => {
    fakes.slack.reset();
    fakes.esb.reset();
  });
  return fakes;
}

/** What loadConfig needs to build a job source that reads from a running fake BlueKing (Slack never called). */
export function sourceEnv(esb: FakeBkJob): Record<string, string> {
  return { SLACK_BOT_TOKEN: 'xoxb-x', SLACK_SIGNING_SECRET: 's', ...bkEnv(esb) };
}
