/**
 * Test helpers: the fake Slack Web API and the fake BlueKing JOB that the end-to-end tests run
 * the bot against (see dev/harness.ts).
 */
import { FakeBkJob, type RecordedBkRequest } from '../../dev/fakeEsb';
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

/** The BlueKing user a recorded JOB request was made as (ESB: query or body). */
export function bkUserOf(request: RecordedBkRequest): unknown {
  const body = request.body as Record<string, unknown> | undefined;
  return request.query.bk_username ?? body?.bk_username;
}

/** A reply's words: its sections' and contexts' text, one line each, else its fallback text. */
export function messageText(body: unknown): string {
  const message = body as { blocks?: Array<{ text?: { text: string }; elements?: Array<{ text: string }> }>; text?: string };
  return (message.blocks ?? []).map((b) => b.text?.text ?? b.elements?.map((e) => e.text).join(' ') ?? '').join('\n') || (message.text ?? '');
}

/** The body of the response_url post with this id, waiting up to 5 s for it. */
export async function responseTo(slack: FakeSlackApi, id: string): Promise<unknown> {
  for (let i = 0; i < 500; i++) {
    const found = slack.responses().find((r) => r.id === id);
    if (found) return found.body;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no response to ${id} within 5 s`);
}
