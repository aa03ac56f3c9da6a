/**
 * Host log blocks: the buttons/menu under a summary at every size boundary (1, 25, 26, 100, 101,
 * 10,000 failing hosts), the values those controls carry (round-trip and junk rejection), the
 * type-to-search options, the log snippet (escaping, code fence, size) and the full-log filename.
 */
import type { ActionsBlock, Button, ExternalSelect, KnownBlock, PlainTextOption, SectionBlock, StaticSelect } from '@slack/types';
import type { HostLog, HostLogRef, HostResult, JobRef } from '../../src/bkjob/model';
import {
  HOST_LOG_BUTTON_PATTERN,
  type ShareTarget,
  decodeHostLogAction,
  decodeJobRef,
  encodeHostLogRef,
  encodeJobRef,
  hostPickerBlockId,
  jobRefOfBlockId,
} from '../../src/blocks/actions';
import { BUTTONS_BEFORE_MENU, SNIPPET_MAX_CHARS, failingHostGroups, failingHosts, fullLogFilename, renderHostControls, renderHostLog, searchHostOptions, snippetMeasure } from '../../src/blocks/hostLog';
import { renderJobSummary } from '../../src/blocks/jobSummary';
import { LIMITS } from '../../src/blocks/text';
import { buildJobSummary } from '../../src/summary/build';
import { hostsForButtons } from '../../src/summary/hostButtons';
import { tailLog } from '../../src/summary/logTail';
import type { JobSummary } from '../../src/summary/types';

/** The host a control's value names (null when the value is rejected). */
const decodeRef = (value: unknown) => decodeHostLogAction(value)?.ref ?? null;
import { HOST_14_LOG_HEAD, host, hosts, job, step } from '../helpers/jobs';

const REF: JobRef = { bizId: 3, jobInstanceId: 2001893471 };
const RESTART_STEP = 2003774002;
const MB = 1024 * 1024;

/** One failing step (the second of three) with `failing` of `total` hosts failing with exit 1. */
function oneFailingStep(failing: number, total = failing): JobSummary {
  return buildJobSummary(
    job([step(2003774001, 'Drain traffic', 3, hosts(total)), step(RESTART_STEP, 'Restart api-server', 4, hosts(total, failing)), step(2003774003, 'Restore traffic', 1, [])], REF, 'rolling-restart-api'),
  );
}

/** Step 1 ignored errors on `first` hosts, step 2 failed on `second`: the failed step's hosts come first. */
function twoFailingSteps(first: number, second: number): JobSummary {
  return buildJobSummary(job([step(11, 'Check disk', 6, hosts(first + 2, first)), step(12, 'Deploy', 4, hosts(second, second))], REF, 'two-failures'));
}

function actions(block: KnownBlock | undefined): ActionsBlock {
  if (block?.type !== 'actions') throw new Error(`expected an actions block, got ${JSON.stringify(block)?.slice(0, 200)}`);
  return block;
}

function buttonsOf(block: KnownBlock | undefined): Button[] {
  return actions(block).elements.map((e) => {
    if (e.type !== 'button') throw new Error(`expected a button, got ${e.type}`);
    return e;
  });
}

function section(block: KnownBlock | undefined): SectionBlock {
  if (block?.type !== 'section') throw new Error(`expected a section, got ${JSON.stringify(block)?.slice(0, 200)}`);
  return block;
}

