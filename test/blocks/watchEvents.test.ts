/** The watch's thread lines that end it (pause, expiry, a policy stop): exact words, both languages, valid Block Kit. */
import { renderWatchEvent } from '../../src/blocks/watch';
import { messages } from '../../src/i18n';
import type { KeyedEvent } from '../../src/watch/rules';
import { blockKitErrors } from '../helpers/blockKit';
import { USER_ID, watchOf } from '../helpers/listenerFakes';

const WATCH = watchOf('w-1', { bizId: 3, jobInstanceId: 100 });

describe('renderWatchEvent for the end of a watch', () => {
  it('a policy stop pings the subscriber with the reason, in English and Chinese', () => {
    for (const [lang, expected] of [
      ['en', `<@${USER_ID}> :no_entry_sign: Watch stopped: the channel policy no longer allows business 3 in this channel.`],
      ['zh-CN', `<@${USER_ID}> :no_entry_sign: 关注已停止：频道策略已不再允许本频道使用业务 3。`],
    ] as const) {
      const event: KeyedEvent = { key: 'watch_stopped', event: { type: 'watch_stopped', reason: messages(lang).reasonPolicy('business_not_allowed', '3') } };
      const message = renderWatchEvent(event, WATCH, lang, true);
      expect(message).toEqual({ text: expected, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: expected } }] });
      expect(blockKitErrors(message.blocks)).toEqual([]);
    }
  });

  it.each<KeyedEvent>([
    { key: 'watch_paused', event: { type: 'watch_paused', reason: 'channel_not_found' } },
    { key: 'watch_expired', event: { type: 'watch_expired', ageMs: 86_400_000 } },
    { key: 'watch_stopped', event: { type: 'watch_stopped', reason: 'x'.repeat(5000) } },
  ])('$key renders valid Block Kit, a long reason cut', (event) => {
    const message = renderWatchEvent(event, WATCH, 'en', event.key !== 'watch_expired');
    expect(blockKitErrors(message.blocks)).toEqual([]);
    expect(message.text.length).toBeLessThan(700);
  });
});
