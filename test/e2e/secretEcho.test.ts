/**
 * End to end: the fake BlueKing echoes the credentials the bot sent (a secret full of special
 * characters) in its message, job_request_id and permission action; the private reply must show
 * none of it, in any encoding.
 */
import { type Harness, startHarness } from '../../dev/harness';
import { FakeBkJob } from '../../dev/fakeEsb';

const SPECIAL = 'Sp3c!al p@ss:w,rd+x/y&z=1%~[]$';

let h: Harness;

beforeAll(async () => {
  const esb = new FakeBkJob({ appSecret: SPECIAL });
  await esb.start();
  h = await startHarness({ esb });
});

afterAll(async () => {
  await h.stop();
  await h.esb.stop();
});

it('the reply to a BlueKing error that echoes the app secret shows it in no encoding', async () => {
  h.esb.failNext(1, 'echo_credentials');
  await h.slash('3 2001893471');
  const [response] = await h.slack.waitForResponses(1);
  const shown = JSON.stringify(response!.body);
  // The fake did echo it (URL-encoded, decoded and JSON-escaped), and the reply did come.
  expect(shown).toContain('[REDACTED]');
  const uri = encodeURIComponent(SPECIAL);
  for (const form of [SPECIAL, uri, new URLSearchParams({ s: SPECIAL }).toString().slice(2), JSON.stringify(SPECIAL).slice(1, -1), ...SPECIAL.split(',')]) {
    expect(shown).not.toContain(form);
  }
  // The escaped forms Slack would render back to the secret are gone too.
  expect(shown).not.toContain('p@ss:w');
});