const FENCES = /```/g;

/** What every set of host controls must satisfy, whatever its size. */
function expectValidControls(blocks: KnownBlock[], summary: JobSummary): void {
  // With a menu, the buttons are shared out over the failing groups (the first host of each first).
  const expected = failingHosts(summary);
  const buttonHosts = blocks.length === 2 ? hostsForButtons(failingHostGroups(summary).map((hosts) => ({ hosts })), BUTTONS_BEFORE_MENU) : expected;
  const actionIds: string[] = [];
  for (const block of blocks) {
    const a = actions(block);
    expect(a.elements.length).toBeGreaterThan(0);
    expect(a.elements.length).toBeLessThanOrEqual(LIMITS.actionsElements);
    for (const element of a.elements) if ('action_id' in element && element.action_id) actionIds.push(element.action_id);
  }
  expect(new Set(actionIds).size).toBe(actionIds.length);
  const buttons = buttonsOf(blocks[0]);
  expect(actions(blocks[0]).block_id).toBe(`joblog_host_buttons:${REF.bizId}:${REF.jobInstanceId}`);
  buttons.forEach((b, i) => {
    expect(b.action_id).toBe(`joblog_host_log:${i}`);
    expect(b.action_id).toMatch(HOST_LOG_BUTTON_PATTERN);
    expect(b.action_id!.length).toBeLessThanOrEqual(LIMITS.actionId);
    expect(b.text.text.length).toBeLessThanOrEqual(LIMITS.buttonText);
    expect(b.value!.length).toBeLessThanOrEqual(LIMITS.buttonValue);
    const ref = decodeRef(b.value);
    const want = buttonHosts[i]!;
    expect(ref).toStrictEqual({ job: REF, stepInstanceId: want.stepInstanceId, bkCloudId: want.bkCloudId, ip: want.ip, ...(want.bkHostId === undefined ? {} : { bkHostId: want.bkHostId }) });
  });
  if (blocks.length === 2) {
    const picker = actions(blocks[1]);
    expect(picker.block_id).toBe(hostPickerBlockId(REF));
    expect(jobRefOfBlockId(picker.block_id)).toStrictEqual(REF);
    expect(picker.elements).toHaveLength(1);
    const menu = picker.elements[0] as StaticSelect | ExternalSelect;
    expect(menu.action_id).toBe('joblog_host_log_select');
    expect(menu.action_id).not.toMatch(HOST_LOG_BUTTON_PATTERN);
    expect(menu.placeholder!.text.length).toBeLessThanOrEqual(150);
    if (menu.type === 'static_select') {
      expect(menu.options!.length).toBeLessThanOrEqual(LIMITS.staticSelectOptions);
      menu.options!.forEach((o, i) => {
        expect(o.text.text.length).toBeLessThanOrEqual(LIMITS.optionText);
        expect(o.value!.length).toBeLessThanOrEqual(LIMITS.optionValue);
        expect(decodeRef(o.value)?.ip).toBe(expected[i]!.ip);
      });
    }
  }
}

describe('renderHostControls at every size boundary (one failing step)', () => {
  it.each([
    [1, 1, null],
    [25, 25, null],
    [26, 20, 'static_select'],
    [100, 20, 'static_select'],
    [101, 20, 'external_select'],
    [10_000, 20, 'external_select'],
  ] as const)('%i failing hosts → %i buttons + %s', (failing, buttonCount, menuType) => {
    const summary = oneFailingStep(failing, failing + 3);
    const blocks = renderHostControls(summary, 'en');
    expect(blocks).toHaveLength(menuType === null ? 1 : 2);
    const buttons = buttonsOf(blocks[0]);
    expect(buttons).toHaveLength(buttonCount);
    // One failing step: no "#<position> " prefix.
    expect(buttons[0]!.text).toStrictEqual({ type: 'plain_text', text: '10.0.0.0 · exit 1', emoji: false });
    expectValidControls(blocks, summary);
    if (menuType === 'static_select') {
      const menu = actions(blocks[1]).elements[0] as StaticSelect;
      expect(menu.type).toBe('static_select');
      expect(menu.options).toHaveLength(failing);
      expect(menu.placeholder).toStrictEqual({ type: 'plain_text', text: `All ${failing} failing hosts: pick one` });
    } else if (menuType === 'external_select') {
      expect(actions(blocks[1]).elements[0]).toStrictEqual({
        type: 'external_select',
        action_id: 'joblog_host_log_select',
        placeholder: { type: 'plain_text', text: `All ${failing.toLocaleString('en-US')} failing hosts: pick one` },
        min_query_length: 0,
      });
    }

    const message = renderJobSummary(summary, { lang: 'en', offsetMinutes: 480, jobUrl: 'https://job.example.com/api_execute/1', now: 1_700_000_100_000, watching: false });
    expect(message.blocks.length).toBeLessThanOrEqual(LIMITS.blocksPerMessage);
    expect(message.blocks).toContainEqual(blocks[0]);
    if (blocks[1]) expect(message.blocks).toContainEqual(blocks[1]);
    // The job's own buttons come after the host controls and are not cut off.
    expect(message.blocks.at(-1)).toMatchObject({ type: 'actions', block_id: 'joblog_job_actions' });
  });

  it('no failing hosts → no controls', () => {
    expect(renderHostControls(oneFailingStep(0, 5), 'en')).toStrictEqual([]);
  });

  it('exact blocks for 3 failing hosts', () => {
    const summary = oneFailingStep(3, 10);
    const value = (i: number) => `{"b":3,"j":2001893471,"s":${RESTART_STEP},"c":0,"i":"10.0.0.${i}"}`;
    expect(renderHostControls(summary, 'en')).toStrictEqual([
      {
        type: 'actions',
        block_id: 'joblog_host_buttons:3:2001893471',
        elements: [0, 1, 2].map((i) => ({ type: 'button', action_id: `joblog_host_log:${i}`, text: { type: 'plain_text', text: `10.0.0.${i} · exit 1`, emoji: false }, value: value(i) })),
      },
    ]);
  });

  it('labels and values stay within limits for IPv6, cloud areas, bkHostId and long statuses', () => {
    const long: HostResult[] = [
      { ...host({ ipStatus: 103, exitCode: null, ip: 'ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255', bkCloudId: 4_294_967_295 }), bkHostId: 99_999_999 },
      { ...host({ ipStatus: 104, exitCode: 255, ip: 'fe80::1', bkCloudId: 2 }), bkHostId: 1 },
      host({ ipStatus: 13, exitCode: 0, ip: '172.16.8.21', bkCloudId: 2 }),
    ];
    const summary = buildJobSummary(job([step(9_999_999_999, 'a'.repeat(500), 4, long), step(8_888_888_888, 'b', 4, [host({ ipStatus: 1, exitCode: null }, 1)])], { bizId: 9_999_999, jobInstanceId: 99_999_999_999 }));
    const blocks = renderHostControls(summary, 'zh-CN');
    const buttons = buttonsOf(blocks[0]);
    // Groups of equal size are ordered by host status: 13, 103, 104.
    expect(buttons.map((b) => b.text.text)).toStrictEqual([
      '#1 2:172.16.8.21 · 任务超时',
      '#1 4294967295:ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255 · 脚本执行被终止',
      '#1 2:fe80::1 · 退出码 255',
      '#2 10.0.0.1 · Agent 异常',
    ]);
    for (const b of buttons) {
      expect(b.text.text.length).toBeLessThanOrEqual(LIMITS.buttonText);
      expect(b.value!.length).toBeLessThanOrEqual(LIMITS.optionValue);
    }
    expect(decodeRef(buttons[1]!.value)).toStrictEqual({
      job: { bizId: 9_999_999, jobInstanceId: 99_999_999_999 },
      stepInstanceId: 9_999_999_999,
      bkCloudId: 4_294_967_295,
      ip: 'ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255',
      bkHostId: 99_999_999,
    });
  });
});

describe('renderHostControls with two failing steps', () => {
  it('prefixes labels with #<position>, the failed step first', () => {
    const summary = twoFailingSteps(2, 3);
    const blocks = renderHostControls(summary, 'en');
    expect(blocks).toHaveLength(1);
    const buttons = buttonsOf(blocks[0]);
    expect(buttons.map((b) => b.text.text)).toStrictEqual(['#2 10.0.0.0 · exit 1', '#2 10.0.0.1 · exit 1', '#2 10.0.0.2 · exit 1', '#1 10.0.0.0 · exit 1', '#1 10.0.0.1 · exit 1']);
    expect(buttons.map((b) => decodeRef(b.value)?.stepInstanceId)).toStrictEqual([12, 12, 12, 11, 11]);
    expect(new Set(buttons.map((b) => b.value)).size).toBe(5);
    expectValidControls(blocks, summary);
  });

  it.each([
    [10, 15, 'static_select', 25, 25],
    [10, 16, 'static_select', 26, 26],
    [50, 51, 'external_select', 101, 0],
    [3_000, 7_000, 'external_select', 10_000, 0],
  ] as const)('%i + %i failing hosts → 20 buttons + %s', (first, second, type, total, options) => {
    const summary = twoFailingSteps(first, second);
    const blocks = renderHostControls(summary, 'en');
    if (total <= 25) {
      expect(blocks).toHaveLength(1);
      expect(buttonsOf(blocks[0])).toHaveLength(total);
    } else {
      expect(blocks).toHaveLength(2);
      expect(buttonsOf(blocks[0])).toHaveLength(20);
      const menu = actions(blocks[1]).elements[0] as StaticSelect | ExternalSelect;
      expect(menu.type).toBe(type);
      if (menu.type === 'static_select') {
        expect(menu.options).toHaveLength(options);
        expect(menu.options!.map((o) => o.text.text.slice(0, 3))).toStrictEqual([...Array<string>(second).fill('#2 '), ...Array<string>(first).fill('#1 ')]);
      } else {
        expect(menu.min_query_length).toBe(0);
      }
    }
    for (const b of buttonsOf(blocks[0])) expect(b.text.text).toMatch(/^#[12] 10\./);
    expectValidControls(blocks, summary);
    const message = renderJobSummary(summary, { lang: 'en', offsetMinutes: 480, jobUrl: null, now: 1_700_000_100_000, watching: false });
    expect(message.blocks.length).toBeLessThanOrEqual(LIMITS.blocksPerMessage);
    expect(message.blocks).toContainEqual(blocks[0]);
    if (blocks[1]) expect(message.blocks).toContainEqual(blocks[1]);
  });
});

describe('host log values', () => {
  const base: HostLogRef = { job: REF, stepInstanceId: RESTART_STEP, bkCloudId: 0, ip: '10.0.1.14' };
  const refs: [string, HostLogRef][] = [
    ['IPv4', base],
    ['IPv6', { ...base, ip: 'fe80::1' }],
    ['IPv4-mapped IPv6', { ...base, ip: '::ffff:10.0.0.1' }],
    ['cloud area 2', { ...base, bkCloudId: 2, ip: '172.16.8.21' }],
    ['bkHostId', { ...base, bkHostId: 1001 }],
    ['IPv6, cloud 2, bkHostId', { ...base, bkCloudId: 2, ip: 'fe80::1', bkHostId: 2_000_000_001 }],
    ['largest safe ids', { job: { bizId: 2 ** 53 - 1, jobInstanceId: 2 ** 53 - 1 }, stepInstanceId: 2 ** 53 - 1, bkCloudId: 0, ip: 'fe80::1', bkHostId: 2 ** 53 - 1 }],
  ];
  const targets: [string, ShareTarget | null][] = [
    ['no target', null],
    ['channel, no thread', { channelId: 'C0OPS0001', threadTs: null }],
    ['thread', { channelId: 'C0OPS0001', threadTs: '1718072112.000100' }],
    ['private channel thread', { channelId: 'G0PRIV001', threadTs: '1718072112.123456' }],
    ['DM', { channelId: 'D0DM00001', threadTs: null }],
  ];
  const cases = refs.flatMap(([refName, ref]) => targets.map(([targetName, target]) => [`${refName}, ${targetName}`, ref, target] as const));

  it.each(cases)('round-trips: %s', (_name, ref, target) => {
    const value = encodeHostLogRef(ref, target);
    expect(value.length).toBeLessThanOrEqual(target ? LIMITS.buttonValue : LIMITS.optionValue);
    expect(decodeHostLogAction(value)).toStrictEqual({ ref, target });
    expect(decodeRef(value)).toStrictEqual(ref);
  });

  it('encodes compactly and carries nothing but ids, address and target', () => {
    expect(encodeHostLogRef(base)).toBe('{"b":3,"j":2001893471,"s":2003774002,"c":0,"i":"10.0.1.14"}');
    expect(encodeHostLogRef({ ...base, bkHostId: 7 }, { channelId: 'C0OPS0001', threadTs: '1.2' })).toBe('{"b":3,"j":2001893471,"s":2003774002,"c":0,"i":"10.0.1.14","h":7,"ch":"C0OPS0001","t":"1.2"}');
  });

  it('refuses to encode a value over the option limit (no target)', () => {
    const huge: HostLogRef = { job: { bizId: 2 ** 53 - 1, jobInstanceId: 2 ** 53 - 1 }, stepInstanceId: 2 ** 53 - 1, bkCloudId: 2 ** 53 - 1, ip: 'ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255', bkHostId: 2 ** 53 - 1 };
    expect(() => encodeHostLogRef(huge)).toThrow('host log value exceeds the Block Kit value limit');
    expect(decodeHostLogAction(encodeHostLogRef(huge, { channelId: 'C0OPS0001', threadTs: null }))?.ref).toStrictEqual(huge);
  });

  const valid = { b: 3, j: 100, s: 200, c: 0, i: '10.0.0.1' };
  const json = (patch: Record<string, unknown>) => JSON.stringify({ ...valid, ...patch });

  it('accepts the base value used by the junk cases', () => {
    expect(decodeHostLogAction(JSON.stringify(valid))).toStrictEqual({ ref: { job: { bizId: 3, jobInstanceId: 100 }, stepInstanceId: 200, bkCloudId: 0, ip: '10.0.0.1' }, target: null });
  });

  it('accepts a value of exactly 2000 characters and rejects 2001', () => {
    const value = JSON.stringify(valid);
    expect(decodeHostLogAction(value.padEnd(2000, ' '))).not.toBeNull();
    expect(decodeHostLogAction(value.padEnd(2001, ' '))).toBeNull();
  });

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a number', 42],
    ['an object', valid],
    ['empty string', ''],
    ['not JSON', 'not json'],
    ['truncated JSON', JSON.stringify(valid).slice(0, -1)],
    ['JSON null', 'null'],
    ['JSON string', '"10.0.0.1"'],
    ['JSON number', '42'],
    ['JSON true', 'true'],
    ['empty array', '[]'],
    ['array of the values', JSON.stringify([3, 100, 200, 0, '10.0.0.1'])],
    ['array holding the object', JSON.stringify([valid])],
    ['__proto__ smuggling', `{"__proto__":${JSON.stringify(valid)}}`],
    ['over-long value (2001 chars)', json({ x: 'a'.repeat(2000) })],
    ['biz missing', JSON.stringify({ j: 100, s: 200, c: 0, i: '10.0.0.1' })],
    ['biz negative', json({ b: -3 })],
    ['biz zero', json({ b: 0 })],
    ['biz float', json({ b: 3.5 })],
    ['biz string', json({ b: '3' })],
    ['biz null', json({ b: null })],
    ['biz unsafe integer', json({ b: 2 ** 53 })],
    ['biz exponent overflow', '{"b":1e400,"j":100,"s":200,"c":0,"i":"10.0.0.1"}'],
    ['job negative', json({ j: -100 })],
    ['job zero', json({ j: 0 })],
    ['job float', json({ j: 100.25 })],
    ['job string', json({ j: '100' })],
    ['step zero', json({ s: 0 })],
    ['step float', json({ s: 0.5 })],
    ['step string', json({ s: '200' })],
    ['step boolean', json({ s: true })],
    ['cloud negative', json({ c: -1 })],
    ['cloud float', json({ c: 1.5 })],
    ['cloud string', json({ c: '0' })],
    ['cloud missing', JSON.stringify({ b: 3, j: 100, s: 200, i: '10.0.0.1' })],
    ['host id zero', json({ h: 0 })],
    ['host id negative', json({ h: -7 })],
    ['host id float', json({ h: 7.5 })],
    ['host id string', json({ h: '7' })],
    ['host id null', json({ h: null })],
    ['IP <!channel>', json({ i: '<!channel>' })],
    ['IP <@U1>', json({ i: '<@U1>' })],
    ['IP empty', json({ i: '' })],
    ['IP one char', json({ i: '1' })],
    ['IP with a space', json({ i: '10.0.0.1 ' })],
    ['IP with a zone id', json({ i: 'fe80::1%eth0' })],
    ['IP CIDR', json({ i: '10.0.0.0/8' })],
    ['IP hostname', json({ i: 'evil.example.com' })],
    ['IP 46 chars', json({ i: 'a'.repeat(46) })],
    ['IP number', json({ i: 167772161 })],
    ['IP missing', JSON.stringify({ b: 3, j: 100, s: 200, c: 0 })],
    ['channel name', json({ ch: 'general' })],
    ['channel is a user id', json({ ch: 'U0ALICE01' })],
    ['channel lowercase', json({ ch: 'c0ops0001' })],
    ['channel empty', json({ ch: '' })],
    ['channel mention', json({ ch: '<#C0OPS0001>' })],
    ['channel too long', json({ ch: `C${'A'.repeat(31)}` })],
    ['channel number', json({ ch: 123 })],
    ['ts without fraction', json({ ch: 'C0OPS0001', t: '1718072112' })],
    ['ts letters', json({ ch: 'C0OPS0001', t: 'abc.def' })],
    ['ts two dots', json({ ch: 'C0OPS0001', t: '1718072112.000100.1' })],
    ['ts number', json({ ch: 'C0OPS0001', t: 1718072112.0001 })],
    ['ts empty', json({ ch: 'C0OPS0001', t: '' })],
    ['ts too long', json({ ch: 'C0OPS0001', t: '1718072112.000100000' })],
  ])('rejects %s', (_name, value) => {
    expect(decodeHostLogAction(value)).toBeNull();
    expect(decodeRef(value)).toBeNull();
  });
});

describe('job refs and picker block ids', () => {
  it('round-trips', () => {
    expect(encodeJobRef(REF)).toBe('3:2001893471');
    expect(decodeJobRef(encodeJobRef(REF))).toStrictEqual(REF);
    expect(hostPickerBlockId(REF)).toBe('joblog_hosts:3:2001893471');
    expect(jobRefOfBlockId(hostPickerBlockId(REF))).toStrictEqual(REF);
    const max = { bizId: 2 ** 53 - 1, jobInstanceId: 2 ** 53 - 1 };
    expect(decodeJobRef(encodeJobRef(max))).toStrictEqual(max);
  });

  it.each([undefined, null, 3, '', '3', '3:', ':1', '3:0', '0:1', '-3:1', '3:-1', '3:1.5', '3:1:2', ' 3:1', '3:1 ', 'a:b', '9007199254740992:1', '12345678901234567:1'])('decodeJobRef rejects %p', (value) => {
    expect(decodeJobRef(value)).toBeNull();
  });

  it.each([undefined, null, 42, '', 'joblog_hosts:', 'joblog_hosts:3', 'joblog_hosts:3:x', 'joblog_host_buttons:3:1', 'joblog_log_actions', 'xjoblog_hosts:3:1'])('jobRefOfBlockId rejects %p', (value) => {
    expect(jobRefOfBlockId(value)).toBeNull();
  });

  it('HOST_LOG_BUTTON_PATTERN matches host buttons only', () => {
    for (const id of ['joblog_host_log', 'joblog_host_log:0', 'joblog_host_log:24']) expect(id).toMatch(HOST_LOG_BUTTON_PATTERN);
    for (const id of ['joblog_host_log_select', 'joblog_host_log:', 'joblog_host_log:x', 'joblog_host_log:1:2', 'joblog_share_log', 'xjoblog_host_log:1']) expect(id).not.toMatch(HOST_LOG_BUTTON_PATTERN);
  });
});

describe('searchHostOptions', () => {
  const big = oneFailingStep(10_000, 10_000);
  const ips = (options: PlainTextOption[]) => options.map((o) => decodeRef(o.value)?.ip);

  it('an empty query returns the first 100 failing hosts', () => {
    const options = searchHostOptions(big, '', 'en');
    expect(options).toHaveLength(100);
    expect(ips(options)).toStrictEqual(Array.from({ length: 100 }, (_, i) => `10.0.0.${i}`));
    expect(options[0]).toStrictEqual({ text: { type: 'plain_text', text: '10.0.0.0 · exit 1', emoji: false }, value: `{"b":3,"j":2001893471,"s":${RESTART_STEP},"c":0,"i":"10.0.0.0"}` });
    expect(searchHostOptions(big, '   ', 'en')).toStrictEqual(options);
  });

  it('filters by substring of the address', () => {
    expect(ips(searchHostOptions(big, '10.0.0.7', 'en'))).toStrictEqual(['10.0.0.7', ...Array.from({ length: 10 }, (_, i) => `10.0.0.7${i}`)]);
    expect(ips(searchHostOptions(big, ' 10.0.38.15 ', 'en'))).toStrictEqual(['10.0.38.15', ...Array.from({ length: 10 }, (_, i) => `10.0.38.15${i}`)]);
    // 10.0.39.15 is host 9,999, the last one: nothing after it.
    expect(ips(searchHostOptions(big, '10.0.39.15', 'en'))).toStrictEqual(['10.0.39.15']);
    expect(searchHostOptions(big, 'nothing-like-this', 'en')).toStrictEqual([]);
  });

  it('returns at most 100 matches, in failing-host order', () => {
    const options = searchHostOptions(big, '10.0.1.', 'en');
    expect(options).toHaveLength(100);
    expect(ips(options)).toStrictEqual(Array.from({ length: 100 }, (_, i) => `10.0.1.${i}`));
    for (const o of options) expect(o.value!.length).toBeLessThanOrEqual(LIMITS.optionValue);
  });

  it('matches IPv6 case-insensitively and the cloud area prefix', () => {
    const mixed = buildJobSummary(
      job([step(7, 'x', 4, [host({ ipStatus: 104, ip: 'fe80::1' }), host({ ipStatus: 104, ip: '172.16.8.21', bkCloudId: 2 }), host({ ipStatus: 104, ip: '10.0.0.5' })])], REF),
    );
    expect(ips(searchHostOptions(mixed, 'FE80::', 'en'))).toStrictEqual(['fe80::1']);
    expect(ips(searchHostOptions(mixed, '2:172', 'en'))).toStrictEqual(['172.16.8.21']);
    expect(searchHostOptions(mixed, '2:172', 'en')[0]!.text.text).toBe('2:172.16.8.21 · exit 1');
    expect(ips(searchHostOptions(mixed, '', 'en'))).toStrictEqual(['fe80::1', '172.16.8.21', '10.0.0.5']);
  });

  it('labels options with #<position> when two steps fail', () => {
    const options = searchHostOptions(twoFailingSteps(2, 3), '10.0.0.1', 'en');
    expect(options.map((o) => o.text.text)).toStrictEqual(['#2 10.0.0.1 · exit 1', '#1 10.0.0.1 · exit 1']);
  });
});

describe('renderHostLog', () => {
  const START = Date.UTC(2024, 5, 11, 2, 15, 9);
  const THREAD: ShareTarget = { channelId: 'C0OPS0001', threadTs: '1718072112.000100' };

  function hostLog(content: string, patch: Partial<HostLog> = {}): HostLog {
    return {
      ref: { job: REF, stepInstanceId: 2003771002, bkCloudId: 0, ip: '10.0.1.14' },
      content,
      step: { name: 'Reload nginx', status: 4, executeCount: 0 },
      host: { bkCloudId: 0, ip: '10.0.1.14', ipStatus: 104, tag: '', exitCode: 1, errorCode: 0, startTime: START, endTime: START + 3000, totalTimeMs: null, retryCount: 0 },
      ...patch,
    };
  }

  /** As src/slack/hostLogs.ts calls it. */
  function render(log: HostLog, actionsTarget: ShareTarget | null = THREAD, sharedBy?: string) {
    return renderHostLog(log, tailLog(log.content, { maxLines: 40, maxChars: SNIPPET_MAX_CHARS, measure: snippetMeasure }), { lang: 'en', offsetMinutes: 480, actions: actionsTarget, sharedBy });
  }

  function snippet(blocks: KnownBlock[]): string {
    return section(blocks[2]).text!.text;
  }

  it('exact message for a small log', () => {
    const content = '[2024-06-11 10:15:09][PID:41004] job_start\nnginx: [emerg] unknown directive "proxy_passs"\nnginx -t 2>&1 failed, abort reload\n';
    const value = '{"b":3,"j":2001893471,"s":2003771002,"c":0,"i":"10.0.1.14","ch":"C0OPS0001","t":"1718072112.000100"}';
    expect(render(hostLog(content))).toStrictEqual({
      text: '10.0.1.14 · Reload nginx: nginx -t 2&gt;&amp;1 failed, abort reload',
      blocks: [
        ...HOST_14_LOG_HEAD,
        {
          type: 'section',
          text: { type: 'mrkdwn', verbatim: true, text: '```\n[2024-06-11 10:15:09][PID:41004] job_start\nnginx: [emerg] unknown directive "proxy_passs"\nnginx -t 2&gt;&amp;1 failed, abort reload\n```' },
        },
        { type: 'context', elements: [{ type: 'mrkdwn', text: 'Showing the last 3 lines of 3 · 125 B' }] },
        {
          type: 'actions',
          block_id: 'joblog_log_actions',
          elements: [
            { type: 'button', action_id: 'joblog_share_log', text: { type: 'plain_text', text: 'Share in channel' }, value },
            { type: 'button', action_id: 'joblog_full_log', text: { type: 'plain_text', text: 'Full log' }, value },
          ],
        },
      ],
    });
    expect(decodeHostLogAction(value)).toStrictEqual({ ref: hostLog(content).ref, target: THREAD });
  });

  it('the shared copy: "Shared by" and no buttons', () => {
    const { blocks } = render(hostLog('ok\n'), null, '<@U0ALICE01>');
    expect(blocks.map((b) => b.type)).toStrictEqual(['section', 'context', 'section', 'context', 'context']);
    expect(blocks[4]).toStrictEqual({ type: 'context', elements: [{ type: 'mrkdwn', text: 'Shared by <@U0ALICE01>' }] });
  });

  it.each([
    ['empty', ''],
    ['only newlines', '\n\r\n\n'],
  ])('an %s log says "The log is empty." and has no code block', (_name, content) => {
    const { blocks } = render(hostLog(content));
    expect(blocks[2]).toStrictEqual({ type: 'context', elements: [{ type: 'mrkdwn', text: 'The log is empty.' }] });
    expect(blocks.map((b) => b.type)).toStrictEqual(['section', 'context', 'context', 'actions']);
    expect(JSON.stringify(blocks)).not.toContain('```');
  });

  it('``` inside the log cannot break out of the code block', () => {
    const content = 'before\n```\n<!channel> *bold* outside?\n```\nmid ``` line\n```js\nafter```';
    const text = snippet(render(hostLog(content)).blocks);
    expect(text.match(FENCES)).toHaveLength(2);
    expect(text.startsWith('```\n')).toBe(true);
    expect(text.endsWith('\n```')).toBe(true);
    expect(text).toContain('&lt;!channel&gt;');
  });

  it.each([
    ['four backticks', 'a ```` b'],
    ['five backticks', '`````'],
    ['six backticks', '``````'],
    ['a long run', '`'.repeat(20)],
    ['run at the end of a line', 'done ````'],
  ])('a run of backticks (%s) cannot break out of the code block', (_name, line) => {
    const text = snippet(render(hostLog(`first\n${line}\n<!channel> after`)).blocks);
    // Leftover backticks of a long run must not form a new ``` with their neighbours.
    expect(text.match(FENCES)).toHaveLength(2);
    expect(text.startsWith('```\n')).toBe(true);
    expect(text.endsWith('\n```')).toBe(true);
  });

  it('<!channel>, <!here>, <@U1> and links in the log, step name and fallback are inert', () => {
    const content = 'notify <!channel> and <!here>\nping <@U1> see <https://evil.example|x>\nlast <!channel>\n';
    const log = hostLog(content, { step: { name: 'Announce <!here> & <@U1>', status: 4, executeCount: 0 } });
    const { text, blocks } = render(log);
    const all = JSON.stringify({ text, blocks });
    for (const raw of ['<!channel>', '<!here>', '<@U1>', '<https://evil.example']) expect(all).not.toContain(raw);
    expect(snippet(blocks)).toBe('```\nnotify &lt;!channel&gt; and &lt;!here&gt;\nping &lt;@U1&gt; see &lt;https://evil.example|x&gt;\nlast &lt;!channel&gt;\n```');
    expect(section(blocks[0]).text!.text).toBe(':page_facing_up: Log of `10.0.1.14` in *Announce &lt;!here&gt; &amp; &lt;@U1&gt;* · Failed');
    expect(text).toBe('10.0.1.14 · Announce &lt;!here&gt; &amp; &lt;@U1&gt;: last &lt;!channel&gt;');
  });

  it('a 1 MB single-line log stays within 3000 chars per section and keeps the closing fence', () => {
    const content = `${'x'.repeat(MB - 4)}END\n`;
    const { blocks } = render(hostLog(content));
    const text = snippet(blocks);
    expect(text.length).toBeLessThanOrEqual(LIMITS.sectionText);
    expect(text.endsWith('END\n```')).toBe(true);
    expect(text.match(FENCES)).toHaveLength(2);
    expect(blocks[3]).toStrictEqual({ type: 'context', elements: [{ type: 'mrkdwn', text: 'Showing the last 1 line of 1 (the first shown line is cut at its start) · 1.0 MB' }] });
    for (const b of blocks) if (b.type === 'section') expect(b.text!.text.length).toBeLessThanOrEqual(LIMITS.sectionText);
  });

  it('a 1 MB log of many short &<> lines stays within 3000 chars and keeps the closing fence', () => {
    const content = `${Array.from({ length: 80_000 }, (_, i) => `${i} <a&b>`).join('\n')}\n`;
    const { blocks } = render(hostLog(content));
    const text = snippet(blocks);
    expect(text.length).toBeLessThanOrEqual(LIMITS.sectionText);
    expect(text.endsWith('79999 &lt;a&amp;b&gt;\n```')).toBe(true);
    expect(text).not.toContain('…');
  });

  it('a 1 MB single &<> line keeps the end of the log', () => {
    const content = `${'&<>'.repeat(MB / 4)}END`;
    const text = snippet(render(hostLog(content)).blocks);
    expect(text.length).toBeLessThanOrEqual(LIMITS.sectionText);
    expect(text.match(FENCES)).toHaveLength(2);
    expect(text.endsWith('&amp;&lt;&gt;END\n```')).toBe(true);
  });
});

describe('fullLogFilename', () => {
  const log = (bkCloudId: number, ip: string): HostLog => ({
    ref: { job: { bizId: 3, jobInstanceId: 100 }, stepInstanceId: 200, bkCloudId, ip },
    content: '',
    step: { name: 's', status: 4, executeCount: 0 },
    host: { bkCloudId, ip, ipStatus: 104, tag: '', exitCode: 1, errorCode: 0, startTime: null, endTime: null, totalTimeMs: null, retryCount: 0 },
  });

  it.each([
    [0, '10.0.1.14', 'joblog-100-step200-10.0.1.14.log'],
    [2, '172.16.8.21', 'joblog-100-step200-2_172.16.8.21.log'],
    [0, 'fe80::1', 'joblog-100-step200-fe80_1.log'],
    [2, 'fe80::1', 'joblog-100-step200-2_fe80_1.log'],
    [0, '2001:db8::ff00:42:8329', 'joblog-100-step200-2001_db8_ff00_42_8329.log'],
    [0, '::ffff:10.0.0.1', 'joblog-100-step200-_ffff_10.0.0.1.log'],
  ])('cloud %i, %s → %s', (cloud, ip, expected) => {
    const name = fullLogFilename(log(cloud, ip));
    expect(name).toBe(expected);
    expect(name).toMatch(/^[A-Za-z0-9._-]+$/);
  });
});
